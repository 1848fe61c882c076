//! From a captured exchange to a stub: the request's conditions and the answer, with every
//! credential and the beneficiary's personal data taken out, and the tokens and codes the
//! upstream issued re-bound as templates, so a replay issues fresh ones and checks that the
//! client sends back what it was given:
//!
//! - a token in an answer (`access_token`, `refresh_token`, `id_token`) becomes
//!   `{{fresh.token-N}}`, and a later request that presents it must present the replay's
//!   (`Authorization: "Bearer {{fresh.token-N}}"`, form `refresh_token: "{{fresh.token-N}}"`);
//! - a code in a redirect becomes `{{fresh.code-N}}` (and the token request must send it),
//!   the redirect's `state` echoes the request's (`{{request.query.state}}`) and its base is
//!   the request's `redirect_uri` (`{{request.query.redirect_uri}}`);
//! - the upstream's origin in links becomes `http://{{request.header.host}}`;
//! - client secrets, PKCE values, passwords, cookies and credentials that were not issued
//!   through the recorder are never written: a condition on them only asks for their presence
//!   (`"*"`), and in free text they become `redacted`.

use crate::record::personal::{self, REDACTED};
use crate::record::writer::{Answer, Body, Condition, When};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

/// What links to the upstream become: the origin the replaying client used.
const HOST_ORIGIN: &str = "http://{{request.header.host}}";
/// Parameters whose values change on every run: only their presence is a condition.
const VOLATILE_PARAMS: [&str; 3] = ["state", "nonce", "code_challenge"];
/// Parameters whose values are secrets of the client: only their presence is a condition.
const SECRET_PARAMS: [&str; 5] = [
    "client_secret",
    "code_verifier",
    "password",
    "client_assertion",
    "csrfmiddlewaretoken",
];
/// Request parameters that carry a token.
const TOKEN_PARAMS: [&str; 4] = ["access_token", "refresh_token", "id_token", "token"];
/// Keys (of a JSON answer, or of a redirect's query or fragment) that issue a token.
const TOKEN_KEYS: [&str; 3] = ["access_token", "refresh_token", "id_token"];
/// Response headers not recorded: hop-by-hop ones, those the replaying server computes
/// itself, and `date`.
const UNRECORDED_HEADERS: [&str; 11] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
    "content-encoding",
    "date",
];
/// Secrets shorter than this are not searched for in free text (too likely to hit ordinary
/// words); they are still never written as conditions.
const MIN_SECRET_LEN: usize = 8;
/// Personal texts shorter than this (`MD`) are not searched for in free text.
const MIN_PERSONAL_LEN: usize = 3;

/// One exchange as the recorder saw it.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    /// The request's method.
    pub(crate) method: Method,
    /// The request's path, percent-encoded as sent.
    pub(crate) path: String,
    /// The request's raw query string.
    pub(crate) query: Option<String>,
    /// The request's headers.
    pub(crate) request_headers: HeaderMap,
    /// The request's body.
    pub(crate) request_body: Bytes,
    /// The upstream's status.
    pub(crate) status: StatusCode,
    /// The upstream's headers.
    pub(crate) response_headers: HeaderMap,
    /// The upstream's body with its `Content-Encoding` undone; `None` when it could not be.
    pub(crate) response_body: Option<Bytes>,
}

/// The values bound so far in a recording, in order of issue (`token-1` is `tokens[0]`), and
/// what must never be written.
#[derive(Debug)]
pub(crate) struct Binder {
    upstream_origin: String,
    tokens: Vec<String>,
    codes: Vec<String>,
    cookies: usize,
    hidden: Vec<String>,
    personal: Vec<String>,
}

/// Where a request's `state` and `redirect_uri` were (`query` or `form`), for the templates
/// of a redirect that echoes them.
#[derive(Debug, Default)]
struct Echo {
    state: Option<(&'static str, String)>,
    redirect_uri: Option<(&'static str, String)>,
}

impl Binder {
    /// A binder for a recording of `upstream_origin` (`http://127.0.0.1:8000`).
    pub(crate) fn new(upstream_origin: String) -> Binder {
        Binder {
            upstream_origin,
            tokens: Vec::new(),
            codes: Vec::new(),
            cookies: 0,
            hidden: Vec::new(),
            personal: Vec::new(),
        }
    }

    /// The stub's conditions for the request and its answer, redacted and re-bound.
    pub(crate) fn stub_parts(&mut self, exchange: &Captured) -> (When, Answer) {
        let query = pairs(exchange.query.as_deref().unwrap_or_default().as_bytes());
        let form = if is_form(&exchange.request_headers) {
            pairs(&exchange.request_body)
        } else {
            Vec::new()
        };
        let authorization = exchange
            .request_headers
            .get(AUTHORIZATION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).trim().to_owned());
        self.learn_request_secrets(&query, &form, authorization.as_deref());
        let mut loose = false;
        let authorization = self.authorization(authorization.as_deref(), &mut loose);
        let when = When {
            method: exchange.method.to_string(),
            path: exchange.path.clone(),
            query: self.conditions(&query, &mut loose),
            headers: vec![("Authorization".to_owned(), authorization)],
            form: self.conditions(&form, &mut loose),
            loose,
        };
        let echo = Echo {
            state: echoed("state", &query, &form),
            redirect_uri: echoed("redirect_uri", &query, &form),
        };
        (when, self.answer(exchange, &echo))
    }

    /// Remembers the secrets a request carries so they are scrubbed from every text.
    fn learn_request_secrets(
        &mut self,
        query: &[(String, String)],
        form: &[(String, String)],
        authorization: Option<&str>,
    ) {
        for (name, value) in query.iter().chain(form) {
            let unbound = match name.as_str() {
                "code" => !self.codes.contains(value),
                name if TOKEN_PARAMS.contains(&name) => !self.tokens.contains(value),
                // A PKCE challenge is not secret, but it is derived from the verifier.
                name => SECRET_PARAMS.contains(&name) || name == "code_challenge",
            };
            if unbound {
                self.hide(value);
            }
        }
        let Some(authorization) = authorization else {
            return;
        };
        let credentials = match authorization.split_once(' ') {
            Some((_, credentials)) => credentials.trim(),
            None => authorization,
        };
        if self.tokens.iter().any(|token| token == credentials) {
            return;
        }
        self.hide(credentials);
        // Basic credentials: the secret inside them too (form-encoded, as OAuth clients send it).
        let decoded = STANDARD
            .decode(credentials)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if let Some((_, secret)) = decoded.as_deref().and_then(|text| text.split_once(':')) {
            self.hide(secret);
            self.hide(&form_decoded(secret));
        }
    }

    /// The `Authorization` condition: absent; the replay's token for one the upstream issued;
    /// else the scheme with any credentials.
    fn authorization(&self, value: Option<&str>, loose: &mut bool) -> Condition {
        let value = value?;
        let Some((scheme, credentials)) = value.split_once(' ') else {
            return Some("*".to_owned());
        };
        let bearer = scheme.eq_ignore_ascii_case("bearer");
        match self
            .tokens
            .iter()
            .position(|token| token == credentials.trim())
        {
            Some(index) if bearer => Some(format!("{scheme} {}", token_template(index))),
            _ => {
                *loose |= bearer;
                Some(format!("{scheme} *"))
            }
        }
    }

    /// The conditions of query or form pairs, the first value of each name.
    fn conditions(
        &mut self,
        pairs: &[(String, String)],
        loose: &mut bool,
    ) -> Vec<(String, Condition)> {
        let mut conditions: Vec<(String, Condition)> = Vec::new();
        for (name, value) in pairs {
            if conditions.iter().any(|(known, _)| known == name) {
                continue;
            }
            let condition = self.condition(name, value, loose);
            conditions.push((name.clone(), Some(condition)));
        }
        conditions
    }

    fn condition(&self, name: &str, value: &str, loose: &mut bool) -> String {
        let any = || "*".to_owned();
        if VOLATILE_PARAMS.contains(&name) || SECRET_PARAMS.contains(&name) {
            return any();
        }
        if name == "code" {
            return match self.codes.iter().position(|code| code == value) {
                Some(index) => code_template(index),
                None => {
                    *loose = true;
                    any()
                }
            };
        }
        if TOKEN_PARAMS.contains(&name) {
            return match self.tokens.iter().position(|token| token == value) {
                Some(index) => token_template(index),
                None => {
                    *loose = true;
                    any()
                }
            };
        }
        if name == "redirect_uri"
            && let Some(any_port) = loopback_any_port(value)
        {
            return any_port;
        }
        self.scrub(value)
    }

    fn answer(&mut self, exchange: &Captured, echo: &Echo) -> Answer {
        let body = exchange
            .response_body
            .as_ref()
            .filter(|body| !body.is_empty())
            .map(|body| match serde_json::from_slice::<Value>(body) {
                Ok(mut value) if value.is_object() || value.is_array() => {
                    self.bind_tokens(&mut value);
                    let mut found = Vec::new();
                    personal::redact(&mut value, &mut found);
                    self.learn_personal(found);
                    Body::Json(value)
                }
                _ => Body::Text(String::from_utf8_lossy(body).into_owned()),
            });
        let headers = self.response_headers(&exchange.response_headers, echo);
        let body = body.map(|body| match body {
            Body::Json(mut value) => {
                self.scrub_json(&mut value);
                Body::Json(value)
            }
            Body::Text(text) => Body::Text(self.scrub(&text)),
        });
        Answer {
            status: exchange.status.as_u16(),
            headers,
            body,
        }
    }

    fn response_headers(&mut self, headers: &HeaderMap, echo: &Echo) -> Vec<(String, String)> {
        let mut recorded = Vec::new();
        for name in headers.keys() {
            let name = name.as_str();
            if UNRECORDED_HEADERS.contains(&name) {
                continue;
            }
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .filter_map(|value| String::from_utf8(value.as_bytes().to_vec()).ok())
                .collect();
            let Some(first) = values.first() else {
                continue;
            };
            let value = match name {
                // One cookie: a scenario names each header once, and cookies cannot be joined.
                "set-cookie" => self.cookie(first),
                "location" | "content-location" => self.location(&values.join(", "), echo),
                // The replaying server adds its own `Vary: Accept-Encoding`.
                "vary"
                    if values
                        .iter()
                        .all(|v| v.eq_ignore_ascii_case("accept-encoding")) =>
                {
                    continue;
                }
                _ => self.scrub(&values.join(", ")),
            };
            recorded.push((name.to_owned(), value));
        }
        recorded
    }

    /// `name=value; attributes` with a fresh value on replay.
    fn cookie(&mut self, header: &str) -> String {
        let (pair, attributes) = match header.split_once(';') {
            Some((pair, attributes)) => (pair, Some(attributes)),
            None => (header, None),
        };
        let Some((name, value)) = pair.split_once('=') else {
            return self.scrub(header);
        };
        self.hide(value.trim());
        self.cookies += 1;
        let mut cookie = format!("{name}={{{{fresh.cookie-{}}}}}", self.cookies);
        if let Some(attributes) = attributes {
            cookie.push(';');
            cookie.push_str(&self.scrub(attributes));
        }
        cookie
    }

    /// A redirect: its base, query and fragment re-bound (see the module docs).
    fn location(&mut self, value: &str, echo: &Echo) -> String {
        let (before, fragment) = match value.split_once('#') {
            Some((before, fragment)) => (before, Some(fragment)),
            None => (value, None),
        };
        let (base, query) = match before.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (before, None),
        };
        let mut location = match &echo.redirect_uri {
            Some((source, uri)) if uri == base => format!("{{{{request.{source}.redirect_uri}}}}"),
            _ => self.scrub(base),
        };
        if let Some(query) = query {
            location.push('?');
            location.push_str(&self.location_params(query, echo));
        }
        if let Some(fragment) = fragment {
            location.push('#');
            location.push_str(&self.location_params(fragment, echo));
        }
        location
    }

    fn location_params(&mut self, params: &str, echo: &Echo) -> String {
        let pieces: Vec<String> = params
            .split('&')
            .map(|piece| {
                let raw_name = piece.split_once('=').map_or(piece, |(name, _)| name);
                let Some((name, value)) = pairs(piece.as_bytes()).into_iter().next() else {
                    return self.scrub(piece);
                };
                match name.as_str() {
                    "code" => format!("{raw_name}={}", self.bind_code(&value)),
                    name if TOKEN_KEYS.contains(&name) => {
                        format!("{raw_name}={}", self.bind_token(&value))
                    }
                    "state" => match &echo.state {
                        Some((source, state)) if *state == value => {
                            format!("{raw_name}={{{{request.{source}.state}}}}")
                        }
                        _ => self.scrub(piece),
                    },
                    _ => self.scrub(piece),
                }
            })
            .collect();
        pieces.join("&")
    }

    /// Replaces every string at a token key with the replay's token.
    fn bind_tokens(&mut self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    match child {
                        Value::String(token)
                            if TOKEN_KEYS.contains(&key.as_str()) && !token.is_empty() =>
                        {
                            *token = self.bind_token(token);
                        }
                        _ => self.bind_tokens(child),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| self.bind_tokens(item)),
            _ => {}
        }
    }

    fn bind_token(&mut self, token: &str) -> String {
        let index = match self.tokens.iter().position(|known| known == token) {
            Some(index) => index,
            None => {
                self.tokens.push(token.to_owned());
                self.tokens.len() - 1
            }
        };
        token_template(index)
    }

    fn bind_code(&mut self, code: &str) -> String {
        let index = match self.codes.iter().position(|known| known == code) {
            Some(index) => index,
            None => {
                self.codes.push(code.to_owned());
                self.codes.len() - 1
            }
        };
        code_template(index)
    }

    fn hide(&mut self, secret: &str) {
        if secret.len() >= MIN_SECRET_LEN && !self.hidden.iter().any(|known| known == secret) {
            self.hidden.push(secret.to_owned());
        }
    }

    fn learn_personal(&mut self, found: Vec<String>) {
        for text in found {
            let worth = text.chars().count() >= MIN_PERSONAL_LEN
                && text.chars().any(char::is_alphabetic)
                && !self.personal.contains(&text);
            if worth {
                self.personal.push(text);
            }
        }
    }

    fn scrub_json(&self, value: &mut Value) {
        match value {
            Value::String(text) => *text = self.scrub(text),
            Value::Array(items) => items.iter_mut().for_each(|item| self.scrub_json(item)),
            Value::Object(map) => map.values_mut().for_each(|child| self.scrub_json(child)),
            _ => {}
        }
    }

    /// Free text with the upstream's origin, bound tokens and codes replaced by their
    /// templates, and secrets and personal texts by `redacted`.
    fn scrub(&self, text: &str) -> String {
        let mut text = replace_origin(text, &self.upstream_origin, HOST_ORIGIN)
            .unwrap_or_else(|| text.to_owned());
        let long = |value: &&String| value.len() >= MIN_SECRET_LEN;
        for (index, token) in self.tokens.iter().enumerate().filter(|(_, t)| long(t)) {
            if text.contains(token.as_str()) {
                text = text.replace(token.as_str(), &token_template(index));
            }
        }
        for (index, code) in self.codes.iter().enumerate().filter(|(_, c)| long(c)) {
            if text.contains(code.as_str()) {
                text = text.replace(code.as_str(), &code_template(index));
            }
        }
        for secret in &self.hidden {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        for personal in &self.personal {
            text = replace_words(&text, personal);
        }
        text
    }
}

fn token_template(index: usize) -> String {
    format!("{{{{fresh.token-{}}}}}", index + 1)
}

fn code_template(index: usize) -> String {
    format!("{{{{fresh.code-{}}}}}", index + 1)
}

/// The decoded `name=value` pairs of a query string or form body.
fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// `text` decoded as a form value (`+` and percent escapes).
fn form_decoded(text: &str) -> String {
    pairs(format!("x={text}").as_bytes())
        .into_iter()
        .next()
        .map(|(_, value)| value)
        .unwrap_or_default()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Where the request had `name`, query first.
fn echoed(
    name: &str,
    query: &[(String, String)],
    form: &[(String, String)],
) -> Option<(&'static str, String)> {
    let find = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    find(query)
        .map(|value| ("query", value))
        .or_else(|| find(form).map(|value| ("form", value)))
}

/// A loopback redirect URI with its port as `*` (`http://127.0.0.1:*/callback`): native
/// clients pick a free port on every run (RFC 8252).
fn loopback_any_port(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (host, port) = authority.rsplit_once(':')?;
    let loopback = ["127.0.0.1", "localhost", "[::1]"].contains(&host);
    (loopback && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{scheme}://{host}:*{path}"))
}

/// `text` with every occurrence of `origin` (not followed by more of a host or port)
/// replaced by `with`; `None` when it has none.
pub(crate) fn replace_origin(text: &str, origin: &str, with: &str) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    for (start, _) in text.match_indices(origin) {
        let end = start + origin.len();
        let next = text[end..].chars().next();
        let continues_authority =
            next.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '@'));
        if start >= last && !continues_authority {
            out.push_str(&text[last..start]);
            out.push_str(with);
            last = end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// `text` with every whole-word occurrence of `word` replaced by `redacted`, except inside
/// `{{...}}` templates (a beneficiary named `Host` leaves `{{request.header.host}}` alone).
fn replace_words(text: &str, word: &str) -> String {
    if !text.contains(word) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in text.match_indices(word) {
        if start < last {
            continue;
        }
        let end = start + word.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let in_template = text[..start]
            .rfind("{{")
            .is_some_and(|open| !text[open..start].contains("}}"));
        if boundary(before) && boundary(after) && !in_template {
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use serde_json::json;

    const UPSTREAM: &str = "http://127.0.0.1:9";

    fn exchange(
        method: Method,
        target: &str,
        request_headers: &[(&str, &str)],
        request_body: &str,
        status: u16,
        response_headers: &[(&str, &str)],
        response_body: &str,
    ) -> Captured {
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.append(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            map
        };
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query.to_owned())),
            None => (target, None),
        };
        Captured {
            method,
            path: path.to_owned(),
            query,
            request_headers: headers(request_headers),
            request_body: Bytes::from(request_body.to_owned()),
            status: StatusCode::from_u16(status).unwrap(),
            response_headers: headers(response_headers),
            response_body: Some(Bytes::from(response_body.to_owned())),
        }
    }

    fn condition<'a>(conditions: &'a [(String, Condition)], name: &str) -> Option<&'a str> {
        conditions
            .iter()
            .find(|(known, _)| known == name)
            .and_then(|(_, condition)| condition.as_deref())
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn an_oauth_journey_is_re_bound_with_templates() {
        let mut binder = Binder::new(UPSTREAM.to_owned());
        let (when, answer) = binder.stub_parts(&exchange(
            Method::GET,
            "/v2/o/authorize/?client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A5123%2Fcb\
             &state=S7A7E000&code_challenge=CHALLENGE123&response_type=code",
            &[],
            "",
            302,
            &[
                (
                    "location",
                    "http://127.0.0.1:5123/cb?code=CODE0001234&state=S7A7E000",
                ),
                ("content-type", "text/html; charset=utf-8"),
                ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
                ("vary", "Accept-Encoding"),
            ],
            "",
        ));
        assert_eq!(condition(&when.query, "client_id"), Some("app"));
        assert_eq!(
            condition(&when.query, "redirect_uri"),
            Some("http://127.0.0.1:*/cb")
        );
        assert_eq!(condition(&when.query, "state"), Some("*"));
        assert_eq!(condition(&when.query, "code_challenge"), Some("*"));
        assert_eq!(when.headers, [("Authorization".to_owned(), None)]);
        assert!(!when.loose);
        assert_eq!(
            answer.headers,
            [
                (
                    "location".to_owned(),
                    "{{request.query.redirect_uri}}?code={{fresh.code-1}}&state={{request.query.state}}"
                        .to_owned()
                ),
                (
                    "content-type".to_owned(),
                    "text/html; charset=utf-8".to_owned()
                ),
            ]
        );
        assert_eq!(answer.body, None);

        let (when, answer) = binder.stub_parts(&exchange(
            Method::POST,
            "/v2/o/token/",
            &[FORM],
            "grant_type=authorization_code&code=CODE0001234&code_verifier=VERIFIER0123\
             &client_id=app&client_secret=SECRET0123",
            200,
            &[("content-type", "application/json")],
            r#"{"access_token":"ACCESS0001","refresh_token":"REFRESH0001","patient":"-1",
                "note":"issued ACCESS0001 for SECRET0123"}"#,
        ));
        assert_eq!(
            condition(&when.form, "code"),
            Some("{{fresh.code-1}}"),
            "the replay checks the client sends the code it was given"
        );
        assert_eq!(condition(&when.form, "code_verifier"), Some("*"));
        assert_eq!(condition(&when.form, "client_secret"), Some("*"));
        assert_eq!(
            condition(&when.form, "grant_type"),
            Some("authorization_code")
        );
        assert_eq!(
            answer.body,
            Some(Body::Json(json!({
                "access_token": "{{fresh.token-1}}",
                "refresh_token": "{{fresh.token-2}}",
                "patient": "-1",
                "note": "issued {{fresh.token-1}} for redacted",
            })))
        );

        let basic = format!("Basic {}", STANDARD.encode("app:SECRET0123"));
        let (when, answer) = binder.stub_parts(&exchange(
            Method::POST,
            "/v2/o/token/",
            &[FORM, ("authorization", &basic)],
            "grant_type=refresh_token&refresh_token=REFRESH0001",
            200,
            &[("content-type", "application/json")],
            r#"{"access_token":"ACCESS0002","refresh_token":"REFRESH0002"}"#,
        ));
        assert_eq!(
            condition(&when.form, "refresh_token"),
            Some("{{fresh.token-2}}")
        );
        assert_eq!(condition(&when.headers, "Authorization"), Some("Basic *"));
        assert_eq!(
            answer.body,
            Some(Body::Json(json!({
                "access_token": "{{fresh.token-3}}",
                "refresh_token": "{{fresh.token-4}}",
            })))
        );

        let (when, answer) = binder.stub_parts(&exchange(
            Method::GET,
            "/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=10",
            &[("authorization", "Bearer ACCESS0002")],
            "",
            200,
            &[("content-type", "application/fhir+json")],
            r#"{"resourceType":"Bundle","link":[{"relation":"next",
                "url":"http://127.0.0.1:9/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=20"}]}"#,
        ));
        assert_eq!(
            condition(&when.headers, "Authorization"),
            Some("Bearer {{fresh.token-3}}")
        );
        assert_eq!(condition(&when.query, "startIndex"), Some("10"));
        let Some(Body::Json(bundle)) = answer.body else {
            panic!("a JSON body");
        };
        assert_eq!(
            bundle["link"][0]["url"],
            "http://{{request.header.host}}/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=20"
        );
    }

    #[test]
    fn credentials_not_issued_through_the_recorder_are_never_written() {
        let mut binder = Binder::new(UPSTREAM.to_owned());
        let (when, answer) = binder.stub_parts(&exchange(
            Method::POST,
            "/v2/o/token/",
            &[FORM, ("cookie", "sessionid=COOKIE0001")],
            "grant_type=authorization_code&code=OUTSIDE0001",
            400,
            &[
                ("content-type", "application/json"),
                ("set-cookie", "sessionid=COOKIE0002; Path=/; HttpOnly"),
            ],
            r#"{"error":"invalid_grant","error_description":"code OUTSIDE0001 is unknown"}"#,
        ));
        assert_eq!(condition(&when.form, "code"), Some("*"));
        assert!(when.loose);
        assert_eq!(
            answer.headers[1],
            (
                "set-cookie".to_owned(),
                "sessionid={{fresh.cookie-1}}; Path=/; HttpOnly".to_owned()
            )
        );
        assert_eq!(
            answer.body,
            Some(Body::Json(json!({
                "error": "invalid_grant",
                "error_description": "code redacted is unknown",
            })))
        );
        let (when, _) = binder.stub_parts(&exchange(
            Method::GET,
            "/v2/fhir/Patient/-1",
            &[("authorization", "Bearer FOREIGN00001")],
            "",
            401,
            &[],
            "token FOREIGN00001",
        ));
        assert_eq!(condition(&when.headers, "Authorization"), Some("Bearer *"));
        assert!(when.loose);
    }

    #[test]
    fn personal_texts_are_scrubbed_from_later_answers() {
        let mut binder = Binder::new(UPSTREAM.to_owned());
        let (_, answer) = binder.stub_parts(&exchange(
            Method::GET,
            "/v2/connect/userinfo",
            &[],
            "",
            200,
            &[],
            r#"{"sub":"-1","name":"Jane Doe","given_name":"Jane","family_name":"Doe"}"#,
        ));
        assert_eq!(
            answer.body,
            Some(Body::Json(json!({
                "sub": "-1", "name": "redacted", "given_name": "redacted", "family_name": "redacted",
            })))
        );
        let (_, answer) = binder.stub_parts(&exchange(
            Method::GET,
            "/page",
            &[],
            "",
            200,
            &[],
            "<p>Welcome, Jane Doe! Janet and Does stay.</p>",
        ));
        assert_eq!(
            answer.body,
            Some(Body::Text(
                "<p>Welcome, redacted! Janet and Does stay.</p>".to_owned()
            ))
        );
    }

    #[test]
    fn loopback_ports_become_wildcards() {
        assert_eq!(
            loopback_any_port("http://localhost:8080/testclient/callback").as_deref(),
            Some("http://localhost:*/testclient/callback")
        );
        assert_eq!(
            loopback_any_port("http://[::1]:5000").as_deref(),
            Some("http://[::1]:*")
        );
        assert_eq!(loopback_any_port("https://app.example.com:8443/cb"), None);
        assert_eq!(loopback_any_port("http://127.0.0.1/cb"), None);
        assert_eq!(loopback_any_port("com.app:/cb"), None);
    }

    #[test]
    fn origins_are_replaced_only_where_they_end() {
        assert_eq!(
            replace_origin(
                "http://h:1/a and http://h:1?x and http://h:12/b and http://h:1",
                "http://h:1",
                "http://p"
            )
            .as_deref(),
            Some("http://p/a and http://p?x and http://h:12/b and http://p")
        );
        assert_eq!(
            replace_origin("http://h:12/b", "http://h:1", "http://p"),
            None
        );
        assert_eq!(replace_origin("nothing", "http://h:1", "http://p"), None);
    }

    #[test]
    fn words_are_replaced_whole() {
        assert_eq!(
            replace_words("Doe, Does, doe", "Doe"),
            "redacted, Does, doe"
        );
        assert_eq!(replace_words("é Doe é", "Doe"), "é redacted é");
        assert_eq!(replace_words("aaa", "aa"), "aaa");
        assert_eq!(
            replace_words("Host: http://{{request.header.host}}/ host", "host"),
            "Host: http://{{request.header.host}}/ redacted"
        );
    }
}

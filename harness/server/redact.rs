//! Redaction for everything the server writes out (the request log, `transcript.json`):
//! secrets become stable aliases (`code#1`, `token#2`, `secret#1`), patient ids become
//! `patient#1`, also inside paths, links, headers and bodies, so a reader can still correlate
//! lines. One [`Redactor`] per written artifact keeps its aliases consistent across it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, PoisonError};

/// Parameters (query, form, fragment) and JSON keys whose values are secrets, and the alias
/// kind each gets.
const SECRET_PARAMS: [(&str, &str); 11] = [
    ("code", "code"),
    ("access_token", "token"),
    ("refresh_token", "token"),
    ("id_token", "token"),
    ("token", "token"),
    ("client_secret", "secret"),
    ("code_verifier", "secret"),
    ("code_challenge", "secret"),
    ("client_assertion", "secret"),
    ("password", "secret"),
    ("sessionid", "cookie"),
];
/// Query parameters whose values name a patient.
const PATIENT_PARAMS: [&str; 4] = ["patient", "beneficiary", "_id", "identifier"];
/// JSON keys whose values are a beneficiary's personal data (userinfo): never written.
const PERSONAL_KEYS: [&str; 8] = [
    "name",
    "given_name",
    "family_name",
    "email",
    "birthdate",
    "phone_number",
    "address",
    "username",
];
/// Values that are not secret but random per run (`state`): aliased only by a
/// [`Redactor::deterministic`] one, so snapshots of two runs compare equal.
const RANDOM_PARAMS: [(&str, &str); 2] = [("state", "state"), ("nonce", "state")];
/// Known values shorter than this are not searched for in free text (too likely to collide
/// with ordinary words).
const MIN_SCRUB_LEN: usize = 8;
/// What a personal value becomes.
const REDACTED: &str = "[redacted]";

/// Hands out stable aliases: the same value always gets the same alias.
#[derive(Debug)]
pub struct Redactor {
    aliases: Mutex<Aliases>,
    deterministic: bool,
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor {
            aliases: Mutex::new(Aliases {
                scrubbed: Some(Vec::new()),
                ..Aliases::default()
            }),
            deterministic: false,
        }
    }
}

/// The aliases given so far. A value is looked up by a 64-bit hash of its kind and itself,
/// so a long run's aliases stay small.
#[derive(Debug, Default)]
struct Aliases {
    /// The number of each value's alias, by the hash of kind and value.
    by_value: HashMap<u64, u64>,
    /// Aliases given per kind.
    counts: HashMap<String, u64>,
    /// Each aliased value in clear with its alias, for [`Redactor::scrubber`]; `None` in a
    /// redactor that never scrubs free text.
    scrubbed: Option<Vec<(String, String)>>,
}

/// The key of `value` as a `kind` in [`Aliases::by_value`] (SipHash with fixed keys: the same
/// in every run; two values sharing one is as likely as guessing a 64-bit number).
fn alias_key(kind: &str, value: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    kind.hash(&mut hasher);
    value.hash(&mut hasher);
    hasher.finish()
}

impl Redactor {
    /// A redactor with no aliases yet.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// A redactor that also aliases values which are not secret but random per run (`state`,
    /// `nonce`), so the redacted text of two runs of the same client is the same.
    pub fn deterministic() -> Redactor {
        Redactor {
            deterministic: true,
            ..Redactor::default()
        }
    }

    /// A redactor of request lines only ([`Redactor::target`], [`Redactor::url`],
    /// [`Redactor::form`], [`Redactor::json`]): it keeps no value in clear, so
    /// [`Redactor::text`] and [`Redactor::scrubber`] replace nothing.
    pub fn without_scrubbing() -> Redactor {
        Redactor {
            aliases: Mutex::new(Aliases::default()),
            deterministic: false,
        }
    }

    /// The alias of `value` as a `kind` (`patient#3`).
    pub fn alias(&self, kind: &str, value: &str) -> String {
        let key = alias_key(kind, value);
        let mut aliases = self.aliases.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(number) = aliases.by_value.get(&key) {
            return format!("{kind}#{number}");
        }
        let count = match aliases.counts.get_mut(kind) {
            Some(count) => count,
            None => aliases.counts.entry(kind.to_owned()).or_insert(0),
        };
        *count += 1;
        let number = *count;
        aliases.by_value.insert(key, number);
        let alias = format!("{kind}#{number}");
        if let Some(scrubbed) = &mut aliases.scrubbed {
            scrubbed.push((value.to_owned(), alias.clone()));
        }
        alias
    }

    /// A request target (`path?query`) with patient ids and secrets replaced by aliases.
    pub fn target(&self, path: &str, query: Option<&str>) -> String {
        let mut target = String::with_capacity(path.len() + query.map_or(0, |q| q.len() + 1));
        for (index, segment) in path.split('/').enumerate() {
            if index > 0 {
                target.push('/');
            }
            self.push_segment(segment, &mut target);
        }
        if let Some(query) = query {
            target.push('?');
            self.push_form(query, &mut target);
        }
        target
    }

    /// A URL (absolute, custom-scheme or relative): the origin kept, the path, query and
    /// fragment (the implicit flow's `#access_token=...`) redacted as in [`Redactor::target`].
    pub fn url(&self, url: &str) -> String {
        let (prefix, rest) = split_origin(url);
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (rest, None),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        let mut redacted = format!("{prefix}{}", self.target(path, query));
        if let Some(fragment) = fragment {
            redacted.push('#');
            redacted.push_str(&self.form(fragment));
        }
        redacted
    }

    /// An `application/x-www-form-urlencoded` body (or query string): secret and patient
    /// parameters aliased, the rest decoded as is.
    pub fn form(&self, form: &str) -> String {
        let mut redacted = String::with_capacity(form.len());
        self.push_form(form, &mut redacted);
        redacted
    }

    /// Appends [`Redactor::form`] of `form` to `out`.
    fn push_form(&self, form: &str, out: &mut String) {
        let mut push = |index: usize, name: &str, value: &str| {
            if index > 0 {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.push_str(&self.param(name, value));
        };
        if form.contains(['%', '+']) {
            for (index, (name, value)) in form_urlencoded::parse(form.as_bytes()).enumerate() {
                push(index, &name, &value);
            }
        } else {
            // Nothing is encoded, so each pair reads as it is (as `form_urlencoded` would:
            // empty pairs skipped, a name alone has an empty value), without copies.
            let pairs = form.split('&').filter(|pair| !pair.is_empty());
            for (index, pair) in pairs.enumerate() {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                push(index, name, value);
            }
        }
    }

    /// A header value: credentials of `Authorization` (`Bearer token#1`, `Basic secret#1`:
    /// the alias of the decoded secret), cookie values, and URLs in `Location` and `Referer`
    /// aliased; other values as they are (see [`Redactor::text`] for free text).
    pub fn header(&self, name: &str, value: &str) -> String {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "proxy-authorization" => self.credentials(value),
            "cookie" => self.cookies(value),
            "set-cookie" => match value.split_once(';') {
                Some((pair, attributes)) => format!("{};{attributes}", self.cookies(pair)),
                None => self.cookies(value),
            },
            "location" | "referer" | "content-location" => self.url(value),
            _ => value.to_owned(),
        }
    }

    /// A JSON value: values of secret keys (`access_token`, `code`, ...) aliased, patient ids
    /// aliased wherever they appear (values, paths, links), personal data (`name`, `email`)
    /// replaced by `[redacted]`.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), self.json_field(key, value)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(text) => Value::String(self.string(text)),
            other => other.clone(),
        }
    }

    /// Free text: every value aliased so far (secrets and patient ids of at least 8
    /// characters) replaced by its alias. For many texts, take one [`Redactor::scrubber`].
    pub fn text(&self, text: &str) -> String {
        self.scrubber().apply(text)
    }

    /// A scrubber of every value aliased so far (see [`Redactor::text`]); values aliased
    /// later are not in it.
    pub fn scrubber(&self) -> Scrubber {
        let aliases = self.aliases.lock().unwrap_or_else(PoisonError::into_inner);
        let mut by_prefix: HashMap<[u8; MIN_SCRUB_LEN], Vec<(String, String)>> = HashMap::new();
        for (value, alias) in aliases.scrubbed.iter().flatten() {
            if let Some(prefix) = prefix(value.as_bytes()) {
                by_prefix
                    .entry(prefix)
                    .or_default()
                    .push((value.clone(), alias.clone()));
            }
        }
        for candidates in by_prefix.values_mut() {
            // Longest first, so a value wins over a shorter one it starts with.
            candidates.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        }
        Scrubber { by_prefix }
    }

    fn json_field(&self, key: &str, value: &Value) -> Value {
        let Value::String(text) = value else {
            if PERSONAL_KEYS.contains(&key) {
                return Value::String(REDACTED.to_owned());
            }
            return self.json(value);
        };
        if let Some(kind) = self.secret_kind(key) {
            return Value::String(self.alias(kind, text));
        }
        if PERSONAL_KEYS.contains(&key) {
            return Value::String(REDACTED.to_owned());
        }
        if (PATIENT_PARAMS.contains(&key) || key == "sub") && !text.is_empty() {
            // Whatever its form: a scenario's own patient ids need not look like BFD's.
            let id = text.strip_prefix("Patient/").unwrap_or(text);
            return Value::String(text.replace(id, &self.alias("patient", id)));
        }
        Value::String(self.string(text))
    }

    /// A JSON string of no special key: a URL, a patient id or reference, or text.
    fn string(&self, text: &str) -> String {
        if text.contains("://") {
            return self.url(text);
        }
        if let Some(id) = patient_reference(text) {
            return text.replace(id, &self.alias("patient", id));
        }
        text.to_owned()
    }

    fn secret_kind(&self, name: &str) -> Option<&'static str> {
        SECRET_PARAMS
            .iter()
            .chain(if self.deterministic {
                RANDOM_PARAMS.iter()
            } else {
                [].iter()
            })
            .find(|(param, _)| *param == name)
            .map(|(_, kind)| *kind)
    }

    fn param<'v>(&self, name: &str, value: &'v str) -> Cow<'v, str> {
        if let Some(kind) = self.secret_kind(name) {
            return Cow::Owned(self.alias(kind, value));
        }
        if PATIENT_PARAMS.contains(&name) && value.bytes().any(|b| b.is_ascii_digit()) {
            return Cow::Owned(self.alias("patient", value.trim_start_matches("Patient/")));
        }
        // `next` of interactive mode's login page carries a whole authorize request.
        if value.contains("://") || (name == "next" && value.starts_with('/')) {
            return Cow::Owned(self.url(value));
        }
        Cow::Borrowed(value)
    }

    /// `Bearer token#1`, `Basic secret#1` (the decoded secret's alias, the one
    /// `client_secret=` in a body gets), any other scheme's credentials as `secret#N`.
    fn credentials(&self, value: &str) -> String {
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return self.alias("secret", value.trim());
        };
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return format!("{scheme} {}", self.alias("token", credentials));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let secret = STANDARD
                .decode(credentials)
                .ok()
                .and_then(|decoded| String::from_utf8(decoded).ok())
                .and_then(|text| text.split_once(':').map(|(_, secret)| unquote(secret)));
            return match secret {
                Some(secret) => format!("{scheme} {}", self.alias("secret", &secret)),
                None => format!("{scheme} {}", self.alias("secret", credentials)),
            };
        }
        format!("{scheme} {}", self.alias("secret", credentials))
    }

    /// `a=1; b=2` → `a=cookie#1; b=cookie#2`.
    fn cookies(&self, value: &str) -> String {
        let cookies: Vec<String> = value
            .split(';')
            .map(|pair| match pair.trim().split_once('=') {
                Some((name, value)) => format!("{name}={}", self.alias("cookie", value)),
                None => pair.trim().to_owned(),
            })
            .collect();
        cookies.join("; ")
    }

    /// Appends a path segment to `out`: a patient id (`-20140000008325`, or inside
    /// `part-a--2014…`) aliased, any other segment as it came.
    fn push_segment(&self, segment: &str, out: &mut String) {
        let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        match patient_reference(&decoded) {
            Some(id) => out.push_str(&decoded.replace(id, &self.alias("patient", id))),
            None => out.push_str(segment),
        }
    }
}

/// Replaces known values in free text by their aliases, in time linear in the text whatever
/// the number of known values.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    by_prefix: HashMap<[u8; MIN_SCRUB_LEN], Vec<(String, String)>>,
}

impl Scrubber {
    /// `text` with every known value replaced by its alias.
    pub fn apply(&self, text: &str) -> String {
        if self.by_prefix.is_empty() {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while let Some(rest) = bytes.get(index..).filter(|rest| !rest.is_empty()) {
            let found = prefix(rest)
                .and_then(|key| self.by_prefix.get(&key))
                .and_then(|candidates| {
                    candidates
                        .iter()
                        .find(|(value, _)| rest.starts_with(value.as_bytes()))
                });
            match found {
                Some((value, alias)) => {
                    out.extend_from_slice(alias.as_bytes());
                    index += value.len();
                }
                None => {
                    out.extend_from_slice(&rest[..1]);
                    index += 1;
                }
            }
        }
        // Values are whole UTF-8 strings, so replacements start and end on char boundaries.
        String::from_utf8(out)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    }
}

fn prefix(bytes: &[u8]) -> Option<[u8; MIN_SCRUB_LEN]> {
    bytes.get(..MIN_SCRUB_LEN)?.try_into().ok()
}

/// The patient id inside `text` when it is one (`-20140000008325`), a reference
/// (`Patient/-20140000008325`) or a Coverage id (`part-a--20140000008325`).
fn patient_reference(text: &str) -> Option<&str> {
    if is_patient_id(text) {
        return Some(text);
    }
    if let Some(id) = text.strip_prefix("Patient/").filter(|id| is_patient_id(id)) {
        return Some(id);
    }
    ["part-a-", "part-b-", "part-c-", "part-d-"]
        .iter()
        .find_map(|part| text.strip_prefix(part).filter(|id| is_patient_id(id)))
}

/// `("http://host:1", "/path?q")` of an absolute URL, `("app.scheme:", "/cb")` of a custom
/// scheme, `("", url)` of a relative one.
fn split_origin(url: &str) -> (&str, &str) {
    if let Some(index) = url.find("://") {
        let after = index + 3;
        let end = url
            .get(after..)
            .and_then(|rest| rest.find(['/', '?', '#']))
            .map_or(url.len(), |offset| after + offset);
        return url.split_at(end);
    }
    match url.find(':') {
        Some(index) if !url[..index].contains(['/', '?', '#']) => url.split_at(index + 1),
        _ => ("", url),
    }
}

/// Decodes `+` and percent escapes, as Basic credentials are encoded by OAuth clients.
fn unquote(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Patient ids are long runs of digits, negative for synthetic beneficiaries.
fn is_patient_id(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    digits.len() >= 8 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_patients_get_stable_aliases() {
        let redactor = Redactor::new();
        let first = redactor.target(
            "/v2/o/authorize/",
            Some("client_id=abc&code_challenge=XYZ&state=s"),
        );
        assert_eq!(
            first,
            "/v2/o/authorize/?client_id=abc&code_challenge=secret#1&state=s"
        );
        let login = redactor.target(
            "/mymedicare/login",
            Some("next=%2Fv2%2Fo%2Fauthorize%2F%3Fcode_challenge%3DXYZ%26state%3Ds"),
        );
        assert_eq!(
            login,
            "/mymedicare/login?next=/v2/o/authorize/?code_challenge=secret#1&state=s"
        );
        let read = redactor.target("/v2/fhir/Patient/-20140000008325", None);
        assert_eq!(read, "/v2/fhir/Patient/patient#1");
        let coverage = redactor.target("/v2/fhir/Coverage/part-a--20140000008325", None);
        assert_eq!(coverage, "/v2/fhir/Coverage/part-a-patient#1");
        let search = redactor.target(
            "/v2/fhir/ExplanationOfBenefit/",
            Some("patient=-20140000008325&type=pde"),
        );
        assert_eq!(
            search,
            "/v2/fhir/ExplanationOfBenefit/?patient=patient#1&type=pde"
        );
        assert_eq!(
            redactor.target("/cb", Some("code=A1&access_token=B2")),
            "/cb?code=code#1&access_token=token#1"
        );
        assert_eq!(redactor.alias("code", "A1"), "code#1");
    }

    #[test]
    fn headers_keep_the_scheme_and_alias_the_credentials() {
        let redactor = Redactor::new();
        assert_eq!(
            redactor.header("Authorization", "Bearer abcdef123456"),
            "Bearer token#1"
        );
        // client_id:bbh-sandbox-secret
        let basic = format!("Basic {}", STANDARD.encode("app:bbh-sandbox-secret"));
        assert_eq!(redactor.header("authorization", &basic), "Basic secret#1");
        assert_eq!(
            redactor.form("grant_type=authorization_code&client_secret=bbh-sandbox-secret"),
            "grant_type=authorization_code&client_secret=secret#1"
        );
        assert_eq!(
            redactor.header("cookie", "sessionid=xyz; csrftoken=abc"),
            "sessionid=cookie#1; csrftoken=cookie#2"
        );
        assert_eq!(
            redactor.header("set-cookie", "sessionid=xyz; Path=/; HttpOnly"),
            "sessionid=cookie#1; Path=/; HttpOnly"
        );
        assert_eq!(
            redactor.header(
                "location",
                "http://127.0.0.1:5000/callback?code=ABCDEFGH1&state=s1"
            ),
            "http://127.0.0.1:5000/callback?code=code#1&state=s1"
        );
        assert_eq!(
            redactor.header("location", "app.example:/cb#access_token=TOKEN-XYZ&state=s"),
            "app.example:/cb#access_token=token#2&state=s"
        );
        assert_eq!(redactor.header("x-other", "abcdef123456"), "abcdef123456");
        assert_eq!(
            redactor.text("mentions abcdef123456, é, bbh-sandbox-secretX"),
            "mentions token#1, é, secret#1X"
        );
    }

    #[test]
    fn json_aliases_secrets_patients_and_hides_personal_data() {
        let redactor = Redactor::new();
        let token = serde_json::json!({
            "access_token": "AT-0123456789",
            "refresh_token": "RT-0123456789",
            "patient": "-20140000008325",
            "expires_in": 36000,
            "link": [{"relation": "next", "url": "http://h:1/v2/fhir/Coverage/?beneficiary=-20140000008325&startIndex=10"}],
            "reference": "Patient/-20140000008325",
            "name": "Jane Doe",
            "address": {"line": ["1 Main St"]},
        });
        assert_eq!(
            redactor.json(&token),
            serde_json::json!({
                "access_token": "token#1",
                "refresh_token": "token#2",
                "patient": "patient#1",
                "expires_in": 36000,
                "link": [{"relation": "next", "url": "http://h:1/v2/fhir/Coverage/?beneficiary=patient#1&startIndex=10"}],
                "reference": "Patient/patient#1",
                "name": "[redacted]",
                "address": "[redacted]",
            })
        );
        assert_eq!(
            redactor.text("<p>AT-0123456789 for -20140000008325</p>"),
            "<p>token#1 for patient#1</p>"
        );
    }

    #[test]
    fn only_a_deterministic_redactor_aliases_state() {
        assert_eq!(Redactor::new().form("state=abc&x=1"), "state=abc&x=1");
        let redactor = Redactor::deterministic();
        assert_eq!(redactor.form("state=abc&x=1"), "state=state#1&x=1");
        assert_eq!(redactor.form("state=abc"), "state=state#1");
    }

    #[test]
    fn a_redactor_of_lines_aliases_alike_and_keeps_no_value() {
        let target = (
            "/v2/fhir/Patient/-20140000008325",
            Some("code=abc123456789"),
        );
        let (lines, scrubbing) = (Redactor::without_scrubbing(), Redactor::new());
        assert_eq!(
            lines.target(target.0, target.1),
            scrubbing.target(target.0, target.1)
        );
        let text = "for -20140000008325";
        assert_eq!(lines.text(text), text);
        assert_ne!(scrubbing.text(text), text);
    }

    #[test]
    fn a_plain_query_reads_as_the_decoder_reads_it() {
        let redactor = Redactor::new();
        for query in [
            "_count=10&&startIndex=20",
            "a&b=&code=xyz",
            "&",
            "x=1&code=abc%20d+e",
        ] {
            let mut decoded = String::new();
            for (index, (name, value)) in form_urlencoded::parse(query.as_bytes()).enumerate() {
                if index > 0 {
                    decoded.push('&');
                }
                decoded.push_str(&format!("{name}={}", redactor.param(&name, &value)));
            }
            assert_eq!(redactor.form(query), decoded, "{query}");
        }
    }
}

//! The `apps` list of a scenario file: each registered app, checked key by key and against
//! its client type.

use crate::scenario::defaults;
use crate::scenario::model::{App, ClientType, GrantType, Scenario};
use crate::scenario::reader::{Field, Located, Reader, then, values};
use marked_yaml::Node;

const APP_KEYS: &[&str] = &[
    "name",
    "client_id",
    "client_secret",
    "client_type",
    "grant_types",
    "redirect_uris",
    "scopes",
    "require_demographic_scopes",
];

/// An app entry: the app if it is valid, and its client id if that is (checked for
/// uniqueness even when the rest of the entry is not valid).
struct Read {
    app: Option<App>,
    client_id: Option<Located<String>>,
}

/// The apps of the file (at least one, client ids unique).
pub fn apps(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<App>> {
    let read = r.non_empty_list(node, key, "app", app)?;
    let client_ids = read
        .iter()
        .flatten()
        .filter_map(|read| read.value.client_id.as_ref());
    r.unique(client_ids, "client_id");
    read.into_iter().map(|read| read?.value.app).collect()
}

fn app(r: &mut Reader, node: &Node, key: &str) -> Option<Read> {
    let map = r.mapping(node, key, APP_KEYS)?;
    let name = r.required(map, key, "name", Reader::string);
    let client_id = r.required(map, key, "client_id", then(Reader::string, client_id));
    let client_type = r
        .required(map, key, "client_type", then(Reader::string, client_type))
        .map(|t| t.value);
    let client_secret = r.optional(map, key, "client_secret", then(Reader::string, secret));
    let grant_types = r.optional(map, key, "grant_types", |r, node, key| {
        let grants = r.non_empty_list(node, key, "grant type", then(Reader::string, grant_type))?;
        r.unique(grants.iter().flatten(), "grant type");
        if client_type == Some(ClientType::Confidential) {
            for implicit in grants
                .iter()
                .flatten()
                .filter(|g| g.value == GrantType::Implicit)
            {
                let message = "the implicit grant is for public apps only";
                r.error(&implicit.span, &implicit.key, message);
            }
        }
        values(grants)
    });
    let redirect_uris = r.required(map, key, "redirect_uris", |r, node, key| {
        let uri = then(Reader::string, redirect_uri);
        values(r.non_empty_list(node, key, "redirect URI", uri)?)
    });
    let scopes = r.optional(map, key, "scopes", |r, node, key| {
        let scopes = r.list(node, key, then(Reader::string, supported_scope))?;
        r.unique(scopes.iter().flatten(), "scope");
        values(scopes)
    });
    let require_demographic_scopes =
        r.optional(map, key, "require_demographic_scopes", Reader::boolean);
    let client_secret = match (client_type, client_secret) {
        (Some(ClientType::Public), Field::Given(secret)) => {
            r.error(
                &secret.span,
                &secret.key,
                "a public app has no client_secret",
            );
            None
        }
        (Some(ClientType::Confidential), Field::Absent) => {
            r.missing(
                map,
                key,
                "client_secret",
                " (a confidential app has a secret)",
            );
            None
        }
        (_, secret) => secret.map(Some).or(None),
    };
    let app = client_id.as_ref().and_then(|client_id| {
        Some(App {
            name: name?.value,
            client_id: client_id.value.clone(),
            client_secret: client_secret?,
            client_type: client_type?,
            grant_types: grant_types.or(vec![GrantType::AuthorizationCode])?,
            redirect_uris: redirect_uris?.value,
            scopes: scopes.or(defaults::supported_scopes())?,
            require_demographic_scopes: require_demographic_scopes.or(true)?,
        })
    });
    Some(Read { app, client_id })
}

/// Why the conformance runner cannot use the scenario's first app, if it cannot: the client
/// under test listens on a loopback port of its choice and sends
/// `http://127.0.0.1:PORT/callback` (RFC 8252), so the app must register
/// [`defaults::LOOPBACK_REDIRECT_URI`].
pub fn runner_app_problem(scenario: &Scenario) -> Option<String> {
    let Some(app) = scenario.apps.first() else {
        return Some("the scenario has no app for the conformance runner to use".to_owned());
    };
    let loopback = defaults::LOOPBACK_REDIRECT_URI;
    if app.redirect_uris.iter().any(|uri| uri == loopback) {
        return None;
    }
    Some(format!(
        "the conformance runner uses the scenario's first app, `{}` ({}), which must register \
         the redirect URI `{loopback}` (the client listens on a loopback port of its choice); \
         it registers: {}",
        app.name,
        app.client_id,
        app.redirect_uris.join(", ")
    ))
}

fn client_id(id: String) -> Result<String, String> {
    if id.len() == 40 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(format!(
            "expected exactly 40 letters and digits (BB2's client_id format), found `{id}`"
        ))
    }
}

fn client_type(name: String) -> Result<ClientType, String> {
    match name.as_str() {
        "confidential" => Ok(ClientType::Confidential),
        "public" => Ok(ClientType::Public),
        _ => Err(format!(
            "unknown client type `{name}`; expected `confidential` or `public`"
        )),
    }
}

fn secret(secret: String) -> Result<String, String> {
    if secret.is_empty() {
        Err("expected a non-empty secret".to_owned())
    } else {
        Ok(secret)
    }
}

fn grant_type(name: String) -> Result<GrantType, String> {
    match name.as_str() {
        "authorization-code" => Ok(GrantType::AuthorizationCode),
        "implicit" => Ok(GrantType::Implicit),
        _ => Err(format!(
            "unknown grant type `{name}`; expected `authorization-code` or `implicit`"
        )),
    }
}

fn supported_scope(scope: String) -> Result<String, String> {
    if defaults::SUPPORTED_SCOPES.contains(&scope.as_str()) {
        Ok(scope)
    } else {
        Err(format!(
            "unsupported scope `{scope}`; expected one of: {}",
            defaults::SUPPORTED_SCOPES.join(", ")
        ))
    }
}

/// An absolute URI with a scheme, no whitespace and no fragment; http(s) ones with a host.
fn redirect_uri(uri: String) -> Result<String, String> {
    match redirect_uri_problem(&uri) {
        None => Ok(uri),
        Some(problem) => Err(format!("redirect URI `{uri}` {problem}")),
    }
}

fn redirect_uri_problem(uri: &str) -> Option<&'static str> {
    if uri.chars().any(char::is_whitespace) {
        return Some("contains whitespace");
    }
    if uri.contains('#') {
        return Some("has a fragment (`#`), which OAuth forbids");
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Some("is not absolute: expected e.g. http://127.0.0.1/callback");
    };
    if !is_scheme(scheme) {
        return Some("has no valid scheme: expected e.g. http://127.0.0.1/callback");
    }
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        let host = rest
            .strip_prefix("//")
            .and_then(|after| after.split(['/', '?']).next());
        if host.is_none_or(str::is_empty) {
            return Some("has no host: expected e.g. http://127.0.0.1/callback");
        }
    } else if rest.is_empty() {
        return Some("has nothing after its scheme");
    }
    None
}

/// `[a-zA-Z][a-zA-Z0-9+.-]*` (RFC 3986).
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris() {
        for good in [
            "http://127.0.0.1/callback",
            "http://localhost:8080/testclient/callback",
            "https://example.org",
            "HTTP://x?y=1",
            "gov.cms.bluebutton.oauthtester:/callback",
            "com.example+app-1:cb",
        ] {
            assert_eq!(redirect_uri(good.to_owned()), Ok(good.to_owned()));
        }
        for (bad, problem) in [
            ("http://x/cb#frag", "fragment"),
            ("http://x/a b", "whitespace"),
            ("no-scheme", "not absolute"),
            ("1app:/cb", "no valid scheme"),
            (":/cb", "no valid scheme"),
            ("http:///nohost", "no host"),
            ("https:/path", "no host"),
            ("http://", "no host"),
            ("app:", "nothing after"),
        ] {
            let error = redirect_uri(bad.to_owned()).err().unwrap_or_default();
            assert!(error.contains(problem), "{bad}: {error}");
        }
    }
}

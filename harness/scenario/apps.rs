//! The `apps` list of a scenario file: each registered app, checked key by key, against its
//! client type, and against BB2's registration rules for redirect URIs in the scenario's
//! environment (behaviour file §2.1).

use crate::scenario::defaults;
use crate::scenario::model::{App, ClientType, DataAccessType, Environment, GrantType, Scenario};
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
    "data_access_type",
    "active",
];

/// An app entry: the app if it is valid, and its client id if that is (checked for
/// uniqueness even when the rest of the entry is not valid).
struct Read {
    app: Option<App>,
    client_id: Option<Located<String>>,
}

/// The apps of the file (at least one, client ids unique). `environment` is the scenario's
/// (`None` when it is invalid: then the environment rules are not checked).
pub fn apps(
    r: &mut Reader,
    node: &Node,
    key: &str,
    environment: Option<Environment>,
) -> Option<Vec<App>> {
    let read = r.non_empty_list(node, key, "app", |r, node, key| {
        app(r, node, key, environment)
    })?;
    let client_ids = read
        .iter()
        .flatten()
        .filter_map(|read| read.value.client_id.as_ref());
    r.unique(client_ids, "client_id");
    read.into_iter().map(|read| read?.value.app).collect()
}

fn app(r: &mut Reader, node: &Node, key: &str, environment: Option<Environment>) -> Option<Read> {
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
        redirect_uris(r, node, key, environment)
    });
    let scopes = r.optional(map, key, "scopes", |r, node, key| {
        let scopes = r.list(node, key, then(Reader::string, supported_scope))?;
        r.unique(scopes.iter().flatten(), "scope");
        values(scopes)
    });
    let require_demographic_scopes =
        r.optional(map, key, "require_demographic_scopes", Reader::boolean);
    let data_access_type = r.optional(
        map,
        key,
        "data_access_type",
        then(Reader::string, data_access_type),
    );
    let active = r.optional(map, key, "active", Reader::boolean);
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
            data_access_type: data_access_type.or(DataAccessType::default())?,
            active: active.or(true)?,
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

fn data_access_type(name: String) -> Result<DataAccessType, String> {
    DataAccessType::from_name(&name).ok_or_else(|| {
        format!(
            "unknown data access type `{name}`; expected `ONE_TIME`, `THIRTEEN_MONTH` or \
             `RESEARCH_STUDY`"
        )
    })
}

/// The registered redirect URIs: a list, or one string of URIs separated by spaces or
/// newlines (BB2's registration form). Each must pass [`redirect_uri_problem`].
fn redirect_uris(
    r: &mut Reader,
    node: &Node,
    key: &str,
    environment: Option<Environment>,
) -> Option<Vec<String>> {
    let check = move |uri: String| match redirect_uri_problem(&uri, environment) {
        None => Ok(uri),
        Some(problem) => Err(format!("redirect URI `{uri}` {problem}")),
    };
    if node.as_sequence().is_some() {
        let uris = r.non_empty_list(node, key, "redirect URI", then(Reader::string, check))?;
        return values(uris);
    }
    let text = r.string(node, key)?;
    let mut uris = Vec::new();
    let mut valid = true;
    for uri in text.split_whitespace() {
        match check(uri.to_owned()) {
            Ok(uri) => uris.push(uri),
            Err(message) => {
                r.error(node.span(), key, message);
                valid = false;
            }
        }
    }
    if uris.is_empty() && valid {
        r.error(node.span(), key, "expected at least one redirect URI");
        return None;
    }
    valid.then_some(uris)
}

/// Why BB2 would not register `uri` in `environment`, if it would not: it must be absolute,
/// without whitespace or fragment; `http` and `https` URIs need a host, and plain `http` is
/// for the sandbox only, except loopback hosts (RFC 8252); custom schemes (reverse DNS, e.g.
/// `gov.cms.bluebutton.oauthtester:/callback`) are allowed in both environments.
fn redirect_uri_problem(uri: &str, environment: Option<Environment>) -> Option<&'static str> {
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
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return Some("has no host: expected e.g. http://127.0.0.1/callback");
        };
        if scheme.eq_ignore_ascii_case("http")
            && environment == Some(Environment::Production)
            && !is_loopback(host)
        {
            return Some(
                "uses plain http, which production allows only for loopback hosts \
                 (127.0.0.1, [::1], localhost): use https",
            );
        }
    } else if rest.is_empty() {
        return Some("has nothing after its scheme");
    }
    None
}

/// Whether a netloc's host is a loopback host (port and user info ignored).
fn is_loopback(netloc: &str) -> bool {
    let host_port = netloc.rsplit_once('@').map_or(netloc, |(_, hp)| hp);
    let host = match host_port.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host == "::1" || host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")
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
            assert_eq!(redirect_uri_problem(good, Some(Environment::Sandbox)), None);
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
            let error = redirect_uri_problem(bad, Some(Environment::Sandbox)).unwrap_or_default();
            assert!(error.contains(problem), "{bad}: {error}");
        }
    }

    #[test]
    fn production_allows_http_only_on_loopback() {
        let production = Some(Environment::Production);
        for good in [
            "http://127.0.0.1/callback",
            "http://127.0.0.1:8080/callback",
            "http://[::1]:9/cb",
            "http://localhost:8080/testclient/callback",
            "https://app.example/cb",
            "gov.cms.bluebutton.oauthtester:/callback",
        ] {
            assert_eq!(redirect_uri_problem(good, production), None, "{good}");
        }
        for bad in ["http://app.example/cb", "HTTP://10.0.0.1/cb"] {
            let problem = redirect_uri_problem(bad, production).unwrap_or_default();
            assert!(problem.contains("plain http"), "{bad}: {problem}");
            assert_eq!(redirect_uri_problem(bad, Some(Environment::Sandbox)), None);
        }
    }
}

//! redirect_uri rules of django-oauth-toolkit 2.2 (behaviour file §2.4): same scheme, netloc
//! and path, the registered query a subset of the requested one; a registered loopback URI
//! without a port matches any port (RFC 8252 §7.3). Adding the response parameters keeps the
//! URI's own query (oauthlib `add_params_to_uri`).
//!
//! URIs are split the way Python's `urlsplit` does it (no normalisation), because that is
//! what the real server compares; a general URL parser would normalise paths and ports.

/// The parts of a URI as `urlsplit` returns them.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    scheme: String,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
}

fn split(uri: &str) -> Parts<'_> {
    let uri = uri.split('#').next().unwrap_or(uri);
    let (scheme, rest) = match uri.split_once(':') {
        Some((scheme, rest)) if is_scheme(scheme) => (scheme.to_ascii_lowercase(), rest),
        _ => (String::new(), uri),
    };
    let (netloc, rest) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?']).unwrap_or(after.len());
            after.split_at(end)
        }
        None => ("", rest),
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Parts {
        scheme,
        netloc,
        path,
        query,
    }
}

fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Host (lower-cased, IPv6 brackets removed) and port of a netloc.
fn host_and_port(netloc: &str) -> (String, Option<&str>) {
    let host_port = netloc.rsplit_once('@').map_or(netloc, |(_, hp)| hp);
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        match rest.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (rest, None),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    (host.to_ascii_lowercase(), port.filter(|p| !p.is_empty()))
}

fn query_set(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Whether `requested` is allowed by one of the `registered` URIs.
pub fn is_allowed(requested: &str, registered: &[String]) -> bool {
    let asked = split(requested);
    let asked_query = query_set(asked.query);
    registered.iter().any(|allowed| {
        let allowed = split(allowed);
        let (allowed_host, allowed_port) = host_and_port(allowed.netloc);
        let loopback = allowed.scheme == "http"
            && matches!(allowed_host.as_str(), "127.0.0.1" | "::1")
            && allowed_port.is_none();
        if loopback {
            let (asked_host, _) = host_and_port(asked.netloc);
            return asked.scheme == allowed.scheme
                && asked_host == allowed_host
                && asked.path == allowed.path;
        }
        asked.scheme == allowed.scheme
            && asked.netloc == allowed.netloc
            && asked.path == allowed.path
            && query_set(allowed.query)
                .iter()
                .all(|pair| asked_query.contains(pair))
    })
}

/// `uri` with `params` added to its query, as oauthlib adds `code` and `state`.
pub fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let (base, fragment) = match uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (uri, None),
    };
    let separator = match base.split_once('?') {
        Some((_, "")) => "",
        Some(_) => "&",
        None => "?",
    };
    let mut out = format!("{base}{separator}{encoded}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `uri` with `params` as its fragment, as oauthlib answers the implicit flow (any fragment
/// of `uri` is replaced).
pub fn with_fragment(uri: &str, params: &[(&str, &str)]) -> String {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let base = uri.split('#').next().unwrap_or(uri);
    format!("{base}#{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(uris: &[&str]) -> Vec<String> {
        uris.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn exact_match() {
        let allowed = registered(&["http://localhost:8080/testclient/callback"]);
        assert!(is_allowed(
            "http://localhost:8080/testclient/callback",
            &allowed
        ));
        assert!(!is_allowed(
            "http://localhost:8081/testclient/callback",
            &allowed
        ));
        assert!(!is_allowed(
            "http://localhost:8080/testclient/callback/",
            &allowed
        ));
        assert!(!is_allowed(
            "https://localhost:8080/testclient/callback",
            &allowed
        ));
        assert!(!is_allowed(
            "http://localhost/testclient/callback",
            &allowed
        ));
        assert!(!is_allowed(
            "http://evil.example/testclient/callback",
            &allowed
        ));
    }

    #[test]
    fn loopback_any_port() {
        let allowed = registered(&["http://127.0.0.1/callback", "http://[::1]/cb"]);
        assert!(is_allowed("http://127.0.0.1:41234/callback", &allowed));
        assert!(is_allowed("http://127.0.0.1/callback", &allowed));
        assert!(is_allowed("http://[::1]:9/cb", &allowed));
        assert!(!is_allowed("http://127.0.0.1:41234/other", &allowed));
        assert!(!is_allowed("https://127.0.0.1:41234/callback", &allowed));
        assert!(!is_allowed("http://localhost:41234/callback", &allowed));
    }

    #[test]
    fn loopback_with_port_is_exact() {
        let allowed = registered(&["http://127.0.0.1:5000/callback"]);
        assert!(is_allowed("http://127.0.0.1:5000/callback", &allowed));
        assert!(!is_allowed("http://127.0.0.1:5001/callback", &allowed));
    }

    #[test]
    fn registered_query_must_be_present() {
        let allowed = registered(&["https://app.example/cb?tenant=a"]);
        assert!(is_allowed("https://app.example/cb?tenant=a&x=1", &allowed));
        assert!(!is_allowed("https://app.example/cb", &allowed));
        assert!(!is_allowed("https://app.example/cb?tenant=b", &allowed));
    }

    #[test]
    fn custom_scheme() {
        let allowed = registered(&["gov.cms.bluebutton.oauthtester:/callback"]);
        assert!(is_allowed(
            "gov.cms.bluebutton.oauthtester:/callback",
            &allowed
        ));
        assert!(!is_allowed(
            "gov.cms.bluebutton.oauthtester:/other",
            &allowed
        ));
    }

    #[test]
    fn fragment_params() {
        assert_eq!(
            with_fragment(
                "http://a/cb?k=v",
                &[
                    ("access_token", "t"),
                    ("scope", "profile patient/Patient.read")
                ]
            ),
            "http://a/cb?k=v#access_token=t&scope=profile+patient%2FPatient.read"
        );
    }

    #[test]
    fn params_are_appended() {
        assert_eq!(
            with_params("http://a/cb", &[("code", "x"), ("state", "s t")]),
            "http://a/cb?code=x&state=s+t"
        );
        assert_eq!(
            with_params("http://a/cb?k=v", &[("code", "x")]),
            "http://a/cb?k=v&code=x"
        );
        assert_eq!(
            with_params("http://a/cb?", &[("code", "x")]),
            "http://a/cb?code=x"
        );
    }
}

//! Which app a token-endpoint request comes from, and whether it proved it: HTTP Basic
//! (`base64(urlencoded id : urlencoded secret)`, RFC 6749 §2.3.1), body `client_id` +
//! `client_secret`, or both (behaviour file §2.5, §2.7).

use crate::exchange::Response;
use crate::oauth::{errors, grant, secret};
use crate::params::Params;
use crate::scenario::{App, ClientType, Profile};
use crate::world::World;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};

/// The credentials a request presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The client id named.
    pub client_id: String,
    /// The secret presented, if any (Basic wins over the body).
    pub secret: Option<String>,
}

/// `(client_id, secret)` of an `Authorization: Basic` header; anything else (a stray Bearer
/// token, garbage) is no Basic credential at all.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((unquote_plus(id), unquote_plus(secret)))
}

fn unquote_plus(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Whether a client id has BB2's format: 40 ASCII alphanumerics.
pub fn is_well_formed_client_id(client_id: &str) -> bool {
    client_id.len() == 40 && client_id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// BB2's `validate_app_is_active` on the token endpoint: the app the request names, or the
/// BB2-style error (`App id failed`, `Invalid client_id format`, `Application does not exist`,
/// `different app in headers than in request data`, 403 for an inactive app).
pub fn identify<'w>(
    world: &'w World,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(&'w App, Credentials), Response> {
    let header = basic(headers);
    let body_id = params.non_empty("client_id");
    let (client_id, from_header) = match (&header, body_id) {
        (Some((header_id, _)), Some(body_id)) if header_id != body_id => {
            return Err(errors::bb2(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "different app in headers than in request data",
            ));
        }
        (Some((header_id, _)), _) => (header_id.clone(), true),
        (None, Some(body_id)) => (body_id.to_owned(), false),
        (None, None) => {
            return Err(errors::bb2(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "App id failed",
            ));
        }
    };
    if !is_well_formed_client_id(&client_id) {
        return Err(errors::bb2(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Invalid client_id format",
        ));
    }
    let Some(app) = world.app(&client_id) else {
        return Err(if from_header {
            errors::bb2(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Application does not exist",
            )
        } else {
            errors::bb2(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "Application does not exist (client_id)",
            )
        });
    };
    if !app.active {
        return Err(errors::bb2(
            StatusCode::FORBIDDEN,
            "invalid_client",
            &grant::inactive_message(app),
        ));
    }
    let secret = match header {
        Some((_, secret)) => Some(secret),
        None => params.get("client_secret").map(str::to_owned),
    };
    Ok((app, Credentials { client_id, secret }))
}

/// Whether the credentials authenticate `app`: confidential apps must present their secret
/// (compared in constant time); public apps authenticate by client id alone, except in the
/// `current` profile, where BB2 has no public clients.
pub fn authenticates(app: &App, credentials: &Credentials, profile: Profile) -> bool {
    match (app.client_type, &app.client_secret, &credentials.secret) {
        (ClientType::Public, _, _) => profile == Profile::Documented,
        (ClientType::Confidential, Some(expected_secret), Some(given_secret)) => {
            secret::equal(expected_secret.as_bytes(), given_secret.as_bytes())
        }
        (ClientType::Confidential, _, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let encoded = STANDARD.encode("my%20id:s%3Acret+x");
        assert_eq!(
            basic(&with_authorization(&format!("Basic {encoded}"))),
            Some(("my id".into(), "s:cret x".into()))
        );
    }

    #[test]
    fn bearer_and_garbage_are_not_basic() {
        assert_eq!(basic(&with_authorization("Bearer abc")), None);
        assert_eq!(basic(&with_authorization("Basic !!!notbase64")), None);
        assert_eq!(basic(&with_authorization("Basic")), None);
        assert_eq!(basic(&HeaderMap::new()), None);
    }

    #[test]
    fn client_id_format() {
        assert!(is_well_formed_client_id(
            "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2"
        ));
        assert!(!is_well_formed_client_id("short"));
        assert!(!is_well_formed_client_id(
            "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq-"
        ));
    }
}

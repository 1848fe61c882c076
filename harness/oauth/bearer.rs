//! Bearer-token authentication of the protected endpoints (FHIR and userinfo), as Django REST
//! framework with django-oauth-toolkit answers it (behaviour file §3.1–3.2).

use crate::exchange::{Request, Response};
use crate::oauth::grant;
use crate::oauth::store::{AccessCheck, Session, TokenStore};
use crate::world::World;
use http::StatusCode;
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use std::sync::Arc;

const NOT_PROVIDED: &str = "Authentication credentials were not provided.";

/// A request whose bearer token is valid.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The token's session (its beneficiary is the patient).
    pub session: Arc<Session>,
    /// The token's scope.
    pub scope: Arc<str>,
    /// The token's number in the store (what the throttle counts by).
    pub token_number: u64,
}

/// Authenticates `request` at the world's time: a live token of an active app whose grant
/// exists and has not expired; errors are rendered in `content_type` (the negotiated one).
pub fn authenticate(
    request: &Request,
    world: &World,
    store: &TokenStore,
    content_type: &str,
) -> Result<Authenticated, Response> {
    let now = world.clock().now();
    let in_query = request.query.as_deref().is_some_and(|query| {
        form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
    });
    if in_query {
        return Err(Response::detail(
            StatusCode::BAD_REQUEST,
            content_type,
            "Using the access token in the query parameters is not supported. Use the Authorization header instead",
        ));
    }
    let unauthorized = |challenge: &str| {
        Response::detail(StatusCode::UNAUTHORIZED, content_type, NOT_PROVIDED)
            .header(WWW_AUTHENTICATE, challenge)
    };
    let Some(token) = bearer_token(request) else {
        return Err(unauthorized("Bearer realm=\"api\""));
    };
    match store.check_access(token, now) {
        AccessCheck::Valid {
            session,
            scope,
            number,
        } => {
            let app = world.app(&session.client_id);
            match grant::call_refusal(app, &session, now) {
                Some((status, detail)) => Err(Response::detail(status, content_type, &detail)),
                None => Ok(Authenticated {
                    session,
                    scope,
                    token_number: number,
                }),
            }
        }
        AccessCheck::Expired => Err(unauthorized(
            "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token has expired.\"",
        )),
        AccessCheck::Invalid => Err(unauthorized(
            "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token is invalid.\"",
        )),
    }
}

/// The token of `Authorization: Bearer <token>`, if the request has one.
pub fn bearer_token(request: &Request) -> Option<&str> {
    let value = request.header(AUTHORIZATION)?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

//! `GET|POST /v2/o/introspect/` (django-oauth-toolkit's `IntrospectTokenView`, behaviour
//! file §2.11): an authenticated client learns whether an access token is live.

use crate::exchange::{Request, Response};
use crate::oauth::client_auth;
use crate::oauth::errors;
use crate::oauth::store::TokenStore;
use crate::params::Params;
use crate::world::World;
use http::{Method, StatusCode};
use serde_json::json;

/// Handles an introspection request: the client authenticates (Basic or body credentials;
/// BB2's app checks first, 403 with an empty body when the secret is wrong), then
/// `{"active": true, "scope", "exp", "client_id", "username"}` for a live access token,
/// `{"active": false}` for anything else.
pub async fn introspect(world: &World, store: &TokenStore, request: &Request) -> Response {
    let mut params = Params::from_query(request.query.as_deref());
    if request.method == Method::POST {
        let Ok(body) = Params::from_body(&request.headers, &request.body).await else {
            return errors::bad_request_text("<h1>Bad Request (400)</h1>");
        };
        params.extend(body);
    }
    let (app, credentials) = match client_auth::identify(world, &request.headers, &params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !client_auth::authenticates(app, &credentials, world.profile()) {
        return Response::html(StatusCode::FORBIDDEN, "");
    }
    let now = world.clock().now();
    let found = params
        .non_empty("token")
        .and_then(|token| store.introspect(token, now));
    let Some(found) = found else {
        return Response::json(StatusCode::OK, &json!({"active": false}));
    };
    let body = json!({
        "active": true,
        "scope": &*found.scope,
        "exp": found.expires_at.as_second(),
        "client_id": &*found.session.client_id,
        "username": found.session.who.username(),
    });
    Response::json(StatusCode::OK, &body).in_session(found.session.id)
}

//! `POST /v2/o/revoke/` (the guide's: the whole grant goes) and `POST /v2/o/revoke_token/`
//! (RFC 7009, the discovery document's `revocation_endpoint`), behaviour file §2.10.

use crate::exchange::{Request, Response};
use crate::oauth::client_auth::{self, basic};
use crate::oauth::errors;
use crate::oauth::store::{Revocation, TokenStore};
use crate::params::Params;
use crate::world::World;
use http::StatusCode;
use serde_json::json;

/// Handles `/revoke/`: the client authenticates; the grant of the token's beneficiary to
/// this app is deleted (every token of it dies). Always 200 with an empty body, whether or
/// not the token exists.
pub async fn revoke(world: &World, store: &TokenStore, request: &Request) -> Response {
    let Ok(params) = Params::from_body(&request.headers, &request.body).await else {
        return errors::bad_request_text("<h1>Bad Request (400)</h1>");
    };
    let (app, credentials) = match client_auth::identify(world, &request.headers, &params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !client_auth::authenticates(app, &credentials, world.profile()) {
        return errors::invalid_client();
    }
    let session = params
        .non_empty("token")
        .and_then(|token| store.session_of(token))
        .filter(|session| *session.client_id == *app.client_id);
    if let Some(session) = session {
        store.delete_grant(&app.client_id, session.patient_id());
        return ok().in_session(session.id);
    }
    ok()
}

/// Handles `/revoke_token/`: BB2 checks the app and the token's owner, then RFC 7009
/// revocation deletes an access token alone, or a refresh token with its access token.
/// Unknown tokens are revoked "successfully" (200, empty).
pub async fn revoke_token(world: &World, store: &TokenStore, request: &Request) -> Response {
    let Ok(params) = Params::from_body(&request.headers, &request.body).await else {
        return errors::bad_request_text("<h1>Bad Request (400)</h1>");
    };
    let client_id = basic(&request.headers)
        .map(|(id, _)| id)
        .or_else(|| params.non_empty("client_id").map(str::to_owned));
    let Some(app) = client_id
        .as_deref()
        .and_then(|id| world.app(id))
        .filter(|app| app.active)
    else {
        return refused("Application is not active or does not exist.");
    };
    let token = params.get("token").unwrap_or_default();
    let owner = store.session_of(token);
    if owner
        .as_ref()
        .is_some_and(|session| *session.client_id != *app.client_id)
    {
        return refused("Application did not have access to the provided token.");
    }
    let credentials = match client_auth::identify(world, &request.headers, &params) {
        Ok((_, credentials)) => credentials,
        Err(response) => return response,
    };
    if !client_auth::authenticates(app, &credentials, world.profile()) {
        return errors::invalid_client();
    }
    match store.revoke_token(token, &app.client_id) {
        Revocation::Revoked | Revocation::Unknown => match owner {
            Some(session) => ok().in_session(session.id),
            None => ok(),
        },
        Revocation::OtherClient => {
            refused("Application did not have access to the provided token.")
        }
    }
}

/// DOT's successful revocation: 200, empty body (Django's default content type).
fn ok() -> Response {
    Response::html(StatusCode::OK, "")
}

/// BB2's 403 of `/revoke_token/`: `{"status_code": 403, "description": ...}`.
fn refused(description: &str) -> Response {
    Response::json(
        StatusCode::FORBIDDEN,
        &json!({"status_code": 403, "description": description}),
    )
}

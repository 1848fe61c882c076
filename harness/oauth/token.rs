//! `POST /v2/o/token/`: code exchange and refresh with rotation (behaviour file §2.5–2.8),
//! checked in BB2's order: BB2's own pre-checks, then oauthlib's.

use crate::exchange::{Request, Response};
use crate::oauth::client_auth::{self, Credentials};
use crate::oauth::store::{IssuedTokens, RefreshProblem, TokenStore, expiry};
use crate::oauth::{errors, grant, pkce, scopes};
use crate::params::Params;
use crate::scenario::{App, GrantType, Profile};
use crate::world::World;
use http::StatusCode;
use http::header::{CACHE_CONTROL, PRAGMA};
use serde_json::json;
use std::sync::Arc;

/// Parameters oauthlib refuses to see twice on the token endpoint.
const SINGLE_PARAMS: [&str; 3] = ["client_id", "grant_type", "redirect_uri"];

/// Handles a token request.
pub async fn token(world: &World, store: &TokenStore, request: &Request) -> Response {
    let Ok(params) = Params::from_body(&request.headers, &request.body).await else {
        return errors::bad_request_text("<h1>Bad Request (400)</h1>");
    };
    let (app, credentials) = match client_auth::identify(world, &request.headers, &params) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let grant_type = params.get("grant_type");
    if grant_type == Some("refresh_token")
        && let Err(response) = refresh_pre_check(world, store, app, &params)
    {
        return response;
    }
    if grant_type == Some("client_credentials") {
        return client_credentials(&params);
    }
    if request.query.as_deref().is_some_and(|q| !q.is_empty()) {
        return errors::invalid_request("URL query parameters are not allowed");
    }
    let exchange = match grant_type {
        Some("authorization_code") => Exchange::Code,
        Some("refresh_token") => Exchange::Refresh,
        Some("password") => {
            return errors::oauthlib(StatusCode::BAD_REQUEST, Some("unauthorized_client"), None);
        }
        _ => {
            return errors::oauthlib(
                StatusCode::BAD_REQUEST,
                Some("unsupported_grant_type"),
                None,
            );
        }
    };
    if let Some(name) = params.first_duplicate(&SINGLE_PARAMS) {
        return errors::invalid_request(&format!("Duplicate {name} parameter."));
    }
    if !client_auth::authenticates(app, &credentials, world.profile()) {
        return errors::invalid_client();
    }
    if !app.grant_types.contains(&GrantType::AuthorizationCode) {
        return errors::oauthlib(StatusCode::BAD_REQUEST, Some("unauthorized_client"), None);
    }
    let issued = match exchange {
        Exchange::Code => redeem_code(world, store, app, &credentials, &params),
        Exchange::Refresh => refresh(world, store, app, &params),
    };
    match issued {
        Ok(tokens) => success(world, app, &tokens),
        Err(response) => response,
    }
}

/// The two grants the token endpoint serves on v2.
enum Exchange {
    Code,
    Refresh,
}

/// Parameters BB2 requires of a `client_credentials` request, in its order.
const CLIENT_CREDENTIALS_PARAMS: [&str; 3] = ["scope", "client_assertion_type", "client_assertion"];

/// `client_credentials` on v1/v2 (behaviour file §2.6): a v3 grant for CMS Aligned Networks
/// apps only. Missing parameters are listed; otherwise the app is not allowed to use it.
fn client_credentials(params: &Params) -> Response {
    let missing: Vec<&str> = CLIENT_CREDENTIALS_PARAMS
        .into_iter()
        .filter(|name| params.non_empty(name).is_none())
        .collect();
    if !missing.is_empty() {
        let message = format!("Missing Required Parameter(s): {}", missing.join(", "));
        return errors::bb2_message(StatusCode::BAD_REQUEST, &message);
    }
    errors::bb2_message(
        StatusCode::FORBIDDEN,
        "This application is not allowed to use the client_credentials grant type.",
    )
}

/// BB2 looks the refresh token and its grant up before oauthlib runs (behaviour file §2.9).
fn refresh_pre_check(
    world: &World,
    store: &TokenStore,
    app: &App,
    params: &Params,
) -> Result<(), Response> {
    let bad = |description: &str| {
        Err(errors::bb2(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            description,
        ))
    };
    let Some(token) = params.non_empty("refresh_token") else {
        return bad("Missing refresh token parameter");
    };
    match store.refresh_token(token, &app.client_id) {
        Err(RefreshProblem::Unknown) => return bad("Refresh token not found."),
        Err(RefreshProblem::OtherClient) => return bad("Token does not match client_id"),
        // A revoked (rotated) token passes here; oauthlib refuses it with invalid_grant.
        Ok(_) | Err(RefreshProblem::Revoked | RefreshProblem::GrantDeleted) => {}
    }
    let now = world.clock().now();
    match store.session_of(token) {
        Some(session) => match grant::refresh_refusal(world.profile(), app, &session, now) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        },
        None => bad("Refresh token not found."),
    }
}

fn redeem_code(
    world: &World,
    store: &TokenStore,
    app: &App,
    credentials: &Credentials,
    params: &Params,
) -> Result<IssuedTokens, Response> {
    let code = params
        .non_empty("code")
        .ok_or_else(|| errors::invalid_request("Missing code parameter."))?;
    let now = world.clock().now();
    let grant = store.code(code, now).map_err(|_| errors::invalid_grant())?;
    if *grant.session.client_id != *credentials.client_id {
        return Err(errors::invalid_grant());
    }
    let verifier = params.get("code_verifier");
    if let Some(challenge) = &grant.code_challenge {
        let verifier =
            verifier.ok_or_else(|| errors::invalid_request("Code verifier required."))?;
        if !pkce::verifier_matches(challenge, verifier) {
            return Err(errors::invalid_grant());
        }
    }
    let redirect_uri = params
        .non_empty("redirect_uri")
        .or_else(|| app.redirect_uris.first().map(String::as_str))
        .unwrap_or_default();
    if redirect_uri != grant.redirect_uri {
        return Err(errors::invalid_request("Mismatching redirect URI."));
    }
    if let Some(problem) = verifier
        .filter(|_| grant.code_challenge.is_some())
        .and_then(pkce::verifier_length_problem)
    {
        return Err(errors::oauthlib(
            StatusCode::BAD_REQUEST,
            None,
            Some(problem),
        ));
    }
    if !store.consume_code(code) {
        return Err(errors::invalid_grant());
    }
    let scope = Arc::clone(&grant.session.scope);
    store
        .issue_tokens(grant.session, &scope, expiry(now, world.access_ttl()))
        .map_err(|_| errors::server_error())
}

fn refresh(
    world: &World,
    store: &TokenStore,
    app: &App,
    params: &Params,
) -> Result<IssuedTokens, Response> {
    let token = params.non_empty("refresh_token").unwrap_or_default();
    let (_, current_scope) = store
        .refresh_token(token, &app.client_id)
        .map_err(|_| errors::invalid_grant())?;
    let scope = match params.non_empty("scope") {
        // django-oauth-toolkit: the original scope is that of the refresh token's own access
        // token, so a narrowed chain cannot widen again.
        Some(narrower) if scopes::within(narrower, &current_scope) => narrower,
        Some(_) => {
            return Err(errors::oauthlib(
                StatusCode::BAD_REQUEST,
                Some("invalid_scope"),
                None,
            ));
        }
        None => &*current_scope,
    };
    let expires_at = expiry(world.clock().now(), world.access_ttl());
    match store.rotate(token, scope, expires_at) {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(_)) => Err(errors::invalid_grant()),
        Err(_) => Err(errors::server_error()),
    }
}

/// The token response (`documented`: no `access_grant_expiration`).
fn success(world: &World, app: &App, tokens: &IssuedTokens) -> Response {
    let mut body = json!({
        "access_token": tokens.access_token,
        "expires_in": world.access_ttl(),
        "token_type": "Bearer",
        "scope": &*tokens.scope,
        "refresh_token": tokens.refresh_token,
        "patient": tokens.session.patient_id(),
    });
    if world.profile() == Profile::Current {
        let access_expires_at = expiry(world.clock().now(), world.access_ttl());
        body["access_grant_expiration"] =
            grant::access_grant_expiration(app, &tokens.session, access_expires_at).into();
    }
    Response::json(StatusCode::OK, &body)
        .header(CACHE_CONTROL, "no-store")
        .header(PRAGMA, "no-cache")
        .in_session(tokens.session.id)
}

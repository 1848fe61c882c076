//! `GET /v2/connect/userinfo`: the logged-in beneficiary's account (behaviour file §8.4);
//! it needs the `profile` scope.

use crate::exchange::{Request, Response};
use crate::oauth::bearer;
use crate::oauth::scopes::{self, Interaction, Resource};
use crate::oauth::store::TokenStore;
use crate::world::World;
use http::{Method, StatusCode};
use serde_json::json;

const JSON: &str = "application/json";

/// Handles a userinfo request.
pub fn userinfo(world: &World, store: &TokenStore, request: &Request) -> Response {
    let auth = match bearer::authenticate(request, world, store, JSON) {
        Ok(auth) => auth,
        Err(response) => return response,
    };
    let session = auth.session.id;
    if !matches!(request.method, Method::GET | Method::HEAD) {
        let message = format!("Method \"{}\" not allowed.", request.method);
        return Response::detail(StatusCode::METHOD_NOT_ALLOWED, JSON, &message)
            .in_session(session);
    }
    if !scopes::permits(&auth.scope, Resource::UserInfo, Interaction::Read) {
        return Response::detail(
            StatusCode::FORBIDDEN,
            JSON,
            "You do not have permission to perform this action.",
        )
        .in_session(session);
    }
    let bene = auth.session.who.beneficiary();
    let iat = bene
        .account_created
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let body = json!({
        "sub": bene.patient_id,
        "name": bene.display_name(),
        "given_name": bene.given.first().cloned().unwrap_or_default(),
        "family_name": bene.family,
        "email": bene.email,
        "iat": iat,
        "patient": bene.patient_id,
    });
    Response::json(StatusCode::OK, &body).in_session(session)
}

//! `POST /v2/o/expire_authenticated_user/<patient_id>/`: the sandbox helper that deletes a
//! beneficiary's grant to the calling app (behaviour file §2.12). The router serves it in
//! the sandbox environment only.

use crate::exchange::{Request, Response};
use crate::oauth::client_auth;
use crate::oauth::store::TokenStore;
use crate::params::Params;
use crate::world::World;
use http::StatusCode;

/// Handles the helper for `patient_id`: the client authenticates (else 403, empty); the
/// patient must have authorized some app (else 404 `Patient was Not Found…`) and this app
/// (else 404 `Data Access Grant was Not Found.`); then the grant is deleted: 200 `success`.
pub async fn expire_authenticated_user(
    world: &World,
    store: &TokenStore,
    request: &Request,
    patient_id: &str,
) -> Response {
    let forbidden = || Response::html(StatusCode::FORBIDDEN, "");
    let Ok(params) = Params::from_body(&request.headers, &request.body).await else {
        return forbidden();
    };
    let Ok((app, credentials)) = client_auth::identify(world, &request.headers, &params) else {
        return forbidden();
    };
    if !client_auth::authenticates(app, &credentials, world.profile()) {
        return forbidden();
    }
    if !store.knows_patient(patient_id) {
        return Response::html(
            StatusCode::NOT_FOUND,
            "Patient was Not Found. Please check the id number and try again.",
        );
    }
    if !store.delete_grant(&app.client_id, patient_id) {
        return Response::html(StatusCode::NOT_FOUND, "Data Access Grant was Not Found.");
    }
    Response::html(StatusCode::OK, "success")
}

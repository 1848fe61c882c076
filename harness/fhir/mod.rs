//! FHIR under `/v1/fhir/` (STU3) and `/v2/fhir/` (R4): Patient, Coverage and
//! ExplanationOfBenefit read and search, in the order BB2 checks things (behaviour file §3.1): content negotiation, authentication,
//! method, scope, the patient the search names, parameters, then the data.

pub mod bundle;
pub mod date_filter;
pub mod negotiation;
pub mod paging;
pub mod query;
pub mod resources;
pub mod search;
pub mod stu3;
pub mod type_param;

use crate::api_version::ApiVersion;
use crate::exchange::{Request, Response};
use crate::oauth::bearer::{self, Authenticated};
use crate::oauth::scopes::{self, Interaction, Resource};
use crate::oauth::store::TokenStore;
use crate::server::page_cache::{PageKeyRef, Served};
use crate::world::World;
use http::header::{ALLOW, VARY};
use http::{Method, StatusCode};
use serde_json::json;

/// A FHIR endpoint: the resource type and, for a read, the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Which resource type.
    pub resource: Resource,
    /// The id of a read; `None` for a search.
    pub id: Option<String>,
}

impl Route {
    /// The route of a path below `/{v}/fhir/` (`Patient`, `Patient/`, `Patient/<id>[/...]`).
    /// Anything after the id segment is ignored, as BB2's unanchored patterns do.
    pub fn parse(rest: &str) -> Option<Route> {
        let (name, after) = rest.split_once('/').unwrap_or((rest, ""));
        let resource = match name {
            "Patient" => Resource::Patient,
            "Coverage" => Resource::Coverage,
            "ExplanationOfBenefit" => Resource::ExplanationOfBenefit,
            _ => return None,
        };
        let segment = after.split('/').next().unwrap_or_default();
        let id = (!segment.is_empty()).then(|| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned()
        });
        Some(Route { resource, id })
    }
}

/// Handles a request to a FHIR route; an answer rendered before for the same key is taken
/// from `served`'s cache, a new one is kept there.
pub fn handle(
    world: &World,
    store: &TokenStore,
    served: &Served<'_>,
    request: &Request,
    version: ApiVersion,
    route: &Route,
) -> Response {
    let Some(content_type) = negotiation::negotiate(request.header(http::header::ACCEPT)) else {
        let response = Response::detail(
            StatusCode::NOT_ACCEPTABLE,
            negotiation::DEFAULT_CONTENT_TYPE,
            "Could not satisfy the request Accept header.",
        );
        return with_view_headers(response);
    };
    let response = match bearer::authenticate(request, world, store, &content_type) {
        Ok(auth) => {
            let session = auth.session.id;
            let throttle = world.throttle();
            let decision = throttle.check(auth.token_number, world.clock().now());
            throttle
                .answer(decision, &content_type, || {
                    serve(world, served, request, version, route, &auth, &content_type)
                })
                .in_session(session)
        }
        Err(response) => response,
    };
    with_view_headers(response)
}

fn serve(
    world: &World,
    served: &Served<'_>,
    request: &Request,
    version: ApiVersion,
    route: &Route,
    auth: &Authenticated,
    content_type: &str,
) -> Response {
    let interaction = if route.id.is_some() {
        Interaction::Read
    } else {
        Interaction::Search
    };
    match request.method {
        Method::GET | Method::HEAD => {}
        Method::OPTIONS => return options(route, content_type),
        ref other => {
            let message = format!("Method \"{other}\" not allowed.");
            return Response::detail(StatusCode::METHOD_NOT_ALLOWED, content_type, &message);
        }
    }
    if !scopes::permits(&auth.scope, route.resource, interaction) {
        return Response::detail(StatusCode::FORBIDDEN, content_type, search::FORBIDDEN);
    }
    // Past the token, the method and the scope, the bytes depend on this key alone (the
    // world is the cache's own).
    let key = PageKeyRef {
        path: &request.path,
        query: request.query.as_deref(),
        origin: &request.origin,
        content_type,
        patient_id: auth.session.patient_id(),
    };
    if let Some(response) = served.cached(&key) {
        return response;
    }
    let base = format!(
        "{}/{}/fhir/{}",
        request.origin,
        version.name(),
        route.resource.name()
    );
    let beneficiary = auth.session.who.beneficiary();
    let asked = search::Asked::new(world, request, version, &beneficiary, &base);
    match asked.answer(route) {
        Ok(body) => {
            let response = Response::json_as(StatusCode::OK, content_type, &body);
            served.keep(&key, &response);
            response
        }
        Err(refusal) => Response::detail(refusal.status, content_type, &refusal.detail),
    }
}

/// DRF's answer to `OPTIONS` (its metadata view).
fn options(route: &Route, content_type: &str) -> Response {
    let kind = if route.id.is_some() { "Read" } else { "Search" };
    let body = json!({
        "name": format!("{} {kind}", route.resource.name()),
        "description": "",
        "renders": ["application/fhir+json", "application/json"],
        "parses": ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"],
    });
    Response::json_as(StatusCode::OK, content_type, &body)
}

/// Headers DRF adds to every response of its views.
fn with_view_headers(response: Response) -> Response {
    response
        .header(ALLOW, "GET, HEAD, OPTIONS")
        .header(VARY, "Accept")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let read = |resource, id: &str| {
            Some(Route {
                resource,
                id: Some(id.to_owned()),
            })
        };
        let search = |resource| Some(Route { resource, id: None });
        assert_eq!(Route::parse("Patient"), search(Resource::Patient));
        assert_eq!(Route::parse("Patient/"), search(Resource::Patient));
        assert_eq!(
            Route::parse("Patient/-2014"),
            read(Resource::Patient, "-2014")
        );
        assert_eq!(
            Route::parse("Patient/-2014/_history/1"),
            read(Resource::Patient, "-2014")
        );
        assert_eq!(
            Route::parse("Coverage/part-a%2D1"),
            read(Resource::Coverage, "part-a-1")
        );
        assert_eq!(
            Route::parse("ExplanationOfBenefit/"),
            search(Resource::ExplanationOfBenefit)
        );
        assert_eq!(Route::parse("Observation"), None);
        assert_eq!(Route::parse("metadata"), None);
        assert_eq!(Route::parse("patient"), None);
    }
}

//! Which handler answers a path, BB2's URL layout (behaviour file §1.1): `/v2/o/` OAuth,
//! `/v2/connect/userinfo`, `/v2/fhir/`; Django's slash redirects; its 404 page otherwise.

use crate::api_version::ApiVersion;
use crate::discovery::Document;
use crate::exchange::{Request, Response};
use crate::fhir::{self, Route};
use crate::oauth::store::TokenStore;
use crate::oauth::{authorize, token, userinfo};
use crate::world::World;
use http::header::{ACCESS_CONTROL_REQUEST_METHOD, ALLOW, CONTENT_TYPE, ORIGIN};
use http::{HeaderName, Method, StatusCode};

/// What a path maps to.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    Authorize,
    Token,
    UserInfo,
    Discovery(Document, ApiVersion),
    Fhir(Route),
    /// Django's `APPEND_SLASH`: the path with a slash exists.
    AppendSlash,
    NotFound,
}

/// Paths that exist only with their trailing slash (`documented`: the token endpoint too).
const SLASH_ROUTES: [&str; 2] = ["/v2/o/authorize/", "/v2/o/token/"];

fn endpoint(path: &str) -> Endpoint {
    if let Some((document, version)) = Document::at(path) {
        return Endpoint::Discovery(document, version);
    }
    match path {
        "/v2/o/authorize/" => return Endpoint::Authorize,
        "/v2/o/token/" => return Endpoint::Token,
        _ => {}
    }
    // BB2's userinfo pattern has no `$`: `/userinfo`, `/userinfo/`, `/userinfoXYZ` all match.
    if path.starts_with("/v2/connect/userinfo") {
        return Endpoint::UserInfo;
    }
    if let Some(route) = path.strip_prefix("/v2/fhir/").and_then(Route::parse) {
        return Endpoint::Fhir(route);
    }
    if !path.ends_with('/')
        && SLASH_ROUTES
            .iter()
            .any(|r| r.strip_suffix('/') == Some(path))
    {
        return Endpoint::AppendSlash;
    }
    Endpoint::NotFound
}

/// The answer to `request`.
pub async fn route(world: &World, store: &TokenStore, request: &Request) -> Response {
    if is_cors_preflight(request) {
        return preflight();
    }
    match endpoint(&request.path) {
        Endpoint::Authorize => match request.method {
            Method::GET | Method::HEAD | Method::POST => {
                authorize::authorize(world, store, request).await
            }
            _ => django_view_method(request, "GET, POST, HEAD, OPTIONS"),
        },
        Endpoint::Token => match request.method {
            Method::POST => token::token(world, store, request).await,
            _ => django_view_method(request, "POST, OPTIONS"),
        },
        Endpoint::UserInfo => userinfo::userinfo(world, store, request),
        Endpoint::Discovery(document, version) => match request.method {
            Method::GET | Method::HEAD => {
                document.render(&request.origin, version, world.profile())
            }
            _ => django_view_method(request, "GET"),
        },
        Endpoint::Fhir(route) => fhir::handle(world, store, request, &route),
        Endpoint::AppendSlash => {
            let query = request
                .query
                .as_deref()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            Response::redirect(
                StatusCode::MOVED_PERMANENTLY,
                &format!("{}/{query}", request.path),
            )
        }
        Endpoint::NotFound => not_found(),
    }
}

/// Django's answer to a method a plain view does not have: `OPTIONS` lists the methods,
/// anything else is 405.
fn django_view_method(request: &Request, allowed: &str) -> Response {
    let status = if request.method == Method::OPTIONS {
        StatusCode::OK
    } else {
        StatusCode::METHOD_NOT_ALLOWED
    };
    let response = Response::empty(status).header(ALLOW, allowed);
    if status == StatusCode::OK {
        response
    } else {
        response.header(CONTENT_TYPE, "text/html; charset=utf-8")
    }
}

/// BB2's 404 page for paths it does not serve (HTML, not JSON).
pub fn not_found() -> Response {
    Response::html(
        StatusCode::NOT_FOUND,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not Found</title></head>\
         <body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body></html>\n",
    )
}

fn is_cors_preflight(request: &Request) -> bool {
    request.method == Method::OPTIONS
        && request.headers.contains_key(ORIGIN)
        && request.headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// django-cors-headers' preflight answer (`CORS_ORIGIN_ALLOW_ALL`).
fn preflight() -> Response {
    Response::empty(StatusCode::OK)
        .header(
            HeaderName::from_static("access-control-allow-headers"),
            "accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, x-csrftoken, x-requested-with",
        )
        .header(HeaderName::from_static("access-control-allow-methods"), "DELETE, GET, OPTIONS, PATCH, POST, PUT")
        .header(HeaderName::from_static("access-control-max-age"), "86400")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scopes::Resource;

    #[test]
    fn endpoints() {
        assert_eq!(endpoint("/v2/o/authorize/"), Endpoint::Authorize);
        assert_eq!(endpoint("/v2/o/authorize"), Endpoint::AppendSlash);
        assert_eq!(endpoint("/v2/o/token"), Endpoint::AppendSlash);
        assert_eq!(endpoint("/v2/connect/userinfoXYZ"), Endpoint::UserInfo);
        assert_eq!(
            endpoint("/v2/fhir/metadata"),
            Endpoint::Discovery(Document::CapabilityStatement, ApiVersion::V2)
        );
        assert_eq!(
            endpoint("/v2/fhir/Patient"),
            Endpoint::Fhir(Route {
                resource: Resource::Patient,
                id: None
            })
        );
        for path in [
            "/v1/fhir/Patient/",
            "/v3/fhir/Patient/",
            "/v2/fhir/metadata/",
            "/.well-known/smart-configuration",
            "/",
            "/v2/o/revoke/",
            "/v2/o/authoriz",
        ] {
            assert_eq!(endpoint(path), Endpoint::NotFound, "{path}");
        }
    }
}

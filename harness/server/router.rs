//! Which handler answers a path, BB2's URL layout (behaviour file §1.1): `/v2/o/` OAuth,
//! `/v2/connect/userinfo`, `/v2/fhir/`; Django's slash redirects; its 404 page otherwise.

use crate::api_version::ApiVersion;
use crate::discovery::Document;
use crate::exchange::{Request, Response};
use crate::fhir::{self, Route};
use crate::oauth::pages::{self, Pages};
use crate::oauth::store::TokenStore;
use crate::oauth::{authorize, expire_grant, introspect, revoke, token, userinfo};
use crate::scenario::{Environment, Profile};
use crate::server::page_cache::Served;
use crate::world::World;
use http::header::{ACCESS_CONTROL_REQUEST_METHOD, ALLOW, CONTENT_TYPE, ORIGIN};
use http::{HeaderName, Method, StatusCode};

/// What a path maps to.
#[derive(Debug, PartialEq, Eq)]
enum Endpoint {
    Authorize,
    Token,
    Revoke,
    RevokeToken,
    Introspect,
    /// `expire_authenticated_user/<patient_id>/`.
    ExpireUser(String),
    UserInfo,
    Discovery(Document, ApiVersion),
    Fhir(ApiVersion, Route),
    /// `/robots.txt`.
    Robots,
    /// The login page of interactive mode (`/mymedicare/login`).
    Login,
    /// The consent page of interactive mode (`/{v}/o/authorize/<uuid>/`), with the segment.
    Consent(String),
    /// Django's `APPEND_SLASH`: the path with a slash exists.
    AppendSlash,
    NotFound,
}

/// BB2's `robots.txt` (behaviour file §1.1).
const ROBOTS: &str = "User-agent: *\nDisallow: /v1/o/\nDisallow: /v2/o/\nDisallow: /v3/o/";

/// The sandbox helper's path below `/{v}/`; the patient id (`[-0-9]+`) and a slash follow.
const EXPIRE_USER: &str = "o/expire_authenticated_user/";

/// The `/{v}/o/` endpoints that exist only with their trailing slash (authorize, revoke,
/// revoke_token, introspect), per profile: in `documented` the token endpoint too (behaviour
/// file §0.1, DESIGN "Profiles").
fn slash_only(rest: &str, profile: Profile) -> bool {
    match rest {
        "o/authorize/" | "o/revoke/" | "o/revoke_token/" | "o/introspect/" => true,
        "o/token/" => profile == Profile::Documented,
        _ => false,
    }
}

fn endpoint(path: &str, profile: Profile) -> Endpoint {
    if let Some((document, version)) = Document::at(path) {
        return Endpoint::Discovery(document, version);
    }
    match path {
        "/robots.txt" => return Endpoint::Robots,
        "/mymedicare/login" => return Endpoint::Login,
        _ => {}
    }
    let Some((version, rest)) = ApiVersion::split_path(path) else {
        return Endpoint::NotFound;
    };
    match rest {
        "o/authorize/" => return Endpoint::Authorize,
        "o/token/" => return Endpoint::Token,
        "o/token" if profile == Profile::Current => return Endpoint::Token,
        "o/revoke/" => return Endpoint::Revoke,
        "o/revoke_token/" => return Endpoint::RevokeToken,
        "o/introspect/" => return Endpoint::Introspect,
        _ => {}
    }
    if let Some(after) = rest.strip_prefix(EXPIRE_USER) {
        let is_id =
            |id: &str| !id.is_empty() && id.bytes().all(|b| b == b'-' || b.is_ascii_digit());
        match after.strip_suffix('/') {
            Some(id) if is_id(id) => return Endpoint::ExpireUser(id.to_owned()),
            None if is_id(after) => return Endpoint::AppendSlash,
            _ => {}
        }
    }
    // BB2's userinfo pattern has no `$`: `/userinfo`, `/userinfo/`, `/userinfoXYZ` all match.
    if rest.starts_with("connect/userinfo") {
        return Endpoint::UserInfo;
    }
    if let Some(route) = rest.strip_prefix("fhir/").and_then(Route::parse) {
        return Endpoint::Fhir(version, route);
    }
    if let Some(segment) = rest
        .strip_prefix("o/authorize/")
        .and_then(|after| after.strip_suffix('/'))
        .filter(|segment| !segment.is_empty() && !segment.contains('/'))
    {
        return Endpoint::Consent(segment.to_owned());
    }
    if !rest.ends_with('/') && slash_only(&format!("{rest}/"), profile) {
        return Endpoint::AppendSlash;
    }
    Endpoint::NotFound
}

/// What `request`'s path maps to in `world` (the sandbox helper does not exist in production).
fn endpoint_in(world: &World, request: &Request) -> Endpoint {
    match endpoint(&request.path, world.profile()) {
        Endpoint::ExpireUser(_) if world.scenario().environment == Environment::Production => {
            Endpoint::NotFound
        }
        endpoint => endpoint,
    }
}

/// Whether the built-in API has a route for `request`, i.e. [`route`] would not answer with
/// BB2's 404 page for an unknown path; `pages` as for [`route`].
pub fn has_route(world: &World, pages: Option<&Pages>, request: &Request) -> bool {
    if is_cors_preflight(request) {
        return true;
    }
    match endpoint_in(world, request) {
        Endpoint::NotFound => false,
        Endpoint::Login | Endpoint::Consent(_) => pages.is_some(),
        _ => true,
    }
}

/// The answer to `request`; `pages` are the login and consent pages of interactive mode,
/// `served` the cache of rendered FHIR answers as this request uses it.
pub async fn route(
    world: &World,
    store: &TokenStore,
    pages: Option<&Pages>,
    served: &Served<'_>,
    request: &Request,
) -> Response {
    if is_cors_preflight(request) {
        return preflight();
    }
    match endpoint_in(world, request) {
        Endpoint::Authorize => match request.method {
            Method::GET | Method::HEAD | Method::POST => {
                authorize::authorize(world, store, request, pages.is_some()).await
            }
            _ => django_view_method(request, "GET, POST, HEAD, OPTIONS"),
        },
        Endpoint::Token => match request.method {
            Method::POST => token::token(world, store, request).await,
            _ => django_view_method(request, "POST, OPTIONS"),
        },
        Endpoint::Revoke => match request.method {
            Method::POST => revoke::revoke(world, store, request).await,
            _ => django_view_method(request, "POST, OPTIONS"),
        },
        Endpoint::RevokeToken => match request.method {
            Method::POST => revoke::revoke_token(world, store, request).await,
            _ => django_view_method(request, "POST, OPTIONS"),
        },
        Endpoint::Introspect => match request.method {
            Method::GET | Method::HEAD | Method::POST => {
                introspect::introspect(world, store, request).await
            }
            _ => django_view_method(request, "GET, POST, HEAD, OPTIONS"),
        },
        Endpoint::ExpireUser(patient_id) => match request.method {
            Method::POST => {
                expire_grant::expire_authenticated_user(world, store, request, &patient_id).await
            }
            _ => django_view_method(request, "POST, OPTIONS"),
        },
        Endpoint::UserInfo => userinfo::userinfo(world, store, request),
        Endpoint::Fhir(version, route) => {
            fhir::handle(world, store, served, request, version, &route)
        }
        Endpoint::Robots => Response::with_body(StatusCode::OK, "text/plain", ROBOTS),
        Endpoint::Login => match pages {
            Some(pages) if is_page_method(&request.method) => {
                pages::login(world, pages, request).await
            }
            Some(_) => django_view_method(request, "GET, POST, HEAD, OPTIONS"),
            None => not_found(),
        },
        Endpoint::Consent(uuid) => match pages {
            Some(pages) if is_page_method(&request.method) => {
                pages::consent(world, store, pages, request, &uuid).await
            }
            Some(_) => django_view_method(request, "GET, POST, HEAD, OPTIONS"),
            None => not_found(),
        },
        Endpoint::Discovery(document, version) => match request.method {
            Method::GET | Method::HEAD => {
                document.render(&request.origin, version, world.profile())
            }
            _ => django_view_method(request, "GET"),
        },
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

fn is_page_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::POST)
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
    fn endpoints_of_both_versions() {
        let documented = |path: &str| endpoint(path, Profile::Documented);
        for v in ["v1", "v2"] {
            assert_eq!(
                documented(&format!("/{v}/o/authorize/")),
                Endpoint::Authorize
            );
            assert_eq!(
                documented(&format!("/{v}/o/authorize")),
                Endpoint::AppendSlash
            );
            assert_eq!(documented(&format!("/{v}/o/token")), Endpoint::AppendSlash);
            assert_eq!(
                documented(&format!("/{v}/connect/userinfoXYZ")),
                Endpoint::UserInfo
            );
            assert_eq!(documented(&format!("/{v}/o/revoke")), Endpoint::AppendSlash);
            assert_eq!(
                documented(&format!("/{v}/o/revoke_token/")),
                Endpoint::RevokeToken
            );
            assert_eq!(
                documented(&format!("/{v}/o/introspect")),
                Endpoint::AppendSlash
            );
            assert_eq!(
                documented(&format!(
                    "/{v}/o/expire_authenticated_user/-20140000008325/"
                )),
                Endpoint::ExpireUser("-20140000008325".into())
            );
            assert_eq!(
                documented(&format!("/{v}/o/expire_authenticated_user/-20140000008325")),
                Endpoint::AppendSlash
            );
        }
        assert_eq!(
            documented("/v1/fhir/Patient"),
            Endpoint::Fhir(
                ApiVersion::V1,
                Route {
                    resource: Resource::Patient,
                    id: None
                }
            )
        );
        assert_eq!(documented("/mymedicare/login"), Endpoint::Login);
        assert_eq!(
            documented("/v1/o/authorize/abc/"),
            Endpoint::Consent("abc".into())
        );
        assert_eq!(
            documented("/v1/fhir/metadata"),
            Endpoint::Discovery(Document::CapabilityStatement, ApiVersion::V1)
        );
        for path in [
            "/v2/o/authorize/abc",
            "/v2/o/authorize/a/b/",
            "/v3/fhir/Patient/",
            "/v3/o/token/",
            "/fhir/Patient/",
            "/v2/fhir/metadata/",
            "/.well-known/smart-configuration",
            "/",
            "/v2/o/revokes/",
            "/v2/o/expire_authenticated_user/abc/",
            "/v2/o/authoriz",
            "/v2/o/tokenx",
        ] {
            assert_eq!(documented(path), Endpoint::NotFound, "{path}");
        }
    }

    #[test]
    fn current_profile_takes_the_token_endpoint_without_its_slash() {
        assert_eq!(endpoint("/v2/o/token", Profile::Current), Endpoint::Token);
        assert_eq!(
            endpoint("/v2/o/authorize", Profile::Current),
            Endpoint::AppendSlash
        );
    }
}

//! Interactive mode (`bbh serve --interactive`): the pages a person sees between the app's
//! authorize link and its callback, in BB2's order (behaviour file §2.2 steps 6–9, §9):
//! `/v2/o/authorize/?…` → 302 `/mymedicare/login?next=…` → the login page (a stand-in for
//! Medicare.gov's) → 302 `/v2/o/authorize/<uuid>/?…` → the consent page → 302 back to the
//! app. The checks before login and the completion after consent are the automated login's
//! (`authorize::check`, `authorize::complete`), so both modes answer the same.

mod approvals;
mod html;

use crate::api_version::ApiVersion;
use crate::exchange::{Request, Response};
use crate::oauth::authorize::{self, Decision};
use crate::oauth::scopes;
use crate::oauth::store::TokenStore;
use crate::oauth::{errors, secret};
use crate::params::Params;
use crate::world::World;
use approvals::{Approvals, is_uuid};
use http::header::CACHE_CONTROL;
use http::{Method, StatusCode};

pub use html::LOGIN_ERROR;

/// The OAuth parameters the consent form carries back as hidden fields (BB2's form fields).
const FORM_FIELDS: [&str; 7] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// The login and consent pages of one server, with the logins waiting for consent.
#[derive(Debug, Default)]
pub struct Pages {
    approvals: Approvals,
}

/// BB2's answer to an authorize request that passed its checks while nobody is logged in:
/// 302 to `/mymedicare/login?next=<the authorize path and its parameters>` (a POST's body
/// parameters are merged into `next`).
pub fn to_login(authorize_path: &str, params: &Params) -> Response {
    let query = encode(params.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let next = if query.is_empty() {
        authorize_path.to_owned()
    } else {
        format!("{authorize_path}?{query}")
    };
    let location = format!("/mymedicare/login?{}", encode([("next", next.as_str())]));
    Response::redirect(StatusCode::FOUND, &location)
}

/// `GET|POST /mymedicare/login`: the login page, and its form. A good username and password
/// open an approval and go on to the consent page; a bad pair shows the page again with an
/// error.
pub async fn login(world: &World, pages: &Pages, request: &Request) -> Response {
    let params = if request.method == Method::POST {
        match Params::from_body(&request.headers, &request.body).await {
            Ok(params) => params,
            Err(_) => return errors::bad_request_text("<h1>Bad Request (400)</h1>"),
        }
    } else {
        Params::from_query(request.query.as_deref())
    };
    let next = params.get("next").unwrap_or_default();
    let Some((version, query)) = authorize_target(next) else {
        return errors::bad_request_text(
            "<h1>Bad Request (400)</h1><p>Start from the application's authorize link.</p>",
        );
    };
    let accounts: Vec<&str> = world
        .scenario()
        .beneficiaries
        .iter()
        .map(|b| b.username.as_str())
        .collect();
    if request.method != Method::POST {
        let asked = Params::from_query(Some(query));
        let username = asked
            .non_empty("login_hint")
            .unwrap_or(&world.scenario().login.username);
        return page(html::login(&html::LoginPage {
            next,
            username,
            failed: false,
            accounts: &accounts,
        }));
    }
    let username = params.get("username").unwrap_or_default().trim();
    let password = params.get("password").unwrap_or_default();
    let known = world.beneficiary(username).is_some_and(|beneficiary| {
        secret::equal(beneficiary.password.as_bytes(), password.as_bytes())
    });
    if !known {
        return page(html::login(&html::LoginPage {
            next,
            username,
            failed: true,
            accounts: &accounts,
        }));
    }
    let Ok(uuid) = pages.approvals.open(username, world.clock().now()) else {
        return errors::server_error();
    };
    let mut consent = format!("/{}/o/authorize/{uuid}/", version.name());
    if !query.is_empty() {
        consent.push('?');
        consent.push_str(query);
    }
    Response::redirect(StatusCode::FOUND, &consent)
}

/// `GET|POST /v2/o/authorize/<uuid>/`: the consent page after login, and its form. The
/// request is checked again as at `/authorize/`; an unknown or expired approval (600 s)
/// sends the browser back to the login page.
pub async fn consent(
    world: &World,
    store: &TokenStore,
    pages: &Pages,
    request: &Request,
    uuid: &str,
) -> Response {
    if !is_uuid(uuid) {
        return errors::bb2_message(StatusCode::NOT_FOUND, "Not found.");
    }
    let version = ApiVersion::split_path(&request.path).map_or(ApiVersion::V2, |(v, _)| v);
    let authorize_path = format!("/{}/o/authorize/", version.name());
    let now = world.clock().now();
    if request.method != Method::POST {
        let params = Params::from_query(request.query.as_deref());
        let Some(username) = pages.approvals.username(uuid, now) else {
            return to_login(&authorize_path, &params);
        };
        return match authorize::check(world, &params) {
            Ok(checked) => consent_page(world, request, &params, &checked, &username),
            Err(refused) => refused,
        };
    }
    // As DOT's form: the decision and the OAuth parameters come from the POST body.
    let Ok(params) = Params::from_body(&request.headers, &request.body).await else {
        return errors::bad_request_text("<h1>Bad Request (400)</h1>");
    };
    let Some(username) = pages.approvals.take(uuid, now) else {
        return to_login(&authorize_path, &params);
    };
    let checked = match authorize::check(world, &params) {
        Ok(checked) => checked,
        Err(refused) => return refused,
    };
    let is_true = |name: &str| {
        params
            .get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    let decision = Decision {
        username: &username,
        approve: is_true("allow"),
        share_demographics: is_true("share_demographic_scopes"),
    };
    authorize::complete(world, store, &params, checked, decision)
}

fn consent_page(
    world: &World,
    request: &Request,
    params: &Params,
    checked: &authorize::Checked<'_>,
    username: &str,
) -> Response {
    let app = checked.app();
    let granted =
        scopes::granted(params.get("scope"), app, true, world.profile()).unwrap_or_default();
    let has = |resource: &str| {
        granted
            .iter()
            .any(|s| s.starts_with(&format!("patient/{resource}.")))
    };
    let mut access = Vec::new();
    if has("ExplanationOfBenefit") {
        access.push(
            "Your Medicare claims: doctor visits, hospital stays, prescriptions and other services",
        );
    }
    if has("Coverage") {
        access.push("Your Medicare coverage: Parts A, B, C and D");
    }
    if has("Patient") || granted.iter().any(|s| s == "profile") {
        access.push("Your personal information: name, date of birth, sex and address");
    }
    let hidden: Vec<(&str, &str)> = FORM_FIELDS
        .iter()
        .filter_map(|&name| params.get(name).map(|value| (name, value)))
        .collect();
    page(html::consent(&html::ConsentPage {
        action: &request.path,
        app_name: &app.name,
        username,
        access: &access,
        ask_demographics: app.require_demographic_scopes,
        hidden: &hidden,
    }))
}

/// The version and query of a `next` that is an authorize URL of this server
/// (`/v2/o/authorize/?…`); anything else is refused, so the login never redirects elsewhere.
fn authorize_target(next: &str) -> Option<(ApiVersion, &str)> {
    let (path, query) = next.split_once('?').unwrap_or((next, ""));
    let (version, rest) = ApiVersion::split_path(path)?;
    (rest == "o/authorize/").then_some((version, query))
}

fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn page(html: String) -> Response {
    Response::html(StatusCode::OK, html).header(CACHE_CONTROL, "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_an_authorize_url_of_this_server() {
        assert_eq!(
            authorize_target("/v2/o/authorize/?client_id=x"),
            Some((ApiVersion::V2, "client_id=x"))
        );
        assert_eq!(
            authorize_target("/v1/o/authorize/"),
            Some((ApiVersion::V1, ""))
        );
        for bad in [
            "https://evil.example/v2/o/authorize/",
            "//evil.example/v2/o/authorize/",
            "/v2/o/token/",
            "/v3/o/authorize/",
            "/v2/o/authorize",
            "",
        ] {
            assert_eq!(authorize_target(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_login_redirect_carries_the_authorize_request() {
        let params = Params::from_query(Some("client_id=a&state=b c&redirect_uri=http://x/cb?y=1"));
        let response = to_login("/v2/o/authorize/", &params);
        assert_eq!(response.status, StatusCode::FOUND);
        let location = response
            .headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let query = location
            .strip_prefix("/mymedicare/login?")
            .unwrap_or_default();
        let next: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            next,
            [(
                "next".to_owned(),
                "/v2/o/authorize/?client_id=a&state=b+c&redirect_uri=http%3A%2F%2Fx%2Fcb%3Fy%3D1"
                    .to_owned()
            )]
        );
    }
}

//! `GET|POST /v2/o/authorize/`: the automated login. It checks the request as BB2 and
//! oauthlib do, in their order (behaviour file §2.2; `current` adds BB2's required PKCE and
//! `state` before the login and refuses public apps), logs in the scenario's beneficiary
//! (or the `login_hint` one), and redirects back with a code, or (implicit flow,
//! `documented` only, public apps registered for it) with an access token in the fragment.

use crate::exchange::{Request, Response};
use crate::oauth::client_auth::is_well_formed_client_id;
use crate::oauth::scopes::{self, Refusal};
use crate::oauth::store::{TokenStore, expiry};
use crate::oauth::{errors, grant, pages, pkce, redirect};
use crate::params::Params;
use crate::scenario::{App, ClientType, GrantType, Probe, Profile};
use crate::world::World;
use http::{HeaderName, Method, StatusCode};
use std::sync::Arc;

/// What the `tampered-state` probe appends to the client's `state` on a success redirect.
pub const TAMPERED_SUFFIX: &str = "-tampered";

/// The header the `replay-callback` probe puts on a success redirect (`bbh browse` then
/// delivers the callback twice).
pub const PROBE_HEADER: HeaderName = HeaderName::from_static("x-bbh-probe");

/// The [`PROBE_HEADER`] value of the `replay-callback` probe.
pub const REPLAY_CALLBACK: &str = "replay-callback";

/// Parameters oauthlib refuses to see twice.
const SINGLE_PARAMS: [&str; 5] = [
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
];

/// Handles an authorize request. `interactive`: a request that passes the checks goes to the
/// login page (BB2's redirect chain) instead of the automated login.
pub async fn authorize(
    world: &World,
    store: &TokenStore,
    request: &Request,
    interactive: bool,
) -> Response {
    let mut params = Params::from_query(request.query.as_deref());
    if request.method == Method::POST {
        let Ok(body) = Params::from_body(&request.headers, &request.body).await else {
            return errors::bad_request_text("<h1>Bad Request (400)</h1>");
        };
        if !body.contains("state") {
            return errors::bb2_message(StatusCode::UNAUTHORIZED, "State required in POST body.");
        }
        params.extend(body);
    }
    match check(world, &params) {
        Ok(_) if interactive => pages::to_login(&request.path, &params),
        Ok(approved) => log_in(world, store, &params, approved),
        Err(response) => response,
    }
}

/// A request that passed every check before login.
pub struct Checked<'w> {
    app: &'w App,
    redirect_uri: String,
    code_challenge: Option<String>,
    /// `response_type=token`: the answer goes in the redirect's fragment.
    implicit: bool,
}

impl Checked<'_> {
    /// The app asking for access.
    pub fn app(&self) -> &App {
        self.app
    }
}

/// What the beneficiary did on the login and consent pages.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    /// The login of the beneficiary.
    pub username: &'a str,
    /// Whether the beneficiary allowed access.
    pub approve: bool,
    /// Whether the beneficiary shares demographics.
    pub share_demographics: bool,
}

/// The checks BB2 and oauthlib run before any login, in their order; the error answer when
/// one fails.
pub fn check<'w>(world: &'w World, params: &Params) -> Result<Checked<'w>, Response> {
    let app = find_app(world, params)?;
    if params.get("scope").is_some_and(|scope| {
        scope
            .split_whitespace()
            .any(|s| s.starts_with("patient/AuditEvent."))
    }) {
        return Err(errors::bb2_message(
            StatusCode::BAD_REQUEST,
            "Invalid scopes.",
        ));
    }
    if params.contains("client_secret") {
        return Err(errors::bad_request_text(
            "Illegal query parameter [client_secret] detected",
        ));
    }
    let current = world.profile() == Profile::Current;
    if current {
        required_params(params)?;
    }
    if let Some(name) = params.first_duplicate(&SINGLE_PARAMS) {
        return Err(errors::fatal_page(
            "invalid_request",
            &format!("Duplicate {name} parameter."),
        ));
    }
    let redirect_uri = match params.non_empty("redirect_uri") {
        Some(uri) if redirect::is_allowed(uri, &registered_uris(world, app)) => uri.to_owned(),
        Some(_) => {
            return Err(errors::fatal_page(
                "invalid_request",
                "Mismatching redirect URI.",
            ));
        }
        None => match app.redirect_uris.first() {
            Some(default) => default.clone(),
            None => {
                return Err(errors::fatal_page(
                    "invalid_request",
                    "Missing redirect URI.",
                ));
            }
        },
    };
    let implicit = params.non_empty("response_type") == Some("token");
    let back = |error: &str, description: Option<&str>| {
        redirect_error(&redirect_uri, params, error, description, implicit)
    };
    match params.non_empty("response_type") {
        None => {
            return Err(back(
                "invalid_request",
                Some("Missing response_type parameter."),
            ));
        }
        Some("code")
            if !app.grant_types.contains(&GrantType::AuthorizationCode)
                || (current && app.client_type == ClientType::Public) =>
        {
            return Err(back("unauthorized_client", None));
        }
        Some("code") => {}
        // BB2 has no implicit apps (`current`); the guide's are public apps registered for it.
        Some("token")
            if current
                || app.client_type != ClientType::Public
                || !app.grant_types.contains(&GrantType::Implicit) =>
        {
            return Err(back("unauthorized_client", None));
        }
        Some("token") => {}
        Some(_) => return Err(back("unsupported_response_type", None)),
    }
    let code_challenge = params.non_empty("code_challenge").filter(|_| !implicit);
    if app.client_type == ClientType::Public && code_challenge.is_none() && !implicit {
        return Err(back("invalid_request", Some("Code challenge required.")));
    }
    if code_challenge.is_some()
        && params.non_empty("code_challenge_method").unwrap_or("plain") != pkce::S256
    {
        return Err(back(
            "invalid_request",
            Some("Transform algorithm not supported."),
        ));
    }
    if scopes::granted(params.get("scope"), app, true, world.profile()) == Err(Refusal::Invalid) {
        return Err(errors::bb2_message(
            StatusCode::BAD_REQUEST,
            "Invalid scopes.",
        ));
    }
    Ok(Checked {
        app,
        code_challenge: code_challenge.map(|c| pkce::normalize_challenge(c).to_owned()),
        redirect_uri,
        implicit,
    })
}

/// BB2's `_check_for_required_params` (`current`): S256 only, a `state` of 16 characters or
/// more, and `code_challenge`, `code_challenge_method` and `state` all present, checked in
/// that order; each refusal is a 400 JSON body.
fn required_params(params: &Params) -> Result<(), Response> {
    if params
        .non_empty("code_challenge_method")
        .is_some_and(|method| method != pkce::S256)
    {
        return Err(errors::bb2(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_challenge_method must be S256",
        ));
    }
    if params
        .non_empty("state")
        .is_some_and(|state| state.chars().count() < 16)
    {
        return Err(errors::bb2_message(
            StatusCode::BAD_REQUEST,
            "State parameter should have a minimum of 16 characters",
        ));
    }
    let missing: Vec<&str> = ["code_challenge", "code_challenge_method", "state"]
        .into_iter()
        .filter(|name| params.non_empty(name).is_none())
        .collect();
    if !missing.is_empty() {
        let message = format!("Missing Required Parameter(s): {}", missing.join(", "));
        return Err(errors::bb2_message(StatusCode::BAD_REQUEST, &message));
    }
    Ok(())
}

/// The redirect URIs the server honours for `app`: all of them in `documented`; in
/// `current` only `http` and `https` ones (BB2's `ALLOWED_REDIRECT_URI_SCHEMES`, behaviour
/// file §2.1), so a custom scheme is an unregistered URI there.
fn registered_uris(world: &World, app: &App) -> Vec<String> {
    app.redirect_uris
        .iter()
        .filter(|uri| {
            world.profile() == Profile::Documented
                || uri.starts_with("http://")
                || uri.starts_with("https://")
        })
        .cloned()
        .collect()
}

/// BB2's app lookup: unknown or malformed client ids and inactive apps get an HTML page,
/// never a redirect.
fn find_app<'w>(world: &'w World, params: &Params) -> Result<&'w App, Response> {
    let Some(client_id) = params.non_empty("client_id") else {
        return Err(errors::app_page(
            StatusCode::UNAUTHORIZED,
            "invalid_client : App id failed",
        ));
    };
    if !is_well_formed_client_id(client_id) {
        return Err(errors::app_page(
            StatusCode::BAD_REQUEST,
            "Invalid client_id format",
        ));
    }
    let app = world.app(client_id).ok_or_else(|| {
        errors::app_page(
            StatusCode::BAD_REQUEST,
            "Application does not exist (client_id)",
        )
    })?;
    if !app.active {
        let detail = format!("invalid_client : {}", grant::inactive_message(app));
        return Err(errors::app_page(StatusCode::FORBIDDEN, &detail));
    }
    Ok(app)
}

/// The automated login: the scenario's beneficiary (or the `login_hint` one) decides as the
/// scenario's `login` says.
fn log_in(world: &World, store: &TokenStore, params: &Params, checked: Checked<'_>) -> Response {
    let login = &world.scenario().login;
    let decision = Decision {
        username: params.non_empty("login_hint").unwrap_or(&login.username),
        approve: login.approve,
        share_demographics: login.share_demographics,
    };
    complete(world, store, params, checked, decision)
}

/// The beneficiary has logged in and decided; the browser goes back to the app. On success
/// the scenario's probe, if any, alters the redirect: `tampered-state` appends
/// [`TAMPERED_SUFFIX`] to the `state` the client sent (none sent: nothing to tamper with),
/// `replay-callback` adds [`PROBE_HEADER`].
pub fn complete(
    world: &World,
    store: &TokenStore,
    params: &Params,
    checked: Checked<'_>,
    decision: Decision<'_>,
) -> Response {
    let login = &world.scenario().login;
    let Some(who) = world.who(decision.username) else {
        return errors::beneficiary_not_found_page(&redirect::with_params(
            &checked.redirect_uri,
            &[("error", "not_found")],
        ));
    };
    let denied = || {
        redirect_error(
            &checked.redirect_uri,
            params,
            "access_denied",
            None,
            checked.implicit,
        )
    };
    if !decision.approve {
        return denied();
    }
    let shares = decision.share_demographics && checked.app.require_demographic_scopes;
    let profile = world.profile();
    let granted = match scopes::granted(params.get("scope"), checked.app, shares, profile) {
        Ok(granted) => granted,
        Err(_) => return denied(),
    };
    if !shares || profile == Profile::Current {
        // BB2 deletes earlier tokens of this app and beneficiary when demographics are
        // withheld, and (`current`) on every authorization.
        store.delete_tokens(&checked.app.client_id, who.patient_id());
    }
    let session = store.open_session(
        &checked.app.client_id,
        who,
        &granted.join(" "),
        grant::expires_at(checked.app, world.clock().now()),
    );
    let session_id = session.id;
    let state = params.get("state").map(|state| match login.probe {
        Some(Probe::TamperedState) => format!("{state}{TAMPERED_SUFFIX}"),
        _ => state.to_owned(),
    });
    let location = if checked.implicit {
        let now = world.clock().now();
        let scope = Arc::clone(&session.scope);
        let Ok(token) = store.issue_access(session, &scope, expiry(now, world.access_ttl())) else {
            return errors::server_error();
        };
        let expires_in = world.access_ttl().to_string();
        // oauthlib's order: BearerToken's fields, then `state`; no refresh token.
        let mut back = vec![
            ("access_token", token.as_str()),
            ("expires_in", expires_in.as_str()),
            ("token_type", "Bearer"),
            ("scope", &*scope),
        ];
        back.extend(state.as_deref().map(|state| ("state", state)));
        redirect::with_fragment(&checked.redirect_uri, &back)
    } else {
        let expires_at = expiry(world.clock().now(), world.code_ttl());
        let code = match store.issue_code(
            session,
            checked.redirect_uri.clone(),
            checked.code_challenge,
            expires_at,
        ) {
            Ok(code) => code,
            Err(_) => return errors::server_error(),
        };
        let mut back = vec![("code", code.as_str())];
        back.extend(state.as_deref().map(|state| ("state", state)));
        redirect::with_params(&checked.redirect_uri, &back)
    };
    let response = Response::redirect(StatusCode::FOUND, &location).in_session(session_id);
    match login.probe {
        Some(Probe::ReplayCallback) => response.header(PROBE_HEADER, REPLAY_CALLBACK),
        _ => response,
    }
}

/// oauthlib's error redirect: `error`, then `error_description`, then `state`; in the
/// fragment for the implicit flow.
fn redirect_error(
    redirect_uri: &str,
    params: &Params,
    error: &str,
    description: Option<&str>,
    in_fragment: bool,
) -> Response {
    let mut pairs = vec![("error", error)];
    pairs.extend(description.map(|d| ("error_description", d)));
    pairs.extend(params.get("state").map(|state| ("state", state)));
    let location = if in_fragment {
        redirect::with_fragment(redirect_uri, &pairs)
    } else {
        redirect::with_params(redirect_uri, &pairs)
    };
    Response::redirect(StatusCode::FOUND, &location)
}

//! What the flow checks share: which authorize requests start a flow, which token requests
//! are grants of which kind, which authorization issued a code, and when a token request
//! used up the code it carried.

use crate::conform::check::Level;
use crate::conform::traffic::{Authorization, TokenRequest, Traffic};
use crate::oauth::authorize::{PROBE_HEADER, REPLAY_CALLBACK};
use crate::scenario::{ClientType, Profile};

/// The level of a rule the guide makes optional for confidential apps (PKCE, `state`):
/// recommended for them in `documented`, required otherwise (DESIGN "bbh conform").
pub(super) fn optional_for_confidential_in_documented(
    profile: Profile,
    client_type: ClientType,
) -> Level {
    match (profile, client_type) {
        (Profile::Documented, ClientType::Confidential) => Level::Recommended,
        _ => Level::Required,
    }
}

/// Authorize requests that reached the authorize logic, in order: the server's redirect of a
/// slash-less `/o/authorize` to its slash form is left out, because the browser repeats that
/// request (same `state`, same challenge) right after it.
pub(super) fn flows(traffic: &Traffic) -> impl Iterator<Item = &Authorization> {
    traffic
        .authorizations
        .iter()
        .filter(|authorization| !redirected_to_authorize(authorization))
}

fn redirected_to_authorize(authorization: &Authorization) -> bool {
    (300..400).contains(&authorization.status)
        && authorization.location.as_deref().is_some_and(|location| {
            let path = location.split(['?', '#']).next().unwrap_or_default();
            path.trim_end_matches('/').ends_with("/o/authorize")
        })
}

/// Token requests with `grant_type=authorization_code`, in order.
pub(super) fn code_grants(traffic: &Traffic) -> impl Iterator<Item = &TokenRequest> {
    traffic
        .token_requests
        .iter()
        .filter(|t| t.grant_type() == Some("authorization_code"))
}

/// Token requests with `grant_type=refresh_token`, in order.
pub(super) fn refresh_grants(traffic: &Traffic) -> impl Iterator<Item = &TokenRequest> {
    traffic
        .token_requests
        .iter()
        .filter(|t| t.grant_type() == Some("refresh_token"))
}

/// The authorization whose success redirect issued `code`.
pub(super) fn issuer<'t>(traffic: &'t Traffic, code: &str) -> Option<&'t Authorization> {
    traffic
        .authorizations
        .iter()
        .find(|authorization| authorization.code() == Some(code))
}

/// Whether the server processed a token request, so that the code or refresh token it
/// carried is used up: not redirected (3xx), throttled (429) or failed on the server (5xx).
pub(super) fn processed(request: &TokenRequest) -> bool {
    !(300..400).contains(&request.status) && request.status != 429 && request.status < 500
}

/// Whether the server refused a token request: a 4xx other than 429 (a throttled request
/// may be sent again as it was).
pub(super) fn refused(request: &TokenRequest) -> bool {
    (400..500).contains(&request.status) && request.status != 429
}

/// Whether a token request used up the code it carried: the server exchanged it (200) or
/// judged the code itself (`invalid_grant`). A request refused before the code was looked at
/// (`invalid_request` such as a mismatching `redirect_uri`, `invalid_client`), throttled or
/// failed on the server leaves the code as it was (oauthlib deletes a code only once used).
fn used_up_code(request: &TokenRequest) -> bool {
    request.status == 200
        || (processed(request) && request.answer_field("error") == Some("invalid_grant"))
}

/// The first token request that used up `code`, and the first that sent it again after.
pub(super) fn second_redemption<'t>(
    traffic: &'t Traffic,
    code: &str,
) -> Option<(&'t TokenRequest, &'t TokenRequest)> {
    let mut sends = traffic
        .token_requests
        .iter()
        .filter(|t| t.form.get("code") == Some(code));
    let first = sends.by_ref().find(|t| used_up_code(t))?;
    let again = sends.next()?;
    Some((first, again))
}

/// The authorizations whose success redirect carried the `replay-callback` probe (the browser
/// delivered their callback twice), with their codes.
pub(super) fn replayed(traffic: &Traffic) -> impl Iterator<Item = (u64, &str)> {
    traffic.authorizations.iter().filter_map(|authorization| {
        let code = authorization.code()?;
        let exchange = traffic.exchange(authorization.exchange)?;
        let probe = exchange.response.headers.get(PROBE_HEADER)?;
        (probe.as_bytes() == REPLAY_CALLBACK.as_bytes()).then_some((authorization.exchange, code))
    })
}

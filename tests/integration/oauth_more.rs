//! The rest of OAuth over HTTP: revocation, introspection, the sandbox grant-expiry helper,
//! data access types, inactive apps, the `current` profile's OAuth rows, and the implicit
//! flow (behaviour file §2.2–2.12, DESIGN "Profiles").

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The built-in scenario with the confidential app changed by `app_extra` (YAML lines of
/// the app, indented 4) and `top_extra` top-level lines.
fn scenario(app_extra: &str, top_extra: &str) -> String {
    format!(
        "version: 1
name: oauth-more
{top_extra}
apps:
  - name: Mine
    client_id: {CONFIDENTIAL_ID}
    client_secret: {CONFIDENTIAL_SECRET}
    client_type: confidential
    redirect_uris: [{REDIRECT}, http://127.0.0.1/callback]
{app_extra}
  - name: Other
    client_id: {PUBLIC_ID}
    client_type: public
    grant_types: [authorization-code, implicit]
    redirect_uris: [{REDIRECT}]
"
    )
}

fn inactive_text(name: &str) -> String {
    format!(
        "This application, {name}, is temporarily inactive. If you are the app maintainer, please \
         contact the Blue Button API team. If you are a Medicare Beneficiary and need assistance, \
         please contact the support team for the application you are trying to access."
    )
}

#[tokio::test]
async fn revoke_deletes_the_whole_grant_and_always_answers_200() {
    let h = Harness::builtin("oauth-success").await;
    let first = h.tokens("").await;
    let second = h.tokens("").await;
    let unknown = h
        .post_form("/v2/o/revoke/", &[("token", "nope")], CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.body.is_empty());
    let revoked = h
        .post_form(
            "/v2/o/revoke/",
            &[("token", &string_at(&first, "access_token"))],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body.is_empty());
    for tokens in [&first, &second] {
        let call = h
            .get_with_token("/v2/fhir/Patient/", &string_at(tokens, "access_token"))
            .await;
        assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    }
    // documented: the pre-2025-11 answer to a refresh of a deleted grant.
    let again = h.refresh(&string_at(&second, "refresh_token")).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json(), json!({"error": "invalid_grant"}));

    let bad_secret = h
        .post_form(
            "/v2/o/revoke/",
            &[("token", "x")],
            Some((CONFIDENTIAL_ID, "wrong")),
        )
        .await;
    assert_eq!(bad_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_secret.json(), json!({"error": "invalid_client"}));
    let no_client = h.post_form("/v2/o/revoke/", &[("token", "x")], None).await;
    assert_eq!(no_client.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_client.json()["error_description"], "App id failed");
}

#[tokio::test]
async fn revoke_token_follows_rfc_7009_and_bb2s_checks() {
    let h = Harness::builtin("oauth-success").await;
    let tokens = h.tokens("").await;
    let access = string_at(&tokens, "access_token");
    let unknown = h
        .post_form(
            "/v2/o/revoke_token/",
            &[("token", "nope")],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.body.is_empty());

    let foreign = h
        .post_form(
            "/v2/o/revoke_token/",
            &[("token", &access), ("client_id", PUBLIC_ID)],
            None,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN);
    assert_eq!(
        foreign.json(),
        json!({"status_code": 403, "description": "Application did not have access to the provided token."})
    );
    let no_app = h
        .post_form("/v2/o/revoke_token/", &[("token", &access)], None)
        .await;
    assert_eq!(no_app.status, StatusCode::FORBIDDEN);
    assert_eq!(
        no_app.json(),
        json!({"status_code": 403, "description": "Application is not active or does not exist."})
    );

    let revoked = h
        .post_form(
            "/v2/o/revoke_token/",
            &[("token", &access)],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &access).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Revoking the access token leaves its refresh token usable.
    let refreshed = h.refresh(&string_at(&tokens, "refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    // Revoking a refresh token takes its access token too.
    let new_refresh = string_at(&refreshed.json(), "refresh_token");
    let new_access = string_at(&refreshed.json(), "access_token");
    let hinted = h
        .post_form(
            "/v2/o/revoke_token/",
            &[
                ("token", &new_refresh),
                ("token_type_hint", "refresh_token"),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(hinted.status, StatusCode::OK);
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &new_access)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        h.refresh(&new_refresh).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn introspect_answers_authenticated_clients() {
    let h = Harness::builtin("oauth-success").await;
    let tokens = h.tokens("&scope=profile%20patient/Patient.read").await;
    let access = string_at(&tokens, "access_token");
    let live = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access)],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(live.status, StatusCode::OK);
    let body = live.json();
    assert_eq!(body["active"], true);
    assert_eq!(body["scope"], "profile patient/Patient.read");
    assert_eq!(body["client_id"], CONFIDENTIAL_ID);
    assert_eq!(body["username"], "BBUser29999");
    assert!(body["exp"].as_i64().unwrap() > 1_000_000_000);

    let by_get = h
        .send(
            h.client
                .get(h.url(&format!("/v2/o/introspect/?token={access}")))
                .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET)),
        )
        .await;
    assert_eq!(by_get.json()["active"], true);

    let unknown = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", "nope")],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(unknown.json(), json!({"active": false}));
    let wrong = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access)],
            Some((CONFIDENTIAL_ID, "wrong")),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.is_empty());

    h.server.clock().advance(Duration::from_secs(36_000));
    let expired = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access)],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(expired.json(), json!({"active": false}));
}

#[tokio::test]
async fn expire_authenticated_user_deletes_the_grant() {
    let h = Harness::builtin("oauth-success").await;
    let path = format!("/v2/o/expire_authenticated_user/{JANE}/");
    let before = h.post_form(&path, &[], CONFIDENTIAL_BASIC).await;
    assert_eq!(before.status, StatusCode::NOT_FOUND);
    assert_eq!(
        before.text(),
        "Patient was Not Found. Please check the id number and try again."
    );
    let tokens = h.tokens("").await;
    let wrong = h
        .post_form(&path, &[], Some((CONFIDENTIAL_ID, "wrong")))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert!(wrong.body.is_empty());
    let done = h.post_form(&path, &[], CONFIDENTIAL_BASIC).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.text(), "success");
    let again = h.post_form(&path, &[], CONFIDENTIAL_BASIC).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.text(), "Data Access Grant was Not Found.");
    let call = h
        .get_with_token("/v2/fhir/Patient/", &string_at(&tokens, "access_token"))
        .await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);

    let no_slash = h
        .post_form(path.trim_end_matches('/'), &[], CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(no_slash.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(no_slash.location(), path);
    let get = h.get(&path).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);

    let production = Harness::yaml(&scenario("", "environment: production")).await;
    let hidden = production.post_form(&path, &[], CONFIDENTIAL_BASIC).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn trailing_slashes_per_profile() {
    let documented = Harness::builtin("oauth-success").await;
    let current = Harness::yaml(&scenario("", "profile: current")).await;
    for path in ["/v2/o/revoke", "/v2/o/revoke_token", "/v2/o/introspect"] {
        for h in [&documented, &current] {
            let reply = h
                .post_form(path, &[("token", "x")], CONFIDENTIAL_BASIC)
                .await;
            assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY, "{path}");
            assert_eq!(reply.location(), format!("{path}/"));
        }
    }
    let form = [("grant_type", "refresh_token"), ("refresh_token", "nope")];
    let documented_token = documented
        .post_form("/v2/o/token", &form, CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(documented_token.status, StatusCode::MOVED_PERMANENTLY);
    let current_token = current
        .post_form("/v2/o/token", &form, CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(current_token.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        current_token.json()["error_description"],
        "Refresh token not found."
    );
}

#[tokio::test]
async fn thirteen_month_grants_expire_on_the_virtual_clock() {
    for (profile, refresh_status, refresh_body) in [
        (
            "documented",
            StatusCode::BAD_REQUEST,
            json!({"status_code": 400, "error": "invalid_grant",
                   "error_description": format!("User data access grant expired. {REAUTH}")}),
        ),
        (
            "current",
            StatusCode::UNAUTHORIZED,
            json!({"status_code": 401, "error": "invalid_grant",
                   "error_description": format!("User access has timed out. {REAUTH}")}),
        ),
    ] {
        let h = Harness::yaml(&scenario(
            "    data_access_type: THIRTEEN_MONTH",
            &format!("profile: {profile}"),
        ))
        .await;
        let tokens = current_tokens(&h).await;
        if profile == "current" {
            let expiration = tokens["access_grant_expiration"].as_str().unwrap();
            let now = h.server.clock().now();
            let expected = now
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .checked_add(jiff::Span::new().months(13))
                .unwrap()
                .timestamp();
            let parsed: jiff::Timestamp = expiration.parse().unwrap();
            assert!(
                (parsed.as_second() - expected.as_second()).abs() <= 2,
                "{expiration}"
            );
        } else {
            assert!(tokens.get("access_grant_expiration").is_none());
        }
        // 13 months minus a day: still fine.
        h.server
            .clock()
            .advance(Duration::from_secs(394 * 86_400 - 86_400));
        let refreshed = h.refresh(&string_at(&tokens, "refresh_token")).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
        let refreshed = refreshed.json();
        h.server.clock().advance(Duration::from_secs(3 * 86_400));
        let call = h
            .get_with_token(
                "/v2/fhir/ExplanationOfBenefit/",
                &string_at(&refreshed, "access_token"),
            )
            .await;
        // The access token (1 h / 10 h) has expired too; the grant check is behind it.
        assert_eq!(call.status, StatusCode::UNAUTHORIZED);
        let late = h.refresh(&string_at(&refreshed, "refresh_token")).await;
        assert_eq!(late.status, refresh_status, "{profile}");
        assert_eq!(late.json(), refresh_body, "{profile}");
    }
}

/// A token response of the scenario's first app, PKCE and a long state (what `current`
/// requires).
async fn current_tokens(h: &Harness) -> Value {
    h.tokens("").await
}

#[tokio::test]
async fn fhir_says_access_timed_out_after_grant_expiry() {
    let h = Harness::yaml(&scenario(
        "    data_access_type: THIRTEEN_MONTH",
        "tokens: {access_ttl: 31536000}",
    ))
    .await;
    let tokens = h.tokens("").await;
    // Refresh shortly before the grant ends: the new access token outlives the grant.
    h.server.clock().advance(Duration::from_secs(390 * 86_400));
    let refreshed = h.refresh(&string_at(&tokens, "refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    let access = string_at(&refreshed.json(), "access_token");
    assert_eq!(
        h.get_with_token("/v2/fhir/Coverage/", &access).await.status,
        StatusCode::OK
    );
    h.server.clock().advance(Duration::from_secs(10 * 86_400));
    let call = h.get_with_token("/v2/fhir/Coverage/", &access).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call.json(),
        json!({"detail": format!("User access has timed out. {REAUTH}")})
    );
}

#[tokio::test]
async fn one_time_apps_cannot_refresh_and_research_never_expires() {
    for (profile, status) in [
        ("documented", StatusCode::UNAUTHORIZED),
        ("current", StatusCode::FORBIDDEN),
    ] {
        let h = Harness::yaml(&scenario(
            "    data_access_type: ONE_TIME",
            &format!("profile: {profile}"),
        ))
        .await;
        let tokens = h.tokens("").await;
        assert!(tokens["refresh_token"].is_string());
        let refused = h.refresh(&string_at(&tokens, "refresh_token")).await;
        assert_eq!(refused.status, status);
        assert_eq!(
            refused.json(),
            json!({"status_code": status.as_u16(), "error": "invalid_client",
                   "error_description": format!("Your application is not allowed to refresh tokens. {REAUTH} If your application needs to refresh tokens, contact us at BlueButtonAPI@cms.hhs.gov.")})
        );
        if profile == "current" {
            assert_eq!(tokens["expires_in"], 3600);
            let expiration = tokens["access_grant_expiration"].as_str().unwrap();
            let parsed: jiff::Timestamp = expiration.parse().unwrap();
            let delta = parsed.as_second() - h.server.clock().now().as_second();
            assert!((3598..=3601).contains(&delta), "{expiration}");
        } else {
            assert_eq!(tokens["expires_in"], 36000);
        }
    }

    let h = Harness::yaml(&scenario(
        "    data_access_type: RESEARCH_STUDY",
        "profile: current",
    ))
    .await;
    let tokens = h.tokens("").await;
    assert_eq!(tokens["access_grant_expiration"], "");
    h.server
        .clock()
        .advance(Duration::from_secs(20 * 365 * 86_400));
    let refreshed = h.refresh(&string_at(&tokens, "refresh_token")).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    let call = h
        .get_with_token(
            "/v2/fhir/Patient/",
            &string_at(&refreshed.json(), "access_token"),
        )
        .await;
    assert_eq!(call.status, StatusCode::OK);
}

#[tokio::test]
async fn current_refresh_of_a_deleted_grant_cannot_be_found() {
    let h = Harness::yaml(&scenario("", "profile: current")).await;
    let tokens = h.tokens("").await;
    let path = format!("/v2/o/expire_authenticated_user/{JANE}/");
    assert_eq!(
        h.post_form(&path, &[], CONFIDENTIAL_BASIC).await.status,
        StatusCode::OK
    );
    let refused = h.refresh(&string_at(&tokens, "refresh_token")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json(),
        json!({"status_code": 403, "error": "invalid_grant",
               "error_description": format!("User access cannot be found. {REAUTH}")})
    );
}

#[tokio::test]
async fn inactive_apps_are_refused_everywhere() {
    let h = Harness::yaml(&scenario("    active: false", "")).await;
    let page = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}"
        ))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.text()
            .contains(&format!("invalid_client : {}", inactive_text("Mine")))
    );
    let token = h
        .token_form(
            &[("grant_type", "authorization_code"), ("code", "x")],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(token.status, StatusCode::FORBIDDEN);
    assert_eq!(
        token.json(),
        json!({"status_code": 403, "error": "invalid_client", "error_description": inactive_text("Mine")})
    );
    let revoke = h
        .post_form("/v2/o/revoke_token/", &[("token", "x")], CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(revoke.status, StatusCode::FORBIDDEN);
    assert_eq!(
        revoke.json(),
        json!({"status_code": 403, "description": "Application is not active or does not exist."})
    );
}

fn authorize_query(client_id: &str, extra: &str) -> String {
    format!("client_id={client_id}&redirect_uri={REDIRECT}&response_type=code{extra}")
}

#[tokio::test]
async fn current_requires_pkce_and_state_before_login() {
    let h = Harness::yaml(&scenario("", "profile: current")).await;
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    let cases = [
        (
            format!("&state={STATE}&code_challenge={challenge}&code_challenge_method=plain"),
            json!({"status_code": 400, "error": "invalid_request", "error_description": "code_challenge_method must be S256"}),
        ),
        (
            "&state=short".to_owned(),
            json!({"status_code": 400, "message": "State parameter should have a minimum of 16 characters"}),
        ),
        (
            String::new(),
            json!({"status_code": 400, "message": "Missing Required Parameter(s): code_challenge, code_challenge_method, state"}),
        ),
        (
            format!("&code_challenge={challenge}"),
            json!({"status_code": 400, "message": "Missing Required Parameter(s): code_challenge_method, state"}),
        ),
    ];
    for (extra, body) in cases {
        let reply = h.authorize(&authorize_query(CONFIDENTIAL_ID, &extra)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{extra}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.json(), body, "{extra}");
    }
    // documented keeps oauthlib's redirect for a confidential app without PKCE or state.
    let documented = Harness::builtin("oauth-success").await;
    let reply = documented
        .authorize(&authorize_query(CONFIDENTIAL_ID, ""))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert!(reply.location_params().contains_key("code"));
}

#[tokio::test]
async fn current_refuses_public_apps() {
    let h = Harness::yaml(&scenario("", "profile: current")).await;
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    let reply = h
        .authorize(&authorize_query(
            PUBLIC_ID,
            &format!("&state={STATE}&code_challenge={challenge}&code_challenge_method=S256"),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let params = reply.location_params();
    assert_eq!(params["error"], "unauthorized_client");
    assert_eq!(params["state"], STATE);
    let token = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("client_id", PUBLIC_ID),
            ],
            None,
        )
        .await;
    assert_eq!(token.status, StatusCode::UNAUTHORIZED);
    assert_eq!(token.json(), json!({"error": "invalid_client"}));
    assert_eq!(
        token.header("www-authenticate"),
        Some("Bearer error=\"invalid_client\"")
    );
}

#[tokio::test]
async fn current_grants_the_condensed_scope_string() {
    let h = Harness::yaml(&scenario("", "profile: current")).await;
    let all = "openid%20profile%20launch/patient%20patient/Patient.r%20patient/Patient.s\
               %20patient/ExplanationOfBenefit.rs%20patient/Coverage.rs%20patient/Coverage.s";
    let tokens = h.tokens(&format!("&scope={all}")).await;
    assert_eq!(
        tokens["scope"],
        "patient/Patient.rs patient/ExplanationOfBenefit.rs patient/Coverage.rs launch/patient openid profile"
    );
    assert_eq!(tokens["expires_in"], 3600);
    let documented = Harness::builtin("oauth-success").await;
    let tokens = documented.tokens(&format!("&scope={all}")).await;
    assert_eq!(
        tokens["scope"],
        "openid profile launch/patient patient/Patient.r patient/Patient.s \
         patient/ExplanationOfBenefit.rs patient/Coverage.rs patient/Coverage.s"
    );
}

#[tokio::test]
async fn re_authorization_revokes_earlier_tokens_only_in_current() {
    for (profile, earlier_status) in [
        ("documented", StatusCode::OK),
        ("current", StatusCode::UNAUTHORIZED),
    ] {
        let h = Harness::yaml(&scenario("", &format!("profile: {profile}"))).await;
        let first = h.tokens("").await;
        let second = h.tokens("").await;
        let earlier = h
            .get_with_token("/v2/fhir/Patient/", &string_at(&first, "access_token"))
            .await;
        assert_eq!(earlier.status, earlier_status, "{profile}");
        let latest = h
            .get_with_token("/v2/fhir/Patient/", &string_at(&second, "access_token"))
            .await;
        assert_eq!(latest.status, StatusCode::OK, "{profile}");
        if profile == "current" {
            let old_refresh = h.refresh(&string_at(&first, "refresh_token")).await;
            assert_eq!(old_refresh.status, StatusCode::BAD_REQUEST);
            assert_eq!(
                old_refresh.json()["error_description"],
                "Refresh token not found."
            );
        }
    }
}

/// The parameters of a redirect's fragment.
fn fragment_params(location: &str) -> Vec<(String, String)> {
    let fragment = location.split_once('#').map(|(_, f)| f).unwrap_or_default();
    form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect()
}

#[tokio::test]
async fn implicit_flow_puts_the_token_in_the_fragment() {
    let h = Harness::builtin("oauth-success").await;
    let reply = h
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=token&state={STATE}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text());
    let location = reply.location();
    assert!(
        location.starts_with(&format!("{REDIRECT}#access_token=")),
        "{location}"
    );
    let params = fragment_params(&location);
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["access_token", "expires_in", "token_type", "scope", "state"]
    );
    let value = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(value("expires_in"), "36000");
    assert_eq!(value("token_type"), "Bearer");
    assert_eq!(
        value("scope"),
        "profile patient/Patient.read patient/ExplanationOfBenefit.read patient/Coverage.read"
    );
    assert!(
        location.contains("scope=profile+patient%2FPatient.read+"),
        "{location}"
    );
    assert_eq!(value("state"), STATE);
    let token = value("access_token");
    assert_eq!(token.len(), 30);
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), &token)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
    // No refresh token exists for it.
    let refused = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
                ("client_id", PUBLIC_ID),
            ],
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["error_description"],
        "Refresh token not found."
    );
}

#[tokio::test]
async fn implicit_is_only_for_public_apps_registered_for_it_and_never_in_current() {
    let unauthorized = |reply: &Reply| {
        assert_eq!(reply.status, StatusCode::FOUND);
        let location = reply.location();
        assert!(!location.contains('?'), "{location}");
        let params = fragment_params(&location);
        assert_eq!(
            params,
            [
                ("error".to_owned(), "unauthorized_client".to_owned()),
                ("state".to_owned(), STATE.to_owned())
            ]
        );
    };
    let h = Harness::builtin("oauth-success").await;
    let confidential = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=token&state={STATE}"
        ))
        .await;
    unauthorized(&confidential);

    let current = Harness::yaml(&scenario("", "profile: current")).await;
    let challenge = bluebutton_harness::oauth::pkce::s256_challenge(VERIFIER);
    let reply = current
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=token&state={STATE}\
             &code_challenge={challenge}&code_challenge_method=S256"
        ))
        .await;
    unauthorized(&reply);

    let denied = Harness::yaml(&format!("{}login: {{approve: false}}\n", scenario("", ""))).await;
    let reply = denied
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=token&state={STATE}"
        ))
        .await;
    assert_eq!(
        fragment_params(&reply.location()),
        [
            ("error".to_owned(), "access_denied".to_owned()),
            ("state".to_owned(), STATE.to_owned())
        ]
    );
}

#[tokio::test]
async fn registration_rules_of_redirect_uris() {
    use bluebutton_harness::scenario::{self, Source};
    let text = format!(
        "version: 1
name: registration
environment: production
apps:
  - name: Mine
    client_id: {CONFIDENTIAL_ID}
    client_secret: {CONFIDENTIAL_SECRET}
    client_type: confidential
    redirect_uris: \"http://127.0.0.1/callback http://app.example/cb\"
  - name: Native
    client_id: {PUBLIC_ID}
    client_type: public
    redirect_uris:
      - gov.cms.bluebutton.oauthtester:/callback
      - https://app.example/cb#frag
"
    );
    let errors = scenario::parse(&text, Source::Builtin("registration")).unwrap_err();
    let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errors,
        [
            "<built-in registration>:9:20: apps[0].redirect_uris: redirect URI \
             `http://app.example/cb` uses plain http, which production allows only for loopback \
             hosts (127.0.0.1, [::1], localhost): use https",
            "<built-in registration>:15:9: apps[1].redirect_uris[1]: redirect URI \
             `https://app.example/cb#frag` has a fragment (`#`), which OAuth forbids",
        ]
    );

    // A sandbox app registered with one string uses every URI of it.
    let h = Harness::yaml(&format!(
        "version: 1
name: one-string
apps:
  - name: Mine
    client_id: {CONFIDENTIAL_ID}
    client_secret: {CONFIDENTIAL_SECRET}
    client_type: confidential
    redirect_uris: \"http://app.example/cb\\n{REDIRECT}\"
"
    ))
    .await;
    let code = h.code("").await;
    assert_eq!(h.exchange(&code).await.status, StatusCode::OK);
    let other = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri=http://evil.example/cb&response_type=code"
        ))
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert_eq!(other.header("location"), None);
}

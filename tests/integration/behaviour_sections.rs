//! Evidence of fidelity: one test per section of the behaviour reference (the real BB2 server,
//! i.e. the `current` profile; rows DESIGN lists as shared hold in both), each asserting the
//! exact status, the headers that matter and the exact body of the section's representative
//! rows that the other test files do not already pin down.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const CURRENT: &str = "version: 1\nname: sections\nprofile: current\n";
const FORBIDDEN: &str = "You do not have permission to perform this action.";
const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
/// The app's full scope set (every supported scope) after `condense_scopes`: `.r` + `.s`
/// become `.rs`, `.read` stays.
const ALL_SCOPES: &str = "patient/Patient.read patient/Patient.rs patient/ExplanationOfBenefit.read \
     patient/ExplanationOfBenefit.rs patient/Coverage.read patient/Coverage.rs launch/patient openid profile";
/// The v2 scopes of BB2's `FORM_OAUTH2_SCOPES_TEST_CASES`.
const V2_SCOPES: &str = "openid%20profile%20launch/patient%20patient/Patient.rs\
     %20patient/ExplanationOfBenefit.rs%20patient/Coverage.rs";

/// A server on the built-in scenario in the `current` profile (the behaviour file's server).
async fn current() -> Harness {
    Harness::yaml(CURRENT).await
}

/// A `current` scenario with the confidential app changed by `app_extra` (app lines,
/// indented 4), its redirect URIs `redirects`, and `top_extra` top-level lines.
async fn current_with(redirects: &str, app_extra: &str, top_extra: &str) -> Harness {
    Harness::yaml(&format!(
        "version: 1
name: sections
profile: current
{top_extra}
apps:
  - name: Mine
    client_id: {CONFIDENTIAL_ID}
    client_secret: {CONFIDENTIAL_SECRET}
    client_type: confidential
    redirect_uris: {redirects}
{app_extra}
"
    ))
    .await
}

async fn get_accept(h: &Harness, path: &str, token: Option<&str>, accept: &str) -> Reply {
    let mut request = h.client.get(h.url(path)).header("accept", accept);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    h.send(request).await
}

/// Status and JSON body at once, with `what` in the failure message.
fn assert_json(reply: &Reply, status: StatusCode, body: Value, what: &str) {
    assert_eq!(
        (reply.status, reply.json()),
        (status, body),
        "{what}: {}",
        reply.text()
    );
}

fn is_token(text: &str) -> bool {
    text.len() == 30 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// `%Y-%m-%dT%H:%M:%SZ`.
fn is_grant_instant(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && [4, 7].iter().all(|&i| b[i] == b'-')
        && b[10] == b'T'
        && [13, 16].iter().all(|&i| b[i] == b':')
        && b[19] == b'Z'
        && text.parse::<jiff::Timestamp>().is_ok()
}

fn entry_ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| string_at(&e["resource"], "id"))
                .collect()
        })
        .unwrap_or_default()
}

fn relations(bundle: &Value) -> Vec<(String, String)> {
    bundle["link"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (string_at(l, "relation"), string_at(l, "url")))
        .collect()
}

// §1.1 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s1_1_endpoint_table() {
    let h = current().await;
    let token = h.access_token().await;
    // FHIR regexes are unanchored: with or without the slash, and anything after the id.
    for (path, resource_type) in [
        (format!("/v2/fhir/Patient/{JANE}/"), "Patient"),
        ("/v2/fhir/Patient".to_owned(), "Bundle"),
        (format!("/v2/fhir/Patient?_id={JANE}"), "Bundle"),
        ("/v2/fhir/Coverage".to_owned(), "Bundle"),
        (format!("/v2/fhir/Coverage/part-a-{JANE}/"), "Coverage"),
        ("/v2/fhir/ExplanationOfBenefit".to_owned(), "Bundle"),
    ] {
        let reply = h.get_with_token(&path, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["resourceType"], resource_type, "{path}");
    }
    // Userinfo has no `$`.
    for path in [
        "/v2/connect/userinfo",
        "/v2/connect/userinfo/",
        "/v2/connect/userinfoXYZ",
    ] {
        let reply = h.get_with_token(path, &token).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["sub"], JANE, "{path}");
    }
    // Slashes of the /o/ endpoints in `current`: 301 keeping the query, token accepts both.
    let moved = h.get("/v2/o/authorize?client_id=x&state=y").await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(moved.location(), "/v2/o/authorize/?client_id=x&state=y");
    for path in ["/v2/o/token", "/v2/o/token/"] {
        let reply = h
            .post_form(
                path,
                &[("grant_type", "refresh_token"), ("refresh_token", "x")],
                CONFIDENTIAL_BASIC,
            )
            .await;
        assert_json(
            &reply,
            StatusCode::BAD_REQUEST,
            json!({"status_code": 400, "error": "invalid_request", "error_description": "Refresh token not found."}),
            path,
        );
    }
    let get_token = h.get("/v2/o/token/").await;
    assert_eq!(get_token.status, StatusCode::METHOD_NOT_ALLOWED);
    // Unknown paths (including a non-numeric patient id for the expiry helper): the HTML 404.
    for path in [
        "/v2/o/expire_authenticated_user/abc/",
        "/v2/fhir/Practitioner/",
        "/.well-known/jwks.json",
    ] {
        let reply = h.send(h.client.post(h.url(path))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(reply.text().contains("<h1>Not Found</h1>"), "{path}");
    }
    let robots = h.get("/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(
        robots
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        robots.text(),
        "User-agent: *\nDisallow: /v1/o/\nDisallow: /v2/o/\nDisallow: /v3/o/"
    );
}

// §2.2 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_2_authorize_request() {
    let h = current().await;
    let json_400 = |message: &str| json!({"status_code": 400, "message": message});
    // The order of the checks: app, AuditEvent scope, client_secret, then the PKCE/state checks.
    let unknown = h
        .authorize(&format!(
            "client_id={}&response_type=code&scope=patient/AuditEvent.rs&client_secret=x",
            "A".repeat(40)
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        unknown
            .text()
            .contains("Application does not exist (client_id)")
    );

    let audit = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&response_type=code&scope=patient/AuditEvent.rs&client_secret=x"
        ))
        .await;
    assert_json(
        &audit,
        StatusCode::BAD_REQUEST,
        json_400("Invalid scopes."),
        "audit",
    );
    assert_eq!(audit.header("content-type"), Some("application/json"));

    let secret = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&response_type=code&client_secret=x"
        ))
        .await;
    assert_eq!(secret.status, StatusCode::BAD_REQUEST);
    assert!(
        secret
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        secret.text(),
        "Illegal query parameter [client_secret] detected"
    );

    // Missing code_challenge and a 10-character state: the state message wins.
    let short = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state=0123456789"
        ))
        .await;
    assert_json(
        &short,
        StatusCode::BAD_REQUEST,
        json_400("State parameter should have a minimum of 16 characters"),
        "short state",
    );
    let only_state = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}"
        ))
        .await;
    assert_json(
        &only_state,
        StatusCode::BAD_REQUEST,
        json_400("Missing Required Parameter(s): code_challenge, code_challenge_method"),
        "no PKCE",
    );

    // A POST to the base URL without `state` in the body: 401, before the app lookup.
    let post_no_state = h
        .send(
            h.client
                .post(h.url(&format!("/v2/o/authorize/?state={STATE}")))
                .form(&[("response_type", "code")]),
        )
        .await;
    assert_json(
        &post_no_state,
        StatusCode::UNAUTHORIZED,
        json!({"status_code": 401, "message": "State required in POST body."}),
        "POST without state",
    );

    // Approve: 302 to redirect_uri?code=<30 chars>&state=<state>.
    let approved = h.authorize(&pkce_query(REDIRECT, "")).await;
    assert_eq!(approved.status, StatusCode::FOUND);
    let location = approved.location();
    let code = approved.location_params()["code"].clone();
    assert!(is_token(&code), "{code}");
    assert_eq!(location, format!("{REDIRECT}?code={code}&state={STATE}"));

    // Deny: 302 to redirect_uri?error=access_denied&state=<state>.
    let denying = Harness::yaml(&format!("{CURRENT}login: {{approve: false}}\n")).await;
    let denied = denying.authorize(&pkce_query(REDIRECT, "")).await;
    assert_eq!(denied.status, StatusCode::FOUND);
    assert_eq!(
        denied.location(),
        format!("{REDIRECT}?error=access_denied&state={STATE}")
    );
}

// §2.3 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_3_scopes() {
    let h = current().await;
    // No `scope`: the app's full set, condensed.
    let all = h.tokens("").await;
    assert_eq!(all["scope"], ALL_SCOPES);
    let v2 = h.tokens(&format!("&scope={V2_SCOPES}")).await;
    assert_eq!(
        v2["scope"],
        "patient/Patient.rs patient/ExplanationOfBenefit.rs patient/Coverage.rs launch/patient openid profile"
    );
    // `.read` is left as is by condense_scopes.
    let read = h
        .tokens("&scope=patient/Coverage.read%20patient/ExplanationOfBenefit.r%20patient/ExplanationOfBenefit.s")
        .await;
    assert_eq!(
        read["scope"],
        "patient/ExplanationOfBenefit.rs patient/Coverage.read"
    );

    // `.s` permits search only; `.r` read only.
    let search_only = h.tokens("&scope=patient/Coverage.s").await;
    let token = string_at(&search_only, "access_token");
    assert_eq!(
        h.get_with_token("/v2/fhir/Coverage/", &token).await.status,
        StatusCode::OK
    );
    let read_refused = h
        .get_with_token(&format!("/v2/fhir/Coverage/part-a-{JANE}"), &token)
        .await;
    assert_json(
        &read_refused,
        StatusCode::FORBIDDEN,
        json!({"detail": FORBIDDEN}),
        ".s read",
    );

    // Declined demographics: Patient scopes and `profile` go; openid, launch/patient stay.
    let declined = Harness::yaml(&format!("{CURRENT}login: {{share_demographics: false}}\n")).await;
    let tokens = declined.tokens(&format!("&scope={V2_SCOPES}")).await;
    assert_eq!(
        tokens["scope"],
        "patient/ExplanationOfBenefit.rs patient/Coverage.rs launch/patient openid"
    );
    assert_eq!(tokens["patient"], JANE);
    let token = string_at(&tokens, "access_token");
    for path in [
        format!("/v2/fhir/Patient/{JANE}"),
        "/v2/connect/userinfo".to_owned(),
    ] {
        let reply = declined.get_with_token(&path, &token).await;
        assert_json(
            &reply,
            StatusCode::FORBIDDEN,
            json!({"detail": FORBIDDEN}),
            &path,
        );
    }
    for path in ["/v2/fhir/Coverage/", "/v2/fhir/ExplanationOfBenefit/"] {
        assert_eq!(
            declined.get_with_token(path, &token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

// §2.4 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_4_redirect_uri_matching() {
    let h = current_with(
        "[http://localhost:8080/cb?app=1, http://127.0.0.1/callback]",
        "",
        "",
    )
    .await;
    // Extra query parameters are allowed and kept; the registered ones must be there.
    let extra = h
        .authorize(&pkce_query("http://localhost:8080/cb?app=1%26x=2", ""))
        .await;
    assert_eq!(extra.status, StatusCode::FOUND, "{}", extra.text());
    let params = extra.location_params();
    assert!(
        extra
            .location()
            .starts_with("http://localhost:8080/cb?app=1&x=2&code="),
        "{}",
        extra.location()
    );
    assert_eq!(params["state"], STATE);
    // A loopback IP registered without a port matches any port.
    let any_port = h
        .authorize(&pkce_query("http://127.0.0.1:53682/callback", ""))
        .await;
    assert_eq!(any_port.status, StatusCode::FOUND);
    assert!(
        any_port
            .location()
            .starts_with("http://127.0.0.1:53682/callback?code=")
    );
    // Anything else: an HTML error page, never a redirect.
    for redirect in [
        "http://localhost:8080/cb",
        "http://localhost:8081/cb?app=1",
        "http://localhost:8080/cb2?app=1",
        "https://localhost:8080/cb?app=1",
        "http://localhost/callback",
    ] {
        let reply = h.authorize(&pkce_query(redirect, "")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{redirect}");
        assert_eq!(reply.header("location"), None, "{redirect}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{redirect}"
        );
    }
    // Token: omitted redirect_uri means the first registered one, so it works only if that
    // one was used at authorize.
    for (redirect, expected) in [
        (
            "http://127.0.0.1:53682/callback",
            Some(
                json!({"error": "invalid_request", "error_description": "Mismatching redirect URI."}),
            ),
        ),
        ("http://localhost:8080/cb?app=1", None),
    ] {
        let reply = h.authorize(&pkce_query(redirect, "")).await;
        let code = reply.location_params()["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", VERIFIER),
        ];
        let exchanged = h.token_form(&form, CONFIDENTIAL_BASIC).await;
        match expected {
            Some(body) => assert_json(&exchanged, StatusCode::BAD_REQUEST, body, redirect),
            None => assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text()),
        }
    }
}

// §2.5 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_5_token_client_auth_and_body() {
    let h = current().await;
    let oauth_headers = |reply: &Reply, what: &str| {
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{what}"
        );
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
        assert_eq!(reply.header("pragma"), Some("no-cache"), "{what}");
    };
    // Credentials in the body only.
    let code = h.code("").await;
    let ok = h.exchange(&code).await;
    assert_eq!(ok.status, StatusCode::OK);
    oauth_headers(&ok, "success");

    let code = h.code("").await;
    let code_form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let wrong = h
        .token_form(&code_form, Some((CONFIDENTIAL_ID, "wrong")))
        .await;
    assert_json(
        &wrong,
        StatusCode::UNAUTHORIZED,
        json!({"error": "invalid_client"}),
        "bad secret",
    );
    assert_eq!(
        wrong.header("www-authenticate"),
        Some("Bearer error=\"invalid_client\"")
    );
    oauth_headers(&wrong, "bad secret");

    let other = "B".repeat(40);
    let different = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", &other),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_json(
        &different,
        StatusCode::BAD_REQUEST,
        json!({"status_code": 400, "error": "invalid_request", "error_description": "different app in headers than in request data"}),
        "two apps",
    );

    let query = h
        .send(
            h.client
                .post(h.url("/v2/o/token/?grant_type=refresh_token"))
                .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
                .form(&[("refresh_token", "x")]),
        )
        .await;
    assert_json(
        &query,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_request", "error_description": "URL query parameters are not allowed"}),
        "query",
    );

    // JSON bodies are not read: no grant_type.
    let code = h.code("").await;
    let json_body = h
        .send(
            h.client
                .post(h.url("/v2/o/token/"))
                .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
                .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER})),
        )
        .await;
    assert_json(
        &json_body,
        StatusCode::BAD_REQUEST,
        json!({"error": "unsupported_grant_type"}),
        "JSON body",
    );
}

// §2.6 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_6_grant_types() {
    let h = current().await;
    for (form, status, body) in [
        (
            vec![
                ("grant_type", "password"),
                ("username", "BBUser29999"),
                ("password", "PW29999!"),
            ],
            StatusCode::BAD_REQUEST,
            json!({"error": "unauthorized_client"}),
        ),
        (
            vec![("grant_type", "implicit")],
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        ),
        (
            vec![("code", "x")],
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        ),
    ] {
        let reply = h.token_form(&form, CONFIDENTIAL_BASIC).await;
        assert_json(&reply, status, body, &format!("{form:?}"));
    }
    // client_credentials is v3-only: BB2's own refusals (the file gives the list's names,
    // not their order).
    let missing = h
        .token_form(&[("grant_type", "client_credentials")], CONFIDENTIAL_BASIC)
        .await;
    assert_eq!(
        missing.status,
        StatusCode::BAD_REQUEST,
        "{}",
        missing.text()
    );
    let body = missing.json();
    let keys = keys(&body);
    assert_eq!(
        (keys, &body["status_code"]),
        (vec!["status_code", "message"], &json!(400))
    );
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Missing Required Parameter(s): "),
        "{message}"
    );
    for name in ["scope", "client_assertion_type", "client_assertion"] {
        assert!(
            message.split([' ', ',']).any(|word| word == name),
            "{message}"
        );
    }
    let assertion = h
        .token_form(
            &[
                ("grant_type", "client_credentials"),
                ("scope", "patient/Patient.rs"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", "e30.e30.sig"),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(
        assertion.status,
        StatusCode::FORBIDDEN,
        "{}",
        assertion.text()
    );
    let body = assertion.json();
    assert_eq!(body["status_code"], 403);
    assert!(body["message"].is_string(), "{body}");
}

// §2.7 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_7_code_exchange() {
    let h = current().await;
    let tokens = h
        .tokens("&scope=openid%20profile%20patient/Patient.rs")
        .await;
    let keys = keys(&tokens);
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "token_type",
            "scope",
            "refresh_token",
            "patient",
            "access_grant_expiration"
        ],
        "field order and no id_token even with openid"
    );
    assert!(is_token(&string_at(&tokens, "access_token")));
    assert!(is_token(&string_at(&tokens, "refresh_token")));
    assert_eq!(tokens["expires_in"], json!(3600));
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "patient/Patient.rs openid profile");
    assert_eq!(tokens["patient"], JANE);
    assert!(
        is_grant_instant(&string_at(&tokens, "access_grant_expiration")),
        "{tokens}"
    );

    let basic = CONFIDENTIAL_BASIC;
    let code = h.code("").await;
    for (form, body) in [
        (
            vec![
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            json!({"error": "invalid_request", "error_description": "Missing code parameter."}),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
            json!({"error": "invalid_request", "error_description": "Code verifier required."}),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
                ),
            ],
            json!({"error": "invalid_grant"}),
        ),
        (
            vec![
                ("grant_type", "authorization_code"),
                ("code", "unknown"),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            json!({"error": "invalid_grant"}),
        ),
    ] {
        let reply = h.token_form(&form, basic).await;
        assert_json(&reply, StatusCode::BAD_REQUEST, body, &format!("{form:?}"));
    }
    // Client identification rows with their BB2 bodies.
    let no_client = h
        .token_form(
            &[("grant_type", "authorization_code"), ("code", &code)],
            None,
        )
        .await;
    assert_json(
        &no_client,
        StatusCode::UNAUTHORIZED,
        json!({"status_code": 401, "error": "invalid_client", "error_description": "App id failed"}),
        "no client",
    );
    let unknown_basic = h
        .token_form(
            &[("grant_type", "authorization_code"), ("code", &code)],
            Some((&"C".repeat(40), "x")),
        )
        .await;
    assert_json(
        &unknown_basic,
        StatusCode::UNAUTHORIZED,
        json!({"status_code": 401, "error": "invalid_client", "error_description": "Application does not exist"}),
        "unknown Basic client",
    );
    let malformed = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", "short"),
            ],
            None,
        )
        .await;
    assert_json(
        &malformed,
        StatusCode::BAD_REQUEST,
        json!({"status_code": 400, "error": "invalid_client", "error_description": "Invalid client_id format"}),
        "malformed client_id",
    );
    // After all that, the code still works once, and only once (60 s life is elsewhere).
    assert_eq!(h.exchange(&code).await.status, StatusCode::OK);
    assert_json(
        &h.exchange(&code).await,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant"}),
        "reuse",
    );
}

// §2.8 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_8_refresh() {
    let h = current().await;
    let tokens = h.tokens("").await;
    let old_access = string_at(&tokens, "access_token");
    let old_refresh = string_at(&tokens, "refresh_token");
    // NSDK style: Basic plus client_id in the body; narrowing .rs to .s is allowed.
    let refreshed = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &old_refresh),
                ("client_id", CONFIDENTIAL_ID),
                ("scope", "patient/Patient.s patient/Coverage.rs"),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    assert_eq!(refreshed.header("cache-control"), Some("no-store"));
    let new = refreshed.json();
    let keys = keys(&new);
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "token_type",
            "scope",
            "refresh_token",
            "patient",
            "access_grant_expiration"
        ]
    );
    assert_eq!(new["scope"], "patient/Patient.s patient/Coverage.rs");
    assert_eq!(new["patient"], JANE);
    assert_eq!(new["expires_in"], json!(3600));
    assert_ne!(string_at(&new, "refresh_token"), old_refresh);
    // The refresh does not move the grant's expiry.
    assert_eq!(
        new["access_grant_expiration"],
        tokens["access_grant_expiration"]
    );

    // Rotation: the old pair is dead.
    let old = h.get_with_token("/v2/fhir/Coverage/", &old_access).await;
    assert_json(
        &old,
        StatusCode::UNAUTHORIZED,
        json!({"detail": NO_CREDENTIALS}),
        "old access token",
    );
    assert_json(
        &h.refresh(&old_refresh).await,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant"}),
        "reused refresh",
    );
    // Refresh works any time, even long after the access token expired.
    h.server.clock().advance(Duration::from_secs(30 * 86_400));
    let later = h.refresh(&string_at(&new, "refresh_token")).await;
    assert_eq!(later.status, StatusCode::OK, "{}", later.text());
    assert_eq!(
        later.json()["scope"],
        "patient/Patient.s patient/Coverage.rs"
    );
    // Widening is refused: the original scope of a refresh token is its access token's
    // (DOT `get_original_scopes`), here the narrowed one.
    let wider = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &string_at(&later.json(), "refresh_token")),
                ("scope", "patient/ExplanationOfBenefit.rs"),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_json(
        &wider,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_scope"}),
        "wider scope",
    );
}

// §2.9 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_9_data_access_types() {
    let redirects = format!("[{REDIRECT}]");
    // (type, refresh right away, refresh after 13 months and a day)
    let one_time = json!({"status_code": 403, "error": "invalid_client",
        "error_description": format!("Your application is not allowed to refresh tokens. {REAUTH} If your application needs to refresh tokens, contact us at BlueButtonAPI@cms.hhs.gov.")});
    let timed_out = json!({"status_code": 401, "error": "invalid_grant",
        "error_description": format!("User access has timed out. {REAUTH}")});
    for (kind, now_status, now_body, late_status, late_body) in [
        (
            "ONE_TIME",
            StatusCode::FORBIDDEN,
            Some(one_time.clone()),
            StatusCode::FORBIDDEN,
            Some(one_time),
        ),
        (
            "THIRTEEN_MONTH",
            StatusCode::OK,
            None,
            StatusCode::UNAUTHORIZED,
            Some(timed_out),
        ),
        ("RESEARCH_STUDY", StatusCode::OK, None, StatusCode::OK, None),
    ] {
        let h = current_with(&redirects, &format!("    data_access_type: {kind}"), "").await;
        let first = h.tokens("").await;
        let second = h.tokens("").await;
        let expiration = string_at(&second, "access_grant_expiration");
        if kind == "RESEARCH_STUDY" {
            assert_eq!(expiration, "", "{kind}");
        } else {
            assert!(is_grant_instant(&expiration), "{kind}: {expiration}");
        }
        // (the first pair was revoked by the second authorization in `current`)
        assert_eq!(
            h.refresh(&string_at(&first, "refresh_token")).await.status,
            StatusCode::BAD_REQUEST
        );
        let now = h.refresh(&string_at(&second, "refresh_token")).await;
        assert_eq!(now.status, now_status, "{kind}: {}", now.text());
        let live = match now_body {
            Some(body) => {
                assert_eq!(now.json(), body, "{kind}");
                second
            }
            None => now.json(),
        };
        h.server.clock().advance(Duration::from_secs(396 * 86_400));
        let late = h.refresh(&string_at(&live, "refresh_token")).await;
        assert_eq!(late.status, late_status, "{kind} late: {}", late.text());
        if let Some(body) = late_body {
            assert_eq!(late.json(), body, "{kind} late");
        }
    }
}

// §2.10 --------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_10_revoke() {
    let h = current().await;
    let tokens = h.tokens("").await;
    // Credentials in the body this time; an unknown token still answers 200, empty.
    let creds = [
        ("client_id", CONFIDENTIAL_ID),
        ("client_secret", CONFIDENTIAL_SECRET),
    ];
    let unknown = h
        .post_form(
            "/v2/o/revoke/",
            &[("token", "nope"), creds[0], creds[1]],
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(unknown.body.is_empty());
    let revoked = h
        .post_form(
            "/v2/o/revoke/",
            &[
                ("token", &string_at(&tokens, "access_token")),
                creds[0],
                creds[1],
            ],
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert!(revoked.body.is_empty());
    // The whole grant is gone: FHIR 401, refresh 403 "cannot be found" (current).
    let call = h
        .get_with_token("/v2/fhir/Coverage/", &string_at(&tokens, "access_token"))
        .await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        call.header("www-authenticate"),
        Some(
            "Bearer realm=\"api\",error=\"invalid_token\",error_description=\"The access token is invalid.\""
        )
    );
    assert_json(
        &h.refresh(&string_at(&tokens, "refresh_token")).await,
        StatusCode::FORBIDDEN,
        json!({"status_code": 403, "error": "invalid_grant", "error_description": format!("User access cannot be found. {REAUTH}")}),
        "refresh after revoke",
    );
    // Bad client credentials: the token endpoint's bodies.
    let unknown_app = h
        .post_form(
            "/v2/o/revoke/",
            &[("token", "x"), ("client_id", &"D".repeat(40))],
            None,
        )
        .await;
    assert_json(
        &unknown_app,
        StatusCode::BAD_REQUEST,
        json!({"status_code": 400, "error": "invalid_client", "error_description": "Application does not exist (client_id)"}),
        "unknown app",
    );
    // revoke_token/: revoking the access token keeps the refresh token (current too).
    let tokens = h.tokens("").await;
    let only_access = h
        .post_form(
            "/v2/o/revoke_token/",
            &[("token", &string_at(&tokens, "access_token"))],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(only_access.status, StatusCode::OK);
    assert!(only_access.body.is_empty());
    assert_eq!(
        h.refresh(&string_at(&tokens, "refresh_token")).await.status,
        StatusCode::OK
    );
}

// §2.11 --------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_11_introspect() {
    let h = current().await;
    let tokens = h.tokens("").await;
    let access = string_at(&tokens, "access_token");
    let live = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access)],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(live.status, StatusCode::OK);
    assert_eq!(live.header("content-type"), Some("application/json"));
    let body = live.json();
    let exp = body["exp"].as_i64().unwrap();
    let now = h.server.clock().now().as_second();
    // Issued before `now`, for 3600 s: its expiry is after `now` and at most an hour away.
    assert!(
        (now + 1..=now + 3600).contains(&exp),
        "exp {exp}, now {now}"
    );
    assert_eq!(
        body,
        json!({"active": true, "scope": ALL_SCOPES, "exp": exp, "client_id": CONFIDENTIAL_ID, "username": "BBUser29999"})
    );
    // The refresh token can be introspected? Only access tokens are: a refresh token is unknown.
    for token in ["nope", string_at(&tokens, "refresh_token").as_str()] {
        let reply = h
            .post_form("/v2/o/introspect/", &[("token", token)], CONFIDENTIAL_BASIC)
            .await;
        assert_json(&reply, StatusCode::OK, json!({"active": false}), token);
    }
    // Not authenticated (the app named, no secret): 403, empty. No app at all: BB2's pre-check.
    let unauthenticated = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access), ("client_id", CONFIDENTIAL_ID)],
            None,
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::FORBIDDEN);
    assert!(unauthenticated.body.is_empty());
    let anonymous = h
        .post_form("/v2/o/introspect/", &[("token", &access)], None)
        .await;
    assert_json(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        json!({"status_code": 401, "error": "invalid_client", "error_description": "App id failed"}),
        "no app",
    );
    // After the access token's 3600 s: inactive.
    h.server.clock().advance(Duration::from_secs(3601));
    let expired = h
        .post_form(
            "/v2/o/introspect/",
            &[("token", &access)],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_json(
        &expired,
        StatusCode::OK,
        json!({"active": false}),
        "expired",
    );
}

// §2.12 --------------------------------------------------------------------------------------

#[tokio::test]
async fn s2_12_expire_grant() {
    let h = current().await;
    let tokens = h.tokens("").await;
    let path = format!("/v2/o/expire_authenticated_user/{JANE}/");
    let unknown = h
        .post_form(
            "/v2/o/expire_authenticated_user/-1/",
            &[],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.text(),
        "Patient was Not Found. Please check the id number and try again."
    );
    let anonymous = h.post_form(&path, &[], None).await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);
    assert!(anonymous.body.is_empty());
    // The docs send an empty body with Content-Length: 0.
    let done = h
        .send(
            h.client
                .post(h.url(&path))
                .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
                .header("content-length", "0"),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(done.text(), "success");
    let again = h.post_form(&path, &[], CONFIDENTIAL_BASIC).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.text(), "Data Access Grant was Not Found.");
    let call = h
        .get_with_token(
            "/v2/fhir/ExplanationOfBenefit/",
            &string_at(&tokens, "access_token"),
        )
        .await;
    assert_json(
        &call,
        StatusCode::UNAUTHORIZED,
        json!({"detail": NO_CREDENTIALS}),
        "FHIR after expiry",
    );
    assert_json(
        &h.refresh(&string_at(&tokens, "refresh_token")).await,
        StatusCode::FORBIDDEN,
        json!({"status_code": 403, "error": "invalid_grant", "error_description": format!("User access cannot be found. {REAUTH}")}),
        "refresh after expiry",
    );
}

// §3.1 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s3_1_processing_order() {
    let h = current().await;
    let coverage_only = string_at(
        &h.tokens("&scope=patient/Coverage.rs").await,
        "access_token",
    );
    let not_acceptable = json!({"detail": "Could not satisfy the request Accept header."});
    // 1. negotiation before authentication.
    for accept in ["text/html", "application/xml", "application/json+fhir"] {
        let reply = get_accept(&h, "/v2/fhir/Patient/", None, accept).await;
        assert_json(
            &reply,
            StatusCode::NOT_ACCEPTABLE,
            not_acceptable.clone(),
            accept,
        );
    }
    // 2. authentication (and the query-string token) before permissions and parameters.
    let no_token = h.get("/v2/fhir/ExplanationOfBenefit/?_count=51").await;
    assert_json(
        &no_token,
        StatusCode::UNAUTHORIZED,
        json!({"detail": NO_CREDENTIALS}),
        "no token",
    );
    let in_query = h
        .get_with_token(
            &format!("/v2/fhir/Patient/?access_token={coverage_only}"),
            &coverage_only,
        )
        .await;
    assert_json(
        &in_query,
        StatusCode::BAD_REQUEST,
        json!({"detail": "Using the access token in the query parameters is not supported. Use the Authorization header instead"}),
        "query token",
    );
    // 3. permissions before parameters.
    let forbidden = h
        .get_with_token(
            "/v2/fhir/ExplanationOfBenefit/?_count=51&type=nope",
            &coverage_only,
        )
        .await;
    assert_json(
        &forbidden,
        StatusCode::FORBIDDEN,
        json!({"detail": FORBIDDEN}),
        "scope first",
    );
    // 4. throttle before parameters.
    let throttled = Harness::yaml(&format!("{CURRENT}rate_limit: 1/day\n")).await;
    let token = throttled.access_token().await;
    assert_eq!(
        throttled
            .get_with_token("/v2/fhir/Coverage/", &token)
            .await
            .status,
        StatusCode::OK
    );
    let second = throttled
        .get_with_token("/v2/fhir/Coverage/?_count=51", &token)
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    // 5. parameters, then the object-level check.
    let fresh = throttled.access_token().await;
    let bad = throttled
        .get_with_token("/v2/fhir/Coverage/?_count=51", &fresh)
        .await;
    assert_json(
        &bad,
        StatusCode::BAD_REQUEST,
        json!({"detail": "value must be at most 50"}),
        "params",
    );
}

// §3.2 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s3_2_error_catalogue() {
    let h = current().await;
    let token = h.access_token().await;
    let other = h.access_token_for("BBUser20023").await;
    // (path, token, Accept, status, detail)
    let rows: Vec<(String, &str, &str, StatusCode, &str)> = vec![
        (
            "/v2/fhir/Patient/".into(),
            "unknown",
            "application/json",
            StatusCode::UNAUTHORIZED,
            NO_CREDENTIALS,
        ),
        (
            format!("/v2/fhir/Patient/{BBUSER20023}"),
            &token,
            "application/fhir+json",
            StatusCode::NOT_FOUND,
            "Not found.",
        ),
        (
            format!("/v2/fhir/Patient/?_id={BBUSER20023}"),
            &token,
            "application/json",
            StatusCode::NOT_FOUND,
            "Not found.",
        ),
        (
            format!("/v2/fhir/Coverage/part-b-{JANE}"),
            &other,
            "*/*",
            StatusCode::NOT_FOUND,
            "Not found.",
        ),
        (
            format!("/v2/fhir/ExplanationOfBenefit/?patient=Patient/{JANE}"),
            &token,
            "*/*",
            StatusCode::FORBIDDEN,
            FORBIDDEN,
        ),
        (
            format!("/v2/fhir/Coverage/?beneficiary={BBUSER20023}"),
            &token,
            "*/*",
            StatusCode::FORBIDDEN,
            FORBIDDEN,
        ),
        (
            "/v2/fhir/ExplanationOfBenefit/?type=claim".into(),
            &token,
            "*/*",
            StatusCode::BAD_REQUEST,
            "the type parameter value is not valid",
        ),
        (
            "/v2/fhir/ExplanationOfBenefit/?_lastUpdated=2020-02-13".into(),
            &token,
            "*/*",
            StatusCode::BAD_REQUEST,
            "the _lastUpdated operator is not valid",
        ),
        (
            "/v2/fhir/ExplanationOfBenefit/?service-date=eq2020-02-13".into(),
            &token,
            "*/*",
            StatusCode::BAD_REQUEST,
            "the service-date operator is not valid",
        ),
        (
            "/v2/fhir/Coverage/?_count=51".into(),
            &token,
            "application/json",
            StatusCode::BAD_REQUEST,
            "value must be at most 50",
        ),
        (
            "/v2/fhir/Patient/?_count=-1".into(),
            &token,
            "*/*",
            StatusCode::BAD_REQUEST,
            "value must be at least 0",
        ),
        (
            "/v2/fhir/ExplanationOfBenefit/?startIndex=1.5".into(),
            &token,
            "*/*",
            StatusCode::BAD_REQUEST,
            "expected int",
        ),
    ];
    for (path, token, accept, status, detail) in rows {
        let reply = get_accept(&h, &path, Some(token), accept).await;
        assert_json(&reply, status, json!({"detail": detail}), &path);
        let expected_type = if accept == "application/json" {
            "application/json"
        } else {
            "application/fhir+json"
        };
        assert_eq!(reply.header("content-type"), Some(expected_type), "{path}");
    }
}

// §3.3 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s3_3_rate_limiting() {
    let h = Harness::yaml(&format!("{CURRENT}rate_limit: 1/minute\n")).await;
    let token = h.access_token().await;
    let first = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-ratelimit-limit"), Some("1"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(first.header("x-ratelimit-reset"), Some("60.0"));
    // One second left of the window: "1 second", singular.
    h.server.clock().advance(Duration::from_secs(59));
    let second = h.get_with_token("/v2/fhir/Patient/", &token).await;
    assert_json(
        &second,
        StatusCode::TOO_MANY_REQUESTS,
        json!({"detail": "Request was throttled. Expected available in 1 second."}),
        "throttled",
    );
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(second.header("content-type"), Some("application/fhir+json"));
    // Non-throttled views carry the headers as `None`.
    let token_reply = h.refresh("nope").await;
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert_eq!(token_reply.header(name), Some("None"), "{name}");
    }
    // The window passes.
    h.server.clock().advance(Duration::from_secs(2));
    assert_eq!(
        h.get_with_token("/v2/fhir/Patient/", &token).await.status,
        StatusCode::OK
    );
}

// §3.4 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s3_4_query_parameters() {
    let h = current().await;
    let token = h.access_token_for("BBUser20023").await;
    let search = |query: String| {
        let (h, token) = (&h, &token);
        async move {
            let reply = h
                .get_with_token(&format!("/v2/fhir/ExplanationOfBenefit/?{query}"), token)
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text());
            reply.json()
        }
    };
    let plain = search(String::new()).await;
    assert_eq!(plain["total"], 148);
    // Unknown parameters, excludeSAMHSA and _format are dropped.
    for query in [
        "foo=bar",
        "excludeSAMHSA=true",
        "_format=xml",
        "_tag=x&_source=y",
    ] {
        let reply = search(query.to_owned()).await;
        assert_eq!(entry_ids(&reply), entry_ids(&plain), "{query}");
        assert_eq!(reply["total"], 148, "{query}");
    }
    // `count` is an alias of `_count`.
    assert_eq!(entry_ids(&search("count=3".into()).await).len(), 3);
    // `patient` is the own id or nothing; types are a case-insensitive union.
    assert_eq!(
        search(format!("patient={BBUSER20023}&type=Carrier,INPATIENT")).await["total"],
        45
    );
    // `_lastUpdated` is repeatable; a range around the data load time keeps everything.
    let range =
        search("_lastUpdated=gt2020-02-13T08:00:00-05:00&_lastUpdated=lt2100-01-01".into()).await;
    assert_eq!(range["total"], 148);
    let none = search("_lastUpdated=lt2020-02-13".into()).await;
    assert_eq!(none["total"], 0);
    assert!(none.get("entry").is_none());
    // Patient search without parameters finds the token's own patient.
    let patients = h.get_with_token("/v2/fhir/Patient/", &token).await.json();
    assert_eq!(patients["total"], 1);
    assert_eq!(entry_ids(&patients), [BBUSER20023]);
    // Client headers meant for BFD have no effect.
    let with_headers = h
        .send(
            h.client
                .get(h.url(&format!("/v2/fhir/Patient/{BBUSER20023}")))
                .bearer_auth(&token)
                .header("includeAddressFields", "true")
                .header("IncludeIdentifiers", "true"),
        )
        .await;
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{BBUSER20023}"), &token)
        .await;
    assert_eq!(with_headers.body, patient.body);
    let address = &patient.json()["address"][0];
    let mut keys: Vec<&str> = address
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert!(
        keys.iter()
            .all(|k| ["district", "postalCode", "state"].contains(k)),
        "{address}"
    );
}

// §4 -----------------------------------------------------------------------------------------

#[tokio::test]
async fn s4_pagination() {
    let h = current().await;
    let token = h.access_token_for("BBUser20023").await;
    let base = h.url("/v2/fhir/ExplanationOfBenefit");
    let fmt = "_format=application%2Ffhir%2Bjson";
    let link_url =
        |start: u64| format!("{base}?{fmt}&startIndex={start}&_count=10&patient={BBUSER20023}");
    // `self` is the URL sent to BFD; since 2025-07 `startIndex` only when the client sent it.
    let self_url = |start: Option<u64>| {
        let start = start
            .map(|s| format!("&startIndex={s}"))
            .unwrap_or_default();
        format!("{base}/?_count=10&{fmt}&patient={BBUSER20023}{start}")
    };

    let first = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await
        .json();
    assert_eq!(first["resourceType"], "Bundle");
    assert_eq!(first["type"], "searchset");
    assert_eq!(first["total"], 148);
    let id = string_at(&first, "id");
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "a uuid: {id}");
    assert!(first["meta"]["lastUpdated"].is_string());
    assert_eq!(entry_ids(&first).len(), 10);
    for entry in first["entry"].as_array().unwrap() {
        let keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["resource"], "entries have only `resource`");
    }
    let expected = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(r, u)| ((*r).to_owned(), u.clone()))
            .collect()
    };
    assert_eq!(
        relations(&first),
        expected(&[
            ("first", link_url(0)),
            ("next", link_url(10)),
            ("last", link_url(140)),
            ("self", self_url(None))
        ])
    );
    let last = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?startIndex=140", &token)
        .await
        .json();
    assert_eq!(entry_ids(&last).len(), 8);
    assert_eq!(
        relations(&last),
        expected(&[
            ("first", link_url(0)),
            ("previous", link_url(130)),
            ("last", link_url(140)),
            ("self", self_url(Some(140)))
        ])
    );
    // previous = max(startIndex - _count, 0)
    let odd = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?startIndex=5", &token)
        .await
        .json();
    assert_eq!(link(&odd, "previous"), Some(link_url(0)));

    // Empty result: total 0, no entry, last at 0.
    let empty = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?type=snf", &token)
        .await
        .json();
    assert_eq!(empty["total"], 0);
    assert!(empty.get("entry").is_none());
    assert_eq!(
        link(&empty, "last"),
        Some(format!(
            "{base}?{fmt}&startIndex=0&_count=10&patient={BBUSER20023}&type=snf"
        ))
    );

    // Order: by the unprefixed claim id as a string, then the claim type.
    let mut ids = Vec::new();
    for start in [0, 50, 100] {
        let page = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?_count=50&startIndex={start}"),
                &token,
            )
            .await
            .json();
        ids.extend(entry_ids(&page));
    }
    assert_eq!(ids.len(), 148);
    let key = |id: &String| {
        let (kind, claim) = id.split_once('-').unwrap();
        (claim.to_owned(), kind.to_owned())
    };
    let mut sorted = ids.clone();
    sorted.sort_by_key(key);
    assert_eq!(ids, sorted);

    // Coverage: part-a..part-d, with BB2's link form.
    let coverage = h.get_with_token("/v2/fhir/Coverage/", &token).await.json();
    let parts: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|p| format!("part-{p}-{BBUSER20023}"))
        .collect();
    assert_eq!(entry_ids(&coverage), parts);
    assert_eq!(
        link(&coverage, "first"),
        Some(h.url(&format!(
            "/v2/fhir/Coverage?{fmt}&startIndex=0&_count=10&beneficiary=Patient%2F{BBUSER20023}"
        )))
    );
}

// §5 -----------------------------------------------------------------------------------------

#[tokio::test]
async fn s5_compression() {
    let h = current().await;
    let token = h.access_token().await;
    let with_gzip = |path: &str, token: Option<&str>| {
        let mut request = h.client.get(h.url(path)).header("accept-encoding", "gzip");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        h.send(request)
    };
    let vary = |reply: &Reply| -> Vec<String> {
        reply
            .headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };
    // FHIR JSON (any type in `current`), ≥ 200 bytes: compressed, Vary has both.
    let coverage = with_gzip("/v2/fhir/Coverage/", Some(&token)).await;
    assert_eq!(coverage.status, StatusCode::OK);
    assert_eq!(coverage.header("content-encoding"), Some("gzip"));
    assert_eq!(
        coverage.header("content-type"),
        Some("application/fhir+json")
    );
    assert!(
        vary(&coverage).join(", ").contains("Accept-Encoding"),
        "{:?}",
        vary(&coverage)
    );
    // An HTML page (the bad redirect_uri page, just over 200 bytes) is compressed too.
    let query = pkce_query("http://evil.example/cb", "");
    let page = with_gzip(&format!("/v2/o/authorize/?{query}"), None).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(page.header("content-encoding"), Some("gzip"));
    // Under 200 bytes: never compressed and no Vary: Accept-Encoding.
    let small = with_gzip("/v2/fhir/Coverage/", None).await;
    assert_eq!(small.status, StatusCode::UNAUTHORIZED);
    assert_eq!(small.header("content-encoding"), None);
    assert!(
        !vary(&small).join(", ").contains("Accept-Encoding"),
        "{:?}",
        vary(&small)
    );
    assert_eq!(small.json(), json!({"detail": NO_CREDENTIALS}));
    // Without Accept-Encoding: plain, but Vary: Accept-Encoding on a body ≥ 200 bytes.
    let plain = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(
        vary(&plain).join(", ").contains("Accept-Encoding"),
        "{:?}",
        vary(&plain)
    );
    assert_eq!(plain.json()["total"], 4);
}

// §6 -----------------------------------------------------------------------------------------

#[tokio::test]
async fn s6_content_types_and_headers() {
    let h = current().await;
    let token = h.access_token().await;
    let path = format!("/v2/fhir/Patient/{JANE}");
    for (accept, content_type) in [
        ("*/*", "application/fhir+json"),
        ("application/fhir+json", "application/fhir+json"),
        ("application/json", "application/json"),
        (
            "application/fhir+json; fhirVersion=4.0",
            "application/fhir+json; fhirVersion=4.0",
        ),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/fhir+json;q=0.8",
        ),
    ] {
        let reply = get_accept(&h, &path, Some(&token), accept).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{accept}");
        assert_eq!(
            reply.header("allow"),
            Some("GET, HEAD, OPTIONS"),
            "{accept}"
        );
        assert_eq!(reply.header("vary"), Some("Accept"), "{accept}");
    }
    let no_accept = h.send(h.client.get(h.url(&path)).bearer_auth(&token)).await;
    assert_eq!(
        no_accept.header("content-type"),
        Some("application/fhir+json")
    );
    // JSON everywhere else.
    let userinfo = h.get_with_token("/v2/connect/userinfo", &token).await;
    assert_eq!(userinfo.header("content-type"), Some("application/json"));
    let token_error = h.refresh("nope").await;
    assert_eq!(token_error.header("content-type"), Some("application/json"));
    // Global headers, on every kind of answer.
    for reply in [
        &no_accept,
        &userinfo,
        &token_error,
        &h.get("/nowhere").await,
    ] {
        for (name, value) in [
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("cross-origin-opener-policy", "same-origin"),
            ("access-control-allow-origin", "*"),
        ] {
            assert_eq!(
                reply.header(name),
                Some(value),
                "{name} on {}",
                reply.status
            );
        }
    }
    assert!(
        no_accept
            .header("content-security-policy-report-only")
            .is_some_and(|csp| csp.starts_with("default-src 'self'")),
        "Content-Security-Policy-Report-Only"
    );
}

// §7.1 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s7_1_identifiers() {
    let h = current().await;
    let token = h.access_token_for("BBUser20023").await;
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{BBUSER20023}"), &token)
        .await
        .json();
    assert_eq!(patient["id"], BBUSER20023);
    assert_eq!(
        patient["meta"]["profile"],
        json!(["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient"])
    );
    let systems: Vec<(&str, &str)> = patient["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["system"].as_str().unwrap(),
                i["type"]["coding"][0]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        systems.contains(&(
            "https://bluebutton.cms.gov/resources/variables/bene_id",
            "MB"
        )),
        "{systems:?}"
    );
    assert!(
        systems.contains(&("http://hl7.org/fhir/sid/us-mbi", "MC")),
        "{systems:?}"
    );

    let coverage = h
        .get_with_token("/v2/fhir/Coverage/part-a--20140000000024", &token)
        .await
        .json();
    assert_eq!(coverage["id"], "part-a--20140000000024");
    assert_eq!(
        coverage["beneficiary"]["reference"],
        format!("Patient/{BBUSER20023}")
    );
    assert_eq!(
        coverage["meta"]["profile"],
        json!(["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage"])
    );

    let c4bb = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/";
    // (type, nch_clm_type_cd codes allowed, claim-type, profile, coverage part, identifier system)
    for (kind, nch, claim_type, profile, part, id_system) in [
        (
            "carrier",
            &["71", "72"][..],
            "professional",
            "C4BB-ExplanationOfBenefit-Professional-NonClinician",
            "b",
            "clm_id",
        ),
        (
            "inpatient",
            &["60"][..],
            "institutional",
            "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
            "a",
            "clm_id",
        ),
        (
            "pde",
            &[][..],
            "pharmacy",
            "C4BB-ExplanationOfBenefit-Pharmacy",
            "d",
            "pde_id",
        ),
    ] {
        let page = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?type={kind}&_count=1"),
                &token,
            )
            .await
            .json();
        let eob = &page["entry"][0]["resource"];
        let id = string_at(eob, "id");
        let digits = id
            .strip_prefix(&format!("{kind}--"))
            .unwrap_or_else(|| panic!("{id}"));
        assert!(
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
            "{id}"
        );
        assert_eq!(
            eob["meta"]["profile"],
            json!([format!("{c4bb}{profile}")]),
            "{kind}"
        );
        let codings = eob["type"]["coding"].as_array().unwrap();
        let code_of = |system: &str| {
            codings
                .iter()
                .find(|c| c["system"] == system)
                .map(|c| c["code"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            code_of("https://bluebutton.cms.gov/resources/codesystem/eob-type"),
            Some(kind.to_uppercase()),
            "{kind}"
        );
        assert_eq!(
            code_of("http://terminology.hl7.org/CodeSystem/claim-type"),
            Some(claim_type.to_owned()),
            "{kind}"
        );
        let nch_code = code_of("https://bluebutton.cms.gov/resources/variables/nch_clm_type_cd");
        match nch_code {
            Some(code) => assert!(nch.contains(&code.as_str()), "{kind}: {code}"),
            None => assert!(nch.is_empty(), "{kind} lacks nch_clm_type_cd"),
        }
        assert_eq!(
            eob["patient"]["reference"],
            format!("Patient/{BBUSER20023}"),
            "{kind}"
        );
        assert_eq!(
            eob["insurance"][0]["coverage"]["reference"],
            format!("Coverage/part-{part}-{BBUSER20023}"),
            "{kind}"
        );
        let identifier_systems: Vec<&str> = eob["identifier"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["system"].as_str().unwrap())
            .collect();
        assert!(
            identifier_systems.contains(
                &format!("https://bluebutton.cms.gov/resources/variables/{id_system}").as_str()
            ),
            "{kind}: {identifier_systems:?}"
        );
        assert!(
            identifier_systems
                .contains(&"https://bluebutton.cms.gov/resources/identifier/claim-group"),
            "{kind}"
        );
    }
}

// §7.2 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s7_2_synthetic_beneficiaries() {
    let h = current().await;
    for (login, patient) in [
        ("BBUser00000", "-19990000000001"),
        ("BBUser09338", "-19990000009339"),
        ("BBUser10000", "-20000000000001"),
        ("BBUser29999", JANE),
        ("BBUser21234", "-20140000001235"),
    ] {
        let tokens = h.tokens(&format!("&login_hint={login}")).await;
        assert_eq!(tokens["patient"], patient, "{login}");
        let token = string_at(&tokens, "access_token");
        let total = |query: &'static str| {
            let (h, token) = (&h, token.clone());
            async move {
                let reply = h.get_with_token(&format!("/v2/fhir/{query}"), &token).await;
                assert_eq!(reply.status, StatusCode::OK, "{login} {query}");
                reply.json()["total"].as_u64().unwrap()
            }
        };
        assert_eq!(total("Patient/").await, 1, "{login}");
        assert_eq!(total("Coverage/").await, 4, "{login}");
        assert!(
            total("ExplanationOfBenefit/?type=carrier").await > 0,
            "{login}: every user has carrier claims"
        );
        if login.starts_with("BBUser2") {
            assert!(
                total("ExplanationOfBenefit/?type=pde").await > 0,
                "{login}: the 2014 block has pde"
            );
        }
        if login.starts_with("BBUser0") {
            let claims = total("ExplanationOfBenefit/").await;
            assert!((3..=76).contains(&claims), "{login}: {claims} claims");
        }
    }
}

// §8.4 ---------------------------------------------------------------------------------------

#[tokio::test]
async fn s8_4_userinfo() {
    let h = current().await;
    let token = h.access_token().await;
    let reply = h.get_with_token("/v2/connect/userinfo", &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let keys = keys(&body);
    assert_eq!(
        keys,
        [
            "sub",
            "name",
            "given_name",
            "family_name",
            "email",
            "iat",
            "patient"
        ]
    );
    assert_eq!(
        (&body["sub"], &body["patient"]),
        (&json!(JANE), &json!(JANE))
    );
    assert_eq!(
        (&body["name"], &body["given_name"], &body["family_name"]),
        (&json!("Jane Doe"), &json!("Jane"), &json!("Doe"))
    );
    // iat: ISO-8601 with milliseconds and Z, not epoch.
    let iat = string_at(&body, "iat");
    assert!(
        iat.len() == 24 && iat.ends_with('Z') && iat.as_bytes()[19] == b'.',
        "{iat}"
    );
    assert!(iat.parse::<jiff::Timestamp>().is_ok(), "{iat}");

    let no_profile = string_at(
        &h.tokens("&scope=patient/Coverage.rs%20openid").await,
        "access_token",
    );
    let refused = h.get_with_token("/v2/connect/userinfo", &no_profile).await;
    assert_json(
        &refused,
        StatusCode::FORBIDDEN,
        json!({"detail": FORBIDDEN}),
        "no profile",
    );
    let anonymous = h.get("/v2/connect/userinfo").await;
    assert_json(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        json!({"detail": NO_CREDENTIALS}),
        "no token",
    );
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
}

// §9 -----------------------------------------------------------------------------------------

#[tokio::test]
async fn s9_happy_path() {
    let h = current().await;
    // 1–4: authorize (the automated login) → 302 redirect_uri?code&state.
    let reply = h
        .authorize(&pkce_query(REDIRECT, "&login_hint=BBUser20023"))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let code = reply.location_params()["code"].clone();
    // 5: the code exchange with Basic.
    let tokens = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            CONFIDENTIAL_BASIC,
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
    let tokens = tokens.json();
    assert_eq!(tokens["patient"], BBUSER20023);
    let mut access = string_at(&tokens, "access_token");
    let mut refresh_token = string_at(&tokens, "refresh_token");
    // 6: Patient, Coverage, userinfo, and every EOB page by link[next]; 7: refresh midway.
    for path in [
        format!("/v2/fhir/Patient/{BBUSER20023}"),
        "/v2/fhir/Coverage/".into(),
        "/v2/connect/userinfo".into(),
    ] {
        assert_eq!(
            h.get_with_token(&path, &access).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let mut next = Some("/v2/fhir/ExplanationOfBenefit/".to_owned());
    let (mut pages, mut claims) = (0, 0);
    while let Some(path) = next {
        let page = h.get_with_token(&path, &access).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let page = page.json();
        pages += 1;
        claims += entry_ids(&page).len();
        next = link(&page, "next").map(|url| path_of(&url, &h));
        if pages == 7 {
            let refreshed = h.refresh(&refresh_token).await;
            assert_eq!(refreshed.status, StatusCode::OK);
            let refreshed = refreshed.json();
            access = string_at(&refreshed, "access_token");
            refresh_token = string_at(&refreshed, "refresh_token");
        }
    }
    assert_eq!((pages, claims), (15, 148));
    assert_eq!(h.refresh(&refresh_token).await.status, StatusCode::OK);
}

// §10 ----------------------------------------------------------------------------------------

#[tokio::test]
async fn s10_behaviours_clients_get_wrong() {
    let h = current().await;
    let tokens = h.tokens("").await;
    let token = string_at(&tokens, "access_token");
    // 2, 5: 1-hour tokens; `patient` in every token response.
    assert_eq!(tokens["expires_in"], json!(3600));
    assert_eq!(tokens["patient"], JANE);
    // 1: reusing a rotated refresh token.
    let old_refresh = string_at(&tokens, "refresh_token");
    let fresh = h.refresh(&old_refresh).await.json();
    assert_eq!(fresh["patient"], JANE);
    assert_json(
        &h.refresh(&old_refresh).await,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant"}),
        "1",
    );
    let token = if fresh["access_token"].is_string() {
        string_at(&fresh, "access_token")
    } else {
        token
    };
    // 3: no PKCE / plain / short state before login.
    let plain = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}&code_challenge=abc&code_challenge_method=plain"
        ))
        .await;
    assert_json(
        &plain,
        StatusCode::BAD_REQUEST,
        json!({"status_code": 400, "error": "invalid_request", "error_description": "code_challenge_method must be S256"}),
        "3",
    );
    // 6, 7, 8, 15 and the `?access_token=` one: FHIR rows.
    for (path, accept, status, detail) in [
        (
            "/v2/fhir/ExplanationOfBenefit/?_count=51".to_owned(),
            "*/*",
            StatusCode::BAD_REQUEST,
            "value must be at most 50",
        ),
        (
            format!("/v2/fhir/ExplanationOfBenefit/?patient=Patient/{JANE}"),
            "*/*",
            StatusCode::FORBIDDEN,
            FORBIDDEN,
        ),
        (
            "/v2/fhir/ExplanationOfBenefit/?type=Part-D".to_owned(),
            "*/*",
            StatusCode::BAD_REQUEST,
            "the type parameter value is not valid",
        ),
        (
            "/v2/fhir/Coverage/".to_owned(),
            "application/json+fhir",
            StatusCode::NOT_ACCEPTABLE,
            "Could not satisfy the request Accept header.",
        ),
        (
            format!("/v2/fhir/Coverage/?access_token={token}"),
            "*/*",
            StatusCode::BAD_REQUEST,
            "Using the access token in the query parameters is not supported. Use the Authorization header instead",
        ),
    ] {
        let reply = get_accept(&h, &path, Some(&token), accept).await;
        assert_json(&reply, status, json!({"detail": detail}), &path);
    }
    // 7: Coverage tolerates the `Patient/` prefix; 8: type codes ignore case.
    for path in [
        format!("/v2/fhir/Coverage/?beneficiary=Patient/{JANE}"),
        "/v2/fhir/ExplanationOfBenefit/?type=CARRIER".to_owned(),
    ] {
        assert_eq!(
            h.get_with_token(&path, &token).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    // 9: client_secret on the authorize URL.
    let secret = h
        .authorize(&pkce_query(
            REDIRECT,
            &format!("&client_secret={CONFIDENTIAL_SECRET}"),
        ))
        .await;
    assert_eq!(secret.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        secret.text(),
        "Illegal query parameter [client_secret] detected"
    );
    // 10, 11: the code twice, or with another redirect_uri, or late.
    let code = h.code("").await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1/callback"),
        ("code_verifier", VERIFIER),
    ];
    assert_json(
        &h.token_form(&form, CONFIDENTIAL_BASIC).await,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_request", "error_description": "Mismatching redirect URI."}),
        "10",
    );
    h.server.clock().advance(Duration::from_secs(61));
    form[2] = ("redirect_uri", REDIRECT);
    assert_json(
        &h.token_form(&form, CONFIDENTIAL_BASIC).await,
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_grant"}),
        "11 late",
    );
    // 12: Deny → access_denied with the state.
    let denying = Harness::yaml(&format!("{CURRENT}login: {{approve: false}}\n")).await;
    let denied = denying.authorize(&pkce_query(REDIRECT, "")).await;
    assert_eq!(denied.location_params()["error"], "access_denied");
    // 4: declined demographics → 403 on Patient, the id still in the token response.
    let declined = Harness::yaml(&format!("{CURRENT}login: {{share_demographics: false}}\n")).await;
    let tokens = declined.tokens("").await;
    assert_eq!(tokens["patient"], JANE);
    let patient = declined
        .get_with_token(
            &format!("/v2/fhir/Patient/{JANE}"),
            &string_at(&tokens, "access_token"),
        )
        .await;
    assert_json(
        &patient,
        StatusCode::FORBIDDEN,
        json!({"detail": FORBIDDEN}),
        "4",
    );
}

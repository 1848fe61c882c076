//! Every OAuth error row this server owns (behaviour file §2.2, §2.7, §2.8), over HTTP.

use crate::support::*;
use bluebutton_harness::oauth::pkce;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

fn authorize_query(client_id: &str, extra: &str) -> String {
    format!("client_id={client_id}&redirect_uri={REDIRECT}&response_type=code&state={STATE}{extra}")
}

#[tokio::test]
async fn authorize_refuses_unknown_or_malformed_clients_with_a_page() {
    let h = Harness::builtin("oauth-success").await;
    let missing = h.authorize("response_type=code").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert!(missing.text().contains("invalid_client : App id failed"));
    assert!(
        missing
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );

    let malformed = h.authorize(&authorize_query("short", "")).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.text().contains("Invalid client_id format"));

    let unknown = h.authorize(&authorize_query(&"A".repeat(40), "")).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .text()
            .contains("Application does not exist (client_id)")
    );
    assert_eq!(unknown.header("location"), None);
}

#[tokio::test]
async fn authorize_bb2_checks() {
    let h = Harness::builtin("oauth-success").await;
    let audit = h
        .authorize(&authorize_query(
            CONFIDENTIAL_ID,
            "&scope=patient/AuditEvent.rs",
        ))
        .await;
    assert_eq!(audit.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        audit.json(),
        json!({"status_code": 400, "message": "Invalid scopes."})
    );

    let secret = h
        .authorize(&authorize_query(
            CONFIDENTIAL_ID,
            &format!("&client_secret={CONFIDENTIAL_SECRET}"),
        ))
        .await;
    assert_eq!(secret.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        secret.text(),
        "Illegal query parameter [client_secret] detected"
    );

    let unknown_scope = h
        .authorize(&authorize_query(
            CONFIDENTIAL_ID,
            "&scope=profile%20launch/encounter",
        ))
        .await;
    assert_eq!(unknown_scope.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown_scope.json(),
        json!({"status_code": 400, "message": "Invalid scopes."})
    );

    let post = h
        .send(
            h.client
                .post(h.url("/v2/o/authorize/"))
                .form(&[("client_id", CONFIDENTIAL_ID), ("response_type", "code")]),
        )
        .await;
    assert_eq!(post.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        post.json(),
        json!({"status_code": 401, "message": "State required in POST body."})
    );

    let post = h
        .send(h.client.post(h.url("/v2/o/authorize/")).form(&[
            ("client_id", CONFIDENTIAL_ID),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("state", STATE),
        ]))
        .await;
    assert_eq!(post.status, StatusCode::FOUND);
    assert!(post.location_params().contains_key("code"));
}

#[tokio::test]
async fn authorize_fatal_errors_never_redirect() {
    let h = Harness::builtin("oauth-success").await;
    let bad_redirect = h
        .authorize(&format!("client_id={CONFIDENTIAL_ID}&redirect_uri=http://evil.example/cb&response_type=code&state={STATE}"))
        .await;
    assert_eq!(bad_redirect.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_redirect.header("location"), None);
    assert!(bad_redirect.text().contains("Mismatching redirect URI."));

    let duplicate = h
        .authorize(&authorize_query(
            CONFIDENTIAL_ID,
            &format!("&state={STATE}"),
        ))
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert!(duplicate.text().contains("Duplicate state parameter."));
}

#[tokio::test]
async fn authorize_redirect_errors() {
    let h = Harness::builtin("oauth-success").await;
    let expect = |reply: &Reply, error: &str, description: Option<&str>| {
        assert_eq!(reply.status, StatusCode::FOUND);
        assert!(
            reply.location().starts_with(REDIRECT),
            "{}",
            reply.location()
        );
        let params = reply.location_params();
        assert_eq!(params.get("error").map(String::as_str), Some(error));
        assert_eq!(
            params.get("error_description").map(String::as_str),
            description
        );
        assert_eq!(params.get("state").map(String::as_str), Some(STATE));
        assert!(!params.contains_key("code"));
    };
    let missing = h
        .authorize(&format!(
            "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&state={STATE}"
        ))
        .await;
    expect(
        &missing,
        "invalid_request",
        Some("Missing response_type parameter."),
    );
    let unsupported = h
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=id_token&state={STATE}"
        ))
        .await;
    expect(&unsupported, "unsupported_response_type", None);
    let public_without_pkce = h.authorize(&authorize_query(PUBLIC_ID, "")).await;
    expect(
        &public_without_pkce,
        "invalid_request",
        Some("Code challenge required."),
    );
    let plain = h
        .authorize(&authorize_query(
            CONFIDENTIAL_ID,
            "&code_challenge=abc&code_challenge_method=plain",
        ))
        .await;
    expect(
        &plain,
        "invalid_request",
        Some("Transform algorithm not supported."),
    );
    let no_method = h
        .authorize(&authorize_query(CONFIDENTIAL_ID, "&code_challenge=abc"))
        .await;
    expect(
        &no_method,
        "invalid_request",
        Some("Transform algorithm not supported."),
    );
}

#[tokio::test]
async fn authorize_without_slash_redirects_and_confidential_pkce_is_optional() {
    let h = Harness::builtin("oauth-success").await;
    let query = authorize_query(CONFIDENTIAL_ID, "");
    let reply = h.get(&format!("/v2/o/authorize?{query}")).await;
    assert_eq!(reply.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.location(), format!("/v2/o/authorize/?{query}"));

    let reply = h.authorize(&query).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let code = reply.location_params()["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let tokens = h
        .token_form(&form, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
}

#[tokio::test]
async fn login_hint_picks_sandbox_beneficiaries() {
    let h = Harness::builtin("oauth-success").await;
    for (login, patient) in [
        ("BBUser00000", "-19990000000001"),
        ("BBUser10000", "-20000000000001"),
        ("BBUser29999", JANE),
    ] {
        let tokens = h.tokens(&format!("&login_hint={login}")).await;
        assert_eq!(tokens["patient"], patient, "{login}");
    }
    // BBUser28324's generated id is Jane Doe's, so that login does not exist here.
    for login in ["BBUser28324", "BBUser30000", "nobody"] {
        let reply = h
            .authorize(&authorize_query(
                CONFIDENTIAL_ID,
                &format!("&login_hint={login}"),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{login}");
        assert!(reply.text().contains("error=not_found"), "{}", reply.text());
    }
}

#[tokio::test]
async fn beneficiary_who_denies_sends_access_denied() {
    let h = Harness::yaml("version: 1\nname: deny\nlogin:\n  approve: false\n").await;
    let reply = h.authorize(&authorize_query(CONFIDENTIAL_ID, "")).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(
        reply.location(),
        format!("{REDIRECT}?error=access_denied&state={STATE}")
    );
}

fn code_form(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

#[tokio::test]
async fn token_client_identification_errors() {
    let h = Harness::builtin("oauth-success").await;
    let code = h.code("").await;
    let form = code_form(&code);

    let none = h.token_form(&form, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.json(),
        json!({"status_code": 401, "error": "invalid_client", "error_description": "App id failed"})
    );

    let unknown = "B".repeat(40);
    let mut with_unknown = form.clone();
    with_unknown.push(("client_id", &unknown));
    let body_unknown = h.token_form(&with_unknown, None).await;
    assert_eq!(body_unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body_unknown.json()["error_description"],
        "Application does not exist (client_id)"
    );

    let basic_unknown = h.token_form(&form, Some((&unknown, "x"))).await;
    assert_eq!(basic_unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        basic_unknown.json()["error_description"],
        "Application does not exist"
    );

    let malformed = h.token_form(&form, Some(("short", "x"))).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.json()["error_description"],
        "Invalid client_id format"
    );

    let mut other = form.clone();
    other.push(("client_id", PUBLIC_ID));
    let different = h
        .token_form(&other, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
        .await;
    assert_eq!(different.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        different.json()["error_description"],
        "different app in headers than in request data"
    );

    let wrong_secret = h.token_form(&form, Some((CONFIDENTIAL_ID, "wrong"))).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_secret.json(), json!({"error": "invalid_client"}));
    assert_eq!(
        wrong_secret.header("www-authenticate"),
        Some("Bearer error=\"invalid_client\"")
    );

    let mut no_secret = form.clone();
    no_secret.push(("client_id", CONFIDENTIAL_ID));
    assert_eq!(
        h.token_form(&no_secret, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // None of these used the code up.
    assert_eq!(
        h.token_form(&form, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_request_shape_errors() {
    let h = Harness::builtin("oauth-success").await;
    let basic = Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET));
    let missing_code = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("redirect_uri", REDIRECT),
            ],
            basic,
        )
        .await;
    assert_eq!(
        missing_code.json(),
        json!({"error": "invalid_request", "error_description": "Missing code parameter."})
    );
    assert_eq!(missing_code.header("cache-control"), Some("no-store"));

    let unsupported = h
        .token_form(&[("grant_type", "client_secret_please")], basic)
        .await;
    assert_eq!(unsupported.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unsupported.json(),
        json!({"error": "unsupported_grant_type"})
    );
    let no_grant = h.token_form(&[("code", "x")], basic).await;
    assert_eq!(no_grant.json(), json!({"error": "unsupported_grant_type"}));

    let code = h.code("").await;
    let request = h
        .client
        .post(h.url("/v2/o/token/?code=x"))
        .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
        .form(&code_form(&code));
    let query = h.send(request).await;
    assert_eq!(
        query.json(),
        json!({"error": "invalid_request", "error_description": "URL query parameters are not allowed"})
    );

    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT}&redirect_uri={REDIRECT}"
    );
    let request = h
        .client
        .post(h.url("/v2/o/token/"))
        .basic_auth(CONFIDENTIAL_ID, Some(CONFIDENTIAL_SECRET))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    let duplicate = h.send(request).await;
    assert_eq!(
        duplicate.json(),
        json!({"error": "invalid_request", "error_description": "Duplicate redirect_uri parameter."})
    );

    let get = h.get("/v2/o/token/").await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.header("allow"), Some("POST, OPTIONS"));

    let no_slash = h
        .send(h.client.post(h.url("/v2/o/token")).form(&code_form(&code)))
        .await;
    assert_eq!(no_slash.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(no_slash.location(), "/v2/o/token/");
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound() {
    let h = Harness::builtin("oauth-success").await;
    let basic = Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET));
    let invalid_grant = json!({"error": "invalid_grant"});

    let unknown = h.token_form(&code_form("notacode"), basic).await;
    assert_eq!(
        (unknown.status, unknown.json()),
        (StatusCode::BAD_REQUEST, invalid_grant.clone())
    );

    let code = h.code("").await;
    assert_eq!(
        h.token_form(&code_form(&code), basic).await.status,
        StatusCode::OK
    );
    let reused = h.token_form(&code_form(&code), basic).await;
    assert_eq!(
        (reused.status, reused.json()),
        (StatusCode::BAD_REQUEST, invalid_grant.clone())
    );

    // A code lives 60 s: 55 s after it was issued it still works (5 s left for the test to
    // run), 61 s after it does not.
    let code = h.code("").await;
    h.server.clock().advance(Duration::from_secs(55));
    let late = h.token_form(&code_form(&code), basic).await;
    assert_eq!(late.status, StatusCode::OK, "{}", late.text());
    let code = h.code("").await;
    h.server.clock().advance(Duration::from_secs(61));
    let expired = h.token_form(&code_form(&code), basic).await;
    assert_eq!(expired.json(), invalid_grant);

    // A code is bound to its client: the public app cannot redeem the confidential app's.
    let code = h.code("").await;
    let mut foreign = code_form(&code);
    foreign.push(("client_id", PUBLIC_ID));
    assert_eq!(h.token_form(&foreign, None).await.json(), invalid_grant);

    // ... to its redirect_uri (exact string equality with the authorize call) ...
    let mut elsewhere = code_form(&code);
    elsewhere[2] = ("redirect_uri", "http://127.0.0.1:9/callback");
    let mismatch = h.token_form(&elsewhere, basic).await;
    assert_eq!(
        mismatch.json(),
        json!({"error": "invalid_request", "error_description": "Mismatching redirect URI."})
    );

    // ... and to its verifier.
    let mut no_verifier = code_form(&code);
    no_verifier.pop();
    let missing = h.token_form(&no_verifier, basic).await;
    assert_eq!(
        missing.json(),
        json!({"error": "invalid_request", "error_description": "Code verifier required."})
    );
    let mut wrong = code_form(&code);
    wrong[3] = (
        "code_verifier",
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
    );
    assert_eq!(h.token_form(&wrong, basic).await.json(), invalid_grant);

    // After all those refusals the code still works once.
    assert_eq!(
        h.token_form(&code_form(&code), basic).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn verifier_length_is_checked_after_it_matches() {
    let h = Harness::builtin("oauth-success").await;
    let basic = Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET));
    for (verifier, description) in [
        ("a".repeat(42), "code_verifier min length is 43"),
        ("b".repeat(129), "code_verifier max length is 128"),
    ] {
        // The challenge is sent with `=` padding: BB2 strips it.
        let challenge = format!("{}=", pkce::s256_challenge(&verifier));
        let reply = h
            .authorize(&authorize_query(
                CONFIDENTIAL_ID,
                &format!("&code_challenge={challenge}&code_challenge_method=S256"),
            ))
            .await;
        let code = reply.location_params()["code"].clone();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ];
        let reply = h.token_form(&form, basic).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            reply.json(),
            json!({"error": null, "error_description": description})
        );
    }
}

#[tokio::test]
async fn refresh_errors_and_rotation() {
    let h = Harness::builtin("oauth-success").await;
    let basic = Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET));
    let tokens = h
        .tokens("&scope=profile%20patient/Patient.rs%20patient/Coverage.read")
        .await;
    let first = tokens["refresh_token"].as_str().unwrap();

    let missing = h
        .token_form(&[("grant_type", "refresh_token")], basic)
        .await;
    assert_eq!(
        missing.json(),
        json!({"status_code": 400, "error": "invalid_request", "error_description": "Missing refresh token parameter"})
    );
    let unknown = h
        .token_form(
            &[("grant_type", "refresh_token"), ("refresh_token", "nope")],
            basic,
        )
        .await;
    assert_eq!(
        unknown.json()["error_description"],
        "Refresh token not found."
    );

    let too_wide = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first),
                ("scope", "patient/ExplanationOfBenefit.read"),
            ],
            basic,
        )
        .await;
    assert_eq!(too_wide.json(), json!({"error": "invalid_scope"}));

    let narrowed = h
        .token_form(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", first),
                ("scope", "patient/Patient.r"),
            ],
            basic,
        )
        .await;
    assert_eq!(narrowed.status, StatusCode::OK, "{}", narrowed.text());
    assert_eq!(narrowed.json()["scope"], "patient/Patient.r");

    let reused = h
        .token_form(
            &[("grant_type", "refresh_token"), ("refresh_token", first)],
            basic,
        )
        .await;
    assert_eq!(
        (reused.status, reused.json()),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}))
    );

    // Another app's refresh token.
    let challenge = pkce::s256_challenge(VERIFIER);
    let reply = h
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=code&code_challenge={challenge}&code_challenge_method=S256"
        ))
        .await;
    let code = reply.location_params()["code"].clone();
    let public = h
        .token_form(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", VERIFIER),
                ("client_id", PUBLIC_ID),
            ],
            None,
        )
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    let theirs = public.json()["refresh_token"].as_str().unwrap().to_owned();
    let foreign = h
        .token_form(
            &[("grant_type", "refresh_token"), ("refresh_token", &theirs)],
            basic,
        )
        .await;
    assert_eq!(
        foreign.json()["error_description"],
        "Token does not match client_id"
    );
}

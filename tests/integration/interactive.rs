//! Interactive mode over HTTP, without a browser: the redirect chain to the login page, the
//! login form, the consent form, and the code they lead to (behaviour file §2.2 steps 6–9).

use crate::support::*;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::oauth::pages::LOGIN_ERROR;
use bluebutton_harness::oauth::pkce;
use bluebutton_harness::scenario;
use bluebutton_harness::server::{self, ServerOptions};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

async fn interactive(name: &str) -> Harness {
    interactive_with(scenario::builtin(name).unwrap()).await
}

async fn interactive_with(scenario: scenario::Scenario) -> Harness {
    let options = ServerOptions {
        clock: Some(Arc::new(Clock::from_wall_clock())),
        interactive: true,
        ..ServerOptions::default()
    };
    let server = server::start(scenario, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let client = http_client();
    Harness { server, client }
}

fn authorize_query() -> String {
    let challenge = pkce::s256_challenge(VERIFIER);
    format!(
        "client_id={CONFIDENTIAL_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}\
         &code_challenge={challenge}&code_challenge_method=S256"
    )
}

/// The `name="…" value="…"` pairs of the hidden inputs of a page, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once('"').unwrap();
            let value = rest
                .split_once("value=\"")
                .unwrap()
                .1
                .split_once('"')
                .unwrap()
                .0;
            (name.to_owned(), unescape(value))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn post_form(h: &Harness, path: &str, form: &[(String, String)]) -> Reply {
    h.send(h.client.post(h.url(path)).form(form)).await
}

/// Authorize → login page → login; the consent URL (path and query).
async fn logged_in(h: &Harness, query: &str, username: &str, password: &str) -> String {
    let to_login = h.authorize(query).await;
    assert_eq!(to_login.status, StatusCode::FOUND, "{}", to_login.text());
    let login_url = to_login.location();
    let page = h.get(&login_url).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut form = hidden_fields(&page.text());
    form.push(("username".into(), username.into()));
    form.push(("password".into(), password.into()));
    let logged = post_form(h, "/mymedicare/login", &form).await;
    assert_eq!(logged.status, StatusCode::FOUND, "{}", logged.text());
    logged.location()
}

/// The consent page's form with the beneficiary's choices; the answer to posting it.
async fn decide(h: &Harness, consent_url: &str, allow: &str, share: &str) -> Reply {
    let page = h.get(consent_url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let mut form: Vec<(String, String)> = hidden_fields(&page.text())
        .into_iter()
        .filter(|(name, _)| name != "share_demographic_scopes")
        .collect();
    form.push(("share_demographic_scopes".into(), share.into()));
    form.push(("allow".into(), allow.into()));
    let path = consent_url.split('?').next().unwrap();
    post_form(h, path, &form).await
}

#[tokio::test]
async fn authorize_redirects_to_the_login_page_with_the_request_in_next() {
    let h = interactive("oauth-success").await;
    let query = authorize_query();
    let reply = h.authorize(&query).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.location();
    let next = location.strip_prefix("/mymedicare/login?next=").unwrap();
    let next: HashMap<String, String> = form_urlencoded::parse(format!("next={next}").as_bytes())
        .into_owned()
        .collect();
    let next = &next["next"];
    let (path, asked) = next.split_once('?').unwrap();
    assert_eq!(path, "/v2/o/authorize/");
    let asked: Vec<(String, String)> = form_urlencoded::parse(asked.as_bytes())
        .into_owned()
        .collect();
    let sent: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(asked, sent);
}

#[tokio::test]
async fn the_checks_before_login_are_those_of_the_automated_login() {
    let h = interactive("oauth-success").await;
    let unknown = h
        .authorize("client_id=0000000000000000000000000000000000000000&response_type=code")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.text().contains("Application does not exist"));
    let no_pkce = h
        .authorize(&format!(
            "client_id={PUBLIC_ID}&redirect_uri={REDIRECT}&response_type=code&state={STATE}"
        ))
        .await;
    assert_eq!(no_pkce.status, StatusCode::FOUND);
    assert_eq!(
        no_pkce.location_params().get("error").map(String::as_str),
        Some("invalid_request")
    );
    let secret = h
        .authorize(&format!("{}&client_secret=x", authorize_query()))
        .await;
    assert_eq!(secret.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_login_page_is_accessible_prefilled_and_escapes_what_it_echoes() {
    let h = interactive("oauth-success").await;
    let query = format!(
        "{}&login_hint=BBUser20023",
        authorize_query().replace(STATE, "%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    );
    let login = h.authorize(&query).await.location();
    let page = h.get(&login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    for needed in [
        "<html lang=\"en\">",
        "<main>",
        "<h1>",
        "<label for=\"username\">",
        "<label for=\"password\">",
        "type=\"password\"",
        "value=\"BBUser20023\"",
        "BBUser29999",
    ] {
        assert!(html.contains(needed), "{needed} missing in {html}");
    }
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external asset in {html}"
    );
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_a_right_one_goes_to_consent() {
    let h = interactive("oauth-success").await;
    let login = h.authorize(&authorize_query()).await.location();
    let page = h.get(&login).await;
    let next = hidden_fields(&page.text());
    let mut wrong = next.clone();
    wrong.push(("username".into(), "BBUser29999".into()));
    wrong.push(("password".into(), "PW29998!".into()));
    let refused = post_form(&h, "/mymedicare/login", &wrong).await;
    assert_eq!(refused.status, StatusCode::OK);
    let html = refused.text();
    assert!(html.contains(LOGIN_ERROR), "{html}");
    assert!(html.contains("role=\"alert\""));
    assert!(html.contains("value=\"BBUser29999\""));
    let mut unknown = next.clone();
    unknown.push(("username".into(), "nobody".into()));
    unknown.push(("password".into(), "PW29999!".into()));
    let refused = post_form(&h, "/mymedicare/login", &unknown).await;
    assert!(refused.text().contains(LOGIN_ERROR));

    let consent = logged_in(&h, &authorize_query(), "BBUser29999", "PW29999!").await;
    let (path, query) = consent.split_once('?').unwrap();
    let uuid = path
        .strip_prefix("/v2/o/authorize/")
        .unwrap()
        .strip_suffix('/')
        .unwrap();
    assert_eq!(uuid.len(), 36, "{uuid}");
    assert_eq!(
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect::<Vec<_>>(),
        form_urlencoded::parse(authorize_query().as_bytes())
            .into_owned()
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_consent_page_offers_the_demographics_choice_and_allow_or_deny() {
    let h = interactive("oauth-success").await;
    let consent = logged_in(&h, &authorize_query(), "BBUser29999", "PW29999!").await;
    let page = h.get(&consent).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for needed in [
        "<fieldset>",
        "<legend>",
        "name=\"share_demographic_scopes\" value=\"True\" checked",
        "name=\"share_demographic_scopes\" value=\"False\"",
        "<label for=\"share-yes\">",
        "<label for=\"share-no\">",
        "name=\"allow\" value=\"True\">Allow</button>",
        "name=\"allow\" value=\"False\">Deny</button>",
        "BBUser29999",
    ] {
        assert!(html.contains(needed), "{needed} missing in {html}");
    }
    let fields: HashMap<String, String> = hidden_fields(&html).into_iter().collect();
    assert_eq!(fields["client_id"], CONFIDENTIAL_ID);
    assert_eq!(fields["redirect_uri"], REDIRECT);
    assert_eq!(fields["state"], STATE);
    assert_eq!(fields["code_challenge_method"], "S256");
}

#[tokio::test]
async fn allowing_without_demographics_gives_a_code_whose_token_cannot_read_patient() {
    let h = interactive("oauth-success").await;
    let consent = logged_in(&h, &authorize_query(), "BBUser20023", "PW20023!").await;
    let back = decide(&h, &consent, "True", "False").await;
    assert_eq!(back.status, StatusCode::FOUND, "{}", back.text());
    assert!(back.location().starts_with(REDIRECT));
    let params = back.location_params();
    assert_eq!(params["state"], STATE);
    let token = h.exchange(&params["code"]).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text());
    let token = token.json();
    assert_eq!(token["patient"], BBUSER20023);
    assert!(!token["scope"].as_str().unwrap().contains("Patient"));
    let access = token["access_token"].as_str().unwrap();
    let patient = h.get_with_token("/v2/fhir/Patient/", access).await;
    assert_eq!(patient.status, StatusCode::FORBIDDEN);
    let eob = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=1", access)
        .await;
    assert_eq!(eob.status, StatusCode::OK);
    assert_eq!(eob.json()["total"], 148);
}

#[tokio::test]
async fn allowing_with_demographics_reads_patient() {
    let h = interactive("oauth-success").await;
    let consent = logged_in(&h, &authorize_query(), "BBUser29999", "PW29999!").await;
    let back = decide(&h, &consent, "True", "True").await;
    let code = back.location_params()["code"].clone();
    let token = h.exchange(&code).await.json();
    let access = token["access_token"].as_str().unwrap();
    let patient = h
        .get_with_token(&format!("/v2/fhir/Patient/{JANE}"), access)
        .await;
    assert_eq!(patient.status, StatusCode::OK);
}

#[tokio::test]
async fn denying_redirects_with_access_denied_and_the_approval_is_used_once() {
    let h = interactive("oauth-success").await;
    let consent = logged_in(&h, &authorize_query(), "BBUser29999", "PW29999!").await;
    let denied = decide(&h, &consent, "False", "True").await;
    assert_eq!(denied.status, StatusCode::FOUND);
    let params = denied.location_params();
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], STATE);
    assert!(!params.contains_key("code"));
    // The approval is spent: the consent URL now sends the browser back to the login page.
    let again = h.get(&consent).await;
    assert_eq!(again.status, StatusCode::FOUND);
    assert!(again.location().starts_with("/mymedicare/login?next="));
}

#[tokio::test]
async fn approvals_expire_after_600_seconds() {
    let h = interactive("oauth-success").await;
    let consent = logged_in(&h, &authorize_query(), "BBUser29999", "PW29999!").await;
    h.server.clock().advance(Duration::from_secs(600));
    let expired = h.get(&consent).await;
    assert_eq!(expired.status, StatusCode::FOUND);
    assert!(expired.location().starts_with("/mymedicare/login?next="));
}

#[tokio::test]
async fn consent_urls_that_are_not_uuids_are_404_json() {
    let h = interactive("oauth-success").await;
    let reply = h.get("/v2/o/authorize/not-a-uuid/").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reply.json(),
        serde_json::json!({"status_code": 404, "message": "Not found."})
    );
    let unknown = h
        .get(&format!(
            "/v2/o/authorize/00000000-0000-4000-8000-000000000000/?{}",
            authorize_query()
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::FOUND);
    assert!(unknown.location().starts_with("/mymedicare/login?next="));
    let put = h.send(h.client.put(h.url("/mymedicare/login"))).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_login_never_redirects_off_the_authorize_endpoint() {
    let h = interactive("oauth-success").await;
    for next in ["https://evil.example/v2/o/authorize/", "/v2/o/token/", ""] {
        let page = h.get(&format!("/mymedicare/login?next={next}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{next}");
        let form = [
            ("next".to_owned(), next.to_owned()),
            ("username".to_owned(), "BBUser29999".to_owned()),
            ("password".to_owned(), "PW29999!".to_owned()),
        ];
        let posted = post_form(&h, "/mymedicare/login", &form).await;
        assert_eq!(posted.status, StatusCode::BAD_REQUEST, "{next}");
    }
}

#[tokio::test]
async fn without_interactive_the_pages_do_not_exist_and_authorize_logs_in_automatically() {
    let h = Harness::builtin("oauth-success").await;
    let login = h.get("/mymedicare/login?next=/v2/o/authorize/").await;
    assert_eq!(login.status, StatusCode::NOT_FOUND);
    let consent = h
        .get("/v2/o/authorize/00000000-0000-4000-8000-000000000000/")
        .await;
    assert_eq!(consent.status, StatusCode::NOT_FOUND);
    assert!(!h.code("").await.is_empty());
}

#[tokio::test]
async fn bbh_serve_interactive_redirects_to_the_login_page_and_logs_no_pkce_value() {
    use std::process::Stdio;
    let (bbh, url) = spawn_bbh(
        ["serve", "--interactive", "--addr", "127.0.0.1:0"],
        Stdio::piped(),
        LISTENING,
    );
    let client = http_client();
    let reply = client
        .get(format!("{url}/v2/o/authorize/?{}", authorize_query()))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::FOUND);
    let login = reply.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/mymedicare/login?next="), "{login}");
    let page = client.get(format!("{url}{login}")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let (status, log) = bbh.terminate();
    assert!(status.success(), "{status}: {log}");
    assert!(
        log.contains("GET /mymedicare/login?next=/v2/o/authorize/?"),
        "{log}"
    );
    let challenge = pkce::s256_challenge(VERIFIER);
    assert!(
        !log.contains(&challenge),
        "the log leaks the challenge: {log}"
    );
}

#[tokio::test]
async fn apps_that_do_not_require_demographics_are_not_asked_about_them() {
    let yaml = "version: 1\nname: no-demographics\napps:\n  - name: Claims only <app>\n    \
        client_id: 0123456789abcdefghijABCDEFGHIJ0123456789\n    client_secret: s3cret\n    \
        client_type: confidential\n    grant_types: [authorization-code]\n    \
        redirect_uris: ['http://127.0.0.1/callback']\n    \
        scopes: [openid, profile, patient/Patient.read, patient/ExplanationOfBenefit.read]\n    \
        require_demographic_scopes: false\n";
    let scenario = scenario::parse(yaml, scenario::Source::Builtin("test")).unwrap();
    let h = interactive_with(scenario).await;
    let query = "client_id=0123456789abcdefghijABCDEFGHIJ0123456789\
        &redirect_uri=http://127.0.0.1:9/callback&response_type=code&state=0123456789abcdef";
    let consent = logged_in(&h, query, "BBUser29999", "PW29999!").await;
    let page = h.get(&consent).await;
    let html = page.text();
    assert!(html.contains("Claims only &lt;app&gt;"), "{html}");
    assert!(!html.contains("<fieldset>"), "{html}");
    assert!(!html.contains("personal information"), "{html}");
    let back = decide(&h, &consent, "True", "False").await;
    assert_eq!(back.status, StatusCode::FOUND);
    assert!(
        back.location()
            .starts_with("http://127.0.0.1:9/callback?code=")
    );
}

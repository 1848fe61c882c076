//! Approved snapshots (under `snapshots/`) of one body of each kind the server sends. Tokens
//! are random and redacted; the port in link URLs is random and replaced.

use crate::support::*;
use insta::dynamic_redaction;
use serde_json::Value;

fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(project_path("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.add_redaction(".access_token", "[token]");
    settings.add_redaction(".refresh_token", "[token]");
    settings.add_redaction(
        ".link[].url",
        dynamic_redaction(|value, _| {
            let url = value.as_str().unwrap_or_default();
            let (_, rest) = url.split_once("/v2/").unwrap_or(("", url));
            format!("http://[origin]/v2/{rest}")
        }),
    );
    settings
}

fn snapshot(name: &str, body: &Value) {
    snapshot_settings().bind(|| insta::assert_json_snapshot!(name, body));
}

#[tokio::test]
async fn oauth_bodies() {
    let h = Harness::builtin("oauth-success").await;
    snapshot("token_response", &h.tokens("").await);
    let code = h.code("").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    snapshot(
        "oauth_error_oauthlib",
        &h.token_form(&form, Some((CONFIDENTIAL_ID, CONFIDENTIAL_SECRET)))
            .await
            .json(),
    );
    snapshot("oauth_error_bb2", &h.token_form(&form, None).await.json());
}

#[tokio::test]
async fn fhir_bodies() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token_for("BBUser20023").await;
    snapshot(
        "userinfo",
        &h.get_with_token("/v2/connect/userinfo", &token)
            .await
            .json(),
    );
    snapshot(
        "fhir_error",
        &h.get_with_token("/v2/fhir/ExplanationOfBenefit/?_count=51", &token)
            .await
            .json(),
    );
    snapshot(
        "patient",
        &h.get_with_token(&format!("/v2/fhir/Patient/{BBUSER20023}"), &token)
            .await
            .json(),
    );
    snapshot(
        "coverage_part_a",
        &h.get_with_token(&format!("/v2/fhir/Coverage/part-a-{BBUSER20023}"), &token)
            .await
            .json(),
    );
    let page = h
        .get_with_token(
            "/v2/fhir/ExplanationOfBenefit/?_count=2&startIndex=2",
            &token,
        )
        .await
        .json();
    let mut envelope = page.clone();
    envelope["entry"] = Value::from(format!(
        "[{} entries]",
        page["entry"].as_array().map_or(0, Vec::len)
    ));
    snapshot("eob_bundle_envelope", &envelope);
    for code in ["carrier", "inpatient", "pde"] {
        let one = h
            .get_with_token(
                &format!("/v2/fhir/ExplanationOfBenefit/?type={code}&_count=1"),
                &token,
            )
            .await
            .json();
        snapshot(&format!("eob_{code}"), &one["entry"][0]["resource"]);
    }
}

//! BB2's throttle on the FHIR views (behaviour file §3.3): `X-RateLimit-*` on every answer,
//! and 429 with `Retry-After` once a token's window is full (`rate_limit:` in a scenario).

use crate::support::*;
use reqwest::StatusCode;

fn rate_headers(reply: &Reply) -> [Option<&str>; 3] {
    [
        reply.header("x-ratelimit-limit"),
        reply.header("x-ratelimit-remaining"),
        reply.header("x-ratelimit-reset"),
    ]
}

#[tokio::test]
async fn every_answer_carries_the_rate_headers_none_where_no_throttle_ran() {
    let h = Harness::builtin("oauth-success").await;
    let token = h.access_token().await;
    let read = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(
        rate_headers(&read),
        [Some("100000"), Some("99999"), Some("1.0")]
    );
    let page = h.get("/no/such/page").await;
    assert_eq!(rate_headers(&page), [Some("None"); 3]);
    let unauthenticated = h.get("/v2/fhir/Coverage/").await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert_eq!(rate_headers(&unauthenticated), [Some("None"); 3]);
}

#[tokio::test]
async fn a_full_window_answers_429_with_retry_after_for_that_token_only() {
    let h = Harness::yaml("version: 1\nname: throttled\nrate_limit: 1/day\n").await;
    let token = h.access_token().await;
    let first = h.get_with_token("/v2/fhir/Coverage/", &token).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        rate_headers(&first),
        [Some("1"), Some("0"), Some("86400.0")]
    );

    let second = h
        .get_with_token("/v2/fhir/ExplanationOfBenefit/", &token)
        .await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.header("retry-after"), Some("86400"));
    assert_eq!(
        second.json(),
        serde_json::json!({"detail": "Request was throttled. Expected available in 86400 seconds."})
    );
    assert_eq!(
        rate_headers(&second),
        [Some("1"), Some("0"), Some("86400.0")]
    );

    let other = h.access_token().await;
    let fresh = h.get_with_token("/v2/fhir/Coverage/", &other).await;
    assert_eq!(
        fresh.status,
        StatusCode::OK,
        "another token has its own window"
    );
}

#[test]
fn a_rate_that_is_not_drf_shaped_is_refused_with_its_position() {
    let error = bluebutton_harness::scenario::parse(
        "version: 1\nname: bad-rate\nrate_limit: ten per minute\n",
        bluebutton_harness::scenario::Source::Builtin("test"),
    )
    .unwrap_err();
    assert_eq!(
        error[0].to_string(),
        "<built-in test>:3:13: rate_limit: expected a rate such as `10/minute` \
         (N/second|minute|hour|day), found `ten per minute`"
    );
}

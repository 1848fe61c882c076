//! Many OAuth journeys and paged reads at once on one server: every request answers as it
//! would alone, and no answer crosses over to another session's beneficiary.

use crate::support::*;
use bluebutton_harness::sandbox;
use http::StatusCode;
use std::sync::Arc;
use tokio::task::JoinSet;

/// Journeys run at once.
const JOURNEYS: usize = 32;

/// One beneficiary's journey: sign in, read the Patient and userinfo, then every EOB page
/// (`_count=25`, following `next` links). Returns how many claims the pages held.
async fn journey(h: &Harness, login: &str) -> usize {
    let tokens = h.tokens(&format!("&login_hint={login}")).await;
    let token = string_at(&tokens, "access_token");
    let patient = string_at(&tokens, "patient");
    assert_eq!(
        Some(patient.as_str()),
        sandbox::patient_id_for_login(login).as_deref(),
        "{login} signed in as someone else"
    );

    let read = h
        .get_with_token(&format!("/v2/fhir/Patient/{patient}"), &token)
        .await;
    assert_eq!(read.status, StatusCode::OK, "{login}: {}", read.text());
    assert_eq!(read.json()["id"], patient.as_str(), "{login}");

    let userinfo = h.get_with_token("/v2/connect/userinfo", &token).await;
    assert_eq!(userinfo.status, StatusCode::OK, "{login}");
    assert_eq!(userinfo.json()["sub"], patient.as_str(), "{login}");

    let origin = h.server.url();
    let mut next = Some("/v2/fhir/ExplanationOfBenefit/?_count=25".to_owned());
    let (mut claims, mut total) = (0, None);
    while let Some(target) = next.take() {
        let page = h.get_with_token(&target, &token).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "{login} {target}: {}",
            page.text()
        );
        let bundle = page.json();
        for entry in bundle["entry"].as_array().into_iter().flatten() {
            let reference = &entry["resource"]["patient"]["reference"];
            assert_eq!(
                reference.as_str(),
                Some(format!("Patient/{patient}").as_str()),
                "{login} {target}: a claim of another beneficiary"
            );
            claims += 1;
        }
        total = bundle["total"].as_u64();
        next = bundle["link"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|link| link["relation"] == "next")
            .and_then(|link| link["url"].as_str())
            .map(|url| url.strip_prefix(&origin).unwrap_or(url).to_owned());
    }
    assert_eq!(
        total,
        Some(claims as u64),
        "{login}: the pages hold the total"
    );
    claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_journeys_and_paged_reads_never_fail_or_cross() {
    let h = Arc::new(Harness::builtin("oauth-success").await);
    let mut journeys = JoinSet::new();
    for n in 0..JOURNEYS {
        let h = Arc::clone(&h);
        // Logins from all three sandbox blocks.
        let login = format!("BBUser{:05}", (n % 3) * 10_000 + n);
        journeys.spawn(async move { (journey(&h, &login).await, login) });
    }
    let mut done = Vec::new();
    while let Some(finished) = journeys.join_next().await {
        done.push(finished.expect("a journey panicked"));
    }
    assert_eq!(done.len(), JOURNEYS);
    assert!(
        done.iter().map(|(claims, _)| claims).sum::<usize>() > 0,
        "{done:?}"
    );
    // Nothing the journal still holds (it is bounded: the oldest pages are gone) failed.
    let exchanges = h.server.journal().exchanges();
    let failed: Vec<_> = exchanges
        .iter()
        .filter(|exchange| exchange.response.status.as_u16() >= 400)
        .map(|exchange| (&exchange.request.path, exchange.response.status))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
}

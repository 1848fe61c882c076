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

/// Sessions whose state machines move at once.
const SESSIONS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn state_machines_of_parallel_sessions_stay_apart() {
    // A counter per session: each Patient read moves it one state on, up to s4.
    let h = Arc::new(
        Harness::yaml(
            "version: 1\nname: counters\nstates:\n  reads:\n    states: [s0, s1, s2, s3, s4]\n    transitions:\n      - {from: s0, to: s1, when: {method: GET, path: /v2/fhir/Patient/}}\n      - {from: s1, to: s2, when: {method: GET, path: /v2/fhir/Patient/}}\n      - {from: s2, to: s3, when: {method: GET, path: /v2/fhir/Patient/}}\n      - {from: s3, to: s4, when: {method: GET, path: /v2/fhir/Patient/}}\n",
        )
        .await,
    );
    // Signed in one after the other: session n is the n-th token's.
    let mut tokens = Vec::new();
    for _ in 0..SESSIONS {
        tokens.push(h.access_token().await);
    }
    // Session n reads 1 + n % 4 times, all sessions at once.
    let mut reads = JoinSet::new();
    for (n, token) in tokens.iter().enumerate() {
        for _ in 0..=(n % 4) {
            let (h, token) = (Arc::clone(&h), token.clone());
            reads.spawn(async move { h.get_with_token("/v2/fhir/Patient/", &token).await.status });
        }
    }
    while let Some(status) = reads.join_next().await {
        assert_eq!(status.expect("a read panicked"), StatusCode::OK);
    }
    let expected: Vec<(u64, String)> = (0..SESSIONS)
        .map(|n| (n as u64 + 1, format!("s{}", 1 + n % 4)))
        .collect();
    let states: Vec<(u64, String)> = h
        .server
        .session_states()
        .into_iter()
        .map(|(session, machines)| (session.0, machines[0].1.clone()))
        .collect();
    assert_eq!(states, expected);
}

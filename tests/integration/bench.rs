//! The startup benchmarks' functions, run once each against the built `bbh`.

use bluebutton_harness::bench::startup::{cold_paging, cold_start, sign_in, spawn_serve};
use std::path::Path;

fn bbh() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bbh"))
}

#[tokio::test]
async fn cold_start_times_one_start() {
    let cold = cold_start(bbh(), 1).await.unwrap();
    assert_eq!(cold.runs.len(), 1);
    assert!(cold.median > std::time::Duration::ZERO);
    assert_eq!(cold.min, cold.max);
    assert!(cold.to_string().contains("1 runs"), "{cold}");
}

#[tokio::test]
async fn cold_paging_reads_page_1_and_page_1000() {
    let paging = cold_paging(bbh(), 1).await.unwrap();
    assert_eq!(paging.runs, 1);
    assert!(paging.page_1 > std::time::Duration::ZERO);
    assert!(paging.page_1000 > std::time::Duration::ZERO);
    let report = paging.to_string();
    assert!(
        report.contains("page 1 median") && report.contains("page 1,000 median"),
        "{report}"
    );
}

#[tokio::test]
async fn sign_in_returns_the_login_hints_patient() {
    let served = spawn_serve(bbh(), &[]).await.unwrap();
    assert!(
        served.origin.starts_with("http://127.0.0.1:"),
        "{}",
        served.origin
    );
    let tokens = sign_in(&served.origin, Some("BBUser20023")).await.unwrap();
    assert_eq!(tokens.patient, "-20140000000024");
    assert!(!tokens.access_token.is_empty() && !tokens.refresh_token.is_empty());
    // BBUser28324's generated patient id is Jane Doe's: no such login in the scenario.
    let absent = sign_in(&served.origin, Some("BBUser28324"))
        .await
        .unwrap_err();
    assert!(absent.to_string().contains("404"), "{absent}");
    served.stop().await.unwrap();
}

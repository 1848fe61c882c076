//! `then.fault` and `then.delay` over real TCP: every fault kind as a client meets it (raw
//! sockets where an HTTP client would hide what happened), delays as lower bounds, and rates
//! and log-normal latencies drawn the same way from the same seed.

use crate::support::*;
use bluebutton_harness::scenario::Latency;
use bluebutton_harness::server::fault_dice::FaultDice;
use flate2::read::GzDecoder;
use reqwest::StatusCode;
use serde_json::json;
use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SEED: u64 = 42;

/// A scenario with `seed: 42` and one stub answering `path` with `then`.
async fn stub(path: &str, then: &str) -> Harness {
    Harness::yaml(&format!(
        "version: 1\nname: wire\nseed: {SEED}\nstubs:\n  - when: {{path: {path}}}\n    then: {then}\n"
    ))
    .await
}

/// What a client reading the raw socket gets for `GET path`: every byte until the server
/// closes, and the error that ended the read, if any.
async fn raw_get(addr: SocketAddr, path: &str) -> (Vec<u8>, Option<std::io::Error>) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) => return (received, None),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) => return (received, Some(error)),
        }
    }
}

fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut plain = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut plain).map(|_| plain)
}

#[tokio::test]
async fn connection_reset_sends_no_byte_and_resets_the_connection() {
    let h = stub("/x", "{fault: connection-reset}").await;
    let (received, error) = raw_get(h.server.local_addr(), "/x").await;
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    let kind = error.map(|e| e.kind());
    assert_eq!(kind, Some(ErrorKind::ConnectionReset));

    let sent = h.client.get(h.url("/x")).send().await;
    assert!(sent.is_err(), "{sent:?}");

    // The journal says what happened; nothing of it went out.
    let exchange = h.server.journal().exchanges().remove(0);
    assert_eq!(exchange.response.status, StatusCode::BAD_GATEWAY);
    let fault = exchange.response.headers.get("bbh-fault");
    assert_eq!(fault.map(|v| v.as_bytes()), Some(&b"connection-reset"[..]));
}

#[tokio::test]
async fn empty_response_closes_without_a_byte() {
    let h = stub("/x", "{fault: empty-response}").await;
    let (received, error) = raw_get(h.server.local_addr(), "/x").await;
    assert!(error.is_none(), "{error:?}");
    assert!(
        received.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&received)
    );
    let sent = h.client.get(h.url("/x")).send().await;
    assert!(sent.is_err(), "{sent:?}");
}

#[tokio::test]
async fn random_bytes_are_not_http_and_come_from_the_seed() {
    let h = stub("/x", "{fault: random-bytes}").await;
    let (received, error) = raw_get(h.server.local_addr(), "/x").await;
    assert!(error.is_none(), "{error:?}");
    assert!(!received.starts_with(b"HTTP/"));
    // The first random-bytes draw of the scenario's seed.
    assert_eq!(received, FaultDice::new(SEED).noise());
    let sent = h.client.get(h.url("/x")).send().await;
    assert!(sent.is_err(), "{sent:?}");
}

#[tokio::test]
async fn malformed_chunk_breaks_the_chunk_framing() {
    let h = stub("/x", "{fault: malformed-chunk, headers: {X-Stub: '1'}}").await;
    let (received, error) = raw_get(h.server.local_addr(), "/x").await;
    assert!(error.is_none(), "{error:?}");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.contains("\r\ntransfer-encoding: chunked\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nx-stub: 1\r\n"), "{text}");
    assert!(text.ends_with("\r\nzz; not a chunk size\r\n"), "{text}");

    // An HTTP client gets the head, then fails on the body.
    let response = h.client.get(h.url("/x")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.bytes().await;
    assert!(body.is_err(), "{body:?}");
}

#[tokio::test]
async fn truncated_gzip_is_well_framed_and_does_not_decode() {
    let h = stub("/v2/fhir/metadata", "{fault: truncated-gzip}").await;
    // No Accept-Encoding: the fault sends gzip anyway.
    let response = h
        .client
        .get(h.url("/v2/fhir/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip");
    let body = response.bytes().await.unwrap();
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
    assert_eq!(&body[..2], [0x1f, 0x8b], "a gzip stream starts");
    let error = gunzip(&body).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof, "{error}");
}

#[tokio::test]
async fn gzip_header_only_labels_a_plain_body_gzip() {
    let h = stub("/v2/fhir/metadata", "{fault: gzip-header-only}").await;
    let response = h
        .client
        .get(h.url("/v2/fhir/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = response.bytes().await.unwrap();
    assert!(gunzip(&body).is_err());
    let plain: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(plain["resourceType"], "CapabilityStatement");
}

#[tokio::test]
async fn too_many_requests_answers_bb2s_throttle_refusal() {
    let h = Harness::yaml(
        "version: 1
name: wire
stubs:
  - when: {path: /v2/fhir/Patient/}
    then: {fault: {kind: too-many-requests, retry_after: 30}}
  - when: {path: /v2/fhir/Coverage/}
    then: {fault: too-many-requests}
",
    )
    .await;
    let refused = h.get("/v2/fhir/Patient/").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("content-type"),
        Some("application/fhir+json")
    );
    assert_eq!(
        refused.json(),
        json!({"detail": "Request was throttled. Expected available in 30 seconds."})
    );
    assert_eq!(refused.header("x-ratelimit-limit"), Some("100000"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(refused.header("x-ratelimit-reset"), Some("1.0"));

    let refused = h.get("/v2/fhir/Coverage/").await;
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.json(),
        json!({"detail": "Request was throttled. Expected available in 1 second."})
    );
}

#[tokio::test]
async fn a_fixed_delay_holds_the_answer_back() {
    let h = stub(
        "/x",
        "{body: late, headers: {Content-Type: text/plain}, delay: 300ms}",
    )
    .await;
    let started = Instant::now();
    let reply = h.get("/x").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(reply.text(), "late");
    // The journal's time includes the latency.
    let exchange = h.server.journal().exchanges().remove(0);
    assert!(exchange.elapsed >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_dribbled_body_arrives_in_pieces_with_its_length() {
    let body = "x".repeat(400);
    let h = stub(
        "/x",
        &format!("{{body: {body}, delay: {{fixed: 200ms, dribble: {{chunks: 4, over: 450ms}}}}}}"),
    )
    .await;
    let addr = h.server.local_addr();
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /x HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut reads = 0;
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).await.unwrap();
        if n == 0 {
            break;
        }
        reads += 1;
        received.extend_from_slice(&buffer[..n]);
    }
    // 200 ms of latency, then 450 ms from the first piece to the last.
    assert!(started.elapsed() >= Duration::from_millis(650));
    assert!(reads >= 2, "{reads} reads");
    let text = String::from_utf8(received).unwrap();
    let (head, received_body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.contains("\r\ncontent-length: 400\r\n"), "{head}");
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(received_body, body);
}

#[tokio::test]
async fn lognormal_latencies_are_the_seeds_draws() {
    let latency = Latency::LogNormal {
        median: Duration::from_millis(40),
        sigma: 0.8,
    };
    let h = stub("/x", "{body: ok, headers: {Content-Type: text/plain}, delay: {lognormal: {median: 40ms, sigma: 0.8}}}").await;
    let dice = FaultDice::new(SEED);
    let drawn: Vec<Duration> = (0..6).map(|_| dice.latency(latency)).collect();
    for drawn in &drawn {
        let started = Instant::now();
        assert_eq!(h.get("/x").await.text(), "ok");
        let elapsed = started.elapsed();
        assert!(elapsed >= *drawn, "{elapsed:?} < drawn {drawn:?}");
    }
    let exchanges = h.server.journal().exchanges();
    assert_eq!(exchanges.len(), drawn.len());
    for (exchange, drawn) in exchanges.iter().zip(&drawn) {
        assert!(
            exchange.elapsed >= *drawn,
            "{:?} < drawn {drawn:?}",
            exchange.elapsed
        );
    }
}

/// Which of `n` requests the fault struck (429) and which it spared (203 `ok`).
async fn strike_pattern(h: &Harness, n: usize) -> Vec<bool> {
    let mut pattern = Vec::with_capacity(n);
    for _ in 0..n {
        let reply = h.get("/x").await;
        match reply.status {
            StatusCode::TOO_MANY_REQUESTS => pattern.push(true),
            StatusCode::NON_AUTHORITATIVE_INFORMATION => {
                assert_eq!(reply.text(), "ok");
                pattern.push(false);
            }
            other => panic!("unexpected {other}"),
        }
    }
    pattern
}

#[tokio::test]
async fn a_rate_strikes_some_requests_in_the_same_order_for_the_same_seed() {
    const THEN: &str = "{status: 203, body: ok, headers: {Content-Type: text/plain}, \
                        fault: {kind: too-many-requests, rate: 0.5}}";
    let first = stub("/x", THEN).await;
    let second = stub("/x", THEN).await;
    let pattern = strike_pattern(&first, 40).await;
    assert!(
        pattern.contains(&true) && pattern.contains(&false),
        "{pattern:?}"
    );
    assert_eq!(strike_pattern(&second, 40).await, pattern);
    let dice = FaultDice::new(SEED);
    let drawn: Vec<bool> = (0..40).map(|_| dice.strikes(0.5)).collect();
    assert_eq!(pattern, drawn);
    // A reset starts the draws again.
    first.server.reset();
    assert_eq!(strike_pattern(&first, 40).await, pattern);
}

#[tokio::test]
async fn a_rated_connection_fault_lets_the_spared_requests_through() {
    let h = stub(
        "/v2/fhir/metadata",
        "{passthrough: true, fault: {kind: connection-reset, rate: 0.5}}",
    )
    .await;
    let dice = FaultDice::new(SEED);
    let pattern: Vec<bool> = (0..12).map(|_| dice.strikes(0.5)).collect();
    assert!(
        pattern.contains(&true) && pattern.contains(&false),
        "{pattern:?}"
    );
    for struck in pattern {
        let (received, error) = raw_get(h.server.local_addr(), "/v2/fhir/metadata").await;
        if struck {
            assert!(received.is_empty());
            assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::ConnectionReset));
        } else {
            assert!(error.is_none(), "{error:?}");
            let text = String::from_utf8_lossy(&received);
            assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
            assert!(text.contains("CapabilityStatement"));
        }
    }
}

#[tokio::test]
async fn a_client_that_leaves_during_the_latency_still_gets_its_request_done_and_journaled() {
    let h = Harness::yaml(
        "version: 1\nname: slow-token\nstubs:\n  - when: {method: POST, path: /v2/o/token/}\n    \
         then: {passthrough: true, delay: 300ms}\n",
    )
    .await;
    let code = h.code("").await;
    let addr = h.server.local_addr();
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(exchange_form(&code))
        .finish();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /v2/o/token/ HTTP/1.1\r\nHost: {addr}\r\nContent-Type: \
         application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // The client gives up at once; the server goes on, as BB2 does.
    drop(stream);
    let exchange = loop {
        let journal = h.server.journal().exchanges();
        if let Some(token) = journal.iter().find(|e| e.request.path == "/v2/o/token/") {
            break token.clone();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(exchange.response.status, StatusCode::OK);
    assert!(
        exchange.elapsed >= Duration::from_millis(300),
        "{:?}",
        exchange.elapsed
    );
    // The code was used up by the request whose client left.
    let again = h.exchange(&code).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text());
    assert_eq!(again.json()["error"], "invalid_grant");
}

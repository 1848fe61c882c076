//! HTTPS (`bbh serve --tls`, `ServerOptions.tls`): a client that trusts the written
//! self-signed certificate completes the OAuth code flow and reads Patient; one that does
//! not trust it is refused at the handshake.

use crate::support::*;
use bluebutton_harness::clock::Clock;
use bluebutton_harness::scenario;
use bluebutton_harness::server::tls::SelfSigned;
use bluebutton_harness::server::{self, ServerOptions};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, LOCATION};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// An HTTPS/1.1 client for one server that trusts only the given certificates; a new
/// connection per request.
struct Https {
    connector: TlsConnector,
    addr: SocketAddr,
    /// The name the certificate must be valid for (`localhost`, `127.0.0.1`).
    name: ServerName<'static>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

impl Https {
    fn trusting(pem: &[u8], addr: SocketAddr, name: &str) -> Https {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        Https::with_roots(roots, addr, name)
    }

    fn with_roots(roots: RootCertStore, addr: SocketAddr, name: &str) -> Https {
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Https {
            connector: TlsConnector::from(Arc::new(config)),
            addr,
            name: ServerName::try_from(name.to_owned()).unwrap(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(http::HeaderName, String)],
        body: &str,
    ) -> std::io::Result<Answer> {
        let tcp = TcpStream::connect(self.addr).await?;
        let tls = self.connector.connect(self.name.clone(), tcp).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, format!("localhost:{}", self.addr.port()));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body.to_owned())))
            .unwrap();
        let response = sender
            .send_request(request)
            .await
            .map_err(std::io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(std::io::Error::other)?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// The confidential app's code flow and a Patient read over HTTPS; returns the Patient.
async fn code_flow_and_patient(https: &Https) -> Value {
    let authorize = https
        .send(
            Method::GET,
            &format!("/v2/o/authorize/?{}", pkce_query(REDIRECT, "")),
            &[],
            "",
        )
        .await
        .unwrap();
    assert_eq!(authorize.status, StatusCode::FOUND);
    let location = authorize.headers[LOCATION].to_str().unwrap();
    let code = reqwest::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"));
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(exchange_form(&code))
        .finish();
    let token = https
        .send(
            Method::POST,
            "/v2/o/token/",
            &[(CONTENT_TYPE, "application/x-www-form-urlencoded".to_owned())],
            &form,
        )
        .await
        .unwrap();
    assert_eq!(token.status, StatusCode::OK, "{:?}", token.body);
    let tokens = token.json();
    assert_valid("token-response", &tokens);
    let access = string_at(&tokens, "access_token");
    let patient = https
        .send(
            Method::GET,
            &format!("/v2/fhir/Patient/{JANE}"),
            &[(AUTHORIZATION, format!("Bearer {access}"))],
            "",
        )
        .await
        .unwrap();
    assert_eq!(patient.status, StatusCode::OK);
    let patient = patient.json();
    assert_valid("fhir/patient-v2", &patient);
    patient
}

async fn tls_server(certificate: SelfSigned) -> server::RunningServer {
    let options = ServerOptions {
        clock: Some(Arc::new(Clock::from_wall_clock())),
        tls: Some(certificate),
        ..ServerOptions::default()
    };
    server::start(
        scenario::builtin("oauth-success").unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        options,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_client_trusting_the_certificate_completes_the_code_flow_over_https() {
    let certificate = SelfSigned::generate().unwrap();
    let pem = certificate.cert_pem().to_owned();
    let server = tls_server(certificate).await;
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );
    let https = Https::trusting(pem.as_bytes(), server.local_addr(), "localhost");
    let patient = code_flow_and_patient(&https).await;
    assert_eq!(patient["id"], JANE);
    // Links the server builds carry the https origin the client used.
    let token = server.journal().exchanges()[1].response.body.clone();
    let access = string_at(&serde_json::from_slice(&token).unwrap(), "access_token");
    let search = https
        .send(
            Method::GET,
            "/v2/fhir/ExplanationOfBenefit/?_count=1",
            &[(AUTHORIZATION, format!("Bearer {access}"))],
            "",
        )
        .await
        .unwrap();
    assert_eq!(search.status, StatusCode::OK);
    let bundle = search.json();
    let next = link(&bundle, "self").unwrap();
    assert!(next.starts_with("https://localhost:"), "{next}");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let server = tls_server(SelfSigned::generate().unwrap()).await;
    // Another self-signed certificate: valid names, wrong issuer.
    let other = SelfSigned::generate().unwrap();
    let https = Https::trusting(
        other.cert_pem().as_bytes(),
        server.local_addr(),
        "localhost",
    );
    let refused = https.send(Method::GET, "/robots.txt", &[], "").await;
    let error = refused.err().expect("the handshake fails");
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = http_client()
        .get(format!("http://{}/robots.txt", server.local_addr()))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    assert!(server.journal().exchanges().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn bbh_serve_tls_writes_its_certificate_and_serves_https() {
    let folder = tempfile::tempdir().unwrap();
    let cert = folder.path().join("cert.pem");
    let (bbh, url) = spawn_bbh(
        [
            "serve".as_ref(),
            "--tls".as_ref(),
            "--admin".as_ref(),
            "--addr".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--tls-cert".as_ref(),
            cert.as_os_str(),
        ],
        Stdio::piped(),
        LISTENING,
    );
    let authority = url
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not https: {url}"));
    let addr: SocketAddr = authority.parse().unwrap();
    // The certificate is written before the ready line.
    let pem = std::fs::read(&cert).unwrap();
    let https = Https::trusting(&pem, addr, "127.0.0.1");
    let patient = code_flow_and_patient(&https).await;
    assert_eq!(patient["resourceType"], "Patient");
    let shutdown = https
        .send(Method::POST, "/__admin/shutdown", &[], "")
        .await
        .unwrap();
    assert_eq!(shutdown.status, StatusCode::OK);
    let (status, log) = bbh.wait();
    assert!(status.success(), "exit {status}: {log}");
    assert!(
        log.contains(&format!("written to {}", cert.display())),
        "the log names the certificate's path: {log}"
    );
    assert!(log.contains("GET /v2/fhir/Patient/patient#1 200"), "{log}");
}

#[test]
fn tls_cert_needs_tls() {
    let out = Command::new(env!("CARGO_BIN_EXE_bbh"))
        .args(["serve", "--tls-cert", "x.pem", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--tls"), "{stderr}");
}

#[tokio::test]
async fn connection_faults_under_tls_end_the_connection_and_the_server_goes_on() {
    let certificate = SelfSigned::generate().unwrap();
    let pem = certificate.cert_pem().to_owned();
    let yaml = "version: 1\nname: tls-faults\nstubs:\n  \
        - when: {path: /reset}\n    then: {fault: connection-reset}\n  \
        - when: {path: /empty}\n    then: {fault: empty-response}\n  \
        - when: {path: /noise}\n    then: {fault: random-bytes}\n  \
        - when: {path: /chunk}\n    then: {fault: malformed-chunk}\n";
    let options = ServerOptions {
        tls: Some(certificate),
        ..ServerOptions::default()
    };
    let server = server::start(
        scenario::Scenario::from_yaml(yaml).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        options,
    )
    .await
    .unwrap();
    let https = Https::trusting(pem.as_bytes(), server.local_addr(), "localhost");
    for path in ["/reset", "/empty", "/noise", "/chunk"] {
        let broken = https.send(Method::GET, path, &[], "").await;
        assert!(
            broken.is_err(),
            "{path} answered: {:?}",
            broken.map(|a| a.status)
        );
    }
    let fine = https
        .send(Method::GET, "/robots.txt", &[], "")
        .await
        .unwrap();
    assert_eq!(fine.status, StatusCode::OK);
}

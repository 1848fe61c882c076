//! The recorder's own HTTP client for the upstream: hyper-util's pooled client over
//! hyper-rustls, so an `https://` upstream works while reqwest stays without TLS.
//!
//! It forwards as received: no redirect is followed, no body is decoded, no proxy from the
//! environment is used. Over TLS (rustls with the `ring` provider, HTTP/1.1) it trusts the
//! public web PKI roots compiled in from `webpki-roots` (Mozilla's list), plus the
//! certificates of `--upstream-ca FILE` when given.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// How long connecting to the upstream (TCP) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the certificates of `--upstream-ca` cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The file could not be read.
    #[error("--upstream-ca {}: cannot read it: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The file is not PEM, or a certificate in it is not one rustls accepts as a root.
    #[error("--upstream-ca {}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The extra roots in a PEM file: every `CERTIFICATE` block (other blocks, such as keys, are
/// skipped); at least one, each a certificate rustls can use as a trust anchor.
pub(crate) fn load_ca(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaError> {
    let bytes = std::fs::read(path).map_err(|source| CaError::Read {
        path: path.to_owned(),
        source,
    })?;
    let invalid = |reason: String| CaError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, pem::Error>>()
        .map_err(|error| invalid(format!("not valid PEM: {error}")))?;
    if certs.is_empty() {
        return Err(invalid(
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE----- blocks)".to_owned(),
        ));
    }
    let mut store = RootCertStore::empty();
    for (index, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|error| {
            invalid(format!(
                "certificate {} of {} cannot be a trusted root: {error}",
                index + 1,
                certs.len()
            ))
        })?;
    }
    Ok(certs)
}

/// The client the recorder forwards with.
#[derive(Clone)]
pub(crate) struct UpstreamClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// What the upstream answered: status, headers and the body's bytes as received.
pub(crate) struct UpstreamAnswer {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

impl UpstreamClient {
    /// A client trusting the web PKI roots and `extra_roots`.
    pub(crate) fn new(
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> Result<UpstreamClient, rustls::Error> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for cert in extra_roots {
            roots.add(cert)?;
        }
        let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = HttpsConnector::from((http, Arc::new(config)));
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(UpstreamClient { client })
    }

    /// Sends `request` and reads the whole answer (at most `max_body` bytes of body).
    pub(crate) async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
        max_body: usize,
    ) -> Result<UpstreamAnswer, String> {
        let response = self
            .client
            .request(request)
            .await
            .map_err(|error| describe(&error))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, max_body)
            .collect()
            .await
            .map_err(|error| format!("reading the answer's body: {}", describe(&*error)))?
            .to_bytes();
        Ok(UpstreamAnswer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// An error and its causes on one line; a TLS failure says so and how to trust a CA.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut tls = None;
    let mut cause = Some(error);
    while let Some(current) = cause {
        tls = tls.or_else(|| rustls_error(current));
        let message = current.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = current.source();
    }
    match tls {
        Some(rustls::Error::InvalidCertificate(_)) => format!(
            "TLS handshake failed: {text} (to trust the upstream's certificate authority, pass \
             it with --upstream-ca FILE)"
        ),
        Some(_) => format!("TLS handshake failed: {text}"),
        None => text,
    }
}

/// The rustls error behind `error`, which may be wrapped in `io::Error`s.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    let inner = error.downcast_ref::<std::io::Error>()?.get_ref()?;
    rustls_error(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::tls::SelfSigned;
    use std::io::Write;

    fn file_with(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        file
    }

    fn invalid_reason(contents: &[u8]) -> String {
        let file = file_with(contents);
        match load_ca(file.path()) {
            Err(CaError::Invalid { path, reason }) => {
                assert_eq!(path, file.path());
                let shown = CaError::Invalid {
                    path,
                    reason: reason.clone(),
                }
                .to_string();
                assert!(shown.starts_with("--upstream-ca "), "{shown}");
                reason
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_self_signed_certificate_loads_as_one_root_and_keys_are_skipped() {
        let cert = SelfSigned::generate().unwrap();
        let mut pem = b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec();
        pem.extend_from_slice(cert.cert_pem().as_bytes());
        let file = file_with(&pem);
        let roots = load_ca(file.path()).unwrap();
        assert_eq!(roots.len(), 1);
        assert!(UpstreamClient::new(roots).is_ok());
        // Two roots in one file.
        let other = SelfSigned::generate().unwrap();
        let two = format!("{}{}", cert.cert_pem(), other.cert_pem());
        let file = file_with(two.as_bytes());
        assert_eq!(load_ca(file.path()).unwrap().len(), 2);
    }

    #[test]
    fn a_missing_file_cannot_be_read() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("nowhere.pem");
        let error = load_ca(&missing).unwrap_err();
        assert!(matches!(error, CaError::Read { .. }), "{error:?}");
        let shown = error.to_string();
        assert!(shown.contains("nowhere.pem: cannot read it"), "{shown}");
        // A folder is not a file either.
        let error = load_ca(folder.path()).unwrap_err();
        assert!(matches!(error, CaError::Read { .. }), "{error:?}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        for contents in [
            &b""[..],
            b"not a certificate at all\n",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let reason = invalid_reason(contents);
            assert!(reason.contains("no PEM certificate"), "{reason}");
        }
    }

    #[test]
    fn broken_pem_is_refused() {
        let reason =
            invalid_reason(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assert!(reason.contains("not valid PEM"), "{reason}");
        let reason = invalid_reason(b"-----BEGIN CERTIFICATE-----\nAAAA\n");
        assert!(reason.contains("not valid PEM"), "{reason}");
    }

    #[test]
    fn a_certificate_block_that_is_not_a_certificate_is_refused() {
        // Valid base64, but not DER of an X.509 certificate.
        let reason = invalid_reason(
            b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        );
        assert!(
            reason.contains("certificate 1 of 1 cannot be a trusted root"),
            "{reason}"
        );
    }

    #[test]
    fn tls_failures_are_described_as_such() {
        let wrapped = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        let text = describe(&wrapped);
        assert!(text.starts_with("TLS handshake failed: "), "{text}");
        assert!(text.contains("UnknownIssuer"), "{text}");
        assert!(text.contains("--upstream-ca"), "{text}");
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(describe(&plain), "refused");
    }
}

//! HTTPS for `bbh serve --tls`: a self-signed certificate made at start (rcgen) for
//! `localhost`, `127.0.0.1` and `::1`, served with rustls (the `ring` provider), HTTP/1.1
//! only. Only the certificate is written out, so a client can trust it; the private key
//! never leaves the process.

use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};

/// The names the certificate is valid for (its subject alternative names).
pub const NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why a certificate could not be made or served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate or its key could not be generated.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate or the protocol settings.
    #[error("cannot configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

/// A freshly generated self-signed certificate and the TLS set-up that serves it. Cloning
/// shares the same certificate.
#[derive(Clone)]
pub struct SelfSigned {
    cert_pem: String,
    acceptor: TlsAcceptor,
}

impl SelfSigned {
    /// A new key pair and a certificate for [`NAMES`], signed by that key.
    pub fn generate() -> Result<SelfSigned, TlsError> {
        let names: Vec<String> = NAMES.iter().map(|name| (*name).to_owned()).collect();
        let certified = rcgen::generate_simple_self_signed(names)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(SelfSigned {
            cert_pem: certified.cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The certificate in PEM (`-----BEGIN CERTIFICATE-----`), for clients to trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// What performs the server side of each handshake.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    #[test]
    fn each_certificate_is_new_and_is_one_pem_certificate() {
        let first = SelfSigned::generate().unwrap();
        let second = SelfSigned::generate().unwrap();
        assert_ne!(first.cert_pem(), second.cert_pem());
        let pem = first.cert_pem();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(!pem.contains("PRIVATE KEY"), "the key is never in the PEM");
        let certs: Vec<CertificateDer> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(certs.len(), 1);
    }
}

//! `bbh record`: a reverse proxy in front of a Blue Button server that writes the traffic
//! passing through it as a replayable scenario (`bbh serve --scenario FILE` replays it).
//!
//! After each exchange the output file is rewritten whole and atomically: one stub per
//! distinct request (method, path, query and form fields, `Authorization`), its answers in
//! call order (a `sequence` when the same request got different answers). Credentials,
//! codes, tokens, cookies and the beneficiary's personal data are never written: tokens and
//! codes become `{{fresh.token-N}}` / `{{fresh.code-N}}` templates so the replay issues fresh
//! ones and only answers a client that sends back what it was given (the rules are in
//! `record/rebind.rs` and `record/personal.rs`).

mod personal;
mod proxy;
mod rebind;
mod upstream;
mod writer;

pub use upstream::CaError;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why a recorder could not start.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The upstream URL is not one the recorder can forward to.
    #[error("--upstream {url}: {reason}")]
    Upstream {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The system's error.
        source: std::io::Error,
    },
    /// The output file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The extra roots of `--upstream-ca` cannot be read or used.
    #[error(transparent)]
    UpstreamCa(#[from] CaError),
    /// The empty recording could not be turned into YAML.
    #[error("cannot write the recording as YAML: {0}")]
    Yaml(#[from] yaml_serde::Error),
    /// The TLS client for the upstream could not be configured.
    #[error("cannot configure TLS for the upstream: {0}")]
    Tls(#[from] tokio_rustls::rustls::Error),
}

/// Options of a recorder beyond its upstream, address and output file.
#[derive(Debug, Clone, Default)]
pub struct RecordOptions {
    /// A PEM file of extra certificates to trust as roots for an `https://` upstream,
    /// besides the public web PKI roots built in (a corporate proxy's CA, a test server's
    /// self-signed certificate). `--upstream-ca FILE`.
    pub upstream_ca: Option<PathBuf>,
}

/// A recorder that is accepting connections.
pub struct RunningRecorder {
    shared: Arc<proxy::Shared>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Checks `upstream`, writes an empty recording to `out` (replacing any file there), binds
/// `addr` and forwards every request to `upstream` until stopped; [`start_with`] with the
/// default options.
///
/// `upstream` is an origin such as `http://127.0.0.1:8000` or
/// `https://sandbox.bluebutton.cms.gov` (no path, query or credentials). Over HTTPS the
/// upstream's certificate must chain to a public web PKI root.
pub async fn start(
    upstream: &str,
    addr: SocketAddr,
    out: &Path,
) -> Result<RunningRecorder, RecordError> {
    start_with(upstream, addr, out, RecordOptions::default()).await
}

/// [`start`] with options: `options.upstream_ca` adds trusted roots for an `https://`
/// upstream. The upstream and the CA file are checked before anything is written.
pub async fn start_with(
    upstream: &str,
    addr: SocketAddr,
    out: &Path,
    options: RecordOptions,
) -> Result<RunningRecorder, RecordError> {
    let origin = upstream_origin(upstream).map_err(|reason| RecordError::Upstream {
        url: upstream.to_owned(),
        reason,
    })?;
    let extra_roots = match &options.upstream_ca {
        Some(path) => upstream::load_ca(path)?,
        None => Vec::new(),
    };
    let client = upstream::UpstreamClient::new(extra_roots)?;
    let recording = writer::Recording::new(writer::scenario_name(out), origin.clone());
    let write_error = |source| RecordError::Write {
        path: out.to_owned(),
        source,
    };
    writer::write_atomic(out, &recording.to_yaml()?).map_err(write_error)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| RecordError::Listen { addr, source })?;
    let local_addr = listener
        .local_addr()
        .map_err(|source| RecordError::Listen { addr, source })?;
    let shared = Arc::new(proxy::Shared::new(
        origin,
        client,
        out.to_owned(),
        recording,
        local_addr,
    ));
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(proxy::accept_loop(listener, Arc::clone(&shared), stopped));
    Ok(RunningRecorder { shared, stop, task })
}

impl RunningRecorder {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// Its base URL (`http://127.0.0.1:41234`): what a client uses instead of the upstream.
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.local_addr)
    }

    /// The upstream's origin it forwards to.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// How many exchanges the output file holds.
    pub fn exchanges(&self) -> usize {
        self.shared.recorded.load(Ordering::Relaxed)
    }

    /// Stops accepting, lets open exchanges finish (up to a grace period), and returns how
    /// many exchanges the output file holds.
    pub async fn stop(self) -> usize {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        self.shared.recorded.load(Ordering::Relaxed)
    }
}

/// The origin of an upstream URL (`http://host:port` or `https://host:port`, default port
/// omitted), or why it is not one.
fn upstream_origin(upstream: &str) -> Result<String, String> {
    let example =
        "expected an origin such as http://127.0.0.1:8000 or https://sandbox.bluebutton.cms.gov";
    let url = reqwest::Url::parse(upstream).map_err(|error| format!("{error}; {example}"))?;
    match url.scheme() {
        "http" | "https" => {}
        scheme => return Err(format!("unsupported scheme `{scheme}`; {example}")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("no host; {example}"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not supported".to_owned());
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "a path, query or fragment is not supported (requests keep their own); {example}"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_are_origins() {
        assert_eq!(
            upstream_origin("http://127.0.0.1:8000").as_deref(),
            Ok("http://127.0.0.1:8000")
        );
        assert_eq!(
            upstream_origin("http://Example.org:80/").as_deref(),
            Ok("http://example.org")
        );
        assert_eq!(
            upstream_origin("https://sandbox.bluebutton.cms.gov").as_deref(),
            Ok("https://sandbox.bluebutton.cms.gov")
        );
        assert_eq!(
            upstream_origin("https://sandbox.bluebutton.cms.gov:443/").as_deref(),
            Ok("https://sandbox.bluebutton.cms.gov")
        );
        assert_eq!(
            upstream_origin("https://127.0.0.1:8443").as_deref(),
            Ok("https://127.0.0.1:8443")
        );
        for (bad, why) in [
            ("ftp://h", "unsupported scheme"),
            ("127.0.0.1:8000", "expected an origin"),
            ("https://h/v2", "a path"),
            ("http://h/v2", "a path"),
            ("http://h/?x=1", "a path, query"),
            ("http://u:p@h", "credentials"),
            ("not a url", "expected an origin"),
        ] {
            let error = upstream_origin(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}

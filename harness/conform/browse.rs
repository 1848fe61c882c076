//! The user agent behind `bbh browse URL` (what `BROWSER` points to) and behind the runner's
//! `--app-url` journey: it GETs a URL and follows redirects by hand (http only, at most
//! [`MAX_REDIRECTS`], with a cookie jar), retrying a refused connection for a while because
//! the client's callback server may not listen yet. When a redirect carries
//! `X-Bbh-Probe: replay-callback`, the next request (the callback) is delivered twice.
//!
//! `bbh browse URL` must return at once (Python's `webbrowser` waits for the browser command,
//! and a single-threaded client may only serve its callback after that), so it re-spawns
//! itself detached as `bbh browse --foreground URL` in the same process group (the runner's
//! group kill reaches it) and exits. POSIX only.

use crate::oauth::authorize::{PROBE_HEADER, REPLAY_CALLBACK};
use http::StatusCode;
use http::header::LOCATION;
use reqwest::Url;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::time::Instant;

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 20;

/// How long a refused connection is retried.
pub const CONNECT_PATIENCE: Duration = Duration::from_secs(10);

/// Pause between two connection attempts.
const RETRY_EVERY: Duration = Duration::from_millis(100);

/// The user agent could not be built or a journey could not go on.
#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(reqwest::Error),
    /// A URL is not an absolute http URL.
    #[error("{url}: not an http URL{detail}")]
    NotHttp {
        /// The URL (query removed).
        url: String,
        /// Why, when known (`: relative URL without a base`).
        detail: String,
    },
    /// A request failed (after the retries for a refused connection).
    #[error("GET {url}: {source}")]
    Request {
        /// The URL (query removed).
        url: String,
        /// Why.
        source: reqwest::Error,
    },
    /// A redirect had no usable `Location`.
    #[error("{status} from {url} without a usable Location header")]
    NoLocation {
        /// The redirect's status.
        status: StatusCode,
        /// The URL that answered (query removed).
        url: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {MAX_REDIRECTS} redirects, the last to {url}")]
    TooManyRedirects {
        /// The last redirect's target (query removed).
        url: String,
    },
}

/// One request of a journey and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The URL requested, without its query string (it may carry codes).
    pub url: String,
    /// The answer's status.
    pub status: StatusCode,
    /// Whether this request was delivered a second time (the replay-callback probe).
    pub replayed: bool,
}

impl std::fmt::Display for Hop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GET {} -> {}", self.url, self.status.as_u16())?;
        if self.replayed {
            write!(f, " (delivered twice: replay-callback probe)")?;
        }
        Ok(())
    }
}

/// A browser without a screen: a cookie jar and manual redirects.
#[derive(Debug, Clone)]
pub struct UserAgent {
    http: reqwest::Client,
}

impl UserAgent {
    /// A user agent with an empty cookie jar, no proxy and no automatic redirects.
    pub fn new() -> Result<UserAgent, BrowseError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .no_proxy()
            .build()
            .map_err(BrowseError::Client)?;
        Ok(UserAgent { http })
    }

    /// GETs `start` and follows its redirects; `on_hop` sees every answer as it arrives.
    /// Returns the final (non-redirect) status.
    pub async fn journey(
        &self,
        start: &str,
        mut on_hop: impl FnMut(&Hop),
    ) -> Result<StatusCode, BrowseError> {
        let mut url = http_url(start, None)?;
        let mut replay_next = false;
        for _ in 0..=MAX_REDIRECTS {
            let response = self.get_patiently(&url).await?;
            let status = response.status();
            let headers = response.headers().clone();
            // Let the exchange finish before the next one (and before any replay).
            let _ = response.bytes().await;
            on_hop(&Hop {
                url: without_query(&url),
                status,
                replayed: replay_next,
            });
            if replay_next {
                // The second delivery, sequential; whatever happens to it does not matter.
                if let Ok(again) = self.http.get(url.clone()).send().await {
                    let _ = again.bytes().await;
                }
            }
            if !status.is_redirection() {
                return Ok(status);
            }
            let location = headers
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| BrowseError::NoLocation {
                    status,
                    url: without_query(&url),
                })?;
            replay_next = headers.get(PROBE_HEADER).is_some_and(|value| {
                value
                    .as_bytes()
                    .eq_ignore_ascii_case(REPLAY_CALLBACK.as_bytes())
            });
            url = http_url(location, Some(&url))?;
        }
        Err(BrowseError::TooManyRedirects {
            url: without_query(&url),
        })
    }

    /// GET, retrying a connection that cannot be made for [`CONNECT_PATIENCE`].
    async fn get_patiently(&self, url: &Url) -> Result<reqwest::Response, BrowseError> {
        let give_up = Instant::now() + CONNECT_PATIENCE;
        loop {
            match self.http.get(url.clone()).send().await {
                Ok(response) => return Ok(response),
                Err(error) if error.is_connect() && Instant::now() < give_up => {
                    tokio::time::sleep(RETRY_EVERY).await;
                }
                Err(source) => {
                    return Err(BrowseError::Request {
                        url: without_query(url),
                        source: source.without_url(),
                    });
                }
            }
        }
    }
}

/// `text` as an absolute http URL, resolved against `base` when relative.
fn http_url(text: &str, base: Option<&Url>) -> Result<Url, BrowseError> {
    let parsed = match base {
        Some(base) => base.join(text),
        None => Url::parse(text),
    };
    let shown = || text.split(['?', '#']).next().unwrap_or_default().to_owned();
    match parsed {
        Ok(url) if url.scheme() == "http" => Ok(url),
        Ok(_) => Err(BrowseError::NotHttp {
            url: shown(),
            detail: String::new(),
        }),
        Err(error) => Err(BrowseError::NotHttp {
            url: shown(),
            detail: format!(": {error}"),
        }),
    }
}

/// The URL without its query and fragment: what may be logged.
fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// `bbh browse URL`: starts `bbh browse --foreground URL` (the binary at `bbh`) in this
/// process group, detached (stdin and stdout closed, stderr shared), and returns without
/// waiting for it.
pub fn spawn_detached(bbh: &Path, url: &str) -> std::io::Result<()> {
    std::process::Command::new(bbh)
        .args(["browse", "--foreground", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map(drop)
}

/// `bbh browse --foreground URL`: drives the journey, one line per hop on stderr (no query
/// strings). `true` when it reached a non-redirect answer.
pub async fn foreground(url: &str) -> bool {
    let agent = match UserAgent::new() {
        Ok(agent) => agent,
        Err(error) => {
            eprintln!("bbh browse: {error}");
            return false;
        }
    };
    match agent
        .journey(url, |hop| eprintln!("bbh browse: {hop}"))
        .await
    {
        Ok(_) => true,
        Err(error) => {
            eprintln!("bbh browse: {error}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_urls_carry_no_query() {
        let url = Url::parse("http://127.0.0.1:5/callback?code=secret&state=s#frag").unwrap();
        assert_eq!(without_query(&url), "http://127.0.0.1:5/callback");
    }

    #[test]
    fn only_http_urls_are_followed() {
        let base = Url::parse("http://127.0.0.1:5/a/b").unwrap();
        assert_eq!(
            http_url("/c?x=1", Some(&base)).unwrap().as_str(),
            "http://127.0.0.1:5/c?x=1"
        );
        let error = http_url(
            "gov.cms.bluebutton.oauthtester:/callback?code=1",
            Some(&base),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "gov.cms.bluebutton.oauthtester:/callback: not an http URL"
        );
        assert!(http_url("https://example.org/", None).is_err());
        assert!(http_url("not a url", None).is_err());
    }
}

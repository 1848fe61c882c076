//! The client under test as a process: `sh -c CMD` in the current directory, in a process
//! group of its own, with the environment of DESIGN "The client under test", stdin closed,
//! stdout and stderr captured (bounded) while they are written.
//!
//! However the client ends (by itself, at the timeout, or because the runner stops it), its
//! whole process group is killed, so nothing it started outlives the run. POSIX only: process
//! groups and signals.

use crate::conform::evidence::ClientEnd;
use crate::conform::run::Captured;
use process_wrap::tokio::{ChildWrapper, CommandWrap, KillOnDrop, ProcessGroup};
use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

/// The redirect URI the client is given: it listens on a port of its choice and sends
/// `http://127.0.0.1:PORT/callback` (RFC 8252).
pub const REDIRECT_URI: &str = crate::scenario::defaults::LOOPBACK_REDIRECT_URI;

/// Bytes kept of each of stdout and stderr; the rest is read, counted and dropped.
pub const CAPTURE_LIMIT: usize = 1 << 20;

/// How long the group has between SIGTERM and SIGKILL when the runner stops it.
pub const TERM_GRACE: Duration = Duration::from_millis(500);

/// How long the capture waits for the pipes to close once the group is dead (a process that
/// left the group may hold them open).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// POSIX (XSI) signal numbers, as `kill -s` knows them.
const SIGTERM: i32 = 15;
const SIGKILL: i32 = 9;

/// What the client finds in its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientEnv {
    /// `BB_BASE_URL`: the fake server's origin, no trailing slash.
    pub base_url: String,
    /// `BB_API_VERSION`: `v1` or `v2`.
    pub api_version: String,
    /// `BB_CLIENT_ID`.
    pub client_id: String,
    /// `BB_CLIENT_SECRET`: empty for public apps.
    pub client_secret: String,
    /// `BB_OUTPUT`: where the client may write its output JSON.
    pub output: PathBuf,
    /// The `bbh` binary `BROWSER` runs (`<bbh> browse %s`).
    pub bbh_path: PathBuf,
}

impl ClientEnv {
    /// The variables, as `(name, value)` pairs (`BB_REDIRECT_URI` and `BROWSER` included).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "BB_BASE_URL",
                self.base_url.trim_end_matches('/').to_owned(),
            ),
            ("BB_API_VERSION", self.api_version.clone()),
            ("BB_CLIENT_ID", self.client_id.clone()),
            ("BB_CLIENT_SECRET", self.client_secret.clone()),
            ("BB_REDIRECT_URI", REDIRECT_URI.to_owned()),
            ("BB_OUTPUT", self.output.display().to_string()),
            ("BROWSER", browser_command(&self.bbh_path)),
        ]
    }
}

/// `BROWSER`: `<bbh> browse %s`, the path single-quoted when the shell (or Python's `shlex`)
/// would otherwise split or expand it.
pub fn browser_command(bbh_path: &Path) -> String {
    let path = bbh_path.display().to_string();
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c));
    if plain {
        format!("{path} browse %s")
    } else {
        format!("'{}' browse %s", path.replace('\'', r"'\''"))
    }
}

/// Why the runner stops a client that is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// It flooded the server: the journal is full.
    Flooded,
    /// `bbh conform` was interrupted (SIGINT or SIGTERM).
    Interrupted,
    /// The runner drove a web app's journey; `completed` when it ended on a non-error page.
    AfterJourney {
        /// Whether the journey ended on a non-error page.
        completed: bool,
    },
}

/// A client process failed to start or to be waited for.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `sh -c CMD` could not be spawned.
    #[error("cannot start the client `sh -c {command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// Waiting for the client failed.
    #[error("cannot wait for the client `sh -c {command}`: {source}")]
    Wait {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
}

/// How a client run ended, with what it wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientRun {
    /// How it ended.
    pub end: ClientEnd,
    /// Its stdout, bounded.
    pub stdout: Captured,
    /// Its stderr, bounded.
    pub stderr: Captured,
}

/// A running client: the leader of its own process group.
///
/// Dropping it kills the whole group (SIGKILL), so a runner that gives up early leaves
/// nothing behind.
#[derive(Debug)]
pub struct RunningClient {
    command: String,
    child: Box<dyn ChildWrapper>,
    stdout: Capture,
    stderr: Capture,
    /// Whether the group was killed after the leader was reaped (no signal on drop then:
    /// the group id could in principle be reused).
    finished: bool,
}

impl RunningClient {
    /// Spawns `sh -c command` in the current directory, in a new process group, with `env`
    /// added to the runner's environment and stdin closed.
    pub fn spawn(command: &str, env: &ClientEnv) -> Result<RunningClient, ClientError> {
        let mut wrap = CommandWrap::with_new("sh", |cmd| {
            cmd.arg("-c")
                .arg(command)
                .envs(env.vars())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
        });
        wrap.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
        let mut child = wrap.spawn().map_err(|source| ClientError::Spawn {
            command: command.to_owned(),
            source,
        })?;
        let stdout = Capture::start(child.stdout().take());
        let stderr = Capture::start(child.stderr().take());
        Ok(RunningClient {
            command: command.to_owned(),
            child,
            stdout,
            stderr,
            finished: false,
        })
    }

    /// The process id of `sh`, which is also the process group id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Waits until the client exits, `deadline` passes (then: `timed_out`), or `stop` asks
    /// for it; in every case the whole group is killed afterwards, and the captured output is
    /// collected.
    pub async fn finish(
        mut self,
        deadline: Instant,
        stop: impl Future<Output = StopRequest>,
    ) -> Result<ClientRun, ClientError> {
        let mut end = ClientEnd::default();
        let outcome = tokio::select! {
            status = self.child.wait() => Outcome::Exited(status),
            () = sleep_until(deadline) => Outcome::TimedOut,
            request = stop => Outcome::Stopped(request),
        };
        let status = match outcome {
            Outcome::Exited(status) => status,
            Outcome::TimedOut => {
                end.timed_out = true;
                self.terminate().await
            }
            Outcome::Stopped(StopRequest::Flooded) => {
                end.flooded = true;
                self.terminate().await
            }
            Outcome::Stopped(StopRequest::Interrupted) => {
                end.interrupted = true;
                self.terminate().await
            }
            Outcome::Stopped(StopRequest::AfterJourney { completed }) => {
                end.stopped_after_journey = completed;
                self.terminate().await
            }
        };
        // Whatever the leader left behind goes with it.
        let _ = self.child.signal(SIGKILL);
        self.finished = true;
        let status = status.map_err(|source| ClientError::Wait {
            command: self.command.clone(),
            source,
        })?;
        end.exit_code = status.code();
        end.signal = status.signal();
        let stdout = self.stdout.collect().await;
        let stderr = self.stderr.collect().await;
        Ok(ClientRun {
            end,
            stdout,
            stderr,
        })
    }

    /// SIGTERM to the group, a short grace for the leader, then SIGKILL; the leader's status.
    async fn terminate(&mut self) -> std::io::Result<ExitStatus> {
        let _ = self.child.signal(SIGTERM);
        if let Ok(status) = timeout(TERM_GRACE, self.child.wait()).await {
            return status;
        }
        let _ = self.child.signal(SIGKILL);
        self.child.wait().await
    }
}

impl Drop for RunningClient {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.child.signal(SIGKILL);
        }
    }
}

enum Outcome {
    Exited(std::io::Result<ExitStatus>),
    TimedOut,
    Stopped(StopRequest),
}

/// One stream being read into a bounded buffer.
#[derive(Debug)]
struct Capture {
    task: Option<JoinHandle<Captured>>,
    cancel: Option<oneshot::Sender<()>>,
}

impl Capture {
    fn start(stream: Option<impl AsyncRead + Unpin + Send + 'static>) -> Capture {
        let Some(stream) = stream else {
            return Capture {
                task: None,
                cancel: None,
            };
        };
        let (cancel, cancelled) = oneshot::channel();
        Capture {
            task: Some(tokio::spawn(read_bounded(stream, cancelled))),
            cancel: Some(cancel),
        }
    }

    /// What was read: all of it when the pipe closes within the drain grace, else what came
    /// until then.
    async fn collect(&mut self) -> Captured {
        let Some(mut task) = self.task.take() else {
            return Captured::default();
        };
        if let Ok(joined) = timeout(DRAIN_GRACE, &mut task).await {
            return joined.unwrap_or_default();
        }
        if let Some(cancel) = self.cancel.take() {
            let _ = cancel.send(());
        }
        task.await.unwrap_or_default()
    }
}

/// Reads `stream` to its end (or until cancelled), keeping the first [`CAPTURE_LIMIT`] bytes
/// and counting all of them.
async fn read_bounded(
    mut stream: impl AsyncRead + Unpin,
    mut cancelled: oneshot::Receiver<()>,
) -> Captured {
    let mut captured = Captured::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            biased;
            _ = &mut cancelled => break,
            read = stream.read(&mut chunk) => read,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        captured.total += n as u64;
        let room = CAPTURE_LIMIT.saturating_sub(captured.bytes.len());
        captured
            .bytes
            .extend_from_slice(chunk.get(..n.min(room)).unwrap_or_default());
    }
    captured
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_command_quotes_only_paths_that_need_it() {
        assert_eq!(
            browser_command(Path::new("/usr/local/bin/bbh")),
            "/usr/local/bin/bbh browse %s"
        );
        assert_eq!(
            browser_command(Path::new("/tmp/my dir/it's/bbh")),
            r"'/tmp/my dir/it'\''s/bbh' browse %s"
        );
    }

    #[test]
    fn vars_carry_the_contract() {
        let env = ClientEnv {
            base_url: "http://127.0.0.1:4000/".to_owned(),
            api_version: "v2".to_owned(),
            client_id: "id".to_owned(),
            client_secret: String::new(),
            output: PathBuf::from("/tmp/x/output.json"),
            bbh_path: PathBuf::from("/bin/bbh"),
        };
        let vars = env.vars();
        let get = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("BB_BASE_URL"), Some("http://127.0.0.1:4000"));
        assert_eq!(get("BB_CLIENT_SECRET"), Some(""));
        assert_eq!(get("BB_REDIRECT_URI"), Some(REDIRECT_URI));
        assert_eq!(get("BROWSER"), Some("/bin/bbh browse %s"));
    }

    #[tokio::test]
    async fn the_capture_keeps_the_limit_and_counts_the_rest() {
        let data = vec![7u8; CAPTURE_LIMIT + 10];
        let (_cancel, cancelled) = oneshot::channel();
        let captured = read_bounded(&data[..], cancelled).await;
        assert_eq!(captured.bytes.len(), CAPTURE_LIMIT);
        assert_eq!(captured.total, (CAPTURE_LIMIT + 10) as u64);
        assert!(captured.truncated());
    }
}

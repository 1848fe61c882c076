//! Snapshot assertions of a conformance run, and the `bbh snapshots review|accept` workflow.
//!
//! With `expect.snapshot: true` (or when the caller forces it) a run's client output and its
//! normalized transcript ([`crate::report::transcript::normalized`]) are compared with
//! `DIR/<scenario>.output.json` and `DIR/<scenario>.transcript.json`. In CI mode (`CI=true`)
//! a missing or different snapshot fails and nothing is written; locally it fails and the
//! candidate is written next to it as `<file>.new`, to review and accept, as insta does.

use crate::conform::check::{Level, Verdict};
use crate::conform::evidence::ClientOutput;
use crate::conform::judge::CheckResult;
use crate::conform::run::ScenarioRun;
use crate::report::transcript::{VOLATILE, is_timestamp, normalized};
use crate::report::write_atomic;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The id of the client-output snapshot assertion.
pub const OUTPUT_SNAPSHOT_ID: &str = "output-snapshot";
/// The id of the transcript snapshot assertion.
pub const TRANSCRIPT_SNAPSHOT_ID: &str = "transcript-snapshot";
const REQUIREMENTS: &[&str] = &["bbh:expect.snapshot"];
/// Suffix of a pending snapshot.
const NEW_SUFFIX: &str = ".new";
/// Context lines around each change in a review diff.
const CONTEXT: usize = 3;

/// Whether a differing snapshot may leave a candidate behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// CI: a missing or different snapshot fails; nothing is written.
    Ci,
    /// A developer's machine: it fails and `<file>.new` is written for review.
    Local,
}

impl SnapshotMode {
    /// [`SnapshotMode::Ci`] when the `CI` variable is `true` or `1`, else
    /// [`SnapshotMode::Local`].
    pub fn from_env() -> SnapshotMode {
        SnapshotMode::from_ci_var(std::env::var("CI").ok().as_deref())
    }

    fn from_ci_var(value: Option<&str>) -> SnapshotMode {
        match value.map(str::trim) {
            Some(value) if value.eq_ignore_ascii_case("true") || value == "1" => SnapshotMode::Ci,
            _ => SnapshotMode::Local,
        }
    }
}

/// A candidate snapshot waiting for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSnapshot {
    /// The snapshot it would replace (it may not exist yet).
    pub snapshot: PathBuf,
    /// The candidate (`<snapshot>.new`).
    pub new: PathBuf,
    /// A unified line diff from the snapshot to the candidate.
    pub diff: String,
}

/// Why pending snapshots could not be listed or accepted.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A folder or file could not be read or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// The snapshot assertions of `run`, when its scenario sets `expect.snapshot` or `force` is
/// given (none otherwise): `output-snapshot` and `transcript-snapshot`, both required.
pub fn assert_run(
    dir: &Path,
    mode: SnapshotMode,
    run: &ScenarioRun,
    force: bool,
) -> Vec<CheckResult> {
    if !(run.scenario.expect.snapshot || force) {
        return Vec::new();
    }
    let name = &run.scenario.name;
    let output = match &run.output {
        ClientOutput::Json(output) => compare(
            dir,
            mode,
            &format!("{name}.output.json"),
            &pretty(&volatile_redacted(output)),
        ),
        ClientOutput::Missing(why) => Verdict::fail(format!("not testable: {why}"), []),
    };
    let transcript = compare(
        dir,
        mode,
        &format!("{name}.transcript.json"),
        &pretty(&normalized(run)),
    );
    vec![
        CheckResult::new(
            OUTPUT_SNAPSHOT_ID,
            "The client's output matches its approved snapshot",
            Level::Required,
            REQUIREMENTS,
            output,
        ),
        CheckResult::new(
            TRANSCRIPT_SNAPSHOT_ID,
            "The client's exchanges match their approved snapshot",
            Level::Required,
            REQUIREMENTS,
            transcript,
        ),
    ]
}

/// Every pending snapshot in `dir` (`*.new`), by name, with its diff. A missing `dir` has none.
pub fn review(dir: &Path) -> Result<Vec<PendingSnapshot>, SnapshotError> {
    pending(dir)?
        .into_iter()
        .map(|(snapshot, new)| {
            let candidate = read(&new)?.unwrap_or_default();
            let current = read(&snapshot)?;
            let old_label = match current {
                Some(_) => snapshot.display().to_string(),
                None => "(no snapshot)".to_owned(),
            };
            let diff = unified(
                &old_label,
                &new.display().to_string(),
                &current.unwrap_or_default(),
                &candidate,
            );
            Ok(PendingSnapshot {
                snapshot,
                new,
                diff,
            })
        })
        .collect()
}

/// Accepts every pending snapshot in `dir`: renames each `<file>.new` over `<file>`. Returns
/// how many were accepted.
pub fn accept(dir: &Path) -> Result<usize, SnapshotError> {
    let pending = pending(dir)?;
    for (snapshot, new) in &pending {
        std::fs::rename(new, snapshot).map_err(|source| SnapshotError::Io {
            path: new.clone(),
            source,
        })?;
    }
    Ok(pending.len())
}

/// `(snapshot, candidate)` of every `*.new` file in `dir`, sorted.
fn pending(dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, SnapshotError> {
    let io = |source| SnapshotError::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io(error)),
    };
    let mut pending = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name
            .strip_suffix(NEW_SUFFIX)
            .filter(|stem| !stem.is_empty())
        else {
            continue;
        };
        if entry.file_type().map_err(io)?.is_file() {
            pending.push((dir.join(stem), entry.path()));
        }
    }
    pending.sort();
    Ok(pending)
}

/// The file's text, `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>, SnapshotError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SnapshotError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The client's output with what varies between runs hidden: values of keys named like
/// `*token*` or `*secret*`, `code` and `state`, and RFC 3339 timestamps, as `[redacted]`.
fn volatile_redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let lower = key.to_ascii_lowercase();
                    let volatile = lower.contains("token")
                        || lower.contains("secret")
                        || lower == "code"
                        || lower == "state";
                    let value = if volatile {
                        Value::String(VOLATILE.to_owned())
                    } else {
                        volatile_redacted(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(volatile_redacted).collect()),
        Value::String(text) if is_timestamp(text) => Value::String(VOLATILE.to_owned()),
        other => other.clone(),
    }
}

/// Compares `text` with `dir/file`; on a difference writes `dir/file.new` in local mode, and
/// on a match removes a leftover `.new`.
fn compare(dir: &Path, mode: SnapshotMode, file: &str, text: &str) -> Verdict {
    let path = dir.join(file);
    let new = dir.join(format!("{file}{NEW_SUFFIX}"));
    let current = match read(&path) {
        Ok(current) => current.map(|current| current.replace("\r\n", "\n")),
        Err(error) => return Verdict::fail(format!("cannot read snapshot {error}"), []),
    };
    let shown = path.display();
    let problem = match &current {
        Some(current) if current == text => {
            if mode == SnapshotMode::Local
                && let Err(error) = std::fs::remove_file(&new)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                return Verdict::pass(format!(
                    "matches {shown} (the stale {} could not be removed: {error})",
                    new.display()
                ));
            }
            return Verdict::pass(format!("matches {shown}"));
        }
        Some(current) => format!(
            "differs from {shown} from line {}",
            first_difference(current, text)
        ),
        None => format!("no snapshot {shown}"),
    };
    match mode {
        SnapshotMode::Ci => Verdict::fail(format!("{problem} (CI: nothing written)"), []),
        SnapshotMode::Local => {
            let written = std::fs::create_dir_all(dir)
                .map_err(|source| crate::report::ReportError::Io {
                    path: dir.to_owned(),
                    source,
                })
                .and_then(|()| write_atomic(&new, text.as_bytes()));
            match written {
                Ok(()) => Verdict::fail(
                    format!(
                        "{problem}; wrote {}: see `bbh snapshots review`, then `bbh snapshots accept`",
                        new.display()
                    ),
                    [],
                ),
                Err(error) => Verdict::fail(format!("{problem}; {error}"), []),
            }
        }
    }
}

/// The 1-based number of the first line where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> usize {
    let mut a = a.lines();
    let mut b = b.lines();
    let mut line = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            _ => return line,
        }
    }
}

/// A unified diff (`---`/`+++` headers, `@@` hunks with 3 lines of context); empty when
/// the texts have the same lines.
fn unified(old_label: &str, new_label: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    if diff
        .ops()
        .iter()
        .all(|op| op.tag() == similar::DiffTag::Equal)
    {
        return String::new();
    }
    diff.unified_diff()
        .context_radius(CONTEXT)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::check::Status;
    use crate::report::fixtures;
    use serde_json::json;

    fn statuses(results: &[CheckResult]) -> Vec<(&str, Status)> {
        results.iter().map(|r| (r.id, r.verdict.status)).collect()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn nothing_is_asserted_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let run = fixtures::run();
        assert!(assert_run(dir.path(), SnapshotMode::Local, &run, false).is_empty());
        let mut asked = fixtures::run();
        asked.scenario.expect.snapshot = true;
        assert_eq!(
            assert_run(dir.path(), SnapshotMode::Ci, &asked, false).len(),
            2
        );
    }

    #[test]
    fn ci_mode_fails_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let run = fixtures::run();
        let results = assert_run(dir.path(), SnapshotMode::Ci, &run, true);
        assert_eq!(
            statuses(&results),
            [
                ("output-snapshot", Status::Fail),
                ("transcript-snapshot", Status::Fail)
            ]
        );
        assert!(results[0].verdict.reason.starts_with("no snapshot "));
        assert!(
            results[0]
                .verdict
                .reason
                .ends_with("oauth-success.output.json (CI: nothing written)")
        );
        assert_eq!(results[0].level, Level::Required);
        assert_eq!(results[0].requirements, ["bbh:expect.snapshot"]);
        assert!(names(dir.path()).is_empty());
        std::fs::write(dir.path().join("oauth-success.output.json"), "{}\n").unwrap();
        let results = assert_run(dir.path(), SnapshotMode::Ci, &run, true);
        assert!(
            results[0].verdict.reason.contains("differs from"),
            "{}",
            results[0].verdict.reason
        );
        assert_eq!(names(dir.path()), ["oauth-success.output.json"]);
    }

    #[test]
    fn local_mode_writes_candidates_then_accept_makes_them_pass() {
        let dir = tempfile::tempdir().unwrap();
        let snapshots = dir.path().join("snapshots");
        let run = fixtures::run();
        let results = assert_run(&snapshots, SnapshotMode::Local, &run, true);
        assert_eq!(
            statuses(&results),
            [
                ("output-snapshot", Status::Fail),
                ("transcript-snapshot", Status::Fail)
            ]
        );
        assert!(
            results[1].verdict.reason.contains("wrote "),
            "{}",
            results[1].verdict.reason
        );
        assert_eq!(
            names(&snapshots),
            [
                "oauth-success.output.json.new",
                "oauth-success.transcript.json.new"
            ]
        );
        let pending = review(&snapshots).unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(
            pending[0].snapshot,
            snapshots.join("oauth-success.output.json")
        );
        assert!(
            pending[0].diff.starts_with("--- (no snapshot)\n+++ "),
            "{}",
            pending[0].diff
        );
        assert!(
            pending[0]
                .diff
                .contains("\n+  \"access_token\": \"[redacted]\",\n"),
            "{}",
            pending[0].diff
        );
        assert!(
            pending[0]
                .diff
                .contains("\n+  \"fetched_at\": \"[redacted]\"\n")
        );
        assert_eq!(accept(&snapshots).unwrap(), 2);
        assert_eq!(
            names(&snapshots),
            ["oauth-success.output.json", "oauth-success.transcript.json"]
        );
        // Another run of the same client, other ports and secrets: both match.
        let again = fixtures::run_with(40000, 6001, "b");
        let results = assert_run(&snapshots, SnapshotMode::Local, &again, true);
        assert_eq!(
            statuses(&results),
            [
                ("output-snapshot", Status::Pass),
                ("transcript-snapshot", Status::Pass)
            ],
            "{results:?}"
        );
        assert!(review(&snapshots).unwrap().is_empty());
    }

    #[test]
    fn a_match_removes_a_stale_candidate_and_a_change_shows_in_review() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = fixtures::run();
        assert_run(dir.path(), SnapshotMode::Local, &run, true);
        accept(dir.path()).unwrap();
        run.output = ClientOutput::Json(
            json!({"patient_id": "x", "coverage_ids": [], "eob_ids": ["carrier--1"]}),
        );
        let results = assert_run(dir.path(), SnapshotMode::Local, &run, true);
        assert_eq!(results[0].verdict.status, Status::Fail);
        assert!(
            results[0].verdict.reason.contains("from line 2"),
            "{}",
            results[0].verdict.reason
        );
        let pending = review(dir.path()).unwrap();
        assert_eq!(pending.len(), 1);
        let diff = &pending[0].diff;
        assert!(diff.contains("@@ -1,"), "{diff}");
        assert!(
            diff.contains("\n-  \"patient_id\": \"-20140000008325\",\n+  \"patient_id\": \"x\",\n"),
            "{diff}"
        );
        // Back to the approved output: it passes and the candidate goes.
        let results = assert_run(dir.path(), SnapshotMode::Local, &fixtures::run(), true);
        assert_eq!(results[0].verdict.status, Status::Pass);
        assert!(review(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_missing_output_is_not_testable() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = fixtures::run();
        run.output = ClientOutput::Missing("stdout is not JSON".into());
        let results = assert_run(dir.path(), SnapshotMode::Ci, &run, true);
        assert_eq!(
            results[0].verdict.reason,
            "not testable: stdout is not JSON"
        );
    }

    #[test]
    fn ci_is_read_from_its_variable() {
        assert_eq!(SnapshotMode::from_ci_var(Some("true")), SnapshotMode::Ci);
        assert_eq!(SnapshotMode::from_ci_var(Some("TRUE")), SnapshotMode::Ci);
        assert_eq!(SnapshotMode::from_ci_var(Some("1")), SnapshotMode::Ci);
        assert_eq!(
            SnapshotMode::from_ci_var(Some("false")),
            SnapshotMode::Local
        );
        assert_eq!(SnapshotMode::from_ci_var(Some("")), SnapshotMode::Local);
        assert_eq!(SnapshotMode::from_ci_var(None), SnapshotMode::Local);
    }

    #[test]
    fn review_and_accept_of_a_missing_folder_find_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none");
        assert!(review(&missing).unwrap().is_empty());
        assert_eq!(accept(&missing).unwrap(), 0);
    }

    #[test]
    fn the_diff_has_hunks_with_context() {
        let old: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let new: String = (1..=21)
            .filter(|n| *n != 18)
            .map(|n| match n {
                5 => "five\n".to_owned(),
                n => format!("{n}\n"),
            })
            .collect();
        assert_eq!(
            unified("a", "b", &old, &new),
            "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n 19\n 20\n+21\n"
        );
        assert_eq!(unified("a", "b", "x\n", "x\n"), "");
        assert_eq!(
            unified("a", "b", "", "x\n"),
            "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"
        );
    }
}

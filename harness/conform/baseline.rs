//! The expected-failures baseline (`--baseline FILE`): one `scenario-name:check-id` per line,
//! `#` comments and blank lines allowed. A listed check is expected to fail: its failure does
//! not fail the run. An entry whose check passes, or does not exist in a scenario that ran, is
//! stale and fails the run, so the baseline only ever shrinks (as in the MCP conformance
//! runner).

use crate::conform::check::Status;
use crate::conform::run::ScenarioRun;
use crate::scenario::ExpectedOutcome;
use std::path::{Path, PathBuf};

/// Why a baseline file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read the baseline {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A line is not `scenario-name:check-id`, or repeats an earlier one.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong with it.
        message: String,
    },
}

/// One baseline line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineEntry {
    /// The scenario name.
    pub scenario: String,
    /// The check id.
    pub check: String,
    /// Where it is written (1-based).
    pub line: usize,
}

/// The checks known to fail, per scenario.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The entries, in file order.
    pub entries: Vec<BaselineEntry>,
}

impl Baseline {
    /// Reads and parses a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.to_owned(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// Parses baseline text; `path` names it in errors. The first malformed line is the error.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline, BaselineError> {
        let mut entries: Vec<BaselineEntry> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let malformed = |message: String| BaselineError::Malformed {
                path: path.to_owned(),
                line,
                message,
            };
            let content = raw
                .split_once('#')
                .map_or(raw, |(content, _)| content)
                .trim();
            if content.is_empty() {
                continue;
            }
            let Some((scenario, check)) = content.split_once(':') else {
                return Err(malformed(format!(
                    "expected scenario-name:check-id, found {content:?}"
                )));
            };
            for (what, name) in [("scenario name", scenario), ("check id", check)] {
                if !is_kebab(name) {
                    return Err(malformed(format!(
                        "{what} {name:?} is not kebab-case (expected scenario-name:check-id)"
                    )));
                }
            }
            if let Some(first) = entries
                .iter()
                .find(|e| e.scenario == scenario && e.check == check)
            {
                return Err(malformed(format!(
                    "{content} is listed twice (first on line {})",
                    first.line
                )));
            }
            entries.push(BaselineEntry {
                scenario: scenario.to_owned(),
                check: check.to_owned(),
                line,
            });
        }
        Ok(Baseline { entries })
    }

    /// Marks the listed checks of `run` as expected to fail, from the baseline.
    pub fn apply(&self, run: &mut ScenarioRun) {
        for entry in self.entries_of(&run.scenario.name) {
            for result in run.results.iter_mut().filter(|r| r.id == entry.check) {
                result.expected = Some(ExpectedOutcome::Fail);
                result.baselined = true;
            }
        }
    }

    /// The stale entries (`scenario:check`), in file order: those whose scenario ran and
    /// whose check passed there, or does not exist in that run.
    pub fn stale(&self, runs: &[ScenarioRun]) -> Vec<String> {
        self.entries
            .iter()
            .filter(|entry| {
                runs.iter()
                    .filter(|run| run.scenario.name == entry.scenario)
                    .any(|run| {
                        let mut results = run.results.iter().filter(|r| r.id == entry.check);
                        match results.next() {
                            None => true,
                            Some(result) => result.verdict.status == Status::Pass,
                        }
                    })
            })
            .map(|entry| format!("{}:{}", entry.scenario, entry.check))
            .collect()
    }

    fn entries_of<'a>(&'a self, scenario: &'a str) -> impl Iterator<Item = &'a BaselineEntry> {
        self.entries.iter().filter(move |e| e.scenario == scenario)
    }
}

fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures;

    fn parse(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse(text, Path::new("baseline.txt"))
    }

    #[test]
    fn parses_entries_comments_and_blank_lines() {
        let baseline = parse(
            "# known failures\n\noauth-success:state-sent   # issue 12\n  pagination:pkce-s256\n",
        )
        .unwrap();
        assert_eq!(
            baseline.entries,
            vec![
                BaselineEntry {
                    scenario: "oauth-success".into(),
                    check: "state-sent".into(),
                    line: 3
                },
                BaselineEntry {
                    scenario: "pagination".into(),
                    check: "pkce-s256".into(),
                    line: 4
                },
            ]
        );
        assert_eq!(parse("").unwrap(), Baseline::default());
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        let cases = [
            (
                "a:b\nno-colon\n",
                "baseline.txt:2: expected scenario-name:check-id, found \"no-colon\"",
            ),
            (
                "\n\nOAuth:x",
                "baseline.txt:3: scenario name \"OAuth\" is not kebab-case (expected scenario-name:check-id)",
            ),
            (
                "a:b:c",
                "baseline.txt:1: check id \"b:c\" is not kebab-case (expected scenario-name:check-id)",
            ),
            (
                "a:",
                "baseline.txt:1: check id \"\" is not kebab-case (expected scenario-name:check-id)",
            ),
            (
                "a:b\n#\na:b",
                "baseline.txt:3: a:b is listed twice (first on line 1)",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), message, "{text:?}");
        }
    }

    #[test]
    fn load_names_a_missing_file() {
        let error = Baseline::load(Path::new("/nonexistent/baseline.txt")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read the baseline /nonexistent/baseline.txt: ")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.txt");
        std::fs::write(&path, "oauth-success:state-sent\n").unwrap();
        assert_eq!(Baseline::load(&path).unwrap().entries.len(), 1);
    }

    #[test]
    fn apply_expects_the_listed_failures() {
        let baseline = parse("oauth-success:state-sent\npagination:pkce-s256\n").unwrap();
        let mut run = fixtures::run();
        assert!(run.failed());
        baseline.apply(&mut run);
        assert!(!run.failed());
        let state = &run.results[2];
        assert_eq!(state.expected, Some(ExpectedOutcome::Fail));
        assert!(state.baselined);
        assert!(!run.results[1].baselined, "another scenario's entry");
        assert!(baseline.stale(&[run]).is_empty());
    }

    #[test]
    fn entries_that_pass_or_do_not_exist_are_stale() {
        let baseline = parse(
            "oauth-success:journey-complete\noauth-success:no-such-check\noauth-success:state-sent\noauth-success:refresh-rotation\nnot-run:journey-complete\n",
        )
        .unwrap();
        let mut run = fixtures::run();
        baseline.apply(&mut run);
        assert!(run.failed(), "a baselined check that passes fails the run");
        assert_eq!(
            baseline.stale(&[run]),
            vec![
                "oauth-success:journey-complete",
                "oauth-success:no-such-check"
            ]
        );
    }
}

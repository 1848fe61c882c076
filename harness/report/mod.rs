//! Reports of conformance runs: per scenario `checks.json`, `transcript.json` and the
//! client's captured streams (DESIGN "bbh conform"), a JUnit file for CI and a terse human
//! summary. Every file is written atomically, so an interrupted run leaves the previous
//! report whole.

pub mod checks_json;
pub mod junit;
pub mod summary;
pub mod transcript;

use crate::conform::run::ScenarioRun;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be created, written, synced or renamed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A scenario name that cannot be a folder name (it would leave the report folder).
    #[error("scenario name {name:?} cannot name a report folder under {dir}")]
    BadName {
        /// The scenario name.
        name: String,
        /// The report folder.
        dir: PathBuf,
    },
    /// A JSON document could not be serialized.
    #[error("cannot serialize {path}: {source}")]
    Json {
        /// The file it was for.
        path: PathBuf,
        /// What failed.
        source: serde_json::Error,
    },
    /// The JUnit report could not be serialized.
    #[error("cannot serialize the JUnit report {path}: {source}")]
    Junit {
        /// The file it was for.
        path: PathBuf,
        /// What failed.
        source: quick_junit::SerializeError,
    },
}

/// Writes `dir/<scenario name>/{checks.json, transcript.json, client.stdout, client.stderr}`,
/// each file atomically.
pub fn write_run(dir: &Path, run: &ScenarioRun) -> Result<(), ReportError> {
    let name = &run.scenario.name;
    let valid = !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.starts_with('.');
    if !valid {
        return Err(ReportError::BadName {
            name: name.clone(),
            dir: dir.to_owned(),
        });
    }
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).map_err(|source| ReportError::Io {
        path: folder.clone(),
        source,
    })?;
    write_json(&folder.join("checks.json"), &checks_json::render(run))?;
    write_json(&folder.join("transcript.json"), &transcript::render(run))?;
    write_atomic(&folder.join("client.stdout"), &run.stdout.bytes)?;
    write_atomic(&folder.join("client.stderr"), &run.stderr.bytes)
}

/// Writes `value` as pretty JSON with a final newline, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), ReportError> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|source| ReportError::Json {
        path: path.to_owned(),
        source,
    })?;
    text.push(b'\n');
    write_atomic(path, &text)
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder, written and
/// synced, then renamed over `path`. On any failure `path` keeps its previous content and the
/// temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// [`write_atomic`] with the content written by `write`.
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), ReportError> {
    replace_file(path, write).map_err(|source| ReportError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Replaces `path` atomically with what `write` writes: a temporary file in the same folder,
/// written and synced, then renamed over `path` (reports, snapshots and recordings alike).
pub(crate) fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(folder)?;
    write(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    // The rename is durable once the folder is synced; folders cannot be opened for syncing
    // everywhere, and the file itself is already whole, so a failure here changes nothing.
    if let Ok(folder) = std::fs::File::open(folder) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A hand-built run for the tests of the reports, the baseline, the assertions and the
    //! snapshots: a confidential client's whole journey, with secrets that vary by `tag`.

    use crate::conform::check::{Level, Verdict};
    use crate::conform::evidence::{ClientEnd, ClientOutput};
    use crate::conform::judge::CheckResult;
    use crate::conform::run::{Captured, ScenarioRun};
    use crate::conform::traffic::Traffic;
    use crate::exchange::{Request, Response, SessionId};
    use crate::server::journal::Exchange;
    use base64::Engine;
    use http::{HeaderMap, HeaderValue, Method, StatusCode};
    use serde_json::json;
    use std::time::Duration;

    /// The patient of the run.
    pub const PATIENT: &str = "-20140000008325";

    /// Every secret value of the run made with `tag` (none may appear in a transcript).
    pub fn secrets(tag: &str) -> Vec<String> {
        ["CODE", "AT1", "RT1", "AT2", "RT2", "VERIFIER", "CHALLENGE"]
            .iter()
            .map(|kind| format!("{kind}-{tag}-0123456789abcdef"))
            .chain(["bbh-sandbox-secret".to_owned()])
            .collect()
    }

    fn secret(kind: &str, tag: &str) -> String {
        format!("{kind}-{tag}-0123456789abcdef")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                map.append(name, value);
            }
        }
        map
    }

    struct Builder {
        origin: String,
        exchanges: Vec<Exchange>,
    }

    impl Builder {
        #[allow(clippy::too_many_arguments)]
        fn push(
            &mut self,
            method: Method,
            target: &str,
            request_headers: &[(&str, &str)],
            request_body: &str,
            status: StatusCode,
            response_headers: &[(&str, &str)],
            response_body: String,
            session: Option<u64>,
        ) {
            let id = self.exchanges.len() as u64 + 1;
            let (path, query) = match target.split_once('?') {
                Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
                None => (target.to_owned(), None),
            };
            let host = self.origin.trim_start_matches("http://").to_owned();
            let mut request_headers = headers(request_headers);
            request_headers.insert(http::header::HOST, HeaderValue::from_str(&host).unwrap());
            self.exchanges.push(Exchange {
                id,
                at: Duration::from_millis(id * 7),
                elapsed: Duration::from_micros(1500),
                request: Request {
                    method,
                    path,
                    query,
                    headers: request_headers,
                    body: request_body.to_owned().into(),
                    origin: self.origin.clone(),
                },
                response: Response {
                    status,
                    headers: headers(response_headers),
                    body: response_body.into(),
                    session: session.map(SessionId),
                },
                content_encoding: None,
                miss: None,
                refused: None,
            });
        }
    }

    /// The journey with the server on `server_port`, the callback on `callback_port`, and
    /// secrets (and `state`) made from `tag`.
    pub fn run_with(server_port: u16, callback_port: u16, tag: &str) -> ScenarioRun {
        let origin = format!("http://127.0.0.1:{server_port}");
        let redirect = format!("http://127.0.0.1:{callback_port}/callback");
        let state = format!("state-{tag}-abcdefghijklmnop");
        let mut b = Builder {
            origin: origin.clone(),
            exchanges: Vec::new(),
        };
        let client_id = "swBu7LWsCnIRfu530qnfPw1y5vMmER3lAM2L6rq2";
        b.push(
            Method::GET,
            &format!(
                "/v2/o/authorize/?response_type=code&client_id={client_id}&redirect_uri={redirect}&state={state}&code_challenge={}&code_challenge_method=S256",
                secret("CHALLENGE", tag)
            ),
            &[("accept", "text/html")],
            "",
            StatusCode::FOUND,
            &[(
                "location",
                &format!("{redirect}?code={}&state={state}", secret("CODE", tag)),
            )],
            String::new(),
            None,
        );
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{client_id}:bbh-sandbox-secret"))
        );
        let form = format!(
            "grant_type=authorization_code&code={}&redirect_uri={redirect}&code_verifier={}",
            secret("CODE", tag),
            secret("VERIFIER", tag)
        );
        let token = |access: &str, refresh: &str| {
            json!({
                "access_token": secret(access, tag),
                "expires_in": 36000,
                "token_type": "Bearer",
                "scope": "patient/Patient.read profile",
                "refresh_token": secret(refresh, tag),
                "patient": PATIENT,
            })
            .to_string()
        };
        let form_type = ("content-type", "application/x-www-form-urlencoded");
        let json_type = ("content-type", "application/json");
        let fhir_type = ("content-type", "application/fhir+json");
        b.push(
            Method::POST,
            "/v2/o/token/",
            &[("authorization", &basic), form_type],
            &form,
            StatusCode::OK,
            &[json_type],
            token("AT1", "RT1"),
            Some(1),
        );
        let bearer = format!("Bearer {}", secret("AT1", tag));
        let patient = json!({
            "resourceType": "Patient",
            "id": PATIENT,
            "name": [{"family": "Doe", "given": ["Jane", "X"]}],
            "birthDate": "1999-06-01",
        });
        b.push(
            Method::GET,
            &format!("/v2/fhir/Patient/{PATIENT}"),
            &[
                ("authorization", &bearer),
                ("accept", "application/fhir+json"),
            ],
            "",
            StatusCode::OK,
            &[fhir_type],
            patient.to_string(),
            Some(1),
        );
        let bundle = json!({
            "resourceType": "Bundle",
            "id": "3d1b6a2c",
            "type": "searchset",
            "total": 12,
            "link": [
                {"relation": "first", "url": format!("{origin}/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=0&patient={PATIENT}")},
                {"relation": "next", "url": format!("{origin}/v2/fhir/ExplanationOfBenefit/?_count=10&startIndex=10&patient={PATIENT}")},
            ],
            "entry": [
                {"resource": {"resourceType": "ExplanationOfBenefit", "id": "carrier--1", "patient": {"reference": format!("Patient/{PATIENT}")}}},
                {"resource": {"resourceType": "ExplanationOfBenefit", "id": "pde--2", "patient": {"reference": format!("Patient/{PATIENT}")}}},
            ],
        });
        b.push(
            Method::GET,
            &format!("/v2/fhir/ExplanationOfBenefit/?patient={PATIENT}"),
            &[
                ("authorization", &bearer),
                ("accept", "application/fhir+json"),
                ("accept-encoding", "gzip"),
            ],
            "",
            StatusCode::OK,
            &[fhir_type, ("vary", "Accept-Encoding")],
            bundle.to_string(),
            Some(1),
        );
        if let Some(last) = b.exchanges.last_mut() {
            last.content_encoding = Some("gzip");
        }
        b.push(
            Method::POST,
            "/v2/o/token/",
            &[("authorization", &basic), form_type],
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                secret("RT1", tag)
            ),
            StatusCode::OK,
            &[json_type],
            token("AT2", "RT2"),
            Some(1),
        );
        b.push(
            Method::GET,
            "/v2/connect/userinfo",
            &[("authorization", &format!("Bearer {}", secret("AT2", tag)))],
            "",
            StatusCode::OK,
            &[json_type],
            json!({"sub": PATIENT, "patient": PATIENT, "name": "Jane Doe", "email": "jane@example.com"})
                .to_string(),
            Some(1),
        );
        b.push(
            Method::GET,
            "/v2/fhir/Coverage/",
            &[("authorization", "Bearer not-a-token-0123")],
            "",
            StatusCode::UNAUTHORIZED,
            &[json_type, ("www-authenticate", "Bearer realm=\"api\"")],
            json!({"detail": "Authentication credentials were not provided."}).to_string(),
            None,
        );
        let scenario = crate::scenario::builtin("oauth-success").unwrap();
        ScenarioRun {
            scenario,
            command: "./client --flag".to_owned(),
            client: ClientEnd {
                exit_code: Some(0),
                ..ClientEnd::default()
            },
            stdout: Captured {
                bytes: b"done\n".to_vec(),
                total: 5,
            },
            stderr: Captured {
                bytes: b"warn".to_vec(),
                total: 100,
            },
            traffic: Traffic::new(b.exchanges, false),
            output: ClientOutput::Json(json!({
                "patient_id": PATIENT,
                "coverage_ids": [],
                "eob_ids": ["carrier--1", "pde--2"],
                "access_token": secret("AT2", tag),
                "fetched_at": "2026-11-29T03:52:41Z",
            })),
            results: vec![
                CheckResult::new(
                    "journey-complete",
                    "The client completes the journey",
                    Level::Required,
                    &["guide:Overview"],
                    Verdict::pass("every resource read"),
                ),
                CheckResult::new(
                    "pkce-s256",
                    "Authorization requests carry an S256 PKCE challenge",
                    Level::Recommended,
                    &["guide:PKCE", "rfc7636:§4.2"],
                    Verdict::fail("authorization request without code_challenge", [1]),
                ),
                CheckResult::new(
                    "state-sent",
                    "Authorization requests carry a state",
                    Level::Required,
                    &["rfc6749:§10.12"],
                    Verdict::fail("state is 3 characters", [1, 3]),
                ),
                CheckResult::new(
                    "refresh-rotation",
                    "The client stores the rotated refresh token",
                    Level::Required,
                    &["behaviour:§2.9"],
                    Verdict::skip("no refresh happened"),
                ),
            ],
            duration: Duration::from_millis(1234),
        }
    }

    /// A validator for `schemas/<file>`.
    pub fn validator(file: &str) -> jsonschema::Validator {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(file);
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    /// Every error of `value` against `validator`, as `pointer: message`.
    pub fn errors(validator: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
        validator
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// The journey on fixed ports with tag `a`.
    pub fn run() -> ScenarioRun {
        run_with(41234, 53111, "a")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ExpectedOutcome;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checks.json");
        write_atomic(&path, b"old").unwrap();
        let error = write_atomic_with(&path, |file| {
            file.write_all(b"half of the new")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert!(leftovers(dir.path()).is_empty());
        let message = error.to_string();
        assert!(message.contains("checks.json") && message.contains("disk full"));
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_write_into_a_missing_folder_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("x.json");
        let error = write_atomic(&path, b"x").unwrap_err();
        assert!(error.to_string().contains("missing/x.json"), "{error}");
    }

    #[test]
    fn write_run_writes_the_four_files_under_the_scenario_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = fixtures::run();
        run.results[1].expected = Some(ExpectedOutcome::Fail);
        write_run(dir.path(), &run).unwrap();
        let folder = dir.path().join("oauth-success");
        for file in [
            "checks.json",
            "transcript.json",
            "client.stdout",
            "client.stderr",
        ] {
            assert!(folder.join(file).is_file(), "{file}");
        }
        assert_eq!(
            std::fs::read(folder.join("client.stdout")).unwrap(),
            run.stdout.bytes
        );
        let checks: serde_json::Value =
            serde_json::from_slice(&std::fs::read(folder.join("checks.json")).unwrap()).unwrap();
        assert_eq!(checks["scenario"], "oauth-success");
        assert!(leftovers(&folder).is_empty());
    }

    #[test]
    fn write_run_refuses_a_name_that_leaves_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut run = fixtures::run();
        run.scenario.name = "../escape".to_owned();
        let error = write_run(dir.path(), &run).unwrap_err();
        assert!(matches!(error, ReportError::BadName { .. }), "{error}");
    }
}

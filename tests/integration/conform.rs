//! `bbh conform` end to end: the reference clients under `examples/` against the built-in suite.
//! The good client passes every check; each broken one fails exactly the check it breaks.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The reference client example, built by `cargo test` next to the test binaries.
fn reference_client() -> PathBuf {
    let bbh = Path::new(env!("CARGO_BIN_EXE_bbh"));
    let path = bbh.parent().unwrap().join("examples/reference_client");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds the examples",
        path.display()
    );
    path
}

/// A fresh, empty directory under the test target directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Conformance {
    output: Output,
    reports: PathBuf,
}

impl Conformance {
    fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// `checks.json` of a scenario, validated against its schema.
    fn checks(&self, scenario: &str) -> Value {
        let path = self.reports.join(scenario).join("checks.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), self.stderr()));
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_valid("checks", &json);
        json
    }

    /// `transcript.json` of a scenario, validated against its schema.
    fn transcript(&self, scenario: &str) -> String {
        let path = self.reports.join(scenario).join("transcript.json");
        let text = std::fs::read_to_string(&path).unwrap();
        assert_valid("transcript", &serde_json::from_str(&text).unwrap());
        text
    }

    /// `check id → status` of a scenario.
    fn statuses(&self, scenario: &str) -> BTreeMap<String, String> {
        self.checks(scenario)["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// The ids of the checks that failed in a scenario.
    fn failures(&self, scenario: &str) -> Vec<String> {
        self.statuses(scenario)
            .into_iter()
            .filter(|(_, status)| status == "fail")
            .map(|(id, _)| id)
            .collect()
    }

    /// The ids of the checks that failed in a scenario on the client's behaviour, leaving out
    /// "not testable" ones (a flaw that stops the journey early keeps later checks from
    /// seeing what they judge).
    fn behaviour_failures(&self, scenario: &str) -> Vec<String> {
        self.checks(scenario)["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .filter(|c| !c["reason"].as_str().unwrap().starts_with("not testable"))
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Runs `bbh conform` with `args`, reports in a fresh directory named `name`.
fn conform(name: &str, args: &[&str]) -> Conformance {
    conform_into(&fresh_dir(name), args)
}

fn client_with(flaw: Option<&str>) -> String {
    let client = reference_client().display().to_string();
    match flaw {
        Some(flaw) => format!("{client} --flaw {flaw}"),
        None => client,
    }
}

#[test]
fn the_good_client_passes_the_whole_suite() {
    let client = client_with(None);
    let junit = fresh_dir("conform-good-junit").join("junit.xml");
    let run = conform(
        "conform-good",
        &[
            "--suite",
            "all",
            "--client",
            &client,
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    for name in bluebutton_harness::scenario::builtin_names() {
        assert_eq!(
            run.failures(name),
            Vec::<String>::new(),
            "{name}:\n{}",
            run.stdout()
        );
        let checks = run.checks(name);
        assert_eq!(checks["outcome"], "pass");
        let transcript = run.transcript(name);
        assert!(
            !transcript.contains(CONFIDENTIAL_SECRET),
            "{name}: secret leaked"
        );
        assert!(!transcript.contains(JANE), "{name}: patient id leaked");
    }
    let junit = std::fs::read_to_string(junit).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    assert!(junit.contains("pkce-s256"), "{junit}");
}

#[test]
fn the_good_client_passes_the_whole_suite_on_v1() {
    let client = client_with(None);
    let run = conform(
        "conform-good-v1",
        &["--suite", "all", "--api-version", "v1", "--client", &client],
    );
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    for name in bluebutton_harness::scenario::builtin_names() {
        assert_eq!(run.checks(name)["outcome"], "pass", "{name}");
        assert_eq!(run.checks(name)["api_version"], "v1", "{name}");
    }
}

#[test]
fn both_reference_clients_run_unchanged_in_the_current_profile_on_both_versions() {
    let folder = fresh_dir("conform-current-scenario");
    let scenario = folder.join("current-journey.yaml");
    std::fs::write(
        &scenario,
        "version: 1\nname: current-journey\nprofile: current\n",
    )
    .unwrap();
    let python = format!(
        "python3 {}",
        project_path("examples/python/bb_client.py").display()
    );
    for client in [client_with(None), python] {
        for version in ["v1", "v2"] {
            let run = conform(
                "conform-current",
                &[
                    "--scenario",
                    scenario.to_str().unwrap(),
                    "--api-version",
                    version,
                    "--client",
                    &client,
                ],
            );
            assert_eq!(run.code(), 0, "{client} {version}:\n{}", run.stdout());
            let transcript = run.transcript("current-journey");
            // The current profile's token answer reached the client: 1-hour tokens and the
            // grant's expiry.
            assert!(
                transcript.contains("\"expires_in\": 3600"),
                "{client} {version}"
            );
            assert!(
                transcript.contains("\"access_grant_expiration\""),
                "{client} {version}"
            );
            assert!(
                transcript.contains(&format!("/{version}/fhir/ExplanationOfBenefit")),
                "{client} {version}"
            );
            assert_eq!(run.failures("current-journey"), Vec::<String>::new());
        }
    }
}

/// Each flaw of the reference client, the scenario that exposes it, and the one check it
/// fails on behaviour (others may only be "not testable", e.g. no output after a crash).
const FLAWS: &[(&str, &str, &str)] = &[
    ("no-pkce", "oauth-success", "pkce-s256"),
    ("bad-verifier-chars", "oauth-success", "pkce-verifier-valid"),
    ("reused-pkce", "refresh-failure", "pkce-verifier-valid"),
    ("no-state", "oauth-success", "state-sent"),
    ("short-state", "oauth-success", "state-entropy"),
    ("ignore-state", "tampered-state", "state-verified"),
    (
        "redeem-twice",
        "replay-callback",
        "callback-replay-rejected",
    ),
    ("first-page-only", "pagination", "pagination-complete"),
    (
        "build-page-links",
        "pagination",
        "next-link-followed-verbatim",
    ),
    ("crash-on-403", "denied-demographics", "patient-403-handled"),
    (
        "crash-on-userinfo-403",
        "denied-demographics",
        "userinfo-403-handled",
    ),
    ("crash-on-denied", "access-denied", "access-denied-handled"),
    (
        "always-gunzip",
        "small-response-no-gzip",
        "gzip-and-identity-decoded",
    ),
    ("no-gzip", "oauth-success", "gzip-requested"),
    ("no-retry-wait", "rate-limited", "retry-after-honoured"),
    ("retry-forever", "upstream-outage", "bounded-retries"),
    (
        "reuse-refresh",
        "token-expiry",
        "rotated-refresh-token-used",
    ),
    (
        "stale-access-token",
        "token-expiry",
        "current-access-token-used",
    ),
    ("no-refresh", "token-expiry", "token-refreshed-on-expiry"),
    (
        "refresh-loop",
        "refresh-failure",
        "refresh-failure-reauthorizes",
    ),
    ("token-in-query", "oauth-success", "bearer-header-only"),
    ("secret-in-url", "oauth-success", "no-secret-in-url"),
    ("basic-and-body", "oauth-success", "client-auth-valid"),
    (
        "public-sends-secret",
        "public-app",
        "public-client-sends-no-secret",
    ),
    ("wrong-type", "oauth-success", "claim-type-values-valid"),
    ("other-patient", "oauth-success", "own-patient-only"),
    ("bad-accept", "oauth-success", "accept-header-valid"),
    (
        "redirect-mismatch",
        "oauth-success",
        "redirect-uri-consistent",
    ),
    ("token-query", "oauth-success", "token-request-well-formed"),
    (
        "unknown-search-param",
        "oauth-success",
        "search-params-valid",
    ),
];

#[test]
fn each_broken_client_fails_exactly_its_check() {
    let mut wrong = Vec::new();
    for (flaw, scenario, check) in FLAWS {
        let client = client_with(Some(flaw));
        let run = conform(
            &format!("conform-flaw-{flaw}"),
            &["--scenario", scenario, "--client", &client],
        );
        let failures = run.behaviour_failures(scenario);
        if failures != [check.to_string()] {
            wrong.push(format!(
                "--flaw {flaw} on {scenario}: expected only {check} to fail, failed: {failures:?}\n{}",
                run.stdout()
            ));
            continue;
        }
        let checks = run.checks(scenario);
        let failed = checks["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == *check)
            .unwrap();
        assert!(
            !failed["reason"].as_str().unwrap().is_empty(),
            "{flaw}: {failed}"
        );
        assert!(
            !failed["exchanges"].as_array().unwrap().is_empty(),
            "{flaw}: a failure names its evidence: {failed}"
        );
        let required = failed["level"] == "required";
        let expected_code = if required { 1 } else { 0 };
        if run.code() != expected_code {
            wrong.push(format!(
                "--flaw {flaw}: exit code {} (check level {}), expected {expected_code}",
                run.code(),
                failed["level"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn a_python_client_following_only_the_readme_passes_the_suite() {
    let script = project_path("examples/python/bb_client.py");
    let client = format!("python3 {}", script.display());
    let run = conform("conform-python", &["--suite", "all", "--client", &client]);
    assert_eq!(run.code(), 0, "{}\n{}", run.stdout(), run.stderr());
    for name in bluebutton_harness::scenario::builtin_names() {
        assert_eq!(run.failures(name), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn list_checks_names_every_check_with_its_level_and_requirements() {
    let out = Command::new(env!("CARGO_BIN_EXE_bbh"))
        .args(["conform", "--list-checks"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (_, _, check) in FLAWS {
        assert!(text.contains(check), "{check} missing:\n{text}");
    }
    assert!(text.contains("journey-complete"));
    assert!(text.contains("recommended (confidential) / required (public)"));
    assert!(text.contains("rfc7636:§4.2"));
}

#[test]
fn a_baseline_entry_excuses_a_failure_and_a_stale_one_fails_the_run() {
    let dir = fresh_dir("conform-baseline");
    let known = dir.join("known.txt");
    std::fs::write(&known, "# known failures\npagination:pagination-complete\n").unwrap();
    let broken = client_with(Some("first-page-only"));
    let args = |client: &str| -> Vec<String> {
        ["--scenario", "pagination", "--client", client, "--baseline"]
            .iter()
            .map(|s| s.to_string())
            .chain([known.display().to_string()])
            .collect()
    };
    let excused = conform(
        "conform-baseline-excused",
        &args(&broken).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(excused.code(), 0, "{}", excused.stdout());
    assert_eq!(excused.failures("pagination"), ["pagination-complete"]);

    let good = client_with(None);
    let stale = conform(
        "conform-baseline-stale",
        &args(&good).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(stale.code(), 1, "{}", stale.stdout());
    assert!(
        stale.stdout().contains("pagination:pagination-complete"),
        "{}",
        stale.stdout()
    );

    std::fs::write(&known, "pagination pagination-complete\n").unwrap();
    let malformed = conform(
        "conform-baseline-malformed",
        &args(&good).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(malformed.code(), 2, "{}", malformed.stderr());
    assert!(malformed.stderr().contains(":1"), "{}", malformed.stderr());
}

#[test]
fn configuration_errors_exit_2_with_a_precise_message() {
    let dir = fresh_dir("conform-config");
    let unknown = dir.join("unknown-check.yaml");
    std::fs::write(
        &unknown,
        "version: 1\nname: unknown-check\nexpect:\n  checks:\n    no-such-check: pass\n",
    )
    .unwrap();
    let client = client_with(None);
    let run = conform(
        "conform-config-unknown",
        &["--scenario", unknown.to_str().unwrap(), "--client", &client],
    );
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr()
            .contains("unknown-check.yaml:5:5: expect.checks.no-such-check"),
        "{}",
        run.stderr()
    );

    let no_loopback = dir.join("no-loopback.yaml");
    std::fs::write(
        &no_loopback,
        "version: 1\nname: no-loopback\napps:\n  - name: web\n    client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n    client_secret: s\n    client_type: confidential\n    redirect_uris: [http://localhost:8080/cb]\n",
    )
    .unwrap();
    let run = conform(
        "conform-config-loopback",
        &[
            "--scenario",
            no_loopback.to_str().unwrap(),
            "--client",
            &client,
        ],
    );
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("http://127.0.0.1/callback"),
        "{}",
        run.stderr()
    );

    let run = conform("conform-config-noclient", &["--suite", "all"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("--client"), "{}", run.stderr());

    let run = conform(
        "conform-config-suite",
        &["--suite", "nope", "--client", &client],
    );
    assert_eq!(run.code(), 2);
    assert!(
        run.stderr().contains("no suite named `nope`"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_client_that_hangs_is_killed_at_the_timeout_and_fails_the_run() {
    let run = conform(
        "conform-timeout",
        &[
            "--scenario",
            "oauth-success",
            "--client",
            "sleep 600",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let checks = run.checks("oauth-success");
    assert_eq!(checks["client"]["timed_out"], true);
    assert_eq!(checks["outcome"], "fail");
    assert!(run.stdout().contains("timeout"), "{}", run.stdout());
}

/// Runs `bbh conform` with `CI` set as given (this project's own CI runs with `CI=true`).
fn conform_with_ci(name: &str, ci: &str, args: &[&str]) -> Conformance {
    let reports = fresh_dir(name);
    let output = conform_command(&reports, args)
        .env("CI", ci)
        .output()
        .unwrap();
    Conformance { output, reports }
}

fn check_of(run: &Conformance, scenario: &str, id: &str) -> Value {
    run.checks(scenario)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {scenario}"))
        .clone()
}

#[test]
fn snapshots_are_written_for_review_locally_and_fail_without_writing_in_ci() {
    let snapshots = fresh_dir("conform-snapshots");
    let client = client_with(None);
    let args = [
        "--scenario",
        "pagination",
        "--client",
        client.as_str(),
        "--snapshots",
        snapshots.to_str().unwrap(),
    ];
    let ci = conform_with_ci("conform-snapshots-ci", "true", &args);
    assert_eq!(ci.code(), 1, "{}", ci.stdout());
    assert_eq!(
        check_of(&ci, "pagination", "output-snapshot")["status"],
        "fail"
    );
    assert_eq!(std::fs::read_dir(&snapshots).unwrap().count(), 0);

    let local = conform_with_ci("conform-snapshots-local", "false", &args);
    assert_eq!(local.code(), 1, "{}", local.stdout());
    let pending = snapshots.join("pagination.output.json.new");
    assert!(pending.exists(), "{}", local.stdout());
    assert!(snapshots.join("pagination.transcript.json.new").exists());

    let bbh = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_bbh"))
            .args(args)
            .arg("--dir")
            .arg(&snapshots)
            .output()
            .unwrap()
    };
    let review = bbh(&["snapshots", "review"]);
    assert!(review.status.success());
    let review = String::from_utf8_lossy(&review.stdout).into_owned();
    assert!(review.contains("pagination.output.json"), "{review}");
    assert!(review.contains("2 pending"), "{review}");
    let accept = bbh(&["snapshots", "accept"]);
    assert!(accept.status.success());
    assert!(snapshots.join("pagination.output.json").exists());
    assert!(!pending.exists());

    // Another run of the same client (new ports, tokens, PKCE values) matches, in CI too.
    let again = conform_with_ci("conform-snapshots-again", "true", &args);
    assert_eq!(again.code(), 0, "{}", again.stdout());
    assert_eq!(
        check_of(&again, "pagination", "output-snapshot")["status"],
        "pass"
    );
    assert_eq!(
        check_of(&again, "pagination", "transcript-snapshot")["status"],
        "pass"
    );
    let snapshot = std::fs::read_to_string(snapshots.join("pagination.transcript.json")).unwrap();
    assert!(!snapshot.contains(CONFIDENTIAL_SECRET));
    assert!(
        !snapshot.contains("-20140000001001"),
        "patient id in the snapshot"
    );

    // A client whose output differs fails the snapshot.
    let broken = client_with(Some("first-page-only"));
    let mut broken_args = args;
    broken_args[3] = broken.as_str();
    let differs = conform_with_ci("conform-snapshots-differs", "true", &broken_args);
    assert_eq!(
        check_of(&differs, "pagination", "output-snapshot")["status"],
        "fail"
    );
}

#[test]
fn the_output_schema_of_a_scenario_judges_the_clients_output() {
    let dir = fresh_dir("conform-output-schema");
    std::fs::write(
        dir.join("output.schema.json"),
        r#"{"type": "object", "required": ["patient_id", "eob_ids"],
            "properties": {"eob_ids": {"type": "array", "minItems": 1000}}}"#,
    )
    .unwrap();
    let scenario = dir.join("schema-check.yaml");
    std::fs::write(
        &scenario,
        "version: 1\nname: schema-check\nexpect:\n  output_schema: output.schema.json\n",
    )
    .unwrap();
    let client = client_with(None);
    let run = conform(
        "conform-output-schema-run",
        &[
            "--scenario",
            scenario.to_str().unwrap(),
            "--client",
            &client,
        ],
    );
    assert_eq!(run.code(), 1, "{}", run.stdout());
    let check = check_of(&run, "schema-check", "output-schema-valid");
    assert_eq!(check["status"], "fail");
    assert!(
        check["reason"].as_str().unwrap().contains("/eob_ids"),
        "{check}"
    );
}

/// A client that tells the test it runs, by writing its shell's pid and a background child's
/// into the FIFO `ready`, then waits for ever.
fn waiting_client(ready: &Path) -> String {
    format!("sleep 600 & echo $$ $! > '{}'; wait", ready.display())
}

/// Starts `bbh conform ARGS --report-dir REPORTS` with stdout and stderr piped.
fn spawn_conform(reports: &Path, args: &[&str]) -> Bbh {
    let child = conform_command(reports, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    Bbh { child }
}

/// Makes the FIFO `ready` and blocks until the waiting client has written into it: the pids it
/// wrote. Should bbh end first, the FIFO is closed so that the test fails instead of waiting.
fn client_pids(ready: &Path, bbh: &mut Bbh) -> Vec<String> {
    let guard_pid = bbh.child.id().to_string();
    let guard_fifo = ready.to_owned();
    std::thread::spawn(move || {
        while alive(&guard_pid) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // Unblocks a reader with nothing written; opened for reading too, it never blocks
        // (Linux), even once the reader is gone.
        let _ = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&guard_fifo);
    });
    let text = std::fs::read_to_string(ready).unwrap();
    let pids: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if pids.len() != 2 {
        let output = finish(bbh);
        panic!(
            "the client never ran ({text:?}): bbh {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    pids
}

/// Waits for a spawned `bbh conform` to exit: its status and what it wrote.
fn finish(bbh: &mut Bbh) -> Output {
    use std::io::Read;
    // stderr on its own thread, so that neither pipe can fill while the other is read.
    let stderr = bbh.child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).unwrap();
            bytes
        })
    });
    let mut stdout = Vec::new();
    if let Some(mut pipe) = bbh.child.stdout.take() {
        pipe.read_to_end(&mut stdout).unwrap();
    }
    let stderr = stderr
        .map(|reader| reader.join().unwrap())
        .unwrap_or_default();
    let status = bbh.child.wait().unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}

fn make_fifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// Every file under `dir` (relative path → bytes).
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path.strip_prefix(dir).unwrap().to_owned(), bytes)
        })
        .collect()
}

#[test]
fn sigint_and_sigterm_stop_the_clients_and_still_write_complete_reports() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = fresh_dir(&format!("conform-sig{signal}"));
        let ready = dir.join("ready");
        make_fifo(&ready);
        let reports = dir.join("reports");
        let client = waiting_client(&ready);
        let args = [
            "--scenario",
            "oauth-success",
            "pagination",
            "--jobs",
            "1",
            "--timeout",
            "60",
            "--junit",
        ];
        let junit = dir.join("junit.xml");
        let mut args: Vec<&str> = args.to_vec();
        let junit_arg = junit.display().to_string();
        args.extend([junit_arg.as_str(), "--client", client.as_str()]);
        let mut bbh = spawn_conform(&reports, &args);
        let pids = client_pids(&ready, &mut bbh);
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &bbh.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let output = finish(&mut bbh);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(code), "{stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!("SIG{signal}: stopping")),
            "{stderr}"
        );
        for pid in &pids {
            assert!(
                !alive(pid),
                "SIG{signal}: client process {pid} outlived bbh"
            );
        }
        // The interrupted scenario is judged and reported whole; the next one never ran.
        let run = Conformance {
            output,
            reports: reports.clone(),
        };
        let checks = run.checks("oauth-success");
        assert_eq!(checks["client"]["interrupted"], true);
        assert_eq!(checks["client"]["timed_out"], false);
        assert_eq!(checks["outcome"], "fail");
        run.transcript("oauth-success");
        for file in ["client.stdout", "client.stderr"] {
            assert!(reports.join("oauth-success").join(file).is_file(), "{file}");
        }
        assert!(!reports.join("pagination").exists());
        assert!(
            stdout.contains("client: killed because bbh conform was interrupted"),
            "{stdout}"
        );
        assert!(
            stdout.contains(&format!(
                "INTERRUPTED by SIG{signal}: 1 scenario(s) not run: pagination"
            )),
            "{stdout}"
        );
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains(r#"type="interrupted""#), "{xml}");
    }
}

#[test]
fn a_runner_killed_mid_run_leaves_the_previous_reports_intact() {
    let dir = fresh_dir("conform-killed");
    let reports = dir.join("reports");
    let first = conform_into(
        &reports,
        &["--scenario", "oauth-success", "--client", "exit 0"],
    );
    assert_eq!(first.code(), 1, "{}", first.stderr());
    let before = files_under(&reports);
    assert!(before.contains_key(Path::new("oauth-success/checks.json")));

    let ready = dir.join("ready");
    make_fifo(&ready);
    let client = waiting_client(&ready);
    let args = ["--scenario", "oauth-success", "--client", client.as_str()];
    let mut bbh = spawn_conform(&reports, &args);
    let pids = client_pids(&ready, &mut bbh);
    bbh.child.kill().unwrap();
    bbh.child.wait().unwrap();
    // Nothing can stop a client when its runner is SIGKILLed: the test ends the group itself.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", pids[0])])
        .status();
    assert_eq!(files_under(&reports), before, "the reports changed");
}

/// `bbh conform ARGS --report-dir REPORTS`, not yet run.
fn conform_command(reports: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bbh"));
    command
        .arg("conform")
        .args(args)
        .arg("--report-dir")
        .arg(reports);
    command
}

/// Runs `bbh conform` with `args`, reports in `reports` (kept as they are).
fn conform_into(reports: &Path, args: &[&str]) -> Conformance {
    let output = conform_command(reports, args).output().unwrap();
    Conformance {
        output,
        reports: reports.to_owned(),
    }
}

#[test]
fn hostile_clients_get_whole_reports() {
    let dir = fresh_dir("conform-hostile");
    let pid_file = dir.join("child.pid");
    let flood = "python3 -c \"import os, urllib.request\nopen_url = urllib.request.build_opener(urllib.request.ProxyHandler({})).open\nwhile True:\n    try: open_url(os.environ['BB_BASE_URL'] + '/v3/').read()\n    except Exception: pass\"";
    let clients = [
        (
            "forks",
            format!("sleep 600 & echo $! > '{}'; exit 0", pid_file.display()),
        ),
        ("binary", "head -c 5000000 /dev/urandom".to_owned()),
        ("floods", flood.to_owned()),
    ];
    for (name, command) in clients {
        let reports = dir.join(name);
        let run = conform_into(
            &reports,
            &["--scenario", "oauth-success", "--client", &command],
        );
        assert_eq!(run.code(), 1, "{name}: {}", run.stderr());
        let checks = run.checks("oauth-success");
        run.transcript("oauth-success");
        let folder = reports.join("oauth-success");
        let stdout = std::fs::read(folder.join("client.stdout")).unwrap();
        assert!(folder.join("client.stderr").is_file(), "{name}");
        match name {
            "forks" => {
                let pid = std::fs::read_to_string(&pid_file).unwrap();
                assert!(
                    !alive(pid.trim()),
                    "the forked child {pid} outlived the run"
                );
            }
            "binary" => {
                assert_eq!(checks["client"]["stdout_bytes"], 5_000_000);
                assert_eq!(checks["client"]["stdout_truncated"], true);
                assert_eq!(stdout.len(), 1 << 20);
            }
            _ => {
                assert_eq!(checks["client"]["flooded"], true, "{checks}");
                assert!(
                    run.stdout().contains("killed for flooding"),
                    "{}",
                    run.stdout()
                );
            }
        }
    }
}

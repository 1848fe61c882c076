//! The corpus of bad scenario files (`tests/bad-scenarios/`): `bbh validate` gives each file
//! exactly its errors, every one at once (file:line:column, key, what was expected), and exit
//! code 2; `bbh serve` refuses each with exit code 2; nothing panics. Files too large to be a
//! scenario, or to be a body a scenario names, are refused without being read whole.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The folder of the corpus.
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-scenarios")
}

/// Every file of the corpus and its errors, in order, without the file name in front.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "bad-yaml.yaml",
        &["3:8: invalid YAML: illegal placement of ':' indicator"],
    ),
    (
        "dangling-login.yaml",
        &[
            "8:13: login.username: `carol` is neither a beneficiary of this scenario nor a \
             sandbox login (BBUserNNNNN); expected e.g. one of: alice",
        ],
    ),
    (
        "duplicate-ids.yaml",
        &["9:17: beneficiaries[1].patient_id: duplicate patient_id (first given on line 6)"],
    ),
    (
        "duplicate-key.yaml",
        &["3:1: duplicate key `name` (first given on line 2)"],
    ),
    (
        "empty.yaml",
        &["1:1: empty scenario: expected at least `version: 1` and a `name`"],
    ),
    (
        "many-errors.yaml",
        &[
            "2:7: name: expected a kebab-case name such as `my-scenario`, found `every error \
             at once`",
            "3:10: profile: unknown profile `newest`; expected `documented` or `current`",
            "4:7: seed: expected an integer from 0 to 18446744073709551615, found -3",
            "5:1: colour: unknown key `colour`; expected one of: version, name, description, \
             profile, environment, seed, now, apps, beneficiaries, login, tokens, expect, stubs, \
             strict, states, rate_limit",
            "10:15: beneficiaries[1].username: duplicate username (first given on line 7)",
        ],
    ),
    (
        "not-utf8.yaml",
        &["2:11: invalid UTF-8 (byte 0xE9); expected UTF-8 text"],
    ),
    (
        "path-escape.yaml",
        &[
            "8:18: stubs[0].then.body_file: `../../Cargo.toml` leaves the scenario file's \
             folder (`..`); the body must be inside it",
        ],
    ),
    (
        "unknown-key.yaml",
        &[
            "3:1: enviroment: unknown key `enviroment`; expected one of: version, name, \
             description, profile, environment, seed, now, apps, beneficiaries, login, tokens, \
             expect, stubs, strict, states, rate_limit",
        ],
    ),
    (
        "unknown-nested-key.yaml",
        &[
            "9:5: apps[0].scope: unknown key `scope`; expected one of: name, client_id, \
             client_secret, client_type, grant_types, redirect_uris, scopes, \
             require_demographic_scopes, data_access_type, active",
        ],
    ),
    (
        "unknown-target-state.yaml",
        &[
            "8:13: states.outage.transitions[0].to: unknown state `nowhere` of machine \
             `outage`; expected one of: up, down",
        ],
    ),
    (
        "unreachable-state.yaml",
        &[
            "5:24: states.outage.states[2]: unreachable state `gone`: no chain of transitions \
             leads to it from the initial state `up`",
        ],
    ),
    (
        "wrong-type-list.yaml",
        &["3:7: apps: expected a list, found a string"],
    ),
    (
        "wrong-type.yaml",
        &["3:7: seed: expected an integer from 0 to 18446744073709551615, found a string"],
    ),
    (
        "wrong-version.yaml",
        &["1:10: version: expected 1, found 2"],
    ),
];

/// The expected errors of `file`.
fn expected(file: &str) -> &'static [&'static str] {
    EXPECTED
        .iter()
        .find(|(name, _)| *name == file)
        .map(|(_, errors)| *errors)
        .unwrap()
}

/// `bbh ARGS` run in `folder`.
fn bbh_in(folder: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bbh"))
        .current_dir(folder)
        .args(args)
        .output()
        .expect("bbh runs")
}

/// What `bbh validate` writes for `file` with these errors.
fn report(file: &str, errors: &[&str]) -> String {
    let mut text: String = errors
        .iter()
        .map(|error| format!("{file}:{error}\n"))
        .collect();
    text.push_str(&format!("{file}: {} error(s)\n", errors.len()));
    text
}

fn assert_refused(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

#[test]
fn validate_gives_each_bad_file_all_its_errors_and_exit_2() {
    for (file, errors) in EXPECTED {
        let out = bbh_in(&corpus(), &["validate", file]);
        assert_refused(&out, file);
        assert_eq!(String::from_utf8_lossy(&out.stderr), report(file, errors));
        assert!(out.stdout.is_empty(), "{file}");
    }
}

#[test]
fn every_file_of_the_corpus_has_its_expected_errors() {
    let mut files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = EXPECTED.iter().map(|(file, _)| *file).collect();
    assert_eq!(files, listed);
}

#[test]
fn validate_checks_every_file_it_is_given_and_fails_if_any_is_bad() {
    let good = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/public-app.yaml");
    let good = good.to_str().unwrap();
    let out = bbh_in(
        &corpus(),
        &["validate", good, "wrong-type.yaml", "empty.yaml"],
    );
    assert_refused(&out, "three files");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for file in ["wrong-type.yaml", "empty.yaml"] {
        assert!(stderr.contains(&report(file, expected(file))), "{stderr}");
    }
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("public-app.yaml: ok"),
        "{out:?}"
    );
}

#[test]
fn serve_refuses_each_bad_file_with_exit_2_before_listening() {
    for (file, errors) in EXPECTED {
        let out = bbh_in(
            &corpus(),
            &["serve", "--scenario", file, "--addr", "127.0.0.1:0"],
        );
        assert_refused(&out, file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("bbh: {file}:{}\n", errors[0])),
            "{file}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{file}: it listened");
    }
}

/// A fresh folder under the target directory.
fn scratch_folder(name: &str) -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// 16 MiB and one byte: one byte over the bound.
const OVER_THE_BOUND: usize = 16 * 1024 * 1024 + 1;

#[test]
fn a_file_over_16_mib_is_not_a_scenario() {
    let folder = scratch_folder("huge-scenario");
    let mut text = String::from("version: 1\nname: huge\n# ");
    text.push_str(&"x".repeat(OVER_THE_BOUND - text.len()));
    std::fs::write(folder.join("huge.yaml"), &text).unwrap();
    let out = bbh_in(&folder, &["validate", "huge.yaml"]);
    assert_refused(&out, "huge.yaml");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        report(
            "huge.yaml",
            &["1:1: the file is larger than 16 MiB, the most a scenario file may be"]
        )
    );
    // At the bound exactly, it is read (and parsed: it is a valid scenario).
    text.truncate(OVER_THE_BOUND - 1);
    std::fs::write(folder.join("huge.yaml"), &text).unwrap();
    let out = bbh_in(&folder, &["validate", "huge.yaml"]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_body_file_over_16_mib_is_refused_at_its_key() {
    let folder = scratch_folder("huge-body");
    std::fs::write(folder.join("big.json"), vec![b' '; OVER_THE_BOUND]).unwrap();
    let scenario = "version: 1\nname: huge-body\nstubs:\n  - when:\n      path: /x\n    then:\n      \
                    status: 200\n      body_file: big.json\n";
    std::fs::write(folder.join("scenario.yaml"), scenario).unwrap();
    let out = bbh_in(&folder, &["validate", "scenario.yaml"]);
    assert_refused(&out, "scenario.yaml");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        report(
            "scenario.yaml",
            &[
                "8:18: stubs[0].then.body_file: `big.json` is larger than 16 MiB, the most a \
               file a scenario names may be"
            ]
        )
    );
}

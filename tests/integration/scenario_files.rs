//! Every shipped scenario file parses and matches `schemas/scenario.schema.json`, and the
//! schema refuses what the parser refuses.

use crate::support::*;
use bluebutton_harness::scenario::{self, yaml};
use serde_json::Value;

fn shipped() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(project_path("scenarios"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_files_parse_and_match_the_schema() {
    let files = shipped();
    assert_eq!(
        files.len(),
        scenario::builtin_names().len(),
        "every shipped file is built in"
    );
    for path in files {
        let parsed =
            scenario::load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            Some(parsed.name.as_str()),
            path.file_stem().and_then(|s| s.to_str())
        );
        let json = yaml::to_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_valid("scenario", &json);
    }
}

#[test]
fn schema_refuses_what_the_parser_refuses() {
    let bad = [
        "version: 1\nname: x\ncolour: blue\n",
        "version: 2\nname: x\n",
        "version: 1\nname: Not Kebab\n",
        "version: 1\nname: x\ntokens:\n  code_ttl: \"60\"\n",
        "version: 1\nname: x\napps:\n  - {name: a, client_id: short, client_type: public, redirect_uris: [http://127.0.0.1/cb]}\n",
        "version: 1\nname: x\napps:\n  - {name: a, client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA, client_type: confidential, redirect_uris: [http://127.0.0.1/cb]}\n",
        "version: 1\nname: x\nbeneficiaries:\n  - {username: jane, patient_id: '-1'}\nlogin: {username: jane}\n",
        "version: 1\nname: x\nbeneficiaries:\n  - {username: BBUser00001, patient_id: '-1', claims: {dme: 1}}\n",
        "name: x\n",
    ];
    let validator = schema("scenario");
    for text in bad {
        let json: Value = yaml::to_json(text).unwrap();
        assert!(!validator.is_valid(&json), "the schema accepts:\n{text}");
        assert!(
            scenario::parse(text, scenario::Source::Builtin("bad")).is_err(),
            "the parser accepts:\n{text}"
        );
    }
}

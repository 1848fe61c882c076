//! Every shipped scenario file parses and matches `schemas/scenario.schema.json`, and the
//! schema and the parser agree on what they refuse.

use bluebutton_harness::scenario::{self, Source};
use marked_yaml::{LoaderOptions, Node};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(project().join("schemas/scenario.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// A YAML document as JSON: plain scalars typed (null, booleans, integers), quoted ones
/// strings, as YAML 1.2 reads them.
pub fn to_json(text: &str) -> Value {
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let node = marked_yaml::parse_yaml_with_options(0, text, options).unwrap();
    node_to_json(&node)
}

fn node_to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(scalar) if scalar.may_coerce() => match scalar.as_str() {
            "" | "~" | "null" => Value::Null,
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            text => text
                .parse::<i64>()
                .map(Value::from)
                .or_else(|_| text.parse::<u64>().map(Value::from))
                .or_else(|_| match text.parse::<f64>() {
                    Ok(n) if text.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
                        Ok(Value::from(n))
                    }
                    _ => Err(()),
                })
                .unwrap_or_else(|_| Value::from(text)),
        },
        Node::Scalar(scalar) => Value::from(scalar.as_str()),
        Node::Mapping(map) => map
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), node_to_json(value)))
            .collect(),
        Node::Sequence(list) => list.iter().map(node_to_json).collect(),
    }
}

fn schema_errors(validator: &jsonschema::Validator, json: &Value) -> Vec<String> {
    validator
        .iter_errors(json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn shipped_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(project().join("scenarios"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn shipped_scenarios_parse_and_match_the_schema() {
    let validator = schema();
    let files = shipped_files();
    let mut stems: Vec<&str> = files
        .iter()
        .filter_map(|path| path.file_stem()?.to_str())
        .collect();
    stems.sort_unstable();
    let mut builtins = scenario::builtin_names().to_vec();
    builtins.sort_unstable();
    assert_eq!(stems, builtins, "every shipped file is built in");
    for path in &files {
        let parsed = scenario::load_file(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Some(parsed.name.as_str()),
            path.file_stem().and_then(|s| s.to_str())
        );
        let json = to_json(&std::fs::read_to_string(path).unwrap());
        let errors = schema_errors(&validator, &json);
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn the_schema_accepts_a_file_using_every_key() {
    let text = "\
version: 1
name: every-key
description: all of them
profile: current
seed: 7
apps:
  - name: web
    client_id: 0123456789abcdefghijABCDEFGHIJ0123456789
    client_secret: s3cret
    client_type: confidential
    grant_types: [authorization-code]
    redirect_uris: ['http://127.0.0.1/callback']
    scopes: [openid, patient/Coverage.rs]
    require_demographic_scopes: false
  - name: native
    client_id: bbhPublicNativeClient0000000000000000001
    client_type: public
    grant_types: [authorization-code, implicit]
    redirect_uris: ['gov.cms.bluebutton.oauthtester:/callback']
beneficiaries:
  - username: alice
    password: pw
    patient_id: '123'
    name: Alice B Cooper
    claims: {carrier: 2, inpatient: 0, pde: 1000000}
  - username: BBUser00001
    patient_id: -19990000000002
login:
  username: alice
  share_demographics: false
  approve: false
  probe: tampered-state
tokens:
  access_ttl: 31536000
  code_ttl: 86400
  expire_after_calls: 3
expect:
  checks:
    pkce-s256: pass
    state-sent: fail
  output_schema: schemas/output.schema.json
  snapshot: true
stubs:
  - when: {method: GET, path: /v2/fhir/ExplanationOfBenefit/, nth: 2}
    then: {status: 429, headers: {Retry-After: '1'}, body: {detail: Request was throttled.}}
  - when: {path: /v2/o/token/}
    then: {passthrough: true, status: 503, headers: {X-Extra: '1'}}
  - when: {path: /text}
    then: {body: plain text, headers: {Content-Type: text/plain}}
  - when: {path: /list}
    then: {body: [1, {a: b}]}
  - when: {path: /reset}
    then: {fault: connection-reset, delay: 250ms}
  - when: {path: /busy}
    then:
      passthrough: true
      fault: {kind: too-many-requests, retry_after: 30, rate: 0.25}
      delay: {lognormal: {median: 100ms, sigma: 0.5}, dribble: {chunks: 10, over: 1.5s}}
  - when: {path: /slow}
    then: {body: x, delay: {fixed: 1m, dribble: {chunks: 2, over: 2s}}}
";
    scenario::parse(text, Source::File("dir/every-key.yaml".into())).unwrap();
    let errors = schema_errors(&schema(), &to_json(text));
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn the_schema_refuses_what_the_parser_refuses() {
    let app = "{name: a, client_id: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let bad = [
        "version: 1\nname: x\ncolour: blue\n".to_owned(),
        "version: 1\nname: x\nlogin:\n  probe: stolen-code\n".to_owned(),
        "version: 1\nname: x\ntokens:\n  expire_after_calls: 0\n".to_owned(),
        "version: 1\nname: x\nexpect:\n  check: {}\n".to_owned(),
        "version: 1\nname: x\nexpect:\n  checks: {Pkce_S256: pass}\n".to_owned(),
        "version: 1\nname: x\nexpect:\n  checks: {pkce-s256: maybe}\n".to_owned(),
        "version: 1\nname: x\nexpect:\n  snapshot: 'yes'\n".to_owned(),
        "version: 1\nname: x\nstubs: {}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - when: {path: /}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - then: {}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /, query: a}, then: {}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {fault: reset}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {fault: empty-response, body: x}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {fault: {kind: empty-response, rate: 0}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {fault: {kind: empty-response, retry_after: 1}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: 5}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: 5h}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: {}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: {fixed: 1s, lognormal: {median: 1s, sigma: 1}}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: {lognormal: {median: 0ms, sigma: 1}}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {delay: {dribble: {chunks: 1, over: 1s}}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: v2/}, then: {}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: '/a?b'}, then: {}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /, method: get}, then: {}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /, nth: 0}, then: {}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {status: 600}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {status: 99}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {body: 42}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {body: x, passthrough: true}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {headers: {'Bad Name': x}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {headers: {X-A: \"a\\nb\"}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {headers: {X-A: 1}}}\n".to_owned(),
        "version: 1\nname: x\nstubs:\n  - {when: {path: /}, then: {headers: {content-length: '1'}}}\n".to_owned(),
        "version: 1\nname: x\ntokens:\n  code_ttl: \"60\"\n".to_owned(),
        "version: 1\nname: x\ntokens:\n  code_ttl: 86401\n".to_owned(),
        "version: 1\nname: x\nlogin:\n  approve: yes\n".to_owned(),
        "version: 1\nname: x\nseed: -1\n".to_owned(),
        "version: 2\nname: x\n".to_owned(),
        "version: '1'\nname: x\n".to_owned(),
        "version: 1\nname: Not Kebab\n".to_owned(),
        "name: x\n".to_owned(),
        "version: 1\nname: x\nprofile: newest\n".to_owned(),
        "version: 1\nname: x\napps: []\n".to_owned(),
        "version: 1\nname: x\napps:\n  - {name: a, client_id: short, client_type: public, redirect_uris: [http://127.0.0.1/cb]}\n".to_owned(),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: confidential, redirect_uris: [http://127.0.0.1/cb]}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, client_secret: s, redirect_uris: [http://127.0.0.1/cb]}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: confidential, client_secret: s, grant_types: [implicit], redirect_uris: [http://127.0.0.1/cb]}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, grant_types: [implicit, implicit], redirect_uris: [http://127.0.0.1/cb]}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, redirect_uris: ['http://127.0.0.1/cb#x']}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, redirect_uris: ['http:/cb']}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, redirect_uris: []}}\n"),
        format!("version: 1\nname: x\napps:\n  - {app}, client_type: public, redirect_uris: [http://127.0.0.1/cb], scopes: [patient/AuditEvent.rs]}}\n"),
        "version: 1\nname: x\nbeneficiaries:\n  - {username: jane, patient_id: '-1'}\nlogin: {username: jane}\n".to_owned(),
        "version: 1\nname: x\nbeneficiaries:\n  - {username: BBUser00001, patient_id: 'abc'}\n".to_owned(),
        "version: 1\nname: x\nbeneficiaries:\n  - {username: BBUser00001, patient_id: '-1', name: Jane}\n".to_owned(),
        "version: 1\nname: x\nbeneficiaries:\n  - {username: BBUser00001, patient_id: '-1', claims: {Dme: 1}}\n".to_owned(),
        "version: 1\nname: x\nbeneficiaries:\n  - {username: BBUser00001, patient_id: '-1', claims: {pde: -1}}\n".to_owned(),
    ];
    let validator = schema();
    for text in &bad {
        assert!(
            !validator.is_valid(&to_json(text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            scenario::parse(text, Source::Builtin("bad")).is_err(),
            "the parser accepts:\n{text}"
        );
    }
    // Paths are judged for files (built-in scenarios refuse `output_schema` altogether).
    for schema_path in [
        "/etc/out.json",
        "../out.json",
        "a/../../out.json",
        "a/..",
        "",
    ] {
        let text = format!("version: 1\nname: x\nexpect:\n  output_schema: '{schema_path}'\n");
        assert!(
            !validator.is_valid(&to_json(&text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            scenario::parse(&text, Source::File("dir/x.yaml".into())).is_err(),
            "the parser accepts:\n{text}"
        );
    }
}

#[test]
fn the_schema_and_the_parser_accept_the_same_paths() {
    let validator = schema();
    for schema_path in ["out.json", "./out.json", "a/b/out.json", "a..b.json"] {
        let text = format!("version: 1\nname: x\nexpect:\n  output_schema: '{schema_path}'\n");
        assert!(
            validator.is_valid(&to_json(&text)),
            "the schema refuses:\n{text}"
        );
        assert!(
            scenario::parse(&text, Source::File("dir/x.yaml".into())).is_ok(),
            "the parser refuses:\n{text}"
        );
    }
}

#[test]
fn the_schema_and_the_parser_agree_on_sequences_passthrough_edits_and_states() {
    let validator = schema();
    let head = "version: 1\nname: x\n";
    let good = format!(
        "{head}\
states:
  outage:
    states: [healthy, failing]
    transitions:
      - {{from: healthy, to: failing, when: {{method: POST, path: /v2/o/token/}}}}
stubs:
  - when: {{path: /v2/fhir/Patient/}}
    then:
      headers: {{X-Seq: '{{{{fresh.id}}}}'}}
      sequence:
        - {{status: 500, body: {{detail: '{{{{request.path}}}}'}}}}
        - {{passthrough: {{set: {{/total: 0, /entry/0/id: x}}, remove: [/link/1]}}}}
        - {{passthrough: true}}
"
    );
    assert!(
        scenario::parse(&good, Source::Builtin("good")).is_ok(),
        "{good}"
    );
    let errors = schema_errors(&validator, &to_json(&good));
    assert!(errors.is_empty(), "{errors:#?}");
    for then in [
        "{sequence: []}",
        "{sequence: [{sequence: [{status: 200}]}]}",
        "{sequence: [{colour: red}]}",
        "{passthrough: yes}",
        "{passthrough: {set: {total: 0}}}",
        "{passthrough: {remove: ['']}}",
        "{passthrough: {remove: [/a~2]}}",
        "{passthrough: {remove: [/a, /a]}}",
        "{passthrough: {add: {}}}",
        "{passthrough: {set: {/a: 1}}, body: x}",
    ] {
        let text = format!("{head}stubs:\n  - when: {{path: /}}\n    then: {then}\n");
        assert!(
            !validator.is_valid(&to_json(&text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            scenario::parse(&text, Source::Builtin("bad")).is_err(),
            "the parser accepts:\n{text}"
        );
    }
    for states in [
        "{m: {states: []}}",
        "{m: {states: [a, a]}}",
        "{m: {states: ['a b']}}",
        "{'m n': {states: [a]}}",
        "{m: {states: [a], colour: red}}",
        "{m: {transitions: []}}",
        "{m: {states: [a, b], transitions: [{from: a, to: b}]}}",
        "{m: {states: [a, b], transitions: [{from: a, to: b, when: {path: /, nth: 1}}]}}",
        "{m: {states: [a, b], transitions: [{from: a, to: b, when: {path: /, session: {nth: 1}}}]}}",
        "{m: {states: [a, b], transitions: [{from: a, to: b, when: {method: get, path: /}}]}}",
    ] {
        let text = format!("{head}states: {states}\n");
        assert!(
            !validator.is_valid(&to_json(&text)),
            "the schema accepts:\n{text}"
        );
        assert!(
            scenario::parse(&text, Source::Builtin("bad")).is_err(),
            "the parser accepts:\n{text}"
        );
    }
}

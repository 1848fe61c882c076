//! Stub answers in scenario files: `sequence` steps merged over their defaults, `passthrough`
//! edits with JSON Pointers, and templates refused when they name nothing.

use super::*;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::json;

fn parse_text(text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    parse(text, Source::Builtin("test"))
}

fn errors(text: &str) -> Vec<String> {
    let prefix = format!("{}:", Source::Builtin("test"));
    match parse_text(text) {
        Ok(scenario) => panic!("expected errors, parsed {:#?}", scenario.stubs),
        Err(errors) => errors
            .iter()
            .map(|e| e.to_string().replacen(&prefix, "", 1))
            .collect(),
    }
}

/// The `then` of a one-stub file whose `then` mapping is `then` (its lines get indented).
fn then_of(then: &str) -> StubThen {
    let then: String = then.lines().map(|line| format!("      {line}\n")).collect();
    let text = format!("version: 1\nname: t\nstubs:\n  - when: {{path: /x}}\n    then:\n{then}");
    match parse_text(&text) {
        Ok(mut scenario) => scenario.stubs.remove(0).then,
        Err(errors) => panic!("{text}\n{errors:#?}"),
    }
}

fn header(name: &str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_bytes(name.as_bytes()).unwrap(),
        HeaderValue::from_static(value),
    )
}

#[test]
fn sequence_steps_are_merged_over_the_other_keys_of_then() {
    let then = then_of(
        "\
status: 200
headers: {Retry-After: '1', X-Kept: k}
sequence:
  - {status: 500}
  - {passthrough: true, headers: {retry-after: '9', X-Own: o}}
  - {body: {a: 1}}
",
    );
    let defaults = StubThen {
        status: Some(StatusCode::OK),
        headers: vec![header("retry-after", "1"), header("x-kept", "k")],
        ..StubThen::default()
    };
    assert_eq!(
        then.sequence,
        vec![
            StubThen {
                status: Some(StatusCode::INTERNAL_SERVER_ERROR),
                ..defaults.clone()
            },
            StubThen {
                headers: vec![
                    header("x-kept", "k"),
                    header("retry-after", "9"),
                    header("x-own", "o"),
                ],
                passthrough: Some(Passthrough::default()),
                ..defaults.clone()
            },
            StubThen {
                body: Some(Bytes::from_static(br#"{"a":1}"#)),
                ..defaults.clone()
            },
        ]
    );
    // The stub's own keys are the defaults; no step has a sequence of its own.
    assert_eq!(
        StubThen {
            sequence: Vec::new(),
            ..then
        },
        defaults
    );
}

#[test]
fn a_step_may_turn_a_default_passthrough_off() {
    let then = then_of(
        "\
passthrough: true
sequence:
  - {status: 503}
  - {passthrough: false, body: down}
",
    );
    assert_eq!(then.sequence[0].passthrough, Some(Passthrough::default()));
    assert_eq!(then.sequence[1].passthrough, None);
    assert_eq!(then.sequence[1].body.as_deref(), Some(&b"down"[..]));
}

#[test]
fn exclusions_apply_to_each_merged_step() {
    let text = "\
version: 1
name: t
stubs:
  - when: {path: /x}
    then:
      passthrough: true
      sequence:
        - {status: 500}
        - {body: x}
        - {fault: backend-failure}
        - {sequence: [{status: 1}]}
  - when: {path: /y}
    then:
      body: x
      passthrough: true
      sequence: [{status: 500}, {status: 502}]
  - when: {path: /z}
    then: {sequence: []}
";
    assert_eq!(
        errors(text),
        [
            "9:18: stubs[0].then.sequence[1].body: `body` and `passthrough: true` are \
             exclusive: a passthrough answer keeps the built-in body (this step inherits \
             `passthrough` from the stub's `then`)",
            "10:19: stubs[0].then.sequence[2].fault: `fault` without a `rate` replaces the \
             answer: it excludes `body`, `body_file` and `passthrough: true` (with a `rate`, \
             they answer the requests the fault spares) (this step inherits `passthrough` from \
             the stub's `then`)",
            "11:12: stubs[0].then.sequence[3].sequence: a step cannot have its own \
             `sequence`; list every answer in the stub's",
            // A clash of two defaults is reported once, not once per step.
            "14:13: stubs[1].then.body: `body` and `passthrough: true` are exclusive: a \
             passthrough answer keeps the built-in body",
            "18:22: stubs[2].then.sequence: expected at least one step",
        ]
    );
}

#[test]
fn passthrough_edits_are_read_with_their_pointers() {
    let then = then_of(
        "\
status: 206
passthrough:
  set: {/total: 0, /entry/0/resource/id: x, /a~1b/c~0d: [1, {k: v}], /meta: ~}
  remove: [/link/1, /entry/-]
",
    );
    assert_eq!(
        then.passthrough,
        Some(Passthrough {
            set: vec![
                ("/total".into(), json!(0)),
                ("/entry/0/resource/id".into(), json!("x")),
                ("/a~1b/c~0d".into(), json!([1, {"k": "v"}])),
                ("/meta".into(), json!(null)),
            ],
            remove: vec!["/link/1".into(), "/entry/-".into()],
        })
    );
    assert_eq!(then.status, Some(StatusCode::PARTIAL_CONTENT));
    assert_eq!(
        then_of("passthrough: {}").passthrough,
        Some(Passthrough::default())
    );
    assert_eq!(then_of("passthrough: false").passthrough, None);
}

#[test]
fn passthrough_edits_refuse_bad_pointers_and_contradictions() {
    let text = "\
version: 1
name: t
stubs:
  - when: {path: /x}
    then:
      passthrough:
        set: {total: 0, '': 1, /a~2: x, /ok: 1}
        remove: [/ok, /c, /c, 3]
        add: {}
  - when: {path: /y}
    then: {passthrough: yes}
  - when: {path: /z}
    then: {passthrough: {set: {/a: 1}}, body: {}}
  - when: {path: /n}
    then: {passthrough: {set: {/b: .nan}}}
";
    assert_eq!(
        errors(text),
        [
            "7:15: stubs[0].then.passthrough.set.total: expected a JSON Pointer such as \
             `/entry/0/resource/id` (`/` before each key or index, `~0` for `~`, `~1` for \
             `/`), found `total`",
            "7:25: stubs[0].then.passthrough.set.: the empty pointer names the whole body; \
             give `body` instead of a passthrough",
            "7:32: stubs[0].then.passthrough.set./a~2: expected a JSON Pointer such as \
             `/entry/0/resource/id` (`/` before each key or index, `~0` for `~`, `~1` for \
             `/`), found `/a~2`",
            "8:18: stubs[0].then.passthrough.remove[0]: `/ok` is both set and removed; keep one",
            "8:27: stubs[0].then.passthrough.remove[2]: duplicate pointer (first given on line 8)",
            "8:31: stubs[0].then.passthrough.remove[3]: expected a string, found an integer \
             (quote it to make it a string)",
            "9:9: stubs[0].then.passthrough.add: unknown key `add`; expected one of: set, remove",
            "11:25: stubs[1].then.passthrough: expected true, false or a mapping of `set` and \
             `remove`, found a string",
            "13:47: stubs[2].then.body: `body` and `passthrough` are exclusive: a passthrough \
             answer keeps the built-in body",
            "15:36: stubs[3].then.passthrough.set./b: `.nan` has no JSON form (JSON numbers \
             are finite, integers within 64 bits); quote it to make it a string",
        ]
    );
}

#[test]
fn templates_are_checked_where_answers_render_them() {
    let text = "\
version: 1
name: t
stubs:
  - when: {path: /x}
    then:
      headers: {X-Echo: '{{request.header.x-in}}', X-Bad: '{{request.cookie.c}}'}
      body: {ok: '{{request.query.a}} {{fresh.t}}', bad: ['{{request.nope}}']}
  - when: {path: /y}
    then:
      body: 'plain {{request.query.}}'
  - when: {path: /z}
    then: {passthrough: {set: {/a: {b: '{{fresh.}}'}, /c: '{{request.form.code}}'}}}
";
    assert_eq!(
        errors(text),
        [
            "6:59: stubs[0].then.headers.X-Bad: unknown template `{{request.cookie.c}}`; \
             expected `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}`, \
             `{{request.header.NAME}}` or `{{fresh.NAME}}`",
            "7:59: stubs[0].then.body.bad[0]: unknown template `{{request.nope}}`; expected \
             `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}`, \
             `{{request.header.NAME}}` or `{{fresh.NAME}}`",
            "10:13: stubs[1].then.body: unknown template `{{request.query.}}`; expected \
             `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}`, \
             `{{request.header.NAME}}` or `{{fresh.NAME}}`",
            "12:40: stubs[2].then.passthrough.set./a.b: unknown template `{{fresh.}}`; \
             expected `{{request.path}}`, `{{request.query.NAME}}`, `{{request.form.NAME}}`, \
             `{{request.header.NAME}}` or `{{fresh.NAME}}`",
        ]
    );
}

#[test]
fn templates_in_body_files_are_checked() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("ok.json"), r#"{"id":"{{fresh.id}}"}"#).unwrap();
    std::fs::write(folder.path().join("bad.json"), r#"{"id":"{{request.id}}"}"#).unwrap();
    std::fs::write(folder.path().join("binary.bin"), [0xff, 0xfe, b'{', b'{']).unwrap();
    let load = |file: &str| {
        let path = folder.path().join("s.yaml");
        std::fs::write(
            &path,
            format!("version: 1\nname: s\nstubs:\n  - when: {{path: /x}}\n    then: {{body_file: {file}}}\n"),
        )
        .unwrap();
        load_file(&path).map_err(|error| error.to_string())
    };
    assert!(load("ok.json").is_ok());
    assert!(load("binary.bin").is_ok());
    let error = load("bad.json").unwrap_err();
    assert!(
        error.contains("5:23: stubs[0].then.body_file: in `")
            && error.contains("bad.json`: unknown template `{{request.id}}`"),
        "{error}"
    );
}

#[test]
fn templates_in_when_values_are_checked_as_in_answers() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("when.yaml");
    std::fs::write(
        &path,
        "\
version: 1
name: t
stubs:
  - when:
      path: /x
      query: {a: '{{request.qurey.x}}', ok: '{{request.query.x}}*'}
      headers: {X-Echo: 'v-{{request.header.x-in}}', X-Bad: '{{fresh.}}'}
      form: {code: '{{request.form}}'}
    then: {}
states:
  m:
    states: [a, b]
    transitions:
      - {from: a, to: b, when: {path: /y, query: {s: '[{{request.nope}}]'}}}
",
    )
    .unwrap();
    let error = load_file(&path).unwrap_err().to_string();
    let file = path.display();
    let expected = "expected `{{request.path}}`, `{{request.query.NAME}}`, \
                    `{{request.form.NAME}}`, `{{request.header.NAME}}` or `{{fresh.NAME}}`";
    assert_eq!(
        error.lines().collect::<Vec<_>>(),
        [
            format!(
                "{file}:6:18: stubs[0].when.query.a: unknown template \
                 `{{{{request.qurey.x}}}}`; {expected}"
            ),
            format!(
                "{file}:7:61: stubs[0].when.headers.X-Bad: unknown template `{{{{fresh.}}}}`; \
                 {expected}"
            ),
            format!(
                "{file}:8:20: stubs[0].when.form.code: unknown template \
                 `{{{{request.form}}}}`; {expected}"
            ),
            format!(
                "{file}:14:54: states.m.transitions[0].when.query.s: unknown template \
                 `{{{{request.nope}}}}`; {expected}"
            ),
        ]
    );
}

#[test]
fn states_are_read_and_stub_conditions_checked_against_them() {
    let scenario = parse_text(
        "\
version: 1
name: t
states:
  outage:
    states: [healthy, failing]
    transitions:
      - {from: healthy, to: failing, when: {method: POST, path: /v2/o/token/}}
",
    )
    .unwrap();
    assert_eq!(scenario.states.len(), 1);
    assert_eq!(scenario.states[0].states, ["healthy", "failing"]);
    assert_eq!(
        errors("version: 1\nname: t\nstates:\n  m:\n    states: [a, b]\n"),
        [
            "5:17: states.m.states[1]: unreachable state `b`: no chain of transitions leads to \
          it from the initial state `a`"
        ]
    );
}

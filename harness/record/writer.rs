//! The scenario a recording becomes: one stub per distinct request, in the order first seen,
//! its answers in call order (a `sequence` when they differ), written as YAML and replaced
//! atomically (temporary file + rename) so a reader never sees half a file.

use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

/// How a query parameter, header or form field must look: a pattern (`*` matches any run of
/// characters, `{{...}}` templates are rendered first), or `None` for absent.
pub(crate) type Condition = Option<String>;

/// The requests a recorded stub answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct When {
    /// The method (`GET`).
    pub(crate) method: String,
    /// The path as sent, percent-encoded.
    pub(crate) path: String,
    /// Query parameters, first value of each name, in request order.
    pub(crate) query: Vec<(String, Condition)>,
    /// Header conditions (only `Authorization`).
    pub(crate) headers: Vec<(String, Condition)>,
    /// Fields of a form body, first value of each name, in request order.
    pub(crate) form: Vec<(String, Condition)>,
    /// Whether a condition accepts a credential it could not pin down (a bearer token or a
    /// code that was not issued through the recorder): such stubs are tried last.
    pub(crate) loose: bool,
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    /// The status code.
    pub(crate) status: u16,
    /// Headers, names in lower case, each name once.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, decoded; `None` when empty.
    pub(crate) body: Option<Body>,
}

/// A recorded body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    /// A JSON object or array, written as a YAML mapping or list.
    Json(Value),
    /// Any other body, written as a string.
    Text(String),
}

/// Every stub recorded so far.
#[derive(Debug)]
pub(crate) struct Recording {
    name: String,
    upstream: String,
    stubs: Vec<(When, Vec<Answer>)>,
    exchanges: usize,
}

impl Recording {
    /// An empty recording of `upstream`, named `name` (kebab-case).
    pub(crate) fn new(name: String, upstream: String) -> Recording {
        Recording {
            name,
            upstream,
            stubs: Vec::new(),
            exchanges: 0,
        }
    }

    /// How many exchanges it holds.
    pub(crate) fn exchanges(&self) -> usize {
        self.exchanges
    }

    /// Adds an exchange: to the stub of the same request if there is one (its answers in call
    /// order), else as a new stub.
    pub(crate) fn add(&mut self, when: When, answer: Answer) {
        self.exchanges += 1;
        match self.stubs.iter_mut().find(|(known, _)| *known == when) {
            Some((_, answers)) => answers.push(answer),
            None => self.stubs.push((when, vec![answer])),
        }
    }

    /// The scenario file's text.
    pub(crate) fn to_yaml(&self) -> Result<String, yaml_serde::Error> {
        // Stubs that accept any credential go after those that pin one, so they only get
        // the requests no other stub answers.
        let mut order: Vec<&(When, Vec<Answer>)> = self.stubs.iter().collect();
        order.sort_by_key(|(when, _)| when.loose);
        let stubs: Vec<Value> = order
            .into_iter()
            .map(|(when, answers)| self.stub(when, answers))
            .collect();
        let document = json!({
            "version": 1,
            "name": self.name,
            "description": format!(
                "Recorded from {} by bbh record: {} exchange(s).",
                self.upstream, self.exchanges
            ),
            "stubs": stubs,
        });
        let yaml = yaml_serde::to_string(&document)?;
        Ok(format!(
            "# Recorded by `bbh record`. Credentials, codes, tokens and the beneficiary's \
             personal data are\n# replaced; tokens and codes are fresh values on replay \
             (`{{{{fresh.token-N}}}}`, `{{{{fresh.code-N}}}}`).\n{yaml}"
        ))
    }

    fn stub(&self, when: &When, answers: &[Answer]) -> Value {
        let mut when_map = Map::new();
        when_map.insert("method".into(), Value::String(when.method.clone()));
        when_map.insert("path".into(), Value::String(when.path.clone()));
        let query = self.with_absent(when, when.query.clone(), |w| &w.query);
        let form = self.with_absent(when, when.form.clone(), |w| &w.form);
        for (key, conditions) in [
            ("query", query),
            ("headers", when.headers.clone()),
            ("form", form),
        ] {
            if !conditions.is_empty() {
                when_map.insert(key.into(), conditions_value(conditions));
            }
        }
        let then = match answers {
            [first, rest @ ..] if rest.iter().all(|answer| answer == first) => answer_value(first),
            _ => json!({ "sequence": answers.iter().map(answer_value).collect::<Vec<_>>() }),
        };
        json!({ "when": Value::Object(when_map), "then": then })
    }

    /// `conditions` plus `NAME: null` for each name that another stub of the same method and
    /// path has and this one lacks, unless a condition they share already tells them apart:
    /// a stub's conditions allow extra parameters, so without it this stub would also take
    /// the other's requests.
    fn with_absent(
        &self,
        own: &When,
        mut conditions: Vec<(String, Condition)>,
        select: fn(&When) -> &Vec<(String, Condition)>,
    ) -> Vec<(String, Condition)> {
        for (other, _) in &self.stubs {
            if other.method != own.method
                || !same_path(&other.path, &own.path)
                || exclusive(own, other)
            {
                continue;
            }
            for (name, _) in select(other) {
                if !conditions.iter().any(|(known, _)| known == name) {
                    conditions.push((name.clone(), None));
                }
            }
        }
        conditions
    }
}

/// Whether no request can meet the conditions of both: a name they share is absent in one
/// and present in the other, or has a different fixed value in each.
fn exclusive(a: &When, b: &When) -> bool {
    let lists = [
        (&a.query, &b.query),
        (&a.headers, &b.headers),
        (&a.form, &b.form),
    ];
    lists.iter().any(|(ours, theirs)| {
        ours.iter().any(|(name, ours)| {
            theirs
                .iter()
                .any(|(other, theirs)| other == name && differ(ours, theirs))
        })
    })
}

fn differ(a: &Condition, b: &Condition) -> bool {
    match (a, b) {
        (None, None) => false,
        (None, Some(_)) | (Some(_), None) => true,
        (Some(a), Some(b)) => fixed(a) && fixed(b) && a != b,
    }
}

/// Whether a pattern matches one value only: no `*`, and no template but `{{fresh.NAME}}`
/// (a value fixed for the run).
fn fixed(pattern: &str) -> bool {
    !pattern.contains('*')
        && pattern
            .split("{{")
            .skip(1)
            .all(|template| template.starts_with("fresh."))
}

/// Whether two paths reach the same stub (they match with one trailing slash either way).
fn same_path(a: &str, b: &str) -> bool {
    a.strip_suffix('/').unwrap_or(a) == b.strip_suffix('/').unwrap_or(b)
}

fn conditions_value(conditions: Vec<(String, Condition)>) -> Value {
    Value::Object(
        conditions
            .into_iter()
            .map(|(name, condition)| (name, condition.map_or(Value::Null, Value::String)))
            .collect(),
    )
}

fn answer_value(answer: &Answer) -> Value {
    let mut then = Map::new();
    then.insert("status".into(), Value::from(answer.status));
    if !answer.headers.is_empty() {
        let headers = answer
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.clone())))
            .collect();
        then.insert("headers".into(), Value::Object(headers));
    }
    match &answer.body {
        Some(Body::Json(value)) => {
            then.insert("body".into(), value.clone());
        }
        Some(Body::Text(text)) => {
            then.insert("body".into(), Value::String(text.clone()));
        }
        None => {}
    }
    Value::Object(then)
}

/// The scenario name for an output file: its stem in kebab-case (`recording` when nothing of
/// it is left).
pub(crate) fn scenario_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let words: Vec<&str> = stem
        .split(|c: char| !c.is_ascii_lowercase() && !c.is_ascii_digit())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        "recording".to_owned()
    } else {
        words.join("-")
    }
}

/// Replaces `path` with `text` atomically (see [`crate::report::replace_file`]).
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    crate::report::replace_file(path, |file| file.write_all(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, Source};
    use bytes::Bytes;

    fn when(path: &str, query: &[(&str, &str)]) -> When {
        When {
            method: "GET".to_owned(),
            path: path.to_owned(),
            query: query
                .iter()
                .map(|(name, value)| ((*name).to_owned(), Some((*value).to_owned())))
                .collect(),
            headers: Vec::new(),
            form: Vec::new(),
            loose: false,
        }
    }

    fn answer(status: u16, body: Option<Body>) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
        }
    }

    fn yaml(recording: &Recording) -> Value {
        let text = recording.to_yaml().unwrap();
        yaml_serde::from_str(&text).unwrap()
    }

    #[test]
    fn repeated_requests_with_different_answers_become_a_sequence() {
        let mut recording = Recording::new("r".into(), "http://up".into());
        let ok = answer(200, Some(Body::Json(json!({"a": 1}))));
        recording.add(when("/a", &[]), ok.clone());
        recording.add(when("/a", &[]), answer(401, None));
        recording.add(when("/a", &[]), ok.clone());
        recording.add(when("/b", &[]), ok.clone());
        recording.add(when("/b", &[]), ok);
        assert_eq!(recording.exchanges(), 5);
        let document = yaml(&recording);
        let stubs = document["stubs"].as_array().unwrap();
        assert_eq!(stubs.len(), 2);
        let steps: Vec<&Value> = stubs[0]["then"]["sequence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| &step["status"])
            .collect();
        assert_eq!(steps, [&json!(200), &json!(401), &json!(200)]);
        assert!(stubs[0]["then"]["sequence"][1].get("body").is_none());
        // The same answer every time: one `then`, no sequence.
        assert_eq!(stubs[1]["then"]["status"], 200);
        assert_eq!(stubs[1]["then"]["body"], json!({"a": 1}));
        assert!(stubs[1]["then"].get("sequence").is_none());
        assert_eq!(document["version"], 1);
        assert_eq!(document["name"], "r");
    }

    #[test]
    fn parameters_of_sibling_stubs_are_required_absent() {
        let mut recording = Recording::new("r".into(), "http://up".into());
        recording.add(when("/eob/", &[]), answer(200, None));
        recording.add(when("/eob", &[("startIndex", "10")]), answer(200, None));
        recording.add(when("/other", &[("x", "1")]), answer(200, None));
        // Told apart by `type` already: no `null` needed either way.
        recording.add(when("/c", &[("type", "a")]), answer(200, None));
        recording.add(when("/c", &[("type", "b"), ("y", "1")]), answer(200, None));
        let document = yaml(&recording);
        assert_eq!(document["stubs"][3]["when"]["query"], json!({"type": "a"}));
        assert_eq!(
            document["stubs"][4]["when"]["query"],
            json!({"type": "b", "y": "1"})
        );
        assert_eq!(
            document["stubs"][0]["when"]["query"],
            json!({"startIndex": null})
        );
        assert_eq!(
            document["stubs"][1]["when"]["query"],
            json!({"startIndex": "10"})
        );
        assert_eq!(document["stubs"][2]["when"]["query"], json!({"x": "1"}));
    }

    #[test]
    fn loose_stubs_come_last() {
        let mut recording = Recording::new("r".into(), "http://up".into());
        let mut loose = when("/p", &[]);
        loose.headers = vec![("Authorization".into(), Some("Bearer *".into()))];
        loose.loose = true;
        recording.add(loose, answer(401, None));
        let mut pinned = when("/p", &[]);
        pinned.headers = vec![(
            "Authorization".into(),
            Some("Bearer {{fresh.token-1}}".into()),
        )];
        recording.add(pinned, answer(200, None));
        let document = yaml(&recording);
        assert_eq!(
            document["stubs"][0]["when"]["headers"]["Authorization"],
            "Bearer {{fresh.token-1}}"
        );
        assert_eq!(document["stubs"][1]["then"]["status"], 401);
    }

    /// Bodies of every awkward kind come back from the file, through this crate's scenario
    /// parser, as the same JSON or text.
    #[test]
    fn bodies_survive_the_scenario_parser() {
        let awkward = json!({
            "id": "-20140000008325",
            "numbers": [0, -1, 1.5, 1e300, 18446744073709551615u64, -9223372036854775808i64],
            "strings": ["true", "yes", "no", "null", "~", "", " padded ", "0x1F", "0o17", "+3",
                        "1.5", ".inf", "{{fresh.token-1}}", "*", "a: b", "- x", "#c", "'q'", "\"d\"",
                        "line\nbreak\n", "trailing\n\n", "tab\there", "é ✓", "@at", "`tick`"],
            "flags": [true, false, null],
            "nested": {"true": 1, "": {"k": []}, "list": [{}]},
        });
        let text = "<html>\n  <p>multi-line</p>\n</html>\n";
        let mut recording = Recording::new("awkward-bodies".into(), "http://up".into());
        recording.add(
            when("/json", &[]),
            answer(200, Some(Body::Json(awkward.clone()))),
        );
        recording.add(
            when("/text", &[]),
            answer(200, Some(Body::Text(text.into()))),
        );
        recording.add(when("/none", &[]), answer(204, None));
        let yaml = recording.to_yaml().unwrap();
        let parsed = scenario::parse(&yaml, Source::Builtin("test"))
            .unwrap_or_else(|errors| panic!("{errors:?}\n{yaml}"));
        assert_eq!(parsed.name, "awkward-bodies");
        assert_eq!(parsed.stubs.len(), 3);
        let body: Value =
            serde_json::from_slice(parsed.stubs[0].then.body.as_ref().unwrap()).unwrap();
        assert_eq!(body, awkward);
        assert_eq!(parsed.stubs[1].then.body, Some(Bytes::from(text)));
        assert_eq!(parsed.stubs[2].then.body, None);
        assert_eq!(parsed.stubs[2].then.status.map(|s| s.as_u16()), Some(204));
        assert_eq!(
            parsed.stubs[0].then.headers[0].1.to_str().unwrap(),
            "application/json"
        );
    }

    #[test]
    fn names_come_from_the_file_stem() {
        assert_eq!(scenario_name(Path::new("out/journey.yaml")), "journey");
        assert_eq!(
            scenario_name(Path::new("My Recording_2.yml")),
            "my-recording-2"
        );
        assert_eq!(scenario_name(Path::new("--.yaml")), "recording");
    }

    #[test]
    fn the_file_is_replaced_whole() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("r.yaml");
        write_atomic(&path, "first").unwrap();
        write_atomic(&path, "second").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "second");
        let left: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }
}

//! The `expect` section of a scenario file: what a conformance run of it expects (checks and
//! their outcome, a JSON Schema for the client's output, snapshots).

use crate::scenario::folder;
use crate::scenario::model::{Expect, ExpectedCheck, ExpectedOutcome, Source};
use crate::scenario::parse::is_kebab_case;
use crate::scenario::reader::{Reader, at_key_when_empty, join, then};
use crate::scenario::yaml::position;
use marked_yaml::Node;

const EXPECT_KEYS: &[&str] = &["checks", "output_schema", "snapshot"];

/// The `expect` mapping; `source` resolves `output_schema` against the file's folder.
pub fn expect(r: &mut Reader, node: &Node, key: &str, source: &Source) -> Option<Expect> {
    let map = r.mapping(node, key, EXPECT_KEYS)?;
    let checks = r.optional(map, key, "checks", checks);
    let output_schema = r.optional(map, key, "output_schema", |r, node, key| {
        folder::path_inside(r, node, key, source, "schema")
    });
    let snapshot = r.optional(map, key, "snapshot", Reader::boolean);
    Some(Expect {
        checks: checks.or(Vec::new())?,
        output_schema: output_schema.map(Some).or(None)?,
        snapshot: snapshot.or(false)?,
    })
}

/// `check-id: pass|fail` entries, in file order, each with the position of its id.
fn checks(r: &mut Reader, node: &Node, key: &str) -> Option<Vec<ExpectedCheck>> {
    let map = r.any_mapping(node, key)?;
    let mut checks = Some(Vec::with_capacity(map.len()));
    for (id, value) in map.iter() {
        let path = join(key, id.as_str());
        let id_ok = is_kebab_case(id.as_str());
        if !id_ok {
            let message = format!(
                "expected a kebab-case check id such as `pkce-s256`, found `{}`",
                id.as_str()
            );
            r.error(id.span(), &path, message);
        }
        let value = at_key_when_empty(id.span(), value);
        let outcome = then(Reader::string, outcome)(r, &value, &path);
        let (line, column) = position(id.span());
        match (outcome, checks.as_mut()) {
            (Some(outcome), Some(checks)) if id_ok => checks.push(ExpectedCheck {
                id: id.as_str().to_owned(),
                outcome,
                line,
                column,
            }),
            _ => checks = None,
        }
    }
    checks
}

fn outcome(name: String) -> Result<ExpectedOutcome, String> {
    match name.as_str() {
        "pass" => Ok(ExpectedOutcome::Pass),
        "fail" => Ok(ExpectedOutcome::Fail),
        _ => Err(format!("expected `pass` or `fail`, found `{name}`")),
    }
}

//! What the client produced: the JSON object it wrote to `BB_OUTPUT`, else the JSON object it
//! printed on stdout (all of stdout, or its last non-empty line).

use crate::conform::evidence::ClientOutput;
use crate::conform::run::Captured;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Largest `BB_OUTPUT` file read; a larger one is reported as missing output.
pub const MAX_OUTPUT_BYTES: u64 = 16 << 20;

/// Reads the client's output: the `BB_OUTPUT` file wins when it exists (it must hold a JSON
/// object); else stdout, when it is a JSON object as a whole or on its last non-empty line.
pub fn read_output(bb_output: &Path, stdout: &Captured) -> ClientOutput {
    match read_file(bb_output) {
        Ok(Some(text)) => return parse_object(&text, "BB_OUTPUT"),
        Ok(None) => {}
        Err(error) => {
            return ClientOutput::Missing(format!(
                "BB_OUTPUT ({}) cannot be read: {error}",
                bb_output.display()
            ));
        }
    }
    let text = String::from_utf8_lossy(&stdout.bytes);
    if let ClientOutput::Json(value) = parse_object(&text, "stdout") {
        return ClientOutput::Json(value);
    }
    let last_line = text.lines().rev().find(|line| !line.trim().is_empty());
    if let Some(ClientOutput::Json(value)) = last_line.map(|line| parse_object(line, "stdout")) {
        return ClientOutput::Json(value);
    }
    ClientOutput::Missing("BB_OUTPUT was not written and stdout is not a JSON object".to_owned())
}

/// The file's text; `None` when it does not exist.
fn read_file(path: &Path) -> std::io::Result<Option<String>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut bytes = Vec::new();
    file.take(MAX_OUTPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_OUTPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_OUTPUT_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))
}

fn parse_object(text: &str, what: &str) -> ClientOutput {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => ClientOutput::Json(value),
        Ok(other) => ClientOutput::Missing(format!(
            "{what} is JSON but not an object (it is {})",
            kind(&other)
        )),
        Err(error) => ClientOutput::Missing(format!("{what} is not valid JSON: {error}")),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stdout(text: &str) -> Captured {
        Captured {
            bytes: text.as_bytes().to_vec(),
            total: text.len() as u64,
        }
    }

    fn missing_file() -> std::path::PathBuf {
        std::env::temp_dir().join("bbh-output-test-that-does-not-exist.json")
    }

    #[test]
    fn the_file_wins_over_stdout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, r#"{"patient_id": "p"}"#).unwrap();
        let output = read_output(&path, &stdout(r#"{"patient_id": "other"}"#));
        assert_eq!(output, ClientOutput::Json(json!({"patient_id": "p"})));
    }

    #[test]
    fn a_bad_file_is_missing_output_with_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "{\n  \"a\": ,\n}").unwrap();
        let ClientOutput::Missing(reason) = read_output(&path, &stdout(r#"{"a": 1}"#)) else {
            panic!("a broken BB_OUTPUT must not fall back to stdout");
        };
        assert!(
            reason.starts_with("BB_OUTPUT is not valid JSON"),
            "{reason}"
        );
        assert!(reason.contains("line 2 column"), "{reason}");
        std::fs::write(&path, "[1]").unwrap();
        assert_eq!(
            read_output(&path, &stdout("")),
            ClientOutput::Missing("BB_OUTPUT is JSON but not an object (it is an array)".into())
        );
    }

    #[test]
    fn stdout_as_a_whole_or_its_last_line() {
        let whole = read_output(&missing_file(), &stdout("{\n  \"eob_ids\": []\n}\n"));
        assert_eq!(whole, ClientOutput::Json(json!({"eob_ids": []})));
        let last = read_output(
            &missing_file(),
            &stdout("fetching...\ndone\n{\"patient_id\": null}\n\n"),
        );
        assert_eq!(last, ClientOutput::Json(json!({"patient_id": null})));
    }

    #[test]
    fn nothing_usable_is_missing() {
        assert_eq!(
            read_output(&missing_file(), &stdout("hello\n[1, 2]\n")),
            ClientOutput::Missing(
                "BB_OUTPUT was not written and stdout is not a JSON object".into()
            )
        );
    }
}

//! Scenario files: parsing with positions, validation of every key, built-in defaults and the
//! scenarios embedded in the binary.

mod apps;
mod beneficiaries;
mod builtin;
pub mod defaults;
mod error;
mod expect;
mod faults;
mod folder;
pub mod model;
mod parse;
mod reader;
mod states;
mod stub_when;
mod stubs;
pub mod template;
mod yaml;

pub use apps::runner_app_problem;
pub use error::{LoadError, ScenarioError};
pub use model::*;
pub use parse::parse;

/// The rules a stub's keys follow, one plain function each, shared by the parser of scenario
/// files and the Rust API (`api::mock`), which checks a mock as a file's stub is.
pub(crate) mod rules {
    pub(crate) use super::faults::{chunks, fraction, median, sigma, within_longest};
    pub(crate) use super::states::{Unknown, reference as state_reference};
    pub(crate) use super::stub_when::{
        count, header_name as condition_header_name, header_value as header_pattern, method, path,
        pattern_name, value_pattern,
    };
    pub(crate) use super::stubs::{
        NESTED_SEQUENCE, Part, Parts, assemble, body_templates, header_name, header_value,
        json_pointer, json_templates, set_and_removed, status,
    };
}

use std::io::Read;
use std::path::Path;

/// The scenario `bbh serve` runs without `--scenario`.
pub const DEFAULT_SCENARIO: &str = "oauth-success";

/// The largest scenario file, or `body_file`, read (16 MiB): far beyond any written by hand,
/// and a bound on what a wrong file (a log, a dump) costs before it is refused.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes of the file at `path`, or `None` when it holds more than [`MAX_FILE_BYTES`]:
/// one byte past the bound is enough to know, so a large file is never read whole.
pub(crate) fn read_bounded(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes))
}

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let cannot = |source| LoadError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = read_bounded(path).map_err(cannot)?;
    let source = Source::File(path.to_owned());
    let whole_file = |line, column, message: String| {
        LoadError::Invalid(vec![ScenarioError {
            origin: source.to_string(),
            line,
            column,
            key: String::new(),
            message,
        }])
    };
    let Some(bytes) = bytes else {
        let message = format!(
            "the file is larger than {} MiB, the most a scenario file may be",
            MAX_FILE_BYTES / (1024 * 1024)
        );
        return Err(whole_file(1, 1, message));
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.as_bytes();
            let valid = error.utf8_error().valid_up_to();
            let before = bytes.get(..valid).unwrap_or_default();
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            // Columns count characters, as the parser's do; what precedes is valid UTF-8.
            let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
                .chars()
                .count()
                + 1;
            let byte = bytes.get(valid).copied().unwrap_or_default();
            let message = format!("invalid UTF-8 (byte 0x{byte:02X}); expected UTF-8 text");
            return Err(whole_file(line, column, message));
        }
    };
    parse(&text, source).map_err(LoadError::Invalid)
}

/// The names of the built-in scenarios, the default first.
pub fn builtin_names() -> &'static [&'static str] {
    builtin::names()
}

/// The file text of a built-in scenario.
pub fn builtin_text(name: &str) -> Option<&'static str> {
    builtin::text(name).map(|(_, text)| text)
}

/// A built-in scenario, parsed.
pub fn builtin(name: &str) -> Result<Scenario, LoadError> {
    let Some((name, text)) = builtin::text(name) else {
        return Err(LoadError::NotFound {
            name: name.to_owned(),
            builtins: builtin_names().to_vec(),
        });
    };
    parse(text, Source::Builtin(name)).map_err(LoadError::Invalid)
}

/// `--scenario` semantics: an existing file path wins, else a built-in name.
pub fn resolve(arg: &str) -> Result<Scenario, LoadError> {
    let path = Path::new(arg);
    if path.is_file() {
        load_file(path)
    } else {
        builtin(arg)
    }
}

/// Where [`Scenario::from_yaml`] says its errors are (`<built-in inline>:3:5: ...`).
const INLINE: &str = "inline";

impl Scenario {
    /// Reads and validates a scenario file; `body_file` and `expect.output_schema` resolve
    /// against the file's folder.
    ///
    /// ```
    /// use bluebutton_harness::Scenario;
    ///
    /// let scenario = Scenario::from_file("scenarios/rate-limited.yaml")?;
    /// assert_eq!(scenario.name, "rate-limited");
    /// assert!(Scenario::from_file("scenarios/no-such-file.yaml").is_err());
    /// # Ok::<(), bluebutton_harness::scenario::LoadError>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scenario, LoadError> {
        load_file(path.as_ref())
    }

    /// Parses and validates a scenario given as YAML text. It has no folder, so `body_file`
    /// and `expect.output_schema` are errors; errors read `<built-in inline>:LINE:COLUMN: key:
    /// message`, every error of the text at once.
    ///
    /// ```
    /// use bluebutton_harness::Scenario;
    ///
    /// let scenario = Scenario::from_yaml("version: 1\nname: my-test\nseed: 7\n")?;
    /// assert_eq!((scenario.name.as_str(), scenario.seed), ("my-test", 7));
    ///
    /// let error = Scenario::from_yaml("version: 1\nname: x\nsede: 7\n").unwrap_err();
    /// assert!(error.to_string().starts_with("<built-in inline>:3:1: sede: "), "{error}");
    /// # Ok::<(), bluebutton_harness::scenario::LoadError>(())
    /// ```
    pub fn from_yaml(text: &str) -> Result<Scenario, LoadError> {
        parse(text, Source::Builtin(INLINE)).map_err(LoadError::Invalid)
    }

    /// A scenario embedded in the binary, by name (the files of `scenarios/`; see
    /// [`builtin_names`]).
    ///
    /// ```
    /// use bluebutton_harness::Scenario;
    ///
    /// let scenario = Scenario::builtin("upstream-outage")?;
    /// assert_eq!(scenario.stubs.len(), 2);
    /// let unknown = Scenario::builtin("no-such-scenario").unwrap_err().to_string();
    /// assert!(unknown.contains("oauth-success"), "{unknown}");
    /// # Ok::<(), bluebutton_harness::scenario::LoadError>(())
    /// ```
    pub fn builtin(name: &str) -> Result<Scenario, LoadError> {
        builtin(name)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_answers;

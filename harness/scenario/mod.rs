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
mod stubs;
mod yaml;

pub use apps::runner_app_problem;
pub use error::{LoadError, ScenarioError};
pub use model::*;
pub use parse::parse;

use std::path::Path;

/// The scenario `bbh serve` runs without `--scenario`.
pub const DEFAULT_SCENARIO: &str = "oauth-success";

/// Reads and validates a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, Source::File(path.to_owned())).map_err(LoadError::Invalid)
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

#[cfg(test)]
mod tests;

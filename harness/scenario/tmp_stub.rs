#![allow(missing_docs, clippy::todo, dead_code)]
use super::*;
use std::path::{Path, PathBuf};
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("io {path:?}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("invalid")]
    Invalid(Vec<ScenarioError>),
    #[error("nf")]
    NotFound { name: String, builtins: Vec<&'static str> },
}
#[derive(Debug)]
pub struct ScenarioError { pub origin: String, pub line: usize, pub column: usize, pub key: String, pub message: String }
impl std::fmt::Display for ScenarioError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{}", self.message) } }
pub const DEFAULT_SCENARIO: &str = "oauth-success";
pub fn load_file(_p: &Path) -> Result<Scenario, LoadError> { todo!() }
pub fn resolve(_a: &str) -> Result<Scenario, LoadError> { todo!() }
pub fn builtin(_a: &str) -> Result<Scenario, LoadError> { todo!() }
pub fn builtin_text(_a: &str) -> Option<&'static str> { todo!() }
pub fn builtin_names() -> &'static [&'static str] { &[] }
pub mod defaults {
    use super::super::*;
    pub const SUPPORTED_SCOPES: &[&str] = &["openid"];
    pub fn apps() -> Vec<App> { todo!() }
}
pub fn parse(_t: &str, _s: Source) -> Result<Scenario, Vec<ScenarioError>> { todo!() }

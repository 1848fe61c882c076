//! Files a scenario names (`expect.output_schema`, `stubs[].then.body_file`): paths relative
//! to the scenario file's folder that must stay inside it, `..` and absolute paths refused.

use crate::scenario::model::Source;
use crate::scenario::reader::Reader;
use crate::scenario::{MAX_FILE_BYTES, read_bounded};
use marked_yaml::Node;
use std::path::{Component, Path, PathBuf};

/// The path `node` names, resolved against the scenario file's folder; `what` names the file
/// in messages (`schema`, `body`). Built-in scenarios have no folder.
pub fn path_inside(
    r: &mut Reader,
    node: &Node,
    key: &str,
    source: &Source,
    what: &str,
) -> Option<PathBuf> {
    let text = r.string(node, key)?;
    let problem = match source {
        Source::Builtin(_) => Some(format!(
            "a built-in scenario has no folder to resolve `{}` in; use a scenario file",
            key.rsplit('.').next().unwrap_or(key)
        )),
        Source::File(_) => relative_path_problem(&text, what),
    };
    if let Some(problem) = problem {
        r.error(node.span(), key, problem);
        return None;
    }
    match source {
        Source::File(file) => Some(file.parent().unwrap_or(Path::new("")).join(text)),
        Source::Builtin(_) => None,
    }
}

/// Why `text` is not a path inside the scenario file's folder.
fn relative_path_problem(text: &str, what: &str) -> Option<String> {
    let path = Path::new(text);
    if text.is_empty() {
        return Some("expected a path relative to the scenario file's folder".to_owned());
    }
    if path.is_absolute() || path.has_root() {
        return Some(format!(
            "expected a path relative to the scenario file's folder, found the absolute path `{text}`"
        ));
    }
    let escapes = path
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    escapes.then(|| {
        format!("`{text}` leaves the scenario file's folder (`..`); the {what} must be inside it")
    })
}

/// The bytes of `path`, a file inside the scenario file's folder (`source`), refusing one
/// that a symbolic link takes outside the folder.
pub fn read_inside(source: &Source, path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let Source::File(file) = source else {
        return Err(format!(
            "cannot read `{shown}`: a built-in scenario has no folder"
        ));
    };
    let folder = match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let cannot = |error: std::io::Error| format!("cannot read `{shown}`: {error}");
    let real_folder = folder.canonicalize().map_err(cannot)?;
    let real = path.canonicalize().map_err(cannot)?;
    if !real.starts_with(&real_folder) {
        return Err(format!(
            "`{shown}` resolves outside the scenario file's folder (a symbolic link)"
        ));
    }
    read_bounded(&real).map_err(cannot)?.ok_or_else(|| {
        format!(
            "`{shown}` is larger than {} MiB, the most a file a scenario names may be",
            MAX_FILE_BYTES / (1024 * 1024)
        )
    })
}

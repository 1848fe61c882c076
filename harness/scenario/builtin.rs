//! The scenarios shipped in `scenarios/`, embedded so a bare binary works in any CI.

/// Name and text of every built-in scenario; the default comes first.
const BUILTINS: [(&str, &str); 5] = [
    (
        "oauth-success",
        include_str!("../../scenarios/oauth-success.yaml"),
    ),
    (
        "denied-demographics",
        include_str!("../../scenarios/denied-demographics.yaml"),
    ),
    (
        "invalid-claim-type",
        include_str!("../../scenarios/invalid-claim-type.yaml"),
    ),
    (
        "small-response-no-gzip",
        include_str!("../../scenarios/small-response-no-gzip.yaml"),
    ),
    (
        "pagination",
        include_str!("../../scenarios/pagination.yaml"),
    ),
];

const NAMES: [&str; 5] = [
    BUILTINS[0].0,
    BUILTINS[1].0,
    BUILTINS[2].0,
    BUILTINS[3].0,
    BUILTINS[4].0,
];

/// The names of the built-in scenarios, the default first.
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// The text of the built-in scenario `name`.
pub fn text(name: &str) -> Option<(&'static str, &'static str)> {
    BUILTINS.iter().find(|(n, _)| *n == name).copied()
}

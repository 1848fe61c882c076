//! The scenarios shipped in `scenarios/`, embedded so a bare binary works in any CI.

/// Name and text of every built-in scenario; the default comes first.
const BUILTINS: [(&str, &str); 13] = [
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
    (
        "access-denied",
        include_str!("../../scenarios/access-denied.yaml"),
    ),
    (
        "public-app",
        include_str!("../../scenarios/public-app.yaml"),
    ),
    (
        "tampered-state",
        include_str!("../../scenarios/tampered-state.yaml"),
    ),
    (
        "replay-callback",
        include_str!("../../scenarios/replay-callback.yaml"),
    ),
    (
        "token-expiry",
        include_str!("../../scenarios/token-expiry.yaml"),
    ),
    (
        "refresh-failure",
        include_str!("../../scenarios/refresh-failure.yaml"),
    ),
    (
        "rate-limited",
        include_str!("../../scenarios/rate-limited.yaml"),
    ),
    (
        "upstream-outage",
        include_str!("../../scenarios/upstream-outage.yaml"),
    ),
];

const NAMES: [&str; 13] = [
    BUILTINS[0].0,
    BUILTINS[1].0,
    BUILTINS[2].0,
    BUILTINS[3].0,
    BUILTINS[4].0,
    BUILTINS[5].0,
    BUILTINS[6].0,
    BUILTINS[7].0,
    BUILTINS[8].0,
    BUILTINS[9].0,
    BUILTINS[10].0,
    BUILTINS[11].0,
    BUILTINS[12].0,
];

/// The names of the built-in scenarios, the default first.
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// The text of the built-in scenario `name`.
pub fn text(name: &str) -> Option<(&'static str, &'static str)> {
    BUILTINS.iter().find(|(n, _)| *n == name).copied()
}

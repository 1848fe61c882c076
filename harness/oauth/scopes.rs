//! Scopes: what an authorization grants (DESIGN profile table, behaviour file §2.3) and what
//! each scope lets a token do.

use crate::scenario::defaults::SUPPORTED_SCOPES;
use crate::scenario::{App, Profile};

/// The granted scope when the request names none (`documented`: the guide's four).
const DEFAULT_REQUEST: [&str; 4] = [
    "profile",
    "patient/Patient.read",
    "patient/ExplanationOfBenefit.read",
    "patient/Coverage.read",
];

/// A protected resource a token can be used on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `/fhir/Patient`.
    Patient,
    /// `/fhir/Coverage`.
    Coverage,
    /// `/fhir/ExplanationOfBenefit`.
    ExplanationOfBenefit,
    /// `/connect/userinfo`.
    UserInfo,
}

impl Resource {
    /// The FHIR resource type name (`Patient`), or `userinfo`.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Patient => "Patient",
            Resource::Coverage => "Coverage",
            Resource::ExplanationOfBenefit => "ExplanationOfBenefit",
            Resource::UserInfo => "userinfo",
        }
    }
}

/// Read one resource by id, or search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    /// `GET /fhir/X/<id>`.
    Read,
    /// `GET /fhir/X`.
    Search,
}

/// Why no scope could be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A requested scope is not one BB2 supports (400 `Invalid scopes.`).
    Invalid,
    /// Nothing is left to grant (`error=access_denied`).
    NothingGranted,
}

/// Whether a scope protects demographic data (removed when the beneficiary declines).
fn is_demographic(scope: &str) -> bool {
    scope == "profile" || scope.starts_with("patient/Patient.")
}

/// The resources in the order BB2's scope strings list them (behaviour file §2.7).
const RESOURCE_ORDER: [&str; 3] = ["Patient", "ExplanationOfBenefit", "Coverage"];

/// The scopes an authorization grants.
///
/// `documented`: in request order, what was asked (or the guide's default four), among the
/// app's scopes, minus demographics when they are not shared.
///
/// `current` (behaviour file §2.3): what was asked (or the app's whole scope set),
/// condensed (`.r` + `.s` → `.rs`; `.r`/`.s` dropped beside `.rs`), minus demographics when
/// not shared, among the app's scopes; listed resource by resource (Patient,
/// ExplanationOfBenefit, Coverage), then `launch/patient`, `openid`, `profile`.
pub fn granted(
    requested: Option<&str>,
    app: &App,
    shares_demographics: bool,
    profile: Profile,
) -> Result<Vec<String>, Refusal> {
    let asked: Vec<&str> = match requested.map(str::trim).filter(|r| !r.is_empty()) {
        Some(words) => words.split_whitespace().collect(),
        None if profile == Profile::Current => app.scopes.iter().map(String::as_str).collect(),
        None => DEFAULT_REQUEST.to_vec(),
    };
    if asked.iter().any(|scope| !SUPPORTED_SCOPES.contains(scope)) {
        return Err(Refusal::Invalid);
    }
    if profile == Profile::Current {
        return granted_current(&asked, app, shares_demographics);
    }
    let keep_demographics = shares_demographics && app.require_demographic_scopes;
    let mut granted: Vec<String> = Vec::new();
    for scope in asked {
        let allowed =
            app.scopes.iter().any(|s| s == scope) && (keep_demographics || !is_demographic(scope));
        if allowed && !granted.iter().any(|g| g == scope) {
            granted.push(scope.to_owned());
        }
    }
    if granted.is_empty() {
        return Err(Refusal::NothingGranted);
    }
    Ok(granted)
}

/// The `current` profile's grant (see [`granted`]).
fn granted_current(
    asked: &[&str],
    app: &App,
    shares_demographics: bool,
) -> Result<Vec<String>, Refusal> {
    let keep_demographics = shares_demographics && app.require_demographic_scopes;
    let app_has = |scope: &str| app.scopes.iter().any(|s| s == scope);
    let mut granted: Vec<String> = Vec::new();
    for resource in RESOURCE_ORDER {
        if resource == "Patient" && !keep_demographics {
            continue;
        }
        let form = |suffix: &str| format!("patient/{resource}.{suffix}");
        let asked_for = |suffix: &str| asked.contains(&form(suffix).as_str());
        if asked_for("read") && app_has(&form("read")) {
            granted.push(form("read"));
        }
        let read = asked_for("r") && app_has(&form("r"));
        let search = asked_for("s") && app_has(&form("s"));
        let both = asked_for("rs") && app_has(&form("rs"));
        if both || (read && search) {
            granted.push(form("rs"));
        } else if read {
            granted.push(form("r"));
        } else if search {
            granted.push(form("s"));
        }
    }
    for scope in ["launch/patient", "openid", "profile"] {
        let demographic = is_demographic(scope) && !keep_demographics;
        if asked.contains(&scope) && app_has(scope) && !demographic {
            granted.push(scope.to_owned());
        }
    }
    if granted.is_empty() {
        return Err(Refusal::NothingGranted);
    }
    Ok(granted)
}

/// Whether a token with `scope` (space-separated) may perform `interaction` on `resource`.
///
/// Reads need `.read`, `.r` or `.rs`; searches need `.read`, `.rs` or `.s` (so a `.r`-only
/// token gets 403 on search: `HasSearchScope`); userinfo needs `profile`.
pub fn permits(scope: &str, resource: Resource, interaction: Interaction) -> bool {
    if resource == Resource::UserInfo {
        return scope.split_whitespace().any(|s| s == "profile");
    }
    let suffixes: &[&str] = match interaction {
        Interaction::Read => &["read", "r", "rs"],
        Interaction::Search => &["read", "rs", "s"],
    };
    // `patient/<Resource>.<suffix>`, taken apart rather than formatted for each request.
    scope.split_whitespace().any(|s| {
        s.strip_prefix("patient/")
            .and_then(|rest| rest.strip_prefix(resource.name()))
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|suffix| suffixes.contains(&suffix))
    })
}

/// Whether `narrower` only asks for what `original` granted (refresh with `scope`): each
/// scope is in `original`, or is `.r`/`.s` of an original `.rs`.
pub fn within(narrower: &str, original: &str) -> bool {
    let original: Vec<&str> = original.split_whitespace().collect();
    narrower.split_whitespace().all(|scope| {
        original.contains(&scope)
            || ["r", "s"].iter().any(|part| {
                scope
                    .strip_suffix(&format!(".{part}"))
                    .is_some_and(|base| original.contains(&format!("{base}.rs").as_str()))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::defaults;

    fn app() -> App {
        defaults::apps().remove(0)
    }

    #[test]
    fn nothing_asked_gives_the_guides_four() {
        assert_eq!(
            granted(None, &app(), true, Profile::Documented),
            Ok(DEFAULT_REQUEST.map(String::from).to_vec())
        );
        assert_eq!(
            granted(Some("  "), &app(), true, Profile::Documented),
            Ok(DEFAULT_REQUEST.map(String::from).to_vec())
        );
    }

    #[test]
    fn what_was_asked_in_order() {
        let got = granted(
            Some("patient/Coverage.rs openid patient/Coverage.rs"),
            &app(),
            true,
            Profile::Documented,
        );
        assert_eq!(
            got,
            Ok(vec!["patient/Coverage.rs".to_owned(), "openid".to_owned()])
        );
    }

    #[test]
    fn declined_demographics_remove_patient_and_profile() {
        let got = granted(None, &app(), false, Profile::Documented);
        assert_eq!(
            got,
            Ok(vec![
                "patient/ExplanationOfBenefit.read".to_owned(),
                "patient/Coverage.read".to_owned()
            ])
        );
        assert_eq!(
            granted(
                Some("profile patient/Patient.rs"),
                &app(),
                false,
                Profile::Documented
            ),
            Err(Refusal::NothingGranted)
        );
    }

    #[test]
    fn unsupported_scopes_are_invalid_and_app_scopes_limit() {
        assert_eq!(
            granted(Some("profile foo"), &app(), true, Profile::Documented),
            Err(Refusal::Invalid)
        );
        assert_eq!(
            granted(
                Some("patient/AuditEvent.rs"),
                &app(),
                true,
                Profile::Documented
            ),
            Err(Refusal::Invalid)
        );
        let mut limited = app();
        limited.scopes = vec!["patient/Coverage.read".to_owned()];
        assert_eq!(
            granted(None, &limited, true, Profile::Documented),
            Ok(vec!["patient/Coverage.read".to_owned()])
        );
    }

    #[test]
    fn scope_permissions() {
        assert!(permits(
            "patient/Patient.read",
            Resource::Patient,
            Interaction::Search
        ));
        assert!(permits(
            "patient/Patient.r",
            Resource::Patient,
            Interaction::Read
        ));
        assert!(!permits(
            "patient/Patient.r",
            Resource::Patient,
            Interaction::Search
        ));
        assert!(permits(
            "patient/Patient.s",
            Resource::Patient,
            Interaction::Search
        ));
        assert!(!permits(
            "patient/Patient.s",
            Resource::Patient,
            Interaction::Read
        ));
        assert!(!permits(
            "patient/Coverage.rs",
            Resource::Patient,
            Interaction::Read
        ));
        assert!(permits(
            "openid profile",
            Resource::UserInfo,
            Interaction::Read
        ));
        assert!(!permits(
            "patient/Patient.read",
            Resource::UserInfo,
            Interaction::Read
        ));
    }

    #[test]
    fn narrowing() {
        assert!(within("patient/Patient.r", "patient/Patient.rs profile"));
        assert!(within("profile", "patient/Patient.rs profile"));
        assert!(!within(
            "patient/Coverage.read",
            "patient/Patient.rs profile"
        ));
    }

    #[test]
    fn current_condenses_and_orders() {
        let all = "openid profile launch/patient patient/Patient.r patient/Patient.s \
                   patient/Coverage.rs patient/Coverage.r patient/ExplanationOfBenefit.rs";
        let got = granted(Some(all), &app(), true, Profile::Current).map(|g| g.join(" "));
        assert_eq!(
            got.as_deref(),
            Ok(
                "patient/Patient.rs patient/ExplanationOfBenefit.rs patient/Coverage.rs \
                 launch/patient openid profile"
            )
        );
        let declined = granted(Some(all), &app(), false, Profile::Current).map(|g| g.join(" "));
        assert_eq!(
            declined.as_deref(),
            Ok("patient/ExplanationOfBenefit.rs patient/Coverage.rs launch/patient openid")
        );
        let nothing_asked = granted(None, &app(), true, Profile::Current).map(|g| g.join(" "));
        assert_eq!(
            nothing_asked.as_deref(),
            Ok(
                "patient/Patient.read patient/Patient.rs patient/ExplanationOfBenefit.read \
                 patient/ExplanationOfBenefit.rs patient/Coverage.read patient/Coverage.rs \
                 launch/patient openid profile"
            )
        );
        assert_eq!(
            granted(Some("profile"), &app(), false, Profile::Current),
            Err(Refusal::NothingGranted)
        );
    }
}

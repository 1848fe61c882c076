//! What an app's data access type and state do to its grants (behaviour file §2.9, §3.2):
//! when a grant expires, why a refresh or a FHIR call is refused, and the token response's
//! `access_grant_expiration`, with the bodies of each profile (`documented`: before
//! 2025-11; `current`: after).

use crate::exchange::Response;
use crate::oauth::errors;
use crate::oauth::store::{GrantState, Session};
use crate::scenario::{App, DataAccessType, Profile};
use http::StatusCode;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

/// "re-authenticate" advice that ends BB2's grant messages.
const REAUTHENTICATE: &str =
    "To refresh Medicare data, end user must re-authenticate and consent to share their data.";

/// The detail of FHIR answers, and of the refresh refusal (`current`), once a 13-month grant
/// has expired.
pub fn timed_out() -> String {
    format!("User access has timed out. {REAUTHENTICATE}")
}

/// BB2's text for an inactive app.
pub fn inactive_message(app: &App) -> String {
    format!(
        "This application, {}, is temporarily inactive. If you are the app maintainer, please \
         contact the Blue Button API team. If you are a Medicare Beneficiary and need assistance, \
         please contact the support team for the application you are trying to access.",
        app.name
    )
}

/// When a grant made at `now` expires: 13 months later for `THIRTEEN_MONTH` apps, never
/// otherwise (a `ONE_TIME` grant has no expiry: access ends with the access token).
pub fn expires_at(app: &App, now: Timestamp) -> Option<Timestamp> {
    if app.data_access_type != DataAccessType::ThirteenMonth {
        return None;
    }
    let later = now
        .to_zoned_datetime(TimeZone::UTC)
        .checked_add(13.months())
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MAX);
    Some(later)
}

/// Whether a grant in `state` has expired at `now`.
fn has_expired(state: GrantState, now: Timestamp) -> bool {
    matches!(state, GrantState::Present(Some(at)) if now >= at)
}

/// Why BB2 refuses to refresh a token of `session` for `app`, if it does: `ONE_TIME` apps
/// never refresh; a deleted grant is gone; an expired 13-month grant has timed out.
pub fn refresh_refusal(
    profile: Profile,
    app: &App,
    session: &Session,
    now: Timestamp,
) -> Option<Response> {
    let current = profile == Profile::Current;
    if app.data_access_type == DataAccessType::OneTime {
        let status = if current {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        let description = format!(
            "Your application is not allowed to refresh tokens. {REAUTHENTICATE} If your \
             application needs to refresh tokens, contact us at BlueButtonAPI@cms.hhs.gov."
        );
        return Some(errors::bb2(status, "invalid_client", &description));
    }
    let state = session.grant_state();
    if session.is_revoked() || state == GrantState::Missing {
        return Some(if current {
            let description = format!("User access cannot be found. {REAUTHENTICATE}");
            errors::bb2(StatusCode::FORBIDDEN, "invalid_grant", &description)
        } else {
            errors::invalid_grant()
        });
    }
    if has_expired(state, now) {
        return Some(if current {
            errors::bb2(StatusCode::UNAUTHORIZED, "invalid_grant", &timed_out())
        } else {
            let description = format!("User data access grant expired. {REAUTHENTICATE}");
            errors::bb2(StatusCode::BAD_REQUEST, "invalid_grant", &description)
        });
    }
    None
}

/// Why BB2 refuses a FHIR or userinfo call made with a valid token of `session`, if it does:
/// 401 for an inactive app or an expired 13-month grant, 403 when the grant is missing.
pub fn call_refusal(
    app: Option<&App>,
    session: &Session,
    now: Timestamp,
) -> Option<(StatusCode, String)> {
    if let Some(app) = app.filter(|app| !app.active) {
        return Some((StatusCode::UNAUTHORIZED, inactive_message(app)));
    }
    match session.grant_state() {
        GrantState::Missing => Some((
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.".to_owned(),
        )),
        state if has_expired(state, now) => Some((StatusCode::UNAUTHORIZED, timed_out())),
        GrantState::Present(_) => None,
    }
}

/// The token response's `access_grant_expiration` (`current` only): the grant's expiry for
/// `THIRTEEN_MONTH`, the access token's for `ONE_TIME`, `""` for `RESEARCH_STUDY` or no grant;
/// `%Y-%m-%dT%H:%M:%SZ`.
pub fn access_grant_expiration(
    app: &App,
    session: &Session,
    access_expires_at: Timestamp,
) -> String {
    let format = |at: Timestamp| at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    match app.data_access_type {
        DataAccessType::OneTime => format(access_expires_at),
        DataAccessType::ResearchStudy => String::new(),
        DataAccessType::ThirteenMonth => match session.grant_state() {
            GrantState::Present(Some(at)) => format(at),
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::store::TokenStore;
    use crate::scenario::defaults;
    use crate::world::Who;

    #[test]
    fn thirteen_months_on_the_calendar() {
        let mut app = defaults::apps().remove(0);
        let now: Timestamp = "2026-01-31T10:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let later = expires_at(&app, now).map(|t| t.to_string());
        assert_eq!(later.as_deref(), Some("2027-02-28T10:00:00Z"));
        app.data_access_type = DataAccessType::ResearchStudy;
        assert_eq!(expires_at(&app, now), None);
        app.data_access_type = DataAccessType::OneTime;
        assert_eq!(expires_at(&app, now), None);
    }

    #[test]
    fn calls_are_refused_for_inactive_apps_and_missing_or_expired_grants() {
        use crate::scenario::BeneficiarySpec;
        use crate::world::population;
        use std::sync::Arc;
        let spec = BeneficiarySpec {
            username: "BBUser29999".into(),
            password: "PW29999!".into(),
            patient_id: "-20140000008325".into(),
            name: None,
            claims: None,
        };
        let now: Timestamp = "2026-03-01T00:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let mut app = defaults::apps().remove(0);
        let store = TokenStore::new();
        let session = store.open_session(
            &app.client_id,
            Who::built(Arc::new(population::from_spec(&spec, 0))),
            "profile",
            expires_at(&app, now),
        );
        assert_eq!(call_refusal(Some(&app), &session, now), None);
        let later = "2027-04-01T00:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(
            call_refusal(Some(&app), &session, later),
            Some((StatusCode::UNAUTHORIZED, timed_out()))
        );
        app.active = false;
        assert_eq!(
            call_refusal(Some(&app), &session, now),
            Some((StatusCode::UNAUTHORIZED, inactive_message(&app)))
        );
        app.active = true;
        store.delete_grant(&app.client_id, &spec.patient_id);
        assert_eq!(
            call_refusal(Some(&app), &session, now).map(|(status, _)| status),
            Some(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn inactive_text_names_the_app() {
        let app = defaults::apps().remove(0);
        assert!(
            inactive_message(&app).starts_with(
                "This application, bbh confidential web app, is temporarily inactive."
            )
        );
    }
}

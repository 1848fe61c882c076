//! The session a request belongs to before it is answered, from the credentials it carries:
//! its bearer token, else a refresh token or token (revoke, introspect) in its form, else the
//! authorization code it redeems.

use crate::exchange::{Request, SessionId};
use crate::oauth::bearer::bearer_token;
use crate::oauth::store::TokenStore;
use crate::params::Params;
use jiff::Timestamp;

/// The session of `request`: `Authorization: Bearer T` → the session of T; else the form's
/// `refresh_token`, then `token` → its session; else the form's `code` → the session it
/// opens (while it is unused and unexpired at `now`). `None` when it carries none of these
/// or the store does not know them.
pub fn session_of(
    request: &Request,
    form: &Params,
    store: &TokenStore,
    now: Timestamp,
) -> Option<SessionId> {
    if let Some(token) = bearer_token(request) {
        return store.session_of(token).map(|session| session.id);
    }
    for name in ["refresh_token", "token"] {
        if let Some(token) = form.non_empty(name) {
            return store.session_of(token).map(|session| session.id);
        }
    }
    let code = form.non_empty("code")?;
    store.code(code, now).ok().map(|grant| grant.session.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::BeneficiarySpec;
    use crate::world::{Who, population};
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, Method};
    use std::sync::Arc;

    fn request(bearer: Option<&str>) -> Request {
        let mut headers = HeaderMap::new();
        if let Some(token) = bearer {
            let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
            headers.insert(http::header::AUTHORIZATION, value);
        }
        Request {
            method: Method::POST,
            path: "/v2/o/token/".to_owned(),
            query: None,
            headers,
            body: Bytes::new(),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    fn form(body: &str) -> Params {
        Params::from_query(Some(body))
    }

    #[test]
    fn bearer_then_refresh_token_then_token_then_code() {
        let store = TokenStore::new();
        let now = Timestamp::now();
        let later = now + jiff::SignedDuration::from_secs(600);
        let spec = BeneficiarySpec {
            username: "BBUser20023".into(),
            password: "PW20023!".into(),
            patient_id: "-20140000000024".into(),
            name: None,
            claims: None,
        };
        let who = Who::built(Arc::new(population::from_spec(&spec, 0)));
        let first = store.open_session("app", who.clone(), "profile", None);
        let second = store.open_session("app", who, "profile", None);
        let tokens = store
            .issue_tokens(Arc::clone(&first), "profile", later)
            .unwrap();
        let (access, refresh) = (tokens.access_token, tokens.refresh_token);
        let code = store
            .issue_code(Arc::clone(&second), "http://x/cb".into(), None, later)
            .unwrap();

        let none = form("");
        assert_eq!(
            session_of(&request(Some(&access)), &none, &store, now),
            Some(first.id)
        );
        // The bearer token wins over the form.
        let with_code = form(&format!("code={code}"));
        assert_eq!(
            session_of(&request(Some(&access)), &with_code, &store, now),
            Some(first.id)
        );
        assert_eq!(
            session_of(&request(None), &with_code, &store, now),
            Some(second.id)
        );
        assert_eq!(
            session_of(
                &request(None),
                &form(&format!("refresh_token={refresh}&code={code}")),
                &store,
                now
            ),
            Some(first.id)
        );
        assert_eq!(
            session_of(
                &request(None),
                &form(&format!("token={access}")),
                &store,
                now
            ),
            Some(first.id)
        );
        // Unknown credentials, an expired code, or none at all: no session.
        assert_eq!(session_of(&request(Some("nope")), &none, &store, now), None);
        assert_eq!(
            session_of(
                &request(None),
                &form("refresh_token=nope&code=x"),
                &store,
                now
            ),
            None
        );
        assert_eq!(session_of(&request(None), &with_code, &store, later), None);
        assert_eq!(session_of(&request(None), &none, &store, now), None);
    }
}

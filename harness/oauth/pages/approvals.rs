//! Approvals: who logged in on the login page, keyed by the UUID of the consent URL
//! (`/v2/o/authorize/<uuid>/`). An approval lives 600 s on the virtual clock (BB2's
//! `Approval.expired`) and is used once.

use crate::oauth::store::expiry;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long an approval is valid (BB2: 600 s).
pub const APPROVAL_TTL: u64 = 600;

/// A beneficiary who logged in and has not decided yet.
#[derive(Debug, Clone)]
struct Approval {
    username: String,
    expires_at: Timestamp,
}

/// The pending approvals of one server.
#[derive(Debug, Default)]
pub struct Approvals {
    pending: Mutex<HashMap<String, Approval>>,
}

impl Approvals {
    /// Records that `username` logged in at `now`; returns the approval's UUID.
    pub fn open(&self, username: &str, now: Timestamp) -> Result<String, getrandom::Error> {
        let uuid = new_uuid()?;
        let mut pending = self.lock();
        pending.retain(|_, approval| approval.expires_at > now);
        pending.insert(
            uuid.clone(),
            Approval {
                username: username.to_owned(),
                expires_at: expiry(now, APPROVAL_TTL),
            },
        );
        Ok(uuid)
    }

    /// The login of an approval that is still valid at `now`.
    pub fn username(&self, uuid: &str, now: Timestamp) -> Option<String> {
        self.lock()
            .get(uuid)
            .filter(|approval| approval.expires_at > now)
            .map(|approval| approval.username.clone())
    }

    /// Uses up an approval; its login if it was still valid at `now`.
    pub fn take(&self, uuid: &str, now: Timestamp) -> Option<String> {
        self.lock()
            .remove(uuid)
            .filter(|approval| approval.expires_at > now)
            .map(|approval| approval.username)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Approval>> {
        // A panic elsewhere while holding the lock leaves a map that is still consistent.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `text` is a UUID in its hyphenated form (Django's `<uuid:…>` converter).
pub fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => matches!(b, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// A random (version 4) UUID, lower-case and hyphenated.
fn new_uuid() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn uuids_are_version_4_and_recognized() -> Result<(), getrandom::Error> {
        let uuid = new_uuid()?;
        assert!(is_uuid(&uuid), "{uuid}");
        assert_eq!(&uuid[14..15], "4");
        assert!(!is_uuid("not-a-uuid"));
        assert!(!is_uuid(&uuid.to_uppercase()));
        assert_ne!(uuid, new_uuid()?);
        Ok(())
    }

    #[test]
    fn approvals_expire_after_600_seconds_and_are_used_once() -> Result<(), getrandom::Error> {
        let approvals = Approvals::default();
        let now = Timestamp::UNIX_EPOCH;
        let uuid = approvals.open("BBUser29999", now)?;
        let later = now + SignedDuration::from_secs(599);
        assert_eq!(
            approvals.username(&uuid, later).as_deref(),
            Some("BBUser29999")
        );
        let expired = now + SignedDuration::from_secs(600);
        assert_eq!(approvals.username(&uuid, expired), None);
        assert_eq!(approvals.take(&uuid, later).as_deref(), Some("BBUser29999"));
        assert_eq!(approvals.take(&uuid, later), None);
        Ok(())
    }
}

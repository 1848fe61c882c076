//! Issued codes and tokens. Each is found by the SHA-256 digest of its value (hashed by the
//! digest's first eight bytes, then compared in full in constant time), so the store never
//! holds a token in clear and never compares secrets byte by byte with an early exit.
//! Tokens and digests are computed before the store is locked; a bearer check takes only a
//! shared lock (its call count is atomic), so checks never wait for one another.
//!
//! Sessions are one authorization and the chain of tokens refreshed from it. A beneficiary's
//! grant to an app (BB2's `DataAccessGrant`) spans its sessions: it carries the expiry of
//! the app's data access type, renewed by each authorization, and deleting it revokes every
//! token of the app and beneficiary.
//!
//! Everything a grant keeps is compact, since every sandbox login may hold one for the
//! tokens' whole life: the beneficiary is a [`Who`] (a sandbox login is its number), client
//! ids, patient ids and scopes are shared strings, a used code is forgotten, and deleting
//! tokens or a grant marks a session number below which sessions are dead, rather than
//! visiting each session.

use crate::exchange::SessionId;
use crate::oauth::secret::{self, RandomnessError};
use crate::world::Who;
use hashbrown::HashTable;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest as _, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

type Digest = [u8; 32];

fn digest(secret: &str) -> Digest {
    Sha256::digest(secret.as_bytes()).into()
}

/// The hash of a digest in a vault: its first eight bytes (already uniformly random).
fn hash_of(digest: &Digest) -> u64 {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(prefix)
}

/// Secrets of one kind that are forgotten once used (codes), keyed by digest.
#[derive(Debug)]
struct Vault<T> {
    entries: HashTable<(Digest, T)>,
}

impl<T> Default for Vault<T> {
    fn default() -> Self {
        Vault {
            entries: HashTable::new(),
        }
    }
}

impl<T> Vault<T> {
    fn insert(&mut self, digest: Digest, value: T) {
        self.entries
            .insert_unique(hash_of(&digest), (digest, value), |(stored, _)| {
                hash_of(stored)
            });
    }

    /// Whether the stored digest is `digest`, compared in constant time.
    fn matches(digest: &Digest) -> impl Fn(&(Digest, T)) -> bool + '_ {
        move |(stored, _)| secret::equal(stored, digest)
    }

    fn get(&self, digest: &Digest) -> Option<&T> {
        self.entries
            .find(hash_of(digest), Self::matches(digest))
            .map(|(_, value)| value)
    }

    fn remove(&mut self, digest: &Digest) -> Option<T> {
        self.entries
            .find_entry(hash_of(digest), Self::matches(digest))
            .ok()
            .map(|entry| entry.remove().0.1)
    }
}

/// Tokens of one kind, never forgotten (only revoked): records in issue order, found through
/// an index of their positions hashed by digest, which is smaller than a table of records
/// kept half empty by its growth.
#[derive(Debug)]
struct Ledger<T> {
    records: Vec<(Digest, T)>,
    index: HashTable<usize>,
}

impl<T> Default for Ledger<T> {
    fn default() -> Self {
        Ledger {
            records: Vec::new(),
            index: HashTable::new(),
        }
    }
}

impl<T> Ledger<T> {
    fn insert(&mut self, digest: Digest, value: T) {
        let records = &self.records;
        let rehash = |position: &usize| records.get(*position).map_or(0, |(d, _)| hash_of(d));
        self.index
            .insert_unique(hash_of(&digest), records.len(), rehash);
        self.records.push((digest, value));
    }

    /// The position of `digest`'s record, compared in constant time.
    fn position(&self, digest: &Digest) -> Option<usize> {
        let matches = |position: &usize| {
            self.records
                .get(*position)
                .is_some_and(|(stored, _)| secret::equal(stored, digest))
        };
        self.index.find(hash_of(digest), matches).copied()
    }

    fn get(&self, digest: &Digest) -> Option<&T> {
        let position = self.position(digest)?;
        self.records.get(position).map(|(_, value)| value)
    }

    fn get_mut(&mut self, digest: &Digest) -> Option<&mut T> {
        let position = self.position(digest)?;
        self.records.get_mut(position).map(|(_, value)| value)
    }
}

/// One authorization of an app by a beneficiary.
#[derive(Debug)]
pub struct Session {
    /// The session's id (journal and transcripts).
    pub id: SessionId,
    /// The app it was granted to.
    pub client_id: Arc<str>,
    /// Who granted it.
    pub who: Who,
    /// The scope granted at authorization (space-separated).
    pub scope: Arc<str>,
    /// The grant it belongs to.
    grant: Arc<Grant>,
}

impl Session {
    /// The patient id of the beneficiary who granted it.
    pub fn patient_id(&self) -> &str {
        self.who.patient_id()
    }

    /// Whether its tokens are dead: deleted, or their grant deleted.
    pub fn is_revoked(&self) -> bool {
        self.tokens_deleted() || self.grant_deleted()
    }

    /// Whether its tokens were deleted (a later authorization replaced them).
    fn tokens_deleted(&self) -> bool {
        self.id.0 < self.grant.tokens_deleted_below.load(Ordering::Relaxed)
    }

    /// Whether the grant it belongs to was deleted (revoke, expire_authenticated_user).
    fn grant_deleted(&self) -> bool {
        self.id.0 < self.grant.deleted_below.load(Ordering::Relaxed)
    }

    /// The state of its grant, now.
    pub fn grant_state(&self) -> GrantState {
        *self.grant.state()
    }
}

/// A beneficiary's grant to an app (BB2's `DataAccessGrant`), shared by its sessions.
#[derive(Debug)]
struct Grant {
    /// Whether it exists, and when it expires.
    state: Mutex<GrantState>,
    /// Sessions numbered below this had their tokens deleted.
    tokens_deleted_below: AtomicU64,
    /// Sessions numbered below this lost their grant (it was deleted).
    deleted_below: AtomicU64,
}

impl Grant {
    /// Its state, locked.
    fn state(&self) -> MutexGuard<'_, GrantState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The state of a beneficiary's grant to an app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantState {
    /// It exists and expires then (`None`: never).
    Present(Option<Timestamp>),
    /// It was never made or was deleted.
    Missing,
}

/// An authorization code as issued.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// The session the code opens.
    pub session: Arc<Session>,
    /// The redirect URI used at /authorize (the token call must repeat it exactly).
    pub redirect_uri: String,
    /// The PKCE challenge, padding removed, if the client sent one.
    pub code_challenge: Option<String>,
    /// When the code stops working.
    pub expires_at: Timestamp,
}

/// What an access token stands for.
#[derive(Debug)]
struct AccessRecord {
    session: Arc<Session>,
    scope: Arc<str>,
    expires_at: Timestamp,
    /// The token's number, unique in the store.
    number: u64,
    revoked: bool,
    /// Authenticated calls made with it so far (counted only under `expire_after_calls`).
    calls: AtomicU64,
}

/// What a refresh token stands for.
#[derive(Debug, Clone)]
struct RefreshRecord {
    session: Arc<Session>,
    scope: Arc<str>,
    access: Digest,
    revoked: bool,
}

/// A newly issued access and refresh token pair.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// The scope both carry.
    pub scope: Arc<str>,
    /// The session they belong to.
    pub session: Arc<Session>,
}

/// What a bearer token turned out to be.
#[derive(Debug, Clone)]
pub enum AccessCheck {
    /// Valid: the session and the token's scope.
    Valid {
        /// The session.
        session: Arc<Session>,
        /// The token's scope.
        scope: Arc<str>,
        /// The token's number, unique in the store (what the throttle counts by).
        number: u64,
    },
    /// Known but past its expiry.
    Expired,
    /// Unknown or revoked.
    Invalid,
}

/// Why a code cannot be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Never issued, already used, or expired (`invalid_grant`).
    Invalid,
}

/// Why a refresh token cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshProblem {
    /// Never issued (BB2: `Refresh token not found.`).
    Unknown,
    /// Issued to another app (BB2: `Token does not match client_id`).
    OtherClient,
    /// Already rotated or revoked (`invalid_grant`).
    Revoked,
    /// Its grant was deleted (BB2: `User access cannot be found.`).
    GrantDeleted,
}

/// A token as introspection sees it.
#[derive(Debug, Clone)]
pub struct Introspection {
    /// The session.
    pub session: Arc<Session>,
    /// The token's scope.
    pub scope: Arc<str>,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// What an RFC 7009 revocation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// No such token (revocation succeeds anyway).
    Unknown,
    /// The token belongs to another app; nothing was revoked.
    OtherClient,
    /// The token was revoked.
    Revoked,
}

#[derive(Debug, Default)]
struct Vaults {
    codes: Vault<CodeGrant>,
    access: Ledger<AccessRecord>,
    refresh: Ledger<RefreshRecord>,
    /// Grants by client id, then patient id (the keys are the strings sessions share).
    grants: HashMap<Arc<str>, HashMap<Arc<str>, Arc<Grant>>>,
    /// Every scope granted so far, shared by the sessions and tokens that carry it.
    scopes: HashSet<Arc<str>>,
    /// Access tokens issued so far (their numbers).
    access_issued: u64,
    /// Sessions opened so far (the last session's number).
    sessions_opened: u64,
}

impl Vaults {
    /// The shared copy of `scope`.
    fn scope(&mut self, scope: &str) -> Arc<str> {
        if let Some(shared) = self.scopes.get(scope) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(scope);
        self.scopes.insert(Arc::clone(&shared));
        shared
    }

    /// The grant of this app and patient, if one was ever made.
    fn grant(&self, client_id: &str, patient_id: &str) -> Option<&Arc<Grant>> {
        self.grants.get(client_id)?.get(patient_id)
    }

    /// Stores an access token for `session`, numbered after the last one.
    fn insert_access(
        &mut self,
        digest: Digest,
        session: Arc<Session>,
        scope: Arc<str>,
        expires_at: Timestamp,
    ) {
        self.access_issued += 1;
        let record = AccessRecord {
            session,
            scope,
            expires_at,
            number: self.access_issued,
            revoked: false,
            calls: AtomicU64::new(0),
        };
        self.access.insert(digest, record);
    }
}

/// Every code, token and session of one server.
#[derive(Debug, Default)]
pub struct TokenStore {
    vaults: RwLock<Vaults>,
    /// An access token answers as expired after this many authenticated calls.
    expire_after_calls: Option<u64>,
}

impl TokenStore {
    /// An empty store.
    pub fn new() -> TokenStore {
        TokenStore::default()
    }

    /// An empty store whose access tokens answer as expired after `calls` authenticated
    /// calls each (the scenario's `tokens.expire_after_calls`); no limit when `None`.
    pub fn with_expire_after_calls(calls: Option<u64>) -> TokenStore {
        TokenStore {
            expire_after_calls: calls,
            ..TokenStore::default()
        }
    }

    fn vaults(&self) -> RwLockReadGuard<'_, Vaults> {
        self.vaults.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn vaults_mut(&self) -> RwLockWriteGuard<'_, Vaults> {
        self.vaults.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a session for an approved authorization, and makes or renews the grant of the
    /// app and beneficiary with its new expiry (`None`: never).
    pub fn open_session(
        &self,
        client_id: &str,
        who: Who,
        scope: &str,
        grant_expires_at: Option<Timestamp>,
    ) -> Arc<Session> {
        let mut vaults = self.vaults_mut();
        let scope = vaults.scope(scope);
        // Numbered under the lock, so that a deletion marks exactly the sessions before it.
        vaults.sessions_opened += 1;
        let id = SessionId(vaults.sessions_opened);
        let client_id = match vaults.grants.get_key_value(client_id) {
            Some((shared, _)) => Arc::clone(shared),
            None => Arc::from(client_id),
        };
        let grants = vaults.grants.entry(Arc::clone(&client_id)).or_default();
        let grant = grants.entry(who.shared_patient_id()).or_insert_with(|| {
            Arc::new(Grant {
                state: Mutex::new(GrantState::Missing),
                tokens_deleted_below: AtomicU64::new(0),
                deleted_below: AtomicU64::new(0),
            })
        });
        *grant.state() = GrantState::Present(grant_expires_at);
        Arc::new(Session {
            id,
            client_id,
            who,
            scope,
            grant: Arc::clone(grant),
        })
    }

    /// Deletes every token of this app and beneficiary; the grant stays.
    pub fn delete_tokens(&self, client_id: &str, patient_id: &str) {
        // Exclusive, so that no check still running sees the tokens alive once this returns.
        let vaults = self.vaults_mut();
        if let Some(grant) = vaults.grant(client_id, patient_id) {
            let below = vaults.sessions_opened + 1;
            grant.tokens_deleted_below.store(below, Ordering::Relaxed);
        }
    }

    /// Deletes the grant of this app and beneficiary, which revokes every token of it;
    /// false when there was none.
    pub fn delete_grant(&self, client_id: &str, patient_id: &str) -> bool {
        let vaults = self.vaults_mut();
        let Some(grant) = vaults.grant(client_id, patient_id) else {
            return false;
        };
        let mut state = grant.state();
        if *state == GrantState::Missing {
            return false;
        }
        *state = GrantState::Missing;
        let below = vaults.sessions_opened + 1;
        grant.deleted_below.store(below, Ordering::Relaxed);
        true
    }

    /// The state of the grant of this app and beneficiary.
    pub fn grant(&self, client_id: &str, patient_id: &str) -> GrantState {
        let vaults = self.vaults();
        match vaults.grant(client_id, patient_id) {
            Some(grant) => *grant.state(),
            None => GrantState::Missing,
        }
    }

    /// Whether any app was ever authorized by this patient (BB2's crosswalk exists).
    pub fn knows_patient(&self, patient_id: &str) -> bool {
        self.vaults()
            .grants
            .values()
            .any(|grants| grants.contains_key(patient_id))
    }

    /// The live access token `token` for introspection (`None`: unknown, revoked, expired).
    pub fn introspect(&self, token: &str, now: Timestamp) -> Option<Introspection> {
        let digest = digest(token);
        let vaults = self.vaults();
        let record = vaults.access.get(&digest)?;
        if record.revoked || record.session.is_revoked() || now >= record.expires_at {
            return None;
        }
        Some(Introspection {
            session: Arc::clone(&record.session),
            scope: Arc::clone(&record.scope),
            expires_at: record.expires_at,
        })
    }

    /// The session of `token` (an access or refresh token), if it is known.
    pub fn session_of(&self, token: &str) -> Option<Arc<Session>> {
        let digest = digest(token);
        let vaults = self.vaults();
        if let Some(record) = vaults.access.get(&digest) {
            return Some(Arc::clone(&record.session));
        }
        vaults
            .refresh
            .get(&digest)
            .map(|record| Arc::clone(&record.session))
    }

    /// RFC 7009 revocation by `client_id`: an access token is deleted alone (its refresh
    /// token stays usable); a refresh token is revoked with its access token.
    pub fn revoke_token(&self, token: &str, client_id: &str) -> Revocation {
        let digest = digest(token);
        let mut vaults = self.vaults_mut();
        if let Some(record) = vaults.access.get_mut(&digest) {
            if *record.session.client_id != *client_id {
                return Revocation::OtherClient;
            }
            record.revoked = true;
            return Revocation::Revoked;
        }
        let Some(record) = vaults.refresh.get_mut(&digest) else {
            return Revocation::Unknown;
        };
        if *record.session.client_id != *client_id {
            return Revocation::OtherClient;
        }
        record.revoked = true;
        let access = record.access;
        if let Some(access) = vaults.access.get_mut(&access) {
            access.revoked = true;
        }
        Revocation::Revoked
    }

    /// Issues a code for `session`.
    pub fn issue_code(
        &self,
        session: Arc<Session>,
        redirect_uri: String,
        code_challenge: Option<String>,
        expires_at: Timestamp,
    ) -> Result<String, RandomnessError> {
        let code = secret::new_token()?;
        let digest = digest(&code);
        let grant = CodeGrant {
            session,
            redirect_uri,
            code_challenge,
            expires_at,
        };
        self.vaults_mut().codes.insert(digest, grant);
        Ok(code)
    }

    /// The unused, unexpired code `code`, without using it up.
    pub fn code(&self, code: &str, now: Timestamp) -> Result<CodeGrant, CodeProblem> {
        let digest = digest(code);
        let vaults = self.vaults();
        let grant = vaults.codes.get(&digest).ok_or(CodeProblem::Invalid)?;
        if now >= grant.expires_at || grant.session.is_revoked() {
            return Err(CodeProblem::Invalid);
        }
        Ok(grant.clone())
    }

    /// Uses the code up (a used code is forgotten: it is as invalid as one never issued);
    /// false when it was already used (a concurrent redemption won).
    pub fn consume_code(&self, code: &str) -> bool {
        let digest = digest(code);
        self.vaults_mut().codes.remove(&digest).is_some()
    }

    /// Issues an access and refresh token in `session`.
    pub fn issue_tokens(
        &self,
        session: Arc<Session>,
        scope: &str,
        expires_at: Timestamp,
    ) -> Result<IssuedTokens, RandomnessError> {
        let pair = NewPair::draw()?;
        Ok(pair.insert(&mut self.vaults_mut(), session, scope, expires_at))
    }

    /// Issues an access token alone in `session` (the implicit flow: no refresh token).
    pub fn issue_access(
        &self,
        session: Arc<Session>,
        scope: &str,
        expires_at: Timestamp,
    ) -> Result<String, RandomnessError> {
        let access_token = secret::new_token()?;
        let digest = digest(&access_token);
        let mut vaults = self.vaults_mut();
        let scope = vaults.scope(scope);
        vaults.insert_access(digest, session, scope, expires_at);
        Ok(access_token)
    }

    /// The session and scope of a live refresh token, for `client_id`.
    pub fn refresh_token(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<(Arc<Session>, Arc<str>), RefreshProblem> {
        let digest = digest(token);
        let vaults = self.vaults();
        let record = vaults.refresh.get(&digest).ok_or(RefreshProblem::Unknown)?;
        if *record.session.client_id != *client_id {
            return Err(RefreshProblem::OtherClient);
        }
        if record.session.tokens_deleted() {
            // Deleted with the other tokens of an earlier authorization.
            return Err(RefreshProblem::Unknown);
        }
        if record.session.grant_deleted() {
            return Err(RefreshProblem::GrantDeleted);
        }
        if record.revoked {
            return Err(RefreshProblem::Revoked);
        }
        Ok((Arc::clone(&record.session), Arc::clone(&record.scope)))
    }

    /// Rotates a refresh token: revokes it and its access token, issues a new pair.
    pub fn rotate(
        &self,
        token: &str,
        scope: &str,
        expires_at: Timestamp,
    ) -> Result<Result<IssuedTokens, RefreshProblem>, RandomnessError> {
        let digest = digest(token);
        let pair = NewPair::draw()?;
        let mut vaults = self.vaults_mut();
        let Some(record) = vaults.refresh.get_mut(&digest) else {
            return Ok(Err(RefreshProblem::Unknown));
        };
        if record.revoked || record.session.is_revoked() {
            return Ok(Err(RefreshProblem::Revoked));
        }
        record.revoked = true;
        let (session, old_access) = (Arc::clone(&record.session), record.access);
        if let Some(access) = vaults.access.get_mut(&old_access) {
            access.revoked = true;
        }
        Ok(Ok(pair.insert(&mut vaults, session, scope, expires_at)))
    }

    /// What the bearer token `token` is at `now`. Each valid answer counts as one call of the
    /// token: past `expire_after_calls` calls, it answers `Expired`.
    pub fn check_access(&self, token: &str, now: Timestamp) -> AccessCheck {
        let digest = digest(token);
        let vaults = self.vaults();
        match vaults.access.get(&digest) {
            Some(record) if record.revoked || record.session.is_revoked() => AccessCheck::Invalid,
            Some(record) if now >= record.expires_at => AccessCheck::Expired,
            Some(record) if !self.count_call(record) => AccessCheck::Expired,
            Some(record) => AccessCheck::Valid {
                session: Arc::clone(&record.session),
                scope: Arc::clone(&record.scope),
                number: record.number,
            },
            None => AccessCheck::Invalid,
        }
    }

    /// Counts one more call of `record`'s token under `expire_after_calls`; false when it
    /// has made all its calls already (nothing is counted without a limit).
    fn count_call(&self, record: &AccessRecord) -> bool {
        let Some(limit) = self.expire_after_calls else {
            return true;
        };
        record
            .calls
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |calls| {
                (calls < limit).then(|| calls.saturating_add(1))
            })
            .is_ok()
    }
}

/// An access and refresh token drawn, with their digests, before the store is locked.
struct NewPair {
    access_token: String,
    access_digest: Digest,
    refresh_token: String,
    refresh_digest: Digest,
}

impl NewPair {
    fn draw() -> Result<NewPair, RandomnessError> {
        let access_token = secret::new_token()?;
        let refresh_token = secret::new_token()?;
        Ok(NewPair {
            access_digest: digest(&access_token),
            refresh_digest: digest(&refresh_token),
            access_token,
            refresh_token,
        })
    }

    /// Stores the pair for `session`.
    fn insert(
        self,
        vaults: &mut Vaults,
        session: Arc<Session>,
        scope: &str,
        expires_at: Timestamp,
    ) -> IssuedTokens {
        let scope = vaults.scope(scope);
        vaults.insert_access(
            self.access_digest,
            Arc::clone(&session),
            Arc::clone(&scope),
            expires_at,
        );
        vaults.refresh.insert(
            self.refresh_digest,
            RefreshRecord {
                session: Arc::clone(&session),
                scope: Arc::clone(&scope),
                access: self.access_digest,
                revoked: false,
            },
        );
        IssuedTokens {
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            scope,
            session,
        }
    }
}

/// `now + seconds`, saturating.
pub fn expiry(now: Timestamp, seconds: u64) -> Timestamp {
    let seconds = i64::try_from(seconds).unwrap_or(i64::MAX);
    now.checked_add(SignedDuration::from_secs(seconds))
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::BeneficiarySpec;
    use crate::world::population;

    fn session(store: &TokenStore, client_id: &str) -> Arc<Session> {
        let spec = BeneficiarySpec {
            username: "BBUser20023".into(),
            password: "PW20023!".into(),
            patient_id: "-20140000000024".into(),
            name: None,
            claims: None,
        };
        store.open_session(
            client_id,
            Who::built(Arc::new(population::from_spec(&spec, 0))),
            "profile",
            None,
        )
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn codes_expire_and_are_used_once() -> Result<(), RandomnessError> {
        let store = TokenStore::new();
        let code = store.issue_code(
            session(&store, "app"),
            "http://x/cb".into(),
            None,
            expiry(now(), 60),
        )?;
        assert!(store.code(&code, now()).is_ok());
        assert_eq!(
            store.code(&code, expiry(now(), 60)).err(),
            Some(CodeProblem::Invalid)
        );
        assert!(store.consume_code(&code));
        assert!(!store.consume_code(&code));
        assert_eq!(store.code(&code, now()).err(), Some(CodeProblem::Invalid));
        assert_eq!(
            store.code("unknown", now()).err(),
            Some(CodeProblem::Invalid)
        );
        Ok(())
    }

    #[test]
    fn rotation_revokes_the_old_pair() -> Result<(), RandomnessError> {
        let store = TokenStore::new();
        let first = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        assert!(matches!(
            store.check_access(&first.access_token, now()),
            AccessCheck::Valid { .. }
        ));
        let second = store.rotate(&first.refresh_token, "profile", expiry(now(), 3600))?;
        let second = second.map_err(|_| ()).ok();
        assert!(second.is_some());
        assert!(matches!(
            store.check_access(&first.access_token, now()),
            AccessCheck::Invalid
        ));
        assert_eq!(
            store.refresh_token(&first.refresh_token, "app").err(),
            Some(RefreshProblem::Revoked)
        );
        assert_eq!(
            store.refresh_token(&first.refresh_token, "other").err(),
            Some(RefreshProblem::OtherClient)
        );
        assert_eq!(
            store.refresh_token("nope", "app").err(),
            Some(RefreshProblem::Unknown)
        );
        if let Some(second) = second {
            assert!(store.refresh_token(&second.refresh_token, "app").is_ok());
            assert!(matches!(
                store.check_access(&second.access_token, expiry(now(), 3600)),
                AccessCheck::Expired
            ));
        }
        Ok(())
    }

    #[test]
    fn tokens_expire_after_their_calls_and_refreshed_ones_start_over() -> Result<(), RandomnessError>
    {
        let store = TokenStore::with_expire_after_calls(Some(2));
        let first = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        let check = |token: &str| store.check_access(token, now());
        assert!(matches!(
            check(&first.access_token),
            AccessCheck::Valid { .. }
        ));
        assert!(matches!(
            check(&first.access_token),
            AccessCheck::Valid { .. }
        ));
        assert!(matches!(check(&first.access_token), AccessCheck::Expired));
        assert!(matches!(check(&first.access_token), AccessCheck::Expired));
        assert!(matches!(check("unknown"), AccessCheck::Invalid));
        let second = store.rotate(&first.refresh_token, "profile", expiry(now(), 3600))?;
        let second = second.map_err(|_| ()).ok();
        assert!(second.is_some());
        if let Some(second) = second {
            assert!(matches!(
                check(&second.access_token),
                AccessCheck::Valid { .. }
            ));
            assert!(matches!(
                check(&second.access_token),
                AccessCheck::Valid { .. }
            ));
            assert!(matches!(check(&second.access_token), AccessCheck::Expired));
        }
        // The rotated-out token is invalid, not expired.
        assert!(matches!(check(&first.access_token), AccessCheck::Invalid));
        Ok(())
    }

    #[test]
    fn concurrent_checks_count_every_call_exactly_once() -> Result<(), RandomnessError> {
        let store = Arc::new(TokenStore::with_expire_after_calls(Some(100)));
        let pair = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        let token = Arc::new(pair.access_token);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (store, token) = (Arc::clone(&store), Arc::clone(&token));
                std::thread::spawn(move || {
                    (0..50)
                        .filter(|_| {
                            matches!(store.check_access(&token, now()), AccessCheck::Valid { .. })
                        })
                        .count()
                })
            })
            .collect();
        let valid: usize = threads
            .into_iter()
            .map(|thread| thread.join().unwrap_or_default())
            .sum();
        assert_eq!(valid, 100);
        Ok(())
    }

    #[test]
    fn deleting_tokens_kills_this_apps_tokens_only() -> Result<(), RandomnessError> {
        let store = TokenStore::new();
        let mine = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        let other_app =
            store.issue_tokens(session(&store, "other"), "profile", expiry(now(), 3600))?;
        store.delete_tokens("app", mine.session.patient_id());
        assert!(matches!(
            store.check_access(&mine.access_token, now()),
            AccessCheck::Invalid
        ));
        assert!(matches!(
            store.check_access(&other_app.access_token, now()),
            AccessCheck::Valid { .. }
        ));
        Ok(())
    }

    #[test]
    fn a_deleted_grant_revokes_its_tokens_until_the_next_authorization()
    -> Result<(), RandomnessError> {
        let store = TokenStore::new();
        let old = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        let patient = old.session.patient_id().to_owned();
        assert_eq!(store.grant("app", &patient), GrantState::Present(None));
        assert!(store.knows_patient(&patient));
        assert!(store.delete_grant("app", &patient));
        assert!(!store.delete_grant("app", &patient));
        assert_eq!(store.grant("app", &patient), GrantState::Missing);
        assert!(store.introspect(&old.access_token, now()).is_none());
        assert_eq!(
            store.refresh_token(&old.refresh_token, "app").err(),
            Some(RefreshProblem::GrantDeleted)
        );
        let new = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        assert!(matches!(
            store.check_access(&old.access_token, now()),
            AccessCheck::Invalid
        ));
        assert!(store.introspect(&new.access_token, now()).is_some());
        store.delete_tokens("app", &patient);
        assert_eq!(
            store.refresh_token(&new.refresh_token, "app").err(),
            Some(RefreshProblem::Unknown)
        );
        Ok(())
    }

    #[test]
    fn rfc7009_revocation() -> Result<(), RandomnessError> {
        let store = TokenStore::new();
        let pair = store.issue_tokens(session(&store, "app"), "profile", expiry(now(), 3600))?;
        assert_eq!(
            store
                .session_of(&pair.access_token)
                .map(|s| s.client_id.to_string())
                .as_deref(),
            Some("app")
        );
        assert_eq!(
            store.revoke_token(&pair.access_token, "other"),
            Revocation::OtherClient
        );
        assert_eq!(store.revoke_token("nope", "app"), Revocation::Unknown);
        assert_eq!(
            store.revoke_token(&pair.access_token, "app"),
            Revocation::Revoked
        );
        assert!(store.refresh_token(&pair.refresh_token, "app").is_ok());
        let second = store.rotate(&pair.refresh_token, "profile", expiry(now(), 3600))?;
        let second = second.map_err(|_| ()).ok();
        if let Some(second) = second {
            assert_eq!(
                store.revoke_token(&second.refresh_token, "app"),
                Revocation::Revoked
            );
            assert!(matches!(
                store.check_access(&second.access_token, now()),
                AccessCheck::Invalid
            ));
        }
        Ok(())
    }
}

//! Every check, one file each, in report order: the OAuth flow first, then the reads and the
//! client's output. Ids are stable kebab-case names; a check cites what it enforces.

use crate::conform::check::Check;

// The authorization flow and tokens.
mod access_denied_handled;
mod callback_replay_rejected;
mod client_auth_valid;
mod code_redeemed_once;
mod current_access_token_used;
mod flow;
mod journey_complete;
mod no_secret_in_url;
mod pkce_s256;
mod pkce_verifier_valid;
mod public_client_sends_no_secret;
mod redirect_uri_consistent;
mod refresh_failure_reauthorizes;
mod rotated_refresh_token_used;
mod state_entropy;
mod state_sent;
mod state_verified;
#[cfg(test)]
mod testkit;
mod token_refreshed_on_expiry;
mod token_request_well_formed;

/// The checks of the authorization flow and tokens, in report order.
const FLOW: &[&dyn Check] = &[
    &journey_complete::JourneyComplete,
    &pkce_s256::PkceS256,
    &pkce_verifier_valid::PkceVerifierValid,
    &state_sent::StateSent,
    &state_verified::StateVerified,
    &state_entropy::StateEntropy,
    &redirect_uri_consistent::RedirectUriConsistent,
    &no_secret_in_url::NoSecretInUrl,
    &public_client_sends_no_secret::PublicClientSendsNoSecret,
    &client_auth_valid::ClientAuthValid,
    &token_request_well_formed::TokenRequestWellFormed,
    &code_redeemed_once::CodeRedeemedOnce,
    &callback_replay_rejected::CallbackReplayRejected,
    &access_denied_handled::AccessDeniedHandled,
    &token_refreshed_on_expiry::TokenRefreshedOnExpiry,
    &rotated_refresh_token_used::RotatedRefreshTokenUsed,
    &current_access_token_used::CurrentAccessTokenUsed,
    &refresh_failure_reauthorizes::RefreshFailureReauthorizes,
];

// The reads and the client's output.

/// The checks of the reads and the output, in report order.
const READS: &[&dyn Check] = &[];

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static dyn Check> {
    FLOW.iter().chain(READS).copied()
}

/// The check with id `id`.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    all().find(|check| check.id() == id)
}

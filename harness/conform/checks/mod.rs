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
mod accept_header_valid;
mod bearer_header_only;
mod bounded_retries;
mod claim_type_values_valid;
mod gzip_and_identity_decoded;
mod gzip_requested;
mod next_link_followed_verbatim;
mod no_unmatched_requests;
mod output_coverage_ids;
mod output_eob_ids;
mod output_patient_id;
mod own_patient_only;
mod pagination_complete;
mod patient_403_handled;
mod reads;
#[cfg(test)]
mod reads_testkit;
mod retry_after_honoured;
mod search_params_valid;
mod userinfo_403_handled;

/// The checks of the reads and the output, in report order.
const READS: &[&dyn Check] = &[
    &bearer_header_only::BearerHeaderOnly,
    &accept_header_valid::AcceptHeaderValid,
    &own_patient_only::OwnPatientOnly,
    &search_params_valid::SearchParamsValid,
    &claim_type_values_valid::ClaimTypeValuesValid,
    &gzip_requested::GzipRequested,
    &gzip_and_identity_decoded::GzipAndIdentityDecoded,
    &patient_403_handled::Patient403Handled,
    &userinfo_403_handled::Userinfo403Handled,
    &pagination_complete::PaginationComplete,
    &next_link_followed_verbatim::NextLinkFollowedVerbatim,
    &retry_after_honoured::RetryAfterHonoured,
    &bounded_retries::BoundedRetries,
    &output_patient_id::OutputPatientId,
    &output_coverage_ids::OutputCoverageIds,
    &output_eob_ids::OutputEobIds,
    &no_unmatched_requests::NoUnmatchedRequests,
];

/// Every check, in report order.
pub fn all() -> impl Iterator<Item = &'static dyn Check> {
    FLOW.iter().chain(READS).copied()
}

/// The check with id `id`.
pub fn find(id: &str) -> Option<&'static dyn Check> {
    all().find(|check| check.id() == id)
}

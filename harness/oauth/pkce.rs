//! PKCE (RFC 7636) as BB2 checks it: S256 only, `=` padding stripped on both sides, the
//! verifier's length checked (43–128) and nothing else about it.

use crate::oauth::secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// The only challenge method BB2 supports.
pub const S256: &str = "S256";

/// `BASE64URL(SHA256(verifier))` without padding.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A challenge as BB2 stores it: trailing `=` removed.
pub fn normalize_challenge(challenge: &str) -> &str {
    challenge.trim_end_matches('=')
}

/// Whether `verifier` hashes to the stored `challenge` (compared in constant time).
pub fn verifier_matches(challenge: &str, verifier: &str) -> bool {
    let verifier_digest = s256_challenge(verifier);
    let stored_digest = normalize_challenge(challenge);
    secret::equal(verifier_digest.as_bytes(), stored_digest.as_bytes())
}

/// BB2's length rule for a verifier that matched: the `error_description` when it breaks it.
pub fn verifier_length_problem(verifier: &str) -> Option<&'static str> {
    match verifier.len() {
        0..43 => Some("code_verifier min length is 43"),
        43..=128 => None,
        _ => Some("code_verifier max length is 128"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_vector() {
        assert_eq!(s256_challenge(RFC_VERIFIER), RFC_CHALLENGE);
        assert!(verifier_matches(RFC_CHALLENGE, RFC_VERIFIER));
    }

    #[test]
    fn padding_is_tolerated() {
        assert!(verifier_matches(&format!("{RFC_CHALLENGE}="), RFC_VERIFIER));
    }

    #[test]
    fn wrong_verifier_fails() {
        assert!(!verifier_matches(
            RFC_CHALLENGE,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
        assert!(!verifier_matches("", RFC_VERIFIER));
    }

    #[test]
    fn length_rule() {
        assert_eq!(
            verifier_length_problem(&"a".repeat(42)),
            Some("code_verifier min length is 43")
        );
        assert_eq!(verifier_length_problem(&"a".repeat(43)), None);
        assert_eq!(verifier_length_problem(&"a".repeat(128)), None);
        assert_eq!(
            verifier_length_problem(&"a".repeat(129)),
            Some("code_verifier max length is 128")
        );
    }
}

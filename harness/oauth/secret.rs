//! Secrets: making codes and tokens, 30 alphanumeric characters from the operating system's
//! CSPRNG like oauthlib's `generate_token` (about 178 bits), and comparing secrets.
//!
//! Every comparison of a secret the server checks (a client secret, a login password, a PKCE
//! challenge, a token's digest) goes through [`equal`], which takes the same time wherever the
//! first difference lies; a test reads the server's sources to keep it so.

use subtle::ConstantTimeEq;
use thiserror::Error;

/// Length of every code and token BB2 issues.
pub const TOKEN_LENGTH: usize = 30;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The operating system could not provide random bytes.
#[derive(Debug, Error)]
#[error("the system random number generator failed: {0}")]
pub struct RandomnessError(getrandom::Error);

/// A fresh random token of [`TOKEN_LENGTH`] alphanumerics.
pub fn new_token() -> Result<String, RandomnessError> {
    let mut token = String::with_capacity(TOKEN_LENGTH);
    let mut buffer = [0u8; 64];
    while token.len() < TOKEN_LENGTH {
        getrandom::fill(&mut buffer).map_err(RandomnessError)?;
        // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
        for &byte in buffer.iter().filter(|&&b| b < 248) {
            if token.len() == TOKEN_LENGTH {
                break;
            }
            token.push(char::from(ALPHABET[usize::from(byte % 62)]));
        }
    }
    Ok(token)
}

/// Whether `expected` and `given` are the same bytes, compared in constant time (only their
/// lengths, which are not secret, can end it early).
pub fn equal(expected: &[u8], given: &[u8]) -> bool {
    bool::from(expected.ct_eq(given))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::{Path, PathBuf};

    #[test]
    fn equal_compares_whole_values() {
        assert!(equal(b"s3cret", b"s3cret"));
        assert!(!equal(b"s3cret", b"s3creT"));
        assert!(!equal(b"s3cret", b"s3cre"));
        assert!(!equal(b"", b"x"));
        assert!(equal(b"", b""));
    }

    #[test]
    fn tokens_carry_at_least_128_bits() {
        let bits = TOKEN_LENGTH as f64 * (ALPHABET.len() as f64).log2();
        assert!(bits >= 128.0, "{bits} bits");
        let distinct: HashSet<u8> = ALPHABET.iter().copied().collect();
        assert_eq!(distinct.len(), ALPHABET.len());
    }

    /// Every `.rs` file under `dir`.
    fn sources(dir: &Path) -> Vec<PathBuf> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .map(|entry| entry.unwrap().into_path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect()
    }

    /// The server's code (OAuth, FHIR, the server itself) compares no secret with `==` or
    /// `!=`, and calls `ct_eq` only here: a comparison that returns at the first difference
    /// would tell an attacker, by its timing, how much of a guess was right. The test reads
    /// names: the values compared through [`equal`] are named after what they are (`secret`,
    /// `password`, `verifier`, `digest`), so that `==` on them is caught; a secret compared
    /// under another name would escape it.
    #[test]
    fn secrets_are_compared_only_through_equal() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("harness");
        let secret_words = ["secret", "password", "verifier", "digest"];
        let mut offences = Vec::new();
        for dir in ["oauth", "fhir", "server"] {
            for file in sources(&root.join(dir)) {
                let text = std::fs::read_to_string(&file).unwrap();
                let here = file.ends_with("oauth/secret.rs");
                for (number, line) in text.lines().enumerate() {
                    if line.trim_start().starts_with("//") {
                        continue;
                    }
                    let code = line.to_lowercase();
                    let compares = ["==", "!=", ".eq(", ".ne("]
                        .iter()
                        .any(|operator| code.contains(operator));
                    let names_secret = secret_words.iter().any(|word| code.contains(word));
                    if (compares && names_secret) || (!here && code.contains("ct_eq")) {
                        offences.push(format!(
                            "{}:{}: {}",
                            file.display(),
                            number + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
        assert!(offences.is_empty(), "{}", offences.join("\n"));
    }

    #[test]
    fn tokens_are_alphanumeric_and_distinct() -> Result<(), RandomnessError> {
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let token = new_token()?;
            assert_eq!(token.len(), TOKEN_LENGTH);
            assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(token));
        }
        Ok(())
    }
}

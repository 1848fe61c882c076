//! Codes and tokens: 30 alphanumeric characters from the operating system's CSPRNG, like
//! oauthlib's `generate_token` (about 178 bits).

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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

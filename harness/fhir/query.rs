//! Validation of the common search parameters `_count` (alias `count`) and `startIndex`
//! (behaviour file §3.2, §3.4), split the way BB2 splits it: BB2's own checks first, then
//! what BFD refuses after BB2 forwarded the query.

use crate::fhir::paging::{DEFAULT_COUNT, MAX_COUNT};
use crate::params::Params;

/// A refused query: the `detail` of the 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// BB2's wrapper around a BFD 400 with diagnostics (no space after the colon).
pub fn upstream(diagnostics: &str) -> Refused {
    Refused(format!(
        "An error occurred contacting the upstream server:{diagnostics}"
    ))
}

/// Page size and offset as asked, not yet checked by BFD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    count: i128,
    start: i128,
}

impl Paging {
    /// BB2's checks of `_count`/`count` and `startIndex`.
    pub fn parse(params: &Params) -> Result<Paging, Refused> {
        let count = match params.get("_count").or_else(|| params.get("count")) {
            Some(text) => python_int(text).ok_or_else(|| Refused("expected int".into()))?,
            None => i128::from(DEFAULT_COUNT),
        };
        if count > i128::from(MAX_COUNT) {
            return Err(Refused(format!("value must be at most {MAX_COUNT}")));
        }
        if count < 0 {
            return Err(Refused("value must be at least 0".into()));
        }
        let start = match params.get("startIndex") {
            Some(text) => python_int(text).ok_or_else(|| Refused("expected int".into()))?,
            None => 0,
        };
        Ok(Paging { count, start })
    }

    /// What BFD accepts: `(count, start)`, or its refusal.
    pub fn for_backend(self) -> Result<(u64, u64), Refused> {
        if self.count == 0 {
            return Err(upstream("Invalid pageSize '0'"));
        }
        if self.start < 0 {
            return Err(upstream(&format!(
                "Value for startIndex cannot be negative: {}",
                self.start
            )));
        }
        let count = u64::try_from(self.count).unwrap_or(DEFAULT_COUNT);
        Ok((count, u64::try_from(self.start).unwrap_or(u64::MAX)))
    }
}

/// Python's `int(text)`: surrounding whitespace, an optional sign, decimal digits (with
/// single underscores between them). Too large for i128 saturates.
fn python_int(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let well_formed = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return None;
    }
    let magnitude = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i128, |acc, b| {
            acc.saturating_mul(10).saturating_add(i128::from(b - b'0'))
        });
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(query: &str) -> Result<(u64, u64), Refused> {
        Paging::parse(&Params::from_query(Some(query))).and_then(Paging::for_backend)
    }

    #[test]
    fn defaults_and_alias() {
        assert_eq!(paging(""), Ok((10, 0)));
        assert_eq!(paging("count=5&startIndex=20"), Ok((5, 20)));
        assert_eq!(paging("_count=+7&count=3"), Ok((7, 0)));
    }

    #[test]
    fn bb2_refusals() {
        assert_eq!(
            paging("_count=51"),
            Err(Refused("value must be at most 50".into()))
        );
        assert_eq!(
            paging("_count=99999999999999999999999999999999999999999"),
            Err(Refused("value must be at most 50".into()))
        );
        assert_eq!(
            paging("_count=-1"),
            Err(Refused("value must be at least 0".into()))
        );
        assert_eq!(paging("_count=ten"), Err(Refused("expected int".into())));
        assert_eq!(paging("_count=1.5"), Err(Refused("expected int".into())));
        assert_eq!(paging("startIndex=x"), Err(Refused("expected int".into())));
    }

    #[test]
    fn backend_refusals() {
        assert_eq!(paging("_count=0"), Err(upstream("Invalid pageSize '0'")));
        assert_eq!(
            paging("startIndex=-5"),
            Err(upstream("Value for startIndex cannot be negative: -5"))
        );
    }
}

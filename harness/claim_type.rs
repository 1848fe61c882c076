//! The eight ExplanationOfBenefit claim types of Blue Button (guide "Query by Type").

use std::fmt;

/// One of the eight claim types an ExplanationOfBenefit can have.
///
/// The declaration order is the tie-break order BFD uses when two claims share an id
/// (`compareByClaimIdThenClaimType`, behaviour file §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimType {
    /// Part B physician/supplier claims.
    Carrier,
    /// Durable medical equipment claims.
    Dme,
    /// Home health agency claims.
    Hha,
    /// Hospice claims.
    Hospice,
    /// Inpatient hospital claims (Part A).
    Inpatient,
    /// Outpatient institutional claims.
    Outpatient,
    /// Part D prescription drug events.
    Pde,
    /// Skilled nursing facility claims.
    Snf,
}

impl ClaimType {
    /// All eight types, in declaration order.
    pub const ALL: [ClaimType; 8] = [
        ClaimType::Carrier,
        ClaimType::Dme,
        ClaimType::Hha,
        ClaimType::Hospice,
        ClaimType::Inpatient,
        ClaimType::Outpatient,
        ClaimType::Pde,
        ClaimType::Snf,
    ];

    /// The lower-case code used in `type=` queries and resource ids (`carrier`).
    pub fn code(self) -> &'static str {
        match self {
            ClaimType::Carrier => "carrier",
            ClaimType::Dme => "dme",
            ClaimType::Hha => "hha",
            ClaimType::Hospice => "hospice",
            ClaimType::Inpatient => "inpatient",
            ClaimType::Outpatient => "outpatient",
            ClaimType::Pde => "pde",
            ClaimType::Snf => "snf",
        }
    }

    /// The upper-case code of the `eob-type` code system (`CARRIER`).
    pub fn eob_type_code(self) -> &'static str {
        match self {
            ClaimType::Carrier => "CARRIER",
            ClaimType::Dme => "DME",
            ClaimType::Hha => "HHA",
            ClaimType::Hospice => "HOSPICE",
            ClaimType::Inpatient => "INPATIENT",
            ClaimType::Outpatient => "OUTPATIENT",
            ClaimType::Pde => "PDE",
            ClaimType::Snf => "SNF",
        }
    }

    /// Parses a lower-case code exactly (`carrier`); anything else is `None`.
    pub fn from_code(code: &str) -> Option<ClaimType> {
        ClaimType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Position of this type in [`ClaimType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ClaimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How many claims of each type a beneficiary has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ClaimCounts([u32; 8]);

impl ClaimCounts {
    /// Counts from `(type, count)` pairs; types not named have zero claims.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (ClaimType, u32)>) -> ClaimCounts {
        let mut counts = [0; 8];
        for (claim_type, count) in pairs {
            counts[claim_type.index()] = count;
        }
        ClaimCounts(counts)
    }

    /// The number of claims of one type.
    pub fn get(&self, claim_type: ClaimType) -> u32 {
        self.0[claim_type.index()]
    }

    /// The number of claims of all types together.
    pub fn total(&self) -> u64 {
        self.0.iter().map(|&c| u64::from(c)).sum()
    }

    /// The `(type, count)` pairs with a non-zero count, in type order.
    pub fn non_zero(&self) -> impl Iterator<Item = (ClaimType, u32)> + '_ {
        ClaimType::ALL
            .into_iter()
            .map(|t| (t, self.get(t)))
            .filter(|&(_, c)| c > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for t in ClaimType::ALL {
            assert_eq!(ClaimType::from_code(t.code()), Some(t));
            assert_eq!(t.eob_type_code().to_lowercase(), t.code());
        }
        assert_eq!(ClaimType::from_code("Carrier"), None);
    }

    #[test]
    fn counts_total_and_non_zero() {
        let counts = ClaimCounts::from_pairs([
            (ClaimType::Carrier, 44),
            (ClaimType::Inpatient, 1),
            (ClaimType::Pde, 103),
        ]);
        assert_eq!(counts.total(), 148);
        let listed: Vec<_> = counts.non_zero().collect();
        assert_eq!(
            listed,
            vec![
                (ClaimType::Carrier, 44),
                (ClaimType::Inpatient, 1),
                (ClaimType::Pde, 103)
            ]
        );
    }
}

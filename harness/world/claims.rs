//! The claims of a beneficiary in BFD order, each generated directly from its position.
//!
//! BFD sorts ExplanationOfBenefit results by the unprefixed claim id as a string (behaviour
//! file §4). Claim ids here are fixed-width and grow with the position, so position `k` in
//! the sorted list *is* the k-th id. Which type sits at each position comes from a seeded
//! permutation (a small Feistel network), which gives the exact per-type counts, mixes the
//! types like real data, and needs no table: the k-th claim costs the same for any k.

use crate::claim_type::{ClaimCounts, ClaimType};
use crate::world::seed::{derive, mix};
use crate::world::{Beneficiary, Claim};
use jiff::ToSpan;
use jiff::civil::{Date, date};

/// The day the synthetic data was loaded: claims span the four years before it.
pub const DATA_EPOCH: Date = date(2026, 6, 30);

/// Days of claim history before [`DATA_EPOCH`] (four years).
const HISTORY_DAYS: u64 = 4 * 365;

/// Claim ids have eleven digits after the minus sign.
const ID_BASE_MIN: u64 = 10_000_000_000;
/// Room for the base so that base + positions * step stays at eleven digits.
const ID_BASE_SPAN: u64 = 40_000_000_000;
const ID_STEP_MIN: u64 = 1_000;
const ID_STEP_SPAN: u64 = 3_000;

/// The generated claims of one beneficiary: position → claim, claim id → position.
#[derive(Debug, Clone)]
pub struct ClaimBook {
    counts: ClaimCounts,
    total: u64,
    permutation: Permutation,
    id_base: u64,
    id_step: u64,
    seed: u64,
}

impl ClaimBook {
    /// The claims of `bene`.
    pub fn of(bene: &Beneficiary) -> ClaimBook {
        let seed = bene.data_seed;
        let total = bene.claims.total();
        ClaimBook {
            counts: bene.claims,
            total,
            permutation: Permutation::new(total, derive(seed, &[b"claim-order"])),
            id_base: ID_BASE_MIN + derive(seed, &[b"claim-id-base"]) % ID_BASE_SPAN,
            id_step: ID_STEP_MIN + derive(seed, &[b"claim-id-step"]) % ID_STEP_SPAN,
            seed,
        }
    }

    /// How many claims there are of all types.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The claim at `position` in BFD order (0-based), if there is one.
    pub fn claim_at(&self, position: u64) -> Option<Claim> {
        if position >= self.total {
            return None;
        }
        let claim_type = self.type_at(position)?;
        let number = self.id_number(position);
        let detail_seed = mix(self.seed ^ mix(position));
        let (start, end) = service_dates(claim_type, detail_seed);
        Some(Claim {
            claim_type,
            claim_id: format!("-{number}"),
            seed: detail_seed,
            start,
            end,
        })
    }

    /// The claim with this type and unprefixed id, if this beneficiary has it.
    pub fn find(&self, claim_type: ClaimType, claim_id: &str) -> Option<Claim> {
        let digits = claim_id.strip_prefix('-')?;
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number: u64 = digits.parse().ok()?;
        let position = number.checked_sub(self.id_base)? / self.id_step;
        let claim = self.claim_at(position)?;
        (claim.claim_type == claim_type && claim.claim_id == claim_id).then_some(claim)
    }

    /// The positions of the claims whose type is in `types`, in order.
    pub fn positions_of(&self, types: &[ClaimType]) -> Vec<u64> {
        if types.is_empty() {
            return Vec::new();
        }
        (0..self.total)
            .filter(|&p| self.type_at(p).is_some_and(|t| types.contains(&t)))
            .collect()
    }

    /// The positions of the claims `keep` accepts, in order (each claim is generated).
    pub fn positions_where(&self, keep: impl Fn(&Claim) -> bool) -> Vec<u64> {
        (0..self.total)
            .filter(|&p| self.claim_at(p).is_some_and(|claim| keep(&claim)))
            .collect()
    }

    /// Whether every claim has one of `types` (so a filter by them changes nothing).
    pub fn all_of(&self, types: &[ClaimType]) -> bool {
        self.counts.non_zero().all(|(t, _)| types.contains(&t))
    }

    fn type_at(&self, position: u64) -> Option<ClaimType> {
        let mut rank = self.permutation.apply(position);
        for (claim_type, count) in self.counts.non_zero() {
            let count = u64::from(count);
            if rank < count {
                return Some(claim_type);
            }
            rank -= count;
        }
        None
    }

    fn id_number(&self, position: u64) -> u64 {
        let jitter = mix(self.seed ^ mix(position ^ 0x5EED)) % (self.id_step / 2);
        self.id_base + position * self.id_step + jitter
    }
}

/// `start` and `end` of service for a claim of this type.
fn service_dates(claim_type: ClaimType, detail_seed: u64) -> (Date, Date) {
    let days_back = detail_seed % HISTORY_DAYS;
    let length = match claim_type {
        ClaimType::Pde => 0,
        ClaimType::Carrier | ClaimType::Dme => (detail_seed >> 16) % 3,
        ClaimType::Inpatient | ClaimType::Snf => 2 + (detail_seed >> 16) % 11,
        ClaimType::Outpatient => (detail_seed >> 16) % 2,
        ClaimType::Hha | ClaimType::Hospice => 7 + (detail_seed >> 16) % 24,
    };
    let start = add_days(DATA_EPOCH, -(days_back as i64) - length as i64);
    (start, add_days(start, length as i64))
}

fn add_days(day: Date, days: i64) -> Date {
    day.checked_add(days.days()).unwrap_or(day)
}

/// A keyed bijection on `0..size`: a balanced Feistel network on the smallest even power of
/// two that holds `size`, cycle-walked back into range.
#[derive(Debug, Clone)]
struct Permutation {
    size: u64,
    half_bits: u32,
    key: u64,
}

impl Permutation {
    const ROUNDS: u64 = 4;

    fn new(size: u64, key: u64) -> Permutation {
        let bits = 64 - size.saturating_sub(1).leading_zeros();
        Permutation {
            size,
            half_bits: bits.div_ceil(2).max(1),
            key,
        }
    }

    fn apply(&self, value: u64) -> u64 {
        let mut x = value;
        loop {
            x = self.encrypt(x);
            if x < self.size {
                return x;
            }
        }
    }

    fn encrypt(&self, value: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut left, mut right) = (value >> self.half_bits, value & mask);
        for round in 0..Self::ROUNDS {
            let f = mix(self.key ^ mix(right ^ (round << 56))) & mask;
            (left, right) = (right, left ^ f);
        }
        (left << self.half_bits) | right
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::Gender;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn bene(counts: ClaimCounts, data_seed: u64) -> Beneficiary {
        Beneficiary {
            username: "BBUser20023".into(),
            password: "PW20023!".into(),
            patient_id: "-20140000000024".into(),
            given: vec!["Jane".into()],
            family: "Doe".into(),
            gender: Gender::Female,
            birth_date: date(2014, 6, 1),
            mbi: "1S00E00AA00".into(),
            state_code: "15".into(),
            postal_code: "99999".into(),
            race_code: "1".into(),
            email: "jane@example.com".into(),
            account_created: jiff::Timestamp::UNIX_EPOCH,
            claims: counts,
            data_seed,
        }
    }

    fn counts(carrier: u32, inpatient: u32, pde: u32) -> ClaimCounts {
        ClaimCounts::from_pairs([
            (ClaimType::Carrier, carrier),
            (ClaimType::Inpatient, inpatient),
            (ClaimType::Pde, pde),
        ])
    }

    #[test]
    fn exact_counts_and_bfd_order() {
        let book = ClaimBook::of(&bene(counts(44, 1, 103), 7));
        let claims: Vec<Claim> = (0..book.total()).filter_map(|p| book.claim_at(p)).collect();
        assert_eq!(claims.len(), 148);
        for (claim_type, expected) in [
            (ClaimType::Carrier, 44),
            (ClaimType::Inpatient, 1),
            (ClaimType::Pde, 103),
        ] {
            assert_eq!(
                claims.iter().filter(|c| c.claim_type == claim_type).count(),
                expected
            );
        }
        let ids: Vec<&str> = claims.iter().map(|c| c.claim_id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            ids, sorted,
            "position order is BFD's string order of claim ids"
        );
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 148);
        assert!(book.claim_at(148).is_none());
    }

    #[test]
    fn types_are_mixed_not_blocked() {
        let book = ClaimBook::of(&bene(counts(50, 0, 50), 3));
        let first_ten: HashSet<ClaimType> = (0..10)
            .filter_map(|p| book.claim_at(p))
            .map(|c| c.claim_type)
            .collect();
        assert_eq!(first_ten.len(), 2);
    }

    #[test]
    fn find_only_own_claims() {
        let mine = ClaimBook::of(&bene(counts(10, 2, 10), 1));
        let theirs = ClaimBook::of(&bene(counts(10, 2, 10), 2));
        for p in 0..mine.total() {
            let Some(claim) = mine.claim_at(p) else {
                continue;
            };
            assert_eq!(
                mine.find(claim.claim_type, &claim.claim_id),
                Some(claim.clone())
            );
            assert_eq!(theirs.find(claim.claim_type, &claim.claim_id), None);
            let other_type = if claim.claim_type == ClaimType::Pde {
                ClaimType::Carrier
            } else {
                ClaimType::Pde
            };
            assert_eq!(mine.find(other_type, &claim.claim_id), None);
        }
        assert_eq!(mine.find(ClaimType::Carrier, "-1"), None);
        assert_eq!(mine.find(ClaimType::Carrier, "12345678901"), None);
    }

    #[test]
    fn dates_lie_in_the_four_years_before_the_load() {
        let book = ClaimBook::of(&bene(counts(30, 30, 30), 11));
        for claim in (0..book.total()).filter_map(|p| book.claim_at(p)) {
            assert!(claim.start <= claim.end);
            assert!(claim.end <= DATA_EPOCH);
            assert!(claim.start >= add_days(DATA_EPOCH, -(HISTORY_DAYS as i64) - 31));
            if claim.claim_type == ClaimType::Pde {
                assert_eq!(claim.start, claim.end);
            }
        }
    }

    #[test]
    fn filtered_positions() {
        let book = ClaimBook::of(&bene(counts(44, 1, 103), 5));
        assert_eq!(book.positions_of(&[ClaimType::Carrier]).len(), 44);
        assert_eq!(
            book.positions_of(&[ClaimType::Inpatient, ClaimType::Pde])
                .len(),
            104
        );
        assert!(book.positions_of(&[ClaimType::Dme]).is_empty());
        assert!(book.all_of(&[
            ClaimType::Carrier,
            ClaimType::Inpatient,
            ClaimType::Pde,
            ClaimType::Dme
        ]));
        assert!(!book.all_of(&[ClaimType::Carrier]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn permutation_is_a_bijection(size in 0u64..600, key in any::<u64>()) {
            let permutation = Permutation::new(size, key);
            let image: HashSet<u64> = (0..size).map(|v| permutation.apply(v)).collect();
            prop_assert_eq!(image.len() as u64, size);
            prop_assert!(image.iter().all(|&v| v < size));
        }
    }
}

//! Deterministic draws: every synthetic detail comes from a seeded ChaCha8 stream, so the
//! same seed always renders the same resource.

use super::dates::{add_days, days_between};
use jiff::civil::Date;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded source of synthetic details.
pub struct Draw {
    rng: ChaCha8Rng,
}

impl Draw {
    /// The stream of one seed (a claim's `seed`, or a seed from [`derived_seed`]).
    pub fn from_seed(seed: u64) -> Draw {
        Draw {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A number in `low..=high` (the bounds may come in either order).
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        let (low, high) = if low <= high {
            (low, high)
        } else {
            (high, low)
        };
        self.rng.random_range(low..=high)
    }

    /// An index below `len` (`0` when `len` is `0`).
    pub fn index_below(&mut self, len: usize) -> usize {
        if len == 0 {
            0
        } else {
            self.rng.random_range(0..len)
        }
    }

    /// `true` with the given chance, in percent.
    pub fn chance(&mut self, percent: u8) -> bool {
        self.between(0, 99) < i64::from(percent)
    }

    /// One entry of a code table.
    pub fn pick<'t, T, const N: usize>(&mut self, table: &'t [T; N]) -> &'t T {
        const { assert!(N > 0, "code tables are never empty") };
        // `index_below(N)` is below N, and N > 0: indexing cannot fail.
        &table[self.index_below(N)]
    }

    /// Up to `count` different entries of a list, in drawn order.
    pub fn pick_several<'t, T>(&mut self, items: &'t [T], count: usize) -> Vec<&'t T> {
        let mut remaining: Vec<&'t T> = items.iter().collect();
        let mut picked = Vec::with_capacity(count.min(items.len()));
        while picked.len() < count && !remaining.is_empty() {
            let index = self.index_below(remaining.len());
            picked.push(remaining.swap_remove(index));
        }
        picked
    }

    /// `count` decimal digits, the first one not `0` (`"48213907"`).
    pub fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|position| {
                let low = if position == 0 { 1 } else { 0 };
                char::from(b'0' + self.between(low, 9) as u8)
            })
            .collect()
    }

    /// A synthetic claim id the way BFD's synthetic data has them: negative, 10 to 11 digits.
    pub fn synthetic_claim_number(&mut self) -> String {
        let length = self.between(10, 11) as usize;
        format!("-{}", self.digits(length))
    }

    /// A National Provider Identifier: 10 digits, starting with 1 or 2, whose last digit is
    /// the Luhn check digit over the `80840` prefix, as CMS computes it.
    pub fn npi(&mut self) -> String {
        let first = self.between(1, 2);
        let body = format!("{first}{}", self.digits(8));
        format!("{body}{}", npi_check_digit(&body))
    }

    /// A day in `first..=last` (either order).
    pub fn date_between(&mut self, first: Date, last: Date) -> Date {
        let span = days_between(first, last);
        add_days(first, self.between(0, span))
    }
}

/// A seed for one purpose derived from a beneficiary's seed (`"coverage/part-d"`), so that
/// the streams of different purposes never overlap.
pub fn derived_seed(seed: u64, purpose: &str) -> u64 {
    // FNV-1a over the purpose, then the SplitMix64 finalizer over the mix.
    let purpose_hash = purpose
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    let mut mixed = seed ^ purpose_hash;
    mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    mixed ^ (mixed >> 31)
}

/// The Luhn check digit of an NPI body (9 digits), computed over `80840` + body.
fn npi_check_digit(body: &str) -> u32 {
    (10 - luhn_sum(&format!("80840{body}0")) % 10) % 10
}

/// The Luhn sum of a number: every second digit from the right, starting with the one
/// before the last, doubled (less 9 when over 9). A valid number's sum ends in 0.
fn luhn_sum(number: &str) -> u32 {
    number
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(position, digit)| match (position % 2, digit * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => digit,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn npis_are_ten_digits_with_a_valid_check_digit() {
        let mut draw = Draw::from_seed(7);
        for _ in 0..200 {
            let npi = draw.npi();
            assert_eq!(npi.len(), 10, "{npi}");
            assert!(npi.starts_with('1') || npi.starts_with('2'), "{npi}");
            assert!(luhn_sum(&format!("80840{npi}")).is_multiple_of(10), "{npi}");
        }
        // A published example NPI (CMS NPI check-digit guidance).
        assert_eq!(npi_check_digit("123456789"), 3);
    }

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let draws = |seed| {
            let mut draw = Draw::from_seed(seed);
            (0..8)
                .map(|_| draw.between(0, 1_000_000))
                .collect::<Vec<_>>()
        };
        assert_eq!(draws(1), draws(1));
        assert_ne!(draws(1), draws(2));
    }

    #[test]
    fn derived_seeds_differ_by_purpose() {
        assert_ne!(
            derived_seed(5, "coverage/part-c"),
            derived_seed(5, "coverage/part-d")
        );
        assert_eq!(derived_seed(5, "enrollment"), derived_seed(5, "enrollment"));
    }

    #[test]
    fn picks_stay_inside_their_table() {
        let mut draw = Draw::from_seed(3);
        let table = ["a", "b", "c"];
        for _ in 0..50 {
            assert!(table.contains(draw.pick(&table)));
        }
        let several = draw.pick_several(&table, 5);
        assert_eq!(several.len(), 3);
        assert!(draw.pick_several::<u8>(&[], 2).is_empty());
    }

    #[test]
    fn dates_between_stay_inside_the_range() {
        let mut draw = Draw::from_seed(11);
        let (first, last) = (date(2024, 2, 27), date(2024, 3, 2));
        for _ in 0..50 {
            let day = draw.date_between(last, first);
            assert!(first <= day && day <= last, "{day}");
        }
    }
}

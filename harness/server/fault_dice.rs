//! Seeded draws for faults and delays: whether a fault with a `rate` strikes, how long a
//! log-normal latency lasts, which random bytes `random-bytes` sends.
//!
//! Each kind of draw is a numbered sequence taken from the scenario's `seed` (ChaCha8, one
//! stream per kind; draw number k reads at a fixed offset of that stream), and each request
//! takes the next number of its kind with one atomic counter. So the same seed and the same
//! requests in the same order give the same draws on any server, without a lock; a reset or a
//! load starts the sequences again.

use crate::scenario::Latency;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many bytes `random-bytes` sends.
pub const NOISE_LEN: usize = 256;

/// One kind of draw: its ChaCha stream and how many 32-bit words one draw may read.
#[derive(Clone, Copy)]
struct Kind {
    stream: u64,
    words: u128,
}

const STRIKE: Kind = Kind {
    stream: 1,
    words: 2,
};
const LATENCY: Kind = Kind {
    stream: 2,
    words: 4,
};
const NOISE: Kind = Kind {
    stream: 3,
    words: (NOISE_LEN / 4) as u128,
};

/// The draws of one live scenario.
#[derive(Debug)]
pub struct FaultDice {
    seeded: ChaCha8Rng,
    strikes: AtomicU64,
    latencies: AtomicU64,
    noises: AtomicU64,
}

impl FaultDice {
    /// The draws of `seed`, none taken yet.
    pub fn new(seed: u64) -> FaultDice {
        FaultDice {
            seeded: ChaCha8Rng::seed_from_u64(seed),
            strikes: AtomicU64::new(0),
            latencies: AtomicU64::new(0),
            noises: AtomicU64::new(0),
        }
    }

    /// Whether the next fault with this `rate` (the fraction of requests it strikes) strikes.
    pub fn strikes(&self, rate: f64) -> bool {
        self.next(STRIKE, &self.strikes).random::<f64>() < rate
    }

    /// The next latency: a fixed one as written (no draw), a log-normal one drawn.
    pub fn latency(&self, latency: Latency) -> Duration {
        match latency {
            Latency::Fixed(fixed) => fixed,
            Latency::LogNormal { median, sigma } => {
                let mut rng = self.next(LATENCY, &self.latencies);
                // Box–Muller: a standard normal z from two uniforms (1 - u is in (0, 1], so the
                // log is finite); then median · e^(σz) is log-normal with that median.
                let u1 = 1.0 - rng.random::<f64>();
                let u2 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let seconds = median.as_secs_f64() * (sigma * z).exp();
                Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
            }
        }
    }

    /// The next bytes `random-bytes` sends: random, and never the start of an HTTP answer
    /// (the first byte is not ASCII).
    pub fn noise(&self) -> [u8; NOISE_LEN] {
        let mut bytes = [0u8; NOISE_LEN];
        self.next(NOISE, &self.noises).fill(&mut bytes[..]);
        bytes[0] |= 0x80;
        bytes
    }

    /// The generator positioned at the next draw of `kind`.
    fn next(&self, kind: Kind, counter: &AtomicU64) -> ChaCha8Rng {
        let k = counter.fetch_add(1, Ordering::Relaxed);
        let mut rng = self.seeded.clone();
        rng.set_stream(kind.stream);
        rng.set_word_pos(u128::from(k) * kind.words);
        rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGNORMAL: Latency = Latency::LogNormal {
        median: Duration::from_millis(100),
        sigma: 0.5,
    };

    fn strikes(dice: &FaultDice, rate: f64, n: usize) -> Vec<bool> {
        (0..n).map(|_| dice.strikes(rate)).collect()
    }

    #[test]
    fn the_same_seed_draws_the_same_sequence() {
        assert_eq!(
            strikes(&FaultDice::new(7), 0.5, 64),
            strikes(&FaultDice::new(7), 0.5, 64)
        );
        assert_ne!(
            strikes(&FaultDice::new(7), 0.5, 64),
            strikes(&FaultDice::new(8), 0.5, 64)
        );
        let latencies = |seed| {
            let dice = FaultDice::new(seed);
            (0..16).map(|_| dice.latency(LOGNORMAL)).collect::<Vec<_>>()
        };
        assert_eq!(latencies(3), latencies(3));
        assert_ne!(latencies(3), latencies(4));
        assert_eq!(FaultDice::new(1).noise(), FaultDice::new(1).noise());
        assert_ne!(FaultDice::new(1).noise(), FaultDice::new(2).noise());
    }

    #[test]
    fn kinds_of_draws_do_not_shift_each_other() {
        let plain = FaultDice::new(5);
        let mixed = FaultDice::new(5);
        let expected = strikes(&plain, 0.3, 20);
        let found: Vec<bool> = (0..20)
            .map(|_| {
                mixed.latency(LOGNORMAL);
                mixed.noise();
                mixed.strikes(0.3)
            })
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn rates_strike_about_their_fraction() {
        let dice = FaultDice::new(11);
        let struck = strikes(&dice, 0.25, 4000).iter().filter(|s| **s).count();
        assert!((800..1200).contains(&struck), "{struck} of 4000");
        assert!(strikes(&dice, 1.0, 100).iter().all(|s| *s));
    }

    #[test]
    fn lognormal_latencies_center_on_their_median() {
        let dice = FaultDice::new(0);
        let mut samples: Vec<Duration> = (0..2001).map(|_| dice.latency(LOGNORMAL)).collect();
        samples.sort();
        let median = samples[1000].as_secs_f64();
        assert!((0.085..0.115).contains(&median), "median {median}");
        // σ = 0.5: about 16% of samples lie above median · e^0.5.
        let above = samples
            .iter()
            .filter(|s| s.as_secs_f64() > 0.1 * 0.5f64.exp());
        assert!((220..420).contains(&above.count()));
        let fixed = Latency::Fixed(Duration::from_millis(250));
        assert_eq!(dice.latency(fixed), Duration::from_millis(250));
    }

    #[test]
    fn noise_is_not_http() {
        for seed in 0..50 {
            let noise = FaultDice::new(seed).noise();
            assert!(!noise[0].is_ascii());
        }
    }
}

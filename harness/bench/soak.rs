//! `bbh bench --soak SECS`: a long run of the sandbox population's journeys (authorize, token,
//! first EOB page, Patient) round and round, on many keep-alive connections, against one
//! `bbh serve`; its resident memory and the failures are sampled as it goes.

use super::BenchError;
use super::startup::{Population, Rounds, rss_kib, spawn_serve};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How often the soak samples memory and counts.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// One sample of a soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Since the load started.
    pub at: Duration,
    /// Journeys started so far (each a sign-in, unless its login is absent).
    pub journeys: usize,
    /// Requests sent so far.
    pub requests: usize,
    /// Journeys failed so far.
    pub failures: usize,
    /// `VmRSS` of `bbh serve`, in KiB.
    pub rss_kib: u64,
}

/// What a soak saw.
#[derive(Debug, Clone)]
pub struct Soak {
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// The samples, every [`SAMPLE_EVERY`] and at the end.
    pub samples: Vec<Sample>,
    /// Peak resident set of `bbh serve` (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// The first failure, if any.
    pub first_failure: Option<String>,
}

impl Soak {
    /// Whether no journey failed.
    pub fn passed(&self) -> bool {
        self.samples.last().is_none_or(|last| last.failures == 0)
    }
}

impl fmt::Display for Soak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "soak: sandbox population journeys (authorize, token, EOB page, Patient) round and \
             round, {} connections:",
            self.connections
        )?;
        writeln!(
            f,
            "  {:>7}  {:>10}  {:>10}  {:>7}  {:>9}  {:>8}",
            "time s", "journeys", "requests", "failed", "req/s", "RSS MiB"
        )?;
        let mut previous: Option<&Sample> = None;
        for sample in &self.samples {
            let (seconds, requests) = match previous {
                Some(before) => (
                    (sample.at - before.at).as_secs_f64(),
                    sample.requests - before.requests,
                ),
                None => (sample.at.as_secs_f64(), sample.requests),
            };
            let rate = if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            };
            writeln!(
                f,
                "  {:>7.0}  {:>10}  {:>10}  {:>7}  {:>9.0}  {:>8.1}",
                sample.at.as_secs_f64(),
                sample.journeys,
                sample.requests,
                sample.failures,
                rate,
                sample.rss_kib as f64 / 1024.0
            )?;
            previous = Some(sample);
        }
        if let (Some(first), Some(last)) = (self.samples.first(), self.samples.last())
            && last.journeys > first.journeys
        {
            let growth = last.rss_kib as f64 - first.rss_kib as f64;
            writeln!(
                f,
                "  RSS from the first sample to the last: {:+.1} MiB, {:+.2} KiB per journey",
                growth / 1024.0,
                growth / (last.journeys - first.journeys) as f64
            )?;
        }
        writeln!(
            f,
            "  peak RSS {:.1} MiB (VmHWM)",
            self.peak_rss_kib as f64 / 1024.0
        )?;
        if let Some(failure) = &self.first_failure {
            writeln!(f, "  first failure: {failure}")?;
        }
        write!(
            f,
            "  no failed journey: {}",
            if self.passed() { "yes" } else { "NO" }
        )
    }
}

/// Runs the population's journeys on `connections` connections against a fresh `bbh serve`
/// for `duration`, sampling every [`SAMPLE_EVERY`] (each sample also printed on stderr).
pub async fn soak(bbh: &Path, connections: usize, duration: Duration) -> Result<Soak, BenchError> {
    let served = spawn_serve(bbh, &[]).await?;
    let population = Population::new(&served.origin);
    let started = Instant::now();
    let (stop_sampling, stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = {
        let population = Arc::clone(&population);
        let pid = served.pid;
        tokio::spawn(async move {
            let mut stopped = stopped;
            let mut samples = Vec::new();
            let mut ticks = tokio::time::interval_at(
                tokio::time::Instant::from_std(started + SAMPLE_EVERY),
                SAMPLE_EVERY,
            );
            loop {
                tokio::select! {
                    _ = &mut stopped => return Ok::<Vec<Sample>, BenchError>(samples),
                    _ = ticks.tick() => {}
                }
                let sample = match take_sample(&population, pid, started) {
                    Ok(sample) => sample,
                    Err(error) => {
                        // `bbh serve` is gone: the journeys would only fail from now on.
                        population.stop();
                        return Err(error);
                    }
                };
                eprintln!(
                    "bbh bench: soak {:.0} s: {} journeys, {} failed, {:.1} MiB",
                    sample.at.as_secs_f64(),
                    sample.journeys,
                    sample.failures,
                    sample.rss_kib as f64 / 1024.0
                );
                samples.push(sample);
            }
        })
    };
    let driven = population
        .drive(connections, Rounds::Until(started + duration))
        .await;
    let _ = stop_sampling.send(());
    let last = take_sample(&population, served.pid, started);
    let peak_rss_kib = rss_kib(served.pid, "VmHWM:");
    let sampled = sampler
        .await
        .map_err(|error| BenchError::Server(format!("the soak's sampler failed: {error}")));
    served.stop().await?;
    driven?;
    let mut samples = sampled??;
    let last = last?;
    // A tick taken in the last second, before the last journeys ended, gives way to the end.
    if samples
        .last()
        .is_some_and(|tick| last.at.saturating_sub(tick.at) < Duration::from_secs(1))
    {
        samples.pop();
    }
    samples.push(last);
    Ok(Soak {
        connections,
        samples,
        peak_rss_kib: peak_rss_kib?,
        first_failure: population.take_first_failure(),
    })
}

/// The counts so far and `bbh serve`'s resident set now.
fn take_sample(population: &Population, pid: u32, started: Instant) -> Result<Sample, BenchError> {
    Ok(Sample {
        at: started.elapsed(),
        // `next` also counts each worker's last, unstarted, claim.
        journeys: population.next.load(Ordering::Relaxed),
        requests: population.sent.load(Ordering::Relaxed),
        failures: population.failures.load(Ordering::Relaxed),
        rss_kib: rss_kib(pid, "VmRSS:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: u64, journeys: usize, failures: usize, rss_mib: u64) -> Sample {
        Sample {
            at: Duration::from_secs(secs),
            journeys,
            requests: journeys * 4,
            failures,
            rss_kib: rss_mib * 1024,
        }
    }

    #[test]
    fn the_report_shows_rates_and_growth_per_journey() {
        let soak = Soak {
            connections: 8,
            samples: vec![sample(10, 1000, 0, 40), sample(20, 3048, 0, 42)],
            peak_rss_kib: 43 * 1024,
            first_failure: None,
        };
        let text = soak.to_string();
        assert!(soak.passed());
        // 2,048 journeys and 2 MiB between the samples: 1 KiB each; 8,192 requests in 10 s.
        assert!(text.contains("+2.0 MiB, +1.00 KiB per journey"), "{text}");
        assert!(text.contains("      819  "), "{text}");
        assert!(text.ends_with("no failed journey: yes"), "{text}");
    }

    #[test]
    fn a_failed_journey_fails_the_soak() {
        let soak = Soak {
            connections: 1,
            samples: vec![sample(10, 10, 1, 30)],
            peak_rss_kib: 30 * 1024,
            first_failure: Some("GET /x: 500".to_owned()),
        };
        assert!(!soak.passed());
        let text = soak.to_string();
        assert!(text.contains("first failure: GET /x: 500"), "{text}");
        assert!(text.ends_with("no failed journey: NO"), "{text}");
    }
}

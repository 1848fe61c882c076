//! `then.fault` and `then.delay` of a stub: what goes wrong instead of the answer and how often,
//! and how long and how slowly the answer goes out.
//!
//! ```yaml
//! fault: connection-reset                                  # every matching request
//! fault: {kind: too-many-requests, retry_after: 30, rate: 0.25}
//! delay: 250ms                                             # = {fixed: 250ms}
//! delay: {lognormal: {median: 100ms, sigma: 0.5}, dribble: {chunks: 10, over: 2s}}
//! ```
//! Durations carry a unit: `250ms`, `2s`, `1.5s`, `1m`.

use crate::scenario::model::{BackendFault, Delay, Dribble, Fault, FaultSpec, Latency};
use crate::scenario::reader::{Field, Reader, in_range, integer, then};
use crate::scenario::yaml::ScalarKind;
use marked_yaml::Node;
use std::time::Duration;

const FAULT_KEYS: &[&str] = &["kind", "retry_after", "rate"];
const DELAY_KEYS: &[&str] = &["fixed", "lognormal", "dribble"];
const LOGNORMAL_KEYS: &[&str] = &["median", "sigma"];
const DRIBBLE_KEYS: &[&str] = &["chunks", "over"];

/// How many pieces a dribbled body is sent in.
const CHUNKS: std::ops::RangeInclusive<u32> = 2..=100_000;

/// The largest log-normal `sigma`: with a median of 100ms, one delay in a thousand is then
/// already days long, and a larger one gives latencies of years.
const MAX_SIGMA: f64 = 5.0;

/// The longest duration a delay takes (about 584 years): its nanoseconds fit 64 bits.
const LONGEST: Duration = Duration::from_nanos(u64::MAX);

/// `Retry-After` of `too-many-requests` when the file gives none, in seconds.
pub const DEFAULT_RETRY_AFTER: u64 = 1;

/// Every fault kind, in the order messages list them.
const KINDS: [Fault; 9] = [
    Fault::Backend(BackendFault::Failure),
    Fault::Backend(BackendFault::Timeout),
    Fault::TooManyRequests {
        retry_after: DEFAULT_RETRY_AFTER,
    },
    Fault::ConnectionReset,
    Fault::EmptyResponse,
    Fault::MalformedChunk,
    Fault::RandomBytes,
    Fault::TruncatedGzip,
    Fault::GzipHeaderOnly,
];

/// Units of a duration, longest suffix first (`ms` before `m`), with their length.
const UNITS: [(&str, Duration); 3] = [
    ("ms", Duration::from_millis(1)),
    ("s", Duration::from_secs(1)),
    ("m", Duration::from_secs(60)),
];

impl Fault {
    /// The name used in scenario files (`connection-reset`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Fault::Backend(fault) => fault.name(),
            Fault::TooManyRequests { .. } => "too-many-requests",
            Fault::ConnectionReset => "connection-reset",
            Fault::EmptyResponse => "empty-response",
            Fault::MalformedChunk => "malformed-chunk",
            Fault::RandomBytes => "random-bytes",
            Fault::TruncatedGzip => "truncated-gzip",
            Fault::GzipHeaderOnly => "gzip-header-only",
        }
    }

    /// Parses a fault name; `too-many-requests` gets [`DEFAULT_RETRY_AFTER`].
    pub fn from_name(name: &str) -> Option<Fault> {
        KINDS.into_iter().find(|fault| fault.name() == name)
    }
}

/// `then.fault`: a fault name, or `{kind, retry_after, rate}`.
pub fn fault(r: &mut Reader, node: &Node, key: &str) -> Option<FaultSpec> {
    match node {
        Node::Scalar(_) => {
            let name = r.string(node, key)?;
            let fault = kind(&name).map_err(|message| r.error(node.span(), key, message));
            Some(FaultSpec {
                fault: fault.ok()?,
                rate: None,
            })
        }
        Node::Mapping(_) => {
            let map = r.mapping(node, key, FAULT_KEYS)?;
            let fault = r.required(map, key, "kind", |r, node, key| {
                let name = r.string(node, key)?;
                kind(&name)
                    .map_err(|message| r.error(node.span(), key, message))
                    .ok()
            });
            let retry_after = r.optional(map, key, "retry_after", integer(0..=u64::MAX));
            let rate = r.optional(map, key, "rate", rate);
            let mut fault = fault?.value;
            match (&mut fault, retry_after) {
                (Fault::TooManyRequests { retry_after }, Field::Given(given)) => {
                    *retry_after = given.value;
                }
                (_, Field::Given(given)) => {
                    let message = format!(
                        "`retry_after` applies to `too-many-requests` only, not to `{}`",
                        fault.name()
                    );
                    r.error(&given.span, &given.key, message);
                    return None;
                }
                (_, Field::Invalid) => return None,
                (_, Field::Absent) => {}
            }
            Some(FaultSpec {
                fault,
                rate: rate.map(Some).or(None)?,
            })
        }
        Node::Sequence(_) => {
            let message = "expected a fault name such as `connection-reset` or a mapping \
                           {kind, retry_after, rate}, found a list";
            r.error(node.span(), key, message);
            None
        }
    }
}

/// A fault kind by name, or a message listing the kinds.
fn kind(name: &str) -> Result<Fault, String> {
    Fault::from_name(name).ok_or_else(|| {
        let names: Vec<String> = KINDS
            .iter()
            .map(|fault| format!("`{}`", fault.name()))
            .collect();
        format!(
            "unknown fault `{name}`; expected one of: {}",
            names.join(", ")
        )
    })
}

/// A fraction of requests: a number above 0 and at most 1.
fn rate(r: &mut Reader, node: &Node, key: &str) -> Option<f64> {
    checked_number(r, node, key, fraction, RATE_EXPECTED)
}

/// A number read from `node` and checked by `check`; `expected` (what `check` says first)
/// is the message when `node` is not a number.
fn checked_number(
    r: &mut Reader,
    node: &Node,
    key: &str,
    check: impl Fn(f64) -> Result<f64, String>,
    expected: &str,
) -> Option<f64> {
    let checked = match number(node) {
        Some(value) => check(value),
        None => Err(format!("{expected}, found {}", found(node))),
    };
    checked
        .map_err(|message| r.error(node.span(), key, message))
        .ok()
}

const RATE_EXPECTED: &str =
    "expected a fraction of the matching requests above 0 and at most 1 such as `0.25`";

/// The rate of a fault: a fraction of the matching requests above 0 and at most 1.
pub(crate) fn fraction(rate: f64) -> Result<f64, String> {
    if rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(format!("{RATE_EXPECTED}, found `{rate}`"))
    }
}

const SIGMA_EXPECTED: &str =
    "expected a positive number such as `0.5` (the spread of the log of the delay)";

/// The shape of a log-normal latency: above 0 and at most [`MAX_SIGMA`].
pub(crate) fn sigma(sigma: f64) -> Result<f64, String> {
    if sigma.is_nan() || sigma <= 0.0 {
        Err(format!("{SIGMA_EXPECTED}, found `{sigma}`"))
    } else if sigma > MAX_SIGMA {
        Err(format!(
            "expected a sigma of at most {MAX_SIGMA} such as `0.5`: a larger one gives delays \
             of years, found `{sigma}`"
        ))
    } else {
        Ok(sigma)
    }
}

/// The median of a log-normal latency: above zero.
pub(crate) fn median(median: Duration) -> Result<Duration, String> {
    if median.is_zero() {
        Err("a log-normal median is above zero: use `fixed: 0ms` for no latency".to_owned())
    } else {
        Ok(median)
    }
}

/// The number of pieces of a dribbled body: from 2 to 100000.
pub(crate) fn chunks(chunks: u32) -> Result<u32, String> {
    in_range(&CHUNKS, chunks)
}

/// A duration of a delay: at most [`LONGEST`]; `written` is how it was given, for the message.
pub(crate) fn within_longest(duration: Duration, written: &str) -> Result<Duration, String> {
    if duration <= LONGEST {
        Ok(duration)
    } else {
        Err(format!("`{written}` is too long a duration"))
    }
}

/// The value of an integer or floating-point scalar, if finite.
fn number(node: &Node) -> Option<f64> {
    let scalar = node.as_scalar()?;
    match ScalarKind::of(scalar) {
        ScalarKind::Int | ScalarKind::Float => scalar
            .as_str()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite()),
        _ => None,
    }
}

/// How a message shows what was written: a scalar's text, else what the node is.
fn found(node: &Node) -> String {
    match node.as_scalar() {
        Some(scalar) if ScalarKind::of(scalar) != ScalarKind::Null => {
            format!("`{}`", scalar.as_str())
        }
        _ => crate::scenario::yaml::describe(node).to_owned(),
    }
}

/// `then.delay`: a duration (the latency), or `{fixed | lognormal, dribble}`.
pub fn delay(r: &mut Reader, node: &Node, key: &str) -> Option<Delay> {
    if node.as_mapping().is_none() {
        if node.as_sequence().is_some() {
            let message = "expected a duration such as `250ms` or a mapping with `fixed`, \
                           `lognormal` or `dribble`, found a list";
            r.error(node.span(), key, message);
            return None;
        }
        return Some(Delay {
            latency: Some(Latency::Fixed(duration(r, node, key)?)),
            dribble: None,
        });
    }
    let map = r.mapping(node, key, DELAY_KEYS)?;
    let fixed = r.optional(map, key, "fixed", duration);
    let lognormal = r.optional(map, key, "lognormal", lognormal);
    let dribble = r.optional(map, key, "dribble", dribble);
    if let (Field::Given(_), Field::Given(second)) = (&fixed, &lognormal) {
        let message = "`fixed` and `lognormal` are exclusive: give one latency";
        r.error(&second.span, &second.key, message);
        return None;
    }
    if map.is_empty() {
        let message = "expected at least one of `fixed`, `lognormal`, `dribble`";
        r.error(node.span(), key, message);
        return None;
    }
    let fixed = fixed.map(|fixed| Some(Latency::Fixed(fixed))).or(None);
    let (fixed, lognormal) = (fixed, lognormal.map(Some).or(None));
    let dribble = dribble.map(Some).or(None);
    Some(Delay {
        latency: fixed?.or(lognormal?),
        dribble: dribble?,
    })
}

/// `{median, sigma}` of a log-normal latency.
fn lognormal(r: &mut Reader, node: &Node, key: &str) -> Option<Latency> {
    let map = r.mapping(node, key, LOGNORMAL_KEYS)?;
    let median = r.required(map, key, "median", then(duration, self::median));
    let sigma = r.required(map, key, "sigma", |r, node, key| {
        checked_number(r, node, key, self::sigma, SIGMA_EXPECTED)
    });
    Some(Latency::LogNormal {
        median: median?.value,
        sigma: sigma?.value,
    })
}

/// `{chunks, over}` of a dribbled body.
fn dribble(r: &mut Reader, node: &Node, key: &str) -> Option<Dribble> {
    let map = r.mapping(node, key, DRIBBLE_KEYS)?;
    let chunks = r.required(map, key, "chunks", integer(CHUNKS));
    let over = r.required(map, key, "over", duration);
    Some(Dribble {
        chunks: chunks?.value,
        over: over?.value,
    })
}

/// A duration with its unit (`250ms`, `2s`, `1.5s`, `1m`).
fn duration(r: &mut Reader, node: &Node, key: &str) -> Option<Duration> {
    let parsed = match node.as_scalar() {
        Some(scalar) if ScalarKind::of(scalar) != ScalarKind::Null => {
            parse_duration(scalar.as_str())
        }
        _ => Err(format!(
            "expected a duration such as `250ms`, `2s`, `1.5s` or `1m`, found {}",
            found(node)
        )),
    };
    parsed
        .map_err(|message| r.error(node.span(), key, message))
        .ok()
}

/// Parses a decimal number followed by `ms`, `s` or `m`; a bare number names the units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let expected = || {
        format!(
            "expected a duration such as `250ms`, `2s`, `1.5s` or `1m` (a number and a unit: \
             ms, s or m), found `{text}`"
        )
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let well_formed = !whole.is_empty()
        && fraction.is_empty() != number.contains('.')
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() <= 9;
    if !well_formed {
        return Err(expected());
    }
    if unit.is_empty() {
        return Err(format!(
            "`{text}` has no unit: write it with ms, s or m, such as `250ms`, `2s`, `1.5s` or \
             `1m`"
        ));
    }
    let Some((_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(expected());
    };
    // Exact decimal arithmetic in nanoseconds: `1.5s` is 1_500_000_000 ns, not a float.
    let digits: u128 = format!("{whole}{fraction}")
        .parse()
        .map_err(|_| expected())?;
    let duration = digits
        .checked_mul(scale.as_nanos())
        .map(|n| n / 10u128.pow(fraction.len() as u32))
        .and_then(|n| u64::try_from(n).ok())
        .map_or(Duration::MAX, Duration::from_nanos);
    within_longest(duration, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{Source, StubThen};
    use crate::scenario::parse;

    /// The `then` of each stub of a file whose stubs all answer `/x` with these `then`s.
    fn parse_thens(thens: &[&str]) -> Result<Vec<StubThen>, Vec<String>> {
        let stubs: String = thens
            .iter()
            .map(|then| format!("  - when: {{path: /x}}\n    then: {then}\n"))
            .collect();
        let text = format!("version: 1\nname: t\nstubs:\n{stubs}");
        let prefix = format!("{}:", Source::Builtin("test"));
        parse(&text, Source::Builtin("test"))
            .map(|scenario| scenario.stubs.into_iter().map(|stub| stub.then).collect())
            .map_err(|errors| {
                errors
                    .iter()
                    .map(|e| e.to_string().replacen(&prefix, "", 1))
                    .collect()
            })
    }

    fn then_of(then: &str) -> StubThen {
        match parse_thens(&[then]) {
            Ok(mut thens) => thens.remove(0),
            Err(errors) => panic!("{then}: {errors:#?}"),
        }
    }

    fn errors_of(thens: &[&str]) -> Vec<String> {
        match parse_thens(thens) {
            Ok(thens) => panic!("expected errors, parsed {thens:#?}"),
            Err(errors) => errors,
        }
    }

    #[test]
    fn every_fault_kind_by_name_and_as_a_mapping() {
        for fault in KINDS {
            let then = then_of(&format!("{{fault: {}}}", fault.name()));
            assert_eq!(then.fault, Some(FaultSpec { fault, rate: None }));
            let then = then_of(&format!("{{fault: {{kind: {}}}}}", fault.name()));
            assert_eq!(then.fault, Some(FaultSpec { fault, rate: None }));
        }
        let then = then_of("{fault: {kind: too-many-requests, retry_after: 30, rate: 0.25}}");
        assert_eq!(
            then.fault,
            Some(FaultSpec {
                fault: Fault::TooManyRequests { retry_after: 30 },
                rate: Some(0.25),
            })
        );
        assert_eq!(
            then_of("{fault: {kind: random-bytes, rate: 1}}").fault,
            Some(FaultSpec {
                fault: Fault::RandomBytes,
                rate: Some(1.0),
            })
        );
    }

    #[test]
    fn a_fault_with_a_rate_answers_the_others_with_the_rest_of_then() {
        let then = then_of("{status: 201, body: ok, fault: {kind: backend-failure, rate: 0.5}}");
        assert_eq!(then.body.as_deref(), Some(&b"ok"[..]));
        let then = then_of("{passthrough: true, fault: {kind: connection-reset, rate: 0.1}}");
        assert!(then.passthrough.is_some());
        assert_eq!(
            errors_of(&["{passthrough: true, fault: {kind: connection-reset}}"]),
            [
                "5:38: stubs[0].then.fault: `fault` without a `rate` replaces the answer: it \
              excludes `body`, `body_file` and `passthrough: true` (with a `rate`, they answer \
              the requests the fault spares)"
            ]
        );
    }

    #[test]
    fn fault_errors_name_what_is_allowed() {
        assert_eq!(
            errors_of(&[
                "{fault: {kind: reset}}",
                "{fault: {kind: connection-reset, retry_after: 5}}",
                "{fault: {kind: too-many-requests, retry_after: -1}}",
                "{fault: {kind: empty-response, rate: 0}}",
                "{fault: {kind: empty-response, rate: 1.5}}",
                "{fault: {kind: empty-response, rate: often}}",
                "{fault: {rate: 0.5}}",
                "{fault: {kind: empty-response, every: 2}}",
                "{fault: [connection-reset]}",
                "{fault: 5}",
            ]),
            [
                "5:26: stubs[0].then.fault.kind: unknown fault `reset`; expected one of: \
                 `backend-failure`, `backend-timeout`, `too-many-requests`, \
                 `connection-reset`, `empty-response`, `malformed-chunk`, `random-bytes`, \
                 `truncated-gzip`, `gzip-header-only`",
                "7:57: stubs[1].then.fault.retry_after: `retry_after` applies to \
                 `too-many-requests` only, not to `connection-reset`",
                "9:58: stubs[2].then.fault.retry_after: expected an integer from 0 to \
                 18446744073709551615, found -1",
                "11:48: stubs[3].then.fault.rate: expected a fraction of the matching requests \
                 above 0 and at most 1 such as `0.25`, found `0`",
                "13:48: stubs[4].then.fault.rate: expected a fraction of the matching requests \
                 above 0 and at most 1 such as `0.25`, found `1.5`",
                "15:48: stubs[5].then.fault.rate: expected a fraction of the matching requests \
                 above 0 and at most 1 such as `0.25`, found `often`",
                "17:19: stubs[6].then.fault: missing required key `kind`",
                "19:42: stubs[7].then.fault.every: unknown key `every`; expected one of: kind, \
                 retry_after, rate",
                "21:19: stubs[8].then.fault: expected a fault name such as `connection-reset` \
                 or a mapping {kind, retry_after, rate}, found a list",
                "23:19: stubs[9].then.fault: expected a string, found an integer (quote it to \
                 make it a string)",
            ]
        );
    }

    #[test]
    fn durations_carry_a_unit() {
        for (text, expected) in [
            ("250ms", Duration::from_millis(250)),
            ("2s", Duration::from_secs(2)),
            ("1.5s", Duration::from_millis(1500)),
            ("1m", Duration::from_secs(60)),
            ("0.25m", Duration::from_secs(15)),
            ("0ms", Duration::ZERO),
            ("1.000000001s", Duration::from_nanos(1_000_000_001)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
        for text in ["5", "1.5"] {
            assert_eq!(
                parse_duration(text),
                Err(format!(
                    "`{text}` has no unit: write it with ms, s or m, such as `250ms`, `2s`, \
                     `1.5s` or `1m`"
                ))
            );
        }
        for text in [
            "5h",
            "5 s",
            ".5s",
            "1.s",
            "-1s",
            "s",
            "1e3ms",
            "1.2.3s",
            "",
            "1.0000000001s",
        ] {
            assert_eq!(
                parse_duration(text),
                Err(format!(
                    "expected a duration such as `250ms`, `2s`, `1.5s` or `1m` (a number and a \
                     unit: ms, s or m), found `{text}`"
                )),
                "{text}"
            );
        }
        assert_eq!(
            parse_duration("99999999999999999999m"),
            Err("`99999999999999999999m` is too long a duration".to_owned())
        );
    }

    #[test]
    fn delays_fixed_lognormal_and_dribbled() {
        let fixed = |ms| Some(Latency::Fixed(Duration::from_millis(ms)));
        assert_eq!(
            then_of("{delay: 250ms}").delay,
            Some(Delay {
                latency: fixed(250),
                dribble: None,
            })
        );
        assert_eq!(
            then_of("{delay: {fixed: 2s}}").delay,
            Some(Delay {
                latency: fixed(2000),
                dribble: None,
            })
        );
        let dribble = Some(Dribble {
            chunks: 10,
            over: Duration::from_secs(2),
        });
        assert_eq!(
            then_of(
                "{delay: {lognormal: {median: 100ms, sigma: 0.5}, dribble: {chunks: 10, over: 2s}}}"
            )
            .delay,
            Some(Delay {
                latency: Some(Latency::LogNormal {
                    median: Duration::from_millis(100),
                    sigma: 0.5,
                }),
                dribble,
            })
        );
        assert_eq!(
            then_of("{delay: {dribble: {chunks: 10, over: 2s}}}").delay,
            Some(Delay {
                latency: None,
                dribble,
            })
        );
        // A delay goes with any answer, faults included.
        let then = then_of("{fault: connection-reset, delay: 1s}");
        assert_eq!(then.delay.and_then(|d| d.latency), fixed(1000));
    }

    #[test]
    fn a_lognormal_sigma_is_at_most_5() {
        let latency = then_of("{delay: {lognormal: {median: 100ms, sigma: 5}}}")
            .delay
            .and_then(|delay| delay.latency);
        assert_eq!(
            latency,
            Some(Latency::LogNormal {
                median: Duration::from_millis(100),
                sigma: MAX_SIGMA,
            })
        );
        assert_eq!(
            errors_of(&[
                "{delay: {lognormal: {median: 100ms, sigma: 5.5}}}",
                "{delay: {lognormal: {median: 100ms, sigma: 40}}}",
            ]),
            [
                "5:54: stubs[0].then.delay.lognormal.sigma: expected a sigma of at most 5 such \
                 as `0.5`: a larger one gives delays of years, found `5.5`",
                "7:54: stubs[1].then.delay.lognormal.sigma: expected a sigma of at most 5 such \
                 as `0.5`: a larger one gives delays of years, found `40`",
            ]
        );
        // The rule the Rust API checks its mocks with.
        assert_eq!(sigma(5.0), Ok(5.0));
        assert!(sigma(5.000001).is_err());
        assert!(sigma(f64::INFINITY).is_err());
        assert!(sigma(f64::NAN).is_err());
        assert_eq!(
            sigma(0.0),
            Err(
                "expected a positive number such as `0.5` (the spread of the log of the delay), \
                 found `0`"
                    .to_owned()
            )
        );
    }

    #[test]
    fn delay_errors_are_reported_at_their_key() {
        assert_eq!(
            errors_of(&[
                "{delay: 5}",
                "{delay: {fixed: 1s, lognormal: {median: 1s, sigma: 1}}}",
                "{delay: {}}",
                "{delay: {lognormal: {median: 0ms, sigma: 0}}}",
                "{delay: {lognormal: {median: 1s}}}",
                "{delay: {dribble: {chunks: 1, over: 2}}}",
                "{delay: {jitter: 1s}}",
                "{delay: [1s]}",
                "{delay: }",
            ]),
            [
                "5:19: stubs[0].then.delay: `5` has no unit: write it with ms, s or m, such as \
                 `250ms`, `2s`, `1.5s` or `1m`",
                "7:42: stubs[1].then.delay.lognormal: `fixed` and `lognormal` are exclusive: \
                 give one latency",
                "9:19: stubs[2].then.delay: expected at least one of `fixed`, `lognormal`, \
                 `dribble`",
                "11:40: stubs[3].then.delay.lognormal.median: a log-normal median is above \
                 zero: use `fixed: 0ms` for no latency",
                "11:52: stubs[3].then.delay.lognormal.sigma: expected a positive number such \
                 as `0.5` (the spread of the log of the delay), found `0`",
                "13:31: stubs[4].then.delay.lognormal: missing required key `sigma`",
                "15:38: stubs[5].then.delay.dribble.chunks: expected an integer from 2 to \
                 100000, found 1",
                "15:47: stubs[5].then.delay.dribble.over: `2` has no unit: write it with ms, \
                 s or m, such as `250ms`, `2s`, `1.5s` or `1m`",
                "17:20: stubs[6].then.delay.jitter: unknown key `jitter`; expected one of: \
                 fixed, lognormal, dribble",
                "19:19: stubs[7].then.delay: expected a duration such as `250ms` or a mapping \
                 with `fixed`, `lognormal` or `dribble`, found a list",
                "21:12: stubs[8].then.delay: expected a duration such as `250ms`, `2s`, `1.5s` \
                 or `1m`, found nothing",
            ]
        );
    }
}

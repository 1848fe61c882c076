//! The date search parameters `_lastUpdated` (every search) and `service-date`
//! (ExplanationOfBenefit), behaviour file §3.2 and §3.4: repeatable, each value an operator
//! `lt|le|gt|ge` then a FHIR date or instant; all values must hold (FHIR's AND of repeats).
//!
//! BB2 checks the operator itself (`the <name> operator is not valid`); the date after it is
//! BFD's to parse, so a bad date comes back wrapped as an upstream error.

use crate::fhir::query::{Refused, upstream};
use crate::params::Params;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The comparison a value asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Lt,
    Le,
    Gt,
    Ge,
}

/// One value of a date parameter: an operator and the span of time its date covers
/// (`[from, until)`: a whole day for a date, one nanosecond for an instant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFilter {
    operator: Operator,
    from: Timestamp,
    until: Timestamp,
}

/// Every value of `_lastUpdated`.
pub fn last_updated(params: &Params) -> Result<Vec<DateFilter>, Refused> {
    parse_all(params, "_lastUpdated")
}

/// Every value of `service-date`.
pub fn service_date(params: &Params) -> Result<Vec<DateFilter>, Refused> {
    parse_all(params, "service-date")
}

fn parse_all(params: &Params, name: &str) -> Result<Vec<DateFilter>, Refused> {
    params
        .pairs()
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| DateFilter::parse(name, value))
        .collect()
}

impl DateFilter {
    fn parse(name: &str, value: &str) -> Result<DateFilter, Refused> {
        let operator = match value.get(..2) {
            Some("lt") => Operator::Lt,
            Some("le") => Operator::Le,
            Some("gt") => Operator::Gt,
            Some("ge") => Operator::Ge,
            _ => return Err(Refused(format!("the {name} operator is not valid"))),
        };
        let text = &value[2..];
        let (from, until) = span_of(text).ok_or_else(|| {
            upstream(&format!(
                "Invalid date/time format: \"{}\"",
                text.replace('"', "\\\"")
            ))
        })?;
        Ok(DateFilter {
            operator,
            from,
            until,
        })
    }

    /// Whether an instant satisfies this value.
    pub fn admits_instant(&self, at: Timestamp) -> bool {
        self.admits_span(at, at)
    }

    /// Whether a day (taken as UTC) satisfies this value: the day's span compared with the
    /// value's span, as FHIR compares ranges.
    pub fn admits_day(&self, day: Date) -> bool {
        match day_span(day) {
            Some((start, end)) => self.admits_span(start, end),
            None => false,
        }
    }

    /// `[start, end]` of the data against `[from, until)` of the value.
    fn admits_span(&self, start: Timestamp, end: Timestamp) -> bool {
        match self.operator {
            Operator::Lt => start < self.from,
            Operator::Le => start < self.until,
            Operator::Gt => end >= self.until,
            Operator::Ge => end >= self.from,
        }
    }
}

/// Whether `filters` all admit the instant.
pub fn all_admit_instant(filters: &[DateFilter], at: Timestamp) -> bool {
    filters.iter().all(|filter| filter.admits_instant(at))
}

/// Whether `filters` all admit the day.
pub fn all_admit_day(filters: &[DateFilter], day: Date) -> bool {
    filters.iter().all(|filter| filter.admits_day(day))
}

/// The span `[from, until)` a FHIR date or instant covers: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`
/// (whole periods, UTC) or a full instant with an offset.
fn span_of(text: &str) -> Option<(Timestamp, Timestamp)> {
    if text.contains('T') {
        let at: Timestamp = text.parse().ok()?;
        return Some((at, at.checked_add(1.nanosecond()).ok()?));
    }
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, len: usize| -> Option<i16> {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (first, after) = match parts.as_slice() {
        [year] => {
            let year = number(year, 4)?;
            let first = Date::new(year, 1, 1).ok()?;
            (first, first.checked_add(1.year()).ok()?)
        }
        [year, month] => {
            let first =
                Date::new(number(year, 4)?, i8::try_from(number(month, 2)?).ok()?, 1).ok()?;
            (first, first.checked_add(1.month()).ok()?)
        }
        [year, month, day] => {
            let month = i8::try_from(number(month, 2)?).ok()?;
            let day = i8::try_from(number(day, 2)?).ok()?;
            let first = Date::new(number(year, 4)?, month, day).ok()?;
            (first, first.tomorrow().ok()?)
        }
        _ => return None,
    };
    Some((start_of(first)?, start_of(after)?))
}

fn start_of(day: Date) -> Option<Timestamp> {
    TimeZone::UTC
        .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
        .ok()
}

/// `[00:00, 24:00)` of a day in UTC, as a closed span `[start, last nanosecond]`.
fn day_span(day: Date) -> Option<(Timestamp, Timestamp)> {
    let start = start_of(day)?;
    let end = start_of(day.tomorrow().ok()?)?
        .checked_sub(1.nanosecond())
        .ok()?;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn filters(query: &str) -> Result<Vec<DateFilter>, Refused> {
        service_date(&Params::from_query(Some(query)))
    }

    fn day_passes(query: &str, day: Date) -> bool {
        all_admit_day(&filters(query).unwrap(), day)
    }

    #[test]
    fn operators_must_come_first() {
        assert_eq!(
            filters("service-date=2021-01-01"),
            Err(Refused("the service-date operator is not valid".into()))
        );
        assert_eq!(
            filters("service-date=eq2021-01-01"),
            Err(Refused("the service-date operator is not valid".into()))
        );
        assert_eq!(
            last_updated(&Params::from_query(Some("_lastUpdated=x"))),
            Err(Refused("the _lastUpdated operator is not valid".into()))
        );
    }

    #[test]
    fn a_bad_date_is_refused_by_the_backend() {
        assert_eq!(
            filters("service-date=gt2021-13-01"),
            Err(upstream("Invalid date/time format: \"2021-13-01\""))
        );
        assert_eq!(
            filters("service-date=ge"),
            Err(upstream("Invalid date/time format: \"\""))
        );
    }

    #[test]
    fn days_compare_as_whole_days() {
        let day = date(2021, 3, 15);
        assert!(day_passes("service-date=ge2021-03-15", day));
        assert!(!day_passes("service-date=gt2021-03-15", day));
        assert!(day_passes("service-date=le2021-03-15", day));
        assert!(!day_passes("service-date=lt2021-03-15", day));
        assert!(day_passes("service-date=gt2021-03-14", day));
        assert!(day_passes("service-date=lt2021-03-16", day));
        assert!(day_passes(
            "service-date=ge2021-03&service-date=lt2021-04",
            day
        ));
        assert!(!day_passes(
            "service-date=ge2021-03&service-date=lt2021-03-15",
            day
        ));
        assert!(day_passes("service-date=le2021", day));
        assert!(!day_passes("service-date=gt2021", day));
    }

    #[test]
    fn instants_compare_exactly() {
        let at: Timestamp = "2026-07-06T06:14:09.521Z".parse().unwrap();
        let admit = |value: &str| {
            all_admit_instant(
                &last_updated(&Params::from_query(Some(&format!("_lastUpdated={value}")))).unwrap(),
                at,
            )
        };
        assert!(admit("gt2020-02-13T08:00:00-05:00"));
        assert!(!admit("lt2020-02-13T08:00:00-05:00"));
        assert!(admit("ge2026-07-06T02:14:09.521-04:00"));
        assert!(!admit("gt2026-07-06T02:14:09.521-04:00"));
        assert!(admit("le2026-07-06"));
        assert!(!admit("gt2026-07-06"));
    }
}

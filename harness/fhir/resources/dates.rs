//! Date arithmetic, and the dates derived from a claim's service dates: when CMS processed
//! it, and its `created` time.

use super::draw::Draw;
use jiff::Span;
use jiff::civil::{Date, Weekday};

/// `date` moved by `days` (saturating at the ends of jiff's date range).
pub fn add_days(date: Date, days: i64) -> Date {
    match Span::new().try_days(days) {
        Ok(span) => date.saturating_add(span),
        Err(_) => date,
    }
}

/// Whole days from `first` to `last` (negative when `last` is earlier).
pub fn days_between(first: Date, last: Date) -> i64 {
    first
        .until(last)
        .map(|span| i64::from(span.get_days()))
        .unwrap_or(0)
}

/// `date` moved by whole `years` (29 February lands on 28 February in common years).
pub fn add_years(date: Date, years: i64) -> Date {
    match Span::new().try_years(years) {
        Ok(span) => date.saturating_add(span),
        Err(_) => date,
    }
}

/// The NCH weekly processing date of a claim: a Friday one to six weeks after its last day
/// of service.
pub fn weekly_processing_date(draw: &mut Draw, last_service_day: Date) -> Date {
    let received = add_days(last_service_day, draw.between(7, 42));
    let days_to_friday = (Weekday::Friday.to_monday_zero_offset()
        - received.weekday().to_monday_zero_offset())
    .rem_euclid(7);
    add_days(received, i64::from(days_to_friday))
}

/// A `dateTime` on `day` at a drawn time, with the US Eastern offset of that day
/// (`2016-01-08T21:40:40-05:00`), as BFD stamps `created`.
pub fn eastern_timestamp(draw: &mut Draw, day: Date) -> String {
    let (hour, minute, second) = (
        draw.between(0, 23),
        draw.between(0, 59),
        draw.between(0, 59),
    );
    format!(
        "{day}T{hour:02}:{minute:02}:{second:02}{}",
        eastern_offset(day)
    )
}

/// `-04:00` during US daylight saving time (second Sunday of March to first Sunday of
/// November, the rule since 2007), `-05:00` otherwise.
fn eastern_offset(day: Date) -> &'static str {
    let in_month = |month: i8, nth: i8| {
        Date::new(day.year(), month, 1)
            .and_then(|first| first.nth_weekday_of_month(nth, Weekday::Sunday))
    };
    match (in_month(3, 2), in_month(11, 1)) {
        (Ok(dst_start), Ok(dst_end)) if dst_start <= day && day < dst_end => "-04:00",
        _ => "-05:00",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn processing_dates_are_fridays_after_the_service() {
        let mut draw = Draw::from_seed(9);
        let served = date(2021, 6, 30);
        for _ in 0..50 {
            let processed = weekly_processing_date(&mut draw, served);
            assert_eq!(processed.weekday(), Weekday::Friday);
            assert!(processed >= add_days(served, 7) && processed <= add_days(served, 48));
        }
    }

    #[test]
    fn day_arithmetic() {
        let first = date(2024, 2, 27);
        assert_eq!(add_days(first, 3), date(2024, 3, 1));
        assert_eq!(days_between(first, date(2024, 3, 2)), 4);
        assert_eq!(days_between(date(2024, 3, 2), first), -4);
        assert_eq!(add_years(date(2024, 2, 29), 1), date(2025, 2, 28));
    }

    #[test]
    fn eastern_offset_follows_daylight_saving_time() {
        assert_eq!(eastern_offset(date(2024, 3, 9)), "-05:00");
        assert_eq!(eastern_offset(date(2024, 3, 10)), "-04:00");
        assert_eq!(eastern_offset(date(2024, 11, 2)), "-04:00");
        assert_eq!(eastern_offset(date(2024, 11, 3)), "-05:00");
    }

    #[test]
    fn timestamps_are_fhir_date_times() {
        let stamp = eastern_timestamp(&mut Draw::from_seed(1), date(2022, 7, 20));
        assert!(stamp.starts_with("2022-07-20T"), "{stamp}");
        assert!(stamp.ends_with("-04:00"), "{stamp}");
        assert_eq!(stamp.len(), "2022-07-20T21:40:40-04:00".len());
    }
}

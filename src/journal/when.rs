//! Times as the journal keeps them (RFC 3339, UTC, to the millisecond) and as people give
//! and read them (`2026-11-01`, `today`, `7d`, `24h`; local dates and minutes).

use jiff::tz::TimeZone;
use jiff::{Span, Timestamp, civil};

/// `t` as the journal keeps it: fixed width, so the text sorts as the time does.
pub fn stamp(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A journal time as a local `2026-11-22 05:30`, or as stored if it does not parse.
pub fn local_minute(stored: &str) -> String {
    match stored.parse::<Timestamp>() {
        Ok(t) => t.to_zoned(TimeZone::system()).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => stored.to_string(),
    }
}

/// The local date of a journal time, `2026-11-22`.
pub fn local_day(stored: &str) -> String {
    match stored.parse::<Timestamp>() {
        Ok(t) => t.to_zoned(TimeZone::system()).date().to_string(),
        Err(_) => stored.get(..10).unwrap_or(stored).to_string(),
    }
}

/// `2026-11-01` (local midnight), `today` (local midnight today), or `Nd` / `Nh` back from `now`.
pub fn parse(text: &str, now: Timestamp, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a date (2026-11-01), `today`, or a span back from now (7d, 24h)");
    let midnight = |date: civil::Date| date.to_zoned(zone.clone()).map(|z| z.timestamp()).map_err(|_| bad());
    if text == "today" {
        return midnight(now.to_zoned(zone.clone()).date());
    }
    if let Some(count) = text.strip_suffix('d').or_else(|| text.strip_suffix('h')) {
        let count: i64 = count.parse().map_err(|_| bad())?;
        let span = if text.ends_with('d') {
            Span::new().hours(count.checked_mul(24).ok_or_else(bad)?)
        } else {
            Span::new().hours(count)
        };
        return now.checked_sub(span).map_err(|_| bad());
    }
    let date: civil::Date = text.parse().map_err(|_| bad())?;
    midnight(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dates_today_and_spans() {
        let utc = TimeZone::UTC;
        let now: Timestamp = "2026-11-22T15:30:00Z".parse().unwrap();
        assert_eq!(stamp(parse("2026-11-01", now, &utc).unwrap()), "2026-11-01T00:00:00.000Z");
        assert_eq!(stamp(parse("today", now, &utc).unwrap()), "2026-11-22T00:00:00.000Z");
        assert_eq!(stamp(parse("7d", now, &utc).unwrap()), "2026-11-15T15:30:00.000Z");
        assert_eq!(stamp(parse("24h", now, &utc).unwrap()), "2026-11-21T15:30:00.000Z");
        for bad in ["yesterday", "7w", "d", "2026-13-01", "-1x"] {
            assert!(parse(bad, now, &utc).is_err(), "{bad}");
        }
    }

    #[test]
    fn stamps_sort_as_times_do() {
        let a = stamp("2026-11-22T05:30:00Z".parse().unwrap());
        let b = stamp("2026-11-22T05:30:00.5Z".parse().unwrap());
        assert_eq!(a, "2026-11-22T05:30:00.000Z");
        assert!(a < b);
    }
}

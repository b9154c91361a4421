//! When a failed API request may be sent again, and how long to wait first (pure).
//!
//! Image generation is billed per image and the service takes no idempotency key,
//! so only failures where the request surely was not carried out are retried.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// A wait longer than this is not taken: the run ends and says when to try again.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Codes that no amount of waiting clears (reference §4, §7a).
const PERMANENT_CODES: &[&str] = &["model_not_found", "quota_exceeded"];

/// Statuses that mean the request was not carried out, or failed on the way.
pub fn is_retryable(status: u16, code: Option<&str>) -> bool {
    if code.is_some_and(|c| PERMANENT_CODES.contains(&c)) {
        return false;
    }
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Exponential backoff from 1 s, doubling, ±25% jitter, capped at 30 s.
/// `retry` counts retries already taken; `jitter` is in [0, 1).
pub fn backoff(retry: u32, jitter: f64) -> Duration {
    let base = FIRST_BACKOFF.saturating_mul(1 << retry.min(16)).min(MAX_BACKOFF);
    base.mul_f64(0.75 + 0.5 * jitter).min(MAX_BACKOFF)
}

/// A random number in [0, 1) from the standard library's per-process random keys:
/// jitter needs spread between clients, not cryptographic quality.
pub fn jitter() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The wait the server asked for: `retry-after-ms`, else `Retry-After` as seconds or
/// as an HTTP date.
pub fn server_delay(retry_after_ms: Option<&str>, retry_after: Option<&str>, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_transient_statuses_only() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(status, None), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422, 501] {
            assert!(!is_retryable(status, None), "{status}");
        }
    }

    #[test]
    fn permanent_codes_are_never_retried_whatever_the_status() {
        assert!(!is_retryable(500, Some("model_not_found")));
        assert!(!is_retryable(429, Some("quota_exceeded")));
        assert!(is_retryable(429, Some("rate_limit_exceeded")));
    }

    #[test]
    fn backoff_doubles_from_one_second_and_stops_at_thirty() {
        let mid = |retry| backoff(retry, 0.5);
        assert_eq!(mid(0), Duration::from_secs(1));
        assert_eq!(mid(1), Duration::from_secs(2));
        assert_eq!(mid(4), Duration::from_secs(16));
        assert_eq!(mid(5), Duration::from_secs(30));
        assert_eq!(mid(40), Duration::from_secs(30));
        assert_eq!(backoff(0, 0.0), Duration::from_millis(750));
        assert!(backoff(0, 0.999) < Duration::from_millis(1250));
        assert!(backoff(9, 0.999) <= MAX_BACKOFF);
    }

    #[test]
    fn jitter_is_within_range() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn reads_every_form_of_server_delay() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(server_delay(Some("1500"), Some("9"), now), Some(Duration::from_millis(1500)));
        assert_eq!(server_delay(None, Some("7"), now), Some(Duration::from_secs(7)));
        assert_eq!(server_delay(None, Some("0.5"), now), Some(Duration::from_millis(500)));
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480; ask for 90 s later
        assert_eq!(server_delay(None, Some("Wed, 21 Oct 2015 07:29:30 GMT"), now), Some(Duration::from_secs(90)));
        assert_eq!(server_delay(None, Some("Wed, 21 Oct 2015 07:00:00 GMT"), now), Some(Duration::ZERO));
        assert_eq!(server_delay(None, Some("soon"), now), None);
        assert_eq!(server_delay(None, None, now), None);
    }
}

//! When a failed request may be sent again, how long to wait first, and the one loop
//! that does it, for API requests and image downloads alike (the decisions are pure).

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// A wait longer than this is not taken: the run ends and says when to try again.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// How often and how patiently one kind of request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub retries: u32,
    pub first: Duration,
    pub cap: Duration,
}

impl Policy {
    /// API requests: `--retries` times, from 1 s doubling to 30 s.
    pub fn api(retries: u32) -> Self {
        Self { retries, first: Duration::from_secs(1), cap: Duration::from_secs(30) }
    }

    /// Image downloads are free GETs of a link that dies soon: retried apart from
    /// `--retries`, three times, quickly.
    pub const DOWNLOADS: Self = Self { retries: 3, first: Duration::from_millis(500), cap: Duration::from_secs(4) };

    /// Exponential backoff from `first`, doubling, ±25% jitter, capped.
    /// `retry` counts retries already taken; `jitter` is in [0, 1).
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        let base = self.first.saturating_mul(1 << retry.min(16)).min(self.cap);
        base.mul_f64(0.75 + 0.5 * jitter).min(self.cap)
    }
}

/// What a failed attempt allows.
#[derive(Debug)]
pub enum Verdict<E> {
    /// Sending again cannot bill twice (the connection was never made, or the service
    /// answered that it failed): it may be sent again, after the server's own delay
    /// where it gave one.
    Retry { error: E, server_delay: Option<Duration> },
    /// Sending it again could bill twice, or would fail the same way.
    Fail(E),
}

impl<E> From<E> for Verdict<E> {
    fn from(error: E) -> Self {
        Self::Fail(error)
    }
}

/// Runs `attempt` until it succeeds, fails for good, or the policy's retries are used.
/// Before each retry, `before_retry(error, wait, retry_number)` is told of it and may
/// refuse (a wait too long to take, a file that cannot be rewound).
pub fn retrying<T, E>(
    policy: Policy,
    mut attempt: impl FnMut() -> Result<T, Verdict<E>>,
    mut before_retry: impl FnMut(E, Duration, u32) -> Result<(), E>,
) -> Result<T, E> {
    let mut taken = 0;
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(Verdict::Fail(error)) => return Err(error),
            Err(Verdict::Retry { error, .. }) if taken >= policy.retries => return Err(error),
            Err(Verdict::Retry { error, server_delay }) => {
                let wait = server_delay.unwrap_or_else(|| policy.backoff(taken, jitter()));
                taken += 1;
                before_retry(error, wait, taken)?;
                std::thread::sleep(wait);
            }
        }
    }
}

/// Statuses at which the service says the request was not carried out (408, 429) or
/// failed on its side (5xx but 501). Billing is per image returned, and these answers
/// return none, so sending again cannot pay twice.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// A random number in [0, 1) from the standard library's per-process random keys:
/// jitter needs spread between clients, not cryptographic quality.
pub fn jitter() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// The wait the server asked for: `retry-after-ms`, else `Retry-After` as seconds or
/// as an HTTP date. Any number, however large, gives a duration (saturated), never a
/// panic: a wait over [`MAX_WAIT`] is refused by the caller.
pub fn server_delay(retry_after_ms: Option<&str>, retry_after: Option<&str>, now: SystemTime) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok())
        && let Some(wait) = seconds(ms / 1000.0)
    {
        return Some(wait);
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Seconds as a duration: negative and NaN are no delay at all, too large saturates.
fn seconds(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_transient_statuses_only() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422, 501] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn api_backoff_doubles_from_one_second_and_stops_at_thirty() {
        let policy = Policy::api(2);
        let mid = |retry| policy.backoff(retry, 0.5);
        assert_eq!(mid(0), Duration::from_secs(1));
        assert_eq!(mid(1), Duration::from_secs(2));
        assert_eq!(mid(4), Duration::from_secs(16));
        assert_eq!(mid(5), Duration::from_secs(30));
        assert_eq!(mid(40), Duration::from_secs(30));
        assert_eq!(policy.backoff(0, 0.0), Duration::from_millis(750));
        assert!(policy.backoff(0, 0.999) < Duration::from_millis(1250));
        assert!(policy.backoff(9, 0.999) <= Duration::from_secs(30));
    }

    #[test]
    fn download_backoff_is_short() {
        assert_eq!(Policy::DOWNLOADS.backoff(0, 0.5), Duration::from_millis(500));
        assert_eq!(Policy::DOWNLOADS.backoff(9, 0.5), Duration::from_secs(4));
    }

    #[test]
    fn jitter_spreads_over_the_unit_interval() {
        let samples: Vec<f64> = (0..200).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        // a constant, or a source stuck at one end, fails this; 200 fair samples never do
        assert!((0.3..0.7).contains(&mean), "mean {mean}");
        assert!(samples.iter().any(|&j| j < 0.25) && samples.iter().any(|&j| j > 0.75));
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

    #[test]
    fn absurd_delays_saturate_instead_of_panicking() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(server_delay(None, Some("1e20"), now), Some(Duration::MAX));
        assert_eq!(server_delay(Some("1e300"), None, now), Some(Duration::MAX));
        assert_eq!(server_delay(None, Some("inf"), now), Some(Duration::MAX));
        assert_eq!(server_delay(Some("NaN"), Some("-5"), now), None);
    }

    #[test]
    fn the_loop_retries_until_the_policy_is_spent_and_reports_each_wait() {
        let fast = Policy { retries: 2, first: Duration::ZERO, cap: Duration::ZERO };
        let mut attempts = 0;
        let mut told = Vec::new();
        let result: Result<(), &str> = retrying(
            fast,
            || {
                attempts += 1;
                Err(Verdict::Retry { error: "busy", server_delay: None })
            },
            |_, _, n| {
                told.push(n);
                Ok(())
            },
        );
        assert_eq!(result, Err("busy"));
        assert_eq!((attempts, told), (3, vec![1, 2]));
        let mut once = 0;
        let refused: Result<(), &str> = retrying(
            fast,
            || {
                once += 1;
                Err(Verdict::Retry { error: "wait", server_delay: Some(Duration::MAX) })
            },
            |_, wait, _| if wait > MAX_WAIT { Err("too long") } else { Ok(()) },
        );
        assert_eq!((refused, once), (Err("too long"), 1));
    }
}

//! `--rpm N`: the key's budget of API requests, enforced as a bucket that refills N/60 a
//! second and holds one second's worth, and the `x-ratelimit-*` headers that say where
//! it stands. Services enforce "a minute" so, in short periods (OpenAI's pages call it
//! quantized), so a client that sends a minute's budget in one burst meets 429s; a client
//! that keeps to the rate meets none, even when its requests arrive a little unevenly.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The generic cell rate algorithm: one "theoretical arrival time" says the whole state
/// of the bucket.
#[derive(Debug)]
pub struct Limiter {
    per_minute: u64,
    /// Time between two requests at the sustained rate: 60/N s.
    interval: Duration,
    /// How far ahead of the sustained rate a request may come: one second's worth of
    /// requests makes the bucket, and never less than half an interval (see
    /// [`ARRIVAL_JITTER`]).
    tolerance: Duration,
    theoretical: Mutex<Option<Instant>>,
}

/// The share of an interval a request may arrive early without being refused, when a
/// second's worth of requests is one (N < 120). This is the "cell delay variation
/// tolerance" of the algorithm (ITU-T I.371): a client that starts its requests exactly
/// 60/N s apart still has them arrive unevenly (one waits for a connection, a disk write,
/// a busy core), and one that arrives late makes the next look early. A bucket with no
/// slack at all refuses that client at random, which no limiter counting requests over a
/// minute (or a second) does. Half an interval: more than a network jitters, and more than
/// a busy machine stalls a process (a quarter, 167 ms at 90 a minute, was exceeded on a
/// 2-core machine running a test suite); still far less than a second request at once.
pub const ARRIVAL_JITTER: u32 = 2;

/// What the bucket said of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests that could be sent at once after this one.
    pub remaining: u64,
    /// Until the bucket is full again.
    pub full_in: Duration,
    /// For a refused request: until one would be allowed.
    pub retry_in: Duration,
}

impl Limiter {
    pub fn new(per_minute: u64) -> Self {
        let per_minute = per_minute.max(1);
        // Whole nanoseconds, so that counting is exact.
        let interval = Duration::from_nanos((60_000_000_000 / per_minute).max(1));
        let burst = u32::try_from(per_minute / 60).unwrap_or(u32::MAX).max(1);
        let tolerance = interval.saturating_mul(burst - 1).max(interval / ARRIVAL_JITTER);
        Self { per_minute, interval, tolerance, theoretical: Mutex::new(None) }
    }

    /// Counts a request arriving at `now`, unless it is over the budget.
    pub fn check(&self, now: Instant) -> Decision {
        let mut theoretical = self.theoretical.lock().expect("rate limiter lock");
        let tat = theoretical.map_or(now, |t| t.max(now));
        let ahead = tat - now;
        if ahead > self.tolerance {
            return Decision { allowed: false, remaining: 0, full_in: ahead, retry_in: ahead - self.tolerance };
        }
        let next = tat + self.interval;
        *theoretical = Some(next);
        let ahead = next - now;
        let remaining = match self.tolerance.checked_sub(ahead) {
            Some(slack) => u64::try_from(slack.as_nanos() / self.interval.as_nanos()).unwrap_or(u64::MAX) + 1,
            None => 0,
        };
        Decision { allowed: true, remaining, full_in: ahead, retry_in: Duration::ZERO }
    }

    /// The headers of an answer: the limit a minute, what may be sent at once, and when
    /// the bucket is full again as a UNIX timestamp (as AIsa's pages describe them); a
    /// refused request also gets `Retry-After` (whole seconds, rounded up) and the exact
    /// `retry-after-ms`.
    pub fn headers(&self, decision: &Decision, now: SystemTime) -> Vec<(&'static str, String)> {
        let full_at = now + decision.full_in;
        let epoch = full_at.duration_since(UNIX_EPOCH).unwrap_or_default();
        let reset = epoch.as_secs() + u64::from(epoch.subsec_nanos() > 0);
        let mut headers = vec![
            ("x-ratelimit-limit-requests", self.per_minute.to_string()),
            ("x-ratelimit-remaining-requests", decision.remaining.to_string()),
            ("x-ratelimit-reset-requests", reset.to_string()),
        ];
        if !decision.allowed {
            let wait = decision.retry_in;
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.push(("retry-after", seconds.max(1).to_string()));
            headers.push(("retry-after-ms", wait.as_millis().max(1).to_string()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(start: Instant, ms: u64) -> Instant {
        start + Duration::from_millis(ms)
    }

    #[test]
    fn a_burst_of_one_seconds_worth_passes_then_the_rate_holds() {
        let limiter = Limiter::new(600);
        let t0 = Instant::now();
        let burst: Vec<Decision> = (0..12).map(|_| limiter.check(t0)).collect();
        let allowed: Vec<bool> = burst.iter().map(|d| d.allowed).collect();
        assert_eq!(allowed, [true, true, true, true, true, true, true, true, true, true, false, false]);
        let remaining: Vec<u64> = burst.iter().take(10).map(|d| d.remaining).collect();
        assert_eq!(remaining, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(burst[10].retry_in, Duration::from_millis(100));
        assert_eq!(burst[9].full_in, Duration::from_secs(1));
        // One more every 100 ms after that, and not sooner.
        assert!(!limiter.check(at(t0, 99)).allowed);
        assert!(limiter.check(at(t0, 100)).allowed);
        assert!(!limiter.check(at(t0, 150)).allowed);
        assert!(limiter.check(at(t0, 200)).allowed);
        // A pause refills the bucket.
        assert_eq!(limiter.check(at(t0, 5000)).remaining, 9);
    }

    #[test]
    fn a_steady_client_at_the_rate_is_never_refused() {
        let limiter = Limiter::new(600);
        let t0 = Instant::now();
        assert!((0..300).all(|i| limiter.check(at(t0, i * 100)).allowed));
        let slow = Limiter::new(30);
        assert!(slow.check(t0).allowed);
        // Half of the 2 s interval early at most.
        assert!(!slow.check(at(t0, 999)).allowed);
        assert!(slow.check(at(t0, 2000)).allowed);
    }

    #[test]
    fn arrivals_a_little_early_or_late_pass_and_a_second_at_once_does_not() {
        // Starts exactly 60/N s apart, arriving late by up to a fifth of an interval at
        // random (a late one makes the next look early): never refused, at any N.
        for per_minute in [1, 7, 30, 60, 90, 119, 120, 600, 3000] {
            let limiter = Limiter::new(per_minute);
            let interval = 60_000_000 / per_minute;
            let t0 = Instant::now();
            let mut state = per_minute;
            for i in 0..200 {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let late = (state >> 33) % (interval / 5 + 1);
                let arrival = t0 + Duration::from_micros(i * interval + late);
                assert!(limiter.check(arrival).allowed, "--rpm {per_minute}: request {i} refused");
            }
        }
        // Two at once is a burst the budget does not hold when a second's worth is one.
        for per_minute in [30, 60, 119] {
            let limiter = Limiter::new(per_minute);
            let t0 = Instant::now();
            assert!(limiter.check(t0).allowed);
            assert!(!limiter.check(at(t0, 10)).allowed, "--rpm {per_minute}");
        }
    }

    #[test]
    fn the_headers_say_what_the_bucket_holds() {
        let limiter = Limiter::new(600);
        let t0 = Instant::now();
        let now = UNIX_EPOCH + Duration::from_millis(1_800_000_000_250);
        let first = limiter.check(t0);
        assert_eq!(
            limiter.headers(&first, now),
            [
                ("x-ratelimit-limit-requests", "600".to_string()),
                ("x-ratelimit-remaining-requests", "9".to_string()),
                ("x-ratelimit-reset-requests", "1800000001".to_string()),
            ]
        );
        for _ in 0..9 {
            limiter.check(t0);
        }
        let refused = limiter.check(t0);
        let headers = limiter.headers(&refused, now);
        assert_eq!(headers[1], ("x-ratelimit-remaining-requests", "0".to_string()));
        assert_eq!(headers[3], ("retry-after", "1".to_string()));
        assert_eq!(headers[4], ("retry-after-ms", "100".to_string()));
    }
}

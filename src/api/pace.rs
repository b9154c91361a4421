//! One rate-limit budget for the whole run: `--rpm` spaces request starts, the service's
//! `x-ratelimit-*` headers slow dispatch when little is left, and a 429's `Retry-After`
//! pauses every worker. The decisions are pure functions of the time they are asked at.
//!
//! Limits are per key (https://aisa.one/docs/api-reference/rate-limits), so workers
//! that back off alone keep meeting 429s that the others' requests caused.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

use crate::api::header_text;
use crate::retry::{self, MAX_WAIT};

/// Under this share of the budget left, starts are spread over the time to the reset
/// (the service's own advice: "slow down pre-emptively when remaining < 10%").
const SLOW_BELOW: f64 = 0.10;
/// A 429 without `Retry-After` pauses every worker this long: the first backoff.
const PAUSE_WITHOUT_RETRY_AFTER: Duration = Duration::from_secs(1);
/// After a pause one request goes alone, and the others wait for its answer before they
/// follow, at most this long: a refusal comes back at once (a limit is checked as the
/// request arrives), so a request unanswered this long was taken and is being carried
/// out (an image takes seconds), and holding the others for the whole of it would waste
/// their turn.
const PROBE_PATIENCE: Duration = Duration::from_secs(5);

/// `--rpm N` spaces starts 60/N s apart and this share more (1%). A limiter that counts
/// the requests of the last minute (a sliding window, as gateways keep in Redis) refuses
/// the (N+1)th arrival within 60 s: without a margin, a first request that arrived a few
/// milliseconds late and an Nth that arrived on time are N+1 in one minute. With 1%, N
/// requests span 60.6 s, so 0.6 s of arrival jitter is absorbed, whatever N is, at a cost
/// of 1% of the rate.
const RPM_MARGIN: u32 = 100;

/// What one answer said about the key's budget of requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// How long until the budget is whole again.
    pub reset_in: Option<Duration>,
    /// The answer was a 429, and how long it asked to wait, where it said.
    pub rate_limited: bool,
    pub retry_after: Option<Duration>,
}

impl Budget {
    /// Reads `x-ratelimit-{limit,remaining,reset}-requests`, else the shorter
    /// `x-ratelimit-{limit,remaining,reset}` the errors page names, and a 429's
    /// `Retry-After` (or `retry-after-ms`). Header names are case-insensitive.
    pub fn from_headers(status: u16, headers: &HeaderMap, now: SystemTime) -> Self {
        let either = |long: &str, short: &str| header_text(headers, long).or_else(|| header_text(headers, short));
        let number = |long, short| either(long, short).and_then(|v| v.parse::<f64>().ok()).map(|v| v.max(0.0) as u64);
        let rate_limited = status == 429;
        Self {
            limit: number("x-ratelimit-limit-requests", "x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining-requests", "x-ratelimit-remaining"),
            reset_in: either("x-ratelimit-reset-requests", "x-ratelimit-reset").and_then(|v| reset_in(&v, now)),
            rate_limited,
            retry_after: rate_limited
                .then(|| {
                    retry::server_delay(
                        header_text(headers, "retry-after-ms").as_deref(),
                        header_text(headers, "retry-after").as_deref(),
                        now,
                    )
                })
                .flatten(),
        }
    }
}

/// A reset as the services send it: a UNIX timestamp in seconds (AIsa's pages) or
/// milliseconds, seconds from now, or a duration such as `6m0s` or `250ms` (OpenAI's).
pub fn reset_in(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(number) = value.parse::<f64>() {
        if !number.is_finite() || number < 0.0 {
            return None;
        }
        let at = |secs: f64| UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?);
        return match number {
            n if n >= 1e12 => at(n / 1000.0).map(|at| at.duration_since(now).unwrap_or(Duration::ZERO)),
            n if n >= 1e9 => at(n).map(|at| at.duration_since(now).unwrap_or(Duration::ZERO)),
            n => Duration::try_from_secs_f64(n).ok(),
        };
    }
    // `1h2m3.5s`, `6m0s`, `250ms`: numbers each followed by a unit.
    if value.is_empty() {
        return None;
    }
    let mut total = 0.0;
    let mut rest = value;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let (scale, unit_len) = match rest {
            r if r.starts_with("ms") => (0.001, 2),
            r if r.starts_with('h') => (3600.0, 1),
            r if r.starts_with('m') => (60.0, 1),
            r if r.starts_with('s') => (1.0, 1),
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// The run's pacing: when the next request may start. Every method takes the time it
/// is asked at, so the decisions are tested on a made-up clock.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pace {
    /// `--rpm N`: at least 60/N s between two starts, and [`RPM_MARGIN`] more.
    spacing: Option<Duration>,
    last_start: Option<Instant>,
    /// No request starts before this: a 429's `Retry-After`, or a budget used up.
    paused_until: Option<Instant>,
    /// While little of the budget is left: starts this far apart, until the reset.
    slow: Option<Slow>,
    /// After a pause, the first request goes alone to see how the budget stands: the
    /// others waking at the same moment would all meet the limit again (and spend
    /// their retries on it).
    probe: Probe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slow {
    spacing: Duration,
    until: Instant,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Probe {
    #[default]
    None,
    /// A pause is on: the first request after it goes alone.
    Due,
    /// That request started then; the others wait for an answer.
    Out(Instant),
}

impl Pace {
    pub fn new(rpm: Option<u32>) -> Self {
        let spacing = rpm.map(|n| {
            let exact = Duration::from_secs(60) / n.max(1);
            exact + exact / RPM_MARGIN
        });
        Self { spacing, ..Self::default() }
    }

    /// The earliest a request asked for at `now` may start.
    pub fn earliest(&self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(until) = self.paused_until {
            at = at.max(until);
        }
        if let Some(last) = self.last_start {
            if let Some(spacing) = self.spacing {
                at = at.max(last + spacing);
            }
            if let Some(slow) = self.slow.filter(|slow| last < slow.until) {
                at = at.max((last + slow.spacing).min(slow.until));
            }
        }
        if let Probe::Out(started) = self.probe {
            at = at.max(started + PROBE_PATIENCE);
        }
        at
    }

    /// A request starts at `now`.
    pub fn start(&mut self, now: Instant) {
        self.last_start = Some(now);
        if self.probe == Probe::Due {
            self.probe = Probe::Out(now);
        }
    }

    /// What an answer received at `now` said about the budget. Any answer, even one
    /// without a word about the budget, ends the wait for the lone request after a pause.
    pub fn observe(&mut self, budget: &Budget, now: Instant) {
        if matches!(self.probe, Probe::Out(_)) {
            self.probe = Probe::None;
        }
        if budget.rate_limited {
            // A wait longer than wan takes ends that request's retries (exit 5); holding
            // every worker for it would help no one.
            let pause = budget.retry_after.unwrap_or(PAUSE_WITHOUT_RETRY_AFTER);
            if pause <= MAX_WAIT {
                self.pause_until(now + pause);
            }
        }
        // `--rpm` is the budget the user stated; the headers pace a run only without it
        // (the contract): a service whose reset is said in whole seconds, or that counts
        // its minute in short periods, would otherwise halve a rate the user chose.
        if self.spacing.is_some() {
            return;
        }
        let (Some(limit), Some(remaining)) = (budget.limit, budget.remaining) else { return };
        if limit == 0 {
            return;
        }
        // A budget whose reset is not said renews within the minute it is counted over.
        let reset_in = budget.reset_in.unwrap_or(Duration::from_secs(60)).min(MAX_WAIT);
        if remaining == 0 {
            self.pause_until(now + reset_in);
        } else if (remaining as f64) < SLOW_BELOW * limit as f64 {
            // What is left spread until the reset, and never faster than the limit's
            // own rate: services count "a minute" in short periods, where a second's
            // worth is all there is at once.
            let spread = reset_in / u32::try_from(remaining).unwrap_or(u32::MAX);
            let rate = Duration::from_secs(60) / u32::try_from(limit).unwrap_or(u32::MAX);
            self.slow = Some(Slow { spacing: spread.max(rate), until: now + reset_in.max(rate) });
        } else {
            self.slow = None;
        }
    }

    fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        if self.probe == Probe::None {
            self.probe = Probe::Due;
        }
    }
}

/// The pacing shared by every worker of a run.
#[derive(Debug)]
pub struct Pacer {
    turns: Mutex<Turns>,
    /// Rung at every answer (what it said may let a waiting worker go sooner, or later)
    /// and at every start (the next in line may go).
    answered: Condvar,
}

/// The pace, and the line of workers waiting on it: they start in the order they came, as
/// a ticket counter serves, so that paced requests go out in the order of their prompts
/// (a condition variable wakes its waiters in no order).
#[derive(Debug)]
struct Turns {
    pace: Pace,
    next_ticket: u64,
    now_serving: u64,
}

impl Pacer {
    pub fn new(rpm: Option<u32>) -> Self {
        let turns = Turns { pace: Pace::new(rpm), next_ticket: 0, now_serving: 0 };
        Self { turns: Mutex::new(turns), answered: Condvar::new() }
    }

    fn turns(&self) -> MutexGuard<'_, Turns> {
        self.turns.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may start (its turn in the line, and the pace's time), and
    /// counts it as started. The time is asked again after each wait, and at each answer
    /// that comes meanwhile.
    pub fn wait_turn(&self) {
        let mut turns = self.turns();
        let ticket = turns.next_ticket;
        turns.next_ticket += 1;
        loop {
            if turns.now_serving != ticket {
                turns = self.answered.wait(turns).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let now = Instant::now();
            let at = turns.pace.earliest(now);
            if at <= now {
                turns.pace.start(now);
                turns.now_serving += 1;
                self.answered.notify_all();
                return;
            }
            turns = self.answered.wait_timeout(turns, at - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Takes in what an answer's status and headers said about the budget.
    pub fn observe(&self, status: u16, headers: &HeaderMap) {
        let budget = Budget::from_headers(status, headers, SystemTime::now());
        self.turns().pace.observe(&budget, Instant::now());
        self.answered.notify_all();
    }

    /// A request ended without an answer (no connection, a timeout): nothing learned of
    /// the budget, but whoever waits on it need not wait longer.
    pub fn no_answer(&self) {
        self.turns().pace.observe(&Budget::default(), Instant::now());
        self.answered.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    /// A made-up clock: `t(ms)` is `ms` milliseconds after a fixed start.
    fn clock() -> impl Fn(u64) -> Instant {
        let start = Instant::now();
        move |ms| start + Duration::from_millis(ms)
    }

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    /// Starts `n` requests as early as the pace allows, all asked for at `asked`; returns
    /// their start times in ms after `t(0)`.
    fn run(pace: &mut Pace, t: &impl Fn(u64) -> Instant, asked: u64, n: usize) -> Vec<u128> {
        (0..n)
            .map(|_| {
                let at = pace.earliest(t(asked));
                pace.start(at);
                ms(at - t(0))
            })
            .collect()
    }

    #[test]
    fn rpm_spaces_starts_across_all_workers() {
        let t = clock();
        let mut pace = Pace::new(Some(600));
        // Sixteen workers asking at once start 101 ms apart (100 and the 1% margin), whoever asks.
        assert_eq!(run(&mut pace, &t, 0, 5), [0, 101, 202, 303, 404]);
        // A request asked for long after the last start goes at once.
        assert_eq!(run(&mut pace, &t, 5000, 2), [5000, 5101]);
        let mut slow = Pace::new(Some(7));
        assert_eq!(run(&mut slow, &t, 0, 2), [0, 8657]);
        // N starts take a minute and 1%, whatever N is.
        for n in [1, 30, 60, 3000] {
            let mut pace = Pace::new(Some(n));
            let starts = run(&mut pace, &t, 0, n as usize + 1);
            assert_eq!(starts[n as usize], 60_600, "--rpm {n}");
        }
    }

    #[test]
    fn with_rpm_the_headers_do_not_slow_the_run_but_a_429_still_pauses_it() {
        let t = clock();
        let mut pace = Pace::new(Some(120));
        pace.start(t(0));
        // One left of 120, the reset two seconds away: without --rpm this spreads the
        // starts two seconds apart; with it, --rpm's 505 ms hold.
        let low = Budget {
            limit: Some(120),
            remaining: Some(1),
            reset_in: Some(Duration::from_secs(2)),
            ..Budget::default()
        };
        pace.observe(&low, t(10));
        assert_eq!(run(&mut pace, &t, 10, 2), [505, 1010]);
        pace.observe(&Budget { remaining: Some(0), ..low }, t(1010));
        assert_eq!(run(&mut pace, &t, 1010, 1), [1515]);
        let limited = Budget { rate_limited: true, retry_after: Some(Duration::from_secs(3)), ..Budget::default() };
        pace.observe(&limited, t(1600));
        assert_eq!(pace.earliest(t(1601)), t(4600));
    }

    #[test]
    fn without_rpm_or_headers_nothing_waits() {
        let t = clock();
        let mut pace = Pace::new(None);
        assert_eq!(run(&mut pace, &t, 0, 3), [0, 0, 0]);
        pace.observe(&Budget { limit: Some(600), remaining: Some(300), ..Budget::default() }, t(0));
        assert_eq!(run(&mut pace, &t, 10, 3), [10, 10, 10]);
    }

    #[test]
    fn a_429_pauses_every_worker_for_its_retry_after() {
        let t = clock();
        let mut pace = Pace::new(None);
        pace.start(t(0));
        let limited = Budget { rate_limited: true, retry_after: Some(Duration::from_secs(2)), ..Budget::default() };
        pace.observe(&limited, t(300));
        // Every worker, not only the one that met it.
        assert_eq!(ms(pace.earliest(t(301)) - t(0)), 2300);
        assert_eq!(ms(pace.earliest(t(2000)) - t(0)), 2300);
        assert_eq!(pace.earliest(t(2300)), t(2300));
        // A shorter pause met later does not cut a longer one short.
        pace.observe(&Budget { retry_after: Some(Duration::from_millis(100)), ..limited }, t(400));
        assert_eq!(pace.earliest(t(500)), t(2300));
        // Without Retry-After: one second, the first backoff.
        let mut bare = Pace::new(None);
        bare.observe(&Budget { rate_limited: true, ..Budget::default() }, t(0));
        assert_eq!(bare.earliest(t(10)), t(1000));
        // A wait longer than wan takes fails that request; the others are not held.
        let mut absurd = Pace::new(None);
        absurd.observe(&Budget { retry_after: Some(Duration::from_secs(3600)), ..limited }, t(0));
        assert_eq!(absurd.earliest(t(10)), t(10));
    }

    #[test]
    fn a_pause_and_rpm_together_keep_both() {
        let t = clock();
        let mut pace = Pace::new(Some(600));
        assert_eq!(run(&mut pace, &t, 0, 2), [0, 101]);
        pace.observe(
            &Budget { rate_limited: true, retry_after: Some(Duration::from_secs(1)), ..Budget::default() },
            t(150),
        );
        assert_eq!(run(&mut pace, &t, 150, 1), [1150]);
        // The first after the pause went alone; an answer lets the rest follow, spaced.
        pace.observe(&Budget::default(), t(1160));
        assert_eq!(run(&mut pace, &t, 1160, 2), [1251, 1352]);
    }

    #[test]
    fn after_a_pause_one_request_goes_alone_until_an_answer_comes() {
        let t = clock();
        let mut pace = Pace::new(None);
        let limited = Budget { rate_limited: true, retry_after: Some(Duration::from_millis(500)), ..Budget::default() };
        pace.observe(&limited, t(0));
        // Sixteen workers wake at the end of the pause: one goes.
        assert_eq!(run(&mut pace, &t, 0, 1), [500]);
        // The others would wait for its answer (or five seconds, if it is slow to come)...
        assert_eq!(pace.earliest(t(501)), t(500) + PROBE_PATIENCE);
        // ...which comes 200 ms later and says the budget is fine: all go at once.
        pace.observe(&Budget { limit: Some(600), remaining: Some(500), ..Budget::default() }, t(700));
        assert_eq!(run(&mut pace, &t, 700, 3), [700, 700, 700]);
        // A second 429 meets it again: one alone again, after the new pause.
        pace.observe(&limited, t(800));
        assert_eq!(run(&mut pace, &t, 800, 1), [1300]);
        pace.observe(&limited, t(1310));
        assert_eq!(run(&mut pace, &t, 1310, 1), [1810]);
        // An answer that says nothing (a connection that failed) ends the wait too.
        pace.observe(&Budget::default(), t(1900));
        assert_eq!(pace.earliest(t(1900)), t(1900));
    }

    #[test]
    fn headers_slow_dispatch_under_ten_percent_until_the_reset() {
        let t = clock();
        let mut pace = Pace::new(None);
        let budget = |remaining, reset_ms| Budget {
            limit: Some(600),
            remaining: Some(remaining),
            reset_in: Some(Duration::from_millis(reset_ms)),
            ..Budget::default()
        };
        // 60 of 600 left is 10%: no slowing yet.
        pace.observe(&budget(60, 6000), t(0));
        assert_eq!(run(&mut pace, &t, 0, 3), [0, 0, 0]);
        // 20 left, reset in 6 s: 20 starts spread over the 6 s, 300 ms apart (after
        // the last start, at 0).
        pace.observe(&budget(20, 6000), t(0));
        assert_eq!(run(&mut pace, &t, 0, 4), [300, 600, 900, 1200]);
        // Never faster than the limit's own rate (600 a minute: 100 ms), whatever is left:
        // 9 left with the reset 500 ms away is a bucket that holds a second's worth.
        let mut quantized = Pace::new(None);
        quantized.start(t(0));
        quantized.observe(&budget(9, 500), t(0));
        assert_eq!(run(&mut quantized, &t, 0, 4), [100, 200, 300, 400]);
        // After the reset, full speed again.
        assert_eq!(run(&mut pace, &t, 6000, 3), [6000, 6000, 6000]);
        // None left: everyone waits for the reset.
        pace.observe(&budget(0, 2500), t(7000));
        assert_eq!(run(&mut pace, &t, 7000, 1), [9500]);
        // Plenty left again: the slowing ends at once.
        pace.observe(&budget(20, 6000), t(10_000));
        pace.observe(&budget(400, 6000), t(10_001));
        assert_eq!(run(&mut pace, &t, 10_001, 2), [10_001, 10_001]);
    }

    #[test]
    fn a_budget_without_limit_or_with_an_absurd_reset_is_bounded() {
        let t = clock();
        let mut pace = Pace::new(None);
        pace.observe(&Budget { remaining: Some(0), ..Budget::default() }, t(0));
        assert_eq!(pace.earliest(t(0)), t(0), "no limit: nothing to compare with");
        pace.observe(
            &Budget {
                limit: Some(60),
                remaining: Some(0),
                reset_in: Some(Duration::from_secs(86_400)),
                ..Budget::default()
            },
            t(0),
        );
        assert_eq!(pace.earliest(t(0)), t(0) + MAX_WAIT, "never longer than wan waits for anything");
    }

    #[test]
    fn resets_are_read_in_every_form_services_send() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(reset_in("1800000030", now), Some(Duration::from_secs(30)));
        assert_eq!(reset_in("1800000030500", now), Some(Duration::from_millis(30_500)));
        assert_eq!(reset_in("1799999990", now), Some(Duration::ZERO), "a reset in the past is now");
        assert_eq!(reset_in("12", now), Some(Duration::from_secs(12)));
        assert_eq!(reset_in("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(reset_in("6m0s", now), Some(Duration::from_secs(360)));
        assert_eq!(reset_in("1h2m3.5s", now), Some(Duration::from_millis(3_723_500)));
        assert_eq!(reset_in("250ms", now), Some(Duration::from_millis(250)));
        assert_eq!(reset_in("20ms", now), Some(Duration::from_millis(20)));
        assert_eq!(reset_in("1s", now), Some(Duration::from_secs(1)));
        assert_eq!(reset_in(" 1m30s ", now), Some(Duration::from_secs(90)));
        for bad in ["", "soon", "-3", "NaN", "inf", "5x", "m"] {
            assert_eq!(reset_in(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn budgets_are_read_from_either_family_of_headers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
            }
            map
        };
        let long = headers(&[
            ("x-ratelimit-limit-requests", "600"),
            ("x-ratelimit-remaining-requests", "12"),
            ("x-ratelimit-reset-requests", "1800000006"),
            ("x-ratelimit-limit", "1"),
            ("retry-after", "3"),
        ]);
        assert_eq!(
            Budget::from_headers(200, &long, now),
            Budget {
                limit: Some(600),
                remaining: Some(12),
                reset_in: Some(Duration::from_secs(6)),
                rate_limited: false,
                retry_after: None
            }
        );
        let short = headers(&[("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", "0"), ("retry-after-ms", "1500")]);
        assert_eq!(
            Budget::from_headers(429, &short, now),
            Budget {
                limit: Some(60),
                remaining: Some(0),
                reset_in: None,
                rate_limited: true,
                retry_after: Some(Duration::from_millis(1500))
            }
        );
        assert_eq!(Budget::from_headers(200, &HeaderMap::new(), now), Budget::default());
    }

    /// Workers waiting on the pace start in the order they came to it, so that a paced
    /// batch sends its prompts in order whatever order the waiters are woken in.
    #[test]
    fn paced_workers_start_in_the_order_they_came() {
        // 100 ms between starts: far longer than a worker takes to note it started.
        let pacer = std::sync::Arc::new(Pacer::new(Some(600)));
        let started = std::sync::Arc::new(Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..6)
            .map(|i| {
                let (waiter, started) = (pacer.clone(), started.clone());
                let worker = std::thread::spawn(move || {
                    waiter.wait_turn();
                    started.lock().unwrap().push(i);
                });
                // Each comes to the pace after the one before it has taken its place in line.
                while pacer.turns().next_ticket <= i {
                    std::thread::sleep(Duration::from_millis(1));
                }
                worker
            })
            .collect();
        workers.into_iter().for_each(|w| w.join().unwrap());
        assert_eq!(*started.lock().unwrap(), [0, 1, 2, 3, 4, 5]);
    }
}

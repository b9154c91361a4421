//! Fault injection: every fault a flag, off by default, decided per request from `--seed`.

use std::time::Duration;

use super::draw::mix;

/// The faults to inject, as given on the command line.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    pub seed: u64,
    /// Added before every API answer.
    pub latency: Duration,
    /// Added before every image download's first byte.
    pub download_latency: Duration,
    /// Share of API requests answered 429 with `Retry-After: retry_after`.
    pub rate_429: f64,
    pub retry_after: u64,
    /// Share of API requests answered 500 or 503.
    pub rate_5xx: f64,
    /// Share of API requests whose connection is dropped after the request is read.
    pub rate_drop: f64,
    /// Share of downloads cut short after half the image.
    pub rate_cut: f64,
    /// Download speed in bytes per second; 0 is as fast as possible.
    pub slow_downloads: u64,
}

/// What happens to one API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiFault {
    None,
    TooManyRequests,
    ServerError(u16),
    Drop,
}

impl Faults {
    /// A number in [0, 1) for the `seq`-th request and one kind of fault: the same seed
    /// and the same order of requests give the same faults.
    fn roll(&self, seq: u64, kind: u64) -> f64 {
        (mix(self.seed ^ mix(seq) ^ kind.wrapping_mul(0x9e37_79b9)) >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn api(&self, seq: u64) -> ApiFault {
        if self.roll(seq, 1) < self.rate_drop {
            ApiFault::Drop
        } else if self.roll(seq, 2) < self.rate_429 {
            ApiFault::TooManyRequests
        } else if self.roll(seq, 3) < self.rate_5xx {
            ApiFault::ServerError(if self.roll(seq, 4) < 0.5 { 500 } else { 503 })
        } else {
            ApiFault::None
        }
    }

    pub fn cut_download(&self, seq: u64) -> bool {
        self.roll(seq, 5) < self.rate_cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_off_by_default() {
        let faults = Faults::default();
        assert!((0..1000).all(|seq| faults.api(seq) == ApiFault::None && !faults.cut_download(seq)));
    }

    #[test]
    fn rates_are_kept_and_the_seed_repeats_them() {
        let faults = Faults { seed: 7, rate_429: 0.3, ..Faults::default() };
        let hits = (0..10_000).filter(|&seq| faults.api(seq) == ApiFault::TooManyRequests).count();
        assert!((2_700..3_300).contains(&hits), "{hits}");
        let again: Vec<_> = (0..50).map(|seq| faults.api(seq)).collect();
        assert_eq!(again, (0..50).map(|seq| faults.api(seq)).collect::<Vec<_>>());
        let other = Faults { seed: 8, ..faults.clone() };
        assert_ne!(again, (0..50).map(|seq| other.api(seq)).collect::<Vec<_>>());
    }

    #[test]
    fn a_rate_of_one_always_fires() {
        let faults = Faults { rate_drop: 1.0, rate_cut: 1.0, ..Faults::default() };
        assert!((0..100).all(|seq| faults.api(seq) == ApiFault::Drop && faults.cut_download(seq)));
    }
}

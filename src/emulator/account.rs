//! The emulated account: a balance that goes down by the list price of what is made,
//! `GET /v1/credits/balance` in the shape of the service's account API
//! (`AIsa-team/docs` `openapi/account.json`), and `GET /v1/usage` from what was billed
//! (aisa-api.md §18).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::catalogue::money::Micros;

#[derive(Debug)]
pub struct Account {
    /// (available, used), in micro-dollars.
    balance: Mutex<(Micros, Micros)>,
    /// What each second saw: charged, requests, failed requests. A second's entry, not
    /// a request's: a batch of 100,000 requests costs a few thousand entries.
    ledger: Mutex<BTreeMap<u64, Tally>>,
}

/// What a window of time saw of the paid requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub charged: Micros,
    pub requests: u64,
    pub failed: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.charged = self.charged.saturating_add(other.charged);
        self.requests += other.requests;
        self.failed += other.failed;
    }

    fn to_json(self) -> Value {
        json!({"charged_micros_usd": self.charged, "requests": self.requests, "failed_requests": self.failed})
    }
}

impl Account {
    pub fn new(balance: Micros) -> Self {
        Self { balance: Mutex::new((balance, 0)), ledger: Mutex::new(BTreeMap::new()) }
    }

    /// Takes `cost` micro-dollars; `false`, taking nothing, when the balance cannot pay it.
    pub fn charge(&self, cost: Micros) -> bool {
        let mut balance = self.balance.lock().expect("balance lock");
        let Some(left) = balance.0.checked_sub(cost) else { return false };
        *balance = (left, balance.1.saturating_add(cost));
        true
    }

    /// Counts a paid request answered now: `charged` if it succeeded, else a failure.
    pub fn record(&self, charged: Option<Micros>) {
        self.record_at(unix_now(), charged);
    }

    fn record_at(&self, at: u64, charged: Option<Micros>) {
        let tally = Tally { charged: charged.unwrap_or(0), requests: 1, failed: u64::from(charged.is_none()) };
        self.ledger.lock().expect("ledger lock").entry(at).or_default().add(tally);
    }

    /// The body of `GET /v1/usage?start_time=&end_time=` for `[start, end)`: the totals,
    /// and a bucket for each UTC day of the window that saw a request.
    pub fn usage(&self, start: u64, end: u64) -> Value {
        let ledger = self.ledger.lock().expect("ledger lock");
        let mut totals = Tally::default();
        let mut days: BTreeMap<u64, Tally> = BTreeMap::new();
        for (&at, &tally) in ledger.range(start..end) {
            totals.add(tally);
            days.entry(at / 86_400).or_default().add(tally);
        }
        let daily: Vec<Value> = days
            .into_iter()
            .map(|(day, tally)| {
                let mut bucket = tally.to_json();
                let from = day * 86_400;
                bucket["date"] = json!(rfc3339(UNIX_EPOCH + std::time::Duration::from_secs(from))[..10]);
                bucket["start_time"] = json!(from);
                bucket["end_time"] = json!(from + 86_400);
                bucket
            })
            .collect();
        json!({"object": "usage", "currency": "USD", "start_time": start, "end_time": end,
               "totals": totals.to_json(), "daily": daily})
    }

    /// The body of `GET /v1/credits/balance`.
    pub fn to_json(&self) -> Value {
        let (available, used) = *self.balance.lock().expect("balance lock");
        json!({
            "currency": "USD",
            "account_balance_micros_usd": available,
            "available_balance_micros_usd": available,
            "go_to_market_balance_micros_usd": 0,
            "api_key": {"unlimited": false, "remaining_micros_usd": available, "used_micros_usd": used},
            "as_of": rfc3339(SystemTime::now()),
        })
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `2026-09-30T12:34:56Z`, from the days-to-civil algorithm
/// (https://howardhinnant.github.io/date_algorithms.html#civil_from_days).
fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_balance_goes_down_by_the_list_price_until_it_cannot_pay() {
        let account = Account::new(200_000);
        assert!(account.charge(120_000));
        assert!(account.charge(35_000));
        assert!(account.charge(0));
        assert_eq!(account.to_json()["available_balance_micros_usd"], 45_000);
        assert_eq!(account.to_json()["api_key"]["used_micros_usd"], 155_000);
        assert!(!account.charge(50_000), "more than is left");
        assert_eq!(account.to_json()["available_balance_micros_usd"], 45_000, "nothing taken");
    }

    #[test]
    fn usage_totals_a_window_and_buckets_it_by_day() {
        let account = Account::new(1_000_000);
        let day = 20_000 * 86_400;
        account.record_at(day + 10, Some(30_000));
        account.record_at(day + 10, Some(30_000));
        account.record_at(day + 20, None);
        account.record_at(day + 86_400 + 5, Some(75_000));
        account.record_at(day + 2 * 86_400, Some(1));
        let usage = account.usage(day, day + 2 * 86_400);
        assert_eq!(usage["totals"], json!({"charged_micros_usd": 135_000, "requests": 4, "failed_requests": 1}));
        let daily = usage["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 2);
        assert_eq!(daily[0]["date"], "2024-10-04");
        assert_eq!(
            (daily[0]["charged_micros_usd"].as_u64(), daily[0]["failed_requests"].as_u64()),
            (Some(60_000), Some(1))
        );
        assert_eq!(daily[1]["start_time"], day + 86_400);
        assert_eq!(account.usage(day + 11, day + 20)["totals"]["requests"], 0, "the end is not in the window");
    }

    #[test]
    fn dates_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_790_770_496)), "2026-09-30T12:14:56Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }
}

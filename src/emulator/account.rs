//! The emulated account: a balance that goes down by the list price of what is made, and
//! `GET /v1/credits/balance` in the shape of the service's account API
//! (`AIsa-team/docs` `openapi/account.json`).

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::catalogue::Price;
use crate::catalogue::money::Micros;

#[derive(Debug)]
pub struct Account {
    /// (available, used), in micro-dollars.
    balance: Mutex<(Micros, Micros)>,
}

impl Account {
    pub fn new(balance: Micros) -> Self {
        Self { balance: Mutex::new((balance, 0)) }
    }

    /// Takes what a request making `images` images costs at `price`; `false`, taking
    /// nothing, when the balance cannot pay it. A price by tokens or unknown costs nothing
    /// here: the emulator counts no tokens.
    pub fn charge(&self, price: Price, images: u64) -> bool {
        let cost = match price {
            Price::PerImage(p) => p.saturating_mul(images),
            Price::PerRequest(p) => p,
            Price::ByTokens | Price::Unknown => 0,
        };
        let mut balance = self.balance.lock().expect("balance lock");
        let Some(left) = balance.0.checked_sub(cost) else { return false };
        *balance = (left, balance.1.saturating_add(cost));
        true
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
        assert!(account.charge(Price::PerImage(30_000), 4));
        assert!(account.charge(Price::PerRequest(35_000), 1));
        assert!(account.charge(Price::ByTokens, 10));
        assert_eq!(account.to_json()["available_balance_micros_usd"], 45_000);
        assert_eq!(account.to_json()["api_key"]["used_micros_usd"], 155_000);
        assert!(!account.charge(Price::PerImage(50_000), 1), "more than is left");
        assert_eq!(account.to_json()["available_balance_micros_usd"], 45_000, "nothing taken");
    }

    #[test]
    fn dates_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_790_770_496)), "2026-09-30T12:14:56Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }
}

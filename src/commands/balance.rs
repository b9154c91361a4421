//! `wan balance`: the account's balance from `GET {base}/credits/balance`, in integer
//! micro-dollars so nothing drifts in the rounding.

use serde_json::{Value, json};

use crate::api::{ApiKey, account};
use crate::catalogue::money::{Micros, format_usd, to_usd};
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;

/// What the balance answer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub available: Micros,
    pub currency: String,
    /// The key's own allowance: `None` without one (OAuth), `Some(None)` unlimited.
    pub key_remaining: Option<Option<Micros>>,
    pub key_used: Option<Micros>,
    pub as_of: Option<String>,
}

/// Reads `{available_balance_micros_usd, api_key:{unlimited, remaining_micros_usd,
/// used_micros_usd}, as_of}`; micro-dollars may come as numbers or strings.
pub fn parse(root: &Value) -> Option<Balance> {
    let micros = |v: &Value| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
    let available = micros(root.get("available_balance_micros_usd")?)?;
    let key = root.get("api_key").filter(|k| k.is_object());
    let unlimited = key.and_then(|k| k.get("unlimited")).and_then(Value::as_bool).unwrap_or(false);
    Some(Balance {
        available,
        currency: root.get("currency").and_then(Value::as_str).unwrap_or("USD").to_string(),
        key_remaining: key.map(|k| if unlimited { None } else { k.get("remaining_micros_usd").and_then(micros) }),
        key_used: key.and_then(|k| k.get("used_micros_usd")).and_then(micros),
        as_of: root.get("as_of").and_then(Value::as_str).map(String::from),
    })
}

pub fn run(env: &Env, base_url: Option<String>, as_json: bool) -> Result<Outcome, Error> {
    let balance = lookup(env, base_url)?;
    let spent = spent_lately(env);
    let mut out = Stdout::default();
    if as_json {
        let mut value = to_json(&balance);
        value["this_machine_last_24h"] = spent.as_ref().map_or(Value::Null, |(sum, local)| {
            json!({"cost": to_usd(sum.cost), "charged": to_usd(sum.charged), "unpriced_images": sum.unpriced,
                       "unpriced_videos": sum.unpriced_videos, "local_runs": local})
        });
        out.line(&value.to_string())?;
        return Ok(Outcome::Success);
    }
    out.line(&format!("available: {} {}", format_usd(balance.available), balance.currency))?;
    match balance.key_remaining {
        Some(None) => out.line("this key: no limit of its own")?,
        Some(Some(left)) => out.line(&format!(
            "this key: {} left of its allowance{}",
            format_usd(left),
            balance.key_used.map(|u| format!(" ({} used)", format_usd(u))).unwrap_or_default()
        ))?,
        None => {}
    }
    if let Some((sum, local)) = spent.filter(|(sum, _)| sum.images + sum.videos > 0) {
        let source = match (sum.charged, sum.cost) {
            (0, _) => "at list price".to_string(),
            (charged, cost) if charged == cost => "as the service charged".to_string(),
            (charged, _) => format!("{} of it as the service charged, the rest at list price", format_usd(charged)),
        };
        let local = match local {
            0 => String::new(),
            n => {
                format!("; {n} run{} of it went to a server on this machine, which may have billed nothing", plural(n))
            }
        };
        out.line(&format!("this machine, last 24 h: {} ({source}{local})", format_usd(sum.cost)))?;
    }
    Ok(Outcome::Success)
}

/// What this machine's journal says was spent in the last 24 hours, where there is one,
/// and how many of those runs went to a server on this machine (`wan emulator`?).
fn spent_lately(env: &Env) -> Option<(crate::commands::cost::Sum, u64)> {
    let conn = crate::journal::open_to_read(env.state_dir.as_ref()?).ok()??;
    let now = jiff::Timestamp::now();
    let since = now.checked_sub(jiff::Span::new().hours(24)).ok()?;
    let (since, now) = (crate::journal::when::stamp(since), crate::journal::when::stamp(now));
    let rows = crate::journal::queries::spent(&conn, &since, &now).ok()?;
    let local = crate::journal::queries::local_runs(&conn, &since, &now).unwrap_or(0);
    Some((crate::commands::cost::sums(&rows, None).0, local))
}

/// The balance from the service, with the base URL and key a command without run
/// settings uses (`wan balance`, `wan mcp`'s `balance` tool).
pub fn lookup(env: &Env, base_url: Option<String>) -> Result<Balance, Error> {
    let base = crate::config::api_key::base_url_for_command(base_url, env)?;
    let key = crate::config::api_key::for_command(env)?;
    let url = format!("{}/credits/balance", base.as_str().trim_end_matches('/'));
    fetch(&url, &key)
}

/// The balance as `wan balance --json` prints it.
pub fn to_json(balance: &Balance) -> Value {
    json!({
        "available_usd": to_usd(balance.available),
        "available_micros_usd": balance.available,
        "currency": balance.currency,
        "key": balance.key_remaining.map(|remaining| json!({
            "unlimited": remaining.is_none(),
            "remaining_micros_usd": remaining,
            "used_micros_usd": balance.key_used,
        })),
        "as_of": balance.as_of,
    })
}

fn fetch(url: &str, key: &ApiKey) -> Result<Balance, Error> {
    let root = account::get_json(url, key, "the balance answer").map_err(|mut error| {
        if error.api.status == Some(404) {
            error.message = "the service has no balance endpoint here".into();
            error.hint = Some(if url.trim_end_matches("/credits/balance").ends_with("/v1") {
                "the balance is shown in the console: https://console.aisa.one".into()
            } else {
                "the base URL usually ends in /v1 (https://api.aisa.one/v1); the console shows the balance too".into()
            });
        }
        error
    })?;
    parse(&root).ok_or_else(|| Error::new(Kind::Other, "the balance answer has no available_balance_micros_usd"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integer_micro_dollars_without_drift() {
        let root = json!({"currency": "USD", "available_balance_micros_usd": 12_345_678_901_u64,
            "api_key": {"unlimited": false, "remaining_micros_usd": "5000000", "used_micros_usd": 1}, "as_of": "t"});
        let balance = parse(&root).unwrap();
        assert_eq!(balance.available, 12_345_678_901);
        assert_eq!(format_usd(balance.available), "$12345.678901");
        assert_eq!(balance.key_remaining, Some(Some(5_000_000)));
        let unlimited = parse(&json!({"available_balance_micros_usd": 0, "api_key": {"unlimited": true}})).unwrap();
        assert_eq!(unlimited.key_remaining, Some(None));
        let oauth = parse(&json!({"available_balance_micros_usd": 7})).unwrap();
        assert_eq!(oauth.key_remaining, None);
        assert_eq!(parse(&json!({"balance": 1})), None);
    }
}

//! The gateway's billing controls as the emulator plays them (aisa-api.md §18; issue 25):
//! `Idempotency-Key` remembered for the emulator's run, `X-AISA-Max-Price-USD` checked
//! against the list prices, `X-AISA-Cost-Mode: quote`, and what a request is charged.
//!
//! They were seen on the gateway's metered routes only; the emulator plays them on every
//! paid POST, so that a client's use of them can be tested, and `--idempotency off` plays
//! a service that ignores the key.

use std::collections::HashMap;
use std::sync::Mutex;

use hyper::HeaderMap;
use serde_json::{Value, json};

use crate::catalogue::Price;
use crate::catalogue::money::{self, Micros};

/// What a request asked of the billing controls, read from its headers.
#[derive(Debug, Default)]
pub struct Asked {
    pub idempotency_key: Option<String>,
    /// `X-AISA-Max-Price-USD`: the amount, or the text that is no amount.
    pub max_price: Option<Result<Micros, String>>,
    /// `X-AISA-Cost-Mode: quote`.
    pub quote: bool,
}

impl Asked {
    pub fn from(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        Self {
            idempotency_key: text("idempotency-key").filter(|k| !k.is_empty()).map(String::from),
            max_price: text("x-aisa-max-price-usd")
                .map(|t| money::parse_limit_usd(t).ok_or_else(|| t.chars().take(40).collect())),
            quote: text("x-aisa-cost-mode").is_some_and(|m| m.eq_ignore_ascii_case("quote")),
        }
    }
}

/// What the emulator charges for a request of `images` images at `price`: the list price
/// per image, or per request (Seedream 5.0, and the Wan models with `--bill-per-request`);
/// models billed by tokens cost nothing here (the emulator counts no tokens).
pub fn charge(price: Price, images: u32) -> Micros {
    match price {
        Price::PerImage(p) => p.saturating_mul(u64::from(images)),
        Price::PerRequest(p) => p,
        Price::ByTokens | Price::Unknown => 0,
    }
}

/// The body of a quote (`X-AISA-Cost-Mode: quote`): exact for a fixed list price; for a
/// model billed by tokens an estimate of what the emulator charges (nothing) that may be
/// exceeded.
pub fn quote(price: Price, images: u32) -> Value {
    let fixed = price.amount().is_some();
    json!({
        "object": "cost_estimate",
        "currency": "USD",
        "estimate_kind": if fixed { "exact" } else { "estimate" },
        "estimated_cost_micros_usd": charge(price, images),
        "may_exceed_estimate": !fixed,
    })
}

/// Where an `Idempotency-Key` stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// A request with it is being answered.
    InFlight,
    /// A request with it was answered with success (and billed).
    Completed,
}

/// Why a request's key is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// A request with this key completed: `409 request_already_completed`, not billed.
    Completed,
    /// A request with this key is still being answered: `409 request_in_progress`.
    InFlight,
}

/// The keys of this run of the emulator, per API key.
#[derive(Debug)]
pub struct Keys {
    on: bool,
    seen: Mutex<HashMap<(String, String), Seen>>,
}

impl Keys {
    /// `on: false` plays a service that ignores the header.
    pub fn new(on: bool) -> Self {
        Self { on, seen: Mutex::new(HashMap::new()) }
    }

    /// Claims `key` for a request made with `api_key`: a claim to mark completed once the
    /// request succeeds; dropped without that (a failure, a dropped connection), the key
    /// is free again, since nothing was billed.
    pub fn claim<'a>(&'a self, api_key: &str, key: Option<&str>) -> Result<Claim<'a>, Conflict> {
        let Some(key) = key.filter(|_| self.on) else { return Ok(Claim { keys: self, id: None, done: false }) };
        let id = (api_key.to_string(), key.to_string());
        let mut seen = self.seen.lock().expect("idempotency keys lock");
        match seen.get(&id) {
            Some(Seen::Completed) => Err(Conflict::Completed),
            Some(Seen::InFlight) => Err(Conflict::InFlight),
            None => {
                seen.insert(id.clone(), Seen::InFlight);
                Ok(Claim { keys: self, id: Some(id), done: false })
            }
        }
    }
}

/// A key held while its request is answered.
#[derive(Debug)]
pub struct Claim<'a> {
    keys: &'a Keys,
    id: Option<(String, String)>,
    done: bool,
}

impl Claim<'_> {
    /// The request succeeded: a repeat of its key is now answered 409.
    pub fn complete(mut self) {
        if let Some(id) = self.id.take() {
            self.keys.seen.lock().expect("idempotency keys lock").insert(id, Seen::Completed);
        }
        self.done = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && !self.done
        {
            self.keys.seen.lock().expect("idempotency keys lock").remove(&id);
        }
    }
}

/// The 409 of a repeated key, or the 402 of a price over the cap, in the gateway's shape
/// (`{"error": {"code", "message", "retryable"}}`, with the type and request id every
/// error of the emulator carries).
pub fn error_body(code: &str, message: &str, retryable: bool, request_id: &str) -> Value {
    let kind = if code == "estimated_price_exceeds_max_price" { "billing_error" } else { "invalid_request_error" };
    json!({"error": {"type": kind, "code": code, "message": message, "retryable": retryable, "request_id": request_id}})
}

impl Conflict {
    pub fn code(self) -> &'static str {
        match self {
            Self::Completed => "request_already_completed",
            Self::InFlight => "request_in_progress",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Completed => "An identical request is already complete.",
            Self::InFlight => "A request with this Idempotency-Key is still in progress.",
        }
    }

    pub fn body(self, request_id: &str) -> Value {
        error_body(self.code(), self.message(), self == Self::InFlight, request_id)
    }
}

/// The 402 of a request whose estimate is over `X-AISA-Max-Price-USD`.
pub fn over_cap(estimate: Micros, cap: Micros, request_id: &str) -> Value {
    let message = format!(
        "The estimated price {} is over X-AISA-Max-Price-USD {}; nothing was charged",
        money::format_usd(estimate),
        money::format_usd(cap)
    );
    error_body("estimated_price_exceeds_max_price", &message, false, request_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_refused_once_completed_and_free_again_after_a_failure() {
        let keys = Keys::new(true);
        let first = keys.claim("k", Some("a")).unwrap();
        assert_eq!(keys.claim("k", Some("a")).unwrap_err(), Conflict::InFlight);
        assert!(keys.claim("other key", Some("a")).is_ok(), "keys are per API key");
        drop(first);
        let again = keys.claim("k", Some("a")).expect("a failed request frees its key");
        again.complete();
        assert_eq!(keys.claim("k", Some("a")).unwrap_err(), Conflict::Completed);
        assert!(keys.claim("k", None).is_ok(), "no key, no check");
        let off = Keys::new(false);
        off.claim("k", Some("a")).unwrap().complete();
        assert!(off.claim("k", Some("a")).is_ok(), "--idempotency off ignores the header");
    }

    #[test]
    fn charges_and_quotes_follow_the_list_price() {
        assert_eq!(charge(Price::PerImage(30_000), 4), 120_000);
        assert_eq!(charge(Price::PerRequest(30_000), 4), 30_000);
        assert_eq!(charge(Price::ByTokens, 4), 0);
        let exact = quote(Price::PerImage(30_000), 2);
        assert_eq!(exact["estimated_cost_micros_usd"], 60_000);
        assert_eq!(
            (exact["estimate_kind"].as_str(), exact["may_exceed_estimate"].as_bool()),
            (Some("exact"), Some(false))
        );
        assert_eq!(quote(Price::ByTokens, 1)["may_exceed_estimate"], true);
    }

    #[test]
    fn headers_are_read_and_a_bad_cap_is_kept_as_text() {
        let mut headers = HeaderMap::new();
        headers.insert("idempotency-key", "abc".parse().unwrap());
        headers.insert("x-aisa-max-price-usd", "0.05".parse().unwrap());
        headers.insert("x-aisa-cost-mode", "QUOTE".parse().unwrap());
        let asked = Asked::from(&headers);
        assert_eq!(asked.idempotency_key.as_deref(), Some("abc"));
        assert_eq!(asked.max_price, Some(Ok(50_000)));
        assert!(asked.quote);
        headers.insert("x-aisa-max-price-usd", "lots".parse().unwrap());
        assert_eq!(Asked::from(&headers).max_price, Some(Err("lots".into())));
    }
}

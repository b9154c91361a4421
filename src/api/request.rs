//! One request's job, as every route adapter takes it, and what is shared in showing bodies.

use serde::Serialize;
use serde_json::{Map, Value};

use super::route::Payload;
use crate::files::reference::{LocalImage, Reference};

/// One API request: a prompt, its references, and the images to ask for.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub references: &'a [Reference],
    /// `--mask`: for the first reference, on the images route's edit form.
    pub mask: Option<&'a LocalImage>,
    pub n: u32,
    /// `size` and `--param` fields, added to the body as given.
    pub extra: &'a Map<String, Value>,
    /// The gateway's billing controls sent with it (aisa-api.md §18), ignored by a gateway
    /// that does not know them: `Idempotency-Key`, the same for the same request sent again…
    pub idempotency_key: Option<&'a str>,
    /// …and `X-AISA-Max-Price-USD`, in micro-dollars: the request's share of `--max-cost`…
    pub max_price: Option<u64>,
    /// …and `X-AISA-Cost-Mode: quote`: priced by the service, not run (`--dry-run --quote`).
    pub quote: bool,
}

impl<'a> Job<'a> {
    /// A job of one image of `model` for "red panda", with no billing headers: the route
    /// adapters' tests build their bodies from it.
    #[cfg(test)]
    pub fn sample(model: &'a str, references: &'a [Reference], extra: &'a Map<String, Value>) -> Self {
        Self {
            model,
            prompt: "red panda",
            references,
            mask: None,
            n: 1,
            extra,
            idempotency_key: None,
            max_price: None,
            quote: false,
        }
    }
}

/// Fields `wan` sets itself, which `--param` may not replace.
pub const RESERVED_FIELDS: &[&str] = &["model", "messages", "prompt", "n", "image", "image[]", "mask"];

/// A JSON body, serialised once and shared between retries.
pub fn json_payload<'a>(body: &impl Serialize) -> Payload<'a> {
    Payload::Json(serde_json::to_vec(body).expect("request bodies always serialise").into())
}

/// A copy of `body` with every long base64 payload cut short, for showing to people.
pub fn abbreviated(body: &Value) -> Value {
    match body {
        Value::String(s) => Value::String(abbreviate(s)),
        Value::Array(items) => Value::Array(items.iter().map(abbreviated).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), abbreviated(v))).collect()),
        other => other.clone(),
    }
}

fn abbreviate(s: &str) -> String {
    const KEEP: usize = 24;
    match s.find(";base64,") {
        Some(at) if s.starts_with("data:") && s.len() > at + 8 + KEEP => {
            let payload = s.len() - at - 8;
            format!("{}…({payload} base64 characters)", &s[..at + 8 + KEEP])
        }
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn abbreviation_cuts_base64_and_keeps_the_rest() {
        let long = format!("data:image/png;base64,{}", "A".repeat(1000));
        let body = json!({"url": long, "text": "keep me", "n": 2});
        let short = abbreviated(&body);
        assert_eq!(short["text"], "keep me");
        assert_eq!(short["n"], 2);
        let url = short["url"].as_str().unwrap();
        assert!(url.len() < 100, "{url}");
        assert!(url.ends_with("(1000 base64 characters)"));
    }
}

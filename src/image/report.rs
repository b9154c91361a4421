//! What a run reports: the saved paths (or one JSON object per prompt) on stdout, and the summary line.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::catalogue::Price;
use crate::catalogue::bill::Bill;
use crate::catalogue::money;
use crate::error::{Error, Kind};
use crate::files::format::ImageFormat;
use crate::term::text::plural;

/// One image written to disk.
#[derive(Clone, Debug)]
pub struct SavedImage {
    /// As printed: `DIR/NAME` with `DIR` as the user gave it.
    pub path: PathBuf,
    /// The number it was given in its request's block (`None`: a file taken where a killed
    /// run left it), by which its prompt's paths are printed in order.
    pub number: Option<u64>,
    pub bytes: u64,
    pub format: ImageFormat,
    /// `url` or `base64`.
    pub source: &'static str,
    pub url: Option<String>,
}

/// An image the service returned (and billed) that could not be saved.
#[derive(Clone, Debug)]
pub struct Unsaved {
    pub url: Option<String>,
    pub error: Error,
}

/// Everything that happened to one prompt, across its requests.
#[derive(Debug)]
pub struct PromptResult {
    pub prompt: String,
    pub asked: u64,
    pub bill: Bill,
    pub images: Vec<SavedImage>,
    pub unsaved: Vec<Unsaved>,
    pub request_ids: Vec<String>,
    pub usage: Option<Value>,
    /// Requests of this prompt that failed, in the order they failed.
    pub errors: Vec<Error>,
    /// Requests of this prompt not sent after a failure stopped the run, and that failure.
    pub not_sent: u64,
    pub stopped_by: Option<Error>,
}

impl PromptResult {
    pub fn new(prompt: String, asked: u64, price: Price) -> Self {
        Self {
            prompt,
            asked,
            bill: Bill::new(price),
            images: Vec::new(),
            unsaved: Vec::new(),
            request_ids: Vec::new(),
            usage: None,
            errors: Vec::new(),
            not_sent: 0,
            stopped_by: None,
        }
    }

    /// Adds one answer's usage, summing numeric fields across requests.
    pub fn add_usage(&mut self, usage: &Value) {
        match (&mut self.usage, usage) {
            (Some(Value::Object(sum)), Value::Object(more)) => {
                for (key, value) in more {
                    let added = match (sum.get(key).and_then(Value::as_u64), value.as_u64()) {
                        (Some(a), Some(b)) => json!(a + b),
                        _ => value.clone(),
                    };
                    sum.insert(key.clone(), added);
                }
            }
            (slot, _) => *slot = Some(usage.clone()),
        }
    }

    /// The failure that stands for this prompt, if it did not get every image.
    pub fn failure(&self) -> Option<Error> {
        if let Some(first) = self.errors.first() {
            return Some(first.clone());
        }
        if let Some(root) = &self.stopped_by {
            // The failure that stopped the run stands for this prompt too: its kind and
            // what the API said, but not a request id of a request this prompt never sent.
            let mut error = root.clone();
            error.message = format!("not sent, after another request failed: {}", root.message);
            error.api.request_id = None;
            return Some(error);
        }
        let saved = self.images.len() as u64;
        if !self.unsaved.is_empty() {
            let n = self.unsaved.len();
            return Some(Error::new(Kind::Partial, format!("{n} image{} not saved", plural(n as u64))));
        }
        (saved < self.asked).then(|| {
            Error::new(Kind::Partial, format!("the service returned {saved} of the {} images asked for", self.asked))
        })
    }

    /// The `--json` object for this prompt.
    /// `run` is the journal's id of the run (null without a journal).
    pub fn to_json(&self, model: &str, run: Option<&str>) -> Value {
        // In file order, not the order the downloads happened to finish in.
        let mut in_order: Vec<&SavedImage> = self.images.iter().collect();
        in_order.sort_by(|a, b| a.path.cmp(&b.path));
        let images: Vec<Value> = in_order
            .into_iter()
            .map(|image| {
                json!({
                    "path": image.path.display().to_string(),
                    "bytes": image.bytes,
                    "format": image.format,
                    "source": image.source,
                    "url": image.url,
                })
            })
            .collect();
        let unsaved: Vec<Value> =
            self.unsaved.iter().map(|u| json!({"url": u.url, "message": u.error.to_string()})).collect();
        json!({
            "run": run,
            "prompt": self.prompt,
            "model": model,
            "images": images,
            "cost": self.cost_json(),
            // What the service said it charged (null: it did not say; not free).
            "charged": self.bill.charged().map(money::to_usd),
            "request_ids": self.request_ids,
            "usage": self.usage,
            "error": self.failure().map(|e| e.to_json()),
            "unsaved": unsaved,
        })
    }
}

impl PromptResult {
    /// `{per_image, count, total, currency}` as the contract has it, and the list price's
    /// unit: `per_request` and `requests` for a model priced per request.
    fn cost_json(&self) -> Value {
        let bill = &self.bill;
        let (per_image, per_request) = match bill.price {
            Price::PerImage(p) => (Some(money::to_usd(p)), None),
            Price::PerRequest(p) => (None, Some(money::to_usd(p))),
            Price::ByTokens | Price::Unknown => (None, None),
        };
        json!({
            "per_image": per_image,
            "per_request": per_request,
            "unit": bill.price.unit(),
            "count": bill.count,
            "requests": bill.answers,
            "total": bill.total().map(money::to_usd),
            "currency": "USD",
        })
    }
}

/// `saved 4 images to out/ · wan2.7-image · 4 × $0.030 = $0.120`, or `saved 4 of 8
/// images …` when fewer were saved than were asked for or billed; a matrix's `bills`
/// (one per model) are named with their sum: `saved 4 images to out/ · 2 models · $0.160
/// (wan2.7-image 2 × $0.030 = $0.060 · gpt-image-2 2 × $0.050 = $0.100)`.
pub fn summary_line(saved: u64, asked: u64, bills: &[(&str, &Bill)], folder: &str) -> String {
    let billed: u64 = bills.iter().map(|(_, bill)| bill.count).sum();
    let expected = asked.max(billed);
    let counted = if saved >= expected {
        format!("{saved} image{}", plural(saved))
    } else {
        format!("{saved} of {expected} image{}", plural(expected))
    };
    let cost = match (billed, bills) {
        // a resume that only fetched images paid for before
        (0, _) => "nothing billed by this run".to_string(),
        (_, [(_, bill)]) => bill.describe(),
        _ => crate::catalogue::bill::describe_each(bills),
    };
    match bills {
        [(model, _)] => format!("saved {counted} to {folder} · {model} · {cost}"),
        _ => format!("saved {counted} to {folder} · {} models · {cost}", bills.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(name: &str) -> SavedImage {
        SavedImage {
            path: PathBuf::from(name),
            number: None,
            bytes: 10,
            format: ImageFormat::Png,
            source: "url",
            url: Some("https://h/a.png".into()),
        }
    }

    #[test]
    fn summary_counts_saved_and_billed_images() {
        let mut bill = Bill::new(crate::catalogue::profile("wan2.7-image").price);
        bill.add_answer(4, None, None);
        assert_eq!(
            summary_line(4, 4, &[("wan2.7-image", &bill)], "out/"),
            "saved 4 images to out/ · wan2.7-image · 4 × $0.030 = $0.120"
        );
        assert_eq!(
            summary_line(3, 4, &[("wan2.7-image", &bill)], "out/"),
            "saved 3 of 4 images to out/ · wan2.7-image · 4 × $0.030 = $0.120"
        );
        let mut one = Bill::new(crate::catalogue::profile("wan2.7-image-pro").price);
        one.add_answer(1, None, None);
        assert_eq!(
            summary_line(1, 1, &[("wan2.7-image-pro", &one)], "./"),
            "saved 1 image to ./ · wan2.7-image-pro · 1 × $0.075 = $0.075"
        );
    }

    #[test]
    fn summary_tells_the_shortfall_of_a_request_that_failed_outright() {
        let mut bill = Bill::new(crate::catalogue::profile("wan2.7-image").price);
        bill.add_answer(4, None, None);
        assert_eq!(
            summary_line(4, 8, &[("wan2.7-image", &bill)], "out/"),
            "saved 4 of 8 images to out/ · wan2.7-image · 4 × $0.030 = $0.120"
        );
    }

    #[test]
    fn a_matrix_s_summary_counts_every_model_and_sums_their_costs() {
        let mut wan = Bill::new(crate::catalogue::profile("wan2.7-image").price);
        wan.add_answer(2, None, None);
        let mut gpt = Bill::new(crate::catalogue::profile("gpt-image-2").price);
        gpt.add_answer(1, None, None);
        assert_eq!(
            summary_line(3, 4, &[("wan2.7-image", &wan), ("gpt-image-2", &gpt)], "out/"),
            "saved 3 of 4 images to out/ · 2 models · $0.110 (wan2.7-image 2 × $0.030 = $0.060 · \
             gpt-image-2 1 × $0.050 = $0.050)"
        );
    }

    #[test]
    fn usage_is_summed_across_requests() {
        let mut result = PromptResult::new("p".into(), 5, crate::catalogue::profile("wan2.7-image").price);
        result.add_usage(&json!({"prompt_tokens": 100, "total_tokens": 110}));
        result.add_usage(&json!({"prompt_tokens": 1, "total_tokens": 2}));
        assert_eq!(result.usage, Some(json!({"prompt_tokens": 101, "total_tokens": 112})));
    }

    #[test]
    fn a_prompt_missing_images_is_partial() {
        let mut result = PromptResult::new("p".into(), 2, crate::catalogue::profile("wan2.7-image").price);
        result.images.push(saved("a-001.png"));
        assert_eq!(result.failure().unwrap().kind, Kind::Partial);
        result.images.push(saved("a-002.png"));
        assert!(result.failure().is_none());
    }

    #[test]
    fn json_has_every_contract_field() {
        let mut result = PromptResult::new("red panda".into(), 1, crate::catalogue::profile("wan2.7-image").price);
        result.images.push(saved("out/red-panda-001.png"));
        result.bill.add_answer(1, None, None);
        result.request_ids.push("req_1".into());
        let value = result.to_json("wan2.7-image", Some("abc"));
        assert_eq!(value["run"], "abc");
        assert_eq!(value["prompt"], "red panda");
        assert_eq!(value["images"][0]["path"], "out/red-panda-001.png");
        assert_eq!(value["images"][0]["format"], "png");
        assert_eq!(
            value["cost"],
            json!({"per_image": 0.03, "per_request": null, "unit": "image", "count": 1, "requests": 1, "total": 0.03, "currency": "USD"})
        );
        assert_eq!(value["request_ids"], json!(["req_1"]));
        assert_eq!(value["error"], Value::Null);
    }
}

//! The emulator's successful answers, in each family's own form: Wan's chat choices (or
//! images `data[]`), Seedream's URLs, gpt-image's `b64_json`, Gemini's `inlineData` parts.

use serde_json::{Value, json};

use super::draw::mix;
use super::requests::{Family, Job, Route};

/// How a family hands its pictures over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A short-lived URL the emulator serves.
    Url,
    /// Base64 in the answer.
    Base64,
}

/// Wan answers URLs, or base64 with `--base64`; Seedream always URLs; gpt-image and Gemini
/// always base64 ("GPT image models always return base64"; Gemini's `inlineData`).
pub fn delivery(family: Family, base64: bool) -> Delivery {
    match family {
        Family::Wan if base64 => Delivery::Base64,
        Family::Wan | Family::Seedream => Delivery::Url,
        Family::GptImage | Family::Gemini => Delivery::Base64,
    }
}

/// The answer for `job`, whose pictures are `images` (URLs or base64, as delivered).
pub fn body(job: &Job, images: &[String], delivery: Delivery, seq: u64, created: u64) -> Value {
    let (width, height) = job.size;
    let size = format!("{width}x{height}");
    let prompt_tokens = 100 + job.prompt.split_whitespace().count() as u64;
    match (&job.route, job.family) {
        (Route::Chat, _) => json!({
            "id": format!("chatcmpl-{:016x}", mix(seq)),
            "object": "chat.completion",
            "created": created,
            "model": job.model,
            "choices": images.iter().enumerate().map(|(i, image)| json!({
                "index": i,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": [{"type": "image", "image": image}]}
            })).collect::<Vec<_>>(),
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 8, "total_tokens": prompt_tokens + 8}
        }),
        (Route::Gemini { .. }, _) => {
            let mut parts = vec![json!({"text": format!("Here is the picture: {}", job.prompt)})];
            parts.extend(images.iter().map(|data| json!({"inlineData": {"mimeType": "image/png", "data": data}})));
            json!({
                "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": 1290,
                    "totalTokenCount": prompt_tokens + 1290},
                "modelVersion": job.model,
                "responseId": format!("{:016x}", mix(seq ^ 0x6e6d)),
            })
        }
        (_, Family::GptImage) => json!({
            "created": created,
            "data": images.iter().map(|b64| json!({"b64_json": b64})).collect::<Vec<_>>(),
            "background": "opaque",
            "output_format": "png",
            "quality": "medium",
            "size": size,
            "usage": {"input_tokens": prompt_tokens, "output_tokens": 1056 * u64::from(job.n),
                "total_tokens": prompt_tokens + 1056 * u64::from(job.n),
                "input_tokens_details": {"text_tokens": prompt_tokens, "image_tokens": 0}}
        }),
        _ => {
            let field = if delivery == Delivery::Base64 { "b64_json" } else { "url" };
            json!({
                "model": job.model,
                "created": created,
                "data": images.iter().map(|image| json!({field: image, "size": size})).collect::<Vec<_>>(),
                "usage": {"generated_images": job.n, "output_tokens": 0, "total_tokens": 0}
            })
        }
    }
}

/// The routes `GET /v1/models` lists for a model, as the emulator serves them.
pub fn endpoint_types(model: &crate::catalogue::Model, moved: bool) -> Vec<&'static str> {
    match Family::of(model.name) {
        Family::Wan if !moved => vec!["chat/completions"],
        Family::Wan | Family::GptImage => vec!["images/generations", "images/edits"],
        Family::Seedream => vec!["images/generations"],
        Family::Gemini => vec!["generateContent"],
    }
}

/// The folder of a family's image URLs, as the service's CDN names them.
pub fn url_folder(family: Family) -> &'static str {
    match family {
        Family::Wan => "wan2.7",
        Family::Seedream => "seedream",
        Family::GptImage => "gpt-image",
        Family::Gemini => "gemini",
    }
}

/// The time an answer is made, in UNIX seconds (its `created`, a task's `completed_at`).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Price;

    fn job(route: Route, family: Family, model: &str, n: u32) -> Job {
        Job {
            route,
            family,
            model: model.into(),
            prompt: "red panda".into(),
            n,
            size: (64, 32),
            reference: None,
            price: Price::Unknown,
        }
    }

    #[test]
    fn each_family_answers_in_its_own_form() {
        let images = ["A".to_string(), "B".to_string()];
        let wan = body(&job(Route::Chat, Family::Wan, "wan2.7-image", 2), &images, Delivery::Url, 1, 0);
        assert_eq!(wan["choices"][1]["message"]["content"][0], json!({"type": "image", "image": "B"}));
        let seedream = job(Route::Generations, Family::Seedream, "seedream-5-0-260128", 1);
        let answer = body(&seedream, &images[..1], delivery(Family::Seedream, true), 1, 0);
        assert_eq!(answer["data"], json!([{"url": "A", "size": "64x32"}]), "Seedream answers URLs even with --base64");
        let gpt = body(&job(Route::Generations, Family::GptImage, "gpt-image-2", 2), &images, Delivery::Base64, 1, 0);
        assert_eq!(gpt["data"], json!([{"b64_json": "A"}, {"b64_json": "B"}]));
        let route = Route::Gemini { model: "gemini-3-pro-image-preview".into() };
        let gemini =
            body(&job(route, Family::Gemini, "gemini-3-pro-image-preview", 1), &images[..1], Delivery::Base64, 1, 0);
        assert_eq!(
            gemini["candidates"][0]["content"]["parts"][1],
            json!({"inlineData": {"mimeType": "image/png", "data": "A"}})
        );
        assert_eq!(delivery(Family::GptImage, false), Delivery::Base64);
        assert_eq!(delivery(Family::Wan, false), Delivery::Url);
    }
}

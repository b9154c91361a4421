//! The emulator's successful answers, in each family's own form: Wan's chat choices (or
//! images `data[]`), Seedream's URLs, gpt-image's `b64_json`, Gemini's `inlineData` parts;
//! and the same as server-sent events where a client asks for a stream.

use serde_json::{Map, Value, json};

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

/// The id of one answer: UUID-shaped (`fcc86dfd-9424-9523-b0bd-cdf07383bee2`, as the
/// seeds' `chatcmpl-…` ids are), from 128 bits that differ run by run.
pub fn answer_id(bits: (u64, u64)) -> String {
    let hex = format!("{:016x}{:016x}", bits.0, bits.1);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The answer for `job`, whose pictures are `images` (URLs or base64, as delivered);
/// `id` is the answer's own (see [`answer_id`]).
pub fn body(job: &Job, images: &[String], delivery: Delivery, id: &str, created: u64) -> Value {
    let (width, height) = job.size;
    let size = format!("{width}x{height}");
    let prompt_tokens = 100 + job.prompt.split_whitespace().count() as u64;
    match (&job.route, job.family) {
        (Route::Chat, _) => json!({
            "id": format!("chatcmpl-{id}"),
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
                "responseId": id.replace('-', ""),
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

/// A streamed answer, as server-sent events: chat's `chat.completion.chunk`s (a chunk
/// per picture, each a choice whose `delta` holds its image part, then one that ends
/// every choice, the usage if asked for, and `[DONE]`), or Gemini's
/// `GenerateContentResponse`s (the text, then the picture with the finish reason and the
/// usage). `events` false gives Gemini's other form: the same responses as a JSON array.
pub fn stream(job: &Job, answer: &Value, events: bool) -> String {
    let chunks: Vec<Value> = match job.route {
        Route::Chat => {
            let chunk = |choices: Value| {
                json!({"id": answer["id"], "object": "chat.completion.chunk", "created": answer["created"],
                       "model": answer["model"], "choices": choices})
            };
            let choices = answer["choices"].as_array().cloned().unwrap_or_default();
            let mut chunks: Vec<Value> = choices
                .iter()
                .map(|c| {
                    chunk(json!([{"index": c["index"], "finish_reason": null,
                        "delta": {"role": "assistant", "content": c["message"]["content"]}}]))
                })
                .collect();
            let ends: Vec<Value> =
                choices.iter().map(|c| json!({"index": c["index"], "delta": {}, "finish_reason": "stop"})).collect();
            chunks.push(chunk(Value::Array(ends)));
            if job.include_usage {
                let mut last = chunk(json!([]));
                last["usage"] = answer["usage"].clone();
                chunks.push(last);
            }
            chunks
        }
        _ => {
            let candidate = &answer["candidates"][0];
            let parts = candidate["content"]["parts"].as_array().cloned().unwrap_or_default();
            let (text, pictures): (Vec<Value>, Vec<Value>) = parts.into_iter().partition(|p| p.get("text").is_some());
            let mut first = answer.clone();
            first["candidates"] = json!([{"content": {"role": "model", "parts": text}, "index": 0}]);
            if let Some(first) = first.as_object_mut() {
                first.remove("usageMetadata");
            }
            let mut last = answer.clone();
            last["candidates"][0]["content"]["parts"] = Value::Array(pictures);
            vec![first, last]
        }
    };
    if !events {
        return Value::Array(chunks).to_string();
    }
    let mut text: String = chunks.iter().map(|c| format!("data: {c}\r\n\r\n")).collect();
    if job.route == Route::Chat {
        text.push_str("data: [DONE]\r\n\r\n");
    }
    text
}

/// `value` with every object key in snake_case (`inlineData` → `inline_data`), as
/// protobuf's JSON form allows and AIsa's OpenAPI file names the Gemini fields.
pub fn snake_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (snake_case(&k), snake_case_keys(v))).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case_keys).collect()),
        other => other,
    }
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The routes `GET /v1/models` lists for a model, as the emulator serves them.
pub fn endpoint_types(model: &crate::catalogue::Model, moved: bool) -> Vec<&'static str> {
    endpoint_types_of(model.name, moved)
}

/// The same for a model name, image or video: video models on the gateway's task route
/// (unless `--no-video-gateway`), and the Wan-shaped ones on DashScope's too.
pub fn video_endpoint_types(name: &str, gateway: bool) -> Vec<&'static str> {
    let mut types = Vec::new();
    if gateway {
        types.push("video/generations");
    }
    if crate::catalogue::video::family(name) == crate::catalogue::video::Family::Wan {
        types.push("video-synthesis");
    }
    types
}

fn endpoint_types_of(name: &str, moved: bool) -> Vec<&'static str> {
    match Family::of(name) {
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
            mask: None,
            price: Price::Unknown,
            stream: false,
            include_usage: false,
        }
    }

    #[test]
    fn each_family_answers_in_its_own_form() {
        let images = ["A".to_string(), "B".to_string()];
        let wan = body(&job(Route::Chat, Family::Wan, "wan2.7-image", 2), &images, Delivery::Url, "1", 0);
        assert_eq!(wan["choices"][1]["message"]["content"][0], json!({"type": "image", "image": "B"}));
        let seedream = job(Route::Generations, Family::Seedream, "seedream-5-0-260128", 1);
        let answer = body(&seedream, &images[..1], delivery(Family::Seedream, true), "1", 0);
        assert_eq!(answer["data"], json!([{"url": "A", "size": "64x32"}]), "Seedream answers URLs even with --base64");
        let gpt = body(&job(Route::Generations, Family::GptImage, "gpt-image-2", 2), &images, Delivery::Base64, "1", 0);
        assert_eq!(gpt["data"], json!([{"b64_json": "A"}, {"b64_json": "B"}]));
        let route = Route::Gemini { model: "gemini-3-pro-image-preview".into(), stream: false };
        let gemini =
            body(&job(route, Family::Gemini, "gemini-3-pro-image-preview", 1), &images[..1], Delivery::Base64, "1", 0);
        assert_eq!(
            gemini["candidates"][0]["content"]["parts"][1],
            json!({"inlineData": {"mimeType": "image/png", "data": "A"}})
        );
        assert_eq!(delivery(Family::GptImage, false), Delivery::Base64);
        assert_eq!(delivery(Family::Wan, false), Delivery::Url);
    }

    #[test]
    fn streams_are_chunks_of_the_same_answer_then_done() {
        let images = ["A".to_string(), "B".to_string()];
        let mut wan = job(Route::Chat, Family::Wan, "wan2.7-image", 2);
        wan.include_usage = true;
        let answer = body(&wan, &images, Delivery::Url, "x", 0);
        let text = stream(&wan, &answer, true);
        let events: Vec<&str> = text.split("\r\n\r\n").filter(|e| !e.is_empty()).collect();
        assert_eq!(events.len(), 5, "{text}");
        assert_eq!(events[4], "data: [DONE]");
        let chunk = |i: usize| serde_json::from_str::<Value>(events[i].strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(chunk(1)["object"], "chat.completion.chunk");
        assert_eq!(chunk(1)["choices"][0]["delta"]["content"][0], json!({"type": "image", "image": "B"}));
        assert_eq!(chunk(2)["choices"][1]["finish_reason"], "stop");
        assert_eq!(chunk(3)["usage"], answer["usage"]);
        let route = Route::Gemini { model: "gemini-3-pro-image-preview".into(), stream: true };
        let gemini = job(route, Family::Gemini, "gemini-3-pro-image-preview", 1);
        let answer = body(&gemini, &images[..1], Delivery::Base64, "x", 0);
        let array: Value = serde_json::from_str(&stream(&gemini, &answer, false)).unwrap();
        assert!(array[0]["candidates"][0]["content"]["parts"][0]["text"].is_string());
        assert_eq!(array[1]["candidates"][0]["content"]["parts"][0]["inlineData"]["data"], "A");
    }

    #[test]
    fn keys_turn_to_snake_case_and_values_stay() {
        let camel = json!({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png"}}]}}],
                           "usageMetadata": {"promptTokenCount": 1}, "modelVersion": "gemini-X"});
        assert_eq!(
            snake_case_keys(camel),
            json!({"candidates": [{"content": {"parts": [{"inline_data": {"mime_type": "image/png"}}]}}],
                   "usage_metadata": {"prompt_token_count": 1}, "model_version": "gemini-X"})
        );
        assert_eq!(answer_id((0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210)), "01234567-89ab-cdef-fedc-ba9876543210");
    }
}

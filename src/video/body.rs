//! The create request's body, per model family and per route, exactly as the contract
//! gives them (pure: what goes on the wire is decided here and tested here).

use serde_json::{Map, Value, json};

use super::media::{Media, MediaType};
use crate::catalogue::video::{Family, MediaFields, family, media_fields};

/// Everything one create sends.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub media: &'a [Media],
    /// `720P` or `1080P`; absent for a family whose body has no `parameters`.
    pub resolution: Option<&'a str>,
    pub duration: Option<u32>,
    /// `--param` fields: into `parameters` (Wan, DashScope), else at the top (Seedance).
    pub params: &'a Map<String, Value>,
    /// The create's Idempotency-Key: the same if it is ever sent again.
    pub idempotency_key: Option<&'a str>,
}

/// `--param` keys that `wan` sets itself: the flags say them.
pub const RESERVED_PARAMS: &[&str] = &["resolution", "duration", "model", "input", "content", "parameters"];

fn parameters(job: &Job) -> Value {
    let mut parameters = Map::new();
    if let Some(resolution) = job.resolution {
        parameters.insert("resolution".into(), json!(resolution));
    }
    if let Some(duration) = job.duration {
        parameters.insert("duration".into(), json!(duration));
    }
    parameters.extend(job.params.iter().map(|(k, v)| (k.clone(), v.clone())));
    Value::Object(parameters)
}

/// `POST {base}/video/generations`: the gateway forwards the body to the vendor, so it
/// takes the vendor's shape (aisa-api.md §14 B).
pub fn gateway(job: &Job) -> Value {
    match family(job.model) {
        Family::Wan if media_fields(job.model) == MediaFields::Named => named(job),
        Family::Wan => {
            let mut input = json!({"prompt": job.prompt});
            if !job.media.is_empty() {
                input["media"] =
                    job.media.iter().map(|m| json!({"type": m.kind.name(), "url": m.url})).collect::<Value>();
            }
            json!({"model": job.model, "input": input, "parameters": parameters(job)})
        }
        Family::Seedance => {
            let mut content = vec![json!({"type": "text", "text": job.prompt})];
            // One image is the contract's plain part; first and last frames together need
            // their roles, or the vendor cannot tell which is which.
            let both = job.media.iter().filter(|m| m.kind.is_frame()).count() > 1;
            for media in job.media.iter().filter(|m| m.kind.is_frame()) {
                let mut part = json!({"type": "image_url", "image_url": {"url": media.url}});
                if both {
                    part["role"] = json!(media.kind.name());
                }
                content.push(part);
            }
            let mut body = Map::new();
            body.insert("model".into(), json!(job.model));
            body.insert("content".into(), Value::Array(content));
            body.extend(job.params.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Object(body)
        }
    }
}

/// `POST {root}/apis/v1/services/aigc/video-generation/video-synthesis`, the April
/// docs' route: `input.media` is a list of URLs (aisa-api.md §14 A).
pub fn dashscope(job: &Job) -> Value {
    if media_fields(job.model) == MediaFields::Named {
        return named(job);
    }
    let mut input = json!({"prompt": job.prompt});
    if !job.media.is_empty() {
        input["media"] = job.media.iter().map(|m| json!(m.url)).collect::<Value>();
    }
    json!({"model": job.model, "input": input, "parameters": parameters(job)})
}

/// Wan 2.6's body, the same on both routes (the gateway forwards the vendor's own):
/// `{model, input:{prompt, img_url?, audio_url?}, parameters}` (aisa-api.md §14 A).
fn named(job: &Job) -> Value {
    let mut input = json!({"prompt": job.prompt});
    for media in job.media {
        match media.kind {
            MediaType::FirstFrame => input["img_url"] = json!(media.url),
            MediaType::DrivingAudio => input["audio_url"] = json!(media.url),
            // refused before sending (see `unsupported`)
            MediaType::LastFrame | MediaType::FirstClip => {}
        }
    }
    json!({"model": job.model, "input": input, "parameters": parameters(job)})
}

/// Media a model's body has no place for: Seedance takes images only, Wan 2.6 a first
/// frame and an audio track only.
pub fn unsupported(model: &str, media: &[Media]) -> Option<MediaType> {
    match (family(model), media_fields(model)) {
        (Family::Wan, MediaFields::List) => None,
        (Family::Wan, MediaFields::Named) => {
            media.iter().map(|m| m.kind).find(|k| matches!(k, MediaType::LastFrame | MediaType::FirstClip))
        }
        (Family::Seedance, _) => media.iter().map(|m| m.kind).find(|k| !k.is_frame()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(kind: MediaType, url: &str) -> Media {
        Media { kind, url: url.into(), source: url.into(), sha256: None }
    }

    #[test]
    fn wan_bodies_carry_input_media_and_parameters() {
        let frames =
            [media(MediaType::FirstFrame, "https://h/f.png"), media(MediaType::DrivingAudio, "https://h/a.mp3")];
        let mut params = Map::new();
        params.insert("seed".into(), json!(7));
        let job = Job {
            model: "wan2.7-i2v",
            prompt: "a fox runs",
            media: &frames,
            resolution: Some("720P"),
            duration: Some(5),
            params: &params,
            idempotency_key: None,
        };
        assert_eq!(
            gateway(&job),
            json!({"model": "wan2.7-i2v",
                   "input": {"prompt": "a fox runs", "media": [{"type": "first_frame", "url": "https://h/f.png"},
                                                               {"type": "driving_audio", "url": "https://h/a.mp3"}]},
                   "parameters": {"resolution": "720P", "duration": 5, "seed": 7}})
        );
        assert_eq!(
            dashscope(&job),
            json!({"model": "wan2.7-i2v",
                   "input": {"prompt": "a fox runs", "media": ["https://h/f.png", "https://h/a.mp3"]},
                   "parameters": {"resolution": "720P", "duration": 5, "seed": 7}})
        );
        let text_only = Job { media: &[], model: "wan2.7-t2v", ..job };
        assert_eq!(gateway(&text_only)["input"], json!({"prompt": "a fox runs"}));
    }

    #[test]
    fn wan_2_6_bodies_name_the_first_frame_img_url_on_both_routes() {
        let items =
            [media(MediaType::FirstFrame, "https://h/f.png"), media(MediaType::DrivingAudio, "https://h/a.mp3")];
        let none = Map::new();
        let job = Job {
            model: "wan2.6-i2v",
            prompt: "a fox",
            media: &items,
            resolution: Some("720P"),
            duration: Some(5),
            params: &none,
            idempotency_key: None,
        };
        let expected = json!({"model": "wan2.6-i2v",
            "input": {"prompt": "a fox", "img_url": "https://h/f.png", "audio_url": "https://h/a.mp3"},
            "parameters": {"resolution": "720P", "duration": 5}});
        assert_eq!(gateway(&job), expected);
        assert_eq!(dashscope(&job), expected);
        let text = Job { model: "wan2.6-t2v", media: &[], ..job };
        assert_eq!(dashscope(&text)["input"], json!({"prompt": "a fox"}));
        assert_eq!(unsupported("wan2.6-i2v", &items), None);
        let last = [media(MediaType::LastFrame, "https://h/l.png")];
        assert_eq!(unsupported("wan2.6-i2v", &last), Some(MediaType::LastFrame));
    }

    #[test]
    fn seedance_bodies_are_content_parts() {
        let none = Map::new();
        let one = [media(MediaType::FirstFrame, "https://h/f.png")];
        let job = Job {
            model: "dreamina-seedance-2-5",
            prompt: "a fox",
            media: &one,
            resolution: None,
            duration: None,
            params: &none,
            idempotency_key: None,
        };
        assert_eq!(
            gateway(&job),
            json!({"model": "dreamina-seedance-2-5",
                   "content": [{"type": "text", "text": "a fox"},
                               {"type": "image_url", "image_url": {"url": "https://h/f.png"}}]})
        );
        let two = [media(MediaType::FirstFrame, "https://h/f.png"), media(MediaType::LastFrame, "https://h/l.png")];
        let body = gateway(&Job { media: &two, ..job });
        assert_eq!(body["content"][2]["role"], "last_frame");
        assert_eq!(
            unsupported("dreamina-seedance-2-5", &[media(MediaType::DrivingAudio, "https://h/a")]),
            Some(MediaType::DrivingAudio)
        );
        assert_eq!(unsupported("wan2.7-i2v", &[media(MediaType::DrivingAudio, "https://h/a")]), None);
    }
}

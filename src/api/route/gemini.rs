//! The Gemini route of the seed documents: `POST {base}/models/{model}:generateContent`
//! (or `/v1beta/models/…` on the same host, the later docs' path) with Google's request
//! shape; the images come back as `inlineData` parts, one image per request.

use std::fmt;
use std::io::Read;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Adapter, Payload, Uploads};
use crate::api::ApiSettings;
use crate::api::request::{Job, json_payload};
use crate::api::response::{self, ImageData, ImageText, Images, Text, Unreadable};
use crate::error::Error;
use crate::files::reference::{LocalImage, Reference};

/// The route at the base URL's `/models/…`, or at `/v1beta/models/…`.
pub struct Gemini {
    beta: bool,
}

pub static GEMINI: Gemini = Gemini { beta: false };
pub static GEMINI_BETA: Gemini = Gemini { beta: true };

/// The most of a text-only answer kept to show: enough to read why the model refused.
const MAX_TEXT: usize = 2000;

impl Adapter for Gemini {
    fn path(&self, job: &Job) -> String {
        format!("models/{}:generateContent", escape(job.model))
    }

    fn url(&self, api: &ApiSettings, job: &Job) -> String {
        if !self.beta {
            return api.url(&self.path(job));
        }
        format!("{}/{}", beta_root(&api.base), self.path(job))
    }

    fn payload<'a>(&self, job: &Job, uploads: Uploads<'a>) -> Result<Payload<'a>, Error> {
        let files: &[LocalImage] = if job.references.is_empty() { &[] } else { uploads()? };
        let mut parts: Vec<Part> = files
            .iter()
            .map(|file| Part::Inline { inline_data: Inline { mime_type: file.format.mime(), data: base64_of(file) } })
            .collect();
        parts.push(Part::Text { text: job.prompt });
        Ok(json_payload(&Body { contents: [Content { role: "user", parts }], generation_config: config(job) }))
    }

    fn preview(&self, job: &Job) -> Value {
        let mut parts: Vec<Value> = job
            .references
            .iter()
            .map(|reference| match reference {
                Reference::Local(image) => {
                    json!({"inlineData": {"mimeType": image.format.mime(), "data": abbreviate(base64_of(image))}})
                }
                Reference::Url(url) => {
                    json!({"inlineData": {"mimeType": "(found when downloaded)", "data": format!("({url} downloaded first)")}})
                }
            })
            .collect();
        parts.push(json!({"text": job.prompt}));
        json!({"contents": [{"role": "user", "parts": parts}], "generationConfig": config(job)})
    }

    fn read(&self, body: &mut dyn Read) -> Result<Images, Unreadable> {
        let answer: Answer = response::read_json(body)?;
        let mut images = Vec::new();
        let mut text = String::new();
        let mut finish = None;
        for candidate in answer.candidates.unwrap_or_default() {
            finish = finish.or(candidate.finish_reason.0);
            for part in candidate.content.and_then(|c| c.parts).unwrap_or_default() {
                images.extend(part.inline_data.and_then(|inline| inline.data.0));
                images.extend(part.text.images);
                if text.len() < MAX_TEXT && !part.text.text.trim().is_empty() {
                    let room = MAX_TEXT - text.len();
                    let kept: String = part.text.text.trim().chars().take(room).collect();
                    text.push_str(if text.is_empty() { "" } else { " " });
                    text.push_str(&kept);
                }
            }
        }
        if images.is_empty() {
            let blocked = answer.prompt_feedback.and_then(|f| f.block_reason.0);
            if let Some(reason) = blocked {
                return Err(Unreadable::Refused(format!("the prompt was blocked ({reason})")));
            }
            if !text.is_empty() {
                return Err(Unreadable::Refused(text));
            }
            if let Some(reason) = finish.filter(|r| r != "STOP") {
                return Err(Unreadable::Refused(format!("it stopped ({reason}) without an image")));
            }
        }
        response::found(images, answer.usage_metadata, answer.request_id)
    }
}

/// `generationConfig`: both modalities (the image models answer with text beside the
/// image, and refuse otherwise), then every `--param` field, which may replace them.
fn config(job: &Job) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert("responseModalities".into(), json!(["TEXT", "IMAGE"]));
    config.extend(job.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    config
}

/// The base64 payload of a reference, from its data URI made once per run.
fn base64_of(image: &LocalImage) -> &str {
    let uri = image.data_uri();
    uri.split_once(',').map_or(uri, |(_, data)| data)
}

fn abbreviate(data: &str) -> String {
    const KEEP: usize = 24;
    match data.get(..KEEP) {
        Some(head) if data.len() > KEEP => format!("{head}…({} base64 characters)", data.len()),
        _ => data.to_string(),
    }
}

/// The model name as one path segment: anything but letters, digits and `-._~` escaped,
/// so a name cannot reach another path.
fn escape(model: &str) -> String {
    model
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where `/v1beta` is on the base URL's host: beside the base's own `/v1`
/// (`https://api.aisa.one/v1` → `https://api.aisa.one/v1beta`), else at the root.
pub fn beta_root(base: &reqwest::Url) -> String {
    let trimmed = base.as_str().trim_end_matches('/');
    match trimmed.strip_suffix("/v1") {
        Some(before) => format!("{before}/v1beta"),
        None => format!("{}/v1beta", base.origin().ascii_serialization()),
    }
}

#[derive(Serialize)]
struct Body<'a> {
    contents: [Content<'a>; 1],
    #[serde(rename = "generationConfig")]
    generation_config: Map<String, Value>,
}

#[derive(Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: Vec<Part<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Part<'a> {
    Inline {
        #[serde(rename = "inlineData")]
        inline_data: Inline<'a>,
    },
    Text {
        text: &'a str,
    },
}

#[derive(Serialize)]
struct Inline<'a> {
    #[serde(rename = "mimeType")]
    mime_type: &'a str,
    data: &'a str,
}

/// `{candidates:[{content:{parts}, finishReason}], usageMetadata, promptFeedback}`;
/// everything else skipped.
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    candidates: Option<Vec<Candidate>>,
    #[serde(default, rename = "usageMetadata", alias = "usage_metadata")]
    usage_metadata: Option<Value>,
    #[serde(default, rename = "promptFeedback", alias = "prompt_feedback")]
    prompt_feedback: Option<Feedback>,
    #[serde(default)]
    request_id: Text,
}

#[derive(Deserialize)]
struct Candidate {
    #[serde(default)]
    content: Option<CandidateContent>,
    #[serde(default, rename = "finishReason", alias = "finish_reason")]
    finish_reason: Text,
}

#[derive(Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Option<Vec<AnswerPart>>,
}

/// A part: `inlineData` (or `inline_data`) holding an image, or text that may itself hold
/// a `data:image/…;base64,` URI.
#[derive(Deserialize)]
struct AnswerPart {
    #[serde(default, rename = "inlineData", alias = "inline_data")]
    inline_data: Option<InlineAnswer>,
    #[serde(default)]
    text: PartText,
}

/// `{mimeType | mime_type, data}`: only `data` is read, since the bytes are sniffed when
/// saved whatever the type says.
#[derive(Deserialize)]
struct InlineAnswer {
    #[serde(default)]
    data: ImageText,
}

#[derive(Deserialize)]
struct Feedback {
    #[serde(default, rename = "blockReason", alias = "block_reason")]
    block_reason: Text,
}

/// A text part: the images of any `data:image/…;base64,` URIs in it, and the rest of the
/// text, cut to what is worth showing.
#[derive(Default)]
struct PartText {
    images: Vec<ImageData>,
    text: String,
}

impl PartText {
    fn of(text: &str) -> Self {
        let mut images = Vec::new();
        let mut rest = String::new();
        let mut from = 0;
        while let Some(at) = text[from..].find("data:image/").map(|i| from + i) {
            push_cut(&mut rest, &text[from..at]);
            let Some(comma) = text[at..].find(";base64,").map(|i| at + i + ";base64,".len()) else {
                push_cut(&mut rest, &text[at..at + "data:image/".len()]);
                from = at + "data:image/".len();
                continue;
            };
            // An image the answer's reader already took out to a file.
            if let Some((nonce, id, len)) = crate::api::blobs::parse_placeholder(&text[comma..]) {
                images.push(ImageData::Streamed { nonce, id });
                from = comma + len;
                continue;
            }
            let end = text[comma..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')))
                .map_or(text.len(), |i| comma + i);
            if end > comma {
                images.push(ImageData::Base64(text[comma..end].to_string()));
            }
            from = end;
        }
        push_cut(&mut rest, &text[from..]);
        Self { images, text: rest }
    }
}

fn push_cut(out: &mut String, text: &str) {
    if out.len() < MAX_TEXT {
        out.extend(text.chars().take(MAX_TEXT - out.len()));
    }
}

impl<'de> Deserialize<'de> for PartText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = PartText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text part")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PartText, E> {
                Ok(PartText::of(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<PartText, E> {
                Ok(PartText::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<PartText, E> {
                Ok(PartText::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<PartText, E> {
                Ok(PartText::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<PartText, E> {
                Ok(PartText::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<PartText, E> {
                Ok(PartText::default())
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<PartText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(PartText::default())
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<PartText, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(PartText::default())
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::reference::check;
    use crate::files::reference::tests::png_header;

    fn job<'a>(refs: &'a [Reference], extra: &'a Map<String, Value>) -> Job<'a> {
        Job::sample("gemini-3-pro-image-preview", refs, extra)
    }

    fn read(value: Value) -> Result<Images, Unreadable> {
        GEMINI.read(&mut value.to_string().as_bytes())
    }

    fn refused(value: Value) -> String {
        match read(value) {
            Err(Unreadable::Refused(text)) => text,
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn the_body_is_google_s_shape_with_params_in_the_generation_config() {
        let mut extra = Map::new();
        extra.insert("imageConfig".into(), json!({"aspectRatio": "16:9", "imageSize": "2K"}));
        assert_eq!(
            GEMINI.preview(&job(&[], &extra)),
            json!({
                "contents": [{"role": "user", "parts": [{"text": "red panda"}]}],
                "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
                    "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}
            })
        );
        assert_eq!(GEMINI.path(&job(&[], &extra)), "models/gemini-3-pro-image-preview:generateContent");
    }

    #[test]
    fn references_are_inline_data_parts_first_in_order() {
        let a = check("a.png", png_header(300, 300)).unwrap();
        let mut b_bytes = png_header(400, 300);
        b_bytes.push(7);
        let b = check("b.png", b_bytes).unwrap();
        let files = vec![a.clone(), b.clone()];
        let refs = [Reference::local(a.clone()), Reference::local(b.clone())];
        let extra = Map::new();
        let uploads = || Ok(files.as_slice());
        let Payload::Json(bytes) = GEMINI.payload(&job(&refs, &extra), &uploads).unwrap() else { panic!("json") };
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let parts = body["contents"][0]["parts"].as_array().unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0]["inlineData"]["mimeType"], "image/png");
        assert_eq!(parts[0]["inlineData"]["data"], base64_of(&a));
        assert_eq!(parts[1]["inlineData"]["data"], base64_of(&b));
        assert_ne!(parts[0], parts[1]);
        assert_eq!(parts[2], json!({"text": "red panda"}));
    }

    #[test]
    fn reads_inline_data_in_either_spelling_and_data_uris_in_text() {
        let answer = read(json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Here you are"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoA"}},
                {"inline_data": {"mime_type": "image/jpeg", "data": "/9j/4AAQ"}},
                {"text": "and one more: ![img](data:image/png;base64,iVBORw0KGgoB) done"}
            ]}, "finishReason": "STOP", "safetyRatings": [{"x": 1}]}],
            "usageMetadata": {"promptTokenCount": 5, "totalTokenCount": 1300},
            "modelVersion": "gemini-3-pro-image-preview"
        }))
        .unwrap();
        assert_eq!(
            answer.images,
            vec![
                ImageData::Base64("iVBORw0KGgoA".into()),
                ImageData::Base64("/9j/4AAQ".into()),
                ImageData::Base64("iVBORw0KGgoB".into()),
            ]
        );
        assert_eq!(answer.usage.unwrap()["totalTokenCount"], 1300);
    }

    #[test]
    fn a_text_only_answer_is_a_refusal_that_shows_the_text() {
        let text = refused(json!({"candidates": [{"content": {"parts": [
            {"text": "I can't make images of real people."}]}, "finishReason": "STOP"}]}));
        assert_eq!(text, "I can't make images of real people.");
        let blocked = refused(json!({"promptFeedback": {"blockReason": "SAFETY"}}));
        assert!(blocked.contains("SAFETY"), "{blocked}");
        let stopped = refused(json!({"candidates": [{"finishReason": "IMAGE_SAFETY"}]}));
        assert!(stopped.contains("IMAGE_SAFETY"), "{stopped}");
        let long = refused(json!({"candidates": [{"content": {"parts": [{"text": "no ".repeat(5000)}]}}]}));
        assert!(long.len() <= MAX_TEXT, "{}", long.len());
        assert!(matches!(read(json!({"candidates": []})), Err(Unreadable::Malformed(_))));
    }

    #[test]
    fn padding_and_unknown_fields_are_skipped() {
        let answer = read(json!({
            "padding": "x".repeat(100_000),
            "candidates": [{"content": {"parts": [{"thought": true, "text": {"odd": 1}},
                {"inlineData": {"data": "iVBOR", "extra": [1, 2]}, "thoughtSignature": "abc"}]}}]
        }))
        .unwrap();
        assert_eq!(answer.images, vec![ImageData::Base64("iVBOR".into())]);
    }

    #[test]
    fn v1beta_sits_beside_v1_on_the_same_host() {
        let url = |base: &str| beta_root(&reqwest::Url::parse(base).unwrap());
        assert_eq!(url("https://api.aisa.one/v1"), "https://api.aisa.one/v1beta");
        assert_eq!(url("http://127.0.0.1:8787/v1/"), "http://127.0.0.1:8787/v1beta");
        assert_eq!(url("https://proxy.example/aisa/v1"), "https://proxy.example/aisa/v1beta");
        assert_eq!(url("https://proxy.example/api"), "https://proxy.example/v1beta");
        assert_eq!(escape("gemini-3/../x?y"), "gemini-3%2F..%2Fx%3Fy");
    }
}

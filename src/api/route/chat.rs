//! The chat route of the seed documents: `POST {base}/chat/completions` with one user
//! message (image parts first, then the text); the images come back as choices.

use std::fmt;
use std::io::Read;

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Adapter, Payload, Uploads};
use crate::api::request::{Job, json_payload};
use crate::api::response::{self, ImageData, ImageText, Images, Text, Unreadable};
use crate::error::Error;

pub struct Chat;

impl Adapter for Chat {
    fn path(&self, _: &Job) -> String {
        "chat/completions".to_string()
    }

    fn payload<'a>(&self, job: &Job, _: Uploads<'a>) -> Result<Payload<'a>, Error> {
        Ok(json_payload(&body(job)))
    }

    fn preview(&self, job: &Job) -> Value {
        serde_json::to_value(body(job)).expect("a chat body always serialises")
    }

    fn read(&self, body: &mut dyn Read) -> Result<Images, Unreadable> {
        let answer: Answer = response::read_json(body)?;
        let Some(choices) = answer.choices else {
            return Err(Unreadable::Malformed("the answer has no `choices`".to_string()));
        };
        let mut numbered: Vec<(u64, ImageData)> = Vec::new();
        for (position, choice) in choices.into_iter().enumerate() {
            let index = choice.index.0.and_then(|i| i.parse().ok()).unwrap_or(position as u64);
            let images = choice.message.map(|m| m.content.0).unwrap_or_default();
            numbered.extend(images.into_iter().map(|image| (index, image)));
        }
        // A stable sort keeps the parts of one choice in their order.
        numbered.sort_by_key(|(index, _)| *index);
        response::found(numbered.into_iter().map(|(_, image)| image).collect(), answer.usage, answer.request_id)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    messages: [Message<'a>; 1],
    n: u32,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Vec<Part<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Part<'a> {
    ImageUrl { image_url: UrlRef<'a> },
    Text { text: &'a str },
}

#[derive(Serialize)]
struct UrlRef<'a> {
    url: &'a str,
}

/// The seeds' chat body: one `user` message whose content is the image parts, in the
/// order given, then the text part; `n` always sent (the service defaults to 4). Local
/// references are borrowed as the data URIs made once per run, never copied per request.
fn body<'a>(job: &Job<'a>) -> Body<'a> {
    let mut content: Vec<Part> =
        job.references.iter().map(|r| Part::ImageUrl { image_url: UrlRef { url: r.url() } }).collect();
    content.push(Part::Text { text: job.prompt });
    Body { model: job.model, messages: [Message { role: "user", content }], n: job.n, extra: job.extra }
}

/// `{choices:[{index, message:{content}}], usage, request_id}`; everything else skipped.
#[derive(Deserialize)]
struct Answer {
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    request_id: Text,
}

#[derive(Deserialize)]
struct Choice {
    /// May be null: the position is used then.
    #[serde(default)]
    index: Text,
    #[serde(default)]
    message: Option<ChoiceMessage>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Content,
}

/// `message.content`: an array of parts, or a plain string that is itself the image.
#[derive(Default)]
struct Content(Vec<ImageData>);

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("message content: an array of parts or a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content, E> {
                Ok(Content(ImageData::classify(v.to_string()).into_iter().collect()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Content, E> {
                Ok(Content(ImageData::classify(v).into_iter().collect()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Content, E> {
                Ok(Content(Vec::new()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                let mut images = Vec::new();
                while let Some(part) = seq.next_element::<ContentPart>()? {
                    images.extend(part.image());
                }
                Ok(Content(images))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Content, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Content(Vec::new()))
            }
        }
        deserializer.deserialize_any(ContentVisitor)
    }
}

/// `{type:"image", image}` (the seeds) or `{type:"image_url", image_url:{url} | "…"}`;
/// text parts and unknown fields are skipped.
#[derive(Deserialize)]
struct ContentPart {
    #[serde(rename = "type", default)]
    kind: Text,
    #[serde(default)]
    image: ImageText,
    #[serde(default)]
    image_url: ImageText,
}

impl ContentPart {
    fn image(self) -> Option<ImageData> {
        match self.kind.0.as_deref()? {
            "image" => self.image.0,
            "image_url" => self.image_url.0,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::reference::tests::png_header;
    use crate::files::reference::{Reference, check};
    use serde_json::json;

    fn job<'a>(refs: &'a [Reference], extra: &'a Map<String, Value>) -> Job<'a> {
        Job::sample("wan2.7-image", refs, extra)
    }

    fn read(value: Value) -> Result<Images, String> {
        Chat.read(&mut value.to_string().as_bytes()).map_err(|e| match e {
            Unreadable::Malformed(m) | Unreadable::Refused(m) => m,
            Unreadable::Lost(e) => e.to_string(),
            Unreadable::Cut => "cut".to_string(),
        })
    }

    #[test]
    fn the_body_is_exactly_the_seed_shape() {
        let extra = Map::new();
        assert_eq!(
            Chat.preview(&job(&[], &extra)),
            json!({
                "model": "wan2.7-image",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "red panda"}]}],
                "n": 1
            })
        );
    }

    #[test]
    fn image_parts_come_first_in_order_then_the_text() {
        let local = Reference::local(check("a.png", png_header(300, 300)).unwrap());
        let refs = [Reference::Url("https://e.com/b.jpg".into()), local];
        let extra = Map::new();
        let body = Chat.preview(&job(&refs, &extra));
        let content = body["messages"][0]["content"].as_array().unwrap();
        assert_eq!(content.len(), 3);
        assert_eq!(content[0], json!({"type": "image_url", "image_url": {"url": "https://e.com/b.jpg"}}));
        let data = content[1]["image_url"]["url"].as_str().unwrap();
        assert!(data.starts_with("data:image/png;base64,"));
        assert_eq!(content[2], json!({"type": "text", "text": "red panda"}));
    }

    #[test]
    fn size_and_params_are_added_at_the_top_level() {
        let mut extra = Map::new();
        extra.insert("size".into(), json!("1024x1024"));
        extra.insert("seed".into(), json!(42));
        let body = Chat.preview(&job(&[], &extra));
        assert_eq!(body["size"], "1024x1024");
        assert_eq!(body["seed"], 42);
    }

    #[test]
    fn reads_the_seed_answer() {
        let answer = read(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "wan2.7-image",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": [{"type": "image", "image": "https://cdn.aisa.one/images/wan2.7/a.png"}]}}],
            "usage": {"prompt_tokens": 104, "completion_tokens": 8, "total_tokens": 112}
        }))
        .unwrap();
        assert_eq!(answer.images, vec![ImageData::Url("https://cdn.aisa.one/images/wan2.7/a.png".into())]);
        assert_eq!(answer.usage.unwrap()["total_tokens"], 112);
    }

    #[test]
    fn orders_by_index_and_uses_the_position_when_it_is_null() {
        let choice = |index: Value, url: &str| json!({"index": index, "message": {"content": [{"type": "image", "image": url}]}});
        let answer = read(json!({"choices": [
            choice(json!(2), "https://h/c.png"),
            choice(json!(0), "https://h/a.png"),
            choice(Value::Null, "https://h/b.png"),
        ]}))
        .unwrap();
        let urls: Vec<_> = answer.images.iter().map(|i| i.url().unwrap().to_string()).collect();
        assert_eq!(urls, ["https://h/a.png", "https://h/c.png", "https://h/b.png"]);
    }

    #[test]
    fn reads_data_uris_bare_base64_image_url_parts_and_string_content() {
        let images = read(json!({"choices": [
            {"message": {"content": [{"type": "image", "image": "data:image/png;base64,iVBOR"}]}},
            {"message": {"content": [{"type": "image", "image": "iVBORw0KGgo\n"}]}},
            {"message": {"content": [{"type": "image_url", "image_url": {"url": "https://h/x.webp"}}]}},
            {"message": {"content": "https://h/y.jpg"}},
        ]}))
        .unwrap()
        .images;
        assert_eq!(
            images,
            vec![
                ImageData::Base64("iVBOR".into()),
                ImageData::Base64("iVBORw0KGgo\n".into()),
                ImageData::Url("https://h/x.webp".into()),
                ImageData::Url("https://h/y.jpg".into()),
            ]
        );
    }

    #[test]
    fn an_answer_without_images_is_malformed() {
        assert!(read(json!({"choices": []})).unwrap_err().contains("no images"));
        assert!(read(json!({"data": []})).unwrap_err().contains("no `choices`"));
        let text_only = json!({"choices": [{"message": {"content": [{"type": "text", "text": "no"}]}}]});
        assert!(read(text_only).is_err());
    }

    #[test]
    fn padding_and_unknown_fields_are_skipped() {
        let answer = read(json!({
            "padding": "x".repeat(100_000),
            "choices": [{"index": 0, "logprobs": {"a": [1, 2, {"b": null}]}, "message": {"content": [
                {"type": "text", "text": "y".repeat(10_000)},
                {"type": "image", "image": "https://h/a.png", "extra": [1]}
            ]}}]
        }))
        .unwrap();
        assert_eq!(answer.images, vec![ImageData::Url("https://h/a.png".into())]);
    }
}

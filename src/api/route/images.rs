//! The images route of the service's later docs: `POST {base}/images/generations` with
//! JSON for `generate`, `POST {base}/images/edits` with an OpenAI-style multipart form
//! for `edit` (with its `mask`, where one is given); the images come back as `data[]` items
//! of `url` or `b64_json`.

use std::io::Read;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Adapter, Payload, Uploads};
use crate::api::request::{Job, json_payload};
use crate::api::response::{self, ImageText, Images, Text, Unreadable};
use crate::error::Error;
use crate::files::reference::Reference;

pub struct ImagesRoute;

impl Adapter for ImagesRoute {
    fn path(&self, job: &Job) -> String {
        if job.references.is_empty() { "images/generations" } else { "images/edits" }.to_string()
    }

    fn payload<'a>(&self, job: &Job, uploads: Uploads<'a>) -> Result<Payload<'a>, Error> {
        if job.references.is_empty() {
            return Ok(json_payload(&Body { model: job.model, prompt: job.prompt, n: job.n, extra: job.extra }));
        }
        Ok(Payload::Form { fields: form_fields(job), files: uploads()?, mask: job.mask.cloned() })
    }

    fn preview(&self, job: &Job) -> Value {
        if job.references.is_empty() {
            let body = Body { model: job.model, prompt: job.prompt, n: job.n, extra: job.extra };
            return serde_json::to_value(body).expect("an images body always serialises");
        }
        let mut form: Map<String, Value> =
            form_fields(job).into_iter().map(|(key, value)| (key, Value::String(value))).collect();
        let files = job
            .references
            .iter()
            .map(|reference| match reference {
                Reference::Local(image) => {
                    format!("{} ({}, {} bytes)", image.name, image.format.mime(), image.bytes.len())
                }
                Reference::Url(url) => format!("{url} (downloaded first)"),
            })
            .map(Value::String)
            .collect();
        form.insert("image[]".into(), Value::Array(files));
        if let Some(mask) = job.mask {
            form.insert("mask".into(), Value::String(format!("{} (image/png, {} bytes)", mask.name, mask.bytes.len())));
        }
        Value::Object(form)
    }

    fn read(&self, body: &mut dyn Read) -> Result<Images, Unreadable> {
        let answer: Answer = response::read_json(body)?;
        let Some(data) = answer.data else {
            return Err(Unreadable::Malformed("the answer has no `data`".to_string()));
        };
        let images = data.into_iter().filter_map(|item| item.url.0.or(item.b64_json.0)).collect();
        response::found(images, answer.usage, answer.request_id)
    }
}

/// `{model, prompt, n, size?, …params}`.
#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u32,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// Text fields of the multipart edit form, in order: everything but the image files.
fn form_fields(job: &Job) -> Vec<(String, String)> {
    let mut fields = vec![
        ("model".to_string(), job.model.to_string()),
        ("prompt".to_string(), job.prompt.to_string()),
        ("n".to_string(), job.n.to_string()),
    ];
    for (key, value) in job.extra {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        fields.push((key.clone(), text));
    }
    fields
}

/// `{data:[{url | b64_json}], usage, request_id}`; everything else skipped.
#[derive(Deserialize)]
struct Answer {
    data: Option<Vec<Item>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    request_id: Text,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    url: ImageText,
    #[serde(default)]
    b64_json: ImageText,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::response::ImageData;
    use serde_json::json;

    fn job<'a>(refs: &'a [Reference], extra: &'a Map<String, Value>) -> Job<'a> {
        Job::sample("wan2.7-image", refs, extra)
    }

    #[test]
    fn generate_sends_json_with_size_and_params_at_the_top_level() {
        let mut extra = Map::new();
        extra.insert("size".into(), json!("1024x1024"));
        extra.insert("seed".into(), json!(42));
        assert_eq!(
            ImagesRoute.preview(&job(&[], &extra)),
            json!({"model": "wan2.7-image", "prompt": "red panda", "n": 1, "size": "1024x1024", "seed": 42})
        );
        assert_eq!(ImagesRoute.path(&job(&[], &extra)), "images/generations");
    }

    #[test]
    fn edit_form_fields_are_text() {
        let mut extra = Map::new();
        extra.insert("seed".into(), json!(7));
        let fields = form_fields(&job(&[], &extra));
        assert_eq!(fields[2], ("n".to_string(), "1".to_string()));
        assert_eq!(fields[3], ("seed".to_string(), "7".to_string()));
        let refs = [Reference::Url("https://e.com/a.png".into())];
        assert_eq!(ImagesRoute.path(&job(&refs, &extra)), "images/edits");
    }

    #[test]
    fn reads_urls_and_base64_items() {
        let body = json!({"model": "wan2.7-image", "data": [{"url": "https://h/1.png", "size": "1024x1024"},
            {"b64_json": "iVBOR"}, {"url": null, "b64_json": "iVBOR2"}], "usage": {"generated_images": 3}});
        let answer = ImagesRoute.read(&mut body.to_string().as_bytes()).unwrap();
        assert_eq!(
            answer.images,
            vec![
                ImageData::Url("https://h/1.png".into()),
                ImageData::Base64("iVBOR".into()),
                ImageData::Base64("iVBOR2".into())
            ]
        );
        assert_eq!(answer.usage.unwrap()["generated_images"], 3);
        assert!(matches!(ImagesRoute.read(&mut b"{\"choices\":[]}".as_slice()), Err(Unreadable::Malformed(_))));
    }
}

//! Request bodies for both routes, built from one job description (pure, no I/O).

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::reference::Reference;

/// One API request: a prompt, its references, and at most 4 images.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub references: &'a [Reference],
    pub n: u32,
    /// `size` and `--param` fields, added to the body as given.
    pub extra: &'a Map<String, Value>,
}

/// Fields `wan` sets itself, which `--param` may not replace.
pub const RESERVED_FIELDS: &[&str] = &["model", "messages", "prompt", "n", "image", "image[]"];

#[derive(Serialize)]
struct ChatBody<'a> {
    model: &'a str,
    messages: [ChatMessage; 1],
    n: u32,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

#[derive(Serialize)]
struct ChatMessage {
    role: &'static str,
    content: Vec<Value>,
}

/// The seeds' chat body: one `user` message whose content is the image parts, in the
/// order given, then the text part; `n` always sent (the service defaults to 4).
pub fn chat_body(job: &Job) -> Value {
    let mut content: Vec<Value> =
        job.references.iter().map(|r| json!({"type": "image_url", "image_url": {"url": r.url()}})).collect();
    content.push(json!({"type": "text", "text": job.prompt}));
    let body =
        ChatBody { model: job.model, messages: [ChatMessage { role: "user", content }], n: job.n, extra: job.extra };
    serde_json::to_value(body).expect("a chat body always serialises")
}

#[derive(Serialize)]
struct ImagesBody<'a> {
    model: &'a str,
    prompt: &'a str,
    n: u32,
    #[serde(flatten)]
    extra: &'a Map<String, Value>,
}

/// The images route's JSON body for `generate`: `{model, prompt, n, size?, …params}`.
pub fn images_body(job: &Job) -> Value {
    let body = ImagesBody { model: job.model, prompt: job.prompt, n: job.n, extra: job.extra };
    serde_json::to_value(body).expect("an images body always serialises")
}

/// Text fields of a multipart edit form, in order: everything but the image files.
pub fn edit_form_fields(job: &Job) -> Vec<(String, String)> {
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

/// The images route's edit form as JSON, for `--dry-run`: its text fields, and one
/// description per `image[]` file part.
pub fn edit_form_preview(job: &Job) -> Value {
    let mut form: Map<String, Value> =
        edit_form_fields(job).into_iter().map(|(key, value)| (key, Value::String(value))).collect();
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
    Value::Object(form)
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
    use crate::reference::tests::png_header;
    use crate::reference::{Reference, check};

    fn job<'a>(refs: &'a [Reference], extra: &'a Map<String, Value>) -> Job<'a> {
        Job { model: "wan2.7-image", prompt: "red panda", references: refs, n: 1, extra }
    }

    #[test]
    fn chat_body_is_exactly_the_seed_shape() {
        let extra = Map::new();
        let body = chat_body(&job(&[], &extra));
        assert_eq!(
            body,
            json!({
                "model": "wan2.7-image",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "red panda"}]}],
                "n": 1
            })
        );
    }

    #[test]
    fn image_parts_come_first_in_order_then_the_text() {
        let local = Reference::Local(check("a.png", png_header(300, 300)).unwrap());
        let refs = [Reference::Url("https://e.com/b.jpg".into()), local];
        let extra = Map::new();
        let body = chat_body(&job(&refs, &extra));
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
        let body = chat_body(&job(&[], &extra));
        assert_eq!(body["size"], "1024x1024");
        assert_eq!(body["seed"], 42);
        let images = images_body(&job(&[], &extra));
        assert_eq!(
            images,
            json!({"model": "wan2.7-image", "prompt": "red panda", "n": 1, "size": "1024x1024", "seed": 42})
        );
    }

    #[test]
    fn edit_form_fields_are_text() {
        let mut extra = Map::new();
        extra.insert("seed".into(), json!(7));
        let fields = edit_form_fields(&job(&[], &extra));
        assert_eq!(fields[2], ("n".to_string(), "1".to_string()));
        assert_eq!(fields[3], ("seed".to_string(), "7".to_string()));
    }

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

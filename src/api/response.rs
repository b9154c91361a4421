//! Reading answers and error bodies of both routes, tolerant of every shape the service is known to send (pure).

use serde_json::Value;

/// Where one generated image is: a short-lived URL, or base64 bytes in the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageData {
    Url(String),
    /// The base64 payload, without any `data:` prefix.
    Base64(String),
}

impl ImageData {
    /// `url` or `base64`, as `--json` reports the source.
    pub fn source(&self) -> &'static str {
        match self {
            Self::Url(_) => "url",
            Self::Base64(_) => "base64",
        }
    }

    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Url(url) => Some(url),
            Self::Base64(_) => None,
        }
    }

    /// An `image` string: an `http(s)` URL, a `data:` URI, or bare base64. Takes the
    /// string, so a large base64 payload is moved, never copied.
    fn classify(mut text: String) -> Option<Self> {
        let lower = text.trim_start().get(..8).unwrap_or_default().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Some(Self::Url(text.trim().to_string()))
        } else if lower.starts_with("data:") {
            let comma = text.find(',')?;
            if !text[..comma].ends_with(";base64") {
                return None;
            }
            text.drain(..=comma);
            Some(Self::Base64(text))
        } else if !text.trim().is_empty() {
            // Whitespace inside is skipped when decoding; no need to copy to trim it.
            Some(Self::Base64(text))
        } else {
            None
        }
    }
}

/// The images of a successful answer, in the order the service numbered them.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    pub images: Vec<ImageData>,
    pub usage: Option<Value>,
    pub request_id: Option<String>,
}

/// What is wrong with a 2xx answer that has no images to save.
pub type Malformed = String;

/// What to say of a 2xx body that is not JSON, from its first bytes.
pub fn not_json(head: &[u8]) -> Malformed {
    let head = String::from_utf8_lossy(&head[..head.len().min(200)]).into_owned();
    format!("the answer is not JSON: {}", crate::error::sanitize(&head))
}

fn finish(images: Vec<ImageData>, root: &Value) -> Result<Images, Malformed> {
    if images.is_empty() {
        return Err("the answer holds no images".to_string());
    }
    Ok(Images {
        images,
        usage: root.get("usage").filter(|u| !u.is_null()).cloned(),
        request_id: string_at(root, "request_id"),
    })
}

/// A chat completion: one choice per image, each with `{type:"image", image}` or
/// `{type:"image_url", image_url:{url}}` parts; `content` may also be a plain string;
/// `choices[].index` may be null (the position is used then).
pub fn parse_chat(mut root: Value) -> Result<Images, Malformed> {
    let Some(choices) = root.get_mut("choices").and_then(Value::as_array_mut) else {
        return Err("the answer has no `choices`".to_string());
    };
    let mut numbered: Vec<(u64, ImageData)> = Vec::new();
    for (position, choice) in choices.iter_mut().enumerate() {
        let index = choice.get("index").and_then(Value::as_u64).unwrap_or(position as u64);
        let content = choice.pointer_mut("/message/content").map(Value::take).unwrap_or_default();
        for image in content_images(content) {
            numbered.push((index, image));
        }
    }
    // A stable sort keeps the parts of one choice in their order.
    numbered.sort_by_key(|(index, _)| *index);
    finish(numbered.into_iter().map(|(_, image)| image).collect(), &root)
}

fn content_images(content: Value) -> Vec<ImageData> {
    match content {
        Value::String(text) => ImageData::classify(text).into_iter().collect(),
        Value::Array(parts) => parts.into_iter().filter_map(part_image).collect(),
        _ => Vec::new(),
    }
}

fn part_image(mut part: Value) -> Option<ImageData> {
    let text = match part.get("type").and_then(Value::as_str)? {
        "image" => part.get_mut("image")?.take(),
        "image_url" => match part.get_mut("image_url")?.take() {
            Value::String(url) => Value::String(url),
            mut object => object.get_mut("url")?.take(),
        },
        _ => return None,
    };
    match text {
        Value::String(text) => ImageData::classify(text),
        _ => None,
    }
}

/// An images-route answer: `{data:[{url | b64_json}], usage}`.
pub fn parse_images(mut root: Value) -> Result<Images, Malformed> {
    let Some(data) = root.get_mut("data").and_then(Value::as_array_mut) else {
        return Err("the answer has no `data`".to_string());
    };
    let images = data
        .iter_mut()
        .filter_map(|item| match (item.get_mut("url").map(Value::take), item.get_mut("b64_json").map(Value::take)) {
            (Some(Value::String(url)), _) => ImageData::classify(url),
            (_, Some(Value::String(b64))) => ImageData::classify(b64),
            _ => None,
        })
        .collect();
    finish(images, &root)
}

/// What an error body says, read as the contract's order of shapes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub kind: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

/// `{error:{type, code, message, request_id}}`, else `error` as a string, else a
/// top-level `message`, else the raw text (cut later, when printed).
pub fn parse_error(body: &[u8]) -> ErrorBody {
    let raw = || {
        let text = String::from_utf8_lossy(body).trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    let Ok(root) = serde_json::from_slice::<Value>(body) else {
        return ErrorBody { message: raw(), ..ErrorBody::default() };
    };
    match root.get("error") {
        Some(error @ Value::Object(_)) => ErrorBody {
            code: string_at(error, "code").or_else(|| string_at(&root, "code")),
            kind: string_at(error, "type"),
            message: string_at(error, "message").or_else(raw),
            request_id: string_at(error, "request_id").or_else(|| string_at(&root, "request_id")),
        },
        Some(Value::String(message)) => ErrorBody {
            code: string_at(&root, "code"),
            kind: None,
            message: Some(message.clone()),
            request_id: string_at(&root, "request_id"),
        },
        _ => ErrorBody {
            code: string_at(&root, "code"),
            kind: string_at(&root, "type"),
            message: string_at(&root, "message").or_else(raw),
            request_id: string_at(&root, "request_id"),
        },
    }
}

/// A field as text, whether the service sent a string or a number.
fn string_at(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_json(body: &[u8]) -> Result<Value, Malformed> {
        serde_json::from_slice(body).map_err(|_| not_json(body))
    }

    fn bytes(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn reads_the_seed_answer() {
        let body = bytes(json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "wan2.7-image",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": [{"type": "image", "image": "https://cdn.aisa.one/images/wan2.7/a.png"}]}}],
            "usage": {"prompt_tokens": 104, "completion_tokens": 8, "total_tokens": 112}
        }));
        let answer = parse_chat(parse_json(&body).unwrap()).unwrap();
        assert_eq!(answer.images, vec![ImageData::Url("https://cdn.aisa.one/images/wan2.7/a.png".into())]);
        assert_eq!(answer.usage.unwrap()["total_tokens"], 112);
    }

    #[test]
    fn orders_by_index_and_uses_the_position_when_it_is_null() {
        let choice = |index: Value, url: &str| json!({"index": index, "message": {"content": [{"type": "image", "image": url}]}});
        let body = bytes(json!({"choices": [
            choice(json!(2), "https://h/c.png"),
            choice(json!(0), "https://h/a.png"),
            choice(Value::Null, "https://h/b.png"),
        ]}));
        let urls: Vec<_> = parse_chat(parse_json(&body).unwrap())
            .unwrap()
            .images
            .iter()
            .map(|i| i.url().unwrap().to_string())
            .collect();
        assert_eq!(urls, ["https://h/a.png", "https://h/c.png", "https://h/b.png"]);
    }

    #[test]
    fn reads_data_uris_bare_base64_image_url_parts_and_string_content() {
        let body = bytes(json!({"choices": [
            {"message": {"content": [{"type": "image", "image": "data:image/png;base64,iVBOR"}]}},
            {"message": {"content": [{"type": "image", "image": "iVBORw0KGgo\n"}]}},
            {"message": {"content": [{"type": "image_url", "image_url": {"url": "https://h/x.webp"}}]}},
            {"message": {"content": "https://h/y.jpg"}},
        ]}));
        let images = parse_chat(parse_json(&body).unwrap()).unwrap().images;
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
    fn an_answer_without_images_or_json_is_malformed() {
        assert!(parse_json(b"<html>oops</html>").unwrap_err().contains("not JSON"));
        assert!(parse_chat(json!({"choices": []})).unwrap_err().contains("no images"));
        assert!(parse_chat(json!({"data": []})).unwrap_err().contains("no `choices`"));
        let text_only = json!({"choices": [{"message": {"content": [{"type": "text", "text": "no"}]}}]});
        assert!(parse_chat(text_only).is_err());
    }

    #[test]
    fn reads_the_images_route_answer() {
        let body = bytes(
            json!({"model": "wan2.7-image", "data": [{"url": "https://h/1.png", "size": "1024x1024"}, {"b64_json": "iVBOR"}],
            "usage": {"generated_images": 2}}),
        );
        let answer = parse_images(parse_json(&body).unwrap()).unwrap();
        assert_eq!(answer.images, vec![ImageData::Url("https://h/1.png".into()), ImageData::Base64("iVBOR".into())]);
        assert_eq!(answer.usage.unwrap()["generated_images"], 2);
    }

    #[test]
    fn reads_the_documented_error_shape() {
        let body = bytes(json!({"error": {"type": "invalid_request_error", "code": "invalid_parameter_error",
            "message": "Input should be a valid list: messages[*].content", "request_id": "req_1"}}));
        let error = parse_error(&body);
        assert_eq!(error.code.as_deref(), Some("invalid_parameter_error"));
        assert_eq!(error.kind.as_deref(), Some("invalid_request_error"));
        assert_eq!(error.message.as_deref(), Some("Input should be a valid list: messages[*].content"));
        assert_eq!(error.request_id.as_deref(), Some("req_1"));
    }

    #[test]
    fn reads_the_other_error_shapes_in_order() {
        let string = parse_error(&bytes(json!({"error": "bad thing", "code": 400})));
        assert_eq!((string.message.as_deref(), string.code.as_deref()), (Some("bad thing"), Some("400")));
        let top = parse_error(&bytes(json!({"message": "top level", "request_id": "r"})));
        assert_eq!((top.message.as_deref(), top.request_id.as_deref()), (Some("top level"), Some("r")));
        let text = parse_error(b"404 page not found\n");
        assert_eq!(text.message.as_deref(), Some("404 page not found"));
        assert_eq!(parse_error(b""), ErrorBody::default());
    }
}

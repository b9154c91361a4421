//! The tools' arguments: each field's name, type, limits and default, as the JSON schema agents read.
//!
//! Optional fields are declared by their own type alone (`"type": "integer"`, not
//! `["integer", "null"]`), and numbers are also taken as numeric strings: clients of the
//! last year (MCP Inspector 0.15, say) fill a form from the schema, and send `"5"` for a
//! field whose type is a list (issue 27, item 12). `null` is still taken as "not given".

use rmcp::schemars::{JsonSchema, Schema};
use serde::{Deserialize, Deserializer};

use crate::catalogue::MOST_REFERENCES as MAX_REFERENCES;
use crate::files::prompts::MAX_PROMPT_BYTES;

fn one() -> u32 {
    1
}

/// A whole number, given as a JSON number or as a string of digits.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(u32),
    Text(String),
}

impl Number {
    fn value<E: serde::de::Error>(self) -> Result<u32, E> {
        match self {
            Self::Int(n) => Ok(n),
            Self::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("invalid value {text:?}: expected a whole number, such as 5"))),
        }
    }
}

fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    Number::deserialize(deserializer)?.value()
}

fn optional_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    Option::<Number>::deserialize(deserializer)?.map(Number::value).transpose()
}

/// Each property that is not required is declared by its own type: `null` is left out of
/// its `type` list, its `enum`, its `anyOf`/`oneOf` choices and its `default`.
fn without_null(schema: &mut Schema) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else { return };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        let Some(property) = property.as_object_mut() else { continue };
        if let Some(types) = property.get_mut("type").and_then(|t| t.as_array_mut()) {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                property.insert("type".into(), only);
            }
        }
        if property.get("default").is_some_and(serde_json::Value::is_null) {
            property.remove("default");
        }
        if let Some(values) = property.get_mut("enum").and_then(|e| e.as_array_mut()) {
            values.retain(|v| !v.is_null());
        }
        for key in ["anyOf", "oneOf"] {
            let Some(choices) = property.get_mut(key).and_then(|c| c.as_array_mut()) else { continue };
            choices.retain(|c| c.get("type").is_none_or(|t| t != "null"));
            if choices.len() == 1
                && let Some(serde_json::Value::Object(only)) = choices.pop()
            {
                property.remove(key);
                for (k, v) in only {
                    property.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// Arguments of `generate_image`. Unknown fields are refused, so a misspelt one is
/// told rather than silently dropped.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars", transform = without_null)]
pub struct GenerateImage {
    /// What to draw, in any language (at most 64 KiB of UTF-8).
    #[schemars(length(min = 1, max = MAX_PROMPT_BYTES))]
    pub prompt: String,
    /// How many images. Each one is billed; more than 4 are sent as several requests.
    /// The call is refused before anything is sent if the images could cost more than the
    /// server's --max-cost-per-call.
    #[serde(default = "one", deserialize_with = "number")]
    #[schemars(range(min = 1), default = "one")]
    pub n: u32,
    /// The model (see list_models). Default: the user's configured model, else wan2.7-image.
    pub model: Option<String>,
    /// Image size as WIDTHxHEIGHT, e.g. 1024x1024. Default: the model's own.
    #[schemars(regex(pattern = r"^[0-9]+[xX][0-9]+$"))]
    pub size: Option<String>,
    /// The picture's shape as WIDTH:HEIGHT, e.g. 16:9, 1:1, 9:16: asked of each model its
    /// own way (a size of that shape, or Gemini's aspectRatio). Not with size.
    #[schemars(regex(pattern = r"^[0-9]+:[0-9]+$"))]
    pub aspect: Option<String>,
    /// Folder to save into, relative to the server's output folder (e.g. "logos"); it may
    /// not leave that folder: no "..", no absolute path. Default: the output folder itself.
    pub out_dir: Option<String>,
    /// File name stem: files are saved as STEM-001.png, STEM-002.png, … (never
    /// overwriting). No "/" or "\". Default: a slug of the prompt.
    pub name: Option<String>,
    /// Read the prompt as a template: each {a|b|c} choice makes a prompt of each
    /// alternative, in every combination ("a {red|blue} {fox|owl}" is 4 prompts, each of n
    /// images, each billed); {{ and }} are literal braces. Default false: the prompt is sent
    /// as written, braces and all.
    #[serde(default)]
    pub template: bool,
}

/// Arguments of `edit_image`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars", transform = without_null)]
pub struct EditImage {
    /// Reference images, in order: local paths (relative to the server's working folder)
    /// or http(s) URLs. PNG, JPEG, WebP or BMP, at most 20 MB and 240 to 8000 px a side.
    #[schemars(length(min = 1, max = MAX_REFERENCES))]
    pub images: Vec<String>,
    /// What to do with the images, e.g. "make it Van Gogh" (at most 64 KiB of UTF-8).
    #[schemars(length(min = 1, max = MAX_PROMPT_BYTES))]
    pub prompt: String,
    /// How many images to make. Each one is billed; the call is refused before anything
    /// is sent if they could cost more than the server's --max-cost-per-call.
    #[serde(default = "one", deserialize_with = "number")]
    #[schemars(range(min = 1), default = "one")]
    pub n: u32,
    /// The model (see list_models). Default: the user's configured model, else wan2.7-image.
    pub model: Option<String>,
    /// A mask for the first image, for gpt-image models: a local PNG of the same size with
    /// an alpha channel, transparent where the image is to change.
    pub mask: Option<String>,
    /// Folder to save into, relative to the server's output folder; it may not leave it.
    /// Default: the output folder itself.
    pub out_dir: Option<String>,
    /// File name stem: files are saved as STEM-001.png, … Default: a slug of the prompt.
    pub name: Option<String>,
    /// Read the prompt as a template: each {a|b|c} choice makes a prompt of each
    /// alternative, in every combination ("a {red|blue} {fox|owl}" is 4 prompts, each of n
    /// images, each billed); {{ and }} are literal braces. Default false: the prompt is sent
    /// as written, braces and all.
    #[serde(default)]
    pub template: bool,
}

/// A video's resolution. Inlined in the schema: some agents do not follow `$ref`s.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[schemars(crate = "rmcp::schemars", inline)]
pub enum Resolution {
    #[serde(rename = "720P")]
    P720,
    #[serde(rename = "1080P")]
    P1080,
}

/// Arguments of `create_video` (only with `wan mcp --allow-video`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars", transform = without_null)]
pub struct CreateVideo {
    /// What the clip shows (at most 64 KiB of UTF-8).
    #[schemars(length(min = 1, max = MAX_PROMPT_BYTES))]
    pub prompt: String,
    /// The first frame: a local path or an http(s) URL. With it the default model is
    /// wan2.7-i2v, without it wan2.7-t2v.
    pub image: Option<String>,
    /// The video model. Default: wan2.7-t2v, or wan2.7-i2v with an image.
    pub model: Option<String>,
    /// The video's resolution, 720P or 1080P. Default: 720P.
    pub resolution: Option<Resolution>,
    /// Length in seconds, one the model makes: 2 to 15 for Wan 2.7 (the default), 5, 10
    /// or 15 for Wan 2.6, 3 to 15 for HappyHorse. Default: 5.
    #[serde(default, deserialize_with = "optional_number")]
    #[schemars(range(min = 1, max = 15))]
    pub duration: Option<u32>,
}

/// Arguments of `video_status` (only with `wan mcp --allow-video`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct VideoStatus {
    /// The task id create_video returned.
    #[schemars(length(min = 1))]
    pub task_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_come_as_numbers_or_numeric_strings_and_null_is_not_given() {
        let video: CreateVideo = serde_json::from_value(json!({"prompt": "x", "duration": "10"})).unwrap();
        assert_eq!(video.duration, Some(10));
        let video: CreateVideo = serde_json::from_value(json!({"prompt": "x", "duration": 5})).unwrap();
        assert_eq!(video.duration, Some(5));
        let video: CreateVideo = serde_json::from_value(json!({"prompt": "x", "duration": null})).unwrap();
        assert_eq!(video.duration, None);
        let image: GenerateImage = serde_json::from_value(json!({"prompt": "x", "n": " 3 "})).unwrap();
        assert_eq!(image.n, 3);
        let error = serde_json::from_value::<GenerateImage>(json!({"prompt": "x", "n": "three"})).unwrap_err();
        assert!(error.to_string().contains("expected a whole number"), "{error}");
    }

    #[test]
    fn optional_fields_are_declared_by_their_own_type() {
        let schema = rmcp::schemars::schema_for!(CreateVideo);
        let properties = &schema.as_value()["properties"];
        assert_eq!(properties["duration"]["type"], "integer");
        assert!(properties["duration"].get("default").is_none(), "{}", properties["duration"]);
        assert_eq!(properties["model"]["type"], "string");
        assert!(!properties["resolution"].to_string().contains("null"), "{}", properties["resolution"]);
        assert_eq!(properties["prompt"]["type"], "string");
    }
}

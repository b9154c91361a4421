//! The tools' arguments: each field's name, type, limits and default, as the JSON schema agents read.

use rmcp::schemars::JsonSchema;
use serde::Deserialize;

use crate::catalogue::MOST_REFERENCES as MAX_REFERENCES;
use crate::files::prompts::MAX_PROMPT_BYTES;

fn one() -> u32 {
    1
}

/// Arguments of `generate_image`. Unknown fields are refused, so a misspelt one is
/// told rather than silently dropped.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
pub struct GenerateImage {
    /// What to draw, in any language (at most 64 KiB of UTF-8).
    #[schemars(length(min = 1, max = MAX_PROMPT_BYTES))]
    pub prompt: String,
    /// How many images. Each one is billed; more than 4 are sent as several requests.
    /// The call is refused before anything is sent if the images could cost more than the
    /// server's --max-cost-per-call.
    #[serde(default = "one")]
    #[schemars(range(min = 1), default = "one")]
    pub n: u32,
    /// The model (see list_models). Default: the user's configured model, else wan2.7-image.
    pub model: Option<String>,
    /// Image size as WIDTHxHEIGHT, e.g. 1024x1024. Default: the model's own.
    #[schemars(regex(pattern = r"^[0-9]+[xX][0-9]+$"))]
    pub size: Option<String>,
    /// Folder to save into, relative to the server's output folder (e.g. "logos"); it may
    /// not leave that folder: no "..", no absolute path. Default: the output folder itself.
    pub out_dir: Option<String>,
    /// File name stem: files are saved as STEM-001.png, STEM-002.png, … (never
    /// overwriting). No "/" or "\". Default: a slug of the prompt.
    pub name: Option<String>,
}

/// Arguments of `edit_image`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "rmcp::schemars")]
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
    #[serde(default = "one")]
    #[schemars(range(min = 1), default = "one")]
    pub n: u32,
    /// The model (see list_models). Default: the user's configured model, else wan2.7-image.
    pub model: Option<String>,
    /// Folder to save into, relative to the server's output folder; it may not leave it.
    /// Default: the output folder itself.
    pub out_dir: Option<String>,
    /// File name stem: files are saved as STEM-001.png, … Default: a slug of the prompt.
    pub name: Option<String>,
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
#[schemars(crate = "rmcp::schemars")]
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
    /// Length in seconds. Default: 5.
    #[schemars(range(min = 1))]
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

//! What the emulator reads from a request on each route, as the service would: whether the
//! route serves the model, the prompt, how many pictures, their size within the model's
//! limits, and an edit's reference image; or the error the service answers instead.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hyper::StatusCode;
use serde_json::Value;

use super::multipart;
use super::reply::{Errors, Reply};
use crate::catalogue::size::{Size, parse_size};
use crate::catalogue::{self, Model, Price, SizeRule};

/// The largest side the emulator draws.
pub const MAX_SIDE: u32 = 4096;
/// The aspect ratios Google's image models take (`imageConfig.aspectRatio`).
const ASPECT_RATIOS: &[&str] = &["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

/// The API routes the emulator plays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/chat/completions`, the seeds' route for Wan.
    Chat,
    /// `POST /v1/images/generations`.
    Generations,
    /// `POST /v1/images/edits`, a multipart form.
    Edits,
    /// `POST /v1/models/{model}:generateContent` or `/v1beta/…`; `stream` for
    /// `:streamGenerateContent`.
    Gemini { model: String, stream: bool },
}

impl Route {
    /// The route of a `POST` to `path`, if the emulated service has it. With
    /// `v1beta_only` (`--gemini-v1beta-only`), `/v1/models/…` does not exist, as on a
    /// gateway that serves only `/v1beta/…`.
    pub fn of(path: &str, v1beta_only: bool) -> Option<Self> {
        match path {
            "/v1/chat/completions" => return Some(Self::Chat),
            "/v1/images/generations" => return Some(Self::Generations),
            "/v1/images/edits" => return Some(Self::Edits),
            _ => {}
        }
        let rest =
            path.strip_prefix("/v1beta/models/").or(path.strip_prefix("/v1/models/").filter(|_| !v1beta_only))?;
        let (model, stream) = match rest.strip_suffix(":generateContent") {
            Some(model) => (model, false),
            None => (rest.strip_suffix(":streamGenerateContent")?, true),
        };
        (!model.is_empty() && !model.contains('/')).then(|| Self::Gemini { model: percent_decode(model), stream })
    }

    pub fn is_gemini(&self) -> bool {
        matches!(self, Self::Gemini { .. })
    }
}

/// The families of the catalogue, each answering in its own form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Wan,
    Seedream,
    GptImage,
    Gemini,
}

impl Family {
    pub fn of(model: &str) -> Self {
        if model.starts_with("seedream-") {
            Self::Seedream
        } else if model.starts_with("gpt-image-") {
            Self::GptImage
        } else if model.starts_with("gemini-") {
            Self::Gemini
        } else {
            Self::Wan
        }
    }
}

/// A valid request, ready to draw.
#[derive(Debug)]
pub struct Job {
    pub route: Route,
    pub family: Family,
    pub model: String,
    pub prompt: String,
    pub n: u32,
    pub size: (u32, u32),
    /// The first reference image of an edit, as sent.
    pub reference: Option<Vec<u8>>,
    /// The width and height of an edit's mask, where one came (gpt-image).
    pub mask: Option<(u32, u32)>,
    pub price: Price,
    /// Answered as server-sent events: chat's `stream: true`, Gemini's `:streamGenerateContent`.
    pub stream: bool,
    /// Chat's `stream_options.include_usage`: a last chunk with the usage.
    pub include_usage: bool,
}

/// What reading a request needs to know of the emulator.
pub struct Context<'a> {
    /// Playing the service after 2026-07-28: Wan on `/v1/images/*`, not chat.
    pub moved: bool,
    /// Pictures are drawn at this size where a request names none.
    pub default_size: (u32, u32),
    pub errors: Errors<'a>,
}

/// Reads a request to `route`, or the error the service answers.
pub fn read(route: Route, body: &[u8], content_type: Option<&str>, cx: &Context) -> Result<Job, Box<Reply>> {
    match &route {
        Route::Gemini { model, stream } => gemini(model.clone(), *stream, body, cx),
        Route::Edits => edits(body, content_type, cx),
        Route::Chat | Route::Generations => {
            let request: Value = serde_json::from_slice(body)
                .map_err(|_| cx.errors.bad_request("json_parse_error", "The body is not valid JSON"))?;
            if route == Route::Chat { chat(&request, cx) } else { generations(&request, cx) }
        }
    }
}

/// The seeds' chat request: `messages` whose last user message has array content with a
/// text part; `n` 1 to 4, default 4.
fn chat(request: &Value, cx: &Context) -> Result<Job, Box<Reply>> {
    let (row, family) = served(&Route::Chat, request.get("model").and_then(Value::as_str), cx)?;
    let bad = |code: &str, message: &str| cx.errors.bad_request(code, message);
    let messages = request
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("missing_parameter", "messages is required: an array of messages"))?;
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .ok_or_else(|| bad("invalid_parameter_error", "A user message with the prompt is required"))?;
    let parts = last_user
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("invalid_parameter_error", "Input should be a valid list: messages[*].content"))?;
    let text: Vec<&str> = parts
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect();
    if text.iter().all(|t| t.trim().is_empty()) {
        return Err(bad("invalid_parameter_error", "At least one text part with the prompt is required"));
    }
    let reference = parts
        .iter()
        .filter(|p| p.get("type").and_then(Value::as_str) == Some("image_url"))
        .filter_map(|p| p.get("image_url").and_then(|u| u.get("url").or(Some(u))).and_then(Value::as_str))
        .find_map(data_uri_bytes);
    let n = count(request.get("n"), 4, row.per_request).map_err(|m| bad("invalid_parameter_error", &m))?;
    let size = size(family, row, request.get("size"), cx)?;
    let mut job = job(Route::Chat, row, family, text.join("\n"), n, size, reference);
    job.stream = match request.get("stream") {
        None | Some(Value::Null) => false,
        Some(stream) => stream.as_bool().ok_or_else(|| bad("invalid_parameter_error", "stream must be a boolean"))?,
    };
    job.include_usage = request.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
    Ok(job)
}

/// `stream: true` on the images routes: OpenAI's partial-image events are not played, so
/// it is refused out loud rather than answered as if it had not been asked.
fn no_stream(stream: Option<&Value>, cx: &Context) -> Result<(), Box<Reply>> {
    match stream {
        None | Some(Value::Null | Value::Bool(false)) => Ok(()),
        Some(_) => Err(cx.errors.bad_request(
            "invalid_parameter_error",
            "stream is not supported on /v1/images/*: send the request without it",
        )),
    }
}

/// `/v1/images/generations`: JSON `{model, prompt, n, size?}`.
fn generations(request: &Value, cx: &Context) -> Result<Job, Box<Reply>> {
    let (row, family) = served(&Route::Generations, request.get("model").and_then(Value::as_str), cx)?;
    let bad = |code: &str, message: &str| cx.errors.bad_request(code, message);
    let prompt = request.get("prompt").and_then(Value::as_str).filter(|p| !p.trim().is_empty());
    let prompt = prompt.ok_or_else(|| bad("missing_parameter", "prompt is required"))?.to_string();
    no_stream(request.get("stream"), cx)?;
    let n = count(request.get("n"), 1, row.per_request).map_err(|m| bad("invalid_parameter_error", &m))?;
    let size = size(family, row, request.get("size"), cx)?;
    Ok(job(Route::Generations, row, family, prompt, n, size, None))
}

/// `/v1/images/edits`: the OpenAI-style form with `model`, `prompt`, `n` and `image[]` files.
fn edits(body: &[u8], content_type: Option<&str>, cx: &Context) -> Result<Job, Box<Reply>> {
    let bad = |code: &str, message: &str| cx.errors.bad_request(code, message);
    let parts = content_type
        .and_then(multipart::boundary)
        .and_then(|boundary| multipart::parse(body, boundary))
        .ok_or_else(|| bad("invalid_request", "The body must be multipart/form-data"))?;
    let field =
        |name: &str| parts.iter().find(|p| p.name == name).map(|p| String::from_utf8_lossy(&p.data).into_owned());
    let (row, family) = served(&Route::Edits, field("model").as_deref(), cx)?;
    let mut images = parts.iter().filter(|p| p.name == "image[]" || p.name == "image");
    let reference = images.next().map(|p| p.data.clone());
    if reference.is_none() {
        return Err(bad("missing_parameter", "At least one image[] file is required"));
    }
    let prompt = field("prompt")
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| bad("missing_parameter", "prompt is required"))?;
    no_stream(field("stream").filter(|s| s != "false").map(Value::String).as_ref(), cx)?;
    let n = field("n").map(|n| n.parse::<u64>().map_or(Value::String(n), Value::from));
    let n = count(n.as_ref(), 1, row.per_request).map_err(|m| bad("invalid_parameter_error", &m))?;
    let size = size(family, row, field("size").map(Value::String).as_ref(), cx)?;
    let mask = match parts.iter().find(|p| p.name == "mask") {
        Some(part) => Some(mask(family, &part.data, reference.as_deref().unwrap_or_default(), cx)?),
        None => None,
    };
    Ok(Job { mask, ..job(Route::Edits, row, family, prompt, n, size, reference) })
}

/// An edit's `mask` as OpenAI's edits take one for gpt-image: a PNG with an alpha channel,
/// the size of the first image; any other model's edits take none. Its width and height.
fn mask(family: Family, mask: &[u8], image: &[u8], cx: &Context) -> Result<(u32, u32), Box<Reply>> {
    let bad = |message: &str| cx.errors.bad_request("invalid_image_format", message);
    if family != Family::GptImage {
        return Err(cx.errors.bad_request("invalid_parameter_error", "mask is only supported for gpt-image models"));
    }
    let decoder = png::Decoder::new(std::io::Cursor::new(mask));
    let info = decoder.read_info().map_err(|_| bad("Invalid mask image format - the mask must be a PNG"))?;
    let info = info.info();
    let alpha = matches!(info.color_type, png::ColorType::Rgba | png::ColorType::GrayscaleAlpha) || info.trns.is_some();
    if !alpha {
        return Err(bad("Invalid mask image format - the mask must have an alpha channel"));
    }
    let image_size = imagesize::blob_size(image).ok().map(|s| (s.width as u32, s.height as u32));
    if image_size != Some((info.width, info.height)) {
        return Err(bad("Invalid mask image format - mask size does not match image size"));
    }
    Ok((info.width, info.height))
}

/// Google's `generateContent`: `contents[].parts[]` of text and `inlineData` (or
/// `inline_data`) references; `generationConfig.imageConfig` sets the size. One picture.
fn gemini(model: String, stream: bool, body: &[u8], cx: &Context) -> Result<Job, Box<Reply>> {
    let (row, family) = served(&Route::Gemini { model: model.clone(), stream }, Some(&model), cx)?;
    let bad = |message: &str| cx.errors.bad_request("invalid_argument", message);
    let request: Value = serde_json::from_slice(body).map_err(|_| bad("Invalid JSON payload received."))?;
    let contents = request.get("contents").and_then(Value::as_array).filter(|c| !c.is_empty());
    let contents = contents.ok_or_else(|| bad("* GenerateContentRequest.contents: contents is not specified"))?;
    let parts: Vec<&Value> =
        contents.iter().filter_map(|c| c.get("parts").and_then(Value::as_array)).flatten().collect();
    let text: Vec<&str> = parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
    if text.iter().all(|t| t.trim().is_empty()) {
        return Err(bad("* GenerateContentRequest.contents.parts: a text part with the prompt is required"));
    }
    let reference = parts
        .iter()
        .filter_map(|p| p.get("inlineData").or_else(|| p.get("inline_data")))
        .filter_map(|inline| inline.get("data").and_then(Value::as_str))
        .find_map(|data| STANDARD.decode(data.trim()).ok());
    let image_config = request.get("generationConfig").and_then(|g| g.get("imageConfig"));
    let size = gemini_size(image_config, cx.default_size).map_err(|m| bad(&m))?;
    let mut job = job(Route::Gemini { model, stream }, row, family, text.join("\n"), 1, size, reference);
    job.stream = stream;
    Ok(job)
}

fn job(
    route: Route,
    row: &Model,
    family: Family,
    prompt: String,
    n: u32,
    size: (u32, u32),
    reference: Option<Vec<u8>>,
) -> Job {
    Job {
        route,
        family,
        model: row.name.to_string(),
        prompt,
        n,
        size,
        reference,
        mask: None,
        price: row.price,
        stream: false,
        include_usage: false,
    }
}

/// The catalogue's row for the model, if this route serves it; else the service's
/// answer: `model_not_found` for a model it does not know, `model_route_not_supported`
/// (or, for Wan on the images route of the seeds, `openai_error`) for the wrong route.
fn served(route: &Route, model: Option<&str>, cx: &Context) -> Result<(&'static Model, Family), Box<Reply>> {
    let errors = &cx.errors;
    let Some(name) = model else { return Err(errors.bad_request("missing_parameter", "model is required")) };
    let row = catalogue::find(name);
    if let Route::Gemini { .. } = route {
        return match row.filter(|_| Family::of(name) == Family::Gemini) {
            Some(row) => Ok((row, Family::Gemini)),
            None => Err(Box::new(errors.reply(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "not_found",
                &format!("models/{name} is not found for API version v1beta, or is not supported for generateContent."),
            ))),
        };
    }
    let Some(row) = row else {
        return Err(Box::new(errors.reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "model_not_found",
            &format!("model {name} not found for this workspace"),
        )));
    };
    let family = Family::of(name);
    let serves = match (route, family) {
        (Route::Chat, Family::Wan) => !cx.moved,
        (Route::Generations | Route::Edits, Family::Wan) if !cx.moved => {
            return Err(Box::new(errors.reply(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "openai_error",
                "The Wan models are not served on /v1/images/*; use POST /v1/chat/completions",
            )));
        }
        (Route::Generations, _) => family != Family::Gemini,
        (Route::Edits, _) => matches!(family, Family::Wan | Family::GptImage),
        _ => false,
    };
    if serves {
        return Ok((row, family));
    }
    let path = match route {
        Route::Chat => "/v1/chat/completions",
        Route::Generations => "/v1/images/generations",
        _ => "/v1/images/edits",
    };
    let routes = match family {
        Family::Wan if cx.moved => "POST /v1/images/generations, POST /v1/images/edits".to_string(),
        Family::Wan => "POST /v1/chat/completions".to_string(),
        Family::Seedream => "POST /v1/images/generations".to_string(),
        Family::GptImage => "POST /v1/images/generations, POST /v1/images/edits".to_string(),
        Family::Gemini => format!("POST /v1beta/models/{name}:generateContent"),
    };
    Err(errors.bad_request(
        "model_route_not_supported",
        &format!("{name} is not supported on {path}; supported routes: {routes}"),
    ))
}

/// `n`: absent means `default`; else an integer from 1 to `max`.
fn count(n: Option<&Value>, default: u32, max: u32) -> Result<u32, String> {
    match n {
        None | Some(Value::Null) => Ok(default.min(max)),
        Some(n) => n
            .as_u64()
            .filter(|n| (1..=u64::from(max)).contains(n))
            .map(|n| n as u32)
            .ok_or_else(|| format!("n must be an integer from 1 to {max}")),
    }
}

/// The size to draw: the request's, within the model's limits, as its service answers.
fn size(family: Family, row: &Model, given: Option<&Value>, cx: &Context) -> Result<(u32, u32), Box<Reply>> {
    let text = given.and_then(Value::as_str);
    let exact = text.and_then(|t| parse_size(t).ok());
    let fits = |s: Size| s.width <= MAX_SIDE && s.height <= MAX_SIDE;
    let bad = |code: &str, message: String| Err(cx.errors.bad_request(code, &message));
    match family {
        // Wan documents no rule: a size it cannot draw is no size.
        Family::Wan | Family::Gemini => Ok(exact.filter(|&s| fits(s)).map_or(cx.default_size, |s| (s.width, s.height))),
        Family::Seedream => {
            let SizeRule::MinPixels { min_pixels, default } = row.size else { return Ok(cx.default_size) };
            let size = match (text, exact) {
                (None, _) => default,
                (Some(_), Some(size)) => size,
                (Some(t), None) => {
                    return bad("invalid_request", format!("size {t:?} is not WIDTHxHEIGHT (for example 2048x2048)"));
                }
            };
            if row.size.problem(size).is_some() {
                return bad("InvalidParameter", format!("image size must be at least {min_pixels} pixels"));
            }
            if !fits(size) {
                return bad("InvalidParameter", format!("image size must be at most {MAX_SIDE}x{MAX_SIDE}"));
            }
            Ok((size.width, size.height))
        }
        Family::GptImage => match (text, exact) {
            (None, _) => Ok(cx.default_size),
            (Some(t), _) if t.eq_ignore_ascii_case("auto") => Ok(cx.default_size),
            (Some(_), Some(size)) if row.size.problem(size).is_none() => Ok((size.width, size.height)),
            (Some(t), _) => bad(
                "invalid_value",
                format!(
                    "Invalid size {t:?}: it must be auto, or WxH with both sides multiples of 16, the longer \
                     at most 3840 and a ratio of at most 3:1"
                ),
            ),
        },
    }
}

/// `imageConfig: {aspectRatio, imageSize}`: the longer side 1024, 2048 or 4096 for 1K, 2K
/// or 4K (1K where only a ratio is given), the other by the ratio; neither gives the
/// default size.
fn gemini_size(config: Option<&Value>, default: (u32, u32)) -> Result<(u32, u32), String> {
    let field = |name: &str| config.and_then(|c| c.get(name)).and_then(Value::as_str);
    let (ratio, image_size) = (field("aspectRatio"), field("imageSize"));
    if ratio.is_none() && image_size.is_none() {
        return Ok(default);
    }
    let long = match image_size.map(str::to_ascii_uppercase).as_deref() {
        None | Some("1K") => 1024,
        Some("2K") => 2048,
        Some("4K") => 4096,
        Some(other) => return Err(format!("imageSize {other:?} is not one of 1K, 2K, 4K")),
    };
    let ratio = ratio.unwrap_or("1:1");
    if !ASPECT_RATIOS.contains(&ratio) {
        return Err(format!("aspectRatio {ratio:?} is not one of {}", ASPECT_RATIOS.join(", ")));
    }
    let (a, b) = ratio
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .unwrap_or((1, 1));
    Ok(if a >= b { (long, long * b / a) } else { (long * a / b, long) })
}

/// The bytes of a `data:…;base64,` URI.
fn data_uri_bytes(url: &str) -> Option<Vec<u8>> {
    let (head, data) = url.split_once(',')?;
    (head.starts_with("data:") && head.ends_with(";base64")).then(|| STANDARD.decode(data.trim()).ok())?
}

/// `%2F` and the like, as a client escapes a model name in the path.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::reply::Shape;
    use serde_json::json;

    fn cx(moved: bool) -> Context<'static> {
        Context { moved, default_size: (64, 64), errors: Errors { shape: Shape::Aisa, request_id: "req_1" } }
    }

    fn generations_of(body: Value) -> Result<Job, String> {
        read(Route::Generations, body.to_string().as_bytes(), None, &cx(false)).map_err(|reply| reply.note.clone())
    }

    #[test]
    fn routes_are_found_by_path() {
        assert_eq!(Route::of("/v1/chat/completions", false), Some(Route::Chat));
        let gemini = Some(Route::Gemini { model: "gemini-3-pro-image-preview".into(), stream: false });
        assert_eq!(Route::of("/v1/models/gemini-3-pro-image-preview:generateContent", false), gemini);
        assert_eq!(Route::of("/v1beta/models/gemini-3-pro-image-preview:generateContent", true), gemini);
        assert_eq!(
            Route::of("/v1/models/gemini-3-pro-image-preview:generateContent", true),
            None,
            "--gemini-v1beta-only"
        );
        let a_b = Some(Route::Gemini { model: "a/b".into(), stream: false });
        assert_eq!(Route::of("/v1/models/a%2Fb:generateContent", false), a_b);
        assert_eq!(
            Route::of("/v1/models/x:streamGenerateContent", false),
            Some(Route::Gemini { model: "x".into(), stream: true })
        );
        assert_eq!(Route::of("/v1/models/x:countTokens", false), None);
        assert_eq!(Route::of("/v1/nowhere", false), None);
    }

    #[test]
    fn seedream_needs_its_minimum_size_and_one_image() {
        let ok = generations_of(json!({"model": "seedream-5-0-260128", "prompt": "x", "size": "1920x1920"})).unwrap();
        assert_eq!((ok.family, ok.size, ok.n), (Family::Seedream, (1920, 1920), 1));
        let default = generations_of(json!({"model": "seedream-4-5-251128", "prompt": "x"})).unwrap();
        assert_eq!(default.size, (2048, 2048));
        let small = json!({"model": "seedream-5-0-260128", "prompt": "x", "size": "1024x1024"});
        assert_eq!(generations_of(small).unwrap_err(), "InvalidParameter");
        let malformed = json!({"model": "seedream-5-0-260128", "prompt": "x", "size": "1024"});
        assert_eq!(generations_of(malformed).unwrap_err(), "invalid_request");
        let two = json!({"model": "seedream-5-0-260128", "prompt": "x", "n": 2, "size": "2048x2048"});
        assert_eq!(generations_of(two).unwrap_err(), "invalid_parameter_error");
    }

    #[test]
    fn gpt_image_takes_up_to_ten_and_its_size_rule() {
        let job = generations_of(json!({"model": "gpt-image-2", "prompt": "x", "n": 10, "size": "1536x1024"})).unwrap();
        assert_eq!((job.n, job.size), (10, (1536, 1024)));
        assert_eq!(
            generations_of(json!({"model": "gpt-image-2", "prompt": "x", "size": "auto"})).unwrap().size,
            (64, 64)
        );
        assert_eq!(
            generations_of(json!({"model": "gpt-image-2", "prompt": "x", "size": "1000x1000"})).unwrap_err(),
            "invalid_value"
        );
        assert_eq!(
            generations_of(json!({"model": "gpt-image-2", "prompt": "x", "n": 11})).unwrap_err(),
            "invalid_parameter_error"
        );
    }

    #[test]
    fn each_route_serves_its_models_only() {
        assert_eq!(generations_of(json!({"model": "wan2.7-image", "prompt": "x"})).unwrap_err(), "openai_error");
        let gemini = json!({"model": "gemini-3-pro-image-preview", "prompt": "x"});
        assert_eq!(generations_of(gemini).unwrap_err(), "model_route_not_supported");
        assert_eq!(generations_of(json!({"model": "dall-e-9", "prompt": "x"})).unwrap_err(), "model_not_found");
        let chat = json!({"model": "seedream-5-0-260128", "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]});
        let refused = read(Route::Chat, chat.to_string().as_bytes(), None, &cx(false)).unwrap_err();
        assert_eq!(refused.note, "model_route_not_supported");
        let moved = json!({"model": "wan2.7-image", "prompt": "x", "size": "128x96"});
        let job = read(Route::Generations, moved.to_string().as_bytes(), None, &cx(true)).unwrap();
        assert_eq!(job.size, (128, 96), "the size follows the request");
    }

    #[test]
    fn gemini_reads_parts_and_image_config() {
        let png = STANDARD.encode(b"\x89PNG...");
        let body = json!({"contents": [{"role": "user", "parts": [
            {"inline_data": {"mime_type": "image/png", "data": png}}, {"text": "at night"}]}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}});
        let route = Route::Gemini { model: "gemini-3-pro-image-preview".into(), stream: false };
        let job = read(route.clone(), body.to_string().as_bytes(), None, &cx(false)).unwrap();
        assert_eq!((job.prompt.as_str(), job.n, job.size), ("at night", 1, (2048, 1152)));
        assert_eq!(job.reference.as_deref(), Some(&b"\x89PNG..."[..]));
        assert_eq!(gemini_size(Some(&json!({"aspectRatio": "9:16"})), (64, 64)), Ok((576, 1024)));
        assert!(gemini_size(Some(&json!({"aspectRatio": "7:3"})), (64, 64)).is_err());
        let unknown = Route::Gemini { model: "gemini-9".into(), stream: false };
        assert_eq!(read(unknown, body.to_string().as_bytes(), None, &cx(false)).unwrap_err().note, "not_found");
        let empty = json!({"contents": []});
        assert_eq!(read(route, empty.to_string().as_bytes(), None, &cx(false)).unwrap_err().note, "invalid_argument");
    }

    /// A real PNG of `width`×`height` in `colour`.
    fn png_of(width: u32, height: u32, colour: png::ColorType) -> Vec<u8> {
        let channels = match colour {
            png::ColorType::Rgba => 4,
            png::ColorType::GrayscaleAlpha => 2,
            _ => 3,
        };
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(colour);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&vec![0; (width * height) as usize * channels]).unwrap();
        writer.finish().unwrap();
        out
    }

    fn edit_with_mask(model: &str, mask: &[u8]) -> Result<Job, String> {
        let image = png_of(300, 200, png::ColorType::Rgb);
        let mut body = Vec::new();
        for (name, data) in [("model", model.as_bytes()), ("prompt", b"a door"), ("image[]", &image), ("mask", mask)] {
            body.extend_from_slice(
                format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--B--\r\n");
        // The body's Debug shows its bytes: the error's message.
        read(Route::Edits, &body, Some("multipart/form-data; boundary=B"), &cx(true))
            .map_err(|reply| format!("{} {:?}", reply.note, reply.body))
    }

    #[test]
    fn a_gpt_image_edit_takes_a_png_mask_with_alpha_of_the_image_s_size() {
        let job = edit_with_mask("gpt-image-2", &png_of(300, 200, png::ColorType::Rgba)).unwrap();
        assert_eq!(job.mask, Some((300, 200)));
        assert!(edit_with_mask("gpt-image-2", &png_of(300, 200, png::ColorType::GrayscaleAlpha)).is_ok());
        let refused = |model: &str, mask: &[u8]| edit_with_mask(model, mask).unwrap_err();
        assert!(refused("gpt-image-2", &png_of(300, 201, png::ColorType::Rgba)).contains("mask size does not match"));
        assert!(refused("gpt-image-2", &png_of(300, 200, png::ColorType::Rgb)).contains("must have an alpha channel"));
        assert!(refused("gpt-image-2", b"GIF89a").contains("the mask must be a PNG"));
        let wan = refused("wan2.7-image", &png_of(300, 200, png::ColorType::Rgba));
        assert!(wan.starts_with("invalid_parameter_error") && wan.contains("only supported for gpt-image"), "{wan}");
    }
}

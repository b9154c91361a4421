//! The emulated service: the chat route of the seeds, the images routes of the later docs,
//! the CDN that serves the images, and the error shapes and headers of the real thing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::body::Paced;
use super::draw::{self, mix};
use super::faults::{ApiFault, Faults};
use super::limit::{Decision, Limiter};
use super::multipart;
use super::store::{Lookup, Store};

/// The Wan models the emulator serves; any other is `model_not_found`, as for a
/// workspace not provisioned for it.
const MODELS: &[&str] = &["wan2.7-image", "wan2.7-image-pro"];
/// The largest request body read; past it, 413. The biggest legal request is an edit
/// with 9 references of 20 MiB, base64 in a chat body: 9 × 20 MiB × 4/3 = 240 MiB, plus
/// the JSON around it. A client that sends more is not made to wait for an answer
/// while the emulator buffers it all.
pub const MAX_REQUEST_BODY: usize = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct Config {
    /// Plays the service after 2026-07-28: Wan on `/v1/images/*`, not chat.
    pub moved_to_images: bool,
    pub base64: bool,
    /// Draw incompressible pictures (large answers, for memory benchmarks).
    pub noise: bool,
    pub size: (u32, u32),
    /// When set, any other bearer key is refused.
    pub api_key: Option<String>,
    pub faults: Faults,
    /// `--rpm`: API requests a minute; `None` limits nothing.
    pub rpm: Option<u64>,
}

#[derive(Debug)]
pub struct State {
    config: Config,
    store: Store,
    /// Numbers requests in arrival order, for request ids and seeded faults.
    seq: AtomicU64,
    /// With `--rpm`: the budget API requests draw on, and the headers that tell it.
    limiter: Option<Limiter>,
}

/// The connection is to be dropped without an answer.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

/// An answer before the common headers: status, JSON or other body, and a log note.
struct Reply {
    status: StatusCode,
    body: Paced,
    content_type: &'static str,
    extra: Vec<(&'static str, String)>,
    note: String,
}

impl Reply {
    fn json(status: StatusCode, value: &Value) -> Self {
        Self {
            status,
            body: Paced::full(value.to_string()),
            content_type: "application/json",
            extra: Vec::new(),
            note: String::new(),
        }
    }

    fn error(status: StatusCode, kind: &str, code: &str, message: &str, request_id: &str) -> Self {
        let body = json!({"error": {"type": kind, "code": code, "message": message, "request_id": request_id}});
        Self { note: code.to_string(), ..Self::json(status, &body) }
    }

    fn text(status: StatusCode, content_type: &'static str, text: &'static str) -> Self {
        Self { status, body: Paced::full(text), content_type, extra: Vec::new(), note: String::new() }
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl State {
    pub fn new(config: Config, url_ttl: Duration) -> Self {
        let limiter = config.rpm.map(Limiter::new);
        Self { config, store: Store::new(url_ttl), seq: AtomicU64::new(0), limiter }
    }

    /// Answers one request, logging one line; `Err` drops the connection.
    pub async fn handle(&self, request: Request<Incoming>) -> Result<Response<Paced>, Dropped> {
        let started = Instant::now();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("req_{:016x}", mix(self.config.faults.seed ^ seq.wrapping_mul(31)));
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let origin = match request.headers().get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => "http://127.0.0.1".to_string(),
        };
        let mut budget = None;
        let reply = match (&method, path.as_str()) {
            (&Method::GET, p) if p.starts_with("/images/") => self.download(p, seq),
            (&Method::POST, "/v1/chat/completions" | "/v1/images/generations" | "/v1/images/edits") => {
                // Counted as it arrives, as a gateway does, before the work.
                budget = self.limiter.as_ref().map(|limiter| limiter.check(Instant::now()));
                let over = budget.is_some_and(|b| !b.allowed);
                match if over {
                    Ok(rate_limited(&request_id))
                } else {
                    self.api(request, seq, &request_id, &origin).await
                } {
                    Ok(reply) => reply,
                    Err(Dropped) => {
                        log(&method, &path, "dropped", &request_id, "fault: connection dropped", started);
                        return Err(Dropped);
                    }
                }
            }
            _ => Reply::text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "404 page not found"),
        };
        log(&method, &path, reply.status.as_str(), &request_id, &reply.note, started);
        Ok(self.finish(reply, &request_id, budget))
    }

    /// Adds what every answer carries: the request id, and with `--rpm` the rate-limit
    /// headers of API answers. Without `--rpm` nothing is limited, so no limit is claimed:
    /// a client that trusts the headers must not be slowed by a budget that is not there.
    fn finish(&self, reply: Reply, request_id: &str, budget: Option<Decision>) -> Response<Paced> {
        let mut response = Response::builder()
            .status(reply.status)
            .header(header::CONTENT_TYPE, reply.content_type)
            .header("x-request-id", request_id);
        if let (Some(limiter), Some(budget)) = (&self.limiter, budget) {
            for (name, value) in limiter.headers(&budget, SystemTime::now()) {
                response = response.header(name, value);
            }
        }
        for (name, value) in reply.extra {
            response = response.header(name, value);
        }
        response.body(reply.body).expect("headers are valid")
    }

    fn download(&self, path: &str, seq: u64) -> Reply {
        let id = path.rsplit('/').next().unwrap_or_default().trim_end_matches(".png");
        match self.store.get(id) {
            Lookup::Found(png) => {
                let faults = &self.config.faults;
                let cut = faults.cut_download(seq);
                Reply {
                    status: StatusCode::OK,
                    body: Paced::download(png, faults.download_latency, faults.slow_downloads, cut),
                    content_type: "image/png",
                    extra: Vec::new(),
                    note: if cut { "fault: download cut short".into() } else { String::new() },
                }
            }
            Lookup::Expired => Reply::text(
                StatusCode::FORBIDDEN,
                "application/xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                 <Message>Request has expired</Message></Error>",
            ),
            Lookup::Missing => Reply::text(
                StatusCode::NOT_FOUND,
                "application/xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
                 <Message>The specified key does not exist.</Message></Error>",
            ),
        }
    }

    async fn api(&self, request: Request<Incoming>, seq: u64, id: &str, origin: &str) -> Result<Reply, Dropped> {
        let path = request.uri().path().to_string();
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(String::from);
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty());
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let faults = &self.config.faults;
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        // The key is checked from the headers alone, before a byte of the body is read:
        // a stranger must not make the emulator take in (and hold) what it sends.
        let unauthorized = |code: &str, message: &str| {
            Ok(Reply::error(StatusCode::UNAUTHORIZED, "authentication_error", code, message, id))
        };
        match (&bearer, &self.config.api_key) {
            (None, _) => return unauthorized("missing_api_key", "Missing API key: send Authorization: Bearer <key>"),
            (Some(given), Some(wanted)) if given != wanted => {
                return unauthorized("invalid_api_key", "Invalid API key");
            }
            _ => {}
        }
        let too_large = || {
            let message = format!("The request body is over the limit of {} MiB", MAX_REQUEST_BODY >> 20);
            Ok(Reply::error(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", "request_too_large", &message, id))
        };
        // A declared length over the cap is refused unread; a body without one (or one
        // that lies) is cut off at the cap while it streams.
        if declared.is_some_and(|len| len > MAX_REQUEST_BODY as u64) {
            return too_large();
        }
        let body = match read_body(request.into_body(), MAX_REQUEST_BODY).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return too_large(),
            Err(BodyError::Broken) => return Err(Dropped),
        };
        match faults.api(seq) {
            ApiFault::Drop => return Err(Dropped),
            ApiFault::TooManyRequests => {
                let mut reply = Reply::error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "rate_limit_exceeded",
                    "Rate limit exceeded; retry after the time in Retry-After",
                    id,
                );
                reply.extra.push(("retry-after", faults.retry_after.to_string()));
                reply.note = "fault: 429".into();
                return Ok(reply);
            }
            ApiFault::ServerError(status) => {
                let (status, code) = match status {
                    503 => (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable"),
                    _ => (StatusCode::INTERNAL_SERVER_ERROR, "upstream_error"),
                };
                let mut reply = Reply::error(status, "upstream_error", code, "The upstream provider failed", id);
                reply.note = format!("fault: {}", status.as_u16());
                return Ok(reply);
            }
            ApiFault::None => {}
        }
        let job = match path.as_str() {
            "/v1/chat/completions" => self.chat_job(&body, id),
            "/v1/images/generations" => self.images_job(&body, id),
            _ => self.edits_job(&body, content_type.as_deref(), id),
        };
        let job = match job {
            Ok(job) => job,
            Err(reply) => return Ok(*reply),
        };
        Ok(self.make(job, seq, origin).await)
    }

    /// The seeds' chat request: `messages` whose last user message has array content
    /// with a text part; `n` 1 to 4, default 4.
    fn chat_job(&self, body: &[u8], id: &str) -> Result<Job, Box<Reply>> {
        let bad = |code: &str, message: &str| {
            Box::new(Reply::error(StatusCode::BAD_REQUEST, "invalid_request_error", code, message, id))
        };
        let request: Value =
            serde_json::from_slice(body).map_err(|_| bad("json_parse_error", "The body is not valid JSON"))?;
        let model = self.model(&request, id)?;
        if self.config.moved_to_images {
            return Err(bad(
                "model_route_not_supported",
                &format!(
                    "{model} is not supported on /v1/chat/completions; \
                     supported routes: POST /v1/images/generations, POST /v1/images/edits"
                ),
            ));
        }
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
        let prompt: Vec<&str> = parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        if prompt.iter().all(|t| t.trim().is_empty()) {
            return Err(bad("invalid_parameter_error", "At least one text part with the prompt is required"));
        }
        let n = count(&request, 4).map_err(|message| bad("invalid_parameter_error", message))?;
        Ok(Job { route: Route::Chat, model, prompt: prompt.join("\n"), n, size: self.size(&request) })
    }

    fn images_unavailable(&self, id: &str) -> Box<Reply> {
        Box::new(Reply::error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "openai_error",
            "The Wan models are not served on /v1/images/*; use POST /v1/chat/completions",
            id,
        ))
    }

    /// The later docs' `/v1/images/generations`: JSON `{model, prompt, n, size?}`.
    fn images_job(&self, body: &[u8], id: &str) -> Result<Job, Box<Reply>> {
        if !self.config.moved_to_images {
            return Err(self.images_unavailable(id));
        }
        let bad = |code: &str, message: &str| {
            Box::new(Reply::error(StatusCode::BAD_REQUEST, "invalid_request_error", code, message, id))
        };
        let request: Value =
            serde_json::from_slice(body).map_err(|_| bad("json_parse_error", "The body is not valid JSON"))?;
        let model = self.model(&request, id)?;
        let prompt = request.get("prompt").and_then(Value::as_str).filter(|p| !p.trim().is_empty());
        let prompt = prompt.ok_or_else(|| bad("missing_parameter", "prompt is required"))?.to_string();
        let n = count(&request, 1).map_err(|message| bad("invalid_parameter_error", message))?;
        Ok(Job { route: Route::Images, model, prompt, n, size: self.size(&request) })
    }

    /// `/v1/images/edits`: the OpenAI-style form with `model`, `prompt`, `n` and `image[]` files.
    fn edits_job(&self, body: &[u8], content_type: Option<&str>, id: &str) -> Result<Job, Box<Reply>> {
        if !self.config.moved_to_images {
            return Err(self.images_unavailable(id));
        }
        let bad = |code: &str, message: &str| {
            Box::new(Reply::error(StatusCode::BAD_REQUEST, "invalid_request_error", code, message, id))
        };
        let parts = content_type
            .and_then(multipart::boundary)
            .and_then(|boundary| multipart::parse(body, boundary))
            .ok_or_else(|| bad("invalid_request", "The body must be multipart/form-data"))?;
        let field =
            |name: &str| parts.iter().find(|p| p.name == name).map(|p| String::from_utf8_lossy(&p.data).into_owned());
        let images = parts.iter().filter(|p| p.name == "image[]" || p.name == "image").count();
        if images == 0 {
            return Err(bad("missing_parameter", "At least one image[] file is required"));
        }
        let mut request = json!({"model": field("model"), "n": field("n").and_then(|n| n.parse::<u64>().ok())});
        if let Some(size) = field("size") {
            request["size"] = Value::String(size);
        }
        let model = self.model(&request, id)?;
        let prompt = field("prompt")
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| bad("missing_parameter", "prompt is required"))?;
        let n = count(&request, 1).map_err(|message| bad("invalid_parameter_error", message))?;
        Ok(Job { route: Route::Images, model, prompt, n, size: self.size(&request) })
    }

    fn model(&self, request: &Value, id: &str) -> Result<String, Box<Reply>> {
        match request.get("model").and_then(Value::as_str) {
            None => Err(Box::new(Reply::error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "missing_parameter",
                "model is required",
                id,
            ))),
            Some(model) if !MODELS.contains(&model) => Err(Box::new(Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                "model_not_found",
                &format!("model {model} not found for this workspace"),
                id,
            ))),
            Some(model) => Ok(model.to_string()),
        }
    }

    /// The body's `size` where it is a valid `WxH` of at most 4096 a side, else `--size`.
    fn size(&self, request: &Value) -> (u32, u32) {
        request
            .get("size")
            .and_then(Value::as_str)
            .and_then(|s| s.split_once(['x', 'X']))
            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
            .filter(|&(w, h): &(u32, u32)| (1..=4096).contains(&w) && (1..=4096).contains(&h))
            .unwrap_or(self.config.size)
    }

    /// Draws the images and answers in the route's shape.
    async fn make(&self, job: Job, seq: u64, origin: &str) -> Reply {
        let (width, height) = job.size;
        let (prompt, noise) = (job.prompt.clone(), self.config.noise);
        let pictures = tokio::task::spawn_blocking(move || {
            (0..job.n).map(|i| Bytes::from(draw::picture(&prompt, i, width, height, noise))).collect::<Vec<_>>()
        })
        .await
        .expect("drawing does not panic");
        let images: Vec<String> = pictures
            .into_iter()
            .enumerate()
            .map(|(i, png)| {
                if self.config.base64 {
                    STANDARD.encode(&png)
                } else {
                    let name = format!("{:016x}{i:02}", mix(seq ^ 0x5eed));
                    self.store.put(name.clone(), png);
                    format!("{origin}/images/wan2.7/{name}.png")
                }
            })
            .collect();
        let created = now_secs();
        let answer = match job.route {
            Route::Chat => {
                let prompt_tokens = 100 + job.prompt.split_whitespace().count() as u64;
                json!({
                    "id": format!("chatcmpl-{:016x}", mix(seq)),
                    "object": "chat.completion",
                    "created": created,
                    "model": job.model,
                    "choices": images.iter().enumerate().map(|(i, image)| json!({
                        "index": i,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": [{"type": "image", "image": image}]}
                    })).collect::<Vec<_>>(),
                    "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 8, "total_tokens": prompt_tokens + 8}
                })
            }
            Route::Images => {
                let field = if self.config.base64 { "b64_json" } else { "url" };
                json!({
                    "model": job.model,
                    "created": created,
                    "data": images.iter().map(|image| json!({field: image, "size": format!("{width}x{height}")})).collect::<Vec<_>>(),
                    "usage": {"generated_images": job.n, "output_tokens": 0, "total_tokens": 0}
                })
            }
        };
        let mut reply = Reply::json(StatusCode::OK, &answer);
        reply.note = format!("model {} · n {}", job.model, job.n);
        reply
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Chat,
    Images,
}

/// A valid request, ready to draw.
#[derive(Debug)]
struct Job {
    route: Route,
    model: String,
    prompt: String,
    n: u32,
    size: (u32, u32),
}

#[derive(Debug, PartialEq, Eq)]
enum BodyError {
    /// Over the cap; reading stopped at the frame that crossed it.
    TooLarge,
    /// The client went away or sent a broken body.
    Broken,
}

/// The whole body, up to `cap` bytes.
async fn read_body<B>(body: B, cap: usize) -> Result<Bytes, BodyError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, cap).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Broken),
    }
}

/// `n`: absent means `default`; else an integer from 1 to 4.
fn count(request: &Value, default: u32) -> Result<u32, &'static str> {
    match request.get("n") {
        None | Some(Value::Null) => Ok(default),
        Some(n) => {
            n.as_u64().filter(|n| (1..=4).contains(n)).map(|n| n as u32).ok_or("n must be an integer from 1 to 4")
        }
    }
}

/// The 429 of a request over the `--rpm` budget; the limiter's headers say when to come back.
fn rate_limited(request_id: &str) -> Reply {
    let mut reply = Reply::error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_error",
        "rate_limit_exceeded",
        "Rate limit exceeded: too many requests a minute for this key; retry after the time in Retry-After",
        request_id,
    );
    reply.note = "over --rpm".into();
    reply
}

fn log(method: &Method, path: &str, status: &str, request_id: &str, note: &str, started: Instant) {
    let note = if note.is_empty() { String::new() } else { format!(" · {note}") };
    eprintln!("{method} {path} {status} · {request_id}{note} · {} ms", started.elapsed().as_millis());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: Paced, cap: usize) -> Result<Bytes, BodyError> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(read_body(body, cap))
    }

    #[test]
    fn bodies_are_read_up_to_the_cap_and_no_further() {
        // Paced sends 16 KiB frames: the cap is met while the body streams, not after.
        let data = vec![7u8; 100_000];
        assert_eq!(read(Paced::full(data.clone()), 100_000).unwrap().len(), 100_000);
        assert_eq!(read(Paced::full(data.clone()), 99_999), Err(BodyError::TooLarge));
        assert_eq!(read(Paced::full(data), 20_000), Err(BodyError::TooLarge));
    }

    #[test]
    fn the_cap_admits_the_largest_legal_edit() {
        let references = 9 * crate::reference::MAX_BYTES as usize;
        let base64 = references.div_ceil(3) * 4;
        assert!(base64 + 1024 * 1024 <= MAX_REQUEST_BODY, "{base64}");
    }
}

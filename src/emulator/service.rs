//! The emulated service: the chat route of the seeds, the images routes, the Gemini route,
//! the account's balance, the CDN that serves the images, and the error shapes and
//! headers of the real thing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::account::Account;
use super::answers::{self, Delivery};
use super::billing::{self, Asked, Keys};
use super::body::Paced;
use super::draw::{self, mix};
use super::faults::{ApiFault, Faults};
use super::limit::{Decision, Limiter};
use super::pictures::Pictures;
use super::reply::{Errors, Reply, Shape};
use super::requests::{self, Context, Family, Job, Route};
use super::store::{Lookup, Store};
use super::video::{self, Videos};
use crate::catalogue::Price;
use crate::catalogue::money::Micros;

/// The largest request body read; past it, 413. The biggest legal request is a Gemini
/// edit with 14 references of 20 MiB, base64 in JSON: 14 × 20 MiB × 4/3 ≈ 374 MiB, plus
/// the JSON around it. A client that sends more is not made to wait for an answer
/// while the emulator buffers it all.
pub const MAX_REQUEST_BODY: usize = 400 * 1024 * 1024;

#[derive(Debug)]
pub struct Config {
    /// Plays the service after 2026-07-28: Wan on `/v1/images/*`, not chat.
    pub moved_to_images: bool,
    /// `/v1/models/{m}:generateContent` is a plain 404: only `/v1beta/…` serves Gemini.
    pub gemini_v1beta_only: bool,
    /// Gemini answers in snake_case (`inline_data`, `mime_type`), as AIsa's OpenAPI file names them.
    pub gemini_snake_case: bool,
    /// `x-goog-api-key` is taken as the key too (Google's SDKs send it); Bearer stays the documented way.
    pub goog_api_key: bool,
    /// The Wan models charge their list price per request, not per image.
    pub bill_per_request: bool,
    /// Nothing is charged (quotes and the price cap still go by the list price): the
    /// emulator inside `wan --offline`, which must not look like spending.
    pub free: bool,
    /// `Idempotency-Key` is remembered; off plays a service that ignores it.
    pub idempotency: bool,
    /// Wan answers base64 instead of URLs.
    pub base64: bool,
    /// Draw incompressible pictures (large answers, for memory benchmarks).
    pub noise: bool,
    pub size: (u32, u32),
    /// When set, any other bearer key is refused.
    pub api_key: Option<String>,
    /// The account's balance at start.
    pub balance: Micros,
    pub faults: Faults,
    pub video: video::VideoConfig,
    /// `--rpm`: image requests a minute; `None` limits nothing.
    pub rpm: Option<u64>,
    pub logs: Logs,
}

/// Where the line of each request goes: stderr for `wan emulator`; nowhere for the
/// emulator inside `wan --offline`, whose stderr is the user's run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logs {
    Stderr,
    Off,
}

#[derive(Debug)]
pub struct State {
    config: Config,
    store: Store,
    pictures: Arc<Pictures>,
    account: Account,
    videos: Videos,
    /// Numbers requests in arrival order, for request ids and seeded faults.
    seq: AtomicU64,
    /// With `--rpm`: the budget image requests draw on, and the headers that tell it.
    limiter: Option<Limiter>,
    /// The `Idempotency-Key`s of this run.
    keys: Keys,
    /// Random bits of this run, so that answer ids differ run by run while the pictures
    /// and the faults follow `--seed`.
    nonce: (u64, u64),
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

impl State {
    pub fn new(config: Config, url_ttl: Duration) -> Self {
        Self {
            videos: Videos::new(config.video.clone(), url_ttl),
            store: Store::new(url_ttl),
            limiter: config.rpm.map(Limiter::new),
            pictures: Arc::new(Pictures::new(config.noise)),
            account: Account::new(config.balance),
            keys: Keys::new(config.idempotency),
            config,
            seq: AtomicU64::new(0),
            nonce: (random_bits(), random_bits()),
        }
    }

    /// Answers one request, logging one line; `Err` drops the connection.
    pub async fn handle(&self, request: Request<Incoming>) -> Result<Response<Paced>, Dropped> {
        let started = Instant::now();
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let request_id = format!("req_{:016x}", mix(self.config.faults.seed ^ seq.wrapping_mul(31)));
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let query = request.uri().query().unwrap_or_default().to_string();
        let origin = match request.headers().get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => "http://127.0.0.1".to_string(),
        };
        let route = (method == Method::POST).then(|| Route::of(&path, self.config.gemini_v1beta_only)).flatten();
        // Counted as it arrives, as a gateway does, before any work.
        let budget = route.as_ref().and(self.limiter.as_ref()).map(|limiter| limiter.check(Instant::now()));
        let reply = match (&method, path.as_str(), route) {
            (&Method::GET, p, _) if p.starts_with("/images/") => self.download(p, seq),
            (&Method::GET, p, _) if p.starts_with("/videos/") => self.serve(self.videos.clip(p), "video/mp4", seq),
            (m, p, _) if video::is_api(m, p) => match self.video_api(request, seq, &request_id, &origin).await {
                Ok(reply) => reply,
                Err(Dropped) => {
                    self.log(&method, &path, "dropped", &request_id, "fault: connection dropped", started);
                    return Err(Dropped);
                }
            },
            (&Method::GET, "/v1/credits/balance", _) => self.balance(&request),
            (&Method::GET, "/v1/usage", _) => self.usage(&request, &query, &request_id),
            (&Method::GET, "/v1/models", _) => self.models(&request, &request_id),
            (&Method::GET, p, _) if p.strip_prefix("/v1/models/").is_some_and(|id| !id.is_empty()) => {
                self.model(&request, &p["/v1/models/".len()..], &request_id)
            }
            (_, _, Some(route)) if budget.is_some_and(|b| !b.allowed) => {
                // Read to its end all the same (at most the cap), so that a client still
                // uploading hears the 429 rather than a connection closed under it.
                let _ = read_body(request.into_body(), MAX_REQUEST_BODY).await;
                rate_limited(&route, &request_id)
            }
            (_, _, Some(route)) => match self.api(request, route, seq, &request_id, &origin, &query).await {
                Ok(reply) => reply,
                Err(Dropped) => {
                    self.log(&method, &path, "dropped", &request_id, "fault: connection dropped", started);
                    return Err(Dropped);
                }
            },
            _ => Reply::no_such_path(),
        };
        self.log(&method, &path, reply.status.as_str(), &request_id, &reply.note, started);
        Ok(self.finish(reply, &request_id, budget))
    }

    fn log(&self, method: &Method, path: &str, status: &str, request_id: &str, note: &str, started: Instant) {
        if self.config.logs == Logs::Off {
            return;
        }
        let note = if note.is_empty() { String::new() } else { format!(" · {note}") };
        eprintln!("{method} {path} {status} · {request_id}{note} · {} ms", started.elapsed().as_millis());
    }

    /// Adds what every answer carries: the request id, and with `--rpm` the rate-limit
    /// headers of image answers. Without `--rpm` nothing is limited, so no limit is
    /// claimed: a client that trusts the headers must not be slowed by a budget that is
    /// not there.
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
        self.serve(self.store.get(id), "image/png", seq)
    }

    /// A file the emulator made, at its own link: whole, or with the download faults, or
    /// answered as an expired (403) or unknown (404) link is.
    fn serve(&self, found: Lookup, content_type: &'static str, seq: u64) -> Reply {
        match found {
            Lookup::Found(png) => {
                let faults = &self.config.faults;
                let cut = faults.cut_download(seq);
                Reply {
                    status: StatusCode::OK,
                    body: Paced::download(png, faults.download_latency, faults.slow_downloads, cut),
                    content_type,
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

    /// The key of a request (its bearer key; with `--goog-api-key` also its
    /// `x-goog-api-key`), or why it is refused: missing, or not the `--api-key`.
    fn key(&self, request: &Request<Incoming>) -> Result<String, (&'static str, &'static str)> {
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok());
        let bearer = header(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "));
        let google = header("x-goog-api-key").filter(|_| self.config.goog_api_key);
        let given = bearer.or(google).map(str::trim).filter(|k| !k.is_empty());
        match (given, &self.config.api_key) {
            (None, _) => Err(("missing_api_key", "Missing API key: send Authorization: Bearer <key>")),
            (Some(given), Some(wanted)) if given != wanted => Err(("invalid_api_key", "Invalid API key")),
            (Some(given), _) => Ok(given.to_string()),
        }
    }

    fn refused_key(&self, request: &Request<Incoming>) -> Option<(&'static str, &'static str)> {
        self.key(request).err()
    }

    /// `GET /v1/credits/balance`; its errors are a bare string, as the service's are.
    fn balance(&self, request: &Request<Incoming>) -> Reply {
        if let Some((code, _)) = self.refused_key(request) {
            let reply = Reply::json(StatusCode::UNAUTHORIZED, &json!({"error": "balance unavailable"}));
            return Reply { note: code.to_string(), ..reply };
        }
        Reply::json(StatusCode::OK, &self.account.to_json())
    }

    /// `GET /v1/usage?start_time=&end_time=` (UNIX seconds): what the emulator billed in
    /// that window. Its 401 is the gateway's flat one (aisa-api.md §18).
    fn usage(&self, request: &Request<Incoming>, query: &str, id: &str) -> Reply {
        if let Some((code, message)) = self.refused_key(request) {
            let reply =
                Reply::json(StatusCode::UNAUTHORIZED, &json!({"code": code, "error": message, "request_id": id}));
            return Reply { note: code.to_string(), ..reply };
        }
        let field = |name: &str| {
            query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
        };
        let window = (
            field("start_time").and_then(|v| v.parse::<u64>().ok()),
            field("end_time").and_then(|v| v.parse::<u64>().ok()),
        );
        match window {
            (Some(start), Some(end)) if start < end => Reply::json(StatusCode::OK, &self.account.usage(start, end)),
            _ => Errors { shape: Shape::Aisa, request_id: id }.reply(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "invalid_parameter_error",
                "start_time and end_time are required, in UNIX seconds, start_time before end_time",
            ),
        }
    }

    /// One model as OpenAI's `GET /v1/models` and `/v1/models/{id}` give it, with the
    /// routes that serve it; image or video.
    fn model_object(&self, name: &str) -> Option<Value> {
        let types = match crate::catalogue::find(name).filter(|m| m.name == name) {
            Some(model) => answers::endpoint_types(model, self.config.moved_to_images),
            None if crate::catalogue::video::MODEL_NAMES.contains(&name) => {
                answers::video_endpoint_types(name, self.config.video.gateway)
            }
            None => return None,
        };
        Some(json!({"id": name, "object": "model", "created": 1_775_000_000, "owned_by": "aisa",
                    "supported_endpoint_types": types}))
    }

    /// `GET /v1/models`: the catalogue, image and video models, as the service lists its
    /// models (no prices).
    fn models(&self, request: &Request<Incoming>, id: &str) -> Reply {
        if let Some((code, message)) = self.refused_key(request) {
            let errors = Errors { shape: Shape::Aisa, request_id: id };
            return errors.reply(StatusCode::UNAUTHORIZED, "authentication_error", code, message);
        }
        let names =
            crate::catalogue::MODELS.iter().map(|m| m.name).chain(crate::catalogue::video::MODEL_NAMES.iter().copied());
        let data: Vec<Value> = names.filter_map(|name| self.model_object(name)).collect();
        Reply::json(StatusCode::OK, &json!({"object": "list", "data": data}))
    }

    /// `GET /v1/models/{id}` (the OpenAI SDK's `models.retrieve`, `aisa models show`): the
    /// model object, or a 404 `model_not_found` in the documented error shape.
    fn model(&self, request: &Request<Incoming>, name: &str, id: &str) -> Reply {
        let errors = Errors { shape: Shape::Aisa, request_id: id };
        if let Some((code, message)) = self.refused_key(request) {
            return errors.reply(StatusCode::UNAUTHORIZED, "authentication_error", code, message);
        }
        let name = requests::percent_decode(name);
        match self.model_object(&name) {
            Some(model) => Reply::json(StatusCode::OK, &model),
            None => errors.reply(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                &format!("The model {} does not exist", name.chars().take(200).collect::<String>()),
            ),
        }
    }

    /// The fault, if any, this request meets (`--error-429`, `--error-5xx`, `--drop`).
    fn fault(&self, seq: u64, errors: &Errors) -> Option<Result<Reply, Dropped>> {
        let faults = &self.config.faults;
        let reply = match faults.api(seq) {
            ApiFault::Drop => return Some(Err(Dropped)),
            ApiFault::TooManyRequests => {
                let mut reply = errors.reply(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "rate_limit_exceeded",
                    "Rate limit exceeded; retry after the time in Retry-After",
                );
                reply.extra.push(("retry-after", faults.retry_after.to_string()));
                reply.note = "fault: 429".into();
                reply
            }
            ApiFault::ServerError(status) => {
                let (status, code) = match status {
                    503 => (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable"),
                    _ => (StatusCode::INTERNAL_SERVER_ERROR, "upstream_error"),
                };
                let mut reply = errors.reply(status, "upstream_error", code, "The upstream provider failed");
                reply.note = format!("fault: {}", status.as_u16());
                reply
            }
            ApiFault::None => return None,
        };
        Some(Ok(reply))
    }

    /// The video task routes: the key, the faults and the body cap as for images, then
    /// the task store (src/emulator/video.rs). A create's `Idempotency-Key` is played as
    /// on the image routes; the emulator bills no video, so no price is capped or quoted.
    async fn video_api(&self, request: Request<Incoming>, seq: u64, id: &str, origin: &str) -> Result<Reply, Dropped> {
        let errors = Errors { shape: Shape::Aisa, request_id: id };
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let dashscope_async = request.headers().get("x-dashscope-async").is_some_and(|v| v.as_bytes() == b"enable");
        let asked = Asked::from(request.headers());
        let faults = &self.config.faults;
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        let key = match self.key(&request) {
            Ok(key) => key,
            Err((code, message)) => {
                return Ok(errors.reply(StatusCode::UNAUTHORIZED, "authentication_error", code, message));
            }
        };
        let body = match read_body(request.into_body(), MAX_REQUEST_BODY).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                let message = format!("The request body is over the limit of {} MiB", MAX_REQUEST_BODY >> 20);
                return Ok(errors.reply(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_request_error",
                    "request_too_large",
                    &message,
                ));
            }
            Err(BodyError::Broken) => return Err(Dropped),
        };
        if let Some(faulted) = self.fault(seq, &errors) {
            return faulted;
        }
        let claim = match method {
            Method::POST => match self.keys.claim(&key, asked.idempotency_key.as_deref()) {
                Ok(claim) => Some(claim),
                Err(conflict) => return Ok(conflicted(conflict, id)),
            },
            _ => None,
        };
        let call = video::Call {
            method: &method,
            path: &path,
            body: &body,
            key: &key,
            dashscope_async,
            request_id: id,
            origin,
        };
        Ok(match self.videos.answer(call).await {
            video::Answer::NotFound => Reply::no_such_path(),
            video::Answer::Json { status, body, retry_after, note } => {
                if let Some(claim) = claim.filter(|_| status.is_success()) {
                    claim.complete();
                }
                let mut reply = Reply::json(status, &body);
                reply.note = note;
                if let Some(secs) = retry_after {
                    reply.extra.push(("retry-after", secs.to_string()));
                }
                reply
            }
        })
    }

    /// A paid POST on an image route: the key, then the request itself, counted in the
    /// usage as billed or failed (a quote is neither).
    async fn api(
        &self,
        request: Request<Incoming>,
        route: Route,
        seq: u64,
        id: &str,
        origin: &str,
        query: &str,
    ) -> Result<Reply, Dropped> {
        let errors = Errors { shape: if route.is_gemini() { Shape::Google } else { Shape::Aisa }, request_id: id };
        let faults = &self.config.faults;
        if !faults.latency.is_zero() {
            tokio::time::sleep(faults.latency).await;
        }
        // The key is checked from the headers alone, before a byte of the body is read:
        // a stranger must not make the emulator take in (and hold) what it sends.
        let key = match self.key(&request) {
            Ok(key) => key,
            Err((code, message)) => {
                return Ok(errors.reply(StatusCode::UNAUTHORIZED, "authentication_error", code, message));
            }
        };
        let (reply, billed) = self.paid(request, route, seq, &errors, origin, query, &key).await?;
        match billed {
            Billed::Charged(micros) => self.account.record(Some(micros)),
            Billed::Failed => self.account.record(None),
            Billed::NotCounted => {}
        }
        Ok(reply)
    }

    /// A paid request whose key was taken: its body, the faults, the request as the
    /// route reads it, then the billing controls (a quote, a repeated `Idempotency-Key`,
    /// the price cap), the balance, and the pictures.
    #[allow(clippy::too_many_arguments)]
    async fn paid(
        &self,
        request: Request<Incoming>,
        route: Route,
        seq: u64,
        errors: &Errors<'_>,
        origin: &str,
        query: &str,
        key: &str,
    ) -> Result<(Reply, Billed), Dropped> {
        let failed = |reply: Reply| Ok((reply, Billed::Failed));
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(String::from);
        let asked = Asked::from(request.headers());
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let too_large = || {
            let message = format!("The request body is over the limit of {} MiB", MAX_REQUEST_BODY >> 20);
            errors.reply(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", "request_too_large", &message)
        };
        // A declared length over the cap is refused unread; a body without one (or one
        // that lies) is cut off at the cap while it streams.
        if declared.is_some_and(|len| len > MAX_REQUEST_BODY as u64) {
            return failed(too_large());
        }
        let body = match read_body(request.into_body(), MAX_REQUEST_BODY).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => return failed(too_large()),
            Err(BodyError::Broken) => return Err(Dropped),
        };
        if let Some(faulted) = self.fault(seq, errors) {
            return faulted.map(|reply| (reply, Billed::Failed));
        }
        let cx = Context { moved: self.config.moved_to_images, default_size: self.config.size, errors: *errors };
        let mut job = match requests::read(route, &body, content_type.as_deref(), &cx) {
            Ok(job) => job,
            Err(reply) => return failed(*reply),
        };
        if self.config.bill_per_request
            && job.family == Family::Wan
            && let Price::PerImage(price) = job.price
        {
            job.price = Price::PerRequest(price);
        }
        let cost = billing::charge(job.price, job.n);
        if asked.quote {
            let mut reply = Reply::json(StatusCode::OK, &billing::quote(job.price, job.n));
            reply.note = format!("quote · model {} · n {} · {cost} micro-USD", job.model, job.n);
            return Ok((reply, Billed::NotCounted));
        }
        let claim = match self.keys.claim(key, asked.idempotency_key.as_deref()) {
            Ok(claim) => claim,
            Err(conflict) => return failed(conflicted(conflict, errors.request_id)),
        };
        match asked.max_price {
            Some(Err(text)) => {
                let message = format!("X-AISA-Max-Price-USD {text:?} is not an amount in US dollars");
                return failed(*errors.bad_request("invalid_parameter_error", &message));
            }
            Some(Ok(cap)) if cost > cap => {
                let mut reply =
                    Reply::json(StatusCode::PAYMENT_REQUIRED, &billing::over_cap(cost, cap, errors.request_id));
                reply.note = "estimated_price_exceeds_max_price".into();
                return failed(reply);
            }
            _ => {}
        }
        let cost = if self.config.free { 0 } else { cost };
        if !self.account.charge(cost) {
            return failed(errors.reply(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "quota_exceeded",
                "The balance cannot pay for this request; top up the wallet",
            ));
        }
        let events = query.split('&').any(|pair| pair == "alt=sse");
        let mut reply = self.make(job, seq, origin, events).await;
        claim.complete();
        reply.extra.push(("x-aisa-customer-cost-micros-usd", cost.to_string()));
        Ok((reply, Billed::Charged(cost)))
    }

    /// Draws (or finds) the pictures and answers in the family's form.
    /// `events`: a Gemini stream as server-sent events (`alt=sse`), not a JSON array.
    async fn make(&self, mut job: Job, seq: u64, origin: &str, events: bool) -> Reply {
        let indices = self.pictures.take(&job.prompt, job.n);
        let (pictures, prompt, size, reference) =
            (Arc::clone(&self.pictures), job.prompt.clone(), job.size, job.reference.take());
        let drawn = tokio::task::spawn_blocking(move || {
            indices
                .into_iter()
                .map(|index| {
                    let edited = reference.as_deref().and_then(|r| draw::edited(r, &prompt, index, size.0, size.1));
                    match edited {
                        Some(png) => (Bytes::from(png), false),
                        None => pictures.picture(&prompt, index, size),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .expect("drawing does not panic");
        let cached = drawn.iter().filter(|(_, cached)| *cached).count();
        let delivery = answers::delivery(job.family, self.config.base64);
        let images: Vec<String> = drawn
            .into_iter()
            .enumerate()
            .map(|(i, (png, _))| match delivery {
                Delivery::Base64 => STANDARD.encode(&png),
                Delivery::Url => {
                    let name = format!("{:016x}{i:02}", mix(seq ^ 0x5eed));
                    self.store.put(name.clone(), png);
                    format!("{origin}/images/{}/{name}.png", answers::url_folder(job.family))
                }
            })
            .collect();
        let id = answers::answer_id((mix(self.nonce.0 ^ seq), mix(self.nonce.1 ^ seq.rotate_left(32))));
        let answer = answers::body(&job, &images, delivery, &id, answers::now_secs());
        let snake = job.route.is_gemini() && self.config.gemini_snake_case;
        let mut reply = if job.stream {
            // Chat streams only as events; Gemini as events with `alt=sse`, else as an array.
            let events = events || !job.route.is_gemini();
            let text = answers::stream(&job, &answer, events);
            let text = if snake { snake_stream(&text, events) } else { text };
            let content_type = if events { "text/event-stream" } else { "application/json" };
            Reply {
                status: StatusCode::OK,
                body: Paced::full(text),
                content_type,
                extra: Vec::new(),
                note: String::new(),
            }
        } else if snake {
            Reply::json(StatusCode::OK, &answers::snake_case_keys(answer))
        } else {
            Reply::json(StatusCode::OK, &answer)
        };
        let streamed = if job.stream { " · streamed" } else { "" };
        let mask = job.mask.map(|(w, h)| format!(" · mask {w}x{h}")).unwrap_or_default();
        reply.note = format!(
            "model {} · n {} · {}x{} · {cached} cached{streamed}{mask}",
            job.model, job.n, job.size.0, job.size.1
        );
        reply
    }
}

/// What a paid request leaves in the usage.
#[derive(Debug, PartialEq, Eq)]
enum Billed {
    Charged(Micros),
    Failed,
    /// A quote: priced, not run.
    NotCounted,
}

/// The 409 of a repeated `Idempotency-Key`: nothing run, nothing billed.
fn conflicted(conflict: billing::Conflict, request_id: &str) -> Reply {
    let mut reply = Reply::json(StatusCode::CONFLICT, &conflict.body(request_id));
    reply.note = conflict.code().to_string();
    reply
}

/// A Gemini stream's events (or its JSON array) with every key in snake_case.
fn snake_stream(text: &str, events: bool) -> String {
    if !events {
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        return answers::snake_case_keys(value).to_string();
    }
    text.split("\r\n\r\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .map(|value| format!("data: {}\r\n\r\n", answers::snake_case_keys(value)))
        .collect()
}

/// 64 bits that differ run by run (the standard library's random hasher keys).
fn random_bits() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
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

/// The 429 of a request over the `--rpm` budget, in its route's shape; the limiter's
/// headers say when to come back.
fn rate_limited(route: &Route, request_id: &str) -> Reply {
    let errors = Errors { shape: if route.is_gemini() { Shape::Google } else { Shape::Aisa }, request_id };
    let mut reply = errors.reply(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limit_error",
        "rate_limit_exceeded",
        "Rate limit exceeded: too many requests a minute for this key; retry after the time in Retry-After",
    );
    reply.note = "over --rpm".into();
    reply
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
        use crate::catalogue::{MODELS, Routes};
        for model in MODELS {
            let references = model.max_references * crate::files::reference::MAX_BYTES as usize;
            // The images route uploads files as they are; the others carry base64 in JSON.
            let sent = if model.routes == Routes::Images { references } else { references.div_ceil(3) * 4 };
            assert!(sent + 1024 * 1024 <= MAX_REQUEST_BODY, "{}: {sent}", model.name);
        }
    }
}

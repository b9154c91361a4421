//! The AIsa API client: one shared connection pool, the key sent to the API host only,
//! each failure mapped to its exit code, and retries only where nothing can be billed twice.

pub mod account;
pub mod blobs;
pub mod classify;
pub mod pace;
pub mod request;
pub mod response;
pub mod route;

use std::fmt;
use std::io::{Cursor, Read};
use std::time::{Duration, Instant, SystemTime};

use reqwest::Url;
use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{self, HeaderMap};

use crate::catalogue::money::{self, Micros};
use crate::error::{ApiDetail, Error, Kind, Tag, root_cause};
use crate::files::reference::LocalImage;
use crate::retry::{Policy, Verdict};
use crate::term::ui::Ui;
use classify::{Failure, MAX_ERROR_BODY};
use request::Job;
use response::{ImageData, Unreadable};
use route::{Endpoint, Payload, RouteState};

pub const USER_AGENT: &str = concat!("wan/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The API key. Its `Debug` never shows it, so it cannot leak through a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks a key before anything is sent: surrounding whitespace is trimmed; what is
    /// left must be printable ASCII without spaces, as every key is. The message never
    /// shows the key.
    pub fn new(raw: &str) -> Result<Self, Error> {
        Self::checked(raw, "in AISA_API_KEY").map_err(|e| {
            e.with_hint("set AISA_API_KEY to the key from https://console.aisa.one, exactly as shown there")
        })
    }

    /// The same checks for a key from elsewhere; `origin` completes "the API key …".
    pub fn checked(raw: &str, origin: &str) -> Result<Self, Error> {
        let key = raw.trim();
        let problem = if key.is_empty() {
            Some("is empty")
        } else if key.chars().any(|c| c.is_control()) {
            Some("holds control characters (a line break?)")
        } else if !key.is_ascii() {
            Some("holds characters a key cannot hold (not ASCII: a placeholder such as sk-aisa-… copied as is?)")
        } else if key.contains(' ') {
            Some("holds a space")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::new(Kind::Auth, format!("the API key {origin} {problem}")));
        }
        crate::error::register_secret(key);
        Ok(Self(key.to_string()))
    }

    /// `request` with this key as its bearer token: for the API's host only.
    pub fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        request.bearer_auth(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(redacted)")
    }
}

/// The one HTTP client of a run, shared by API requests and image downloads so they
/// share one connection pool. It sends no credentials by itself: the key is added to
/// API requests only, and reqwest drops it if a redirect leaves the API's host.
///
/// Every client is built here, so this is where rustls gets its crypto provider: reqwest
/// is built without one (`rustls-no-provider`, see Cargo.toml) and would panic on a
/// client built before one is installed. *ring*'s is installed once for the process; a
/// later call finds it installed and goes on.
pub fn http_client() -> Result<Client, Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        // Each request sets its own: the API's is long, downloads' shorter.
        .timeout(None)
        .build()
        .map_err(|e| Error::new(Kind::Other, format!("cannot set up HTTP: {e}")))
}

/// Where and how API requests go: checked values, the same for the whole run.
#[derive(Debug)]
pub struct ApiSettings {
    /// The base URL; a trailing `/` is dropped when paths are joined to it.
    pub base: Url,
    /// Absent only for a dry run, which sends nothing.
    pub key: Option<ApiKey>,
    pub timeout: Duration,
    pub retries: u32,
    pub route: route::Route,
}

impl ApiSettings {
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base.as_str().trim_end_matches('/'))
    }

    /// `host` or `host:port` as the base URL names it, for messages.
    fn host(&self) -> String {
        match (self.base.host_str(), self.base.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => "the API".to_string(),
        }
    }
}

/// A successful answer: the images to save and what the service said about them.
#[derive(Debug)]
pub struct Answer {
    pub images: Vec<ImageData>,
    pub usage: Option<serde_json::Value>,
    pub request_id: Option<String>,
    /// `x-aisa-price-usd`, where the service reported one.
    pub reported_price: Option<Micros>,
    /// `x-aisa-customer-cost-micros-usd`: what the service says it charged (absent:
    /// unknown, not free; `0` is a real zero).
    pub charged: Option<Micros>,
    /// The service priced the request rather than running it (`--quote`).
    pub quote: Option<Quote>,
    /// The answer broke off after `images` arrived whole: why the rest are missing.
    pub cut: Option<Error>,
}

/// What the service charged for an answer, in whole micro-dollars, where it says.
pub fn charged(headers: &reqwest::header::HeaderMap) -> Option<Micros> {
    header_text(headers, "x-aisa-customer-cost-micros-usd").and_then(|text| text.trim().parse().ok())
}

/// The gateway's billing controls on a paid request: its Idempotency-Key and its price cap.
pub fn billing_headers(mut request: reqwest::blocking::RequestBuilder, job: &Job) -> reqwest::blocking::RequestBuilder {
    if let Some(key) = job.idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(cap) = job.max_price {
        request = request.header("X-AISA-Max-Price-USD", money::decimal_usd(cap));
    }
    if job.quote {
        request = request.header("X-AISA-Cost-Mode", "quote");
    }
    request
}

/// The service's price of a request asked for with `X-AISA-Cost-Mode: quote`, not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub estimated: Micros,
    /// `exact`, `estimate` or `upper_bound`, as the service words it.
    pub kind: String,
    /// The service may charge more than its estimate.
    pub may_exceed: bool,
}

/// A quote's answer is small: a body longer than this is a real answer, read as one.
const MAX_QUOTE_BODY: u64 = 64 * 1024;

/// `{"object":"cost_estimate", "estimated_cost_micros_usd", "estimate_kind", "may_exceed_estimate"}`.
fn read_quote(body: &[u8]) -> Option<Quote> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if value.get("object")?.as_str()? != "cost_estimate" {
        return None;
    }
    Some(Quote {
        estimated: value.get("estimated_cost_micros_usd")?.as_u64()?,
        kind: crate::error::sanitize(value.get("estimate_kind").and_then(|k| k.as_str()).unwrap_or("estimate")),
        may_exceed: value.get("may_exceed_estimate").and_then(serde_json::Value::as_bool).unwrap_or(true),
    })
}

pub struct Api<'a> {
    pub http: &'a Client,
    pub settings: &'a ApiSettings,
    pub routes: &'a RouteState,
    pub ui: &'a Ui,
    /// The reference images as files, for a route that uploads them.
    pub uploads: route::Uploads<'a>,
    /// Every attempt waits its turn here, and tells it what the answer said of the budget.
    pub pacer: &'a crate::api::pace::Pacer,
    /// The next attempt's turn was taken already, by [`Api::take_turn`].
    pub turn_taken: std::sync::atomic::AtomicBool,
    /// Where base64 images are decoded as the answer streams in.
    pub out: &'a crate::files::output::OutputDir,
    /// What they are labelled with as they are written (none with `--no-metadata`).
    pub label: Option<&'a crate::files::label::RunLabel>,
}

impl Api<'_> {
    /// Waits for the first attempt's turn now, so that a caller can record the request as
    /// sent only once nothing but the send is left: a run interrupted while it waits for
    /// the rate limit has sent nothing, and its journal must not say otherwise.
    pub fn take_turn(&self) {
        self.pacer.wait_turn();
        self.turn_taken.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sends one job on the run's route. With `--route auto`, an answer saying the model
    /// moved sends the same job once to the other route, and the rest of the run goes
    /// there directly; the rejected request is neither billed nor a retry. On the Gemini
    /// route, a `/models/…` path that does not exist sends it once to `/v1beta/models/…`,
    /// and the rest of the run (and the next runs) go there.
    pub fn generate(&self, job: &Job) -> Result<Answer, Error> {
        let endpoint = self.routes.first();
        match self.send(endpoint, job) {
            Err(failure) if failure.path_missing && endpoint == Endpoint::Gemini => {
                let next = Endpoint::GeminiBeta;
                if self.routes.mark_beta() {
                    let (from, to) =
                        (endpoint.adapter().url(self.settings, job), next.adapter().url(self.settings, job));
                    self.ui.warn(&format!(
                        "{from} does not exist here (HTTP 404); sending to {to}, where the service's current \
                         docs (https://aisa.one/docs) put it"
                    ));
                }
                self.send(next, job).map_err(|failure| failure.error)
            }
            Err(failure) if failure.path_missing && endpoint == Endpoint::GeminiBeta => {
                // `/v1beta` remembered from an earlier run is not there (any more): the
                // first path once more, and the memory dropped.
                let Some((next, first)) = self.routes.forget_remembered(endpoint) else { return Err(failure.error) };
                if first {
                    let (from, to) =
                        (endpoint.adapter().url(self.settings, job), next.adapter().url(self.settings, job));
                    self.ui.warn(&format!("{from} does not exist here (HTTP 404); trying {to} again"));
                }
                self.send(next, job).map_err(|failure| failure.error)
            }
            Err(failure) if failure.route_moved => {
                let Some(next) = self.routes.fallback(endpoint) else { return Err(failure.error) };
                if self.routes.mark_moved() {
                    let url = self.settings.url(&next.adapter().path(job));
                    self.ui.warn(&format!(
                        "the service serves {} on {url} now, not /chat/completions; sending there",
                        job.model
                    ));
                }
                self.send(next, job).map_err(|failure| failure.error)
            }
            Err(failure) if refuses_the_route(&failure.error) => match self.routes.forget_remembered(endpoint) {
                Some((next, first)) => {
                    if first {
                        let url = self.settings.url(&next.adapter().path(job));
                        self.ui.warn(&format!("the images route refused {}; trying {url} again", job.model));
                    }
                    self.send(next, job).map_err(|failure| failure.error)
                }
                None => Err(failure.error),
            },
            result => result.map_err(|failure| failure.error),
        }
    }

    /// Sends to one endpoint, retrying only what the service said it did not carry out.
    fn send(&self, endpoint: Endpoint, job: &Job) -> Result<Answer, Failure> {
        let adapter = endpoint.adapter();
        let payload = adapter.payload(job, self.uploads)?;
        let url = adapter.url(self.settings, job);
        let retries = self.settings.retries;
        crate::retry::retrying(
            Policy::api(retries),
            || self.attempt(endpoint, &url, &payload, job),
            |failure, wait, taken| {
                if wait > crate::retry::MAX_WAIT {
                    return Err(too_long_to_wait(failure.error, wait).into());
                }
                let secs = wait.as_secs_f64();
                self.ui.note(&format!("{}; retrying in {secs:.1} s ({taken} of {retries})", failure.error));
                Ok(())
            },
        )
    }

    fn attempt(&self, endpoint: Endpoint, url: &str, payload: &Payload, job: &Job) -> Result<Answer, Verdict<Failure>> {
        let mut request = self.http.post(url).header(header::ACCEPT, "application/json").timeout(self.settings.timeout);
        if let Some(ApiKey(key)) = &self.settings.key {
            request = request.bearer_auth(key);
        }
        request = billing_headers(request, job);
        let request = attach(payload, request)?;
        // Built first: a request that cannot be built must not take a turn it never uses.
        if !self.turn_taken.swap(false, std::sync::atomic::Ordering::Relaxed) {
            self.pacer.wait_turn();
        }
        let key = job.idempotency_key.map(|key| format!(" · idempotency key {key}")).unwrap_or_default();
        self.ui.verbose(&format!(
            "→ POST {url} · model {} · n {} · {} bytes{key}",
            job.model,
            job.n,
            payload_len(payload)
        ));
        let started = Instant::now();
        let _in_flight = crate::interrupt::request_in_flight();
        let response = request.send().map_err(|e| {
            self.pacer.no_answer();
            self.transport_failure(&e)
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.pacer.observe(status, &headers);
        let header_id = header_text(&headers, "x-request-id");
        let log_answer = |bytes: u64| {
            self.ui.verbose(&format!(
                "← HTTP {status} · request id {} · {bytes} bytes · {:.2} s",
                header_id.as_deref().unwrap_or("none"),
                started.elapsed().as_secs_f64()
            ));
        };
        if !(200..300).contains(&status) {
            let mut body = Vec::new();
            response.take(MAX_ERROR_BODY).read_to_end(&mut body).map_err(|e| Verdict::Fail(self.body_lost(&e)))?;
            log_answer(body.len() as u64);
            return Err(self.hint_base_url(classify::status_failure(status, &headers, &body, job.model)));
        }
        // A quote's answer is read whole (it is small); anything longer is the real
        // answer of a service that ignored the header, read as any answer is.
        let mut head = Vec::new();
        let response: Box<dyn Read> = if job.quote {
            let mut response = response;
            response
                .by_ref()
                .take(MAX_QUOTE_BODY + 1)
                .read_to_end(&mut head)
                .map_err(|e| Verdict::Fail(self.body_lost(&e)))?;
            if let Some(quote) = read_quote(&head) {
                log_answer(head.len() as u64);
                let request_id = header_id.clone();
                return Ok(Answer {
                    images: Vec::new(),
                    usage: None,
                    request_id,
                    reported_price: None,
                    charged: None,
                    quote: Some(quote),
                    cut: None,
                });
            }
            Box::new(std::io::Cursor::new(head).chain(response))
        } else {
            Box::new(response)
        };
        let mut body = Counted::new(response, max_answer_bytes(job.n));
        let mut blobs = blobs::Blobs::new(&mut body, self.out, self.label.map(|label| label.for_prompt(job.prompt)));
        let read = endpoint.adapter().read(&mut blobs).map(|images| swap_streamed(images, &mut blobs));
        // Cut short, the answer still gives up what arrived whole: paid for, and saved.
        let salvaged = match &read {
            Err(Unreadable::Lost(_) | Unreadable::Cut) => blobs.salvage().into_iter().filter_map(salvaged).collect(),
            _ => Vec::new(),
        };
        drop(blobs);
        log_answer(body.bytes);
        let malformed = |what: String| -> Verdict<Failure> {
            let detail = ApiDetail { status: Some(status), request_id: header_id.clone(), ..ApiDetail::default() };
            Error::new(Kind::Other, format!("the API's answer is not what it documents: {what}"))
                .with_api(detail)
                .into()
        };
        let (images, cut) = match read {
            Ok(images) => (images, None),
            Err(_) if body.over_cap => {
                return Err(malformed(format!("it is larger than {} MB", body.cap >> 20)));
            }
            Err(Unreadable::Lost(_) | Unreadable::Cut) if !salvaged.is_empty() => {
                let whole = salvaged.len();
                // Every image asked for arrived whole: only the answer's tail is missing.
                let cut = (whole < job.n as usize).then(|| self.cut_short(whole, job.n, header_id.clone()));
                if cut.is_none() {
                    self.ui.warn(&format!("warning: the answer broke off after its {whole} images arrived whole"));
                }
                (response::Images { images: salvaged, usage: None, request_id: None }, cut)
            }
            Err(Unreadable::Lost(e)) => return Err(Verdict::Fail(self.body_lost(&e))),
            Err(Unreadable::Cut) => {
                let cut = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the body ended before its JSON did");
                return Err(Verdict::Fail(self.body_lost(&cut)));
            }
            Err(Unreadable::Malformed(what)) if what.is_empty() => return Err(malformed(body.not_json())),
            Err(Unreadable::Malformed(what)) => return Err(malformed(what)),
            Err(Unreadable::Refused(text)) => {
                // The model's own words go where the API's message would, so they are
                // cleaned and cut like any text from the server.
                let detail = ApiDetail { message: Some(text), request_id: header_id.clone(), ..ApiDetail::default() };
                return Err(Error::new(Kind::Rejected, format!("{} answered with text and no image", job.model))
                    .with_api(detail)
                    .with_hint("the model refused or misread the prompt; rephrase it, or ask for a picture plainly")
                    .into());
            }
        };
        Ok(Answer {
            images: images.images,
            usage: images.usage,
            request_id: images.request_id.map(|id| crate::error::redact(&id)).or(header_id),
            reported_price: header_text(&headers, "x-aisa-price-usd").and_then(|p| money::parse_usd(&p)),
            charged: charged(&headers),
            quote: None,
            cut,
        })
    }

    /// An answer that broke off after `whole` images arrived whole, of up to `asked`: those
    /// are saved; the rest may have been made and billed, and are not asked for again.
    fn cut_short(&self, whole: usize, asked: u32, request_id: Option<String>) -> Error {
        let host = self.settings.host();
        let detail = ApiDetail { request_id, ..ApiDetail::default() };
        Error::new(
            Kind::Partial,
            format!(
                "the answer from {host} broke off after {whole} whole image{} of up to {asked}; the rest may have \
                 been made and billed",
                crate::term::text::plural(whole as u64)
            ),
        )
        .with_api(detail)
        .with_hint("not sent again, to avoid paying twice; check your usage in the AIsa console")
        .tagged(Tag::MaybeBilled)
    }

    /// A bare 404 from a base URL that does not end in `/v1` most likely means the path
    /// is wrong, not the request: say so.
    fn hint_base_url(&self, mut verdict: Verdict<Failure>) -> Verdict<Failure> {
        if let Verdict::Fail(failure) = &mut verdict {
            let error = &mut failure.error;
            let bare_404 = error.api.status == Some(404) && error.api.code.is_none() && error.hint.is_none();
            if bare_404 && !self.settings.base.path().trim_end_matches('/').ends_with("/v1") {
                error.hint = Some(format!(
                    "the base URL {} does not end in /v1, as the API's usually does (https://api.aisa.one/v1)",
                    self.settings.base
                ));
            }
        }
        verdict
    }

    /// The answer's body broke off: the request was carried out, so it is not retried.
    fn body_lost(&self, err: &std::io::Error) -> Failure {
        let host = self.settings.host();
        Error::new(
            Kind::Service,
            format!(
                "the connection to {host} was lost while the answer arrived ({}); the images may have been made and billed",
                root_cause(err)
            ),
        )
        .with_hint("not retried, to avoid paying twice; check your usage in the AIsa console before trying again")
        .tagged(Tag::MaybeBilled)
        .into()
    }

    /// A request that got no HTTP answer. Only a connection that was never made is
    /// safe to retry: after the request went out, the images may have been made.
    fn transport_failure(&self, err: &reqwest::Error) -> Verdict<Failure> {
        let host = self.settings.host();
        if err.is_connect() {
            let error = Error::new(Kind::Service, format!("could not connect to {host}: {}", root_cause(err)));
            return Verdict::Retry { error: error.into(), server_delay: None };
        }
        let what = if err.is_timeout() {
            format!("no answer from {host} within {} s", self.settings.timeout.as_secs())
        } else {
            format!("the connection to {host} was lost after the request was sent ({})", root_cause(err))
        };
        Error::new(Kind::Service, format!("{what}; the images may have been made and billed"))
            .with_hint("not retried, to avoid paying twice; check your usage in the AIsa console before trying again")
            .tagged(Tag::MaybeBilled)
            .into()
    }
}

/// The images the answer's reader took out to files, in the places their placeholders
/// held; a placeholder it did not write is no image.
/// An image of an answer cut short, as the images of a whole answer are.
fn salvaged(whole: blobs::Salvaged) -> Option<ImageData> {
    match whole {
        blobs::Salvaged::Link(url) => ImageData::classify(url),
        blobs::Salvaged::Image(decoded) => Some(ImageData::Decoded(Box::new(Ok(decoded)))),
    }
}

fn swap_streamed(mut images: response::Images, blobs: &mut blobs::Blobs) -> response::Images {
    for image in &mut images.images {
        if let ImageData::Streamed { nonce, id } = *image {
            let streamed = blobs
                .take_image(nonce, id)
                .unwrap_or_else(|| Err(Error::new(Kind::Other, "an image in the answer is not valid base64")));
            *image = ImageData::Decoded(Box::new(streamed));
        }
    }
    images
}

/// A 404, or a 400 saying `model_route_not_supported`: the route does not serve the model.
fn refuses_the_route(error: &Error) -> bool {
    let moved = error.api.code == Some(crate::error::ApiCode::ModelRouteNotSupported);
    error.api.status == Some(404) || (error.api.status == Some(400) && moved)
}

fn payload_len(payload: &Payload) -> usize {
    match payload {
        Payload::Json(body) => body.len(),
        Payload::Form { fields, files, mask } => {
            fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
                + files.iter().chain(mask).map(|f| f.bytes.len()).sum::<usize>()
        }
    }
}

/// A fresh body for each attempt: a multipart form cannot be sent twice. The files'
/// bytes are shared, not copied.
fn attach(payload: &Payload, request: RequestBuilder) -> Result<RequestBuilder, Error> {
    match payload {
        Payload::Json(body) => Ok(request.header(header::CONTENT_TYPE, "application/json").body(body.clone())),
        Payload::Form { fields, files, mask } => {
            let mut form = Form::new();
            for (key, value) in fields {
                form = form.text(key.clone(), value.clone());
            }
            for (i, file) in files.iter().enumerate() {
                form = form.part("image[]", upload(file, &format!("reference-{}", i + 1))?);
            }
            if let Some(mask) = mask {
                form = form.part("mask", upload(mask, "mask")?);
            }
            Ok(request.multipart(form))
        }
    }
}

/// One file of a form, named `stem` and its format's extension; its bytes shared, not copied.
fn upload(file: &LocalImage, stem: &str) -> Result<Part, Error> {
    Part::reader_with_length(Cursor::new(file.bytes.clone()), file.bytes.len() as u64)
        .file_name(format!("{stem}.{}", file.format.extension()))
        .mime_str(file.format.mime())
        .map_err(|e| Error::new(Kind::Other, format!("cannot build the upload: {e}")))
}

/// The most a successful answer may be: `n` images of the largest size `wan` saves,
/// base64-encoded, and 512 MiB for the rest. What is not an image is skipped as it
/// passes, not held, so the slack costs time, not memory; past the cap the answer is
/// refused.
fn max_answer_bytes(n: u32) -> u64 {
    let per_image = crate::files::fetch::MAX_IMAGE_BYTES / 3 * 4 + (1 << 20);
    u64::from(n).saturating_mul(per_image).saturating_add(512 << 20)
}

/// A response body that counts what was read, keeps its first bytes for messages, and
/// stops at a cap.
struct Counted {
    /// The body (after what a quote's check read of it, where it read some).
    inner: Box<dyn Read>,
    bytes: u64,
    cap: u64,
    over_cap: bool,
    head: Vec<u8>,
}

impl Counted {
    fn new(inner: Box<dyn Read>, cap: u64) -> Self {
        Self { inner, bytes: 0, cap, over_cap: false, head: Vec::new() }
    }

    /// What to say of a 2xx body that is not JSON, from its first bytes.
    fn not_json(&self) -> String {
        format!("the answer is not JSON: {}", crate::error::sanitize(&String::from_utf8_lossy(&self.head)))
    }
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let keep = n.min(200usize.saturating_sub(self.head.len()));
        self.head.extend_from_slice(&buf[..keep]);
        self.bytes += n as u64;
        if self.bytes > self.cap {
            self.over_cap = true;
            return Err(std::io::Error::other("the answer is over its size limit"));
        }
        Ok(n)
    }
}

/// A header's value as text, redacted of the key: servers echo it anywhere.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| crate::error::redact(value))
}

pub fn too_long_to_wait(error: Error, wait: Duration) -> Error {
    let kind = if error.kind == Kind::Service { Kind::Service } else { Kind::RateLimited };
    let hint = match SystemTime::now().checked_add(wait).filter(|_| wait < Duration::from_secs(10 * 365 * 86_400)) {
        Some(when) => format!(
            "the service asks to wait {} s, longer than wan waits; try again after {}",
            wait.as_secs(),
            httpdate::fmt_http_date(when)
        ),
        None => "the service asks to wait longer than wan waits (an absurd Retry-After); try again later".to_string(),
    };
    Error { kind, ..error }.with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_builds_with_its_tls_provider_installed() {
        // reqwest has no provider of its own (rustls-no-provider): without ring's installed
        // first, building a client panics. Twice, as a run that builds two clients does.
        http_client().unwrap();
        http_client().unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = ApiKey::new("sk-aisa-secret").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(redacted)");
    }

    #[test]
    fn keys_are_trimmed_and_refused_when_they_cannot_be_keys() {
        assert_eq!(ApiKey::new("  sk-aisa-abc \n").unwrap(), ApiKey("sk-aisa-abc".into()));
        for bad in ["", "   ", "SECRET-…", "SECRET\rx", "SECRET\ny", "SECRET z", "SECRET\x1b[2J"] {
            let err = ApiKey::new(bad).unwrap_err();
            assert_eq!(err.kind, Kind::Auth, "{bad:?}");
            let shown = format!("{err} {}", err.hint.clone().unwrap_or_default());
            assert!(!shown.contains("SECRET"), "{shown}");
        }
    }

    #[test]
    fn answers_are_capped_by_the_images_they_may_hold() {
        assert!(max_answer_bytes(1) > crate::files::fetch::MAX_IMAGE_BYTES / 3 * 4);
        assert!(max_answer_bytes(4) < 4 * max_answer_bytes(1));
        let per_image = crate::files::fetch::MAX_IMAGE_BYTES / 3 * 4 + (1 << 20);
        assert_eq!(max_answer_bytes(u32::MAX), u64::from(u32::MAX) * per_image + (512 << 20));
    }

    #[test]
    fn an_absurd_wait_still_gives_a_message() {
        let error = too_long_to_wait(Error::new(Kind::RateLimited, "rate limited"), Duration::MAX);
        assert_eq!(error.kind, Kind::RateLimited);
        assert!(error.hint.unwrap().contains("try again later"));
    }
}

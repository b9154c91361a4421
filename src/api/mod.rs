//! The AIsa API client: one shared connection pool, the key sent to the API host only,
//! each failure mapped to its exit code, and retries only where nothing can be billed twice.

pub mod request;
pub mod response;
pub mod retry;
pub mod route;

use std::fmt;
use std::io::{BufReader, Read};

use bytes::Bytes;
use std::time::{Duration, Instant, SystemTime};

use reqwest::blocking::multipart::{Form, Part};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use serde_json::Value;

use crate::cost::{self, Micros};
use crate::error::{ApiDetail, Error, Kind};
use crate::fetch;
use crate::reference::{self, LocalImage, Reference};
use crate::ui::Ui;
use request::Job;
use response::{ErrorBody, ImageData};
use route::{Endpoint, Routes};

pub const USER_AGENT: &str = concat!("wan/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The API key. Its `Debug` never shows it, so it cannot leak through a log line.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: String) -> Self {
        Self(key)
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
pub fn http_client() -> Result<Client, Error> {
    Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        // Each request sets its own: the API's is long, downloads' shorter.
        .timeout(None)
        .build()
        .map_err(|e| Error::new(Kind::Other, format!("cannot set up HTTP: {e}")))
}

#[derive(Debug)]
pub struct ApiConfig {
    /// The base URL; a trailing `/` is dropped when paths are joined to it.
    pub base: Url,
    /// Absent only for a dry run, which sends nothing.
    pub key: Option<ApiKey>,
    pub timeout: Duration,
    pub retries: u32,
    pub routes: Routes,
}

impl ApiConfig {
    pub fn url(&self, endpoint: Endpoint, editing: bool) -> String {
        format!("{}/{}", self.base.as_str().trim_end_matches('/'), endpoint.path(editing))
    }
}

/// A successful answer: the images to save and what the service said about them.
#[derive(Clone, Debug)]
pub struct Answer {
    pub images: Vec<ImageData>,
    pub usage: Option<Value>,
    pub request_id: Option<String>,
    /// `x-aisa-price-usd`, where the service reported one.
    pub reported_price: Option<Micros>,
}

/// A failed attempt, whether sending it again is safe, and whether the service said
/// the model has moved to the images route.
struct Failed {
    error: Error,
    retryable: bool,
    server_delay: Option<Duration>,
    route_moved: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Self { error, retryable: false, server_delay: None, route_moved: false }
    }
}

/// What one request sends: JSON, or the images route's multipart form for `edit`.
enum Payload<'a> {
    /// Shared, so a retry does not copy a body that may carry megabytes of data URIs.
    Json(Bytes),
    Form {
        fields: Vec<(String, String)>,
        files: &'a [LocalImage],
    },
}

impl Payload<'_> {
    fn len(&self) -> usize {
        match self {
            Self::Json(body) => body.len(),
            Self::Form { fields, files } => {
                fields.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
                    + files.iter().map(|f| f.bytes.len()).sum::<usize>()
            }
        }
    }

    /// A fresh body for each attempt: a multipart form cannot be sent twice.
    fn attach(&self, request: RequestBuilder) -> Result<RequestBuilder, Error> {
        match self {
            Self::Json(body) => Ok(request.header(header::CONTENT_TYPE, "application/json").body(body.clone())),
            Self::Form { fields, files } => {
                let mut form = Form::new();
                for (key, value) in fields {
                    form = form.text(key.clone(), value.clone());
                }
                for (i, file) in files.iter().enumerate() {
                    let part = Part::bytes(file.bytes.clone())
                        .file_name(format!("reference-{}.{}", i + 1, file.format.extension()))
                        .mime_str(file.format.mime())
                        .map_err(|e| Error::new(Kind::Other, format!("cannot build the upload: {e}")))?;
                    form = form.part("image[]", part);
                }
                Ok(request.multipart(form))
            }
        }
    }
}

pub struct Api<'a> {
    http: &'a Client,
    config: &'a ApiConfig,
    ui: &'a Ui,
}

impl<'a> Api<'a> {
    pub fn new(http: &'a Client, config: &'a ApiConfig, ui: &'a Ui) -> Self {
        Self { http, config, ui }
    }

    /// Sends one job on the run's route. With `--route auto`, a chat answer saying the
    /// model moved sends the same job once to the images route, and the rest of the run
    /// goes there directly; the rejected request is neither billed nor a retry.
    pub fn generate(&self, job: &Job) -> Result<Answer, Error> {
        let routes = &self.config.routes;
        let endpoint = routes.first();
        match self.send(endpoint, job) {
            Err(failed) if endpoint == Endpoint::Chat && failed.route_moved && routes.may_fall_back() => {
                if routes.mark_moved() {
                    self.ui.warn(&format!(
                        "the service serves {} on {} now, not /chat/completions; sending there",
                        job.model,
                        self.config.url(Endpoint::Images, !job.references.is_empty())
                    ));
                }
                self.send(Endpoint::Images, job).map_err(|failed| failed.error)
            }
            result => result.map_err(|failed| failed.error),
        }
    }

    /// Sends to one endpoint, retrying only what cannot have been carried out.
    fn send(&self, endpoint: Endpoint, job: &Job) -> Result<Answer, Failed> {
        let payload = self.payload(endpoint, job)?;
        let url = self.config.url(endpoint, !job.references.is_empty());
        let mut retries_taken = 0;
        loop {
            let failed = match self.attempt(endpoint, &url, &payload, job) {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            if !failed.retryable || retries_taken >= self.config.retries {
                return Err(failed);
            }
            let wait = failed.server_delay.unwrap_or_else(|| retry::backoff(retries_taken, retry::jitter()));
            if wait > retry::MAX_WAIT {
                return Err(too_long_to_wait(failed.error, wait).into());
            }
            retries_taken += 1;
            self.ui.note(&format!(
                "{}; retrying in {:.1} s ({retries_taken} of {})",
                failed.error,
                wait.as_secs_f64(),
                self.config.retries
            ));
            std::thread::sleep(wait);
        }
    }

    fn payload(&self, endpoint: Endpoint, job: &Job) -> Result<Payload<'a>, Error> {
        let json = |body: Value| Payload::Json(serde_json::to_vec(&body).expect("JSON always serialises").into());
        Ok(match endpoint {
            Endpoint::Chat => json(request::chat_body(job)),
            Endpoint::Images if job.references.is_empty() => json(request::images_body(job)),
            Endpoint::Images => Payload::Form {
                fields: request::edit_form_fields(job),
                files: self.config.routes.uploads(|| self.upload_files(job.references))?,
            },
        })
    }

    /// The references as files: local ones as read, URL ones downloaded and checked
    /// against the same limits.
    fn upload_files(&self, references: &[Reference]) -> Result<Vec<LocalImage>, Error> {
        references
            .iter()
            .map(|reference| match reference {
                Reference::Local(image) => Ok(image.clone()),
                Reference::Url(url) => {
                    let bytes = fetch::reference(self.http, url)?;
                    reference::check(url, bytes)
                }
            })
            .collect()
    }

    fn attempt(&self, endpoint: Endpoint, url: &str, payload: &Payload, job: &Job) -> Result<Answer, Failed> {
        self.ui.verbose(&format!("→ POST {url} · model {} · n {} · {} bytes", job.model, job.n, payload.len()));
        let started = Instant::now();
        let _in_flight = crate::interrupt::request_in_flight();
        let mut request = self.http.post(url).header(header::ACCEPT, "application/json").timeout(self.config.timeout);
        if let Some(ApiKey(key)) = &self.config.key {
            request = request.bearer_auth(key);
        }
        let response = payload.attach(request)?.send().map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let header_id = header_text(&headers, "x-request-id");
        let log_answer = |bytes: u64| {
            self.ui.verbose(&format!(
                "← HTTP {} · request id {} · {bytes} bytes · {:.2} s",
                status.as_u16(),
                header_id.as_deref().unwrap_or("none"),
                started.elapsed().as_secs_f64()
            ));
        };
        if !status.is_success() {
            let bytes = response.bytes().map_err(|e| self.transport_failure(&e))?;
            log_answer(bytes.len() as u64);
            return Err(status_failure(status, &headers, &bytes, header_id));
        }
        // Parsed as it streams in: a base64 answer of many megabytes is never held twice.
        let mut body = Counted { inner: response, bytes: 0, head: Vec::new() };
        let parsed = serde_json::from_reader::<_, Value>(BufReader::with_capacity(1 << 16, &mut body));
        log_answer(body.bytes);
        let malformed =
            |what: String| {
                Error::new(Kind::Other, format!("the API's answer is not what it documents: {what}")).with_api(
                    ApiDetail { status: Some(status.as_u16()), request_id: header_id.clone(), ..Default::default() },
                )
            };
        let root = match parsed {
            Ok(root) => root,
            Err(e) if e.is_io() => return Err(self.body_lost(&e)),
            Err(_) => return Err(malformed(response::not_json(&body.head)).into()),
        };
        let images = match endpoint {
            Endpoint::Chat => response::parse_chat(root),
            Endpoint::Images => response::parse_images(root),
        }
        .map_err(malformed)?;
        Ok(Answer {
            images: images.images,
            usage: images.usage,
            request_id: images.request_id.or(header_id),
            reported_price: header_text(&headers, "x-aisa-price-usd").and_then(|p| cost::parse_usd(&p)),
        })
    }

    /// The answer's body broke off: the request was carried out, so it is not retried.
    fn body_lost(&self, err: &serde_json::Error) -> Failed {
        let host = self.config.base.host_str().unwrap_or("the API");
        Error::new(
            Kind::Service,
            format!("the connection to {host} was lost while the answer arrived ({err}); the images may have been made and billed"),
        )
        .with_hint("not retried, to avoid paying twice; check your usage in the AIsa console before trying again")
        .into()
    }

    /// A request that got no HTTP answer. Only a connection that was never made is
    /// safe to retry: after the request went out, the images may have been made.
    fn transport_failure(&self, err: &reqwest::Error) -> Failed {
        let host = self.config.base.host_str().unwrap_or("the API");
        if err.is_connect() {
            return Failed {
                error: Error::new(Kind::Service, format!("could not connect to {host}: {}", root_cause(err))),
                retryable: true,
                server_delay: None,
                route_moved: false,
            };
        }
        let what = if err.is_timeout() {
            format!("no answer from {host} within {} s", self.config.timeout.as_secs())
        } else {
            format!("the connection to {host} was lost after the request was sent ({})", root_cause(err))
        };
        Error::new(Kind::Service, format!("{what}; the images may have been made and billed"))
            .with_hint("not retried, to avoid paying twice; check your usage in the AIsa console before trying again")
            .into()
    }
}

/// A response body that counts what was read and keeps its first bytes for messages.
struct Counted {
    inner: Response,
    bytes: u64,
    head: Vec<u8>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let keep = n.min(200usize.saturating_sub(self.head.len()));
        self.head.extend_from_slice(&buf[..keep]);
        self.bytes += n as u64;
        Ok(n)
    }
}

pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The innermost cause of a transport error, which says what actually happened.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// An HTTP error answer, mapped to its exit code and marked retryable or not.
fn status_failure(status: StatusCode, headers: &HeaderMap, body: &[u8], header_id: Option<String>) -> Failed {
    let parsed: ErrorBody = response::parse_error(body);
    let code = parsed.code.clone();
    let status = status.as_u16();
    let (kind, what, hint) = classify(status, code.as_deref());
    let detail =
        ApiDetail { status: Some(status), code, message: parsed.message, request_id: parsed.request_id.or(header_id) };
    let retryable = retry::is_retryable(status, detail.code.as_deref());
    let mut error = Error::new(kind, what).with_api(detail);
    if let Some(hint) = hint {
        error = error.with_hint(hint);
    }
    let server_delay = retry::server_delay(
        header_text(headers, "retry-after-ms").as_deref(),
        header_text(headers, "retry-after").as_deref(),
        SystemTime::now(),
    );
    let route_moved = route::says_moved(status, error.api.code.as_deref(), body);
    Failed { error, retryable, server_delay, route_moved }
}

fn classify(status: u16, code: Option<&str>) -> (Kind, &'static str, Option<&'static str>) {
    match (status, code) {
        (_, Some("model_route_not_supported")) => (
            Kind::Rejected,
            "the API serves this model on another route",
            Some("use --route auto (the default) or --route images"),
        ),
        (_, Some("model_not_found")) => (
            Kind::Rejected,
            "the API does not serve this model to your workspace",
            Some("ask AIsa support to provision the Wan models, quoting the request id"),
        ),
        (_, Some("quota_exceeded")) => (
            Kind::RateLimited,
            "the key's spending cap is reached",
            Some("raise the key's quota or top up the wallet at https://console.aisa.one"),
        ),
        (401 | 403, _) => (
            Kind::Auth,
            "the API refused the key",
            Some("check AISA_API_KEY; keys start with sk-aisa- and are made at https://console.aisa.one"),
        ),
        (429, _) => (Kind::RateLimited, "rate limited by the API", Some("wait a little, or lower --jobs")),
        (408 | 500..=599, _) => (Kind::Service, "the service failed", None),
        (400..=499, _) => (Kind::Rejected, "the API rejected the request", None),
        _ => (Kind::Other, "unexpected answer from the API", None),
    }
}

fn too_long_to_wait(error: Error, wait: Duration) -> Error {
    let secs = wait.as_secs();
    let when = httpdate::fmt_http_date(SystemTime::now() + wait);
    let kind = if error.kind == Kind::Service { Kind::Service } else { Kind::RateLimited };
    Error { kind, ..error }
        .with_hint(format!("the service asks to wait {secs} s, longer than wan waits; try again after {when}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let key = ApiKey::new("sk-aisa-secret".into());
        assert_eq!(format!("{key:?}"), "ApiKey(redacted)");
    }

    #[test]
    fn statuses_map_to_the_contract_exit_codes() {
        let kind = |status, code| classify(status, code).0.exit_code();
        assert_eq!(kind(401, None), 3);
        assert_eq!(kind(403, Some("region_blocked")), 3);
        assert_eq!(kind(400, Some("invalid_parameter_error")), 4);
        assert_eq!(kind(404, None), 4);
        assert_eq!(kind(422, None), 4);
        assert_eq!(kind(500, Some("model_not_found")), 4);
        assert_eq!(kind(429, None), 5);
        assert_eq!(kind(429, Some("quota_exceeded")), 5);
        assert_eq!(kind(502, None), 6);
        assert_eq!(kind(408, None), 6);
    }
}

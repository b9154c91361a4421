//! Talking to the task routes: the create sent once (sent again only where the service
//! surely did not take it: no connection, or the cap of tasks per key), looks at a task
//! taken again freely, and the DashScope route used where the gateway's does not exist,
//! learned once and remembered for the run.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::{self, HeaderMap};
use serde_json::Value;

use super::body::Job;
use super::settings::{Service, is_task_id};
use super::task::{State, Task};
use crate::api::classify::{self, Failure, MAX_ERROR_BODY, text_at};
use crate::api::{ApiKey, header_text};
use crate::catalogue::money::{self, Micros};
use crate::error::{ApiDetail, Error, Kind, Tag, root_cause};
use crate::journal::video::RouteKind;
use crate::retry::{self, Policy, Verdict};
use crate::term::ui::Ui;

/// A task answer is a few hundred bytes; a body this large is no task.
const MAX_TASK_BODY: u64 = 1 << 20;
/// A look is a free GET: one that hangs should not eat the wait.
const MAX_LOOK_TIME: Duration = Duration::from_secs(60);

/// A task the service took.
#[derive(Debug)]
pub struct Created {
    pub task: Task,
    pub route: RouteKind,
    pub request_id: Option<String>,
    pub price: Option<Micros>,
}

/// One look at a task.
#[derive(Debug)]
pub struct Look {
    pub task: Task,
    pub price: Option<Micros>,
}

/// Why a look found nothing.
#[derive(Debug)]
pub enum LookFailed {
    /// Worth another look: no connection, no answer, 408, 429, 5xx; `delay` is the
    /// server's own where it gave one.
    Transient { error: Error, delay: Option<Duration> },
    /// A 404: the route does not know the task. `route_missing` when it came with no
    /// API error code (the path itself does not exist there).
    NotFound { error: Error, route_missing: bool },
    /// Looking again would fail the same way: 401, 403, another 4xx, an answer that is no task.
    Permanent(Error),
}

impl LookFailed {
    pub fn into_error(self) -> Error {
        match self {
            Self::Transient { error, .. } | Self::NotFound { error, .. } | Self::Permanent(error) => error,
        }
    }
}

/// Why a create failed; `RouteMissing` sends it to the other route.
enum CreateFailed {
    RouteMissing(Error),
    Other(Error),
}

impl From<Error> for CreateFailed {
    fn from(error: Error) -> Self {
        Self::Other(error)
    }
}

impl CreateFailed {
    fn into_error(self) -> Error {
        match self {
            Self::RouteMissing(error) | Self::Other(error) => error,
        }
    }
}

pub struct Client<'a> {
    pub http: &'a Http,
    pub service: &'a Service,
    pub ui: &'a Ui,
    /// The gateway's route answered a bare 404: this service has only the DashScope one.
    gateway_missing: AtomicBool,
}

impl<'a> Client<'a> {
    pub fn new(http: &'a Http, service: &'a Service, ui: &'a Ui) -> Self {
        Self { http, service, ui, gateway_missing: AtomicBool::new(false) }
    }

    fn host(&self) -> &str {
        self.service.base.host_str().unwrap_or("the API")
    }

    fn authorized(&self, request: RequestBuilder) -> RequestBuilder {
        let request = request.header(header::ACCEPT, "application/json");
        match &self.service.key {
            Some(key) => ApiKey::authorize(key, request),
            None => request,
        }
    }

    /// Sends the create once on the gateway's route; where that route does not exist (a
    /// 404 with no API error code), once on the DashScope route. The refused request
    /// reached no task, so it is neither billed nor a retry.
    pub fn create(&self, job: &Job) -> Result<Created, Error> {
        let first =
            if self.gateway_missing.load(Ordering::Relaxed) { RouteKind::DashScope } else { RouteKind::Gateway };
        match self.create_on(first, job) {
            Ok(created) => Ok(created),
            Err(CreateFailed::RouteMissing(_)) if first == RouteKind::Gateway => {
                self.gateway_missing.store(true, Ordering::Relaxed);
                let (from, to) = (RouteKind::Gateway, RouteKind::DashScope);
                self.ui.warn(&format!(
                    "{} does not exist on this service (HTTP 404); sending the task to {}",
                    from.adapter().create_url(&self.service.base),
                    to.adapter().create_url(&self.service.base)
                ));
                self.create_on(to, job).map_err(CreateFailed::into_error)
            }
            Err(failed) => Err(failed.into_error()),
        }
    }

    fn create_on(&self, route: RouteKind, job: &Job) -> Result<Created, CreateFailed> {
        let adapter = route.adapter();
        let url = adapter.create_url(&self.service.base);
        let body = serde_json::to_vec(&adapter.create_body(job)).expect("request bodies always serialise");
        let retries = self.service.retries;
        retry::retrying(
            Policy::api(retries),
            || self.create_once(route, &url, &body, job),
            |failure, wait, taken| {
                let error = failure.into_error();
                if wait > retry::MAX_WAIT {
                    return Err(crate::api::too_long_to_wait(error, wait).into());
                }
                let secs = wait.as_secs_f64();
                self.ui.note(&format!("{error}; sending again in {secs:.1} s ({taken} of {retries})"));
                Ok(())
            },
        )
    }

    fn create_once(
        &self,
        route: RouteKind,
        url: &str,
        body: &[u8],
        job: &Job,
    ) -> Result<Created, Verdict<CreateFailed>> {
        let adapter = route.adapter();
        self.ui.verbose(&format!("→ POST {url} · model {} · {} bytes", job.model, body.len()));
        let started = Instant::now();
        let _in_flight = crate::interrupt::video_create_in_flight();
        let mut request = self
            .authorized(self.http.post(url))
            .header(header::CONTENT_TYPE, "application/json")
            .timeout(self.service.timeout)
            .body(body.to_vec());
        for (name, value) in adapter.create_headers() {
            request = request.header(*name, *value);
        }
        if let Some(key) = job.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().map_err(|e| self.create_transport_failure(&e))?;
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        if !(200..300).contains(&status) {
            let bytes = read_capped(response, MAX_ERROR_BODY).map_err(|e| self.lost(&e))?;
            self.log_answer(status, &headers, bytes.len(), started);
            return Err(create_refused(classify::status_failure(status, &headers, &bytes, job.model)));
        }
        let bytes = read_capped(response, MAX_TASK_BODY).map_err(|e| self.lost(&e))?;
        self.log_answer(status, &headers, bytes.len(), started);
        let header_id = header_text(&headers, "x-request-id");
        let answer: Option<Value> = serde_json::from_slice(&bytes).ok();
        let request_id = answer.as_ref().and_then(|a| text_at(a, "request_id")).map(|id| crate::error::redact(&id));
        let Some(task) = answer.as_ref().and_then(|a| adapter.read_task(a)) else {
            let detail =
                ApiDetail { status: Some(status), request_id: request_id.or(header_id), ..ApiDetail::default() };
            let error = Error::new(
                Kind::Other,
                format!(
                    "the API's answer to the create is not a task ({}); a task may have been created and billed",
                    shown_body(&bytes)
                ),
            )
            .with_api(detail)
            .with_hint("not sent again, to avoid paying twice; check your usage in the AIsa console")
            .tagged(Tag::MaybeBilled);
            return Err(Verdict::Fail(error.into()));
        };
        // The id goes into URLs, the journal and the terminal: one that is not what the
        // service issues (letters, digits, `_-.:`) is refused, shown escaped.
        if !is_task_id(&task.id) {
            let error = Error::new(
                Kind::Other,
                format!(
                    "the service named its task {:?}, which is no task id wan will use; a task may have been created \
                     and billed",
                    crate::error::clean(&task.id)
                ),
            )
            .with_api(ApiDetail { status: Some(status), request_id: request_id.or(header_id), ..ApiDetail::default() })
            .with_hint("not sent again, to avoid paying twice; check your usage in the AIsa console")
            .tagged(Tag::MaybeBilled);
            return Err(Verdict::Fail(error.into()));
        }
        Ok(Created {
            task,
            route,
            request_id: request_id.or(header_id),
            // What it charged, where it says, else the price it reported.
            price: crate::api::charged(&headers)
                .or_else(|| header_text(&headers, "x-aisa-price-usd").and_then(|p| money::parse_usd(&p))),
        })
    }

    /// A create with no HTTP answer: only a connection never made is safe to send again.
    fn create_transport_failure(&self, err: &reqwest::Error) -> Verdict<CreateFailed> {
        let host = self.host();
        if err.is_connect() {
            let error = Error::new(Kind::Service, format!("could not connect to {host}: {}", root_cause(err)));
            return Verdict::Retry { error: error.into(), server_delay: None };
        }
        let what = if err.is_timeout() {
            format!("no answer from {host} within {} s", self.service.timeout.as_secs())
        } else {
            format!("the connection to {host} was lost after the task was asked for ({})", root_cause(err))
        };
        Verdict::Fail(
            maybe_billed(Error::new(Kind::Service, format!("{what}; a task may have been created and billed"))).into(),
        )
    }

    /// The answer broke off: the create was carried out.
    fn lost(&self, err: &std::io::Error) -> Verdict<CreateFailed> {
        let what = format!(
            "the connection to {} was lost while the answer arrived ({}); a task may have been created and billed",
            self.host(),
            root_cause(err)
        );
        Verdict::Fail(maybe_billed(Error::new(Kind::Service, what)).into())
    }

    fn log_answer(&self, status: u16, headers: &HeaderMap, bytes: usize, started: Instant) {
        self.ui.verbose(&format!(
            "← HTTP {status} · request id {} · {bytes} bytes · {:.2} s",
            header_text(headers, "x-request-id").as_deref().unwrap_or("none"),
            started.elapsed().as_secs_f64()
        ));
    }

    /// One look at a task on `route` of the service at `base` (the one the task was made
    /// at, unless `--base-url` says otherwise).
    pub fn look(&self, base: &Url, route: RouteKind, id: &str) -> Result<Look, LookFailed> {
        let adapter = route.adapter();
        let url = adapter.poll_url(base, id);
        let host = base.host_str().unwrap_or("the API");
        self.ui.verbose(&format!("→ GET {url}"));
        let started = Instant::now();
        let transient = |what: String| LookFailed::Transient { error: Error::new(Kind::Service, what), delay: None };
        let response = self
            .authorized(self.http.get(&url))
            .timeout(self.service.timeout.min(MAX_LOOK_TIME))
            .send()
            .map_err(|e| transient(format!("could not look at task {id} on {host}: {}", root_cause(&e))))?;
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        let cap = if (200..300).contains(&status) { MAX_TASK_BODY } else { MAX_ERROR_BODY };
        let bytes = read_capped(response, cap)
            .map_err(|e| transient(format!("the answer about task {id} broke off: {}", root_cause(&e))))?;
        self.log_answer(status, &headers, bytes.len(), started);
        if !(200..300).contains(&status) {
            return Err(look_refused(classify::status_failure(status, &headers, &bytes, ""), id));
        }
        let task =
            serde_json::from_slice::<Value>(&bytes).ok().and_then(|a| adapter.read_task(&a)).ok_or_else(|| {
                let detail = ApiDetail {
                    status: Some(status),
                    request_id: header_text(&headers, "x-request-id"),
                    ..ApiDetail::default()
                };
                LookFailed::Permanent(
                    Error::new(
                        Kind::Other,
                        format!("the answer about task {id} is not a task: {}", shown_body(&bytes)),
                    )
                    .with_api(detail),
                )
            })?;
        Ok(Look { task, price: header_text(&headers, "x-aisa-price-usd").and_then(|p| money::parse_usd(&p)) })
    }

    /// A look that rides out a few transient failures, for a command that looks once.
    pub fn look_patiently(&self, base: &Url, route: RouteKind, id: &str) -> Result<Look, LookFailed> {
        let mut failed = 0;
        loop {
            match self.look(base, route, id) {
                Err(LookFailed::Transient { error, delay }) if failed < Policy::DOWNLOADS.retries => {
                    let wait = delay.unwrap_or_else(|| Policy::DOWNLOADS.backoff(failed, retry::jitter()));
                    if wait > retry::MAX_WAIT {
                        return Err(LookFailed::Transient { error, delay });
                    }
                    failed += 1;
                    self.ui.note(&format!("{error}; looking again in {:.1} s", wait.as_secs_f64()));
                    std::thread::sleep(wait);
                }
                other => return other,
            }
        }
    }

    /// Finds a task the journal does not know, on both routes (the gateway's first,
    /// unless this run learned it does not exist). A task neither knows is exit 4.
    pub fn lookup(&self, id: &str) -> Result<(RouteKind, Look), Error> {
        let mut routes = vec![RouteKind::Gateway, RouteKind::DashScope];
        if self.gateway_missing.load(Ordering::Relaxed) {
            routes.remove(0);
        }
        let mut refused = None;
        for route in routes {
            match self.look_patiently(&self.service.base, route, id) {
                Ok(look) if look.task.state == State::Unknown => {}
                Ok(look) => return Ok((route, look)),
                Err(LookFailed::NotFound { error, route_missing }) => {
                    if route_missing && route == RouteKind::Gateway {
                        self.gateway_missing.store(true, Ordering::Relaxed);
                    }
                    refused.get_or_insert(error);
                }
                Err(other) => return Err(other.into_error()),
            }
        }
        Err(not_known(id, refused))
    }
}

/// The service knows no task of this id: exit 4, with what it said where it said something.
pub fn not_known(id: &str, refused: Option<Error>) -> Error {
    let api = refused.map(|e| *e.api).unwrap_or_default();
    Error::new(Kind::Rejected, format!("the service knows no video task {id}"))
        .with_api(api)
        .with_hint("`wan video list` shows the tasks this machine started; the service forgets tasks after a day or so")
}

fn maybe_billed(error: Error) -> Error {
    error
        .with_hint("not sent again, to avoid paying twice; check your usage in the AIsa console before trying again")
        .tagged(Tag::MaybeBilled)
}

/// What a refused create allows: sent again only after a 429 (the cap of tasks in flight
/// per key: the service took nothing), never after a 5xx or 408 (the gateway may have
/// passed it on before failing). A bare 404 means the route is not there at all.
fn create_refused(verdict: Verdict<Failure>) -> Verdict<CreateFailed> {
    match verdict {
        Verdict::Retry { error, server_delay } if error.error.api.status == Some(429) => {
            let error = error.error.with_hint(
                "the service runs at most 3 video tasks at once per key; wait for one to end (`wan video list`)",
            );
            Verdict::Retry { error: CreateFailed::Other(error), server_delay }
        }
        Verdict::Retry { error, .. } => {
            let message = format!("{}; a task may have been created and billed", error.error.message);
            Verdict::Fail(CreateFailed::Other(maybe_billed(Error { message, ..error.error })))
        }
        Verdict::Fail(failure) => {
            let error = failure.error;
            if error.api.status == Some(404) && error.api.code.is_none() {
                Verdict::Fail(CreateFailed::RouteMissing(error))
            } else {
                Verdict::Fail(CreateFailed::Other(error))
            }
        }
    }
}

fn look_refused(verdict: Verdict<Failure>, id: &str) -> LookFailed {
    match verdict {
        Verdict::Retry { error, server_delay } => LookFailed::Transient { error: error.error, delay: server_delay },
        Verdict::Fail(failure) if failure.error.api.status == Some(404) => {
            let route_missing = failure.error.api.code.is_none();
            let error = Error { message: format!("the service knows no video task {id}"), ..failure.error };
            LookFailed::NotFound { error, route_missing }
        }
        Verdict::Fail(failure) => LookFailed::Permanent(failure.error),
    }
}

fn read_capped(response: Response, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The start of a body that is not what it should be, safe to print.
fn shown_body(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    match crate::error::sanitize(&text) {
        empty if empty.is_empty() => "an empty body".to_string(),
        shown => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, body: &str) -> Verdict<CreateFailed> {
        create_refused(classify::status_failure(status, &HeaderMap::new(), body.as_bytes(), "wan2.7-t2v"))
    }

    #[test]
    fn a_create_is_sent_again_only_after_a_429() {
        assert!(matches!(refused(429, r#"{"error":{"code":"rate_limit_exceeded"}}"#), Verdict::Retry { .. }));
        for status in [500, 502, 503, 504, 408] {
            match refused(status, "{}") {
                Verdict::Fail(CreateFailed::Other(error)) => {
                    assert_eq!(error.tag, Tag::MaybeBilled, "{status}");
                    assert!(error.message.contains("may have been created and billed"), "{status}: {error}");
                }
                _ => panic!("{status} must not be sent again"),
            }
        }
        assert!(matches!(refused(429, r#"{"error":{"code":"quota_exceeded"}}"#), Verdict::Fail(_)));
        assert!(matches!(
            refused(400, r#"{"error":{"code":"InvalidParameter"}}"#),
            Verdict::Fail(CreateFailed::Other(_))
        ));
    }

    #[test]
    fn only_a_bare_404_means_the_route_is_missing() {
        assert!(matches!(refused(404, "404 page not found"), Verdict::Fail(CreateFailed::RouteMissing(_))));
        let coded = refused(404, r#"{"error":{"code":"unknown_model","message":"no such model"}}"#);
        assert!(matches!(coded, Verdict::Fail(CreateFailed::Other(_))));
    }

    #[test]
    fn looks_sort_their_failures() {
        let look = |status: u16, body: &str| {
            look_refused(classify::status_failure(status, &HeaderMap::new(), body.as_bytes(), ""), "t1")
        };
        assert!(matches!(look(503, "{}"), LookFailed::Transient { .. }));
        assert!(matches!(look(429, "{}"), LookFailed::Transient { .. }));
        assert!(matches!(look(404, "404 page not found"), LookFailed::NotFound { route_missing: true, .. }));
        let coded = look(404, r#"{"error":{"code":"task_not_found"}}"#);
        assert!(matches!(coded, LookFailed::NotFound { route_missing: false, .. }));
        match look(401, "{}") {
            LookFailed::Permanent(error) => assert_eq!(error.kind, Kind::Auth),
            other => panic!("{other:?}"),
        }
    }
}

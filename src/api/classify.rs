//! What an API failure means: its exit code, its hint, whether it may be retried, and
//! whether it says the model moved to another route — decided here and nowhere else.

use std::time::SystemTime;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::header_text;
use crate::error::{ApiCode, ApiDetail, Error, Kind, Reach, redact};
use crate::retry::{self, Verdict};

/// Error bodies are read up to this many bytes: enough for any message, and a server
/// cannot make `wan` hold more.
pub const MAX_ERROR_BODY: u64 = 64 * 1024;

/// A failed API attempt, and whether the service said the model is served elsewhere.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub route_moved: bool,
    /// A 404 that is no API error about the model: the path itself does not exist.
    pub path_missing: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self { error, route_moved: false, path_missing: false }
    }
}

impl From<Error> for Verdict<Failure> {
    fn from(error: Error) -> Self {
        Verdict::Fail(error.into())
    }
}

/// An HTTP error answer to a request for `model`: its exit code, hint and reach, and
/// whether it may be sent again.
pub fn status_failure(status: u16, headers: &HeaderMap, body: &[u8], model: &str) -> Verdict<Failure> {
    let detail = parse_error(status, body, header_text(headers, "x-request-id"));
    let meaning = classify(status, &detail, model);
    // The status says whether the service did the work; a body that says it must not be
    // sent again (`retryable: false`) is believed even on a 5xx.
    let retryable =
        retry::is_retryable_status(status) && !is_permanent(detail.code.as_ref()) && detail.retryable != Some(false);
    let route_moved = says_moved(status, detail.code.as_ref(), body);
    let path_missing = status == 404 && !route_moved && !is_unknown_model(status, &detail, model);
    let mut error = Error::new(meaning.kind, meaning.what).with_api(detail);
    error.reach = meaning.reach;
    if let Some(hint) = meaning.hint {
        error = error.with_hint(hint);
    }
    let failure = Failure { error, route_moved, path_missing };
    if !retryable {
        return Verdict::Fail(failure);
    }
    let server_delay = retry::server_delay(
        header_text(headers, "retry-after-ms").as_deref(),
        header_text(headers, "retry-after").as_deref(),
        SystemTime::now(),
    );
    Verdict::Retry { error: failure, server_delay }
}

/// Codes that no amount of waiting clears, whatever the status they come with
/// (https://aisa.one/docs/api-reference/errors).
fn is_permanent(code: Option<&ApiCode>) -> bool {
    matches!(
        code,
        Some(ApiCode::ModelNotFound | ApiCode::QuotaExceeded | ApiCode::AlreadyCompleted | ApiCode::PriceOverCap)
    )
}

/// A failure every other request of the run would meet too: the run stops sending after it.
pub fn stops_the_run(error: &Error) -> bool {
    error.reach == Reach::Run
}

/// A failure every other request of its model would meet too (the model is unknown): the
/// run sends that model nothing more.
pub fn stops_the_model(error: &Error) -> bool {
    error.reach == Reach::Model
}

/// What a failure means for the user.
struct Meaning {
    kind: Kind,
    what: String,
    hint: Option<String>,
    reach: Reach,
}

fn classify(status: u16, detail: &ApiDetail, model: &str) -> Meaning {
    let code = detail.code.as_ref();
    let mean = |kind, what: &str, hint: Option<&str>, reach| Meaning {
        kind,
        what: what.to_string(),
        hint: hint.map(String::from),
        reach,
    };
    match (status, code) {
        (_, Some(ApiCode::ModelRouteNotSupported)) => mean(
            Kind::Rejected,
            "the API serves this model on another route",
            Some("use --route auto (the default) or --route images"),
            Reach::Request,
        ),
        _ if is_unknown_model(status, detail, model) => Meaning {
            kind: Kind::Rejected,
            what: format!("the API does not serve the model {model} to your workspace"),
            hint: Some(unknown_model_hint(model)),
            reach: Reach::Model,
        },
        (_, Some(ApiCode::AlreadyCompleted)) => mean(
            Kind::Partial,
            "already billed at the service: it completed this request (the same Idempotency-Key) before; its \
             images cannot be fetched again",
            Some("not sent again; the images of the first answer are the ones paid for"),
            Reach::Request,
        ),
        (_, Some(ApiCode::PriceOverCap)) => mean(
            Kind::Rejected,
            "the service estimates this request above its price cap (X-AISA-Max-Price-USD); nothing was billed",
            Some("raise --max-cost, or ask for fewer images"),
            Reach::Request,
        ),
        (_, Some(ApiCode::QuotaExceeded)) => mean(
            Kind::RateLimited,
            "the key's spending cap is reached",
            Some("raise the key's quota or top up the wallet at https://console.aisa.one"),
            Reach::Run,
        ),
        (401 | 403, _) => mean(
            Kind::Auth,
            "the API refused the key",
            Some("check AISA_API_KEY; keys start with sk-aisa- and are made at https://console.aisa.one"),
            Reach::Run,
        ),
        (429, _) => {
            mean(Kind::RateLimited, "rate limited by the API", Some("wait a little, or lower --jobs"), Reach::Request)
        }
        (408 | 500..=599, _) => mean(Kind::Service, "the service failed", None, Reach::Request),
        (400..=499, _) => mean(Kind::Rejected, "the API rejected the request", None, Reach::Request),
        _ => mean(Kind::Other, "unexpected answer from the API", None, Reach::Request),
    }
}

/// `model_not_found`, or a 404 whose message names the model: every request for that
/// model would meet it.
fn is_unknown_model(status: u16, detail: &ApiDetail, model: &str) -> bool {
    detail.code == Some(ApiCode::ModelNotFound)
        || (status == 404 && !model.is_empty() && detail.message.as_deref().is_some_and(|m| m.contains(model)))
}

fn unknown_model_hint(model: &str) -> String {
    let known = crate::catalogue::MODELS.iter().map(|m| m.name);
    match crate::catalogue::suggest::nearest(model, known) {
        Some(same) if same == model => format!(
            "{model} is a model wan knows, so your workspace may not be provisioned for it: ask AIsa support, \
             quoting the request id; `wan models` lists the others"
        ),
        Some(near) => format!("did you mean {near}? `wan models` lists the models"),
        None => "`wan models` lists the models wan knows; --model takes any name the service serves".to_string(),
    }
}

/// A 400 or 404 from the chat route saying the model is served on the images route:
/// the code `model_route_not_supported`, or a body that names that route.
fn says_moved(status: u16, code: Option<&ApiCode>, body: &[u8]) -> bool {
    if !matches!(status, 400 | 404) {
        return false;
    }
    if code == Some(&ApiCode::ModelRouteNotSupported) {
        return true;
    }
    let text = String::from_utf8_lossy(body);
    text.contains("model_route_not_supported") || text.contains("images/generations") || text.contains("images/edits")
}

/// What an error body says, read in the contract's order of shapes:
/// `{error:{type, code, message, request_id}}` (or Google's `{error:{code:<int>, message,
/// status}}`, whose `status` is the code), else `error` as a string, else a top-level
/// `message`, else the raw text. The request id is the body's, else the
/// `x-request-id` header's. Every field is redacted of the key: servers echo it.
pub fn parse_error(status: u16, body: &[u8], header_id: Option<String>) -> ApiDetail {
    let raw = || {
        let text = String::from_utf8_lossy(body).trim().to_string();
        (!text.is_empty()).then_some(text)
    };
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let retryable = parsed.as_ref().and_then(|root| root.pointer("/error/retryable")).and_then(Value::as_bool);
    let (code, message, request_id) = match parsed {
        None => (None, raw(), None),
        Some(root) => match root.get("error") {
            Some(error @ Value::Object(_)) => (
                google_status(error).or_else(|| text_at(error, "code")).or_else(|| text_at(&root, "code")),
                text_at(error, "message").or_else(raw),
                text_at(error, "request_id").or_else(|| text_at(&root, "request_id")),
            ),
            Some(Value::String(message)) => {
                (text_at(&root, "code"), Some(message.clone()), text_at(&root, "request_id"))
            }
            _ => (text_at(&root, "code"), text_at(&root, "message").or_else(raw), text_at(&root, "request_id")),
        },
    };
    let redacted = |text: Option<String>| text.map(|t| redact(&t));
    ApiDetail {
        status: Some(status),
        code: redacted(code).map(|c| ApiCode::parse(&c)),
        message: redacted(message),
        request_id: redacted(request_id.or(header_id)),
        retryable,
    }
}

/// Google's error names its kind in `status` (`INVALID_ARGUMENT`, `RESOURCE_EXHAUSTED`)
/// beside a numeric `code` that only repeats the HTTP status
/// (https://ai.google.dev/api/rest/v1beta/Status); the exit code still comes from the status.
fn google_status(error: &Value) -> Option<String> {
    error.get("code").filter(|c| c.is_number())?;
    text_at(error, "status").filter(|s| !s.bytes().all(|b| b.is_ascii_digit()))
}

/// A field as text, whether the service sent a string or a number.
pub fn text_at(value: &Value, key: &str) -> Option<String> {
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

    fn bytes(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn statuses_map_to_the_contract_exit_codes() {
        let kind = |status, code: Option<&str>| {
            let detail = ApiDetail { code: code.map(ApiCode::parse), ..ApiDetail::default() };
            classify(status, &detail, "wan2.7-image").kind.exit_code()
        };
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

    #[test]
    fn permanent_codes_are_never_retried_whatever_the_status() {
        let verdict = |status, body: Value| status_failure(status, &HeaderMap::new(), &bytes(body), "wan2.7-image");
        let code = |c: &str| json!({"error": {"code": c, "message": "m"}});
        assert!(matches!(verdict(500, code("model_not_found")), Verdict::Fail(_)));
        assert!(matches!(verdict(429, code("quota_exceeded")), Verdict::Fail(_)));
        assert!(matches!(verdict(429, code("rate_limit_exceeded")), Verdict::Retry { .. }));
        assert!(matches!(verdict(503, json!({})), Verdict::Retry { .. }));
        assert!(matches!(verdict(400, json!({})), Verdict::Fail(_)));
    }

    #[test]
    fn an_unknown_model_stops_the_run_and_suggests_the_nearest_name() {
        let fail = |status, body: Value, model| match status_failure(status, &HeaderMap::new(), &bytes(body), model) {
            Verdict::Fail(failure) => failure.error,
            Verdict::Retry { .. } => panic!("retried"),
        };
        let not_found = json!({"error": {"code": "model_not_found", "message": "no such model"}});
        let typo = fail(500, not_found.clone(), "wan2.7-imag");
        assert_eq!((typo.kind, typo.reach), (Kind::Rejected, Reach::Model));
        assert!(typo.hint.as_deref().unwrap().starts_with("did you mean wan2.7-image?"), "{:?}", typo.hint);
        let known = fail(500, not_found, "wan2.7-image-pro");
        assert!(known.hint.unwrap().contains("not be provisioned"));
        let named = fail(404, json!({"message": "model dall-e-9 does not exist"}), "dall-e-9");
        assert_eq!(named.reach, Reach::Model);
        assert!(named.hint.unwrap().contains("`wan models`"));
        let plain = fail(404, json!({"message": "404 page not found"}), "wan2.7-image");
        assert_eq!(plain.reach, Reach::Request);
    }

    #[test]
    fn recognises_the_moved_answers_only() {
        let moved = Some(ApiCode::ModelRouteNotSupported);
        assert!(says_moved(400, moved.as_ref(), b"{}"));
        assert!(says_moved(404, None, br#"{"error":{"message":"use POST /v1/images/generations"}}"#));
        assert!(!says_moved(400, Some(&ApiCode::parse("invalid_parameter_error")), b"Input should be a valid list"));
        assert!(!says_moved(500, moved.as_ref(), b""));
        assert!(!says_moved(401, None, b"see /v1/images/generations"));
    }

    #[test]
    fn reads_the_documented_error_shape() {
        let body = bytes(json!({"error": {"type": "invalid_request_error", "code": "invalid_parameter_error",
            "message": "Input should be a valid list: messages[*].content", "request_id": "req_1"}}));
        let error = parse_error(400, &body, Some("req_hdr".into()));
        assert_eq!(error.code, Some(ApiCode::parse("invalid_parameter_error")));
        assert_eq!(error.message.as_deref(), Some("Input should be a valid list: messages[*].content"));
        assert_eq!(error.request_id.as_deref(), Some("req_1"));
        assert_eq!(error.status, Some(400));
    }

    #[test]
    fn reads_google_s_error_shape_and_maps_it_to_the_same_exit_codes() {
        let google = |status: u16, name: &str| {
            let body = bytes(json!({"error": {"code": status, "message": format!("{name} happened"), "status": name}}));
            match status_failure(status, &HeaderMap::new(), &body, "gemini-3-pro-image-preview") {
                Verdict::Fail(f) | Verdict::Retry { error: f, .. } => f.error,
            }
        };
        let invalid = google(400, "INVALID_ARGUMENT");
        assert_eq!(invalid.api.code, Some(ApiCode::parse("INVALID_ARGUMENT")));
        assert_eq!(invalid.api.message.as_deref(), Some("INVALID_ARGUMENT happened"));
        assert_eq!(invalid.kind.exit_code(), 4);
        assert_eq!(google(401, "UNAUTHENTICATED").kind.exit_code(), 3);
        assert_eq!(google(403, "PERMISSION_DENIED").kind.exit_code(), 3);
        assert_eq!(google(429, "RESOURCE_EXHAUSTED").kind.exit_code(), 5);
        assert_eq!(google(503, "UNAVAILABLE").kind.exit_code(), 6);
        let retried = status_failure(
            429,
            &HeaderMap::new(),
            &bytes(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED"}})),
            "g",
        );
        assert!(matches!(retried, Verdict::Retry { .. }));
    }

    #[test]
    fn a_404_is_a_missing_path_unless_it_is_about_the_model() {
        let missing = |body: &[u8]| match status_failure(404, &HeaderMap::new(), body, "gemini-3-pro-image-preview") {
            Verdict::Fail(f) => f.path_missing,
            Verdict::Retry { .. } => panic!("a 404 is not retried"),
        };
        assert!(missing(b"404 page not found"));
        assert!(missing(br#"{"error":{"code":"unknown_endpoint","message":"no such route"}}"#));
        let about_model = json!({"error": {"code": 404, "status": "NOT_FOUND",
            "message": "models/gemini-3-pro-image-preview is not found for API version v1"}});
        assert!(!missing(&bytes(about_model)));
        assert!(!missing(br#"{"error":{"code":"model_not_found","message":"no"}}"#));
        assert!(!missing(br#"{"error":{"code":"model_route_not_supported","message":"no"}}"#));
    }

    #[test]
    fn reads_the_other_error_shapes_in_order() {
        let string = parse_error(400, &bytes(json!({"error": "bad thing", "code": 400})), None);
        assert_eq!((string.message.as_deref(), string.code), (Some("bad thing"), Some(ApiCode::parse("400"))));
        let top = parse_error(400, &bytes(json!({"message": "top level", "request_id": "r"})), None);
        assert_eq!((top.message.as_deref(), top.request_id.as_deref()), (Some("top level"), Some("r")));
        let text = parse_error(404, b"404 page not found\n", Some("hdr".into()));
        assert_eq!((text.message.as_deref(), text.request_id.as_deref()), (Some("404 page not found"), Some("hdr")));
        assert_eq!(parse_error(500, b"", None), ApiDetail { status: Some(500), ..ApiDetail::default() });
    }
}

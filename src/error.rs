//! The one error type: what failed, what the API said, and the documented exit code;
//! and the cleaning of every text that came from a server before it is shown.

use std::fmt;
use std::sync::OnceLock;

/// Which row of the contract's exit-code table a failure belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Anything else: local I/O, an answer that is not what the API documents.
    Other,
    /// Usage or bad local input; nothing was sent.
    Usage,
    /// No key, 401, 403.
    Auth,
    /// 400, 404, 422, `model_not_found`.
    Rejected,
    /// 429 after the retries ran out, or a wait too long to take.
    RateLimited,
    /// 5xx after retries, connection failures, timeouts.
    Service,
    /// Images were paid for that were not all saved.
    Partial,
    /// Not finished yet: a video task still running when `--wait-timeout` ran out.
    Pending,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Other => 1,
            Self::Usage => 2,
            Self::Auth => 3,
            Self::Rejected => 4,
            Self::RateLimited => 5,
            Self::Service => 6,
            Self::Partial => 7,
            Self::Pending => 8,
        }
    }

    /// The kind a child `wan`'s exit code stands for (`wan mcp`'s video tools).
    pub fn from_exit_code(code: i32) -> Self {
        match code {
            2 => Self::Usage,
            3 => Self::Auth,
            4 => Self::Rejected,
            5 => Self::RateLimited,
            6 => Self::Service,
            7 => Self::Partial,
            8 => Self::Pending,
            _ => Self::Other,
        }
    }

    /// The stable name used in `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Other => "other",
            Self::Usage => "usage",
            Self::Auth => "auth",
            Self::Rejected => "rejected",
            Self::RateLimited => "rate_limited",
            Self::Service => "service",
            Self::Partial => "partial",
            Self::Pending => "pending",
        }
    }
}

/// The API's own error codes that change what `wan` does; any other is kept as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiCode {
    /// The workspace is not provisioned for the model: permanent, never retried.
    ModelNotFound,
    /// The key's spending cap is reached: permanent, and every other request meets it too.
    QuotaExceeded,
    /// The model is served on another route (the later docs' images route).
    ModelRouteNotSupported,
    /// The gateway completed a request with this Idempotency-Key before: billed then,
    /// not now, and its images are not given again.
    AlreadyCompleted,
    /// The gateway estimates the request above `X-AISA-Max-Price-USD`: not run, not billed.
    PriceOverCap,
    Other(String),
}

impl ApiCode {
    pub fn parse(code: &str) -> Self {
        match code {
            "model_not_found" => Self::ModelNotFound,
            "quota_exceeded" => Self::QuotaExceeded,
            "model_route_not_supported" => Self::ModelRouteNotSupported,
            "request_already_completed" => Self::AlreadyCompleted,
            "estimated_price_exceeds_max_price" => Self::PriceOverCap,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::ModelNotFound => "model_not_found",
            Self::QuotaExceeded => "quota_exceeded",
            Self::ModelRouteNotSupported => "model_route_not_supported",
            Self::AlreadyCompleted => "request_already_completed",
            Self::PriceOverCap => "estimated_price_exceeds_max_price",
            Self::Other(code) => code,
        }
    }
}

/// What the API itself said about a failed request: its status, and the error body's
/// code, message and request id (already cleaned of the key, see [`redact`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiDetail {
    pub status: Option<u16>,
    pub code: Option<ApiCode>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    /// The body's own `error.retryable`, where it says: `false` is never sent again.
    pub retryable: Option<bool>,
}

/// Whether a failure is one request's alone, one every request of its model would meet
/// alike (an unknown model: in a matrix, the other models' requests go on), or one every
/// request of the run would meet alike (a refused key, a spent quota): such a one stops
/// the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reach {
    #[default]
    Request,
    Model,
    Run,
}

/// What a failure leaves behind, for the journal and `wan resume`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tag {
    #[default]
    None,
    /// The request was sent and no answer came: it may have been carried out and billed.
    MaybeBilled,
    /// An image's link answered as expired links do: it cannot be fetched any more.
    LinkExpired,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub kind: Kind,
    pub reach: Reach,
    pub tag: Tag,
    /// What failed, in the tool's own words.
    pub message: String,
    /// Boxed: most errors carry none, and it keeps `Result<_, Error>` small.
    pub api: Box<ApiDetail>,
    /// One line telling the user what to do about it.
    pub hint: Option<String>,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, reach: Reach::Request, tag: Tag::None, message: message.into(), api: Box::default(), hint: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> Self {
        Self::new(Kind::Other, format!("{what}: {err}"))
    }

    pub fn with_api(mut self, api: ApiDetail) -> Self {
        self.api = Box::new(api);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn tagged(mut self, tag: Tag) -> Self {
        self.tag = tag;
        self
    }

    /// The same failure as another request's: what failed and what the API said, but
    /// not the request id, which differs request by request.
    pub fn signature(&self) -> (Kind, &str, Option<u16>, Option<&str>, Option<&str>) {
        let api = &self.api;
        (self.kind, &self.message, api.status, api.code.as_ref().map(ApiCode::as_str), api.message.as_deref())
    }

    /// The error as `--json` and MCP results carry it: `{kind, status, code, message, request_id}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.name(),
            "status": self.api.status,
            "code": self.api.code.as_ref().map(|c| sanitize(c.as_str())),
            "message": self.to_string(),
            "request_id": self.api.request_id,
        })
    }
}

impl fmt::Display for Error {
    /// `what failed: HTTP 400 code: message (request id …)`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.message))?;
        let api = &self.api;
        let mut sep = ": ";
        if let Some(status) = api.status {
            write!(f, "{sep}HTTP {status}")?;
            sep = " ";
        }
        if let Some(code) = &api.code {
            write!(f, "{sep}{}", sanitize(code.as_str()))?;
        }
        if let Some(message) = &api.message {
            write!(f, ": {}", sanitize(message))?;
        }
        if let Some(id) = &api.request_id {
            write!(f, " (request id {})", sanitize(id))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The innermost cause of an error chain, which says what actually happened.
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    redact(&cause.to_string())
}

/// Keys shorter than this are not redacted: see [`redact`].
const MIN_SECRET_LEN: usize = 8;

/// The key of this run, once known, so that no text shown or stored can carry it.
static SECRET: OnceLock<String> = OnceLock::new();

/// Remembers the key, so that [`redact`] removes it from any text, wherever it came from.
pub fn register_secret(key: &str) {
    // A second key in one process cannot happen; the first stays registered.
    let _ = SECRET.set(key.to_string());
}

/// `text` with the key and any `Bearer <token>` replaced by `[redacted]`: a server that
/// echoes the key back ("Incorrect API key provided: sk-…") must not make `wan` print it.
pub fn redact(text: &str) -> String {
    // A toy key (`test`, for the emulator) is no secret, and replacing every "test" in
    // every message would only garble them; real keys are far longer.
    let mut out = match SECRET.get() {
        Some(key) if key.len() >= MIN_SECRET_LEN && text.contains(key.as_str()) => {
            text.replace(key.as_str(), "[redacted]")
        }
        _ => text.to_string(),
    };
    let mut from = 0;
    while let Some(at) = find_ascii_ci(&out[from..], "bearer ").map(|i| from + i) {
        let token_start = at + "bearer ".len();
        let token_len = out[token_start..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(out.len() - token_start);
        if token_len > 0 && !out[token_start..].starts_with("[redacted]") {
            out.replace_range(token_start..token_start + token_len, "[redacted]");
        }
        from = token_start;
    }
    out
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Text from a server, made safe to print in a message: the key redacted, control
/// characters (escape sequences that could rewrite the terminal) turned into spaces,
/// and cut to `MAX_SERVER_TEXT` characters.
pub fn sanitize(text: &str) -> String {
    const MAX_SERVER_TEXT: usize = 300;
    let clean = clean(text);
    let mut out: String = clean.chars().take(MAX_SERVER_TEXT).collect();
    if clean.chars().count() > MAX_SERVER_TEXT {
        out.push('…');
    }
    out.trim().to_string()
}

/// Text from a server made safe to print whole — a URL the user must be able to fetch,
/// a hint that quotes one: the key redacted and control characters turned into spaces,
/// never shortened.
pub fn clean(text: &str) -> String {
    redact(text).chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract_table() {
        let table = [
            (Kind::Other, 1),
            (Kind::Usage, 2),
            (Kind::Auth, 3),
            (Kind::Rejected, 4),
            (Kind::RateLimited, 5),
            (Kind::Service, 6),
            (Kind::Partial, 7),
            (Kind::Pending, 8),
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    #[test]
    fn message_names_status_code_text_and_request_id() {
        let err = Error::new(Kind::Rejected, "the API rejected the request").with_api(ApiDetail {
            status: Some(400),
            code: Some(ApiCode::parse("invalid_parameter_error")),
            message: Some("Input should be a valid list".into()),
            request_id: Some("req_1".into()),
            retryable: None,
        });
        assert_eq!(
            err.to_string(),
            "the API rejected the request: HTTP 400 invalid_parameter_error: \
             Input should be a valid list (request id req_1)"
        );
    }

    #[test]
    fn message_leaves_out_what_is_unknown() {
        let err = Error::new(Kind::Service, "could not connect");
        assert_eq!(err.to_string(), "could not connect");
    }

    #[test]
    fn codes_that_steer_the_run_are_typed_and_others_kept() {
        assert_eq!(ApiCode::parse("quota_exceeded"), ApiCode::QuotaExceeded);
        assert_eq!(ApiCode::parse("model_not_found").as_str(), "model_not_found");
        assert_eq!(ApiCode::parse("rate_limit_exceeded"), ApiCode::Other("rate_limit_exceeded".into()));
    }

    #[test]
    fn sanitize_strips_escape_sequences_and_cuts_long_text() {
        assert_eq!(sanitize("bad\x1b[2Jthing\r\n"), "bad [2Jthing");
        let long = "x".repeat(1000);
        assert_eq!(sanitize(&long).chars().count(), 301);
    }

    #[test]
    fn clean_keeps_a_long_url_whole() {
        let url = format!("https://cdn.example/a.png?X-Amz-Signature={}", "f".repeat(500));
        assert_eq!(clean(&url), url);
        assert_eq!(clean("https://h/a.png\x1b[2J"), "https://h/a.png [2J");
    }

    #[test]
    fn bearer_tokens_are_redacted_whatever_the_case() {
        assert_eq!(redact("sent Authorization: Bearer abc.def-1 here"), "sent Authorization: Bearer [redacted] here");
        assert_eq!(redact("BEARER xyz"), "BEARER [redacted]");
        assert_eq!(redact("bearer"), "bearer");
    }
}

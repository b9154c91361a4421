//! The one error type: what failed, what the API said, and the documented exit code.

use std::fmt;

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
    /// Some images were saved and some were not.
    Partial,
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
        }
    }
}

/// What the API itself said about a failed request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiDetail {
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub kind: Kind,
    /// What failed, in the tool's own words.
    pub message: String,
    /// Boxed: most errors carry none, and it keeps `Result<_, Error>` small.
    pub api: Box<ApiDetail>,
    /// One line telling the user what to do about it.
    pub hint: Option<String>,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), api: Box::default(), hint: None }
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
}

impl fmt::Display for Error {
    /// `what failed: HTTP 400 code: message (request id …)`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let api = &self.api;
        let mut sep = ": ";
        if let Some(status) = api.status {
            write!(f, "{sep}HTTP {status}")?;
            sep = " ";
        }
        if let Some(code) = &api.code {
            write!(f, "{sep}{}", sanitize(code))?;
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

/// Text from a server, made safe to print: control characters (escape sequences
/// that could rewrite the terminal) become spaces, and it is cut to `MAX_SERVER_TEXT`.
pub fn sanitize(text: &str) -> String {
    const MAX_SERVER_TEXT: usize = 300;
    let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_SERVER_TEXT).collect();
    if text.chars().count() > MAX_SERVER_TEXT {
        out.push('…');
    }
    out.trim().to_string()
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
        ];
        for (kind, code) in table {
            assert_eq!(kind.exit_code(), code, "{kind:?}");
        }
    }

    #[test]
    fn message_names_status_code_text_and_request_id() {
        let err = Error::new(Kind::Rejected, "the API rejected the request").with_api(ApiDetail {
            status: Some(400),
            code: Some("invalid_parameter_error".into()),
            message: Some("Input should be a valid list".into()),
            request_id: Some("req_1".into()),
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
    fn sanitize_strips_escape_sequences_and_cuts_long_text() {
        assert_eq!(sanitize("bad\x1b[2Jthing\r\n"), "bad [2Jthing");
        let long = "x".repeat(1000);
        assert_eq!(sanitize(&long).chars().count(), 301);
    }
}

//! The emulator's answers before the common headers, and its errors in the two shapes the
//! service uses: AIsa's `{error:{type, code, message, request_id}}` and, on the Gemini
//! route, Google's `{error:{code:<int>, message, status}}`.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::body::Paced;

/// An answer before the common headers: status, JSON or other body, and a log note.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Paced,
    pub content_type: &'static str,
    pub extra: Vec<(&'static str, String)>,
    pub note: String,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Self {
        Self {
            status,
            body: Paced::full(value.to_string()),
            content_type: "application/json",
            extra: Vec::new(),
            note: String::new(),
        }
    }

    pub fn text(status: StatusCode, content_type: &'static str, text: &'static str) -> Self {
        Self { status, body: Paced::full(text), content_type, extra: Vec::new(), note: String::new() }
    }

    /// The plain-text 404 of a path the service does not have.
    pub fn no_such_path() -> Self {
        Self::text(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "404 page not found")
    }
}

/// Which error shape a route answers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Aisa,
    Google,
}

/// Makes the error answers of one request, in its route's shape.
#[derive(Clone, Copy, Debug)]
pub struct Errors<'a> {
    pub shape: Shape,
    pub request_id: &'a str,
}

impl Errors<'_> {
    /// An error answer: AIsa's `type` and `code`, or Google's `status` named from the
    /// HTTP status; the code goes in the log line either way.
    pub fn reply(&self, status: StatusCode, kind: &str, code: &str, message: &str) -> Reply {
        Reply { note: code.to_string(), ..Reply::json(status, &self.body(status, kind, code, message)) }
    }

    fn body(&self, status: StatusCode, kind: &str, code: &str, message: &str) -> Value {
        match self.shape {
            Shape::Aisa => {
                json!({"error": {"type": kind, "code": code, "message": message, "request_id": self.request_id}})
            }
            Shape::Google => {
                json!({"error": {"code": status.as_u16(), "message": message, "status": google_status(status)}})
            }
        }
    }

    pub fn bad_request(&self, code: &str, message: &str) -> Box<Reply> {
        Box::new(self.reply(StatusCode::BAD_REQUEST, "invalid_request_error", code, message))
    }
}

/// Google's canonical status names (https://ai.google.dev/api/rest/v1beta/Status).
fn google_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 413 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_take_their_route_s_shape() {
        let aisa = Errors { shape: Shape::Aisa, request_id: "req_1" };
        assert_eq!(
            aisa.body(StatusCode::BAD_REQUEST, "invalid_request_error", "InvalidParameter", "too small"),
            json!({"error": {"type": "invalid_request_error", "code": "InvalidParameter", "message": "too small",
                "request_id": "req_1"}})
        );
        let google = Errors { shape: Shape::Google, request_id: "req_1" };
        assert_eq!(
            google.body(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "rate_limit_exceeded", "slow down"),
            json!({"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}})
        );
        assert_eq!(google.reply(StatusCode::UNAUTHORIZED, "a", "missing_api_key", "m").note, "missing_api_key");
    }
}

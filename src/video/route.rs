//! The two task routes as adapters behind one small interface: where a create goes and
//! what it carries, where a task is looked at, and how each answer reads as a task.
//! The gateway's `/video/generations` is what the service's own CLI uses since August
//! 2026; the DashScope route is the April docs' (aisa-api.md §14).

use reqwest::Url;
use serde_json::Value;

use super::body::{self, Job};
use super::task::{self, Task};
use crate::journal::video::RouteKind;

/// One task route's side of the exchange.
pub trait TaskRoute: Sync {
    fn create_url(&self, base: &Url) -> String;
    fn create_body(&self, job: &Job) -> Value;
    /// Headers the create needs beside the key and JSON.
    fn create_headers(&self) -> &'static [(&'static str, &'static str)];
    fn poll_url(&self, base: &Url, id: &str) -> String;
    /// A create's or a poll's answer as a task; `None` when it holds no task id.
    fn read_task(&self, answer: &Value) -> Option<Task>;
}

/// `POST {base}/video/generations`, `GET {base}/video/generations/{id}`.
pub struct Gateway;

/// `POST {root}/apis/v1/services/aigc/video-generation/video-synthesis` with
/// `X-DashScope-Async: enable`, `GET {root}/apis/v1/services/aigc/tasks/{id}` (the path
/// form: the `?task_id=` form answers 500 "unsupported uri").
pub struct DashScope;

impl TaskRoute for Gateway {
    fn create_url(&self, base: &Url) -> String {
        format!("{}/video/generations", trimmed(base))
    }

    fn create_body(&self, job: &Job) -> Value {
        body::gateway(job)
    }

    fn create_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    fn poll_url(&self, base: &Url, id: &str) -> String {
        format!("{}/video/generations/{}", trimmed(base), segment(id))
    }

    fn read_task(&self, answer: &Value) -> Option<Task> {
        task::from_gateway(answer)
    }
}

impl TaskRoute for DashScope {
    fn create_url(&self, base: &Url) -> String {
        format!("{}/apis/v1/services/aigc/video-generation/video-synthesis", root(base))
    }

    fn create_body(&self, job: &Job) -> Value {
        body::dashscope(job)
    }

    fn create_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("X-DashScope-Async", "enable")]
    }

    fn poll_url(&self, base: &Url, id: &str) -> String {
        format!("{}/apis/v1/services/aigc/tasks/{}", root(base), segment(id))
    }

    fn read_task(&self, answer: &Value) -> Option<Task> {
        task::from_dashscope(answer)
    }
}

/// Each route kind the journal records, as the adapter that speaks it.
impl RouteKind {
    pub fn adapter(self) -> &'static dyn TaskRoute {
        match self {
            Self::Gateway => &Gateway,
            Self::DashScope => &DashScope,
        }
    }
}

/// An id as one path segment: every byte but the unreserved ones (and `:`) escaped, so
/// that an id from a journal or a server can never reach another path (`../credits`).
fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~' | b':') {
            out.push(byte as char);
        } else if byte == b'.' && !id.bytes().all(|b| b == b'.') {
            out.push('.');
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn trimmed(base: &Url) -> &str {
    base.as_str().trim_end_matches('/')
}

/// `{root}`: the base URL without its `/v1` (`https://api.aisa.one/v1` → `https://api.aisa.one`).
pub fn root(base: &Url) -> &str {
    let base = trimmed(base);
    base.strip_suffix("/v1").unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_build_their_urls_from_the_base() {
        let base = Url::parse("https://api.aisa.one/v1/").unwrap();
        assert_eq!(Gateway.create_url(&base), "https://api.aisa.one/v1/video/generations");
        assert_eq!(Gateway.poll_url(&base, "video_task_1"), "https://api.aisa.one/v1/video/generations/video_task_1");
        assert_eq!(
            DashScope.create_url(&base),
            "https://api.aisa.one/apis/v1/services/aigc/video-generation/video-synthesis"
        );
        assert_eq!(DashScope.poll_url(&base, "abc"), "https://api.aisa.one/apis/v1/services/aigc/tasks/abc");
        assert_eq!(DashScope.create_headers(), &[("X-DashScope-Async", "enable")]);
        assert_eq!(
            Gateway.poll_url(&base, "../../credits/balance?x=1"),
            "https://api.aisa.one/v1/video/generations/..%2F..%2Fcredits%2Fbalance%3Fx%3D1"
        );
        assert_eq!(DashScope.poll_url(&base, ".."), "https://api.aisa.one/apis/v1/services/aigc/tasks/%2E%2E");
        let proxy = Url::parse("http://127.0.0.1:8787/aisa").unwrap();
        assert_eq!(root(&proxy), "http://127.0.0.1:8787/aisa");
    }
}

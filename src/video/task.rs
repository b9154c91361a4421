//! A video task as the service describes it, read from either route's answer: its id,
//! its state (any status not known to be final is still running), its progress figure,
//! the clip's URL wherever the answer puts it, and the service's reason for a failure.

use serde_json::Value;

use crate::api::classify::text_at;
use crate::error::redact;

/// Where a task stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Queued, in progress, or any status not known to be final.
    Running,
    /// Done: the clip is ready (`completed`, `SUCCEEDED`).
    Completed,
    /// `failed`, `FAILED`.
    Failed,
    /// `cancelled`, `CANCELED`.
    Cancelled,
    /// DashScope's `UNKNOWN`: the service knows no task of that id (or no more).
    Unknown,
}

impl State {
    /// The name `wan` uses for it (the journal, `--json`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Unknown => "unknown",
        }
    }
}

/// One look at a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub state: State,
    /// The service's own word for it (`in_progress`, `RUNNING`…), as shown to the user.
    pub status: String,
    /// The service's progress figure (`40%`), where it gave one.
    pub progress: Option<String>,
    /// The clip, once completed.
    pub url: Option<String>,
    /// The service's code and message for a failure.
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Reads a status word. Only the documented final ones are final: a word the service
/// starts using tomorrow (`processing`) means the task is still running.
pub fn state_of(status: &str) -> State {
    match status.trim().to_ascii_lowercase().as_str() {
        "completed" | "succeeded" | "success" => State::Completed,
        "failed" | "failure" => State::Failed,
        "cancelled" | "canceled" => State::Cancelled,
        _ => State::Running,
    }
}

/// The gateway's task object `{id, status, progress?, result?, error?}` (aisa-api.md §14 B).
pub fn from_gateway(body: &Value) -> Option<Task> {
    let id = text_at(body, "id").or_else(|| text_at(body, "task_id"))?;
    let status = text_at(body, "status").unwrap_or_else(|| "queued".to_string());
    let mut state = state_of(&status);
    let result = body.get("result");
    // The gateway may say `completed` while the vendor's own body says it failed, or the
    // reverse; the gateway's word is final only where it says so.
    if let Some(inner) = result.and_then(|r| r.pointer("/output/task_status")).and_then(Value::as_str)
        && state == State::Running
        && matches!(state_of(inner), State::Failed | State::Cancelled)
    {
        state = state_of(inner);
    }
    let (code, message) = failure_of(body);
    let url = result.and_then(url_in_result).or_else(|| http_at(body, "video_url")).or_else(|| http_at(body, "url"));
    Some(Task { id, state, status, progress: progress_of(body.get("progress")), url, code, message })
}

/// The DashScope answer `{output:{task_id, task_status, video_url?, code?, message?}}`
/// (aisa-api.md §14 A); its `UNKNOWN` means the id is not known.
pub fn from_dashscope(body: &Value) -> Option<Task> {
    let output = body.get("output")?;
    let id = text_at(output, "task_id")?;
    let status = text_at(output, "task_status").unwrap_or_else(|| "PENDING".to_string());
    let state = match status.as_str() {
        "UNKNOWN" => State::Unknown,
        other => state_of(other),
    };
    let progress = progress_of(output.get("progress").or_else(|| output.get("task_progress")));
    let code = text_at(output, "code").or_else(|| text_at(body, "code"));
    let message = text_at(output, "message").or_else(|| text_at(body, "message"));
    let url = http_at(output, "video_url");
    Some(Task { id, state, status, progress, url, code, message })
}

/// The failure's code and message: `error:{code, message}` (or `error` as text), else the
/// vendor's `result.output.{code, message}` (DashScope's form), else `result.error`.
fn failure_of(body: &Value) -> (Option<String>, Option<String>) {
    let error = body.get("error");
    if let Some(Value::String(message)) = error
        && !message.is_empty()
    {
        return (text_at(body, "code"), Some(message.clone()));
    }
    let from = |v: Option<&Value>| v.map(|v| (text_at(v, "code"), text_at(v, "message")));
    [from(error), from(body.pointer("/result/output")), from(body.pointer("/result/error"))]
        .into_iter()
        .flatten()
        .find(|(code, message)| code.is_some() || message.is_some())
        .unwrap_or((None, None))
}

/// `"40%"`, `40` or `0.4` as a figure to show: `40%`.
fn progress_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(redact(s.trim())),
        Value::Number(n) => {
            let n = n.as_f64()?;
            let percent = if n > 0.0 && n <= 1.0 && n.fract() != 0.0 { n * 100.0 } else { n };
            Some(format!("{}%", percent.round() as i64))
        }
        _ => None,
    }
}

/// The clip's URL in the vendor's `result`, in the contract's order: DashScope's
/// `output.video_url`; Seedance's `data.content[].url` (or `content.video_url`); else a
/// key that names a video URL; else a `url`.
pub fn url_in_result(result: &Value) -> Option<String> {
    let content = result.pointer("/data/content");
    let seedance = match content {
        Some(Value::Array(items)) => items.iter().find_map(|item| http_at(item, "url")),
        Some(item) => http_at(item, "url").or_else(|| http_at(item, "video_url")),
        None => None,
    };
    result
        .get("output")
        .and_then(|o| http_at(o, "video_url"))
        .or(seedance)
        .or_else(|| result.get("content").and_then(|c| http_at(c, "video_url")))
        .or_else(|| find(result, &|key| names_a_video_url(key)))
        .or_else(|| find(result, &|key| key == "url"))
}

fn names_a_video_url(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("video") && key.contains("url")
}

/// The first http(s) string, depth first, under a key `wanted` accepts.
fn find(value: &Value, wanted: &dyn Fn(&str) -> bool) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, v)| {
            let here = match v {
                Value::String(s) if wanted(key) && is_http(s) => Some(s.clone()),
                _ => None,
            };
            here.or_else(|| find(v, wanted))
        }),
        Value::Array(items) => items.iter().find_map(|v| find(v, wanted)),
        _ => None,
    }
}

fn is_http(text: &str) -> bool {
    crate::files::reference::is_url(text.trim())
}

fn http_at(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).filter(|s| is_http(s)).map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statuses_are_final_only_when_documented_so() {
        for (status, state) in [
            ("completed", State::Completed),
            ("SUCCEEDED", State::Completed),
            ("failed", State::Failed),
            ("FAILED", State::Failed),
            ("cancelled", State::Cancelled),
            ("CANCELED", State::Cancelled),
            ("queued", State::Running),
            ("in_progress", State::Running),
            ("PENDING", State::Running),
            ("RUNNING", State::Running),
            ("processing", State::Running),
            ("", State::Running),
        ] {
            assert_eq!(state_of(status), state, "{status:?}");
        }
    }

    #[test]
    fn reads_the_gateways_task_object() {
        let queued = from_gateway(&json!({"id": "video_task_ab", "object": "video", "status": "queued"})).unwrap();
        assert_eq!((queued.id.as_str(), &queued.state, queued.url), ("video_task_ab", &State::Running, None));
        let running = from_gateway(&json!({"id": "t", "status": "in_progress", "progress": "40%"})).unwrap();
        assert_eq!(running.progress.as_deref(), Some("40%"));
        assert_eq!(from_gateway(&json!({"id": "t", "progress": 0.4})).unwrap().progress.as_deref(), Some("40%"));
        assert_eq!(from_gateway(&json!({"id": "t", "progress": 65})).unwrap().progress.as_deref(), Some("65%"));
        assert!(from_gateway(&json!({"status": "queued"})).is_none(), "no id, no task");
    }

    #[test]
    fn finds_the_clip_in_every_answer_form_of_the_contract() {
        let url = |body: Value| from_gateway(&body).unwrap().url;
        let done = |result: Value| json!({"id": "t", "status": "completed", "result": result});
        let clip = Some("https://cdn/v.mp4".to_string());
        assert_eq!(url(done(json!({"output": {"task_status": "SUCCEEDED", "video_url": "https://cdn/v.mp4"}}))), clip);
        assert_eq!(url(done(json!({"data": {"content": [{"type": "video", "url": "https://cdn/v.mp4"}]}}))), clip);
        assert_eq!(url(done(json!({"content": {"video_url": "https://cdn/v.mp4"}}))), clip);
        let named = json!({"cover_url": "https://cdn/c.png", "clip": {"videoUrl": "https://cdn/v.mp4"}});
        assert_eq!(url(done(named)), clip);
        assert_eq!(url(done(json!({"files": [{"url": "https://cdn/v.mp4"}]}))), clip);
        assert_eq!(url(json!({"id": "t", "status": "completed", "video_url": "https://cdn/v.mp4"})), clip);
        assert_eq!(url(json!({"id": "t", "status": "completed", "url": "https://cdn/v.mp4"})), clip);
        // the vendor's own URL wins over one at the top
        let both = json!({"id": "t", "status": "completed", "url": "https://gw/x",
                          "result": {"output": {"video_url": "https://cdn/v.mp4"}}});
        assert_eq!(url(both), clip);
        assert_eq!(url(done(json!({"output": {"video_url": "not a url"}}))), None);
    }

    #[test]
    fn reads_a_failure_from_every_place_it_may_be() {
        let failed = from_gateway(&json!({"id": "t", "status": "failed",
            "error": {"code": "InvalidParameter", "message": "Field required: input.media"}}))
        .unwrap();
        assert_eq!(failed.state, State::Failed);
        assert_eq!(failed.code.as_deref(), Some("InvalidParameter"));
        let inner = from_gateway(&json!({"id": "t", "status": "in_progress",
            "result": {"output": {"task_status": "FAILED", "code": "DataInspectionFailed", "message": "no"}}}))
        .unwrap();
        assert_eq!((inner.state, inner.code.as_deref()), (State::Failed, Some("DataInspectionFailed")));
        let text = from_gateway(&json!({"id": "t", "status": "failed", "error": "quota"})).unwrap();
        assert_eq!(text.message.as_deref(), Some("quota"));
    }

    #[test]
    fn reads_the_dashscope_answers() {
        let created = json!({"output": {"task_id": "0385dc79", "task_status": "PENDING"}, "request_id": "4909100c"});
        let task = from_dashscope(&created).unwrap();
        assert_eq!((task.id.as_str(), &task.state, task.status.as_str()), ("0385dc79", &State::Running, "PENDING"));
        let done =
            json!({"output": {"task_id": "0385dc79", "task_status": "SUCCEEDED", "video_url": "https://oss/v.mp4"}});
        assert_eq!(from_dashscope(&done).unwrap().url.as_deref(), Some("https://oss/v.mp4"));
        let failed = json!({"output": {"task_id": "x", "task_status": "FAILED", "code": "InvalidParameter",
                            "message": "Field required: input.media"}});
        let failed = from_dashscope(&failed).unwrap();
        assert_eq!((failed.state, failed.message.as_deref()), (State::Failed, Some("Field required: input.media")));
        let unknown = json!({"output": {"task_id": "nope", "task_status": "UNKNOWN"}});
        assert_eq!(from_dashscope(&unknown).unwrap().state, State::Unknown);
        assert!(from_dashscope(&json!({"code": "InvalidApiKey"})).is_none());
    }
}

//! Tool results: a short text, `structuredContent` with the `--json` fields, one
//! `resource_link` per saved file; a failure is the same, marked `isError`, never a crash.

use std::io::Read;
use std::path::Path;

use reqwest::Url;
use rmcp::model::{CallToolResult, ContentBlock, Resource};
use serde_json::{Value, json};

use crate::catalogue::money;
use crate::error::{Error, clean};
use crate::files::format::ImageFormat;
use crate::files::video_format::VideoFormat;
use crate::outcome::Outcome;

/// The result of a run of `generate_image` or `edit_image`: its `--json` object (one per
/// prompt; a tool call has one), a link per saved file, and an error when the outcome
/// was not a success (some or all images missing).
pub fn of_run(outcome: Outcome, mut results: Vec<Value>) -> CallToolResult {
    let structured = match results.len() {
        1 => results.remove(0),
        _ => json!({ "results": results }),
    };
    let prompts: Vec<&Value> = match structured.get("results") {
        Some(Value::Array(all)) => all.iter().collect(),
        _ => vec![&structured],
    };
    let mut lines = Vec::new();
    let mut links = Vec::new();
    for result in &prompts {
        // In name order: the files land (and the JSON lists them) as their downloads end.
        let mut paths: Vec<&str> = images(result).filter_map(|image| image["path"].as_str()).collect();
        paths.sort_unstable();
        let count = paths.len();
        lines.push(format!(
            "saved {count} image{} · {} · {}",
            if count == 1 { "" } else { "s" },
            result["model"].as_str().unwrap_or("?"),
            describe_cost(&result["cost"], &result["charged"])
        ));
        lines.extend(paths.iter().map(|p| p.to_string()));
        if let Some(error) = result.get("error").filter(|e| !e.is_null()) {
            lines.push(format!("error ({}): {}", error["kind"].as_str().unwrap_or("other"), text(&error["message"])));
        }
        for unsaved in result["unsaved"].as_array().into_iter().flatten() {
            let url = unsaved["url"].as_str().map_or_else(|| "(base64)".to_string(), clean);
            lines.push(format!("not saved, paid for: {url}: {}", text(&unsaved["message"])));
        }
        if outcome != Outcome::Success
            && let Some(run) = result["run"].as_str()
        {
            lines.push(format!("the journal has it as run {run}: `wan resume {run}` fetches what was paid for"));
        }
        links.extend(paths.iter().filter_map(|path| link(Path::new(path))));
    }
    finish(outcome, &lines, links, structured)
}

/// The result of a video tool: each task's `--json` object (id, model, state, path, url,
/// cost, error), a link to a saved clip; an error when the command failed.
pub fn of_task(outcome: Outcome, mut results: Vec<Value>) -> CallToolResult {
    let structured = match results.len() {
        1 => results.remove(0),
        _ => json!({ "tasks": results }),
    };
    let tasks: Vec<&Value> = match structured.get("tasks") {
        Some(Value::Array(all)) => all.iter().collect(),
        _ => vec![&structured],
    };
    let mut lines = Vec::new();
    let mut links = Vec::new();
    for task in tasks {
        let state = task["state"].as_str().unwrap_or("unknown");
        // What is known of the task: a task the service does not know has no model.
        let known: Vec<String> = [text(&task["id"]), text(&task["model"]), state]
            .iter()
            .filter(|part| !part.is_empty())
            .map(|part| clean(part))
            .collect();
        lines.push(format!("task {}", known.join(" · ")));
        if let Some(path) = task["path"].as_str() {
            lines.push(path.to_string());
            links.extend(link(Path::new(path)));
        }
        if let Some(error) = task.get("error").filter(|e| !e.is_null()) {
            lines.push(format!("error ({}): {}", error["kind"].as_str().unwrap_or("other"), text(&error["message"])));
        } else if state == "running" {
            lines.push("still running at the service: call video_status again in a little while".to_string());
        }
    }
    finish(outcome, &lines, links, structured)
}

/// The text, the links, and the structured content; an error unless the outcome is a success.
fn finish(outcome: Outcome, lines: &[String], links: Vec<ContentBlock>, structured: Value) -> CallToolResult {
    let mut content = vec![ContentBlock::text(lines.join("\n"))];
    content.extend(links);
    let mut result = match outcome {
        Outcome::Success => CallToolResult::success(content),
        Outcome::Failed(_) => CallToolResult::error(content),
    };
    result.structured_content = Some(structured);
    result
}

/// A failure before or instead of a run: the CLI's message and kind, and its hint.
pub fn of_error(error: &Error) -> CallToolResult {
    let mut text = format!("error ({}): {error}", error.kind.name());
    if let Some(hint) = &error.hint {
        text.push_str(&format!("\nhint: {}", clean(hint)));
    }
    let mut result = CallToolResult::error(vec![ContentBlock::text(text)]);
    result.structured_content = Some(json!({
        "error": error.to_json(),
        "hint": error.hint.as_deref().map(clean),
    }));
    result
}

/// A plain answer (`list_models`, `balance`): its text, and its fields as structured content.
pub fn of_value(text: String, value: Value) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result
}

fn images(result: &Value) -> impl Iterator<Item = &Value> {
    result["images"].as_array().into_iter().flatten()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// `2 × $0.030 = $0.060`, or what is known of it.
/// The cost as the CLI's line says it: what the service charged, and the list price beside
/// it where the two differ (`charged $0.000 (list 2 × $0.030 = $0.060)`).
fn describe_cost(cost: &Value, charged: &Value) -> String {
    let micros = |v: &Value| v.as_f64().map(|x| (x * 1_000_000.0).round() as money::Micros);
    let usd = |v: &Value| micros(v).map(money::format_usd);
    let count = cost["count"].as_u64().unwrap_or(0);
    // `total` is what was charged where the service said; the list price is count × each.
    let list = micros(&cost["per_image"]).map(|each| money::format_usd(each.saturating_mul(count)));
    match (usd(&cost["per_image"]), usd(&cost["total"])) {
        (_, _) if count == 0 => "nothing billed".to_string(),
        (Some(each), Some(total)) => match (micros(charged), list) {
            (Some(paid), Some(list)) if money::format_usd(paid) != list => {
                format!("charged {} (list {count} × {each} = {list})", money::format_usd(paid))
            }
            _ => format!("{count} × {each} = {total}"),
        },
        (None, Some(total)) => format!("{count} billed, {total}"),
        (_, None) => format!("{count} billed, cost unknown"),
    }
}

/// A `resource_link` to a saved file: its `file://` URI, name, MIME type (from its first
/// bytes, as `wan` names files: an image's, or a video's `video/mp4`, `video/quicktime`,
/// `video/webm`) and size.
fn link(path: &Path) -> Option<ContentBlock> {
    let uri = Url::from_file_path(path).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut resource = Resource::new(uri.to_string(), name);
    let mut head = [0u8; 64];
    if let Ok(mut file) = std::fs::File::open(path) {
        let read = file.read(&mut head).unwrap_or(0);
        let head = &head[..read];
        let mime =
            ImageFormat::sniff(head).map(ImageFormat::mime).or_else(|| VideoFormat::sniff(head).map(VideoFormat::mime));
        if let Some(mime) = mime {
            resource = resource.with_mime_type(mime);
        }
        if let Ok(meta) = file.metadata() {
            resource = resource.with_size(meta.len());
        }
    }
    Some(ContentBlock::resource_link(resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn costs_are_described_from_the_json_fields() {
        let list = json!({"per_image": 0.03, "count": 2, "total": 0.06});
        assert_eq!(describe_cost(&list, &Value::Null), "2 × $0.030 = $0.060");
        assert_eq!(describe_cost(&list, &json!(0.06)), "2 × $0.030 = $0.060");
        // As `wan generate --json` has it offline: the total is what was charged.
        let free = json!({"per_image": 0.03, "count": 2, "total": 0.0});
        assert_eq!(describe_cost(&free, &json!(0.0)), "charged $0.000 (list 2 × $0.030 = $0.060)");
        let unknown = json!({"per_image": null, "count": 1, "total": null});
        assert_eq!(describe_cost(&unknown, &Value::Null), "1 billed, cost unknown");
        let none = json!({"per_image": 0.03, "count": 0, "total": 0.0});
        assert_eq!(describe_cost(&none, &Value::Null), "nothing billed");
    }

    #[test]
    fn a_task_line_leaves_out_what_is_not_known() {
        let result = of_task(
            Outcome::Failed(Kind::Rejected),
            vec![json!({"id": "video_task_x", "model": null, "state": "unknown"})],
        );
        let text = result.content[0].as_text().unwrap().text.clone();
        assert_eq!(text.lines().next(), Some("task video_task_x · unknown"));
    }

    #[test]
    fn a_saved_video_is_linked_with_its_mime_type() {
        let dir = tempfile::tempdir().unwrap();
        for (name, head, mime) in [
            ("a.mp4", &b"\0\0\0\x18ftypisom\0\0\x02\0isommp41"[..], "video/mp4"),
            ("b.mov", b"\0\0\0\x14ftypqt  \0\0\0\0qt  ", "video/quicktime"),
            ("c.webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", "video/webm"),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, head).unwrap();
            let link = link(&path).unwrap();
            assert_eq!(link.as_resource_link().unwrap().mime_type.as_deref(), Some(mime), "{name}");
        }
    }

    #[test]
    fn an_error_keeps_the_cli_message_kind_and_hint() {
        let error = Error::new(Kind::Usage, "this run would cost $0.600").with_hint("ask for fewer");
        let result = of_error(&error);
        assert_eq!(result.is_error, Some(true));
        let structured = result.structured_content.unwrap();
        assert_eq!(structured["error"]["kind"], "usage");
        assert_eq!(structured["error"]["message"], "this run would cost $0.600");
        assert_eq!(structured["hint"], "ask for fewer");
        assert!(result.content[0].as_text().unwrap().text.starts_with("error (usage): this run would cost"));
    }
}

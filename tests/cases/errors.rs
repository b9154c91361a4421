//! Errors: each failure's exit code and message, said once with a hint; bad input and doomed requests send nothing.

use std::fs;

use serde_json::{Value, json};

use crate::support::raw::GateServer;
use crate::support::*;

#[test]
fn bad_arguments_are_usage_errors_and_send_nothing() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("file.txt"), "not a folder").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "   "], "the prompt is empty"),
        (&["generate", "x", "-n", "0"], "invalid value '0' for '--count <N>': must be a whole number, 1 or more"),
        (&["generate", "x", "--pro", "--model", "wan2.7-image"], "--pro and --model"),
        (&["generate", "x", "-o", "file.txt"], "is not a directory"),
        (&["generate", "x", "--name", "../escape"], "path separator"),
        (&["generate", "x", "--name", ".."], "only dots"),
        (&["generate", "x", "--base-url", "api.aisa.one/v1"], "is not a URL"),
        (&["generate", "x", "--base-url", "ftp://h/v1"], "not an http or https URL"),
        (&["generate", "x", "--frobnicate"], "--frobnicate"),
    ];
    for (args, needle) in cases {
        assert_usage_error(&mut sb, args, needle);
    }
}

#[test]
fn a_missing_key_exits_3_with_a_hint_and_sends_nothing() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb.wan().env_remove("AISA_API_KEY").args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("AISA_API_KEY is not set"), "{stderr}");
    assert!(stderr.contains("hint: export AISA_API_KEY="), "{stderr}");
    api.assert();
}

/// Runs `wan generate x --retries 0` against an error answer; returns (exit code, stderr).
fn run_against(status: usize, body: serde_json::Value, expected_calls: usize) -> (i32, String) {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(status)
        .with_header("x-request-id", "req_hdr_err")
        .with_body(body.to_string())
        .expect(expected_calls)
        .create();
    let out = sb.wan().args(["generate", "x", "--retries", "0"]).output().unwrap();
    api.assert();
    assert!(stdout_of(&out).is_empty());
    assert!(sb.files(".").is_empty(), "{:?}", sb.files("."));
    (out.status.code().unwrap(), stderr_of(&out))
}

fn documented(code: &str, message: &str) -> serde_json::Value {
    json!({"error": {"type": "invalid_request_error", "code": code, "message": message, "request_id": "req_body_1"}})
}

#[test]
fn a_rejected_request_exits_4_naming_status_code_message_and_request_id() {
    let (code, stderr) =
        run_against(400, documented("invalid_parameter_error", "Input should be a valid list: messages[*].content"), 1);
    assert_eq!(code, 4);
    assert_eq!(
        stderr.trim_end(),
        "wan: error: the API rejected the request: HTTP 400 invalid_parameter_error: \
         Input should be a valid list: messages[*].content (request id req_body_1)"
    );
}

#[test]
fn each_status_maps_to_its_exit_code() {
    let cases = [
        (401, "invalid_api_key", 3),
        (403, "model_not_allowed", 3),
        (404, "openai_error", 4),
        (422, "content_policy_violation", 4),
        (500, "model_not_found", 4),
        (429, "rate_limit_exceeded", 5),
        (429, "quota_exceeded", 5),
        (500, "upstream_error", 6),
        (502, "no available channel", 6),
        (503, "upstream_unavailable", 6),
    ];
    for (status, api_code, exit) in cases {
        let (code, stderr) = run_against(status, documented(api_code, "something"), 1);
        assert_eq!(code, exit, "{status} {api_code}: {stderr}");
        assert!(stderr.contains(&format!("HTTP {status} {api_code}")), "{stderr}");
        assert!(stderr.contains("(request id req_body_1)"), "{stderr}");
    }
}

#[test]
fn the_header_request_id_is_used_when_the_body_has_none() {
    let (code, stderr) = run_against(404, json!({"message": "page not found"}), 1);
    assert_eq!(code, 4);
    assert!(stderr.contains("HTTP 404: page not found (request id req_hdr_err)"), "{stderr}");
}

#[test]
fn a_plain_text_error_body_is_shown_cut_and_cleaned() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(404)
        .with_body(format!("404 page not found\x1b[31m{}", "z".repeat(2000)))
        .create();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr.contains("HTTP 404: 404 page not found [31mzzz"), "{stderr}");
    assert!(!stderr.contains('\x1b'));
    assert!(stderr.len() < 500, "{}", stderr.len());
}

#[test]
fn an_answer_that_is_not_json_or_has_no_images_exits_1() {
    for body in ["<html>maintenance</html>".to_string(), json!({"choices": []}).to_string()] {
        let mut sb = Sandbox::new();
        sb.server.mock("POST", "/v1/chat/completions").with_body(&body).create();
        let out = sb.wan().args(["generate", "x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{body}");
        assert!(stderr_of(&out).contains("not what it documents"), "{}", stderr_of(&out));
    }
}

#[test]
fn an_image_that_cannot_be_downloaded_exits_7_and_prints_its_url() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/ok.png"), sb.url("/gone.png")]));
    sb.image("/ok.png", &png(1));
    sb.server.mock("GET", "/gone.png").with_status(404).create();

    let out = sb.wan().args(["generate", "x", "-n", "2"]).output().unwrap();

    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stdout_of(&out), "x-001.png\n");
    let stderr = stderr_of(&out);
    assert!(stderr.contains("download failed: HTTP 404"), "{stderr}");
    assert!(stderr.contains(&sb.url("/gone.png")), "{stderr}");
    assert!(stderr.ends_with("saved 1 of 2 images to ./ · wan2.7-image · 2 × $0.030 = $0.060\n"), "{stderr}");
    assert_eq!(sb.files("."), ["x-001.png"]);
}

#[test]
fn a_refused_key_or_a_spent_quota_stops_the_run() {
    for (status, code) in [(401, "invalid_api_key"), (429, "quota_exceeded")] {
        let mut sb = Sandbox::new();
        let refused = sb
            .server
            .mock("POST", "/v1/chat/completions")
            .with_status(status)
            .with_body(json!({"error": {"code": code, "message": "no"}}).to_string())
            .expect(1)
            .create();
        let out = sb.wan().args(["generate", "x", "-n", "12", "-j", "1"]).output().unwrap();
        assert_eq!(out.status.code(), Some(if status == 401 { 3 } else { 5 }));
        refused.assert();
    }
}

fn refusing(sb: &mut Sandbox, status: usize, body: serde_json::Value) -> mockito::Mock {
    sb.server.mock("POST", "/v1/chat/completions").with_status(status).with_body(body.to_string()).create()
}

#[test]
fn a_refused_key_is_said_once_with_how_many_requests_it_stopped() {
    // -n 16 is four requests of four; the gate holds each until all four are in flight
    let refusal = json!({"error": {"code": "invalid_api_key", "message": "bad key"}}).to_string().into_bytes();
    let gate = GateServer::start_with_status(4, 4, 401, refusal);
    let sb = Sandbox::new();
    let out = sb.wan().env("AISA_BASE_URL", gate.base()).args(["generate", "x", "-n", "16"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("the API refused the key").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("hint:").count(), 1, "{stderr}");
    assert!(stderr.ends_with("wan: the same error met 3 more requests\n"), "{stderr}");
    assert_eq!(gate.observed(), (4, 4));
}

#[test]
fn requests_after_a_refused_key_are_not_sent_and_counted_after_the_cause() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    let out = sb.wan().args(["generate", "x", "-n", "64", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("the API refused the key").count(), 1, "{stderr}");
    assert!(stderr.ends_with("wan: 15 requests not sent after it\n"), "{stderr}");
    assert!(stderr.find("the API refused the key").unwrap() < stderr.find("not sent").unwrap());
    api.expect(1).assert();
}

#[test]
fn a_batch_stopped_by_a_refused_key_says_so_once_not_once_a_prompt() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    let prompts: String = (1..=40).map(|i| format!("prompt {i}\n")).collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let out = sb.wan().args(["generate", "-f", "prompts.txt", "-j", "1", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().count(), 3, "the error, its hint, the count: {stderr}");
    assert!(stderr.ends_with("wan: 39 requests not sent after it\n"), "{stderr}");
    // Scripts still get a line for every prompt, each saying why.
    let lines: Vec<Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 40);
    assert!(lines[39]["error"]["message"].as_str().unwrap().starts_with("not sent, after another request failed"));
    // -v names each prompt not sent.
    let verbose = sb.wan().args(["generate", "-f", "prompts.txt", "-j", "1", "-v"]).output().unwrap();
    assert_eq!(stderr_of(&verbose).matches("not sent, after another request failed").count(), 39);
    api.expect(2).assert();
}

#[test]
fn a_batch_stopped_by_a_refused_key_reports_every_prompt_with_its_kind() {
    let mut sb = Sandbox::new();
    refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    std::fs::write(sb.path("p.txt"), "one\ntwo\nthree\n").unwrap();
    let out = sb.wan().args(["generate", "-f", "p.txt", "-j", "1", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<serde_json::Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["error"]["kind"], "auth", "{line}");
    }
    assert!(lines[1]["error"]["message"].as_str().unwrap().starts_with("not sent, after another request failed"));
}

#[test]
fn an_unknown_model_stops_the_run_and_names_the_nearest_model() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 500, json!({"error": {"code": "model_not_found", "message": "model not found"}}));
    let out = sb.wan().args(["generate", "x", "-n", "40", "-m", "wan2.7-imag", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("does not serve the model wan2.7-imag").count(), 1, "{stderr}");
    assert!(stderr.contains("hint: did you mean wan2.7-image? `wan models` lists the models"), "{stderr}");
    assert!(!stderr.contains("ask AIsa support"), "{stderr}");
    assert!(stderr.contains("9 requests not sent after it"), "{stderr}");
    api.expect(1).assert();
}

#[test]
fn a_base_url_without_v1_hints_at_it() {
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/chat/completions").with_status(404).with_body("404 page not found").create();
    let out = sb.wan().env("AISA_BASE_URL", sb.server.url()).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("HTTP 404: 404 page not found"), "{stderr}");
    assert!(stderr.contains("does not end in /v1"), "{stderr}");
    // with /v1, a 404 is not blamed on the base URL
    sb.server.mock("POST", "/v1/chat/completions").with_status(404).with_body("404 page not found").create();
    let with_v1 = sb.wan().args(["generate", "x"]).output().unwrap();
    assert!(!stderr_of(&with_v1).contains("does not end in /v1"));
}

#[test]
fn a_model_name_with_its_end_left_off_is_suggested_whole() {
    // Issue 28: `gemini-3-pro-image` (the suffix left off) found no "did you mean".
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let out = crate::support::emulator::with_emulator(&sb, &emulator)
        .args(["generate", "a skyline", "-m", "gemini-3-pro-image"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("hint: did you mean gemini-3-pro-image-preview?"), "{stderr}");
}

/// Issue 28: different errors were merged under "the same error met 2 more requests",
/// printed after another error, and the prompts whose connection dropped after sending
/// (each may have been billed) were never named.
#[test]
fn only_identical_errors_are_merged_and_every_prompt_that_may_have_been_billed_is_named() {
    use crate::support::raw::{Fault, RawServer};
    let server = RawServer::start(vec![Fault::Drop, Fault::Status(400), Fault::Drop, Fault::Drop]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("p.txt"), "an owl\na fox\na cat\na dog\n").unwrap();
    let out = sb
        .wan()
        .env("AISA_BASE_URL", server.url("/v1"))
        .args(["generate", "-f", "p.txt", "-j", "1", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("wan: error:")).collect();
    assert_eq!(errors.len(), 2, "each error printed once: {stderr}");
    assert!(errors[0].contains("prompt 1 (\"an owl\"): the connection to 127.0.0.1"), "{stderr}");
    assert!(stderr.contains("prompt 2 (\"a fox\"): the API rejected the request: HTTP 400"), "{stderr}");
    for (n, prompt) in [(3, "a cat"), (4, "a dog")] {
        let named = format!("wan: prompt {n} (\"{prompt}\"): the same error as prompt 1: it may have been billed");
        assert!(stderr.contains(&named), "{named:?} in {stderr}");
    }
    // the closing count names the error it counts, not the one printed last
    let last = stderr.lines().last().unwrap();
    assert!(last.starts_with("wan: the error of prompt 1 (\"the connection to 127.0.0.1"), "{last}");
    assert!(last.ends_with("met 2 more requests, each of which may have been billed"), "{last}");
    assert!(!stderr.contains("the same error met"), "{stderr}");
}

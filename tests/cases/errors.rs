//! Exit codes and error messages: every failure names what failed, and bad input sends nothing.

use std::fs;

use serde_json::json;

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
fn bad_reference_images_are_usage_errors_naming_the_file() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.path("folder")).unwrap();
    fs::write(sb.path("empty.png"), b"").unwrap();
    fs::write(sb.path("notes.txt"), b"hello, this is text").unwrap();
    fs::write(sb.path("tiny.png"), png_sized(100, 300, 0)).unwrap();
    fs::write(sb.path("huge.png"), png_sized(9000, 300, 0)).unwrap();
    fs::write(sb.path("anim.gif"), b"GIF89a\x2c\x01\x2c\x01\x00\x00\x00").unwrap();
    fs::write(sb.path("ok.png"), png(0)).unwrap();
    let big = fs::File::create(sb.path("big.png")).unwrap();
    big.set_len(21 * 1024 * 1024).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["edit", "missing.png", "p"], "missing.png: no such file"),
        (&["edit", "folder", "p"], "folder: is a directory"),
        (&["edit", "empty.png", "p"], "empty.png: is empty"),
        (&["edit", "notes.txt", "p"], "notes.txt: is not a PNG, JPEG, WebP or BMP image"),
        (&["edit", "anim.gif", "p"], "anim.gif: is not a PNG, JPEG, WebP or BMP image"),
        (&["edit", "tiny.png", "p"], "tiny.png: is 100×300 px"),
        (&["edit", "huge.png", "p"], "huge.png: is 9000×300 px"),
        (&["edit", "big.png", "p"], "big.png: is 21.0 MB; the limit is 20 MB"),
        (
            &[
                "edit", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png",
                "ok.png", "p",
            ],
            "10 reference images given",
        ),
        (&["edit", "ok.png", ""], "the prompt is empty"),
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
fn html_in_place_of_an_image_is_refused_and_nothing_partial_is_left() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/expired.png")]));
    sb.server.mock("GET", "/expired.png").with_body("<!DOCTYPE html><html>Link expired</html>").create();
    let out = sb.wan().args(["generate", "x", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(stderr_of(&out).contains("returned an HTML page instead of an image"), "{}", stderr_of(&out));
    assert!(sb.files("out").is_empty(), "{:?}", sb.files("out"));
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

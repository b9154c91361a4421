//! The API key: checked before it is sent, sent to the API host only, never shown nor written down.

use mockito::Matcher;
use serde_json::json;

use crate::support::*;

fn assert_no_key(out: &std::process::Output) {
    let all = format!("{}{}", stdout_of(out), stderr_of(out));
    assert!(!all.contains(KEY) && !all.contains("5ecret"), "the key leaked: {all}");
}

#[test]
fn a_redirect_to_another_host_does_not_carry_the_key() {
    let mut sb = Sandbox::new();
    let mut elsewhere = mockito::Server::new();
    let redirect = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_status(307)
        .with_header("location", &format!("{}/v1/chat/completions", elsewhere.url()))
        .create();
    let keyless = elsewhere
        .mock("POST", "/v1/chat/completions")
        .match_header("authorization", Matcher::Missing)
        .with_status(401)
        .with_body(r#"{"error":{"code":"missing_api_key","message":"no key"}}"#)
        .expect(1)
        .create();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    redirect.assert();
    keyless.assert();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn the_key_never_shows_in_verbose_output_errors_or_help() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let verbose = sb.wan().args(["generate", "x", "-v"]).output().unwrap();
    let stderr = stderr_of(&verbose);
    assert!(stderr.contains("→ POST"), "{stderr}");
    assert!(stderr.contains("← HTTP 200 · request id req_hdr_1"), "{stderr}");

    let mut failing = Sandbox::new();
    failing
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(401)
        .with_body(r#"{"error":{"code":"invalid_api_key","message":"bad key"}}"#)
        .create();
    let error = failing.wan().args(["generate", "x", "-v"]).output().unwrap();

    let help = sb.wan().args(["generate", "--help"]).output().unwrap();
    let top_help = sb.wan().arg("--help").output().unwrap();
    for out in [&verbose, &error, &help, &top_help] {
        assert!(!stdout_of(out).contains(KEY) && !stderr_of(out).contains(KEY));
        assert!(!stdout_of(out).contains("5ecret"));
    }
    assert!(stdout_of(&help).contains("AISA_API_KEY"));
}

#[test]
fn a_key_echoed_by_the_server_is_never_shown_or_written() {
    let mut sb = Sandbox::new();
    let echo = json!({"error": {"code": "invalid_api_key",
        "message": format!("Incorrect API key provided: {KEY}. Sent Authorization: Bearer {KEY}"),
        "request_id": KEY}});
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(401)
        .with_header("x-request-id", KEY)
        .with_body(echo.to_string())
        .create();
    for extra in [&[][..], &["-q"], &["--json"], &["-v"]] {
        let out = sb.wan().args(["generate", "x"]).args(extra).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{extra:?}");
        assert!(stderr_of(&out).contains("Incorrect API key provided: [redacted]"), "{}", stderr_of(&out));
        assert_no_key(&out);
    }
}

#[test]
fn a_bearer_token_in_a_rejection_is_redacted() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(r#"{"error":{"code":"bad","message":"header was 'Bearer sk-other-TOKEN-123'"}}"#)
        .create();
    let out = sb.wan().args(["generate", "x", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let all = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(!all.contains("TOKEN-123"), "{all}");
    assert!(all.contains("Bearer [redacted]"), "{all}");
}

#[test]
fn the_journal_never_holds_the_key_even_when_the_server_echoes_it() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .match_body(mockito::Matcher::PartialJson(json!({"n": 1})))
        .with_status(400)
        .with_header("x-request-id", KEY)
        .with_body(
            json!({"error": {"code": "bad", "message": format!("key {KEY} refused"), "request_id": KEY}}).to_string(),
        )
        .create();
    sb.chat_when(json!({"n": 2}), &chat_answer(&[sb.url(&format!("/1.png?k={KEY}")), sb.url("/2.png")]), 1);
    sb.server.mock("GET", "/1.png").match_query(mockito::Matcher::Any).with_body(png(1)).create();
    sb.image("/2.png", &png(2));
    journaled(&sb).args(["generate", "x"]).assert().code(4);
    journaled(&sb).args(["generate", "x", "-n", "2"]).assert().code(0);
    let mut seen = 0;
    for name in ["wan.db", "wan.db-wal", "wan.db-shm"] {
        let Ok(bytes) = std::fs::read(sb.path("state").join(name)) else { continue };
        seen += 1;
        assert!(!bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "{name} holds the key");
        assert!(!bytes.windows(6).any(|w| w == b"5ecret"), "{name} holds part of the key");
    }
    assert!(seen >= 1);
}

#[test]
fn keys_that_cannot_be_keys_are_refused_before_sending() {
    let mut sb = Sandbox::new();
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    for bad in ["sk-aisa-…", "sk-aisa-ab\rcd", "sk-aisa ab"] {
        let out = sb.wan().env("AISA_API_KEY", bad).args(["generate", "x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{bad:?}");
        let stderr = stderr_of(&out);
        assert!(stderr.contains("the API key in AISA_API_KEY holds"), "{stderr}");
        assert!(!stderr.contains("connection"), "{stderr}");
    }
    api.assert();
}

#[test]
fn whitespace_around_the_key_is_trimmed() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    let out = sb.wan().env("AISA_API_KEY", format!("  {KEY}\r\n")).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
}

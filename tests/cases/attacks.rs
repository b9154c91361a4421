//! Attacks that once broke `wan`: a server echoing the key, absurd delays, huge bodies,
//! endless inputs, huge counts, odd keys, escape sequences, and running out of files.

use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use mockito::Matcher;
use serde_json::json;

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::*;

fn assert_no_key(out: &std::process::Output) {
    let all = format!("{}{}", stdout_of(out), stderr_of(out));
    assert!(!all.contains(KEY) && !all.contains("5ecret"), "the key leaked: {all}");
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
fn a_long_signed_url_is_printed_whole_for_the_user_to_fetch() {
    let mut sb = Sandbox::new();
    let signed = format!("/img.png?X-Amz-Signature={}&X-Amz-Expires=3600", "0123456789abcdef".repeat(32));
    sb.chat(&chat_answer(&[sb.url(&signed)]));
    sb.server.mock("GET", "/img.png").match_query(Matcher::Any).with_status(500).create();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = stderr_of(&out);
    assert!(stderr.contains(&sb.url(&signed)), "the URL must be whole: {stderr}");
}

#[test]
fn absurd_retry_after_values_end_the_run_cleanly_with_exit_5() {
    for (header, value) in [("retry-after", "1e20"), ("retry-after-ms", "1e300"), ("retry-after", "inf")] {
        let mut sb = Sandbox::new();
        let limited = sb
            .server
            .mock("POST", "/v1/chat/completions")
            .with_status(429)
            .with_header(header, value)
            .with_body(r#"{"error":{"code":"rate_limit_exceeded","message":"slow down"}}"#)
            .expect(2)
            .create();
        std::fs::write(sb.path("prompts.txt"), "one\ntwo\n").unwrap();
        let out = sb.wan().args(["generate", "-f", "prompts.txt", "-j", "1"]).output().unwrap();
        assert_eq!(out.status.code(), Some(5), "{header}: {value}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("try again later"), "{}", stderr_of(&out));
        // both prompts were tried: the first one's absurd delay did not end the batch
        limited.assert();
    }
}

#[test]
fn an_error_body_is_read_no_further_than_64_kib() {
    let sb = Sandbox::new();
    let (padded, told) = mpsc::channel();
    let head = br#"{"error":{"code":"boom","message":""#.to_vec();
    let tail = br#""}}"#.to_vec();
    let server = RawServer::start(vec![Fault::Padded { status: 500, head, pad: 500 << 20, tail, padded }]);
    let out =
        sb.wan().env("AISA_BASE_URL", server.url("/v1")).args(["generate", "x", "--retries", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    let taken = told.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(taken < 64 << 20, "wan went on reading a 500 MB error body: {taken} bytes taken");
}

/// Peak resident memory of a running process, in bytes (Linux only).
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

#[test]
fn padding_in_an_answer_is_skipped_not_held() {
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1));
    let (padded, told) = mpsc::channel();
    let head = br#"{"padding":""#.to_vec();
    let choices = json!([{"index": 0, "message": {"content": [{"type": "image", "image": sb.url("/1.png")}]}}]);
    let tail = format!(r#"","choices":{choices}}}"#).into_bytes();
    let server = RawServer::start(vec![Fault::Padded { status: 200, head, pad: 300 << 20, tail, padded }]);
    let child = sb
        .wan_process()
        .env("AISA_BASE_URL", server.url("/v1"))
        .args(["generate", "x"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sent = told.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(sent, 300 << 20, "the client stopped reading");
    let peak = peak_rss(child.id());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read(&sb.path("x-001.png")), png(1));
    if let Some(peak) = peak {
        assert!(peak < 100 << 20, "a 300 MB answer of padding took {} MB", peak >> 20);
    }
}

#[test]
fn endless_inputs_are_refused_before_anything_is_sent() {
    let sb = Sandbox::new();
    let cases: [&[&str]; 3] = [&["generate", "-f", "/dev/zero"], &["edit", "/dev/zero", "x"], &["generate", "-"]];
    for args in cases {
        let zero = std::fs::File::open("/dev/zero").unwrap();
        let mut child = sb.wan_process().args(args).stdin(zero).stderr(Stdio::piped()).spawn().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?}: still reading after 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
    }
}

#[test]
fn a_huge_count_is_refused_by_max_cost_at_once_and_previewed_by_dry_run() {
    let sb = Sandbox::new();
    let refused = sb
        .wan()
        .args(["generate", "x", "-n", "4294967295", "--max-cost", "5"])
        .timeout(Duration::from_secs(10))
        .output();
    let refused = refused.unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr_of(&refused).contains("more than --max-cost $5.000"), "{}", stderr_of(&refused));

    let dry =
        sb.wan().args(["generate", "x", "-n", "4294967295", "--dry-run"]).timeout(Duration::from_secs(10)).output();
    let dry = dry.unwrap();
    assert_eq!(dry.status.code(), Some(0));
    assert_eq!(stdout_of(&dry).matches("\"model\"").count(), 20, "a bounded preview");
    let stderr = stderr_of(&dry);
    assert!(stderr.contains("would send 1073741824 requests"), "{stderr}");
    assert!(stderr.contains("4294967295 × $0.030 = $128849018.850"), "{stderr}");
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

#[test]
fn urls_printed_on_interrupt_carry_no_escape_sequences() {
    let mut sb = Sandbox::new();
    let stall = RawServer::start(vec![Fault::Stall { body: png(2), sent: 30, for_: Duration::from_secs(60) }]);
    let hostile = format!("{}?x=\u{1b}[2J\u{1b}]0;pwned\u{7}", stall.url("/2.png"));
    sb.chat(&chat_answer(&[hostile]));
    let mut child = sb
        .wan_process()
        .args(["generate", "x", "-o", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out_dir = sb.path("out");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stall.requests() == 0 || !out_dir.exists() {
        assert!(std::time::Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let _ = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stderr = stderr_of(&out);
    assert!(stderr.contains(&stall.url("/2.png")), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}'), "{stderr:?}");
}

#[test]
fn a_byte_order_mark_and_a_first_line_comment_are_never_sent() {
    let mut sb = Sandbox::new();
    let only = sb.chat_when(
        json!({"messages": [{"content": [{"type": "text", "text": "red panda"}]}]}),
        &chat_answer(&[sb.url("/1.png")]),
        1,
    );
    sb.image("/1.png", &png(1));
    std::fs::write(sb.path("prompts.txt"), "\u{feff}# my prompts\r\nred panda\r\n").unwrap();
    let out = sb.wan().args(["generate", "-f", "prompts.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    only.assert();
}

#[test]
fn a_closed_stdout_is_no_failure_and_every_image_is_still_saved() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    let mut child = sb.wan_process().args(["generate", "x", "-n", "2"]).stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(sb.files("."), ["x-001.png", "x-002.png"]);
}

#[test]
fn a_stalled_download_gives_up_after_the_download_timeout() {
    let mut sb = Sandbox::new();
    let stall = RawServer::start(vec![Fault::Stall { body: png(2), sent: 30, for_: Duration::from_secs(120) }]);
    sb.chat(&chat_answer(&[stall.url("/2.png")]));
    let started = std::time::Instant::now();
    let out = sb.wan().args(["generate", "x", "--download-timeout", "1"]).timeout(Duration::from_secs(60)).output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    // four tries of 1 s and the backoff between them, far below the default 120 s
    assert!(started.elapsed() < Duration::from_secs(40), "{:?}", started.elapsed());
    assert!(stderr_of(&out).contains(&stall.url("/2.png")));
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

/// Runs `command` under a pseudo-terminal made by `script`, so stderr is a terminal.
fn in_a_terminal(sb: &Sandbox, env: &[(&str, &str)], command: &str) -> Option<String> {
    let script = std::process::Command::new("script").arg("--version").output().ok()?;
    if !script.status.success() {
        return None;
    }
    let wan = assert_cmd::cargo::cargo_bin!("wan");
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .current_dir(sb.dir.path())
        .env("AISA_API_KEY", KEY)
        .env("AISA_BASE_URL", sb.api_base())
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .args(["-qec", &format!("{} {command}", wan.display()), "/dev/null"]);
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color_or_a_dumb_terminal() {
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/v1/chat/completions").with_status(400).with_body("{}").create();
    let Some(coloured) = in_a_terminal(&sb, &[], "generate x") else {
        eprintln!("skipped: no `script` to make a terminal with");
        return;
    };
    assert!(coloured.contains("\u{1b}[1;31merror"), "{coloured:?}");
    for env in [("NO_COLOR", "1"), ("TERM", "dumb")] {
        let plain = in_a_terminal(&sb, &[env], "generate x").unwrap();
        assert!(plain.contains("error:") && !plain.contains("\u{1b}[1;31m"), "{env:?}: {plain:?}");
    }
    let piped = sb.wan().args(["generate", "x"]).output().unwrap();
    assert!(!stderr_of(&piped).contains('\u{1b}'));
}

#[test]
fn a_low_open_file_limit_loses_no_paid_image() {
    let emulator = Emulator::start(&["--download-latency", "300"]);
    let sb = Sandbox::new();
    let prompts: String = (0..32).map(|i| format!("prompt {i}\n")).collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let wan = assert_cmd::cargo::cargo_bin!("wan");
    let out = std::process::Command::new("sh")
        .env_clear()
        .current_dir(sb.dir.path())
        .env("AISA_API_KEY", KEY)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["-c", &format!("ulimit -n 256 && exec {} generate -f prompts.txt -n 8 -j 32 -o out", wan.display())])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sb.files("out").len(), 256);
}

#[test]
fn extra_images_are_saved_with_a_warning_since_they_were_billed() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png"), sb.url("/3.png")]));
    for (i, path) in ["/1.png", "/2.png", "/3.png"].iter().enumerate() {
        sb.image(path, &png(i as u8));
    }
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sb.files("."), ["x-001.png", "x-002.png", "x-003.png"]);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the service returned 3 images for the 1 asked for (2 extra)"), "{stderr}");
    assert!(stderr.contains("3 × $0.030 = $0.090"), "{stderr}");
}

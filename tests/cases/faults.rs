//! Faults at the service or on the machine: retries that never bill twice, cut connections, interrupts.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::Matcher;
use serde_json::json;

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::*;

fn rate_limited(sb: &mut Sandbox, retry_after: (&str, &str), hits: usize) -> mockito::Mock {
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(429)
        .with_header(retry_after.0, retry_after.1)
        .with_body(
            json!({"error": {"type": "rate_limit_error", "code": "rate_limit_exceeded", "message": "slow down"}})
                .to_string(),
        )
        .expect(hits)
        .create()
}

#[test]
fn a_503_is_retried_with_backoff_and_then_succeeds() {
    let mut sb = Sandbox::new();
    let failing = sb.server.mock("POST", "/v1/chat/completions").with_status(503).expect(1).create();
    let ok = sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    failing.assert();
    ok.assert();
    assert!(stderr_of(&out).contains("HTTP 503; retrying in"), "{}", stderr_of(&out));

    // under -q a retry that ends well says nothing
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/v1/chat/completions").with_status(503).with_header("retry-after", "0").expect(1).create();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let quiet = sb.wan().args(["generate", "x", "-q"]).output().unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr_of(&quiet), "");
}

#[test]
fn retry_after_in_seconds_is_honoured() {
    let mut sb = Sandbox::new();
    let limited = rate_limited(&mut sb, ("retry-after", "1"), 1);
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let started = Instant::now();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    limited.assert();
    assert!(started.elapsed() >= Duration::from_millis(950), "{:?}", started.elapsed());
    assert!(stderr_of(&out).contains("retrying in 1.0 s (1 of 2)"), "{}", stderr_of(&out));
}

#[test]
fn retry_after_ms_is_honoured() {
    let mut sb = Sandbox::new();
    let limited = rate_limited(&mut sb, ("retry-after-ms", "1300"), 1);
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let started = Instant::now();
    sb.wan().args(["generate", "x"]).assert().code(0);
    limited.assert();
    assert!(started.elapsed() >= Duration::from_millis(1250));
}

#[test]
fn a_wait_over_sixty_seconds_is_not_taken_and_says_when_to_try_again() {
    let mut sb = Sandbox::new();
    let limited = rate_limited(&mut sb, ("retry-after", "120"), 1);
    let started = Instant::now();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    limited.assert();
    assert!(started.elapsed() < Duration::from_secs(30));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("HTTP 429 rate_limit_exceeded: slow down"), "{stderr}");
    assert!(stderr.contains("the service asks to wait 120 s, longer than wan waits; try again after"), "{stderr}");
    assert!(stderr.contains(" GMT"), "{stderr}");
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
fn rate_limits_exhaust_the_retries_and_exit_5() {
    let mut sb = Sandbox::new();
    let limited = rate_limited(&mut sb, ("retry-after", "0"), 3);
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5));
    limited.assert();
}

#[test]
fn retries_can_be_turned_off_and_raised() {
    let mut sb = Sandbox::new();
    let once = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(502)
        .with_header("retry-after", "0")
        .expect(1)
        .create();
    sb.wan().args(["generate", "x", "--retries", "0"]).assert().code(6);
    once.assert();
    let mut sb = Sandbox::new();
    let four = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(500)
        .with_header("retry-after", "0")
        .expect(4)
        .create();
    sb.wan().args(["generate", "x", "--retries", "3"]).assert().code(6);
    four.assert();
}

#[test]
fn permanent_errors_are_never_retried() {
    for (status, code, exit) in [
        (500, "model_not_found", 4),
        (429, "quota_exceeded", 5),
        (400, "invalid_parameter_error", 4),
        (401, "invalid_api_key", 3),
        (403, "region_blocked", 3),
        (404, "openai_error", 4),
        (422, "unsupported_parameter", 4),
    ] {
        let mut sb = Sandbox::new();
        let api = sb
            .server
            .mock("POST", "/v1/chat/completions")
            .with_status(status)
            .with_header("retry-after", "0")
            .with_body(json!({"error": {"code": code, "message": "no"}}).to_string())
            .expect(1)
            .create();
        sb.wan().args(["generate", "x", "--retries", "5"]).assert().code(exit);
        api.assert();
    }
}

#[test]
fn a_connection_that_cannot_be_made_is_retried_then_exits_6() {
    let sb = Sandbox::new();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let out = sb
        .wan()
        .args(["generate", "x", "--retries", "1", "--base-url", &format!("http://127.0.0.1:{closed_port}/v1")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("could not connect to 127.0.0.1"), "{stderr}");
    assert!(stderr.contains("retrying in"), "{stderr}");
}

#[test]
fn a_timeout_is_not_retried_and_warns_of_billing() {
    let server = RawServer::start(vec![Fault::Silence(Duration::from_secs(20))]);
    let sb = Sandbox::new();
    let out = sb.wan().args(["generate", "x", "--timeout", "1", "--base-url", &server.url("/v1")]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(server.requests(), 1);
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains(&format!(
            "no answer from 127.0.0.1:{} within 1 s; the images may have been made and billed",
            server.port
        )),
        "{stderr}"
    );
}

#[test]
fn a_connection_dropped_after_sending_is_not_retried() {
    let server = RawServer::start(vec![Fault::Drop]);
    let sb = Sandbox::new();
    let out = sb.wan().args(["generate", "x", "--base-url", &server.url("/v1")]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(server.requests(), 1);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("was lost after the request was sent"), "{stderr}");
    assert!(stderr.contains("may have been made and billed"), "{stderr}");
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

#[test]
fn downloads_are_retried_on_their_own_transient_failures() {
    let mut sb = Sandbox::new();
    let flaky = sb.server.mock("GET", "/1.png").with_status(503).expect(1).create();
    sb.image("/1.png", &png(1));
    let cut = RawServer::start(vec![
        Fault::CutShort { body: png(2), sent: 20 },
        Fault::CutShortUndelimited { body: png(2), sent: 40 },
        Fault::Serve(png(2)),
    ]);
    sb.chat(&chat_answer(&[sb.url("/1.png"), cut.url("/2.png")]));
    let out = sb.wan().args(["generate", "x", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    flaky.assert();
    assert_eq!(cut.requests(), 3);
    assert_eq!(read(&sb.path("x-001.png")), png(1));
    assert_eq!(read(&sb.path("x-002.png")), png(2));
}

#[test]
fn a_failed_image_does_not_stop_the_others() {
    let mut sb = Sandbox::new();
    let cut = RawServer::start(vec![Fault::CutShortUndelimited { body: png(2), sent: 40 }]);
    sb.chat(&chat_answer(&[sb.url("/1.png"), cut.url("/2.png"), sb.url("/3.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/3.png", &png(3));
    let out = sb.wan().args(["generate", "x", "-n", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(sorted_lines(&out), ["x-001.png", "x-003.png"]);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the download was cut short"), "{stderr}");
    assert!(stderr.contains(&cut.url("/2.png")), "{stderr}");
    assert_eq!(sb.files("."), ["x-001.png", "x-003.png"]);
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
fn an_endless_download_is_capped_and_leaves_nothing() {
    let mut sb = Sandbox::new();
    let endless = RawServer::start(vec![Fault::Endless { head: png(1)[..16].to_vec() }]);
    sb.chat(&chat_answer(&[endless.url("/big.png")]));
    let out = sb.wan().args(["generate", "x", "-o", "o"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(stderr_of(&out).contains("returned over 100 MB; not an image"), "{}", stderr_of(&out));
    assert!(sb.files("o").is_empty(), "{:?}", sb.files("o"));
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
fn invalid_or_cut_base64_is_a_clear_error() {
    let whole = base64::engine::general_purpose::STANDARD.encode(png(1));
    for (image, needle) in [("@@not base64@@".to_string(), "not valid base64"), (whole[..40].to_string(), "cut short")]
    {
        let mut sb = Sandbox::new();
        sb.chat(&chat_answer(&[image]));
        let out = sb.wan().args(["generate", "x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(7));
        assert!(stderr_of(&out).contains(needle), "{}", stderr_of(&out));
        assert!(sb.files(".").is_empty());
    }
}

#[test]
fn a_broken_streamed_image_is_reported_and_the_others_are_saved() {
    let mut sb = Sandbox::new();
    let good = big_png(200_000, 4);
    let mut broken = STANDARD.encode(big_png(200_000, 5));
    broken.insert_str(100_000, "@@");
    let huge_text = STANDARD.encode(big_png(100_000, 6));
    let cut_short = huge_text[..huge_text.len() / 8 * 4].to_string();
    sb.chat(&chat_answer(&[STANDARD.encode(&good), broken, cut_short]));
    let out = sb.wan().args(["generate", "half", "-n", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("not valid base64"), "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
    assert_eq!(stdout_of(&out), "half-001.png\n");
    assert_eq!(read(&sb.path("half-001.png")), good);
    assert_eq!(sb.files("."), ["half-001.png"], "the broken images' part files are gone");
}

/// Reads a child's stdout lines on a thread, so the test can wait for one.
fn lines_of(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_interrupt_stops_at_once_keeps_whole_files_and_leaves_no_partial_one() {
    for signal in ["-INT", "-TERM"] {
        let mut sb = Sandbox::new();
        let stall = RawServer::start(vec![Fault::Stall { body: png(2), sent: 30, for_: Duration::from_secs(60) }]);
        sb.chat(&chat_answer(&[sb.url("/1.png"), stall.url("/2.png")]));
        sb.image("/1.png", &png(1));
        let mut child = sb
            .wan_process()
            .args(["generate", "x", "-n", "2", "-o", "out"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = lines_of(&mut child);
        let out_dir = sb.path("out");
        wait_for("the stalled download's part file", || out_dir.exists() && !part_files(&sb, "out").is_empty());
        assert_eq!(lines.recv_timeout(Duration::from_secs(20)).unwrap(), "out/x-001.png");

        let sent = Instant::now();
        let killed = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(killed.success());
        wait_for("wan to stop", || child.try_wait().unwrap().is_some());
        assert!(sent.elapsed() < Duration::from_secs(5), "{signal}: {:?}", sent.elapsed());

        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130), "{signal}");
        assert_eq!(sb.files("out"), ["x-001.png"], "{signal}");
        assert_eq!(read(&out_dir.join("x-001.png")), png(1));
        let stderr = stderr_of(&output);
        assert!(stderr.contains("interrupted"), "{stderr}");
        assert!(stderr.contains(&stall.url("/2.png")), "the unsaved paid image's URL is printed: {stderr}");
    }
}

#[test]
fn an_interrupt_saves_an_image_decoded_before_it_was_numbered() {
    let sb = Sandbox::new();
    let first = big_png(300_000, 7);
    let second = STANDARD.encode(big_png(300_000, 8));
    let answer = chat_answer(&[STANDARD.encode(&first), second.clone()]).to_string();
    // The answer stops partway through the second image and hangs there.
    let sent = answer.find(&second).unwrap() + second.len() / 2;
    let stall = RawServer::start(vec![Fault::Stall { body: answer.into_bytes(), sent, for_: Duration::from_secs(60) }]);
    let mut child = sb
        .wan_process()
        .env("AISA_BASE_URL", stall.url("/v1"))
        .args(["generate", "x", "-n", "2", "-o", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second image's part file is made once the first is whole in its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(sb.path("out").exists() && part_files(&sb, "out").len() == 2) {
        assert!(Instant::now() < deadline, "no part files: {:?}", sb.path("out").exists().then(|| sb.files("out")));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "wan did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let files = sb.files("out");
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("interrupted-") && files[0].ends_with(".png"), "{files:?}");
    assert_eq!(read_raw(&sb.path("out").join(&files[0])), first, "whole, as the service sent it");
    let stderr = stderr_of(&output);
    let saved = sb.path("out").join(&files[0]);
    assert!(stderr.contains(&format!("paid for, saved before it was numbered: {}", saved.display())), "{stderr}");
    assert!(stderr.contains("1 request had been sent and not answered"), "{stderr}");
}

/// `wan generate x` interrupted while its request waits on a server that never answers;
/// `journal` gives it a state folder.
fn interrupted_while_waiting(journal: bool) -> std::process::Output {
    let server = RawServer::start(vec![Fault::Silence(Duration::from_secs(60))]);
    let sb = Sandbox::new();
    let mut wan = sb.wan_process();
    if journal {
        wan.env("WAN_STATE_DIR", sb.path("state"));
    }
    let mut child = wan
        .args(["generate", "x", "--base-url", &server.url("/v1")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the request to reach the server", || server.requests() == 1);
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    wait_for("wan to stop", || child.try_wait().unwrap().is_some());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    output
}

#[test]
fn an_interrupt_while_waiting_for_the_service_warns_of_billing() {
    let output = interrupted_while_waiting(false);
    assert!(
        stderr_of(&output)
            .contains("1 request had been sent and not answered; its images may have been made and billed")
    );
}

#[test]
fn an_interrupt_points_to_resume_when_the_journal_has_work_for_it() {
    let stderr = stderr_of(&interrupted_while_waiting(true));
    assert!(stderr.contains("`wan resume` fetches what was paid for and sends what was not sent"), "{stderr}");
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
fn a_file_size_limit_is_an_io_failure_that_prints_the_urls_not_a_silent_death() {
    let emulator = Emulator::start(&["--size", "256x256", "--noise"]);
    let sb = Sandbox::new();
    // `ulimit -f 8`: 4 KiB (512-byte blocks), less than one noisy 256×256 PNG.
    for journal in [&["--no-journal"][..], &[][..]] {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -f 8; exec \"$@\"")
            .arg("sh")
            .arg(assert_cmd::cargo::cargo_bin!("wan"))
            .args(["generate", "red panda", "-n", "2", "-o", "out"])
            .args(journal)
            .env_clear()
            .env("AISA_API_KEY", KEY)
            .env("AISA_BASE_URL", &emulator.base)
            .env("WAN_STATE_DIR", sb.path("state"))
            .current_dir(sb.dir.path())
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(7), "partial, not killed by SIGXFSZ: {:?} {stderr}", out.status);
        assert_eq!(stderr.matches("it is paid for; fetch it while the link lives: http://").count(), 2, "{stderr}");
        assert!(stderr.contains("File too large"), "{stderr}");
        assert!(part_files(&sb, "out").is_empty(), "nothing half-written is left: {:?}", sb.files("out"));
    }
}

#[test]
fn a_prompt_of_control_characters_alone_is_refused_before_sending() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb.wan().args(["generate", "-"]).write_stdin("\0\u{1b}\n").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("only control characters"), "{}", stderr_of(&out));
    std::fs::write(sb.path("prompts.txt"), "a fox\n\0\nan owl\n").unwrap();
    let batch = sb.wan().args(["generate", "-f", "prompts.txt"]).output().unwrap();
    assert_eq!(batch.status.code(), Some(2));
    assert!(stderr_of(&batch).contains("line 2 of prompts.txt holds no text"), "{}", stderr_of(&batch));
    api.assert();
}

#[test]
fn a_url_wan_will_not_fetch_is_printed_and_journaled_not_called_bad_base64() {
    let mut sb = Sandbox::new();
    let urls = ["file:///etc/passwd", "ftp://h/x.png", "javascript:alert(1)"];
    let data: Vec<_> = urls.iter().map(|u| json!({"url": u})).collect();
    let api = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_header("content-type", "application/json")
        .with_body(json!({"created": 1, "data": data}).to_string())
        .create();
    let out = journaled(&sb).args(["generate", "x", "-m", "gpt-image-2", "-n", "3", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("the answer gave a URL wan will not fetch").count(), 3, "{stderr}");
    assert!(!stderr.contains("base64"), "{stderr}");
    for url in urls {
        assert!(stderr.contains(url), "{url} printed: {stderr}");
    }
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    let kept: Vec<String> = db
        .prepare("SELECT source FROM images ORDER BY position")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kept, urls);
    api.assert();
}

/// Where in `body` the first `whole` images end (the quote after the `n`th image string).
fn after_image(body: &str, needle: &str, whole: usize) -> usize {
    let mut at = 0;
    for _ in 0..whole {
        at += body[at..].find(needle).unwrap() + needle.len();
        at += body[at..].find('"').unwrap() + 1;
    }
    at
}

#[test]
fn an_answer_cut_after_a_whole_link_saves_it_and_says_the_rest_may_be_billed() {
    let mut sb = Sandbox::new();
    let image = sb.server.mock("GET", "/1.png").with_body(png(1)).expect_at_least(1).create();
    let urls: Vec<String> = (1..=4).map(|i| sb.url(&format!("/{i}.png"))).collect();
    let body = chat_answer(&urls).to_string();
    let whole = after_image(&body, "\"image\":\"", 1);
    // Cut right after the first link, in the second, and further on; with and without a
    // Content-Length (a close-delimited body ends as if it were whole).
    for (cut, delimited) in [(whole, true), (whole + 20, true), (body.find("/2.png").unwrap(), false)] {
        let fault = if delimited {
            Fault::CutShort { body: body.clone().into_bytes(), sent: cut }
        } else {
            Fault::CutShortUndelimited { body: body.clone().into_bytes(), sent: cut }
        };
        let api = RawServer::start(vec![fault]);
        let dir = format!("out{cut}");
        let out = journaled(&sb)
            .env("AISA_BASE_URL", api.url("/v1"))
            .args(["generate", "x", "-n", "4", "-o", &dir])
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(7), "cut at {cut}: {stderr}");
        assert!(stderr.contains("broke off after 1 whole image of up to 4") && stderr.contains("may have"), "{stderr}");
        assert_eq!(sb.files(&dir), ["x-001.png"], "cut at {cut}");
        assert_eq!(api.requests(), 1, "never sent again");
    }
    image.assert();
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    let saved: i64 = db.query_row("SELECT count(*) FROM images WHERE state = 'saved'", [], |r| r.get(0)).unwrap();
    assert_eq!(saved, 3, "each run's whole link is in the journal");
}

#[test]
fn an_answer_cut_after_two_whole_base64_images_saves_both() {
    let sb = Sandbox::new();
    let images: Vec<String> =
        (1..=4).map(|i| format!("data:image/png;base64,{}", STANDARD.encode(big_png(20_000, i)))).collect();
    let chat = chat_answer(&images).to_string();
    let b64_json: Vec<_> = (1..=4).map(|i| json!({"b64_json": STANDARD.encode(big_png(20_000, i))})).collect();
    let gpt = json!({"created": 1, "data": b64_json}).to_string();
    for (body, needle, model) in [(chat, "\"image\":\"", "wan2.7-image"), (gpt, "\"b64_json\":\"", "gpt-image-2")] {
        let cut = after_image(&body, needle, 2) + 100;
        let api = RawServer::start(vec![Fault::CutShort { body: body.into_bytes(), sent: cut }]);
        let dir = format!("out-{model}");
        let out = sb
            .wan()
            .env("AISA_BASE_URL", api.url("/v1"))
            .args(["generate", "x", "-n", "4", "-m", model, "-o", &dir])
            .output()
            .unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(7), "{model}: {stderr}");
        assert!(stderr.contains("broke off after 2 whole images of up to 4"), "{stderr}");
        assert_eq!(sb.files(&dir), ["x-001.png", "x-002.png"], "{model}");
        assert_eq!(strip_provenance(read(&sb.path(&format!("{dir}/x-002.png")))), big_png(20_000, 2));
    }
}

#[test]
fn a_close_delimited_answer_cut_before_any_image_says_it_may_have_been_billed() {
    let sb = Sandbox::new();
    let body = chat_answer(&[sb.url("/1.png")]).to_string();
    let api = RawServer::start(vec![Fault::CutShortUndelimited { body: body.clone().into_bytes(), sent: 40 }]);
    let out = sb.wan().env("AISA_BASE_URL", api.url("/v1")).args(["generate", "x"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("may have been made and billed") && !stderr.contains("not JSON"), "{stderr}");
}

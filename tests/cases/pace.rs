//! One rate-limit budget for every worker, proved on a server that records when requests
//! arrive: `--rpm` spacing, a 429 pausing every worker, an exhausted budget holding every
//! worker until its reset; and the emulator's `--rpm` with honest headers.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::blocking::{Client, Response};
use serde_json::json;

use crate::support::emulator::Emulator;
use crate::support::recording::{Answer, RecordingServer};
use crate::support::*;

/// A chat answer holding one small base64 PNG: nothing to download, so only the API
/// requests reach the server.
fn one_image() -> String {
    let png = base64::engine::general_purpose::STANDARD.encode(png(7));
    chat_answer(&[png]).to_string()
}

fn prompts(sb: &Sandbox, n: usize) -> String {
    let text: String = (1..=n).map(|i| format!("prompt {i}\n")).collect();
    fs::write(sb.path("prompts.txt"), text).unwrap();
    "prompts.txt".to_string()
}

/// `wan generate -f prompts.txt -j JOBS ARGS` against `base`, its journal in `state/`.
fn batch(sb: &Sandbox, base: &str, n: usize, jobs: &str, args: &[&str]) -> std::process::Output {
    let file = prompts(sb, n);
    let mut cmd = sb.wan();
    cmd.env("AISA_BASE_URL", base).env("WAN_STATE_DIR", sb.path("state"));
    cmd.args(["generate", "-f", &file, "-j", jobs, "-q", "-o", "out"]).args(args).output().unwrap()
}

/// Every gap between two arrivals is at least `at_least`.
fn spaced(server: &RecordingServer, at_least: Duration) -> bool {
    server.arrivals().windows(2).all(|pair| pair[1].at - pair[0].at >= at_least)
}

#[test]
fn rpm_spaces_request_starts_across_all_workers() {
    let sb = Sandbox::new();
    let server = RecordingServer::start(|_| Answer::ok(one_image()));
    // 120 a minute: one start every 500 ms, whichever of the four workers is free.
    let out = batch(&sb, &server.base(), 6, "4", &["--rpm", "120"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 6);
    assert!(arrivals.iter().all(|a| a.path == "/v1/chat/completions"), "{arrivals:?}");
    // 500 ms between starts; an arrival can lag its start by the time a request takes
    // to be written, so allow 100 ms of that.
    assert!(spaced(&server, Duration::from_millis(400)), "{arrivals:?}");

    // Without --rpm the four workers start together: the check above can fail.
    let unpaced = RecordingServer::start(|_| Answer::ok(one_image()));
    let out = batch(&sb, &unpaced.base(), 6, "4", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!spaced(&unpaced, Duration::from_millis(400)));
}

#[test]
fn resume_takes_rpm_too() {
    let sb = Sandbox::new();
    // The run's requests fail with a 503 (not billed, so a resume sends them again); once
    // the service is healthy, the resume's are answered.
    let healthy = Arc::new(AtomicBool::new(false));
    let server = RecordingServer::start({
        let healthy = Arc::clone(&healthy);
        move |_| match healthy.load(Ordering::SeqCst) {
            true => Answer::ok(one_image()),
            false => Answer { status: 503, ..Answer::ok(json!({"error": {"type": "upstream_error"}}).to_string()) },
        }
    });
    let out = batch(&sb, &server.base(), 4, "4", &["--retries", "0"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    healthy.store(true, Ordering::SeqCst);
    let before = server.arrivals().len();
    let resumed = sb
        .wan()
        .env("AISA_BASE_URL", server.base())
        .env("WAN_STATE_DIR", sb.path("state"))
        .args(["resume", "-q", "-j", "4", "--rpm", "120"])
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len() - before, 4, "{arrivals:?}");
    for pair in arrivals[before..].windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(400), "{arrivals:?}");
    }
}

#[test]
fn a_run_killed_while_it_waits_for_its_turn_leaves_nothing_of_unknown_outcome() {
    let sb = Sandbox::new();
    let server = RecordingServer::start(|_| Answer::ok(one_image()));
    let file = prompts(&sb, 3);
    // One a minute: the first request goes at once; the second worker then waits a
    // minute for its turn, and is killed while it waits.
    let mut child = sb
        .wan_process()
        .env("AISA_BASE_URL", server.base())
        .env("WAN_STATE_DIR", sb.path("state"))
        .args(["generate", "-f", &file, "-j", "2", "--rpm", "1", "-q", "-o", "out"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !sb.path("out").exists() || sb.files("out").iter().all(|f| f.ends_with(".part")) {
        assert!(Instant::now() < deadline, "the first prompt's image never came");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
    assert_eq!(server.arrivals().len(), 1, "only the first request was sent");

    // What waited was never sent: the resume sends it, and calls nothing unknown.
    let dry = sb
        .wan()
        .env("AISA_BASE_URL", server.base())
        .env("WAN_STATE_DIR", sb.path("state"))
        .args(["resume", "--dry-run"])
        .output()
        .unwrap();
    let plan = stdout_of(&dry);
    assert!(plan.contains("would send 2 requests"), "{plan}{}", stderr_of(&dry));
    assert!(!plan.contains("unknown outcome"), "{plan}");
}

#[test]
fn a_429_pauses_every_worker_not_only_the_one_that_met_it() {
    let sb = Sandbox::new();
    // The first request to arrive is refused with Retry-After: 1, once the second has
    // arrived. The second is held 300 ms, so its worker is free again well before the
    // second is up, and must wait.
    let second_in = Arc::new(AtomicBool::new(false));
    let server = RecordingServer::start({
        let second_in = Arc::clone(&second_in);
        move |seq| match seq {
            0 => {
                let deadline = Instant::now() + Duration::from_secs(10);
                while !second_in.load(Ordering::SeqCst) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Answer { status: 429, ..Answer::ok(json!({"error": {"type": "rate_limit_error"}}).to_string()) }
                    .header("retry-after", 1)
            }
            1 => {
                second_in.store(true, Ordering::SeqCst);
                Answer { delay: Duration::from_millis(300), ..Answer::ok(one_image()) }
            }
            _ => Answer::ok(one_image()),
        }
    });
    let out = batch(&sb, &server.base(), 3, "2", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 4, "three prompts and one retry");
    let refused_at = arrivals[0].answered.unwrap();
    assert!(
        arrivals[1].answered.unwrap() < refused_at + Duration::from_secs(1),
        "the held request's worker was free early"
    );
    for later in &arrivals[2..] {
        // The client heard of the 429 after it was sent, and waited a second from then.
        assert!(later.at >= refused_at + Duration::from_secs(1), "a request {:?} after the 429", later.at - refused_at);
    }
}

#[test]
fn an_exhausted_budget_in_the_headers_holds_every_worker_until_its_reset() {
    let sb = Sandbox::new();
    // AIsa's headers: the reset is a UNIX timestamp. The first answer says nothing is
    // left until two seconds from now (whole seconds, rounded up).
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let reset = now.as_secs() + 2 + u64::from(now.subsec_nanos() > 0);
    let server = RecordingServer::start(move |seq| {
        let answer = Answer::ok(one_image())
            .header("X-RateLimit-Limit-Requests", 100)
            .header("x-ratelimit-remaining-requests", if seq == 0 { 0 } else { 50 })
            .header("x-ratelimit-reset-requests", reset);
        match seq {
            1 => Answer { delay: Duration::from_millis(300), ..answer },
            _ => answer,
        }
    });
    let out = batch(&sb, &server.base(), 4, "2", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 4);
    let reset_at = UNIX_EPOCH + Duration::from_secs(reset);
    for later in &arrivals[2..] {
        assert!(later.wall >= reset_at, "a request before the budget's reset");
    }
}

#[test]
fn the_emulator_enforces_rpm_and_says_so_in_its_headers() {
    let emulator = Emulator::start(&["--rpm", "120"]);
    let client = Client::new();
    let body = json!({"model": "wan2.7-image", "n": 1,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]});
    let send = || {
        client
            .post(format!("{}/chat/completions", emulator.base))
            .bearer_auth("test")
            .body(body.to_string())
            .send()
            .unwrap()
    };
    let header =
        |response: &Response, name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    // 120 a minute is two a second, two at once: the third request at once is refused.
    let (first, second, third) = (send(), send(), send());
    assert_eq!(first.status().as_u16(), 200);
    assert_eq!(header(&first, "x-ratelimit-limit-requests").as_deref(), Some("120"));
    assert_eq!(header(&first, "x-ratelimit-remaining-requests").as_deref(), Some("1"));
    assert_eq!(header(&second, "x-ratelimit-remaining-requests").as_deref(), Some("0"));
    let reset: u64 = header(&second, "x-ratelimit-reset-requests").unwrap().parse().unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!((now..=now + 2).contains(&reset), "reset {reset}, now {now}");
    assert_eq!(third.status().as_u16(), 429);
    assert_eq!(header(&third, "x-ratelimit-remaining-requests").as_deref(), Some("0"));
    assert_eq!(header(&third, "retry-after").as_deref(), Some("1"));
    let wait: u64 = header(&third, "retry-after-ms").unwrap().parse().unwrap();
    assert!((1..=500).contains(&wait), "{wait}");
    let error = &third.json::<serde_json::Value>().unwrap()["error"];
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("rate_limit_error"), Some("rate_limit_exceeded"))
    );
    assert!(error["request_id"].as_str().unwrap().starts_with("req_"));
}

#[test]
fn without_rpm_the_emulator_claims_no_limit() {
    let emulator = Emulator::start(&[]);
    let body = json!({"model": "wan2.7-image", "n": 1,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]});
    let client = Client::new();
    for _ in 0..20 {
        let response = client
            .post(format!("{}/chat/completions", emulator.base))
            .bearer_auth("test")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        // A client trusting a budget that is not enforced would only slow itself down.
        assert!(response.headers().keys().all(|name| !name.as_str().starts_with("x-ratelimit")));
    }
}

#[test]
fn wan_paced_by_rpm_meets_no_429_from_the_emulator() {
    let sb = Sandbox::new();
    let emulator = Emulator::start(&["--rpm", "600", "--base64"]);
    let out = batch(&sb, &emulator.base, 16, "8", &["--rpm", "600"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let requests = emulator.requests_to("/v1/chat", 16);
    assert_eq!(requests.len(), 16);
    assert!(requests.iter().all(|line| line.contains(" 200 ")), "{requests:#?}");
}

#[test]
fn a_request_over_the_emulator_s_budget_is_read_to_its_end_before_the_429() {
    let emulator = Emulator::start(&["--rpm", "60"]);
    let url = reqwest::Url::parse(&emulator.base).unwrap();
    let chat = |content: &str| {
        json!({"model": "wan2.7-image", "n": 1,
        "messages": [{"role": "user", "content": [{"type": "text", "text": content}]}]})
    };
    // The budget holds one request at a time: this one spends it.
    let first = Client::new().post(format!("{}/chat/completions", emulator.base)).bearer_auth("test");
    assert_eq!(first.body(chat("x").to_string()).send().unwrap().status().as_u16(), 200);
    // The next is still being uploaded when it is refused. Answered at once and closed,
    // the rest of the upload would meet a reset connection (a client cannot tell that
    // from a request lost after it was sent); read to its end, it hears the 429.
    let body = chat(&"y".repeat(1 << 20)).to_string();
    let (head, tail) = body.as_bytes().split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    let request = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer test\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(head).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(tail).unwrap();
    stream.flush().unwrap();
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer:?}");
}

#[test]
fn rpm_must_be_a_whole_number_of_one_or_more_and_nothing_is_sent_otherwise() {
    let sb = Sandbox::new();
    let server = RecordingServer::start(|_| Answer::ok(one_image()));
    for bad in ["0", "-3", "ten", "1.5", ""] {
        let rpm = format!("--rpm={bad}");
        for args in
            [vec!["generate", "red panda", &rpm], vec!["edit", "a.png", "make it blue", &rpm], vec!["resume", &rpm]]
        {
            let out = sb.wan().env("AISA_BASE_URL", server.base()).args(&args).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
            let stderr = stderr_of(&out);
            assert!(stderr.contains("--rpm") && stderr.contains("1 or more"), "{args:?}: {stderr}");
        }
        let out = sb.wan().args(["emulator", "--port", "0", &rpm]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "emulator {rpm}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("1 or more"), "emulator {rpm}: {}", stderr_of(&out));
    }
    assert!(server.arrivals().is_empty());
    // A dry run takes it, and sends nothing either.
    let out = sb.wan().env("AISA_BASE_URL", server.base()).args(["generate", "x", "--rpm", "1", "--dry-run"]).output();
    assert_eq!(out.unwrap().status.code(), Some(0));
    assert!(server.arrivals().is_empty());
}

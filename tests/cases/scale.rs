//! Scale: one rate-limit budget for every worker (proved on a server that records when
//! requests arrive), the emulator's `--rpm`, `--shard`, and batches read as they go.

use std::fs;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::blocking::Client;
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

/// `wan generate -f prompts.txt -j JOBS ARGS` against `server`.
fn batch(sb: &Sandbox, server: &RecordingServer, n: usize, jobs: &str, args: &[&str]) -> std::process::Output {
    let file = prompts(sb, n);
    let mut cmd = sb.wan();
    cmd.env("AISA_BASE_URL", server.base()).args(["generate", "-f", &file, "-j", jobs, "-q", "-o", "out"]);
    cmd.args(args).output().unwrap()
}

#[test]
fn rpm_spaces_request_starts_across_all_workers() {
    let sb = Sandbox::new();
    let server = RecordingServer::start(|_| Answer::ok(one_image()));
    // 120 a minute: one start every 500 ms, whichever of the four workers is free.
    let out = batch(&sb, &server, 6, "4", &["--rpm", "120"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 6);
    assert!(arrivals.iter().all(|a| a.path == "/v1/chat/completions"), "{arrivals:?}");
    for pair in arrivals.windows(2) {
        let gap = pair[1].at - pair[0].at;
        // 500 ms between starts; an arrival can lag its start by the time a request
        // takes to be written, so allow 100 ms of that.
        assert!(gap >= Duration::from_millis(400), "requests {gap:?} apart");
    }

    // Without --rpm the four workers start together: the test above can fail.
    let unpaced = RecordingServer::start(|_| Answer::ok(one_image()));
    let out = batch(&sb, &unpaced, 6, "4", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = unpaced.arrivals();
    assert!(arrivals.windows(2).any(|pair| pair[1].at - pair[0].at < Duration::from_millis(400)));
}

#[test]
fn a_429_pauses_every_worker_not_only_the_one_that_met_it() {
    let sb = Sandbox::new();
    // The first request to arrive is refused with Retry-After: 1. The second is held
    // 300 ms, so its worker is free again well before the second is up, and must wait.
    let server = RecordingServer::start(|seq| match seq {
        0 => Answer { status: 429, ..Answer::ok(json!({"error": {"type": "rate_limit_error"}}).to_string()) }
            .header("retry-after", 1),
        1 => Answer { delay: Duration::from_millis(300), ..Answer::ok(one_image()) },
        _ => Answer::ok(one_image()),
    });
    let out = batch(&sb, &server, 3, "2", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 4, "three prompts and one retry");
    let refused_at = arrivals[0].answered.unwrap();
    for later in &arrivals[2..] {
        // The client heard of the 429 after it was sent, and waited a second from then.
        assert!(later.at >= refused_at + Duration::from_secs(1), "a request {:?} after the 429", later.at - refused_at);
    }
    assert!(
        arrivals[1].answered.unwrap() < refused_at + Duration::from_secs(1),
        "the held request's worker was free early"
    );
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
    let out = batch(&sb, &server, 4, "2", &[]);
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
    let header = |response: &reqwest::blocking::Response, name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_string())
    };
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
    assert_eq!(header(&third, "retry-after").as_deref(), Some("1"));
    let wait: u64 = header(&third, "retry-after-ms").unwrap().parse().unwrap();
    assert!((1..=500).contains(&wait), "{wait}");
    assert_eq!(third.json::<serde_json::Value>().unwrap()["error"]["code"], "rate_limit_exceeded");
}

#[test]
fn wan_paced_by_rpm_meets_no_429_from_the_emulator() {
    let sb = Sandbox::new();
    let emulator = Emulator::start(&["--rpm", "600", "--base64"]);
    let file = prompts(&sb, 12);
    let out = sb
        .wan()
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", &file, "-j", "8", "--rpm", "600", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let requests = emulator.requests_to("/v1/chat", 12);
    assert_eq!(requests.len(), 12);
    assert!(requests.iter().all(|line| line.contains(" 200 ")), "{requests:#?}");
}

#[test]
fn shards_split_a_batch_between_machines() {
    let sb = Sandbox::new();
    let server = RecordingServer::start(|_| Answer::ok(one_image()));
    let file = prompts(&sb, 7);
    let mut saved = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = sb
            .wan()
            .env("AISA_BASE_URL", server.base())
            .args(["generate", "-f", &file, "--shard", &shard, "--json", "-o", "out"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let mut prompts: Vec<String> = stdout_of(&out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["prompt"].as_str().unwrap().to_string())
            .collect();
        prompts.sort();
        saved.push(prompts);
    }
    assert_eq!(saved[0], ["prompt 1", "prompt 4", "prompt 7"]);
    assert_eq!(saved[1], ["prompt 2", "prompt 5"]);
    assert_eq!(saved[2], ["prompt 3", "prompt 6"]);
    assert_eq!(server.arrivals().len(), 7, "each prompt sent once, by one shard");
}

#[test]
fn a_shard_with_no_prompts_does_nothing_and_succeeds() {
    let sb = Sandbox::new();
    let file = prompts(&sb, 2);
    let out = sb.wan().args(["generate", "-f", &file, "--shard", "5/8", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("shard 5/8 holds none of the 2 prompts"), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn a_bad_shard_is_a_usage_error_and_nothing_is_sent() {
    let sb = Sandbox::new();
    let file = prompts(&sb, 2);
    for bad in ["0/3", "4/3", "1/0", "two/3", "1-3"] {
        let out = sb.wan().args(["generate", "-f", &file, "--shard", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr_of(&out).contains("1 ≤ K ≤ N"), "{bad}: {}", stderr_of(&out));
    }
    // A shard of one prompt given on the command line makes no sense: --shard needs -f.
    let out = sb.wan().args(["generate", "red panda", "--shard", "1/2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_dry_run_of_a_shard_shows_its_requests_and_cost() {
    let sb = Sandbox::new();
    let file = prompts(&sb, 10);
    let out = sb.wan().args(["generate", "-f", &file, "--shard", "2/4", "-n", "5", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stdout = stdout_of(&out);
    for shown in ["prompt 2", "prompt 6", "prompt 10"] {
        assert!(stdout.contains(&format!("\"{shown}\"")), "{shown}");
    }
    assert!(!stdout.contains("\"prompt 3\""));
    // 3 prompts × 5 images: 6 requests (4 + 1 each), 15 × $0.030
    assert!(stderr_of(&out).contains("would send 6 requests"), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("$0.450"), "{}", stderr_of(&out));
}

/// A PNG-shaped image of about `size` bytes: large enough to be streamed to its file.
fn big_png(size: usize, tag: u8) -> Vec<u8> {
    let mut bytes = png(tag);
    let end = bytes.len() - 12;
    bytes.splice(end..end, (0..size).map(|i| (i * 7 % 251) as u8 ^ tag));
    bytes
}

#[test]
fn large_base64_images_stream_to_their_files_whatever_the_encoding() {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let mut sb = Sandbox::new();
    let (one, two, three) = (big_png(400_000, 1), big_png(300_000, 2), png(3));
    // A data URI with every `/` escaped (as PHP's encoder writes it), URL-safe base64
    // wrapped in escaped line breaks, and a small one read as it always was.
    let escaped = format!("data:image/png;base64,{}", STANDARD.encode(&one).replace('/', "\\/"));
    let wrapped: String = URL_SAFE_NO_PAD
        .encode(&two)
        .as_bytes()
        .chunks(76)
        .map(|line| format!("{}\\n", std::str::from_utf8(line).unwrap()))
        .collect();
    let part = |image: &str| format!(r#"{{"message": {{"content": [{{"type": "image", "image": "{image}"}}]}}}}"#);
    let body = format!(
        r#"{{"choices": [{}, {}, {}], "usage": {{"total_tokens": 9}}, "note": "{}"}}"#,
        part(&escaped),
        part(&wrapped),
        part(&STANDARD.encode(&three)),
        "x".repeat(100_000)
    );
    let _api = sb.server.mock("POST", "/v1/chat/completions").with_body(body).create();
    let out = sb.wan().args(["generate", "big", "-n", "3", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line: serde_json::Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(line["images"].as_array().unwrap().iter().all(|i| i["source"] == "base64"), "{line}");
    assert_eq!(line["usage"]["total_tokens"], 9);
    assert_eq!(read(&sb.path("big-001.png")), one);
    assert_eq!(read(&sb.path("big-002.png")), two);
    assert_eq!(read(&sb.path("big-003.png")), three);
    assert!(sb.files(".").iter().all(|name| !name.ends_with(".part")), "{:?}", sb.files("."));
}

#[test]
fn a_broken_streamed_image_is_reported_and_the_others_are_saved() {
    use base64::engine::general_purpose::STANDARD;
    let mut sb = Sandbox::new();
    let good = big_png(200_000, 4);
    let mut broken = STANDARD.encode(big_png(200_000, 5));
    broken.insert_str(100_000, "@@");
    let _api = sb.chat(&chat_answer(&[STANDARD.encode(&good), broken]));
    let out = sb.wan().args(["generate", "half", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("not valid base64"), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "half-001.png\n");
    assert_eq!(read(&sb.path("half-001.png")), good);
    assert_eq!(sb.files("."), ["half-001.png"], "the broken image's part file is gone");
}

#[test]
fn the_kubernetes_example_runs_one_shard_per_completion() {
    let manifest = fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kubernetes-indexed-job.yaml"),
    )
    .unwrap();
    let number_after = |key: &str| -> u64 {
        let at = manifest.find(key).unwrap_or_else(|| panic!("{key} is in the manifest")) + key.len();
        manifest[at..].trim_start().split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    assert_eq!(number_after("completions:"), number_after("SHARDS="), "one shard per completion index");
    assert!(manifest.contains("completionMode: Indexed"));
    assert!(manifest.contains(r#"K=$((JOB_COMPLETION_INDEX + 1))"#));
    assert!(manifest.contains(r#"--shard "$K/$SHARDS""#));
    assert!(manifest.contains("backoffLimitPerIndex: 0"), "a failed shard is not sent (and paid for) again");
}

//! `wan emulator` over loopback: its fidelity to the service (routes, errors, limits, `--rpm`, faults), `wan` on it.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::blocking::Response;
use serde_json::{Value, json};

use crate::support::emulator::{Emulator, balance, with_emulator};
use crate::support::*;

fn post(emulator: &Emulator, path: &str, key: Option<&str>, body: &Value) -> Response {
    let mut request = http().post(format!("{}{path}", emulator.base)).body(body.to_string());
    if let Some(key) = key {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.send().unwrap()
}

fn chat_body(content: Value, n: Option<u32>) -> Value {
    let mut body = json!({"model": "wan2.7-image", "messages": [{"role": "user", "content": content}]});
    if let Some(n) = n {
        body["n"] = json!(n);
    }
    body
}

/// The documented error shape, with the expected status and code; and the headers every answer carries.
fn assert_error(response: Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_common_headers(&response);
    let body: Value = response.json().unwrap();
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    for field in ["type", "message", "request_id"] {
        assert!(error[field].is_string(), "{field} in {body}");
    }
    body
}

fn assert_common_headers(response: &Response) {
    let headers = response.headers();
    assert!(headers.get("x-request-id").unwrap().to_str().unwrap().starts_with("req_"));
    // Without --rpm nothing is limited, and no limit is claimed (see the `--rpm` tests below).
    assert!(!headers.contains_key("x-ratelimit-remaining-requests"));
}

#[test]
fn it_listens_on_loopback_and_prints_its_base_url_first() {
    let emulator = Emulator::start(&[]);
    assert!(emulator.base.starts_with("http://127.0.0.1:") && emulator.base.ends_with("/v1"), "{}", emulator.base);
}

#[test]
fn it_answers_the_seed_request_as_the_seeds_show() {
    let emulator = Emulator::start(&[]);
    let seed =
        chat_body(json!([{"type": "text", "text": "A cute red panda, ultra-detailed, cinematic lighting"}]), Some(1));
    let response = post(&emulator, "/chat/completions", Some("test"), &seed);
    assert_eq!(response.status().as_u16(), 200);
    assert_common_headers(&response);
    let answer: Value = response.json().unwrap();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["model"], "wan2.7-image");
    assert!(answer["id"].as_str().unwrap().starts_with("chatcmpl-"));
    let choices = answer["choices"].as_array().unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!(choices[0]["finish_reason"], "stop");
    let content = &choices[0]["message"]["content"];
    assert_eq!(content[0]["type"], "image");
    let url = content[0]["image"].as_str().unwrap();
    let png = http().get(url).send().unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().unwrap().starts_with(b"\x89PNG"));
    let usage = &answer["usage"];
    assert_eq!(
        usage["total_tokens"],
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );

    // n defaults to 4; more than 4 is refused
    let four =
        post(&emulator, "/chat/completions", Some("test"), &chat_body(json!([{"type": "text", "text": "x"}]), None));
    assert_eq!(four.json::<Value>().unwrap()["choices"].as_array().unwrap().len(), 4);
    let five =
        post(&emulator, "/chat/completions", Some("test"), &chat_body(json!([{"type": "text", "text": "x"}]), Some(5)));
    assert_error(five, 400, "invalid_parameter_error");
}

#[test]
fn it_refuses_what_the_service_refuses() {
    let emulator = Emulator::start(&[]);
    let string_content = post(&emulator, "/chat/completions", Some("k"), &chat_body(json!("red panda"), Some(1)));
    let body = assert_error(string_content, 400, "invalid_parameter_error");
    assert_eq!(body["error"]["message"], "Input should be a valid list: messages[*].content");
    let images = post(&emulator, "/images/generations", Some("k"), &json!({"model": "wan2.7-image", "prompt": "x"}));
    assert_error(images, 404, "openai_error");
    let unknown = post(&emulator, "/chat/completions", Some("k"), &json!({"model": "gpt-9", "messages": []}));
    assert_error(unknown, 500, "model_not_found");
    let keyless =
        post(&emulator, "/chat/completions", None, &chat_body(json!([{"type": "text", "text": "x"}]), Some(1)));
    assert_error(keyless, 401, "missing_api_key");
    let missing = http().get(format!("{}/nowhere", emulator.base)).send().unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(missing.text().unwrap(), "404 page not found");

    let strict = Emulator::start(&["--api-key", "sk-right"]);
    let wrong = post(
        &strict,
        "/chat/completions",
        Some("sk-wrong"),
        &chat_body(json!([{"type": "text", "text": "x"}]), Some(1)),
    );
    assert_error(wrong, 401, "invalid_api_key");
    let right = post(
        &strict,
        "/chat/completions",
        Some("sk-right"),
        &chat_body(json!([{"type": "text", "text": "x"}]), Some(1)),
    );
    assert_eq!(right.status().as_u16(), 200);
}

/// Sends the head of a chat request that announces `length` body bytes (and `key`, if
/// any), then only `sent` of them, and keeps the connection open for writing. Returns
/// the status and the JSON body of the answer, and how long it took; fails the test if
/// no whole answer came within 10 s, as when the emulator waits for the rest of the body.
fn announce_body(emulator: &Emulator, key: Option<&str>, length: u64, sent: &[u8]) -> (u16, Value, Duration) {
    let host = emulator.base.trim_start_matches("http://").trim_end_matches("/v1");
    let mut stream = TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(sent).unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0; 4096];
    let whole = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break answer.clone(),
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) => {
                panic!("no whole answer in {:?}: {e}; got {:?}", started.elapsed(), String::from_utf8_lossy(&answer))
            }
        }
        // The answer is whole once its own Content-Length of body has arrived.
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let announced = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok());
            if announced.is_some_and(|n| body.len() >= n) {
                break answer.clone();
            }
        }
    };
    let elapsed = started.elapsed();
    let text = String::from_utf8(whole).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")), elapsed)
}

#[test]
fn the_emulator_refuses_a_bad_key_without_reading_the_body() {
    let emulator = Emulator::start(&["--api-key", "sk-right"]);
    // 1 GB announced, a few bytes sent: an emulator reading first would wait for ever
    for (key, code) in [(Some("sk-wrong"), "invalid_api_key"), (None, "missing_api_key")] {
        let (status, body, elapsed) = announce_body(&emulator, key, 1_000_000_000, b"{\"model\":");
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}

#[test]
fn the_emulator_answers_413_past_its_body_cap() {
    let emulator = Emulator::start(&["--api-key", "sk-right"]);
    // 500 MiB announced: over the 400 MiB cap, refused before any of it is read
    let (status, body, _) = announce_body(&emulator, Some("sk-right"), 500 << 20, b"{\"model\":");
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "request_too_large", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("400 MiB"), "{body}");
    for field in ["type", "request_id"] {
        assert!(body["error"][field].is_string(), "{field} in {body}");
    }
    let logged = emulator.requests_to("/v1/chat/completions", 1);
    assert!(logged.len() == 1 && logged[0].contains(" 413 "), "{logged:?}");
}

#[test]
fn wan_saves_real_pngs_drawn_from_the_prompt_each_request_the_next_ones() {
    let sb = Sandbox::new();
    let run = |emulator: &Emulator, prompt: &str, n: &str, dir: &str| {
        let out = with_emulator(&sb, emulator).args(["generate", prompt, "-n", n, "-o", dir]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let mut names = sb.files(dir);
        names.sort();
        names.iter().map(|n| read(&sb.path(&format!("{dir}/{n}")))).collect::<Vec<_>>()
    };
    let emulator = Emulator::start(&["--size", "64x48"]);
    // -n 6 is two requests (4 and 2): six different pictures, not the first four again
    let six = run(&emulator, "red panda", "6", "a");
    assert_eq!(six.len(), 6);
    let distinct: std::collections::HashSet<&Vec<u8>> = six.iter().collect();
    assert_eq!(distinct.len(), 6, "six different pictures");
    let next = run(&emulator, "red panda", "2", "b");
    assert!(next.iter().all(|png| !six.contains(png)), "the next run goes on with the sequence");
    let other = run(&emulator, "blue whale", "1", "c");
    assert!(!six.contains(&other[0]), "another prompt, another picture");
    // a fresh emulator plays the same sequence again
    let fresh = Emulator::start(&["--size", "64x48"]);
    let mut again = run(&fresh, "red panda", "4", "d");
    again.extend(run(&fresh, "red panda", "2", "e"));
    let (mut sorted_six, mut sorted_again) = (six.clone(), again);
    sorted_six.sort();
    sorted_again.sort();
    assert_eq!(sorted_six, sorted_again, "the same prompt gives the same sequence of pictures");
    for png in &six {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[16..24], &[0, 0, 0, 64, 0, 0, 0, 48], "IHDR says 64×48");
    }
}

#[test]
fn wan_follows_the_moved_service_for_generate_and_edit() {
    let emulator = Emulator::start(&["--moved-to-images", "--size", "256x256"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "harbour", "-n", "5", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().count(), 5);
    assert_eq!(emulator.requests_to("/v1/chat/completions", 1).len(), 1, "chat is asked once, then never again");
    assert_eq!(emulator.requests_to("/v1/images/generations", 2).len(), 2);

    // an emulator picture is a valid reference: 256×256 PNG
    let out =
        with_emulator(&sb, &emulator).args(["edit", "harbour-001.png", "at night", "-o", "edits"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sb.files("edits"), ["at-night-001.png"]);
    assert!(emulator.requests_to("/v1/images/edits", 1)[0].contains(" 200 "));
}

#[test]
fn wan_saves_base64_answers() {
    let emulator = Emulator::start(&["--base64"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "x", "-n", "2", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(line["images"][0]["source"], "base64");
    assert_eq!(sb.files(".").len(), 2);
}

#[test]
fn expired_urls_answer_403_and_wan_prints_them() {
    let emulator = Emulator::start(&["--url-ttl", "0"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("HTTP 403: the link has expired; this paid image cannot be fetched any more"), "{stderr}");
    assert!(!stderr.contains("while the link lives"), "{stderr}");
    assert!(stderr.contains(&format!("{}/images/wan2.7/", emulator.base.trim_end_matches("/v1"))), "{stderr}");
}

#[test]
fn rate_limits_and_server_errors_are_retried_then_reported() {
    let emulator = Emulator::start(&["--error-429", "1", "--retry-after", "0"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert_eq!(emulator.requests_to("/v1/chat/completions", 3).len(), 3, "1 + 2 retries");

    let emulator = Emulator::start(&["--error-5xx", "1"]);
    let out = with_emulator(&sb, &emulator).args(["generate", "x", "--retries", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
}

#[test]
fn a_dropped_connection_is_not_retried() {
    let emulator = Emulator::start(&["--drop", "1"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr_of(&out).contains("may have been made and billed"));
    assert_eq!(emulator.requests_to("/v1/chat/completions", 1).len(), 1);
}

#[test]
fn cut_downloads_are_retried_and_a_lost_one_is_printed() {
    let emulator = Emulator::start(&["--cut-downloads", "1"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("cut short"), "{stderr}");
    assert!(stderr.contains("fetch it while the link lives: http://127.0.0.1:"), "{stderr}");
    assert_eq!(emulator.requests_to("/images/", 4).len(), 4, "1 + 3 download retries");
    assert!(sb.files(".").is_empty());
}

#[test]
fn faults_repeat_with_the_same_seed() {
    let statuses = || {
        let emulator = Emulator::start(&["--error-5xx", "0.5", "--seed", "11"]);
        let sb = Sandbox::new();
        with_emulator(&sb, &emulator)
            .args(["generate", "x", "-n", "16", "-j", "1", "--retries", "0", "-q"])
            .output()
            .unwrap();
        let lines = emulator.requests_to("/v1/chat/completions", 4);
        lines.iter().map(|l| l.split(' ').nth(2).unwrap().to_string()).collect::<Vec<_>>()
    };
    let first = statuses();
    assert_eq!(first.len(), 4);
    assert!(first.iter().any(|s| s == "200") && first.iter().any(|s| s != "200"), "{first:?}");
    assert_eq!(first, statuses());
}

#[test]
fn latency_and_slow_downloads_slow_things_down_without_breaking_them() {
    let emulator = Emulator::start(&[
        "--latency",
        "200",
        "--download-latency",
        "100",
        "--slow-downloads",
        "65536",
        "--size",
        "128x128",
    ]);
    let sb = Sandbox::new();
    let started = Instant::now();
    let out = with_emulator(&sb, &emulator).args(["generate", "x", "-n", "4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(sb.files(".").len(), 4);
}

#[test]
fn many_requests_at_once() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    fs::write(sb.path("p.txt"), (0..8).map(|i| format!("prompt {i}\n")).collect::<String>()).unwrap();
    let out =
        with_emulator(&sb, &emulator).args(["generate", "-f", "p.txt", "-n", "5", "-j", "8", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().count(), 40);
}

#[test]
fn it_stops_cleanly_on_ctrl_c() {
    let mut emulator = Emulator::start(&[]);
    std::process::Command::new("kill").args(["-INT", &emulator.pid().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = emulator.child().try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the emulator did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_balance_goes_down_by_what_was_made_and_a_spent_one_refuses() {
    let emulator = Emulator::start(&["--balance", "0.10"]);
    let sb = Sandbox::new();
    assert_eq!(balance(&emulator), 100_000);
    let out = with_emulator(&sb, &emulator).args(["generate", "x", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(balance(&emulator), 40_000, "two Wan images at $0.030");
    let out = with_emulator(&sb, &emulator).args(["generate", "x", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("quota_exceeded"), "{}", stderr_of(&out));
    assert_eq!(balance(&emulator), 40_000, "nothing taken for what was refused");
    let keyless = http().get(format!("{}/credits/balance", emulator.base)).send().unwrap();
    assert_eq!(keyless.status().as_u16(), 401);
    assert_eq!(keyless.json::<Value>().unwrap(), json!({"error": "balance unavailable"}));
}

#[test]
fn the_emulator_sends_each_model_to_its_own_route() {
    let emulator = Emulator::start(&[]);
    let post = |path: &str, body: Value| {
        let response = http()
            .post(format!("{}{path}", emulator.base))
            .header("authorization", "Bearer test")
            .body(body.to_string())
            .send()
            .unwrap();
        (response.status().as_u16(), response.json::<Value>().unwrap())
    };
    let chat =
        json!({"model": "gpt-image-2", "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]});
    let (status, body) = post("/chat/completions", chat);
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("model_route_not_supported")), "{body}");
    let (status, body) = post("/images/generations", json!({"model": GEMINI, "prompt": "x"}));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("model_route_not_supported")), "{body}");
    let (status, body) =
        post("/images/generations", json!({"model": "gpt-image-2", "prompt": "x", "size": "1000x1000"}));
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_value")), "{body}");
    let (status, body) = post(&GEMINI_PATH.replace("/v1", ""), json!({"contents": []}));
    assert_eq!(status, 400);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT", "Google's shape: {body}");
    assert!(body["error"]["code"].is_u64(), "{body}");
    let (status, body) = post(&GEMINI_PATH.replace("/v1", ""), json!({"contents": [{"parts": [{"text": "x"}]}]}));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["candidates"][0]["content"]["parts"][1]["inlineData"]["mimeType"], "image/png");
    let beta = http()
        .post(format!("{}{GEMINI_BETA_PATH}", emulator.base.trim_end_matches("/v1")))
        .header("authorization", "Bearer test")
        .body(json!({"contents": [{"parts": [{"text": "x"}]}]}).to_string())
        .send()
        .unwrap();
    assert_eq!(beta.status().as_u16(), 200, "/v1beta too");
    let keyless =
        http().post(format!("{}{}", emulator.base, GEMINI_PATH.replace("/v1", ""))).body("{}").send().unwrap();
    assert_eq!(keyless.status().as_u16(), 401);
    assert_eq!(keyless.json::<Value>().unwrap()["error"]["status"], "UNAUTHENTICATED");
}

#[test]
fn the_emulator_lists_the_catalogue_with_each_model_s_routes() {
    let emulator = Emulator::start(&[]);
    let list = |key: Option<&str>| {
        let mut request = http().get(format!("{}/models", emulator.base));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let response = request.send().unwrap();
        (response.status().as_u16(), response.json::<Value>().unwrap())
    };
    let (status, body) = list(Some("test"));
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 8 + 11, "the image and the video models: {body}");
    let types = |id: &str| data.iter().find(|m| m["id"] == id).unwrap()["supported_endpoint_types"].clone();
    assert_eq!(types(GEMINI), json!(["generateContent"]));
    assert_eq!(types(SEEDREAM), json!(["images/generations"]));
    assert_eq!(types("wan2.7-image"), json!(["chat/completions"]));
    assert_eq!(types("wan2.7-t2v"), json!(["video/generations", "video-synthesis"]));
    assert_eq!(types("dreamina-seedance-2-5"), json!(["video/generations"]));
    assert_eq!(list(None).0, 401);
}

#[test]
fn the_emulator_enforces_rpm_and_says_so_in_its_headers() {
    let emulator = Emulator::start(&["--rpm", "120"]);
    let client = http();
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
    let client = http();
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
fn a_request_over_the_emulator_s_budget_is_read_to_its_end_before_the_429() {
    let emulator = Emulator::start(&["--rpm", "60"]);
    let url = reqwest::Url::parse(&emulator.base).unwrap();
    let chat = |content: &str| {
        json!({"model": "wan2.7-image", "n": 1,
        "messages": [{"role": "user", "content": [{"type": "text", "text": content}]}]})
    };
    // The budget holds one request at a time: this one spends it.
    let first = http().post(format!("{}/chat/completions", emulator.base)).bearer_auth("test");
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

// ---- What other people's clients meet (issue 27) ----

/// A request to the emulator with the test key and `headers`; its status, headers and body.
fn send(
    emulator: &Emulator,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let url = if path.starts_with("/v1") {
        format!("{}{path}", emulator.base.trim_end_matches("/v1"))
    } else {
        format!("{}{path}", emulator.base)
    };
    let mut request = http().request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().unwrap())
}

const BEARER: (&str, &str) = ("authorization", "Bearer test");

fn wan_chat(n: u32) -> Value {
    json!({"model": "wan2.7-image", "n": n, "messages": [{"role": "user", "content": [{"type": "text", "text": "a fox"}]}]})
}

#[test]
fn models_are_served_one_by_one_and_the_list_has_the_video_models() {
    let emulator = Emulator::start(&[]);
    // the OpenAI SDK's models.retrieve, AIsa's `aisa models show`
    let (status, _, body) = send(&emulator, reqwest::Method::GET, "/models/seedream-5-0-260128", &[BEARER], None);
    assert_eq!(status, 200, "{body}");
    let model: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((model["id"].as_str(), model["object"].as_str()), (Some(SEEDREAM), Some("model")));
    assert!(model["created"].is_u64() && model["owned_by"].is_string(), "{model}");
    let (status, _, body) = send(&emulator, reqwest::Method::GET, "/models/wan2.6-i2v", &[BEARER], None);
    assert_eq!(status, 200, "{body}");
    let (status, headers, body) = send(&emulator, reqwest::Method::GET, "/models/dall-e-9", &[BEARER], None);
    assert_eq!(status, 404);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "model_not_found", "{error}");
    assert!(error["error"]["type"].is_string() && error["error"]["request_id"].is_string(), "{error}");
    assert_eq!(send(&emulator, reqwest::Method::GET, "/models/wan2.7-image", &[], None).0, 401);

    let (_, _, body) = send(&emulator, reqwest::Method::GET, "/models", &[BEARER], None);
    let list: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    for video in ["wan2.7-t2v", "wan2.7-i2v", "wan2.6-t2v", "wan2.6-i2v", "dreamina-seedance-2-5"] {
        assert!(ids.contains(&video), "{video} not in {ids:?}");
    }
}

#[test]
fn a_streamed_chat_is_streamed_and_gemini_s_stream_is_served() {
    let emulator = Emulator::start(&[]);
    let mut chat = wan_chat(2);
    chat["stream"] = json!(true);
    let (status, headers, text) = send(&emulator, reqwest::Method::POST, "/chat/completions", &[BEARER], Some(&chat));
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "text/event-stream");
    let events: Vec<&str> = text.split("\r\n\r\n").filter(|e| !e.trim().is_empty()).collect();
    assert_eq!(events.last(), Some(&"data: [DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
        .collect();
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk"), "{text}");
    let images: Vec<&Value> = chunks
        .iter()
        .flat_map(|c| c["choices"].as_array().unwrap())
        .filter_map(|choice| choice["delta"]["content"].as_array())
        .flatten()
        .collect();
    assert_eq!(images.len(), 2, "every image is in the stream: {text}");
    let url = images[0]["image"].as_str().unwrap();
    assert!(http().get(url).send().unwrap().bytes().unwrap().starts_with(b"\x89PNG"));
    // streams are refused out loud where they are not played
    let image_stream = json!({"model": SEEDREAM, "prompt": "x", "stream": true});
    let (status, _, body) =
        send(&emulator, reqwest::Method::POST, "/images/generations", &[BEARER], Some(&image_stream));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("stream"), "{body}");

    let gemini = json!({"contents": [{"parts": [{"text": "a fox"}]}]});
    let path = "/v1beta/models/gemini-3-pro-image-preview:streamGenerateContent";
    let (status, headers, text) =
        send(&emulator, reqwest::Method::POST, &format!("{path}?alt=sse"), &[BEARER], Some(&gemini));
    assert_eq!(status, 200, "{text}");
    assert_eq!(headers["content-type"], "text/event-stream");
    let parts: Vec<Value> = text
        .split("\r\n\r\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .map(|e| serde_json::from_str::<Value>(e).unwrap())
        .flat_map(|r| r["candidates"][0]["content"]["parts"].as_array().cloned().unwrap())
        .collect();
    assert!(parts.iter().any(|p| p["inlineData"]["mimeType"] == "image/png"), "{text}");
    let (status, headers, text) = send(&emulator, reqwest::Method::POST, path, &[BEARER], Some(&gemini));
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "application/json"));
    assert!(serde_json::from_str::<Value>(&text).unwrap().as_array().is_some_and(|a| a.len() == 2), "{text}");
}

#[test]
fn gemini_answers_in_snake_case_on_request_and_wan_reads_both() {
    let camel = Emulator::start(&[]);
    let snake = Emulator::start(&["--gemini-snake-case"]);
    let body = json!({"contents": [{"parts": [{"text": "a fox"}]}]});
    let (_, _, text) = send(&snake, reqwest::Method::POST, GEMINI_PATH, &[BEARER], Some(&body));
    let answer: Value = serde_json::from_str(&text).unwrap();
    let part = &answer["candidates"][0]["content"]["parts"][1];
    assert_eq!(part["inline_data"]["mime_type"], "image/png", "{answer}");
    assert!(answer["usage_metadata"].is_object() && answer.get("usageMetadata").is_none(), "{answer}");
    for (emulator, name) in [(&camel, "camel"), (&snake, "snake")] {
        let sb = Sandbox::new();
        let out = with_emulator(&sb, emulator).args(["generate", "a fox", "-m", GEMINI, "-n", "2"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr_of(&out));
        assert_eq!(sb.files(".").len(), 2, "{name}");
    }
}

#[test]
fn gemini_keeps_v1_when_wan_moved_and_v1beta_only_is_its_own_switch() {
    let moved = Emulator::start(&["--moved-to-images"]);
    let body = json!({"contents": [{"parts": [{"text": "a fox"}]}]});
    assert_eq!(send(&moved, reqwest::Method::POST, GEMINI_PATH, &[BEARER], Some(&body)).0, 200);
    let beta_only = Emulator::start(&["--gemini-v1beta-only"]);
    let (status, _, text) = send(&beta_only, reqwest::Method::POST, GEMINI_PATH, &[BEARER], Some(&body));
    assert_eq!((status, text.as_str()), (404, "404 page not found"));
    assert_eq!(send(&beta_only, reqwest::Method::POST, GEMINI_BETA_PATH, &[BEARER], Some(&body)).0, 200);
    // the Wan models did not move with it
    assert_eq!(send(&beta_only, reqwest::Method::POST, "/chat/completions", &[BEARER], Some(&wan_chat(1))).0, 200);
}

#[test]
fn answer_ids_differ_run_by_run_while_pictures_follow_the_seed() {
    let answer = || {
        let emulator = Emulator::start(&["--seed", "7"]);
        let (_, _, text) = send(&emulator, reqwest::Method::POST, "/chat/completions", &[BEARER], Some(&wan_chat(1)));
        let answer: Value = serde_json::from_str(&text).unwrap();
        let url = answer["choices"][0]["message"]["content"][0]["image"].as_str().unwrap().to_string();
        (answer["id"].as_str().unwrap().to_string(), http().get(url).send().unwrap().bytes().unwrap())
    };
    let ((first_id, first_png), (second_id, second_png)) = (answer(), answer());
    assert_ne!(first_id, second_id, "ids are unique per run");
    assert_eq!(first_png, second_png, "the same prompt gives the same picture");
    let uuid = first_id.strip_prefix("chatcmpl-").unwrap();
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "UUID-shaped, as the seeds' ids: {first_id}");
    assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
}

#[test]
fn x_goog_api_key_is_taken_only_with_its_switch() {
    let body = json!({"contents": [{"parts": [{"text": "a fox"}]}]});
    let google = [("x-goog-api-key", "test")];
    let strict = Emulator::start(&[]);
    assert_eq!(send(&strict, reqwest::Method::POST, GEMINI_BETA_PATH, &google, Some(&body)).0, 401);
    let lenient = Emulator::start(&["--goog-api-key", "--api-key", "test"]);
    assert_eq!(send(&lenient, reqwest::Method::POST, GEMINI_BETA_PATH, &google, Some(&body)).0, 200);
    assert_eq!(
        send(&lenient, reqwest::Method::POST, GEMINI_BETA_PATH, &[("x-goog-api-key", "wrong")], Some(&body)).0,
        401
    );
    assert_eq!(send(&lenient, reqwest::Method::POST, GEMINI_BETA_PATH, &[BEARER], Some(&body)).0, 200, "Bearer still");
}

#[test]
fn clips_are_mp4_files_served_as_video_mp4() {
    let emulator = Emulator::start(&["--video-ms", "200", "--video-size", "64x36"]);
    let create = json!({"model": "wan2.7-t2v", "input": {"prompt": "a fox"}, "parameters": {"duration": 2}});
    let (_, _, text) = send(&emulator, reqwest::Method::POST, "/video/generations", &[BEARER], Some(&create));
    let id = serde_json::from_str::<Value>(&text).unwrap()["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        let (_, _, text) = send(&emulator, reqwest::Method::GET, &format!("/video/generations/{id}"), &[BEARER], None);
        let task: Value = serde_json::from_str(&text).unwrap();
        if let Some(url) = task["result"]["output"]["video_url"].as_str() {
            break url.to_string();
        }
        assert!(Instant::now() < deadline, "{task}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(url.ends_with(".mp4"), "{url}");
    let clip = http().get(&url).send().unwrap();
    assert_eq!(clip.headers()["content-type"], "video/mp4");
    crate::support::emulator::assert_mp4(&clip.bytes().unwrap(), 2.0);
}

// ---- The gateway's billing controls (issue 25): the emulator plays them ----

#[test]
fn a_repeated_idempotency_key_is_409_not_billed_and_off_ignores_it() {
    let emulator = Emulator::start(&["--balance", "1"]);
    let keyed = [BEARER, ("idempotency-key", "run-1/req-1")];
    let (status, headers, _) = send(&emulator, reqwest::Method::POST, "/chat/completions", &keyed, Some(&wan_chat(2)));
    assert_eq!(status, 200);
    assert_eq!(headers["x-aisa-customer-cost-micros-usd"], "60000");
    assert_eq!(balance(&emulator), 940_000);
    let (status, _, text) = send(&emulator, reqwest::Method::POST, "/chat/completions", &keyed, Some(&wan_chat(2)));
    assert_eq!(status, 409, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"]["code"], "request_already_completed");
    assert_eq!(error["error"]["retryable"], false);
    assert_eq!(error["error"]["message"], "An identical request is already complete.");
    assert_eq!(balance(&emulator), 940_000, "not billed");
    // another key, and a failed request's key, go through
    let other = [BEARER, ("idempotency-key", "run-1/req-2")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &other, Some(&wan_chat(1))).0, 200);
    let failing = [BEARER, ("idempotency-key", "run-1/req-3")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &failing, Some(&wan_chat(9))).0, 400);
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &failing, Some(&wan_chat(1))).0, 200);
    // and a video create
    let create = json!({"model": "wan2.7-t2v", "input": {"prompt": "a fox"}});
    let video = [BEARER, ("idempotency-key", "run-2/task")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/video/generations", &video, Some(&create)).0, 200);
    assert_eq!(send(&emulator, reqwest::Method::POST, "/video/generations", &video, Some(&create)).0, 409);

    let ignoring = Emulator::start(&["--idempotency", "off", "--balance", "1"]);
    for _ in 0..2 {
        assert_eq!(send(&ignoring, reqwest::Method::POST, "/chat/completions", &keyed, Some(&wan_chat(1))).0, 200);
    }
    assert_eq!(balance(&ignoring), 940_000, "a service that ignores the key bills both");
}

#[test]
fn a_price_cap_below_the_list_price_is_402_not_billed() {
    let emulator = Emulator::start(&["--balance", "1"]);
    let capped = [BEARER, ("x-aisa-max-price-usd", "0.10")];
    let (status, _, text) = send(&emulator, reqwest::Method::POST, "/chat/completions", &capped, Some(&wan_chat(4)));
    assert_eq!(status, 402, "4 × $0.030 is over $0.10: {text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (error["error"]["code"].as_str(), error["error"]["retryable"].as_bool()),
        (Some("estimated_price_exceeds_max_price"), Some(false))
    );
    assert_eq!(balance(&emulator), 1_000_000, "not billed");
    let (status, headers, _) = send(&emulator, reqwest::Method::POST, "/chat/completions", &capped, Some(&wan_chat(3)));
    assert_eq!((status, headers["x-aisa-customer-cost-micros-usd"].to_str().unwrap()), (200, "90000"));
    let seedream = json!({"model": SEEDREAM, "prompt": "x"});
    let cheap = [BEARER, ("x-aisa-max-price-usd", "0.03")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/images/generations", &cheap, Some(&seedream)).0, 402);
    let bad = [BEARER, ("x-aisa-max-price-usd", "lots")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/images/generations", &bad, Some(&seedream)).0, 400);
}

#[test]
fn a_quote_prices_the_request_and_runs_nothing() {
    let emulator = Emulator::start(&["--balance", "1"]);
    let quote = [BEARER, ("x-aisa-cost-mode", "quote")];
    let (status, headers, text) =
        send(&emulator, reqwest::Method::POST, "/chat/completions", &quote, Some(&wan_chat(4)));
    assert_eq!(status, 200, "{text}");
    assert!(!headers.contains_key("x-aisa-customer-cost-micros-usd"), "nothing charged");
    let estimate: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        estimate,
        json!({"object": "cost_estimate", "currency": "USD", "estimate_kind": "exact",
               "estimated_cost_micros_usd": 120_000, "may_exceed_estimate": false})
    );
    let seedream = json!({"model": SEEDREAM, "prompt": "x"});
    let (_, _, text) = send(&emulator, reqwest::Method::POST, "/images/generations", &quote, Some(&seedream));
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["estimated_cost_micros_usd"], 35_000);
    let flare = json!({"model": "gpt-image-2.5-flare", "prompt": "x"});
    let (_, _, text) = send(&emulator, reqwest::Method::POST, "/images/generations", &quote, Some(&flare));
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["may_exceed_estimate"], true, "billed by tokens");
    // an invalid request gets the 400 it would get for real
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &quote, Some(&wan_chat(5))).0, 400);
    assert_eq!(balance(&emulator), 1_000_000, "nothing billed");
    assert!(emulator.requests_to("/v1/chat/completions", 2).iter().all(|l| !l.contains("cached")), "nothing drawn");
}

#[test]
fn every_paid_answer_says_what_it_charged_and_bill_per_request_charges_wan_per_request() {
    let emulator = Emulator::start(&[]);
    let charged = |emulator: &Emulator, path: &str, body: Value| {
        let (status, headers, text) = send(emulator, reqwest::Method::POST, path, &[BEARER], Some(&body));
        assert_eq!(status, 200, "{text}");
        headers["x-aisa-customer-cost-micros-usd"].to_str().unwrap().parse::<u64>().unwrap()
    };
    assert_eq!(charged(&emulator, "/chat/completions", wan_chat(4)), 120_000);
    assert_eq!(charged(&emulator, "/images/generations", json!({"model": SEEDREAM, "prompt": "x"})), 35_000);
    assert_eq!(
        charged(&emulator, "/images/generations", json!({"model": "gpt-image-2", "prompt": "x", "n": 2})),
        100_000
    );
    assert_eq!(charged(&emulator, "/images/generations", json!({"model": "gpt-image-2.5-flare", "prompt": "x"})), 0);
    let gemini = json!({"contents": [{"parts": [{"text": "x"}]}]});
    assert_eq!(charged(&emulator, GEMINI_PATH, gemini), 100_000);

    let per_request = Emulator::start(&["--bill-per-request", "--balance", "1"]);
    assert_eq!(charged(&per_request, "/chat/completions", wan_chat(4)), 30_000, "$0.030 for 4 images");
    assert_eq!(balance(&per_request), 970_000);
    let pro = json!({"model": "wan2.7-image-pro", "n": 2, "messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]});
    assert_eq!(charged(&per_request, "/chat/completions", pro), 75_000);
    assert_eq!(
        charged(&per_request, "/images/generations", json!({"model": "gpt-image-2", "prompt": "x", "n": 2})),
        100_000,
        "only Wan"
    );
    // wan itself reads the answers as before
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &per_request).args(["generate", "x", "-n", "4"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

#[test]
fn usage_answers_from_what_was_billed() {
    let emulator = Emulator::start(&["--balance", "1"]);
    let started = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &[BEARER], Some(&wan_chat(2))).0, 200);
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &[BEARER], Some(&wan_chat(9))).0, 400);
    let seedream = json!({"model": SEEDREAM, "prompt": "x"});
    assert_eq!(send(&emulator, reqwest::Method::POST, "/images/generations", &[BEARER], Some(&seedream)).0, 200);
    let quote = [BEARER, ("x-aisa-cost-mode", "quote")];
    assert_eq!(send(&emulator, reqwest::Method::POST, "/chat/completions", &quote, Some(&wan_chat(1))).0, 200);
    let window = format!("/usage?start_time={}&end_time={}", started - 5, started + 3600);
    let (status, _, text) = send(&emulator, reqwest::Method::GET, &window, &[BEARER], None);
    assert_eq!(status, 200, "{text}");
    let usage: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(usage["totals"], json!({"charged_micros_usd": 95_000, "requests": 3, "failed_requests": 1}));
    assert_eq!(1_000_000 - balance(&emulator), 95_000, "the usage is what the balance lost");
    let daily = usage["daily"].as_array().unwrap();
    assert_eq!(daily.iter().map(|d| d["charged_micros_usd"].as_u64().unwrap()).sum::<u64>(), 95_000);
    assert!(daily[0]["date"].as_str().unwrap().len() == 10, "{usage}");
    let before = format!("/usage?start_time=1000&end_time={}", started - 5);
    let (_, _, text) = send(&emulator, reqwest::Method::GET, &before, &[BEARER], None);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["totals"]["requests"], 0);
    assert_eq!(send(&emulator, reqwest::Method::GET, "/usage", &[BEARER], None).0, 400);
    let (status, _, text) = send(&emulator, reqwest::Method::GET, &window, &[], None);
    assert_eq!(status, 401);
    let flat: Value = serde_json::from_str(&text).unwrap();
    assert!(flat["code"].is_string() && flat["error"].is_string() && flat["request_id"].is_string(), "{flat}");
}

/// Issue 28: the emulator on a busy port said only "Address in use".
#[test]
fn the_emulator_on_a_busy_port_hints_at_port_0() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let sb = Sandbox::new();
    let out = sb.wan().args(["emulator", "--port", &port]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{stderr}");
    assert!(stderr.contains("hint: --port 0 takes a free port"), "{stderr}");
}

//! `wan emulator` over loopback: its fidelity to the service (routes, errors, limits, `--rpm`, faults), `wan` on it.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

use crate::support::emulator::{Emulator, balance, with_emulator};
use crate::support::*;

fn post(emulator: &Emulator, path: &str, key: Option<&str>, body: &Value) -> Response {
    let mut request = Client::new().post(format!("{}{path}", emulator.base)).body(body.to_string());
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
    let png = Client::new().get(url).send().unwrap();
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
    let missing = Client::new().get(format!("{}/nowhere", emulator.base)).send().unwrap();
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
    let keyless = Client::new().get(format!("{}/credits/balance", emulator.base)).send().unwrap();
    assert_eq!(keyless.status().as_u16(), 401);
    assert_eq!(keyless.json::<Value>().unwrap(), json!({"error": "balance unavailable"}));
}

#[test]
fn the_emulator_sends_each_model_to_its_own_route() {
    let emulator = Emulator::start(&[]);
    let post = |path: &str, body: Value| {
        let response = Client::new()
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
    let beta = Client::new()
        .post(format!("{}{GEMINI_BETA_PATH}", emulator.base.trim_end_matches("/v1")))
        .header("authorization", "Bearer test")
        .body(json!({"contents": [{"parts": [{"text": "x"}]}]}).to_string())
        .send()
        .unwrap();
    assert_eq!(beta.status().as_u16(), 200, "/v1beta too");
    let keyless =
        Client::new().post(format!("{}{}", emulator.base, GEMINI_PATH.replace("/v1", ""))).body("{}").send().unwrap();
    assert_eq!(keyless.status().as_u16(), 401);
    assert_eq!(keyless.json::<Value>().unwrap()["error"]["status"], "UNAUTHENTICATED");
}

#[test]
fn the_emulator_lists_the_catalogue_with_each_model_s_routes() {
    let emulator = Emulator::start(&[]);
    let list = |key: Option<&str>| {
        let mut request = Client::new().get(format!("{}/models", emulator.base));
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let response = request.send().unwrap();
        (response.status().as_u16(), response.json::<Value>().unwrap())
    };
    let (status, body) = list(Some("test"));
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 8, "{body}");
    let types = |id: &str| data.iter().find(|m| m["id"] == id).unwrap()["supported_endpoint_types"].clone();
    assert_eq!(types(GEMINI), json!(["generateContent"]));
    assert_eq!(types(SEEDREAM), json!(["images/generations"]));
    assert_eq!(types("wan2.7-image"), json!(["chat/completions"]));
    assert_eq!(list(None).0, 401);
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

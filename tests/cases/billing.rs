//! What a run costs: the cost line, reported and unknown prices, `--max-cost` and the `--dry-run` preview.

use std::fs;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

#[test]
fn max_cost_refuses_before_sending_and_lets_cheaper_runs_through() {
    let mut sb = Sandbox::new();
    let never = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let out = sb.wan().args(["generate", "x", "-n", "5", "--max-cost", "0.10"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("this run would cost $0.150 (5 × $0.030), more than --max-cost $0.100"));
    let pro = sb.wan().args(["generate", "x", "--pro", "-n", "2", "--max-cost", "0.10"]).output().unwrap();
    assert_eq!(pro.status.code(), Some(2));
    never.assert();

    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan().args(["generate", "x", "--max-cost", "$0.03"]).assert().code(0);
}

#[test]
fn dry_run_prints_the_bodies_and_cost_sends_nothing_and_needs_no_key() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("ref.png"), png(3)).unwrap();
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let out = sb
        .wan()
        .env_remove("AISA_API_KEY")
        .args(["edit", "ref.png", "make it blue", "-n", "6", "--dry-run", "--size", "1024x1024"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    let stdout = stdout_of(&out);
    let bodies: Vec<Value> = serde_json::Deserializer::from_str(&stdout).into_iter().map(Result::unwrap).collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["n"], 4);
    assert_eq!(bodies[1]["n"], 2);
    assert_eq!(bodies[0]["size"], "1024x1024");
    let content = &bodies[0]["messages"][0]["content"];
    let url = content[0]["image_url"]["url"].as_str().unwrap();
    assert!(url.starts_with("data:image/png;base64,iVBORw0KGgo") && url.ends_with("base64 characters)"), "{url}");
    assert_eq!(content[1], json!({"type": "text", "text": "make it blue"}));
    assert!(stdout.contains("\n  \"model\": \"wan2.7-image\""), "pretty JSON: {stdout}");
    let stderr = stderr_of(&out);
    assert!(stderr.contains("would send 2 requests"), "{stderr}");
    assert!(stderr.contains("6 × $0.030 = $0.180 · nothing was sent"), "{stderr}");
    assert!(sb.files(".") == ["ref.png"], "nothing written: {:?}", sb.files("."));
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
fn cost_is_counted_from_the_images_returned_not_asked() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    let out = sb.wan().args(["generate", "x", "-n", "3"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the service returned 2 of the 3 images asked for"), "{stderr}");
    assert!(stderr.ends_with("saved 2 of 3 images to ./ · wan2.7-image · 2 × $0.030 = $0.060\n"), "{stderr}");
    assert_eq!(out.status.code(), Some(7));
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

#[test]
fn a_price_reported_by_the_service_is_used_and_named() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_header("x-aisa-price-usd", "0.025")
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .create();
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert!(stderr_of(&out).ends_with("saved 1 image to ./ · wan2.7-image · $0.025 (as reported by the service)\n"));
}

#[test]
fn an_absurd_reported_price_is_shown_as_reported_never_wrapped() {
    let mut sb = Sandbox::new();
    // Read as a float, each answer's price was 2^63 micro-dollars; two of them wrapped to $0.000.
    let urls: Vec<String> = (1..=4).map(|i| sb.url(&format!("/{i}.png"))).collect();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_header("x-aisa-price-usd", "9223372036854.775807")
        .with_body(chat_answer(&urls).to_string())
        .expect(2)
        .create();
    for i in 1..=4u8 {
        sb.image(&format!("/{i}.png"), &png(i));
    }
    let out = sb.wan().args(["generate", "x", "-n", "8"]).output().unwrap();
    api.assert();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("· $18446744073709.551614 (as reported by the service)"), "{stderr}");
}

#[test]
fn a_limit_a_hair_under_the_price_refuses_the_run() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb.wan().args(["generate", "x", "--max-cost", "0.0299999"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("more than --max-cost $0.029999"), "{stderr}");
    api.assert();
    // the price itself is within the limit
    sb.wan().args(["generate", "x", "--max-cost", "0.03", "--dry-run"]).assert().code(0);
}

#[test]
fn the_summary_counts_the_images_of_a_request_that_failed_outright() {
    let mut sb = Sandbox::new();
    let urls: Vec<String> = (1..=4).map(|i| sb.url(&format!("/{i}.png"))).collect();
    for i in 1..=4u8 {
        sb.image(&format!("/{i}.png"), &png(i));
    }
    sb.server.mock("POST", "/v1/chat/completions").with_body(chat_answer(&urls).to_string()).expect(1).create();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(422)
        .with_body(r#"{"error":{"code":"content_policy","message":"no"}}"#)
        .create();
    let out = sb.wan().args(["generate", "x", "-n", "8", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stderr = stderr_of(&out);
    assert!(stderr.ends_with("saved 4 of 8 images to ./ · wan2.7-image · 4 × $0.030 = $0.120\n"), "{stderr}");
}

use crate::support::emulator::Emulator;

#[test]
fn every_paid_request_carries_an_idempotency_key_of_its_place_in_the_run() {
    let mut sb = Sandbox::new();
    let answer = chat_answer(&[sb.url("/1.png")]);
    // -n 6: requests of 4 and 2, each with a key of its own: the run's id, prompt 0, chunk 0 and 1.
    let mut keyed = |chunk: &str| {
        sb.server
            .mock("POST", "/v1/chat/completions")
            .match_header("idempotency-key", mockito::Matcher::Regex(format!("^wan-[0-9a-f]{{12}}-0-{chunk}$")))
            .with_header("content-type", "application/json")
            .with_body(answer.to_string())
            .expect(1)
            .create()
    };
    let (first, second) = (keyed("0"), keyed("1"));
    sb.image("/1.png", &png(1));
    let out = journaled(&sb).args(["generate", "x", "-n", "6", "-v"]).output().unwrap();
    first.assert();
    second.assert();
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    let keys: Vec<String> = db
        .prepare("SELECT idempotency_key FROM requests ORDER BY chunk")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let run: String = db.query_row("SELECT id FROM runs", [], |r| r.get(0)).unwrap();
    assert_eq!(keys, [format!("wan-{run}-0-0"), format!("wan-{run}-0-1")], "on record before they were sent");
    assert!(stderr_of(&out).contains(&format!("idempotency key wan-{run}-0-1")), "-v shows it: {}", stderr_of(&out));
}

#[test]
fn a_request_sent_again_carries_its_first_key_and_a_409_says_it_was_billed_once() {
    // The first answer never comes: the request's outcome is unknown, and it may be billed.
    let silent =
        crate::support::raw::RawServer::start(vec![crate::support::raw::Fault::Silence(Duration::from_secs(30))]);
    let mut sb = Sandbox::new();
    let run = journaled(&sb)
        .env("AISA_BASE_URL", silent.url("/v1"))
        .args(["generate", "x", "--timeout", "1", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(6), "{}", stderr_of(&run));
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    let key: String = db.query_row("SELECT idempotency_key FROM requests", [], |r| r.get(0)).unwrap();
    // The service had completed it: the same key again is its 409, billed once.
    let repeat = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("idempotency-key", key.as_str())
        .with_status(409)
        .with_body(r#"{"error":{"code":"request_already_completed","message":"An identical request is already complete.","retryable":false}}"#)
        .expect(1)
        .create();
    let resent = journaled(&sb).args(["resume", "--resend-unknown"]).output().unwrap();
    let said = stderr_of(&resent);
    assert_eq!(resent.status.code(), Some(7), "{said}");
    assert!(said.contains("already billed at the service") && said.contains("cannot be fetched again"), "{said}");
    repeat.assert();
    // Billed, and failed: the one failure a resume never sends again.
    let again = journaled(&sb).arg("resume").output().unwrap();
    assert!(stderr_of(&again).contains("nothing to resume"), "{}", stderr_of(&again));
    repeat.assert();
}

#[test]
fn max_cost_caps_each_request_at_the_service_and_its_402_is_exit_4() {
    let mut sb = Sandbox::new();
    // -n 8 under --max-cost 0.30: two requests of 4 ($0.120 each at list price), and each
    // its share of the $0.060 left over: $0.150.
    let capped = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("x-aisa-max-price-usd", "0.15")
        .with_status(402)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":{"code":"estimated_price_exceeds_max_price","message":"estimate $0.200 over the cap","retryable":false}}"#)
        .expect(2)
        .create();
    let out = sb.wan().args(["generate", "x", "-n", "8", "--max-cost", "0.30"]).output().unwrap();
    let said = stderr_of(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("price cap") && said.contains("nothing was billed") && said.contains("--max-cost"), "{said}");
    capped.assert();
}

#[test]
fn the_charged_cost_wins_and_a_charge_unlike_the_list_price_is_noted_once() {
    let emulator = Emulator::start(&["--bill-per-request"]);
    let sb = Sandbox::new();
    let out = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "x", "-n", "8", "--json"])
        .output()
        .unwrap();
    let said = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("charged $0.060 (list 8 × $0.030 = $0.240)"), "{said}");
    assert_eq!(said.matches("billed per request?").count(), 1, "once a run: {said}");
    let line = json_line(&out);
    assert_eq!((line["charged"].as_f64(), line["cost"]["total"].as_f64()), (Some(0.06), Some(0.06)), "{line}");
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let run: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!((run["cost"].as_f64(), run["cost_source"].as_str()), (Some(0.06), Some("charged")), "{run}");
}

#[test]
fn an_error_body_that_says_it_is_not_retryable_is_not_sent_again_even_on_a_5xx() {
    let mut sb = Sandbox::new();
    let refused = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_body(r#"{"error":{"code":"provider_unavailable","message":"no","retryable":false}}"#)
        .expect(1)
        .create();
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(stderr_of(&out).contains("provider_unavailable: no"), "{}", stderr_of(&out));
    refused.assert();
    let retried = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_body(r#"{"error":{"code":"metered_v2_billing_dependency_timeout","message":"later","retryable":true}}"#)
        .expect(3)
        .create();
    let out = sb.wan().args(["generate", "x", "--retries", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6));
    retried.assert();
    // The gateway's flat 401 and a bare-string error are read as the documented shape is.
    for (status, body, said, exit) in [
        (
            401,
            r#"{"code":"invalid_api_key","error":"the key is not valid","request_id":"req_9"}"#,
            "invalid_api_key: the key is not valid (request id req_9)",
            3,
        ),
        (
            400,
            r#"{"error":"request does not match the endpoint contract"}"#,
            "request does not match the endpoint contract",
            4,
        ),
    ] {
        let shape = sb.server.mock("POST", "/v1/chat/completions").with_status(status).with_body(body).create();
        let out = sb.wan().args(["generate", "x"]).output().unwrap();
        assert_eq!(out.status.code(), Some(exit));
        assert!(stderr_of(&out).contains(said), "{}", stderr_of(&out));
        shape.remove();
    }
}

#[test]
fn a_dry_run_with_quote_asks_one_quote_per_distinct_request_and_bills_nothing() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    fs::write(sb.path("prompts.txt"), (1..=50).map(|i| format!("prompt {i}\n")).collect::<String>()).unwrap();
    let before = crate::support::emulator::balance(&emulator);
    let out = sb
        .wan()
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-n", "6", "--dry-run", "--quote"])
        .output()
        .unwrap();
    let said = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("asking the service for 2 quotes (one for each distinct request of the 100 planned"),
        "{said}"
    );
    assert!(
        said.contains("quote: a request of 4 images: $0.120 (exact) · list price $0.120 · 50 such requests"),
        "{said}"
    );
    assert!(
        said.contains("quote: the whole run, 100 requests: $9.000 by the service's estimates · list price $9.000"),
        "{said}"
    );
    assert_eq!(emulator.requests_to("/v1/chat", 2).len(), 2, "two quotes, for 100 requests");
    assert_eq!(crate::support::emulator::balance(&emulator), before, "quotes are not billed");
    // Without --quote a dry run stays offline and needs no key.
    let offline = sb.wan().env_remove("AISA_API_KEY").args(["generate", "x", "--dry-run"]).output().unwrap();
    assert_eq!(offline.status.code(), Some(0));
    let refused = sb.wan().args(["generate", "x", "--quote"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "--quote is a dry run's");
}

#[test]
fn a_service_that_ignores_the_quote_header_has_its_images_saved() {
    let mut sb = Sandbox::new();
    let ran = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("x-aisa-cost-mode", "quote")
        .with_header("content-type", "application/json")
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "a fox", "--dry-run", "--quote", "-o", "out"]).output().unwrap();
    let said = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("the service does not quote") && said.contains("may have billed it"), "{said}");
    assert_eq!(sb.files("out"), ["a-fox-001.png"]);
    ran.assert();
}

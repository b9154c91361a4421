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

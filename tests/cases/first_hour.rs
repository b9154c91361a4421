//! What a new user trips on in the first hour: errors said once, hints that point the
//! way, the shortfall in the summary.

use serde_json::{Value, json};

use crate::support::raw::GateServer;
use crate::support::*;

fn refusing(sb: &mut Sandbox, status: usize, body: serde_json::Value) -> mockito::Mock {
    sb.server.mock("POST", "/v1/chat/completions").with_status(status).with_body(body.to_string()).create()
}

#[test]
fn a_refused_key_is_said_once_with_how_many_requests_it_stopped() {
    // -n 16 is four requests of four; the gate holds each until all four are in flight
    let refusal = json!({"error": {"code": "invalid_api_key", "message": "bad key"}}).to_string().into_bytes();
    let gate = GateServer::start_with_status(4, 4, 401, refusal);
    let sb = Sandbox::new();
    let out = sb.wan().env("AISA_BASE_URL", gate.base()).args(["generate", "x", "-n", "16"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("the API refused the key").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("hint:").count(), 1, "{stderr}");
    assert!(stderr.ends_with("wan: the same error met 3 more requests\n"), "{stderr}");
    assert_eq!(gate.observed(), (4, 4));
}

#[test]
fn requests_after_a_refused_key_are_not_sent_and_counted_after_the_cause() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    let out = sb.wan().args(["generate", "x", "-n", "64", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("the API refused the key").count(), 1, "{stderr}");
    assert!(stderr.ends_with("wan: 15 requests not sent after it\n"), "{stderr}");
    assert!(stderr.find("the API refused the key").unwrap() < stderr.find("not sent").unwrap());
    api.expect(1).assert();
}

#[test]
fn a_batch_stopped_by_a_refused_key_says_so_once_not_once_a_prompt() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    let prompts: String = (1..=40).map(|i| format!("prompt {i}\n")).collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let out = sb.wan().args(["generate", "-f", "prompts.txt", "-j", "1", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().count(), 3, "the error, its hint, the count: {stderr}");
    assert!(stderr.ends_with("wan: 39 requests not sent after it\n"), "{stderr}");
    // Scripts still get a line for every prompt, each saying why.
    let lines: Vec<Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 40);
    assert!(lines[39]["error"]["message"].as_str().unwrap().starts_with("not sent, after another request failed"));
    // -v names each prompt not sent.
    let verbose = sb.wan().args(["generate", "-f", "prompts.txt", "-j", "1", "-v"]).output().unwrap();
    assert_eq!(stderr_of(&verbose).matches("not sent, after another request failed").count(), 39);
    api.expect(2).assert();
}

#[test]
fn an_unknown_model_stops_the_run_and_names_the_nearest_model() {
    let mut sb = Sandbox::new();
    let api = refusing(&mut sb, 500, json!({"error": {"code": "model_not_found", "message": "model not found"}}));
    let out = sb.wan().args(["generate", "x", "-n", "40", "-m", "wan2.7-imag", "-j", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches("does not serve the model wan2.7-imag").count(), 1, "{stderr}");
    assert!(stderr.contains("hint: did you mean wan2.7-image? `wan models` lists the models"), "{stderr}");
    assert!(!stderr.contains("ask AIsa support"), "{stderr}");
    assert!(stderr.contains("9 requests not sent after it"), "{stderr}");
    api.expect(1).assert();
}

#[test]
fn a_batch_stopped_by_a_refused_key_reports_every_prompt_with_its_kind() {
    let mut sb = Sandbox::new();
    refusing(&mut sb, 401, json!({"error": {"code": "invalid_api_key", "message": "bad key"}}));
    std::fs::write(sb.path("p.txt"), "one\ntwo\nthree\n").unwrap();
    let out = sb.wan().args(["generate", "-f", "p.txt", "-j", "1", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let lines: Vec<serde_json::Value> = stdout_of(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["error"]["kind"], "auth", "{line}");
    }
    assert!(lines[1]["error"]["message"].as_str().unwrap().starts_with("not sent, after another request failed"));
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

#[test]
fn a_base_url_without_v1_hints_at_it() {
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/chat/completions").with_status(404).with_body("404 page not found").create();
    let out = sb.wan().env("AISA_BASE_URL", sb.server.url()).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("HTTP 404: 404 page not found"), "{stderr}");
    assert!(stderr.contains("does not end in /v1"), "{stderr}");
    // with /v1, a 404 is not blamed on the base URL
    sb.server.mock("POST", "/v1/chat/completions").with_status(404).with_body("404 page not found").create();
    let with_v1 = sb.wan().args(["generate", "x"]).output().unwrap();
    assert!(!stderr_of(&with_v1).contains("does not end in /v1"));
}

#[test]
fn edit_with_the_prompt_first_says_the_prompt_comes_last() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("ref.png"), png_sized(300, 300, 1)).unwrap();
    let out = sb.wan().args(["edit", "make it blue", "ref.png"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("reference image make it blue: no such file"), "{stderr}");
    assert!(stderr.contains("the prompt comes last"), "{stderr}");
}

#[test]
fn edit_from_a_terminal_on_standard_input_is_refused_at_once() {
    let sb = Sandbox::new();
    let Some(script) = which_script() else {
        eprintln!("skipped: no `script` to make a terminal with");
        return;
    };
    let wan = assert_cmd::cargo::cargo_bin!("wan");
    let out = std::process::Command::new(script)
        .env_clear()
        .current_dir(sb.dir.path())
        .env("AISA_API_KEY", KEY)
        .env("AISA_BASE_URL", sb.api_base())
        .args(["-qec", &format!("{} edit - 'make it blue' </dev/tty", wan.display()), "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("standard input is a terminal"), "{text}");
    assert_eq!(out.status.code(), Some(2), "{text}");
}

fn which_script() -> Option<&'static str> {
    let found = std::process::Command::new("script").arg("--version").output().ok()?;
    found.status.success().then_some("script")
}

#[test]
fn dash_o_dash_writes_the_image_bytes_to_standard_output() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(7));
    let out = sb.wan().args(["generate", "logo", "-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(strip_provenance(out.stdout.clone()), png(7));
    assert!(stderr_of(&out).ends_with("saved 1 image to standard output · wan2.7-image · 1 × $0.030 = $0.030\n"));
    assert!(sb.files(".").is_empty(), "nothing is left on disk: {:?}", sb.files("."));
}

#[test]
fn dash_o_dash_refuses_more_than_one_image_and_json() {
    let mut sb = Sandbox::new();
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    for args in [&["-n", "2"][..], &["--json"]] {
        let out = sb.wan().args(["generate", "logo", "-o", "-"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    api.assert();
}

#[test]
fn completions_suggest_models_folders_and_sizes_without_refusing_others() {
    let sb = Sandbox::new();
    let bash = stdout_of(&sb.wan().args(["completions", "zsh"]).output().unwrap());
    assert!(bash.contains("wan2.7-image-pro"), "models are offered");
    assert!(bash.contains("1024x1024"), "sizes are offered");
    assert!(bash.contains("_files -/"), "-o offers folders only");
    let other =
        sb.wan().args(["generate", "x", "-m", "my-own-model", "--size", "640x480", "--dry-run"]).output().unwrap();
    assert_eq!(other.status.code(), Some(0), "{}", stderr_of(&other));
    assert!(stdout_of(&other).contains("\"my-own-model\""));
}

//! For scripts and people: JSON Lines, batches, concurrency, dry run, the cost guard,
//! `-v`, `-q`, `--size`/`--param`, `models`, `completions` and `--help`.

use std::fs;

use base64::Engine;
use mockito::Matcher;
use serde_json::{Value, json};

use crate::support::raw::GateServer;
use crate::support::*;

#[test]
fn json_gives_one_object_per_prompt_with_every_field() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[
        sb.url("/1.png"),
        format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg(2))),
    ]));
    sb.image("/1.png", &png(1));

    let out = sb.wan().args(["generate", "red panda", "-n", "2", "-o", "out", "--json"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["prompt"], "red panda");
    assert_eq!(line["model"], "wan2.7-image");
    assert_eq!(line["run"], serde_json::Value::Null, "no journal in the sandbox");
    let mut images = line["images"].as_array().unwrap().clone();
    images.sort_by_key(|i| i["path"].as_str().unwrap().to_string());
    assert_eq!(
        images,
        vec![
            json!({"path": "out/red-panda-001.png", "bytes": read_raw(&sb.path("out/red-panda-001.png")).len(),
                "format": "png", "source": "url", "url": sb.url("/1.png")}),
            json!({"path": "out/red-panda-002.jpg", "bytes": jpeg(2).len(), "format": "jpeg", "source": "base64", "url": null}),
        ]
    );
    assert_eq!(
        line["cost"],
        json!({"per_image": 0.03, "per_request": null, "unit": "image", "count": 2, "requests": 1, "total": 0.06, "currency": "USD"})
    );
    assert_eq!(line["request_ids"], json!(["req_hdr_1"]));
    assert_eq!(line["usage"], json!({"prompt_tokens": 104, "completion_tokens": 8, "total_tokens": 112}));
    assert_eq!(line["error"], Value::Null);
    // files are written exactly as without --json
    assert_eq!(read(&sb.path("out/red-panda-001.png")), png(1));
    assert_eq!(read(&sb.path("out/red-panda-002.jpg")), jpeg(2));
}

#[test]
fn json_reports_an_error_as_an_object() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(json!({"error": {"type": "invalid_request_error", "code": "invalid_parameter_error", "message": "bad", "request_id": "req_9"}}).to_string())
        .create();
    let out = sb.wan().args(["generate", "x", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let line = &json_lines(&out)[0];
    assert_eq!(line["images"], json!([]));
    assert_eq!(line["cost"]["count"], 0);
    let error = &line["error"];
    assert_eq!(error["kind"], "rejected");
    assert_eq!(error["status"], 400);
    assert_eq!(error["code"], "invalid_parameter_error");
    assert_eq!(error["request_id"], "req_9");
    assert!(error["message"].as_str().unwrap().contains("HTTP 400 invalid_parameter_error: bad"));
}

/// A chat route that answers each prompt of a batch by its text.
fn answer_prompt(sb: &mut Sandbox, prompt: &str, image_path: &str) -> mockito::Mock {
    let answer = chat_answer(&[sb.url(image_path)]);
    sb.chat_when(json!({"messages": [{"content": [{"type": "text", "text": prompt}]}]}), &answer, 1)
}

#[test]
fn a_batch_skips_comments_and_blanks_and_a_failed_prompt_does_not_stop_the_others() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("prompts.txt"), "# my batch\nred panda\n\n   \n  # skipped too\nbad one\nsea otter\n").unwrap();
    let panda = answer_prompt(&mut sb, "red panda", "/panda.png");
    let otter = answer_prompt(&mut sb, "sea otter", "/otter.png");
    let bad = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::PartialJson(json!({"messages": [{"content": [{"type": "text", "text": "bad one"}]}]})))
        .with_status(422)
        .with_body(json!({"error": {"code": "content_policy_violation", "message": "no"}}).to_string())
        .expect(1)
        .create();
    sb.image("/panda.png", &png(1));
    sb.image("/otter.png", &png(2));

    let out = sb.wan().args(["generate", "-f", "prompts.txt", "--json", "-o", "out"]).output().unwrap();

    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    panda.assert();
    otter.assert();
    bad.assert();
    let mut lines = json_lines(&out);
    lines.sort_by_key(|l| l["prompt"].as_str().unwrap().to_string());
    let prompts: Vec<&str> = lines.iter().map(|l| l["prompt"].as_str().unwrap()).collect();
    assert_eq!(prompts, ["bad one", "red panda", "sea otter"]);
    assert_eq!(lines[0]["error"]["code"], "content_policy_violation");
    assert_eq!(lines[1]["images"][0]["path"], "out/red-panda-001.png");
    assert_eq!(lines[2]["images"][0]["path"], "out/sea-otter-001.png");
    assert_eq!(sb.files("out"), ["red-panda-001.png", "sea-otter-001.png"]);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("prompt 2 (\"bad one\"): the API rejected the request: HTTP 422"), "{stderr}");
    assert!(stderr.ends_with("saved 2 of 3 images to out/ · wan2.7-image · 2 × $0.030 = $0.060\n"), "{stderr}");
}

#[test]
fn a_batch_can_come_from_standard_input_and_n_applies_to_each_prompt() {
    let mut sb = Sandbox::new();
    let answer = chat_answer(&[sb.url("/a.png"), sb.url("/b.png")]);
    let api = sb.chat_when(json!({"n": 2}), &answer, 2);
    sb.image("/a.png", &png(1));
    sb.image("/b.png", &png(2));
    let out = sb.wan().args(["generate", "-f", "-", "-n", "2"]).write_stdin("cat\ndog\n").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert_eq!(sorted_lines(&out), ["cat-001.png", "cat-002.png", "dog-001.png", "dog-002.png"]);
}

#[test]
fn a_prompt_and_a_batch_file_together_or_an_empty_batch_are_usage_errors() {
    let sb = Sandbox::new();
    fs::write(sb.path("empty.txt"), "# nothing\n\n").unwrap();
    sb.wan().args(["generate", "cat", "-f", "empty.txt"]).assert().code(2);
    let out = sb.wan().args(["generate", "-f", "empty.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("empty.txt holds no prompts"));
}

fn base64_answer(n: usize) -> Vec<u8> {
    let image = base64::engine::general_purpose::STANDARD.encode(png(1));
    chat_answer(&vec![image; n]).to_string().into_bytes()
}

#[test]
fn jobs_bounds_the_requests_in_flight_and_uses_all_of_them() {
    // 3 prompts × 8 images = 6 requests of 4, with -j 3
    let gate = GateServer::start(3, 6, base64_answer(4));
    let sb = Sandbox::new();
    let out = sb
        .wan()
        .args(["generate", "-f", "-", "-n", "8", "-j", "3", "-q", "--base-url", &gate.base()])
        .write_stdin("a\nb\nc\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(gate.observed(), (3, 6));
    assert_eq!(stdout_of(&out).lines().count(), 24);

    // the default is 4: 16 images in one prompt are 4 requests, all at once
    let gate = GateServer::start(4, 4, base64_answer(4));
    let sb = Sandbox::new();
    sb.wan().args(["generate", "x", "-n", "16", "-q", "--base-url", &gate.base()]).assert().code(0);
    assert_eq!(gate.observed(), (4, 4));
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
fn stderr_holds_only_the_summary_when_it_is_not_a_terminal_and_nothing_under_quiet() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "x"]).output().unwrap();
    assert_eq!(stderr_of(&out), "saved 1 image to ./ · wan2.7-image · 1 × $0.030 = $0.030\n");
    let quiet = sb.wan().args(["generate", "x", "-q"]).output().unwrap();
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr_of(&quiet), "");
    assert_eq!(stdout_of(&quiet), "x-002.png\n");
}

#[test]
fn quiet_still_prints_errors() {
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/v1/chat/completions").with_status(401).with_body("{}").create();
    let out = sb.wan().args(["generate", "x", "-q"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr_of(&out).starts_with("wan: error: the API refused the key: HTTP 401"));
}

#[test]
fn verbose_shows_each_request_and_answer() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "x", "-v", "-n", "1"]).output().unwrap();
    let stderr = stderr_of(&out);
    let sent = format!("wan: → POST {}/chat/completions · model wan2.7-image · n 1 · ", sb.api_base());
    assert!(stderr.contains(&sent), "{stderr}");
    assert!(stderr.contains("wan: ← HTTP 200 · request id req_hdr_1 · "), "{stderr}");
}

#[test]
fn size_and_params_are_added_to_the_body() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::PartialJson(
            json!({"size": "2048x2048", "seed": 7, "watermark": false, "style": "ink wash"}),
        ))
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    sb.wan()
        .args([
            "generate",
            "x",
            "--size",
            "2048x2048",
            "--param",
            "seed=7",
            "--param",
            "watermark=false",
            "--param",
            "style=ink wash",
        ])
        .assert()
        .code(0);
    api.assert();
    sb.wan().args(["generate", "x", "--param", "n=4"]).assert().code(2);
    sb.wan().args(["generate", "x", "--size", "large"]).assert().code(2);
}

#[test]
fn models_lists_names_prices_and_purposes() {
    let sb = Sandbox::new();
    let table = sb.wan().arg("models").output().unwrap();
    let text = stdout_of(&table);
    assert!(text.lines().any(|l| l.starts_with("wan2.7-image ") && l.contains("$0.030")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("wan2.7-image-pro") && l.contains("--pro") && l.contains("$0.075")),
        "{text}"
    );
    let lines = json_lines(&sb.wan().args(["models", "--json"]).output().unwrap());
    assert_eq!(lines.len(), 8, "the whole catalogue");
    assert_eq!(lines[1]["model"], "wan2.7-image-pro");
    assert_eq!(lines[1]["price_per_image"], 0.075);
    assert_eq!(lines[1]["price_unit"], "image");
    assert_eq!(lines[0]["currency"], "USD");
    assert!(lines[0]["purpose"].as_str().unwrap().contains("general-purpose"));
}

const SHELLS: [(&str, &str); 5] =
    [("bash", "wan.bash"), ("zsh", "_wan"), ("fish", "wan.fish"), ("powershell", "_wan.ps1"), ("elvish", "wan.elv")];

/// Fails when a committed completion script differs from what the binary prints.
/// `WAN_UPDATE_COMPLETIONS=1 cargo test completions` rewrites them instead.
#[test]
fn committed_completions_match_the_binary() {
    let sb = Sandbox::new();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in SHELLS {
        let out = sb.wan().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout_of(&out).contains("generate"), "{shell}");
        let path = folder.join(file);
        if std::env::var_os("WAN_UPDATE_COMPLETIONS").is_some() {
            fs::write(&path, &out.stdout).unwrap();
        }
        let committed = fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run WAN_UPDATE_COMPLETIONS=1 cargo test completions"
        );
    }
}

#[test]
fn every_help_has_examples_environment_and_exit_codes() {
    let sb = Sandbox::new();
    for args in [vec!["--help"], vec!["generate", "--help"], vec!["edit", "--help"]] {
        let help = stdout_of(&sb.wan().args(&args).output().unwrap());
        for needle in ["Examples:", "AISA_API_KEY", "Exit codes:", "7    partial"] {
            assert!(help.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
    assert_eq!(help_exit_codes(&sb), readme_exit_codes(), "--help and the README must give the same exit codes");
    for args in [["models", "--help"], ["completions", "--help"]] {
        assert!(stdout_of(&sb.wan().args(args).output().unwrap()).contains("Examples:"), "{args:?}");
    }
}

/// The exit-code table of `wan --help`, as (code, meaning) pairs.
fn help_exit_codes(sb: &Sandbox) -> Vec<(String, String)> {
    let help = stdout_of(&sb.wan().arg("--help").output().unwrap());
    let table = help.split("Exit codes:\n").nth(1).unwrap();
    table
        .lines()
        .take_while(|line| line.starts_with("  "))
        .map(|line| {
            let (code, meaning) = line.trim().split_once(' ').unwrap();
            (code.to_string(), meaning.trim().to_string())
        })
        .collect()
}

/// The README's exit-code table, with its code formatting dropped.
fn readme_exit_codes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("## Exit codes").nth(1).unwrap().split("\n## ").next().unwrap();
    table
        .lines()
        .filter(|line| line.starts_with("| ") && line.as_bytes().get(2).is_some_and(u8::is_ascii_digit))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            (cells[0].trim_start_matches("| ").to_string(), cells[1].trim_end_matches(" |").replace('`', ""))
        })
        .collect()
}

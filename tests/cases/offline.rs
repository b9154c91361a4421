//! `--offline` (`WAN_OFFLINE`, `offline = true`): the emulator inside `wan`, with no key and
//! nothing sent off the machine: real files, one line on stderr, runs marked in the journal
//! and left out of `wan cost`, and runs of each kind finished only as they were made.

use serde_json::{Value, json};

use crate::support::jsonrpc::{RawMcp, result_text};
use crate::support::*;

const OFFLINE_LINE: &str = "wan: offline: nothing is sent to the service and nothing is billed";

/// `wan` with no key and no base URL (a fresh machine), its journal in `state/`.
fn fresh(sb: &Sandbox) -> assert_cmd::Command {
    let mut cmd = journaled(sb);
    cmd.env_remove("AISA_API_KEY").env_remove("AISA_BASE_URL");
    cmd
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

#[test]
fn the_readme_s_first_example_works_with_no_key_and_sends_nothing_off_the_machine() {
    let mut sb = Sandbox::new();
    let out = fresh(&sb).args(["generate", "red panda", "-n", "2", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sorted_lines(&out), ["red-panda-001.png", "red-panda-002.png"]);
    for name in ["red-panda-001.png", "red-panda-002.png"] {
        assert!(is_png(&read_raw(&sb.path(name))), "{name} is a PNG on disk");
    }
    let stderr = stderr_of(&out);
    assert_eq!(stderr.matches(OFFLINE_LINE).count(), 1, "{stderr}");
    assert!(stderr.contains("saved 2 images") && stderr.contains("charged $0.000"), "{stderr}");
    assert!(!stderr.contains("billed per request?"), "free by design, no news: {stderr}");

    // the file says what drew it, not that a model did; wan info says it was not billed
    let info = fresh(&sb).args(["info", "red-panda-001.png", "--json"]).output().unwrap();
    let info = json_line(&info);
    assert_eq!(info["label"], "algorithmicMedia", "{info}");
    assert_eq!(info["provenance"]["provider"], "wan emulator (offline, no model)", "{info}");
    assert_eq!(
        (info["journal"]["offline"].as_bool(), info["journal"]["price_per_image"].as_f64()),
        (Some(true), Some(0.0))
    );
    let text = stdout_of(&fresh(&sb).args(["info", "red-panda-001.png"]).output().unwrap());
    assert!(text.contains("drawn offline by wan's emulator, no model") && text.contains("nothing billed"), "{text}");

    // with a base URL and a key in the environment, --offline still sends nothing there
    let service = sb.server.mock("POST", mockito::Matcher::Any).expect(0).create();
    let out = journaled(&sb).args(["generate", "owl", "--offline", "--json", "-n", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    service.assert();
    let line = json_line(&out);
    assert_eq!(line["charged"], 0.0, "{line}");
    assert!(!stderr_of(&out).contains(KEY));

    // the journal marks both runs offline, and wan cost leaves them out
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let runs: Vec<Value> = json_lines(&history);
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r["offline"] == true && r["cost"] == 0.0 && r["state"] == "done"), "{runs:?}");
    let table = journaled(&sb).arg("history").output().unwrap();
    assert!(stdout_of(&table).lines().skip(1).all(|l| l.contains(" offline ")), "{}", stdout_of(&table));
    let cost = journaled(&sb).args(["cost", "--json"]).output().unwrap();
    let sums: Value = serde_json::from_str(stdout_of(&cost).trim()).unwrap();
    assert_eq!(
        (sums["images"].as_u64(), sums["cost"].as_f64(), sums["offline_runs"].as_u64()),
        (Some(0), Some(0.0), Some(2))
    );
    let cost = journaled(&sb).arg("cost").output().unwrap();
    assert!(stderr_of(&cost).contains("2 runs made offline (--offline) left out"), "{}", stderr_of(&cost));
}

#[test]
fn wan_offline_and_the_config_file_ask_for_it_too_and_a_flag_or_variable_above_them_wins() {
    let mut sb = Sandbox::new();
    let out = fresh(&sb).env("WAN_OFFLINE", "1").args(["generate", "a", "-n", "1", "-o", "env"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sb.files("env"), ["a-001.png"]);
    assert!(stderr_of(&out).contains(OFFLINE_LINE));

    std::fs::write(sb.path("config.toml"), "offline = true\n").unwrap();
    let out = fresh(&sb)
        .env("WAN_CONFIG", sb.path("config.toml"))
        .args(["generate", "b", "-n", "1", "-o", "file"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sb.files("file"), ["b-001.png"]);
    let show = fresh(&sb).env("WAN_CONFIG", sb.path("config.toml")).args(["config", "show"]).output().unwrap();
    assert!(
        stdout_of(&show).lines().any(|l| l.starts_with("offline") && l.contains("true") && l.contains("file, line 1")),
        "{}",
        stdout_of(&show)
    );

    // WAN_OFFLINE=0 turns the file's off: with no key, that is the missing key's error
    let out = fresh(&sb)
        .env("WAN_CONFIG", sb.path("config.toml"))
        .env("WAN_OFFLINE", "0")
        .args(["generate", "c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("no API key"));
    // --base-url outweighs the file's offline = true: the request goes there
    let api = sb.chat(&chat_answer(&[sb.url("/d.png")]));
    sb.image("/d.png", &png(4));
    let mut cmd = with_config(&sb, "offline = true\n");
    let out = cmd.args(["generate", "d", "-n", "1", "-o", "flag", "--base-url", &sb.api_base()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert!(!stderr_of(&out).contains(OFFLINE_LINE));
}

#[test]
fn offline_with_a_base_url_or_a_variable_that_says_neither_is_refused_before_anything() {
    let mut sb = Sandbox::new();
    let service = never_called(&mut sb);
    let both = sb.wan().args(["generate", "x", "--offline", "--base-url", &sb.api_base()]).output().unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(stderr_of(&both).contains("--offline and --base-url both say where requests go; give one"));
    let maybe = sb.wan().env("WAN_OFFLINE", "maybe").args(["generate", "x"]).output().unwrap();
    assert_eq!(maybe.status.code(), Some(2));
    assert!(stderr_of(&maybe).contains("WAN_OFFLINE=\"maybe\" is neither on nor off"), "{}", stderr_of(&maybe));
    service.assert();
    assert!(sb.files(".").iter().all(|f| !f.ends_with(".png")));
}

#[test]
fn a_video_made_offline_without_waiting_is_followed_by_a_later_wan_offline_too() {
    let sb = Sandbox::new();
    let out = fresh(&sb)
        .args(["video", "create", "waves at night", "--duration", "2", "--no-wait", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let task = stdout_of(&out).trim().to_string();
    assert!(task.starts_with("video_task_"), "{task}");
    // no --offline: the journal says the task was made offline, so it is followed so
    let out = fresh(&sb).args(["video", "wait", &task, "-o", "clips"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains(OFFLINE_LINE), "{}", stderr_of(&out));
    let saved = sb.files("clips");
    assert_eq!(saved, ["waves-at-night-001.mp4"]);
    assert_eq!(&read_raw(&sb.path("clips").join(&saved[0]))[4..8], b"ftyp", "a video file");
    // a task the service made is not the offline emulator's to follow
    let refused = fresh(&sb).args(["video", "status", "video_task_0123456789abcdef", "--offline"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(4), "unknown to the emulator: {}", stderr_of(&refused));
}

#[test]
fn runs_are_finished_only_as_they_were_made() {
    let mut sb = Sandbox::new();
    // a run made by the service, left partial (its second request refused)
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(503)
        .with_body(json!({"error": {"type": "upstream_error", "message": "busy"}}).to_string())
        .expect_at_least(1)
        .create();
    let out = journaled(&sb).args(["generate", "x", "--retries", "0"]).output().unwrap();
    assert_ne!(out.status.code(), Some(0));
    api.assert();
    let service = sb.server.mock("POST", mockito::Matcher::Any).expect(0).create();
    for (flag, env) in [(Some("--offline"), None), (None, Some("1"))] {
        let mut cmd = journaled(&sb);
        cmd.arg("resume").args(flag);
        if let Some(value) = env {
            cmd.env("WAN_OFFLINE", value);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains("was made by the service: finishing it offline would fill it"),
            "{}",
            stderr_of(&out)
        );
    }
    // a run made offline is not sent to a base URL
    let out = fresh(&sb).args(["generate", "y", "-n", "1", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let history = journaled(&sb).args(["history", "--json", "--limit", "1"]).output().unwrap();
    let run = json_lines(&history)[0]["id"].as_str().unwrap().to_string();
    let out = journaled(&sb).args(["resume", &run, "--base-url", &sb.api_base()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("was made offline; its prompts are not sent to --base-url"));
    service.assert();
}

/// `wan regen` of a file drawn offline makes it again offline, whatever service and key the
/// environment names; a video is refused (regen makes images); files of both kinds at once
/// are refused before anything is sent.
#[test]
fn regen_makes_a_file_drawn_offline_again_offline_and_refuses_a_video() {
    let mut sb = Sandbox::new();
    let service = sb.server.mock("POST", mockito::Matcher::Any).expect(0).create();
    let out = fresh(&sb).args(["generate", "red panda", "-o", "out", "--offline"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // journaled: AISA_BASE_URL and AISA_API_KEY name the (mock) service
    let again = journaled(&sb).args(["regen", "out/red-panda-001.png"]).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert!(stderr_of(&again).contains(OFFLINE_LINE), "{}", stderr_of(&again));
    assert_eq!(stdout_of(&again), "out/red-panda-002.png\n");
    let info = json_line(&journaled(&sb).args(["info", "out/red-panda-002.png", "--json"]).output().unwrap());
    assert_eq!(info["journal"]["offline"], true, "{info}");
    let dry = journaled(&sb).args(["regen", "out/red-panda-001.png", "--dry-run"]).output().unwrap();
    assert!(stderr_of(&dry).contains("127.0.0.1") && !stderr_of(&dry).contains(&sb.api_base()), "{}", stderr_of(&dry));
    service.assert();

    let video =
        fresh(&sb).args(["video", "create", "waves", "--duration", "2", "-o", "clips", "--offline"]).output().unwrap();
    assert_eq!(video.status.code(), Some(0), "{}", stderr_of(&video));
    let refused = journaled(&sb).args(["regen", "clips/waves-001.mp4", "--dry-run"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", stderr_of(&refused));
    assert!(stderr_of(&refused).contains("is a video (wan2.7-t2v): wan regen makes images"), "{}", stderr_of(&refused));
}

/// Offline, nothing is fetched from the network: a reference given by another host's URL
/// is refused before anything; one on this machine (127.0.0.1) is taken.
#[test]
fn offline_refuses_a_reference_from_the_network() {
    let sb = Sandbox::new();
    let out = fresh(&sb)
        .args(["edit", "https://example.com/cat.png", "add a hat", "-m", "gpt-image-2", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("reference image https://example.com/cat.png: offline, nothing is fetched"),
        "{}",
        stderr_of(&out)
    );
    let dry = fresh(&sb)
        .args(["edit", "http://127.0.0.1:9/cat.png", "add a hat", "-m", "gpt-image-2", "--offline", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
}

#[test]
fn doctor_balance_and_mcp_run_offline_with_no_key() {
    let sb = Sandbox::new();
    let doctor = fresh(&sb).args(["doctor", "--offline"]).output().unwrap();
    assert_eq!(doctor.status.code(), Some(0), "{}{}", stdout_of(&doctor), stderr_of(&doctor));
    let text = stdout_of(&doctor);
    assert!(
        text.contains("API key: none needed offline") && text.contains("(offline: the emulator inside wan)"),
        "{text}"
    );
    let balance = fresh(&sb).args(["balance", "--offline", "--json"]).output().unwrap();
    assert_eq!(balance.status.code(), Some(0), "{}", stderr_of(&balance));

    let mut command = sb.wan_process();
    command.env_remove("AISA_API_KEY").env_remove("AISA_BASE_URL").env("WAN_STATE_DIR", sb.path("state"));
    command.args(["mcp", "--offline", "--out", "out"]);
    let mut mcp = RawMcp::start(command);
    let result = mcp.call("generate_image", json!({"prompt": "a lighthouse", "n": 1}));
    assert_eq!(result["isError"], false, "{}", result_text(&result));
    let path = result["structuredContent"]["images"][0]["path"].as_str().unwrap().to_string();
    assert!(is_png(&read_raw(std::path::Path::new(&path))), "{path}");
    let stderr = mcp.stop();
    assert!(stderr.contains(OFFLINE_LINE), "{stderr}");
}

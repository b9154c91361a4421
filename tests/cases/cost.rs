//! `wan cost`: what the journal's runs cost, by model and over a span, as the runs printed it.

use serde_json::{Value, json};

use crate::support::emulator::{Emulator, with_emulator};
use crate::support::*;

#[test]
fn history_and_cost_add_up_to_what_the_runs_printed() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    let first = journaled(&sb).args(["generate", "red panda", "-n", "2", "--json"]).output().unwrap();
    let second = journaled(&sb).args(["generate", "sea otter", "-n", "2", "--pro"]).output().unwrap();
    assert!(stderr_of(&second).contains("2 × $0.075 = $0.150"));
    let line: Value = serde_json::from_str(stdout_of(&first).trim()).unwrap();
    let run = line["run"].as_str().unwrap().to_string();
    assert_eq!(run.len(), 12);

    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let runs: Vec<Value> = stdout_of(&history).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["id"], run.as_str(), "newest first");
    assert_eq!((runs[1]["saved"].as_u64(), runs[1]["asked"].as_u64()), (Some(2), Some(2)));
    assert_eq!(runs[1]["cost"], line["cost"]["total"]);
    assert_eq!(runs[0]["cost"], json!(0.15));
    assert_eq!(runs[0]["state"], "done");

    let cost = journaled(&sb).args(["cost", "--json", "--by", "model"]).output().unwrap();
    let cost: Value = serde_json::from_str(stdout_of(&cost).trim()).unwrap();
    assert_eq!(cost["cost"], json!(0.21));
    assert_eq!(cost["images"], 4);
    // Both went to the test's server on 127.0.0.1: counted, and said.
    assert_eq!(cost["local_runs"], 2);
    assert_eq!(
        cost["by"][0],
        json!({"model": "wan2.7-image", "images": 2, "videos": 0, "cost": 0.06, "unpriced_images": 0, "unpriced_videos": 0})
    );
    let text = journaled(&sb).args(["cost", "--since", "today"]).output().unwrap();
    assert!(stdout_of(&text).contains("$0.210 on 4 images · from this machine's journal only"), "{}", stdout_of(&text));
    assert!(
        stderr_of(&text).contains("wan: 2 runs counted went to a server on this machine (127.0.0.1 or localhost"),
        "{}",
        stderr_of(&text)
    );
    let later = journaled(&sb).args(["cost", "--since", "2099-01-01", "--until", "2099-02-01"]).output().unwrap();
    assert!(stdout_of(&later).starts_with("$0.000 on 0 images"), "{}", stderr_of(&later));
    let backwards = journaled(&sb).args(["cost", "--since", "2099-01-01"]).output().unwrap();
    assert_eq!(backwards.status.code(), Some(2), "the span ends before it starts");
    let bad = journaled(&sb).args(["cost", "--since", "last tuesday"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_journal_and_wan_balance_count_a_per_request_price_as_the_run_did() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    let journaled = || {
        let mut cmd = with_emulator(&sb, &emulator);
        cmd.env("WAN_STATE_DIR", sb.path("state"));
        cmd
    };
    let run = journaled().args(["generate", "harbour", "-m", SEEDREAM, "-n", "2", "--json"]).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    let line: Value = serde_json::from_str(stdout_of(&run).trim()).unwrap();
    assert_eq!(line["cost"]["total"], json!(0.07));
    let cost: Value =
        serde_json::from_str(stdout_of(&journaled().args(["cost", "--json"]).output().unwrap()).trim()).unwrap();
    assert_eq!((cost["cost"].clone(), cost["unpriced_images"].clone()), (json!(0.07), json!(0)), "{cost}");
    let history: Value = serde_json::from_str(
        stdout_of(&journaled().args(["history", "--json"]).output().unwrap()).lines().next().unwrap(),
    )
    .unwrap();
    assert_eq!(history["cost"], json!(0.07), "{history}");
    let balance: Value =
        serde_json::from_str(stdout_of(&journaled().args(["balance", "--json"]).output().unwrap()).trim()).unwrap();
    assert_eq!(balance["available_micros_usd"], json!(100_000_000 - 70_000), "{balance}");
}

#[test]
fn reconcile_sets_the_journal_beside_the_service_and_says_the_difference() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let here = |state: &str, args: &[&str]| {
        sb.wan().env("WAN_STATE_DIR", sb.path(state)).env("AISA_BASE_URL", &emulator.base).args(args).output().unwrap()
    };
    assert_eq!(here("a", &["generate", "x", "-n", "3", "-o", "out"]).status.code(), Some(0));
    let matching = here("a", &["cost", "--reconcile", "--json"]);
    assert_eq!(matching.status.code(), Some(0), "{}", stderr_of(&matching));
    let line = json_line(&matching);
    assert_eq!(
        (line["journal"].as_f64(), line["service"].as_f64(), line["difference"].as_f64()),
        (Some(0.09), Some(0.09), Some(0.0))
    );
    // Another machine's run (another journal) is in the service's figure only.
    assert_eq!(here("b", &["generate", "y", "-o", "out"]).status.code(), Some(0));
    let differing = here("a", &["cost", "--reconcile"]);
    let text = stdout_of(&differing);
    assert!(text.contains("journal:    $0.090") && text.contains("service:    $0.120"), "{text}");
    assert!(text.contains("difference: $0.030 more at the service"), "{text}");
    assert!(stderr_of(&differing).contains("other machines and other tools"), "{}", stderr_of(&differing));
}

#[test]
fn reconcile_against_a_service_without_a_usage_route_is_exit_4_with_a_hint() {
    let mut sb = Sandbox::new();
    let missing = sb.server.mock("GET", mockito::Matcher::Regex("^/v1/usage".into())).with_status(404).create();
    let out = journaled(&sb).args(["cost", "--reconcile"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("no usage route") && stderr_of(&out).contains("console"), "{}", stderr_of(&out));
    missing.assert();
}

/// Issue 28: `wan cost --since <tomorrow>` said "--until is not after --since" when no
/// --until was given.
#[test]
fn a_since_in_the_future_is_said_as_such_and_until_only_when_given() {
    let sb = Sandbox::new();
    let tomorrow = (jiff::Zoned::now().date() + jiff::Span::new().days(2)).to_string();
    let out = journaled(&sb).args(["cost", "--since", &tomorrow]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains(&format!("--since {tomorrow} is in the future")), "{stderr}");
    assert!(!stderr.contains("--until"), "{stderr}");
    let both = journaled(&sb).args(["cost", "--since", "today", "--until", "2026-01-01"]).output().unwrap();
    assert_eq!(both.status.code(), Some(2), "{}", stderr_of(&both));
    assert!(stderr_of(&both).contains("--until is not after --since"), "{}", stderr_of(&both));
}

/// Issue 28: `wan cost` counted videos as "images".
#[test]
fn cost_counts_videos_as_videos() {
    let emulator = crate::support::emulator::Emulator::start(&["--video-ms", "300", "--video-size", "32x18"]);
    let sb = Sandbox::new();
    let at = |args: &[&str]| journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(args).output().unwrap();
    assert_eq!(at(&["generate", "a fox", "-n", "2", "-o", "out"]).status.code(), Some(0));
    let video = at(&["video", "create", "waves", "--duration", "2", "--poll", "2", "-o", "out"]);
    assert_eq!(video.status.code(), Some(0), "{}", stderr_of(&video));
    let text = stdout_of(&at(&["cost"]));
    assert!(text.starts_with("$0.060 on 2 images and 1 video (1 video of unknown price, not counted)"), "{text}");
    let line = json_line(&at(&["cost", "--json"]));
    assert_eq!((line["images"].as_u64(), line["videos"].as_u64()), (Some(2), Some(1)), "{line}");
    assert_eq!((line["unpriced_images"].as_u64(), line["unpriced_videos"].as_u64()), (Some(0), Some(1)), "{line}");
    let by_model = stdout_of(&at(&["cost", "--by", "model"]));
    assert!(by_model.lines().next().unwrap().contains("VIDEOS"), "{by_model}");
}

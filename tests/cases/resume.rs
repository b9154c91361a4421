//! The journal: paid work survives a `kill -9`; `resume`, `history`, `cost`, `info` and
//! `balance` read it; it never holds the key and never fails a run.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::*;

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn part_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".part")).count())
}

fn kill_9(child: &mut Child) {
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

fn images_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_run_killed_while_downloading_is_finished_by_resume_without_a_new_request() {
    let emulator = Emulator::start(&["--download-latency", "2000"]);
    let sb = Sandbox::new();
    let mut child = spawn_journaled(&sb, &emulator.base, &["generate", "red panda", "-n", "4", "-o", "out"]);
    let out = sb.path("out");
    wait_for("the downloads to start", || part_files(&out) == 4);
    kill_9(&mut child);
    assert!(images_in(&out).is_empty());

    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&out), ["red-panda-001.png", "red-panda-002.png", "red-panda-003.png", "red-panda-004.png"]);
    let stderr = stderr_of(&resumed);
    assert!(stderr.contains("/out/ · wan2.7-image · nothing billed by this run"), "{stderr}");
    assert_eq!(emulator.requests_to("/v1/chat", 1).len(), 1, "resume sent no new API request");
    let again = journaled(&sb).arg("resume").output().unwrap();
    assert!(stderr_of(&again).contains("nothing to resume"), "{}", stderr_of(&again));
}

#[test]
fn a_batch_killed_mid_way_resumes_only_the_prompts_never_sent() {
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1));
    sb.image("/3.png", &png(3));
    sb.image("/4.png", &png(4));
    let answer = |path: &str| Fault::Serve(chat_answer(&[sb.url(path)]).to_string().into_bytes());
    // prompt 1 is answered, prompt 2 is held unanswered: the run is killed then
    let api = RawServer::start(vec![answer("/1.png"), Fault::Silence(Duration::from_secs(60))]);
    std::fs::write(sb.path("prompts.txt"), "one\ntwo\nthree\nfour\n").unwrap();
    let mut child = spawn_journaled(&sb, &api.url("/v1"), &["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"]);
    wait_for("prompt 2 to be sent", || api.requests() == 2);
    wait_for("prompt 1's image", || images_in(&sb.path("out")).len() == 1);
    kill_9(&mut child);

    let rest = RawServer::start(vec![answer("/3.png"), answer("/4.png")]);
    let dry = journaled(&sb).env("AISA_BASE_URL", rest.url("/v1")).args(["resume", "--dry-run"]).output().unwrap();
    let plan = stdout_of(&dry);
    assert!(plan.contains("would send 2 requests · wan2.7-image · 2 × $0.030 = $0.060"), "{plan}");
    assert!(plan.contains("would not send again 1 request of unknown outcome"), "{plan}");
    assert_eq!(rest.requests(), 0);

    let resumed = journaled(&sb).env("AISA_BASE_URL", rest.url("/v1")).args(["resume", "-j", "1"]).output().unwrap();
    assert_eq!(rest.requests(), 2, "only prompts 3 and 4 are sent: {}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("out")), ["four-001.png", "one-001.png", "three-001.png"]);
    let stderr = stderr_of(&resumed);
    assert!(stderr.contains("request 1 of prompt 2") && stderr.contains("may have been billed"), "{stderr}");
    assert_eq!(resumed.status.code(), Some(7), "prompt 2's outcome is unknown: {stderr}");
}

#[test]
fn an_expired_link_at_resume_time_is_reported_with_its_url() {
    let emulator = Emulator::start(&["--download-latency", "1500", "--url-ttl", "1"]);
    let sb = Sandbox::new();
    let mut child = spawn_journaled(&sb, &emulator.base, &["generate", "x", "-o", "out"]);
    wait_for("the download to start", || part_files(&sb.path("out")) == 1);
    kill_9(&mut child);
    std::thread::sleep(Duration::from_millis(1100));
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(7));
    let stderr = stderr_of(&resumed);
    assert!(stderr.contains("the link has expired; this paid image cannot be fetched any more"), "{stderr}");
    assert!(stderr.contains(&format!("{}/images/", emulator.base.trim_end_matches("/v1"))), "{stderr}");
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let run: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!((run["state"].as_str(), run["saved"].as_u64()), (Some("partial"), Some(0)));
}

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
    assert_eq!(cost["by"][0], json!({"model": "wan2.7-image", "images": 2, "cost": 0.06, "unpriced_images": 0}));
    let text = journaled(&sb).args(["cost", "--since", "today"]).output().unwrap();
    assert!(stdout_of(&text).contains("$0.210 on 4 images · from this machine's journal only"), "{}", stdout_of(&text));
    let later = journaled(&sb).args(["cost", "--since", "2099-01-01", "--until", "2099-02-01"]).output().unwrap();
    assert!(stdout_of(&later).starts_with("$0.000 on 0 images"), "{}", stderr_of(&later));
    let backwards = journaled(&sb).args(["cost", "--since", "2099-01-01"]).output().unwrap();
    assert_eq!(backwards.status.code(), Some(2), "the span ends before it starts");
    let bad = journaled(&sb).args(["cost", "--since", "last tuesday"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn info_knows_a_moved_file_by_its_contents() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &real_png());
    journaled(&sb).args(["generate", "red panda", "-o", "out"]).assert().code(0);
    std::fs::rename(sb.path("out/red-panda-001.png"), sb.path("renamed.png")).unwrap();
    std::fs::write(sb.path("other.png"), png(9)).unwrap();
    let info = journaled(&sb).args(["info", "renamed.png", "--json"]).output().unwrap();
    assert_eq!(info.status.code(), Some(0));
    let found: Value = serde_json::from_str(stdout_of(&info).trim()).unwrap();
    assert_eq!(found["journal"]["prompt"], "red panda", "{found}");
    assert_eq!(found["journal"]["request_id"], "req_hdr_1");
    assert_eq!(found["provenance"]["prompt"], "red panda");
    assert_eq!(found["provenance"]["run"], found["journal"]["run"]);
    let unknown = journaled(&sb).args(["info", "renamed.png", "other.png"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stdout_of(&unknown).contains("wan knows nothing of this file"));
}

#[test]
fn a_png_carries_its_provenance_decodes_still_and_no_metadata_keeps_the_served_bytes() {
    let mut sb = Sandbox::new();
    let served = real_png();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &served);
    journaled(&sb).args(["generate", "red panda", "-o", "out"]).assert().code(0);
    let marked = read_raw(&sb.path("out/red-panda-001.png"));
    assert_ne!(marked, served);
    assert_eq!(strip_provenance(marked.clone()), served, "only the chunk was added");
    let decoder = png::Decoder::new(std::io::Cursor::new(&marked));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    reader.finish().unwrap();
    let chunk = &reader.info().utf8_text[0];
    assert_eq!(chunk.keyword, "wan");
    let provenance: Value = serde_json::from_str(&chunk.get_text().unwrap()).unwrap();
    for field in ["prompt", "model", "run", "request_id", "created", "wan", "references"] {
        assert!(provenance.get(field).is_some(), "{field} in {provenance}");
    }
    journaled(&sb).args(["generate", "red panda", "-o", "plain", "--no-metadata"]).assert().code(0);
    assert_eq!(read_raw(&sb.path("plain/red-panda-001.png")), served);
}

fn real_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 4, 4);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[7u8; 48]).unwrap();
    writer.finish().unwrap();
    bytes
}

#[test]
fn the_journal_never_holds_the_key_even_when_the_server_echoes_it() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .match_body(mockito::Matcher::PartialJson(json!({"n": 1})))
        .with_status(400)
        .with_header("x-request-id", KEY)
        .with_body(
            json!({"error": {"code": "bad", "message": format!("key {KEY} refused"), "request_id": KEY}}).to_string(),
        )
        .create();
    sb.chat_when(json!({"n": 2}), &chat_answer(&[sb.url(&format!("/1.png?k={KEY}")), sb.url("/2.png")]), 1);
    sb.server.mock("GET", "/1.png").match_query(mockito::Matcher::Any).with_body(png(1)).create();
    sb.image("/2.png", &png(2));
    journaled(&sb).args(["generate", "x"]).assert().code(4);
    journaled(&sb).args(["generate", "x", "-n", "2"]).assert().code(0);
    let mut seen = 0;
    for name in ["wan.db", "wan.db-wal", "wan.db-shm"] {
        let Ok(bytes) = std::fs::read(sb.path("state").join(name)) else { continue };
        seen += 1;
        assert!(!bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "{name} holds the key");
        assert!(!bytes.windows(6).any(|w| w == b"5ecret"), "{name} holds part of the key");
    }
    assert!(seen >= 1);
}

#[test]
fn a_journal_that_cannot_be_used_is_one_warning_and_the_run_goes_on() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let newer = sb.path("newer");
    std::fs::create_dir_all(&newer).unwrap();
    journaled(&sb).env("WAN_STATE_DIR", &newer).args(["generate", "x", "-o", "a"]).assert().code(0);
    let db = rusqlite_version(&newer.join("wan.db"), 99);
    assert!(db);
    let corrupt = sb.path("corrupt");
    std::fs::create_dir_all(&corrupt).unwrap();
    std::fs::write(corrupt.join("wan.db"), vec![0x42; 8192]).unwrap();
    let a_file = sb.path("a-file");
    std::fs::write(&a_file, b"not a folder").unwrap();
    for (state, why) in
        [(&newer, "newer than this wan knows"), (&corrupt, "not a database"), (&a_file, "cannot create")]
    {
        let out = journaled(&sb).env("WAN_STATE_DIR", state).args(["generate", "x", "-o", "b"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert_eq!(stderr.matches("the journal is unavailable").count(), 1, "{stderr}");
        assert!(stderr.contains(why), "{why}: {stderr}");
    }
    let off = journaled(&sb).env("WAN_JOURNAL", "off").args(["generate", "x", "--json", "-o", "c"]).output().unwrap();
    let line: Value = serde_json::from_str(stdout_of(&off).trim()).unwrap();
    assert_eq!(line["run"], Value::Null);
    let flag = journaled(&sb).args(["generate", "x", "--no-journal", "-o", "d"]).output().unwrap();
    assert_eq!(flag.status.code(), Some(0));
    assert!(!sb.path("state").join("wan.db").exists());
}

/// Sets the journal's schema version by hand, as a newer `wan` would have.
fn rusqlite_version(db: &PathBuf, version: u32) -> bool {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.pragma_update(None, "user_version", version).is_ok()
}

#[test]
fn runs_at_once_share_the_journal() {
    let emulator = Emulator::start(&["--latency", "300"]);
    let sb = Sandbox::new();
    let children: Vec<Child> = (0..4)
        .map(|i| spawn_journaled(&sb, &emulator.base, &["generate", &format!("prompt {i}"), "-n", "2", "-o", "out"]))
        .collect();
    for mut child in children {
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let runs: Vec<Value> = stdout_of(&history).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 4);
    assert!(runs.iter().all(|r| r["state"] == "done" && r["saved"] == 2), "{runs:?}");
}

#[test]
fn balance_reads_micro_dollars_and_says_what_a_401_or_404_means() {
    let mut sb = Sandbox::new();
    let answer = json!({"currency": "USD", "account_balance_micros_usd": 20_000_000,
        "available_balance_micros_usd": 12_345_679, "api_key": {"unlimited": false, "remaining_micros_usd": 5_000_000,
        "used_micros_usd": 250_000}, "as_of": "2026-11-22T00:00:00Z"});
    let balance = sb
        .server
        .mock("GET", "/v1/credits/balance")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_body(answer.to_string())
        .expect(2)
        .create();
    let text = sb.wan().arg("balance").output().unwrap();
    assert_eq!(text.status.code(), Some(0));
    assert_eq!(stdout_of(&text), "available: $12.345679 USD\nthis key: $5.000 left of its allowance ($0.250 used)\n");
    let line: Value =
        serde_json::from_str(stdout_of(&sb.wan().args(["balance", "--json"]).output().unwrap()).trim()).unwrap();
    assert_eq!(line["available_micros_usd"], 12_345_679);
    balance.assert();

    for (status, code) in [(401, 3), (404, 4)] {
        let mut sb = Sandbox::new();
        sb.server
            .mock("GET", "/v1/credits/balance")
            .with_status(status)
            .with_body(r#"{"error":"balance unavailable"}"#)
            .create();
        let out = sb.wan().arg("balance").output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", stderr_of(&out));
        if status == 404 {
            assert!(stderr_of(&out).contains("the console"), "{}", stderr_of(&out));
        }
    }
}

#[test]
fn a_run_to_standard_output_resumes_to_standard_output() {
    let emulator = Emulator::start(&["--download-latency", "2000"]);
    let sb = Sandbox::new();
    let mut child = sb
        .wan_process()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "logo", "-o", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the download to start", || emulator.requests_to("/images/", 1).len() == 1);
    kill_9(&mut child);
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert!(resumed.stdout.starts_with(b"\x89PNG"), "the image's bytes on stdout");
    assert!(stderr_of(&resumed).contains("saved 1 image to standard output"));
    assert!(!sb.path("-").exists(), "no folder named -");
}

#[test]
fn resume_sends_again_what_the_service_failed_and_keeps_unknowns_partial() {
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    // prompt 1 is answered; prompt 2 meets a 503 (nothing made, nothing billed)
    let api = RawServer::start(vec![
        Fault::Serve(chat_answer(&[sb.url("/1.png")]).to_string().into_bytes()),
        Fault::Status(503),
    ]);
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let first = journaled(&sb)
        .env("AISA_BASE_URL", api.url("/v1"))
        .args(["generate", "-f", "p.txt", "-j", "1", "--retries", "0", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(7));
    let again = RawServer::start(vec![Fault::Serve(chat_answer(&[sb.url("/2.png")]).to_string().into_bytes())]);
    let resumed = journaled(&sb).env("AISA_BASE_URL", again.url("/v1")).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(again.requests(), 1, "the failed request is sent again");
    assert_eq!(images_in(&sb.path("out")), ["one-001.png", "two-001.png"]);
}

#[test]
fn a_resume_that_leaves_unknown_requests_keeps_the_run_partial_and_names_it() {
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1));
    let api = RawServer::start(vec![
        Fault::Serve(chat_answer(&[sb.url("/1.png")]).to_string().into_bytes()),
        Fault::Silence(Duration::from_secs(60)),
    ]);
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let mut child = spawn_journaled(&sb, &api.url("/v1"), &["generate", "-f", "p.txt", "-j", "1", "-o", "out"]);
    wait_for("prompt 2 to be sent", || api.requests() == 2);
    kill_9(&mut child);
    let resumed = journaled(&sb).env("AISA_BASE_URL", api.url("/v1")).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(7));
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let run: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!(run["state"], "partial");
    let id = run["id"].as_str().unwrap();
    assert!(stderr_of(&resumed).contains(&format!("`wan resume {id} --resend-unknown`")), "{}", stderr_of(&resumed));
}

//! `wan history` and the journal it reads: runs at once share it; one that cannot be used warns once.

use std::path::PathBuf;
use std::process::Child;

use serde_json::Value;

use crate::support::emulator::Emulator;
use crate::support::*;

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

/// Issue 28: `history` showed a running video task, and an image run refused before
/// anything was billed, as `partial` at `$0.000`, and no prompt at all, only a count.
#[test]
fn history_names_runs_by_their_prompt_and_says_running_failed_and_unknown_cost_as_they_are() {
    let emulator = Emulator::start(&["--video-ms", "60000"]);
    let refusing = Emulator::start(&["--api-key", "another"]);
    let sb = Sandbox::new();
    let at = |base: &str, args: &[&str]| journaled(&sb).env("AISA_BASE_URL", base).args(args).output().unwrap();
    let prompts: String =
        std::iter::once("owl at night\n".to_string()).chain((2..=2000).map(|i| format!("prompt {i}\n"))).collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let batch = at(&emulator.base, &["generate", "-f", "prompts.txt", "--shard", "1/1000", "-o", "out"]);
    assert_eq!(batch.status.code(), Some(0), "{}", stderr_of(&batch));
    let refused = at(&refusing.base, &["generate", "a red fox in snow", "-o", "out"]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr_of(&refused));
    let video = at(&emulator.base, &["video", "create", "waves at dusk", "--no-wait", "-o", "clips"]);
    assert_eq!(video.status.code(), Some(0), "{}", stderr_of(&video));

    let json = at(&emulator.base, &["history", "--json"]);
    let runs: Vec<Value> = stdout_of(&json).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let [video, refused, batch] = &runs[..] else { panic!("{runs:?}") };
    assert_eq!(
        (video["prompt"].as_str(), video["state"].as_str()),
        (Some("waves at dusk"), Some("running")),
        "{video}"
    );
    assert!(video["cost"].is_null(), "a clip of unknown price is not $0: {video}");
    assert_eq!(
        (refused["prompt"].as_str(), refused["state"].as_str()),
        (Some("a red fox in snow"), Some("failed")),
        "{refused}"
    );
    assert_eq!(refused["cost"], 0.0, "{refused}");
    assert_eq!(batch["prompt"], "owl at night", "{batch}");
    assert_eq!(batch["prompts"], 2, "the shard's prompts: 1 and 1001");

    let text = stdout_of(&at(&emulator.base, &["history"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("PROMPT"), "{text}");
    assert!(
        lines[1].contains("waves at dusk")
            && lines[1].contains("unknown")
            && lines[1].ends_with("running at the service"),
        "{text}"
    );
    assert!(lines[2].contains("a red fox in snow") && lines[2].ends_with("failed, nothing billed"), "{text}");
    assert!(lines[3].contains("owl at night (+1 more)") && lines[3].ends_with("done"), "{text}");
}

#[test]
fn a_long_prompt_is_cut_to_fit_and_a_big_batch_counts_the_rest() {
    // A refused key stops the batch after one request: the run holds all 2,000 prompts.
    let refusing = Emulator::start(&["--api-key", "another"]);
    let sb = Sandbox::new();
    let long = "an owl at night above a frozen lake under the northern lights, ultra-detailed";
    let prompts: String =
        std::iter::once(format!("{long}\n")).chain((2..=2000).map(|i| format!("prompt {i}\n"))).collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let out = journaled(&sb)
        .env("AISA_BASE_URL", &refusing.base)
        .args(["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    let text = stdout_of(&journaled(&sb).arg("history").output().unwrap());
    let line = text.lines().nth(1).unwrap();
    assert!(line.contains("an owl at night a… (+1,999 more)"), "{text}");
    let json = stdout_of(&journaled(&sb).args(["history", "--json"]).output().unwrap());
    let run: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!((run["prompt"].as_str(), run["prompts"].as_u64()), (Some(long), Some(2000)), "{run}");
}

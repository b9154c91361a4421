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

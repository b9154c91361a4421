//! `wan resume`: paid work picked up after a `kill -9` or a failure, from the journal, never paid twice.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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
    // printed as the run printed them, not as the journal keeps them (absolute)
    assert!(stderr.contains("saved 4 images to out/ · wan2.7-image · nothing billed by this run"), "{stderr}");
    assert_eq!(sorted_lines(&resumed)[0], "out/red-panda-001.png");
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

/// A batch of four prompts killed while prompt 2 is in flight (the journal says it was sent;
/// the emulator takes 1.5 s to answer): prompt 1 saved, 2 of unknown outcome, 3 and 4
/// never sent. The emulator's log cannot say when a request was sent (it logs the answer),
/// so the journal does. The emulator answers slowly, so that a second `wan resume` starts
/// while the first still works.
fn a_batch_killed_while_prompt_2_is_in_flight(sb: &Sandbox, emulator: &Emulator) {
    std::fs::write(sb.path("prompts.txt"), "one\ntwo\nthree\nfour\n").unwrap();
    let mut child = spawn_journaled(sb, &emulator.base, &["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"]);
    wait_for("prompt 1's image", || sb.path("out").exists() && images_in(&sb.path("out")).len() == 1);
    let sent = |prompt: i64| {
        let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
        db.query_row("SELECT count(*) FROM requests WHERE prompt = ?1 AND state = 'sent'", [prompt], |r| r.get(0))
            .unwrap_or(0i64)
            > 0
    };
    wait_for("prompt 2 to be sent", || sent(1));
    kill_9(&mut child);
}

#[test]
fn two_resumes_at_once_do_the_work_once_and_the_second_is_told_why() {
    let emulator = Emulator::start(&["--latency", "1500"]);
    let sb = Sandbox::new();
    a_batch_killed_while_prompt_2_is_in_flight(&sb, &emulator);
    let first = spawn_journaled(&sb, &emulator.base, &["resume", "-j", "1"]);
    let lock_taken = || {
        std::fs::read_dir(sb.path("state/locks")).is_ok_and(|d| {
            d.flatten().any(|e| std::fs::read_to_string(e.path()).unwrap_or_default().contains("resuming"))
        })
    };
    wait_for("the first resume to take the run", lock_taken);
    let second = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(second.status.code(), Some(2), "{}", stderr_of(&second));
    let said = stderr_of(&second);
    assert!(said.contains("is being worked on by process") && said.contains("resuming it"), "{said}");
    let first = first.wait_with_output().unwrap();
    // 7: prompt 2's outcome is unknown, so it is not sent again, and the run stays partial.
    assert_eq!(first.status.code(), Some(7), "{:?}", first.status);
    // Prompts 3 and 4 made once each, by the first resume alone; prompt 2 not again.
    assert_eq!(images_in(&sb.path("out")), ["four-001.png", "one-001.png", "three-001.png"]);
    // Answered: prompt 1, perhaps prompt 2 (cut off by the kill), 3 and 4: never more.
    std::thread::sleep(Duration::from_millis(300));
    let answered = emulator.requests_to("/v1/chat", 5).len();
    assert!((3..=4).contains(&answered), "{answered} answered");
}

#[test]
fn a_dead_run_is_known_dead_whatever_its_pid_was() {
    let emulator = Emulator::start(&["--download-latency", "2000"]);
    let sb = Sandbox::new();
    let mut child = spawn_journaled(&sb, &emulator.base, &["generate", "red panda", "-n", "2", "-o", "out"]);
    wait_for("the downloads to start", || part_files(&sb.path("out")) == 2);
    kill_9(&mut child);
    // As the Kubernetes recipe records it (wan exec'd as PID 1), and as a PID reused by a
    // live process (this test's own) would look.
    for pid in [1, std::process::id() as i64] {
        let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
        db.execute("UPDATE runs SET pid = ?1", [pid]).unwrap();
        let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
        let run: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
        assert_eq!(run["state"], "interrupted", "pid {pid}");
    }
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("out")), ["red-panda-001.png", "red-panda-002.png"]);
    assert_eq!(emulator.requests_to("/v1/chat", 2).len(), 1, "nothing was sent again");
}

#[test]
fn a_live_run_is_not_resumed_under_it() {
    let emulator = Emulator::start(&["--download-latency", "3000"]);
    let sb = Sandbox::new();
    let mut child = spawn_journaled(&sb, &emulator.base, &["generate", "red panda", "-o", "out"]);
    wait_for("the download to start", || part_files(&sb.path("out")) == 1);
    let run = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let run: Value = serde_json::from_str(stdout_of(&run).lines().next().unwrap()).unwrap();
    assert_eq!(run["state"], "running");
    let id = run["id"].as_str().unwrap();
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(["resume", id]).output().unwrap();
    assert_eq!(resumed.status.code(), Some(2));
    assert!(stderr_of(&resumed).contains("running it"), "{}", stderr_of(&resumed));
    let nothing = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert!(stderr_of(&nothing).contains("nothing to resume"), "{}", stderr_of(&nothing));
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// A journaled run of one image from `/1.png` into `out/`, done; then its journal set back
/// to what a `kill -9` between the image's move into place and its record leaves.
fn killed_between_the_move_and_the_record(sb: &mut Sandbox) -> mockito::Mock {
    let image = sb.server.mock("GET", "/1.png").with_body(png(1)).expect(1).create();
    let answer = chat_answer(&[sb.url("/1.png")]);
    let api = sb.chat(&answer);
    let run = journaled(sb).args(["generate", "red panda", "-o", "out"]).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    api.assert();
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    db.execute("UPDATE images SET state = 'placing'", []).unwrap();
    db.execute("UPDATE runs SET state = 'running', finished = NULL", []).unwrap();
    image
}

#[test]
fn an_image_moved_into_place_before_its_record_is_found_not_fetched_again() {
    let mut sb = Sandbox::new();
    let image = killed_between_the_move_and_the_record(&mut sb);
    let resumed = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("out")), ["red-panda-001.png"], "no second copy under the next number");
    assert!(stdout_of(&resumed).contains("red-panda-001.png"), "{}", stdout_of(&resumed));
    image.assert(); // fetched once, by the run
    let again = journaled(&sb).arg("resume").output().unwrap();
    assert!(stderr_of(&again).contains("nothing to resume"), "{}", stderr_of(&again));
}

#[test]
fn an_image_still_in_its_temporary_file_is_moved_into_place_by_resume() {
    let mut sb = Sandbox::new();
    let image = killed_between_the_move_and_the_record(&mut sb);
    let part = sb.path("out/.wan-killed.part");
    std::fs::rename(sb.path("out/red-panda-001.png"), &part).unwrap();
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    db.execute("UPDATE images SET part = ?1", [part.display().to_string()]).unwrap();
    let resumed = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("out")), ["red-panda-001.png"]);
    assert_eq!(read(&sb.path("out/red-panda-001.png")), png(1));
    assert!(!part.exists());
    image.assert();
}

#[test]
fn a_link_that_answered_expired_once_is_tried_again_by_resume() {
    let mut sb = Sandbox::new();
    let gone = sb.server.mock("GET", "/1.png").with_status(404).expect(1).create();
    let api = sb.chat(&chat_answer(&[sb.url("/1.png")]));
    let run = journaled(&sb).args(["generate", "red panda", "-o", "out"]).output().unwrap();
    assert_eq!(run.status.code(), Some(7), "{}", stderr_of(&run));
    gone.assert();
    gone.remove();
    api.assert();
    let back = sb.server.mock("GET", "/1.png").with_body(png(1)).expect(1).create();
    let resumed = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("out")), ["red-panda-001.png"]);
    back.assert();
}

/// A batch of four prompts whose journal fails after the run is recorded: held by another
/// process past the busy timeout. The run goes on, saves everything, and says at its end
/// that its record is incomplete.
#[test]
fn a_journal_held_past_its_timeout_mid_run_leaves_a_record_marked_incomplete() {
    let emulator = Emulator::start(&["--latency", "700"]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("prompts.txt"), "one\ntwo\nthree\nfour\n").unwrap();
    let run = sb
        .wan_process()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("prompt 1's image", || sb.path("out").exists() && images_in(&sb.path("out")).len() == 1);
    // Another process holds the journal's write lock for longer than wan waits for it.
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    std::thread::sleep(Duration::from_secs(12));
    db.execute_batch("COMMIT").unwrap();
    let run = run.wait_with_output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", stderr_of(&run));
    assert!(stderr_of(&run).contains("the journal is unavailable"), "{}", stderr_of(&run));
    assert_eq!(images_in(&sb.path("out")).len(), 4);
    assert_eq!(emulator.requests_to("/v1/chat", 4).len(), 4);

    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let row: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!((row["state"].as_str(), row["record"].as_str()), (Some("done"), Some("incomplete")), "{row}");
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(emulator.requests_to("/v1/chat", 5).len(), 4, "nothing sent twice: {}", stderr_of(&resumed));
    let cost = journaled(&sb).arg("cost").output().unwrap();
    assert!(stderr_of(&cost).contains("incomplete record"), "{}", stderr_of(&cost));
}

/// A batch whose journal fails mid-run (a file-size limit, as a disk filling up would)
/// and that is then killed: only the marker beside the journal says its record is
/// incomplete, and resume heeds it.
#[test]
fn a_run_killed_after_its_journal_failed_is_not_sent_again_by_resume() {
    let emulator = Emulator::start(&["--latency", "150"]);
    let sb = Sandbox::new();
    // The journal made and migrated first, as any earlier run leaves it.
    journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(["generate", "warm up", "-o", "warm"]).assert().code(0);
    std::fs::write(sb.path("prompts.txt"), (1..=40).map(|i| format!("prompt {i}\n")).collect::<String>()).unwrap();
    // A file-size limit 24 KiB past the journal's log as the first run left it: the run is
    // recorded, then the log outgrows the limit at its first request (the images fit).
    let log = std::fs::metadata(sb.path("state/wan.db-wal")).map_or(0, |m| m.len());
    let limit = format!("ulimit -f {}; exec \"$@\"", log / 512 + 48);
    let mut run = std::process::Command::new("sh")
        .arg("-c")
        .arg(limit)
        .arg("sh")
        .arg(assert_cmd::cargo::cargo_bin!("wan"))
        .args(["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"])
        .env_clear()
        .env("AISA_API_KEY", KEY)
        .env("AISA_BASE_URL", &emulator.base)
        .env("WAN_STATE_DIR", sb.path("state"))
        .current_dir(sb.dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(run.stderr.take().unwrap());
    let failed = std::io::BufRead::lines(stderr).map_while(Result::ok).any(|l| l.contains("journal is unavailable"));
    assert!(failed, "the journal failed mid-run");
    let after = emulator.requests_to("/v1/chat", 0).len();
    wait_for("a request sent with no record", || emulator.requests_to("/v1/chat", 0).len() > after + 1);
    kill_9(&mut run);
    let sent = emulator.requests_to("/v1/chat", 0).len();
    assert!(sent < 41, "killed before the batch ended ({sent} requests)");

    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    let said = stderr_of(&resumed);
    assert!(said.contains("record is incomplete") && said.contains("--resend-unknown"), "{said}");
    assert_eq!(resumed.status.code(), Some(7), "{said}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(emulator.requests_to("/v1/chat", sent + 1).len(), sent, "nothing sent twice");
}

/// Issue 28: `resume --dry-run` said "would send 3 requests" without naming the prompts.
#[test]
fn a_dry_run_names_the_first_prompts_it_would_send_and_how_many_more() {
    // The key is refused: the batch stops after its first request, the rest never sent.
    let emulator = Emulator::start(&["--api-key", "the-right-key"]);
    let sb = Sandbox::new();
    let prompts: String = ["an owl", "a fox", "a cat", "a dog"]
        .iter()
        .map(|p| format!("{p}\n"))
        .chain((5..=1200).map(|i| format!("prompt {i}\n")))
        .collect();
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let run = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-j", "1", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", stderr_of(&run));
    let dry = journaled(&sb).args(["resume", "--dry-run"]).output().unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
    let plan = stdout_of(&dry);
    // the refused first request billed nothing: it is sent again with the rest
    assert!(plan.contains("would send 1200 requests"), "{plan}");
    assert!(
        plan.contains(r#"  for prompt 1 ("an owl"), prompt 2 ("a fox"), prompt 3 ("a cat") and 1,197 more"#),
        "{plan}"
    );
}

/// A run of `prompts` (a batch, one at a time) whose key the emulator refuses: exit 3,
/// nothing billed, an unfinished run for a later resume to reach.
fn an_older_run_the_key_was_refused_for(sb: &Sandbox, emulator: &Emulator, prompts: &str) {
    std::fs::write(sb.path("prompts.txt"), prompts).unwrap();
    let older = journaled(sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-j", "1", "-o", "older"])
        .output()
        .unwrap();
    assert_eq!(older.status.code(), Some(3), "{}", stderr_of(&older));
}

/// Issue 28: a run whose links had all expired stayed the default target of `wan resume`
/// (exit 7 every time): once a resume has reported them, it moves on to the next
/// unfinished run.
#[test]
fn a_run_whose_links_a_resume_reported_gone_is_passed_by_for_the_next_unfinished_one() {
    let emulator = Emulator::start(&["--api-key", "the-right-key"]);
    let mut sb = Sandbox::new();
    // the older run: a refused key, and two prompts never sent after it
    an_older_run_the_key_was_refused_for(&sb, &emulator, "one\ntwo\nthree\n");
    // the newer run: its one image's link is dead at the run, and again at a resume
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.server.mock("GET", "/1.png").with_status(404).create();
    let newer = journaled(&sb).args(["generate", "red panda", "-o", "newer"]).output().unwrap();
    assert_eq!(newer.status.code(), Some(7), "{}", stderr_of(&newer));
    let newer_id = history_ids(&sb)[0].clone();
    let reported = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(reported.status.code(), Some(7), "{}", stderr_of(&reported));
    assert!(stderr_of(&reported).contains("the link has expired"), "{}", stderr_of(&reported));

    // now the default is the older run, and the newer one is said to be passed by
    let dry = journaled(&sb).args(["resume", "--dry-run"]).output().unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
    assert!(stdout_of(&dry).contains("would send 3 requests"), "{}", stdout_of(&dry));
    assert!(stderr_of(&dry).contains(&format!("run {newer_id}: passed by")), "{}", stderr_of(&dry));
    let resumed = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .env("AISA_API_KEY", "the-right-key")
        .arg("resume")
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&sb.path("older")).len(), 3);
    // named, the newer run is still reported
    let named = journaled(&sb).args(["resume", &newer_id]).output().unwrap();
    assert_eq!(named.status.code(), Some(7), "{}", stderr_of(&named));
    // and with nothing left anywhere, resume says so
    let done = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(done.status.code(), Some(0), "{}", stderr_of(&done));
    assert!(stderr_of(&done).contains("nothing to resume"), "{}", stderr_of(&done));
}

/// The ids of the journal's runs, newest first.
fn history_ids(sb: &Sandbox) -> Vec<String> {
    let history = journaled(sb).args(["history", "--json"]).output().unwrap();
    stdout_of(&history)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["id"].as_str().unwrap().to_string())
        .collect()
}

/// The emulator's answers logged so far to `path` with HTTP `status`.
fn answered_with(emulator: &Emulator, path: &str, status: u16) -> usize {
    // `METHOD PATH STATUS · …`: the third word, not a latency of "200 ms" further on.
    let status = status.to_string();
    emulator.requests_to(path, 0).iter().filter(|line| line.split(' ').nth(2) == Some(status.as_str())).count()
}

/// A new user's trial: a batch of five with a wrong key met four 401s ("the same error met
/// 3 more requests; 1 request not sent after it"); with the key fixed, `wan resume` sent
/// only prompt 5 and called the run done at 1/5. A refused request billed nothing: resume
/// sends it again, and the run is done when every prompt has its images.
#[test]
fn resume_after_a_refused_key_sends_again_every_prompt_the_key_was_refused_for() {
    let emulator = Emulator::start(&["--api-key", "the-right-key", "--latency", "200"]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("prompts.txt"), "one\ntwo\nthree\nfour\nfive\n").unwrap();
    let run = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-j", "4", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(3), "{}", stderr_of(&run));
    let said = stderr_of(&run);
    assert!(said.contains("the same error met 3 more requests; 1 request not sent after it"), "{said}");
    assert_eq!(answered_with(&emulator, "/v1/chat", 401), 4);

    let dry = journaled(&sb).args(["resume", "--dry-run"]).output().unwrap();
    assert!(stdout_of(&dry).contains("would send 5 requests"), "{}", stdout_of(&dry));
    let resumed = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .env("AISA_API_KEY", "the-right-key")
        .arg("resume")
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(
        sorted_lines(&resumed),
        ["out/five-001.png", "out/four-001.png", "out/one-001.png", "out/three-001.png", "out/two-001.png"]
    );
    assert_eq!(answered_with(&emulator, "/v1/chat", 200), 5, "each prompt sent once with the right key");
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let row: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!((row["state"].as_str(), row["saved"].as_u64(), row["asked"].as_u64()), (Some("done"), Some(5), Some(5)));
    let again = journaled(&sb).arg("resume").output().unwrap();
    assert!(stderr_of(&again).contains("nothing to resume"), "{}", stderr_of(&again));
}

/// A resume that did all it was asked is not enough to call the run done: a prompt the
/// service gave fewer images than asked (billed, and nothing to send again) leaves it partial.
#[test]
fn a_resume_that_succeeds_leaves_the_run_partial_while_a_prompt_is_short_of_images() {
    let mut sb = Sandbox::new();
    for path in ["/1.png", "/2.png", "/3.png"] {
        sb.image(path, &png(path.as_bytes()[1]));
    }
    // prompt 1: one image of the two asked; prompt 2: a 503 (nothing made, nothing billed)
    let api = RawServer::start(vec![
        Fault::Serve(chat_answer(&[sb.url("/1.png")]).to_string().into_bytes()),
        Fault::Status(503),
    ]);
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let first = journaled(&sb)
        .env("AISA_BASE_URL", api.url("/v1"))
        .args(["generate", "-f", "p.txt", "-n", "2", "-j", "1", "--retries", "0", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(7), "{}", stderr_of(&first));
    let again = RawServer::start(vec![Fault::Serve(
        chat_answer(&[sb.url("/2.png"), sb.url("/3.png")]).to_string().into_bytes(),
    )]);
    let resumed = journaled(&sb).env("AISA_BASE_URL", again.url("/v1")).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(again.requests(), 1);
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let row: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!(
        (row["state"].as_str(), row["saved"].as_u64(), row["asked"].as_u64()),
        (Some("partial"), Some(3), Some(4))
    );
}

/// A new user's trial: the images route learnt against `wan emulator --moved-to-images` and
/// remembered, then a plain emulator on the same address. `-n 8` is two requests at once,
/// both sent to the remembered route; only the first fell back to chat, the other ended
/// `HTTP 404` ("saved 4 of 8 images", exit 7), and `wan resume` had "nothing left to do".
/// Each request the refused route met falls back; and a request that failed without
/// billing is one a resume sends again.
#[test]
fn a_stale_remembered_route_is_left_by_every_request_that_met_it_and_resume_sends_what_it_failed() {
    // Slow answers: both requests are on their way before the first refusal comes back.
    let emulator = Emulator::start(&["--latency", "300"]);
    let sb = Sandbox::new();
    let state = sb.path("state");
    std::fs::create_dir_all(&state).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let remembered =
        serde_json::json!({format!("{} wan2.7-image", emulator.base): {"route": "images", "learned": now}});
    std::fs::write(state.join("routes.json"), remembered.to_string()).unwrap();
    let run = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "forget two", "-n", "8", "-o", "out"])
        .output()
        .unwrap();
    let said = stderr_of(&run);
    assert_eq!(run.status.code(), Some(0), "{said}");
    assert_eq!(said.matches("the images route refused wan2.7-image; trying").count(), 1, "said once: {said}");
    assert_eq!(answered_with(&emulator, "/v1/images/generations", 404), 2, "both met the refusal");
    assert_eq!(answered_with(&emulator, "/v1/chat", 200), 2, "and both followed to chat");
    assert_eq!(images_in(&sb.path("out")).len(), 8);

    let left: Value = serde_json::from_slice(&read(&state.join("routes.json"))).unwrap();
    assert_eq!(left, serde_json::json!({}), "the stale route is forgotten");

    // In any case, a request that failed with a 404 (nothing billed) is one resume sends again.
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1));
    let refused = RawServer::start(vec![Fault::Status(404)]);
    let run =
        journaled(&sb).env("AISA_BASE_URL", refused.url("/v1")).args(["generate", "x", "-o", "out"]).output().unwrap();
    assert_eq!(run.status.code(), Some(4), "{}", stderr_of(&run));
    let served = RawServer::start(vec![Fault::Serve(chat_answer(&[sb.url("/1.png")]).to_string().into_bytes())]);
    let resumed = journaled(&sb).env("AISA_BASE_URL", served.url("/v1")).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!((refused.requests(), served.requests()), (1, 1));
    assert_eq!(images_in(&sb.path("out")), ["x-001.png"]);
}

/// A new user's trial: a run with a request of unknown outcome (sent, never answered: it
/// may have been billed) was the default of every bare `wan resume`, exit 7 each time with
/// the same words, and the older unfinished runs behind it were never reached. Once a
/// resume has reported it, the default moves on; named, or with `--resend-unknown`, the run
/// is still taken up.
#[test]
fn a_run_whose_unknown_requests_a_resume_reported_is_passed_by_for_the_next_unfinished_one() {
    let emulator = Emulator::start(&["--api-key", "the-right-key"]);
    let mut sb = Sandbox::new();
    // the older run: a refused key, nothing billed
    an_older_run_the_key_was_refused_for(&sb, &emulator, "one\ntwo\n");
    // the newer run: its one request is sent and never answered
    let silent = RawServer::start(vec![Fault::Silence(Duration::from_secs(30))]);
    let newer = journaled(&sb)
        .env("AISA_BASE_URL", silent.url("/v1"))
        .args(["generate", "red panda", "--timeout", "1", "--retries", "0", "-o", "newer"])
        .output()
        .unwrap();
    assert_eq!(newer.status.code(), Some(6), "{}", stderr_of(&newer));
    let newer_id = history_ids(&sb)[0].clone();

    // the first bare resume takes the newer run up and reports its request
    let reported = journaled(&sb).env("AISA_BASE_URL", silent.url("/v1")).arg("resume").output().unwrap();
    assert_eq!(reported.status.code(), Some(7), "{}", stderr_of(&reported));
    assert!(stderr_of(&reported).contains("was sent and never answered"), "{}", stderr_of(&reported));
    assert_eq!(silent.requests(), 1, "not sent again");
    // the next passes it by, saying so, for the older run
    let resumed = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .env("AISA_API_KEY", "the-right-key")
        .arg("resume")
        .output()
        .unwrap();
    let said = stderr_of(&resumed);
    assert_eq!(resumed.status.code(), Some(0), "{said}");
    assert!(said.contains(&format!("run {newer_id}: passed by: its 1 request of unknown outcome")), "{said}");
    assert!(said.contains(&format!("`wan resume {newer_id} --resend-unknown` sends it")), "{said}");
    assert_eq!(images_in(&sb.path("older")), ["one-001.png", "two-001.png"]);
    // with nothing else left, a bare resume says so
    let nothing = journaled(&sb).arg("resume").output().unwrap();
    assert_eq!(nothing.status.code(), Some(0), "{}", stderr_of(&nothing));
    assert!(stderr_of(&nothing).contains("nothing to resume"), "{}", stderr_of(&nothing));
    // named, the run is still reported, and still not sent again
    let named = journaled(&sb).env("AISA_BASE_URL", silent.url("/v1")).args(["resume", &newer_id]).output().unwrap();
    assert_eq!(named.status.code(), Some(7), "{}", stderr_of(&named));
    assert!(stderr_of(&named).contains("may have been billed"), "{}", stderr_of(&named));
    assert_eq!(silent.requests(), 1);
    // and --resend-unknown, bare, finds it and sends it
    sb.image("/1.png", &png(1));
    let served = RawServer::start(vec![Fault::Serve(chat_answer(&[sb.url("/1.png")]).to_string().into_bytes())]);
    let resent =
        journaled(&sb).env("AISA_BASE_URL", served.url("/v1")).args(["resume", "--resend-unknown"]).output().unwrap();
    assert_eq!(resent.status.code(), Some(0), "{}", stderr_of(&resent));
    assert_eq!(served.requests(), 1);
    assert_eq!(images_in(&sb.path("newer")), ["red-panda-001.png"]);
}

/// A new user's trial: `kill -9` during downloads left `.wan-XXXX.part` files for good (they
/// were cleared only once a day old). The run's part files carry its id; a resume that
/// redid those downloads removes its killed process's, and nothing of anyone else.
#[test]
fn a_resume_removes_the_part_files_its_killed_run_left_and_no_others() {
    let emulator = Emulator::start(&["--download-latency", "2000"]);
    let sb = Sandbox::new();
    let mut child = spawn_journaled(&sb, &emulator.base, &["generate", "red panda", "-n", "3", "-o", "out"]);
    let out = sb.path("out");
    wait_for("the downloads to start", || part_files(&out) == 3);
    kill_9(&mut child);
    let id = history_ids(&sb)[0].clone();
    let left: Vec<String> = sb.files("out").into_iter().filter(|n| n.ends_with(".part")).collect();
    assert!(left.iter().all(|n| n.starts_with(&format!(".wan-{id}-"))), "named after the run: {left:?}");
    // another writer's download in the same folder, in progress
    std::fs::write(out.join(".wan-someone-else.part"), b"theirs").unwrap();

    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert_eq!(images_in(&out), ["red-panda-001.png", "red-panda-002.png", "red-panda-003.png"]);
    let parts: Vec<String> = sb.files("out").into_iter().filter(|n| n.ends_with(".part")).collect();
    assert_eq!(parts, [".wan-someone-else.part"]);
    assert_eq!(emulator.requests_to("/v1/chat", 1).len(), 1, "resume sent no new API request");
}

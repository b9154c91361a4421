//! `wan video`: the create bodies on the wire, a task followed to its clip, billing safety
//! (a create never sent twice unless the service surely did not take it), the DashScope
//! fallback, failures, timeouts, interrupts and crashes picked up again, end to end
//! against the emulator.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use mockito::Matcher;
use serde_json::{Value, json};

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::*;

const GATEWAY: &str = "/v1/video/generations";
const DASHSCOPE_CREATE: &str = "/apis/v1/services/aigc/video-generation/video-synthesis";

/// `wan video ARGS` in the sandbox, its journal in `state/`.
fn video(sb: &Sandbox, args: &[&str]) -> std::process::Output {
    sb.wan().env("WAN_STATE_DIR", sb.path("state")).arg("video").args(args).output().unwrap()
}

fn spawn_video(sb: &Sandbox, base: &str, args: &[&str]) -> Child {
    sb.wan_process()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", base)
        .arg("video")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn task(id: &str, status: &str) -> Value {
    json!({"id": id, "object": "video", "status": status, "model": "wan2.7-t2v", "created_at": 1_779_000_000})
}

/// A completed gateway task whose clip is at `url`, in the vendor's DashScope form.
fn done(id: &str, url: &str) -> Value {
    let mut task = task(id, "completed");
    task["result"] = json!({"output": {"task_id": id, "task_status": "SUCCEEDED", "video_url": url}});
    task
}

fn atom(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A QuickTime file's shape: `ftyp` (brand `qt  `), an `mdat` of `tag` bytes, a `moov`.
fn mov(tag: u8) -> Vec<u8> {
    [atom(b"ftyp", b"qt  \x20\x05\x03\x00qt  "), atom(b"mdat", &[tag; 64]), atom(b"moov", &[0; 16])].concat()
}

/// The gateway's create answering `answer` to any body, expected `hits` times.
fn create_answers(sb: &mut Sandbox, answer: &Value, hits: usize) -> mockito::Mock {
    sb.server
        .mock("POST", GATEWAY)
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_header("content-type", "application/json")
        .with_body(answer.to_string())
        .expect(hits)
        .create()
}

fn clip_at(sb: &mut Sandbox, path: &str, bytes: &[u8]) -> mockito::Mock {
    sb.server
        .mock("GET", path)
        .match_header("authorization", Matcher::Missing)
        .with_header("content-type", "video/quicktime")
        .with_body(bytes)
        .create()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn each_familys_create_body_goes_on_the_wire_as_the_contract_gives_it() {
    let cases: &[(&[&str], Value)] = &[
        (
            &["a fox runs"],
            json!({"model": "wan2.7-t2v", "input": {"prompt": "a fox runs"},
                   "parameters": {"resolution": "720P", "duration": 5}}),
        ),
        (
            &[
                "she smiles",
                "--image",
                "https://h/f.png",
                "--last-frame",
                "https://h/l.png",
                "--media",
                "driving_audio=https://h/a.mp3",
                "--duration",
                "10",
                "--resolution",
                "1080p",
                "--param",
                "seed=7",
            ],
            json!({"model": "wan2.7-i2v",
                   "input": {"prompt": "she smiles", "media": [
                       {"type": "first_frame", "url": "https://h/f.png"},
                       {"type": "last_frame", "url": "https://h/l.png"},
                       {"type": "driving_audio", "url": "https://h/a.mp3"}]},
                   "parameters": {"resolution": "1080P", "duration": 10, "seed": 7}}),
        ),
        (
            &["a fox", "-m", "dreamina-seedance-2-5", "--image", "https://h/f.png", "--param", "ratio=16:9"],
            json!({"model": "dreamina-seedance-2-5",
                   "content": [{"type": "text", "text": "a fox"},
                               {"type": "image_url", "image_url": {"url": "https://h/f.png"}}],
                   "ratio": "16:9"}),
        ),
    ];
    for (args, body) in cases {
        let mut sb = Sandbox::new();
        let mock = sb
            .server
            .mock("POST", GATEWAY)
            .match_header("authorization", format!("Bearer {KEY}").as_str())
            .match_header("content-type", "application/json")
            .match_body(Matcher::Json(body.clone()))
            .with_body(task("video_task_1", "queued").to_string())
            .expect(1)
            .create();
        let mut all = vec!["create", "--no-wait"];
        all.extend_from_slice(args);
        let out = video(&sb, &all);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        assert_eq!(stdout_of(&out), "video_task_1\n", "--no-wait prints the task id alone");
        mock.assert();
    }
}

#[test]
fn a_local_first_frame_goes_as_a_data_uri_and_the_journal_keeps_its_path_not_its_bytes() {
    let mut sb = Sandbox::new();
    let image = png_sized(320, 240, 9);
    std::fs::write(sb.path("face.png"), &image).unwrap();
    let uri = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&image));
    let mock = sb
        .server
        .mock("POST", GATEWAY)
        .match_body(Matcher::PartialJson(json!({"model": "wan2.7-i2v",
            "input": {"media": [{"type": "first_frame", "url": uri}]}})))
        .with_body(task("video_task_2", "queued").to_string())
        .expect(1)
        .create();
    let out = video(&sb, &["create", "she turns", "--image", "face.png", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    mock.assert();
    // what is committed may still be in the write-ahead log
    let db: Vec<u8> = ["wan.db", "wan.db-wal"]
        .iter()
        .flat_map(|name| std::fs::read(sb.path("state").join(name)).unwrap_or_default())
        .collect();
    let text = String::from_utf8_lossy(&db);
    assert!(text.contains("face.png"), "the journal names the file");
    assert!(!text.contains(&uri[22..80]), "the journal holds no base64");
}

#[test]
fn an_image_to_video_model_without_a_first_frame_is_refused_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let mock = sb.server.mock("POST", Matcher::Any).expect(0).create();
    for model in ["wan2.7-i2v", "happyhorse-1.1-i2v"] {
        let out = video(&sb, &["create", "she smiles", "-m", model, "--media", "driving_audio=https://h/a.mp3"]);
        assert_eq!(out.status.code(), Some(2), "{model}");
        let stderr = stderr_of(&out);
        assert!(stderr.contains(&format!("{model} makes a video from a first frame")), "{stderr}");
        assert!(stderr.contains("--image"), "{stderr}");
    }
    // other bad input is refused before sending too
    for args in [
        &["create", "x", "--media", "voice.mp3"][..],
        &["create", "x", "--poll", "1"],
        &["create", "x", "-m", "dreamina-seedance-2-5", "--duration", "5"],
        &["create", "x", "--param", "duration=9"],
        &["create", "   "],
        &["wait", "../etc"],
    ] {
        let out = video(&sb, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
    }
    mock.assert();
}

/// Issue 28: `--duration` had no upper bound; the service may take the task, fail it or
/// cut the clip, and bill it.
#[test]
fn duration_is_checked_against_the_model_s_lengths_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let mock = sb.server.mock("POST", Matcher::Any).expect(0).create();
    for (model, seconds, takes) in [
        ("wan2.7-t2v", "60", "2 to 15 s"),
        ("wan2.7-t2v", "16", "2 to 15 s"),
        ("wan2.7-i2v", "1", "2 to 15 s"),
        ("wan2.6-t2v", "7", "5, 10 or 15 s"),
        ("happyhorse-1.1-t2v", "2", "3 to 15 s"),
    ] {
        let mut args = vec!["create", "waves", "-m", model, "--duration", seconds];
        if model.ends_with("-i2v") {
            args.extend(["--image", "https://h/f.png"]);
        }
        let out = video(&sb, &args);
        assert_eq!(out.status.code(), Some(2), "{model} {seconds}: {}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains(&format!("--duration {seconds} is not a length {model} makes: it takes {takes}")),
            "{stderr}"
        );
        assert!(stderr.contains("wan models"), "{stderr}");
    }
    // within the range it goes (a dry run shows it); a model the catalogue does not hold is sent as given
    for (model, seconds) in [("wan2.7-t2v", "15"), ("wan2.6-t2v", "10"), ("wan9-t2v", "60")] {
        let out = video(&sb, &["create", "waves", "-m", model, "--duration", seconds, "--dry-run"]);
        assert_eq!(out.status.code(), Some(0), "{model} {seconds}: {}", stderr_of(&out));
        assert!(stdout_of(&out).contains(&format!("\"duration\": {seconds}")), "{}", stdout_of(&out));
    }
    mock.assert();
    // `wan models` says each model's lengths
    let models = stdout_of(&sb.wan().arg("models").output().unwrap());
    assert!(models.lines().any(|l| l.starts_with("wan2.7-t2v ") && l.contains("2 to 15 s")), "{models}");
}

#[test]
fn max_cost_refuses_a_video_of_unknown_price_before_sending() {
    let mut sb = Sandbox::new();
    let mock = sb.server.mock("POST", Matcher::Any).expect(0).create();
    let out = video(&sb, &["create", "a fox", "--max-cost", "100"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("the price of wan2.7-t2v is not in wan's catalogue"), "{}", stderr_of(&out));
    mock.assert();
}

#[test]
fn a_task_is_followed_and_its_clip_saved_the_moment_it_is_ready() {
    let mut sb = Sandbox::new();
    // a status no source names is still running
    create_answers(&mut sb, &task("video_task_3", "processing"), 1);
    let look = sb
        .server
        .mock("GET", "/v1/video/generations/video_task_3")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_header("x-aisa-price-usd", "1.836")
        .with_body(done("video_task_3", &sb.url("/clips/3.mov")).to_string())
        .expect(1)
        .create();
    let clip = clip_at(&mut sb, "/clips/3.mov", &mov(3));
    let out = video(&sb, &["create", "A fox runs!", "-o", "out", "--poll", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "out/a-fox-runs-001.mov\n");
    assert_eq!(read_raw(&sb.path("out/a-fox-runs-001.mov")), mov(3));
    assert_eq!(sb.files("out"), ["a-fox-runs-001.mov"], "no part file is left");
    let stderr = stderr_of(&out);
    assert!(stderr.contains("video task video_task_3 created"), "{stderr}");
    assert!(stderr.contains("saved 1 video to out/ · wan2.7-t2v · $1.836 (as reported by the service)"), "{stderr}");
    look.assert();
    clip.assert();

    let listed = video(&sb, &["list", "--json"]);
    let row: Value = serde_json::from_str(stdout_of(&listed).lines().next().unwrap()).unwrap();
    assert_eq!((row["id"].as_str(), row["state"].as_str()), (Some("video_task_3"), Some("saved")));
    assert_eq!(row["cost"]["total"], 1.836);
    let history = sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["history", "--json"]).output().unwrap();
    let run: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!(
        (run["command"].as_str(), run["state"].as_str(), run["saved"].as_u64()),
        (Some("video"), Some("done"), Some(1))
    );
    let info =
        sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["info", "out/a-fox-runs-001.mov"]).output().unwrap();
    assert!(stdout_of(&info).contains("A fox runs!"), "{}", stdout_of(&info));
}

#[test]
fn a_clip_ready_at_once_is_saved_without_a_look_and_json_has_the_contract_fields() {
    let mut sb = Sandbox::new();
    // the Seedance form of the vendor's result
    let mut ready = task("video_task_4", "completed");
    ready["result"] = json!({"data": {"content": [{"type": "video", "url": sb.url("/clips/4.mov")}]}});
    create_answers(&mut sb, &ready, 1);
    let look = sb.server.mock("GET", Matcher::Regex("^/v1/video".into())).expect(0).create();
    clip_at(&mut sb, "/clips/4.mov", &mov(4));
    let out = video(&sb, &["create", "a fox", "--name", "fox", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(line["id"], "video_task_4");
    assert_eq!(line["model"], "wan2.7-t2v");
    assert_eq!(line["state"], "saved");
    assert_eq!(line["path"], "fox-001.mov");
    assert_eq!(line["url"], sb.url("/clips/4.mov"));
    assert_eq!(line["cost"], json!({"total": null, "currency": "USD", "source": "unknown"}));
    assert_eq!(line["error"], Value::Null);
    assert!(stderr_of(&out).contains("cost unknown (video prices are not in wan's catalogue"), "{}", stderr_of(&out));
    look.assert();
}

#[test]
fn a_failed_or_cancelled_task_is_exit_4_with_the_services_code_and_message() {
    for (status, said) in [("failed", "failed at the service"), ("cancelled", "was cancelled at the service")] {
        let mut sb = Sandbox::new();
        let mut ended = task("video_task_5", status);
        ended["error"] = json!({"code": "InvalidParameter", "message": "Field required: input.media"});
        create_answers(&mut sb, &ended, 1);
        let out = video(&sb, &["create", "a fox", "--json"]);
        assert_eq!(out.status.code(), Some(4), "{status}");
        let stderr = stderr_of(&out);
        assert!(
            stderr.contains(&format!("video task video_task_5 {said}: InvalidParameter: Field required: input.media")),
            "{stderr}"
        );
        let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
        assert_eq!((line["state"].as_str(), line["error"]["kind"].as_str()), (Some(status), Some("rejected")));
    }
}

#[test]
fn the_wait_timeout_is_exit_8_and_says_how_to_pick_the_task_up() {
    let mut sb = Sandbox::new();
    create_answers(&mut sb, &task("video_task_6", "queued"), 1);
    let mut running = task("video_task_6", "in_progress");
    running["progress"] = json!("40%");
    sb.server.mock("GET", "/v1/video/generations/video_task_6").with_body(running.to_string()).create();
    let started = Instant::now();
    let out = video(&sb, &["create", "a fox", "--poll", "2", "--wait-timeout", "1"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(8), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("video task video_task_6 is not finished after 1 s"), "{stderr}");
    assert!(stderr.contains("wan video wait video_task_6"), "{stderr}");
    assert_eq!(stdout_of(&out), "");
}

#[test]
fn a_create_is_never_sent_again_after_a_5xx_a_drop_or_a_timeout() {
    let mut sb = Sandbox::new();
    let failed = sb
        .server
        .mock("POST", GATEWAY)
        .with_status(503)
        .with_body(r#"{"error":{"code":"upstream_unavailable","message":"busy"}}"#)
        .expect(1)
        .create();
    let out = video(&sb, &["create", "a fox", "--retries", "3", "--json"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("a task may have been created and billed"), "{}", stderr_of(&out));
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!((line["id"].clone(), line["error"]["kind"].as_str()), (Value::Null, Some("service")));
    failed.assert();

    for fault in [Fault::Drop, Fault::Silence(Duration::from_secs(5))] {
        let server = RawServer::start(vec![fault.clone()]);
        let out = sb
            .wan()
            .env("WAN_STATE_DIR", sb.path("state"))
            .env("AISA_BASE_URL", server.url("/v1"))
            .args(["video", "create", "a fox", "--retries", "3", "--timeout", "1"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(6), "{fault:?}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("a task may have been created and billed"), "{}", stderr_of(&out));
        assert_eq!(server.requests(), 1, "{fault:?}: sent once");
    }
    // the journal says the outcome of those creates is unknown, and resume does not send them
    let resumed = sb.wan().env("WAN_STATE_DIR", sb.path("state")).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(7), "{}", stderr_of(&resumed));
    assert!(stderr_of(&resumed).contains("not asked for again"), "{}", stderr_of(&resumed));
}

#[test]
fn a_create_met_by_the_cap_of_tasks_is_sent_again_after_retry_after() {
    let mut sb = Sandbox::new();
    let capped = sb
        .server
        .mock("POST", GATEWAY)
        .with_status(429)
        .with_header("retry-after", "1")
        .with_body(r#"{"error":{"code":"rate_limit_exceeded","message":"3 tasks in flight"}}"#)
        .expect(1)
        .create();
    let taken = create_answers(&mut sb, &task("video_task_7", "queued"), 1);
    let started = Instant::now();
    let out = video(&sb, &["create", "a fox", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After is honoured");
    assert!(stderr_of(&out).contains("sending again in 1.0 s (1 of 2)"), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "video_task_7\n");
    capped.assert();
    taken.assert();
}

#[test]
fn looks_that_fail_are_taken_again() {
    let mut sb = Sandbox::new();
    create_answers(&mut sb, &task("video_task_8", "queued"), 1);
    let path = "/v1/video/generations/video_task_8";
    let broken = sb.server.mock("GET", path).with_status(502).with_body("bad gateway").expect(1).create();
    let busy = sb.server.mock("GET", path).with_status(429).with_header("retry-after", "1").expect(1).create();
    sb.server.mock("GET", path).with_body(done("video_task_8", &sb.url("/clips/8.mov")).to_string()).create();
    clip_at(&mut sb, "/clips/8.mov", &mov(8));
    let out = video(&sb, &["create", "a fox", "--poll", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "a-fox-001.mov\n");
    assert!(stderr_of(&out).contains("looking again"), "{}", stderr_of(&out));
    broken.assert();
    busy.assert();
}

#[test]
fn the_dashscope_route_serves_where_the_gateways_does_not_exist() {
    let mut sb = Sandbox::new();
    let missing = sb
        .server
        .mock("POST", GATEWAY)
        .with_status(404)
        .with_header("content-type", "text/plain")
        .with_body("404 page not found")
        .expect(1)
        .create();
    let answer = json!({"output": {"task_id": "0385dc79-5ff8", "task_status": "PENDING"}, "request_id": "r1"});
    let dashscope = sb
        .server
        .mock("POST", DASHSCOPE_CREATE)
        .match_header("x-dashscope-async", "enable")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_body(Matcher::Json(json!({"model": "wan2.7-i2v",
            "input": {"prompt": "she smiles", "media": ["https://h/f.png"]},
            "parameters": {"resolution": "720P", "duration": 5}})))
        .with_body(answer.to_string())
        .expect(1)
        .create();
    let succeeded = json!({"output": {"task_id": "0385dc79-5ff8", "task_status": "SUCCEEDED",
                                      "video_url": sb.url("/clips/d.mov")}, "request_id": "r2"});
    let look = sb
        .server
        .mock("GET", "/apis/v1/services/aigc/tasks/0385dc79-5ff8")
        .with_body(succeeded.to_string())
        .expect(1)
        .create();
    clip_at(&mut sb, "/clips/d.mov", &mov(5));
    let out = video(&sb, &["create", "she smiles", "--image", "https://h/f.png", "--poll", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "she-smiles-001.mov\n");
    let stderr = stderr_of(&out);
    assert!(stderr.contains("/v1/video/generations does not exist on this service"), "{stderr}");
    assert!(stderr.contains("dashscope route"), "{stderr}");
    missing.assert();
    dashscope.assert();
    look.assert();
}

#[test]
fn an_expired_link_is_exit_7_with_the_url_printed() {
    let mut sb = Sandbox::new();
    let url = sb.url("/clips/gone.mov");
    create_answers(&mut sb, &done("video_task_9", &url), 1);
    sb.server.mock("GET", "/clips/gone.mov").with_status(403).with_body("<Error>AccessDenied</Error>").create();
    let out = video(&sb, &["create", "a fox", "-o", "out"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the video's link has expired"), "{stderr}");
    assert!(stderr.contains(&format!("the link was: {url}")), "{stderr}");
    assert!(sb.files("out").is_empty(), "nothing is left in the folder");
}

#[test]
fn bytes_that_are_no_video_are_not_saved() {
    let mut sb = Sandbox::new();
    let answer = done("video_task_10", &sb.url("/clips/10.mov"));
    create_answers(&mut sb, &answer, 1);
    sb.server.mock("GET", "/clips/10.mov").with_body("<html><body>expired</body></html>").create();
    let out = video(&sb, &["create", "a fox", "-o", "out"]);
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("returned an HTML page instead of a video"), "{}", stderr_of(&out));
    assert!(sb.files("out").is_empty());
}

#[test]
fn status_looks_once_wait_takes_a_task_up_and_list_shows_the_journal() {
    let mut sb = Sandbox::new();
    let url = sb.url("/clips/s.mov");
    sb.server
        .mock("GET", "/v1/video/generations/video_task_s")
        .with_body(done("video_task_s", &url).to_string())
        .create();
    let clip = clip_at(&mut sb, "/clips/s.mov", &mov(6)).expect(1);
    let status = video(&sb, &["status", "video_task_s"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr_of(&status));
    assert_eq!(stdout_of(&status), format!("video_task_s  completed  {url}\n"));
    let json_status = video(&sb, &["status", "video_task_s", "--json"]);
    let line: Value = serde_json::from_str(stdout_of(&json_status).trim()).unwrap();
    assert_eq!((line["state"].as_str(), line["url"].as_str()), (Some("completed"), Some(url.as_str())));
    assert!(!sb.path("video_task_s-001.mov").exists(), "status saves nothing");

    // a task neither route knows is exit 4
    sb.server
        .mock("GET", "/v1/video/generations/nope")
        .with_status(404)
        .with_body(r#"{"error":{"code":"task_not_found","message":"task nope not found"}}"#)
        .create();
    sb.server
        .mock("GET", "/apis/v1/services/aigc/tasks/nope")
        .with_body(r#"{"output":{"task_id":"nope","task_status":"UNKNOWN"}}"#)
        .create();
    let unknown = video(&sb, &["status", "nope"]);
    assert_eq!(unknown.status.code(), Some(4), "{}", stderr_of(&unknown));
    assert!(stderr_of(&unknown).contains("the service knows no video task nope"), "{}", stderr_of(&unknown));

    // wait takes up a task the journal does not know, once; then knows it
    let waited = video(&sb, &["wait", "video_task_s", "-o", "clips"]);
    assert_eq!(waited.status.code(), Some(0), "{}", stderr_of(&waited));
    assert_eq!(stdout_of(&waited), "clips/video-001.mov\n");
    assert!(stderr_of(&waited).contains("saved 1 video to clips/"), "{}", stderr_of(&waited));
    let again = video(&sb, &["wait", "video_task_s"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert!(stderr_of(&again).contains("was saved before"), "{}", stderr_of(&again));
    clip.assert();
    let listed = video(&sb, &["list"]);
    let text = stdout_of(&listed);
    assert!(text.starts_with("TASK"), "{text}");
    assert!(text.contains("video_task_s") && text.contains("saved") && text.contains("clips/video-001.mov"), "{text}");
}

#[test]
fn an_interrupt_while_waiting_is_exit_130_and_says_how_to_pick_the_task_up() {
    let emulator = Emulator::start(&["--video-ms", "60000"]);
    let sb = Sandbox::new();
    let mut child = spawn_video(&sb, &emulator.base, &["create", "a slow fox", "--poll", "2"]);
    emulator.requests_to("/v1/video/generations/", 1);
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    wait_for("wan to stop", || child.try_wait().unwrap().is_some());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("the video task goes on at the service"), "{stderr}");
    assert!(stderr.contains("  wan video wait video_task_"), "{stderr}");
}

/// `wan video create` killed with SIGKILL while it looks at its task.
fn killed_while_waiting(sb: &Sandbox, emulator: &Emulator, prompt: &str) {
    let before = emulator.requests_to("/v1/video/generations/", 0).len();
    let mut child = spawn_video(sb, &emulator.base, &["create", prompt, "-o", "out", "--poll", "2"]);
    let looks = emulator.requests_to("/v1/video/generations/", before + 1).len();
    assert!(looks > before, "wan looked at its task");
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

#[test]
fn resume_and_wait_pick_a_task_up_after_a_kill_9() {
    let emulator = Emulator::start(&["--video-ms", "3000", "--video-size", "32x18"]);
    let sb = Sandbox::new();
    let creates =
        || emulator.requests_to("/v1/video/generations", 0).iter().filter(|line| line.starts_with("POST")).count();
    killed_while_waiting(&sb, &emulator, "first fox");
    let resumed = sb
        .wan()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", &emulator.base)
        .arg("resume")
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert!(sb.path("out/first-fox-001.mp4").exists(), "{:?}", sb.files("out"));
    assert_eq!(creates(), 1, "resume asked for no new task");

    killed_while_waiting(&sb, &emulator, "second fox");
    let listed = video(&sb, &["list", "--json"]);
    let newest: Value = serde_json::from_str(stdout_of(&listed).lines().next().unwrap()).unwrap();
    assert_eq!(newest["state"], "running");
    let id = newest["id"].as_str().unwrap().to_string();
    let waited = sb
        .wan()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", &emulator.base)
        .args(["video", "wait", &id, "--poll", "2"])
        .output()
        .unwrap();
    assert_eq!(waited.status.code(), Some(0), "{}", stderr_of(&waited));
    // the journal's folder and stem, not the current ones
    assert!(sb.path("out/second-fox-001.mp4").exists(), "{:?}", sb.files("out"));
    assert_eq!(creates(), 2, "wait asked for no new task");
}

#[test]
fn end_to_end_against_the_emulator() {
    let emulator = Emulator::start(&["--video-ms", "2200", "--video-size", "64x36"]);
    let sb = Sandbox::new();
    let run = |args: &[&str]| {
        sb.wan()
            .env("WAN_STATE_DIR", sb.path("state"))
            .env("AISA_BASE_URL", &emulator.base)
            .arg("video")
            .args(args)
            .output()
            .unwrap()
    };
    std::fs::write(sb.path("face.png"), png_sized(256, 256, 1)).unwrap();
    let out = run(&["create", "a red panda", "--image", "face.png", "--duration", "2", "--poll", "2", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // the service answers MP4, and so does the emulator: saved as .mp4
    let path = sb.path("out/a-red-panda-001.mp4");
    crate::support::emulator::assert_mp4(&read_raw(&path), 2.0);

    // a share of failures: every task fails
    let failing = Emulator::start(&["--video-ms", "300", "--video-size", "32x18", "--video-fail", "1"]);
    let failed = sb
        .wan()
        .env("AISA_BASE_URL", &failing.base)
        .args(["video", "create", "doomed", "--poll", "2", "--no-journal"])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(4), "{}", stderr_of(&failed));
    assert!(stderr_of(&failed).contains("InternalError.Algo"), "{}", stderr_of(&failed));

    // the cap of three tasks in flight per key
    let slow = Emulator::start(&["--video-ms", "60000"]);
    for i in 0..4 {
        let out = sb
            .wan()
            .env("AISA_BASE_URL", &slow.base)
            .args(["video", "create", &format!("task {i}"), "--no-wait", "--retries", "0", "--no-journal"])
            .output()
            .unwrap();
        let expected = if i < 3 { 0 } else { 5 };
        assert_eq!(out.status.code(), Some(expected), "task {i}: {}", stderr_of(&out));
    }

    // an i2v task sent without a first frame (not by wan) is taken, then fails
    let http = http();
    let taken: Value = http
        .post(format!("{}/video/generations", emulator.base))
        .bearer_auth("another-key")
        .json(&json!({"model": "wan2.7-i2v", "input": {"prompt": "no frame"}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(taken["status"], "queued");
    let id = taken["id"].as_str().unwrap();
    let waited = run(&["wait", id, "--poll", "2"]);
    assert_eq!(waited.status.code(), Some(4), "{}", stderr_of(&waited));
    assert!(stderr_of(&waited).contains("InvalidParameter: Field required: input.media"), "{}", stderr_of(&waited));

    // a clip's link expires --url-ttl seconds after the task completed
    let short_lived = Emulator::start(&["--video-ms", "200", "--video-size", "32x18", "--url-ttl", "1"]);
    let with = |args: &[&str]| {
        sb.wan().env("AISA_BASE_URL", &short_lived.base).arg("video").args(args).arg("--no-journal").output().unwrap()
    };
    let id = stdout_of(&with(&["create", "brief fox", "--no-wait"])).trim().to_string();
    std::thread::sleep(Duration::from_millis(300));
    let looked = sb.wan().env("AISA_BASE_URL", &short_lived.base).args(["video", "status", &id]).output().unwrap();
    let url = stdout_of(&looked).split_whitespace().last().unwrap().to_string();
    assert!(url.contains("/videos/"), "{}", stdout_of(&looked));
    std::thread::sleep(Duration::from_millis(1100));
    let late = with(&["wait", &id, "-o", "late"]);
    assert_eq!(late.status.code(), Some(7), "{}", stderr_of(&late));
    assert!(stderr_of(&late).contains(&format!("the link was: {url}")), "{}", stderr_of(&late));

    // the DashScope route, as the April service had it alone
    let april = Emulator::start(&["--video-ms", "300", "--video-size", "32x18", "--no-video-gateway"]);
    let out = sb
        .wan()
        .env("AISA_BASE_URL", &april.base)
        .args(["video", "create", "april fox", "--poll", "2", "--duration", "2", "-o", "april", "--no-journal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(sb.path("april/april-fox-001.mp4").exists());
    assert_eq!(april.requests_to(DASHSCOPE_CREATE, 1).len(), 1);
}

/// Wan 2.6, as AIsa's April docs and its own skill offer it: the catalogue knows it, its
/// body names the first frame `input.img_url`, and the emulator's DashScope route takes
/// it and makes the clip (issue 27, item 1).
#[test]
fn wan_2_6_is_known_its_first_frame_goes_as_img_url_and_the_emulator_makes_it() {
    let mut sb = Sandbox::new();
    // on the wire: img_url, not input.media
    let body = json!({"model": "wan2.6-i2v", "input": {"prompt": "a fox runs", "img_url": "https://h/f.png"},
                      "parameters": {"resolution": "720P", "duration": 5}});
    let create = sb
        .server
        .mock("POST", "/v1/video/generations")
        .match_body(mockito::Matcher::Json(body))
        .with_body(task("video_task_26", "queued").to_string())
        .expect(1)
        .create();
    let out = video(&sb, &["create", "a fox runs", "-m", "wan2.6-i2v", "--image", "https://h/f.png", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    create.assert();
    // no place for a last frame in its body; and no first frame is refused before sending
    let nothing = sb.server.mock("POST", mockito::Matcher::Any).expect(0).create();
    let last = ["create", "x", "-m", "wan2.6-i2v", "--image", "https://h/f.png", "--last-frame", "https://h/l.png"];
    let out = video(&sb, &last);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("wan2.6-i2v's body has no place for a last_frame"), "{}", stderr_of(&out));
    let out = video(&sb, &["create", "x", "-m", "wan2.6-i2v"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    nothing.assert();
    // completion offers the names
    let bash = stdout_of(&sb.wan().args(["completions", "bash"]).output().unwrap());
    assert!(bash.contains("wan2.6-t2v") && bash.contains("wan2.6-i2v"), "the completions name Wan 2.6");
    // `wan models` lists the video models too
    let models = stdout_of(&sb.wan().arg("models").output().unwrap());
    assert!(models.lines().any(|l| l.starts_with("wan2.6-i2v ") && l.contains("img_url")), "{models}");

    // against the emulator's DashScope route, as the April service had it alone
    let april = Emulator::start(&["--video-ms", "300", "--video-size", "32x18", "--no-video-gateway"]);
    std::fs::write(sb.path("face.png"), png_sized(256, 256, 1)).unwrap();
    for (model, image) in [("wan2.6-t2v", None), ("wan2.6-i2v", Some("face.png"))] {
        let mut args = vec!["video", "create", "april fox", "-m", model, "--poll", "2", "--duration", "5", "-o", model];
        args.extend(image.iter().flat_map(|i| ["--image", *i]));
        let out = sb.wan().env("AISA_BASE_URL", &april.base).args(&args).arg("--no-journal").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{model}: {}", stderr_of(&out));
        assert_eq!(sb.files(model), ["april-fox-001.mp4"]);
    }
    let http = http();
    let dashscope = |body: Value| {
        let root = april.base.trim_end_matches("/v1");
        let answer = http
            .post(format!("{root}{DASHSCOPE_CREATE}"))
            .bearer_auth("test")
            .header("x-dashscope-async", "enable")
            .json(&body)
            .send()
            .unwrap();
        (answer.status().as_u16(), answer.json::<Value>().unwrap())
    };
    // AIsa's skill sends the April body as it is
    let (status, body) =
        dashscope(json!({"model": "wan2.6-i2v", "input": {"prompt": "a fox", "img_url": "https://h/f.png"}}));
    assert_eq!((status, body["output"]["task_status"].as_str()), (200, Some("PENDING")), "{body}");
    let (status, body) = dashscope(json!({"model": "wan2.6-i2v", "input": {"prompt": "a fox"}}));
    assert_eq!(status, 500, "{body}");
    assert!(body["message"].as_str().unwrap().contains("input.img_url"), "{body}");
}

#[test]
fn video_help_has_examples_and_the_exit_codes() {
    let sb = Sandbox::new();
    let help = stdout_of(&sb.wan().args(["video", "create", "--help"]).output().unwrap());
    for needle in ["Examples:", "--image", "--wait-timeout", "Exit codes:", "8    not finished yet"] {
        assert!(help.contains(needle), "{needle:?}");
    }
    let top = stdout_of(&sb.wan().args(["video", "--help"]).output().unwrap());
    assert!(top.contains("wan video wait video_task_1a2b3c"), "{top}");
}

#[test]
fn two_waits_on_one_task_save_its_clip_once() {
    let emulator = Emulator::start(&["--video-ms", "2500", "--video-size", "32x18"]);
    let sb = Sandbox::new();
    let created = sb
        .wan()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", &emulator.base)
        .args(["video", "create", "one fox", "--no-wait", "-o", "out"])
        .output()
        .unwrap();
    let id = stdout_of(&created).trim().to_string();
    let waits: Vec<Child> = (0..2).map(|_| spawn_video(&sb, &emulator.base, &["wait", &id, "--poll", "2"])).collect();
    let ended: Vec<std::process::Output> = waits.into_iter().map(|w| w.wait_with_output().unwrap()).collect();
    let clips: Vec<String> = sb.files("out").into_iter().filter(|f| !f.starts_with('.')).collect();
    assert_eq!(clips.len(), 1, "the clip is saved once: {clips:?}");
    for out in &ended {
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(out));
        assert!(stdout_of(out).trim().ends_with(&clips[0]), "each prints the one clip: {}", stdout_of(out));
    }
    let said: String = ended.iter().map(stderr_of).collect();
    assert!(said.contains("is taken by process") && said.contains("was saved by the other wan"), "{said}");
}

#[test]
fn a_task_id_no_service_issues_is_refused_shown_escaped_and_never_put_in_a_url() {
    let mut sb = Sandbox::new();
    let hostile = "../../credits/balance?x=\u{1b}[2J\nnext";
    let create = create_answers(&mut sb, &task(hostile, "queued"), 1);
    let elsewhere = sb.server.mock("GET", Matcher::Any).expect(0).create();
    let out = video(&sb, &["create", "a fox", "-o", "out"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
    assert!(!stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'), "{stderr}");
    assert!(
        stderr.contains("no task id wan will use") && stderr.contains("may have been created and billed"),
        "{stderr}"
    );
    assert!(stderr.contains(r"credits/balance?x="), "shown, escaped: {stderr}");
    create.assert();
    elsewhere.assert();
}

#[test]
fn a_video_create_carries_an_idempotency_key_of_its_run_on_record() {
    let mut sb = Sandbox::new();
    let create = sb
        .server
        .mock("POST", GATEWAY)
        .match_header("idempotency-key", Matcher::Regex("^wan-[0-9a-f]{12}-0-0$".into()))
        .with_header("content-type", "application/json")
        .with_body(task("video_task_k", "queued").to_string())
        .expect(1)
        .create();
    let out = video(&sb, &["create", "a fox", "--no-wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    create.assert();
    let db = rusqlite::Connection::open(sb.path("state/wan.db")).unwrap();
    let (run, key): (String, String) =
        db.query_row("SELECT run_id, idempotency_key FROM requests", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(key, format!("wan-{run}-0-0"));
}

/// Issue 28: one look at the wrong base URL made a video unrecoverable. `wan video wait`
/// against another host marked the task `unknown`, and `wan resume` then said "nothing
/// left to do" while the clip was ready. A task is followed where it was made unless
/// `--base-url` says otherwise (AISA_BASE_URL is for new work), another host's 404 never
/// closes it, and `resume --dry-run` names the URL it will use.
#[test]
fn a_video_task_is_followed_where_it_was_made_and_another_host_s_404_never_closes_it() {
    let home = Emulator::start(&["--video-ms", "300", "--video-size", "32x18"]);
    let other = Emulator::start(&[]);
    let sb = Sandbox::new();
    let at = |base: &str, args: &[&str]| {
        sb.wan().env("WAN_STATE_DIR", sb.path("state")).env("AISA_BASE_URL", base).args(args).output().unwrap()
    };
    let create = |prompt: &str| {
        let out = at(&home.base, &["video", "create", prompt, "--duration", "2", "--no-wait", "-o", "clips"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stdout_of(&out).trim().to_string()
    };
    let (first, second) = (create("first fox"), create("second fox"));

    // AISA_BASE_URL now names another host: the task is still followed where it was made
    let waited = at(&other.base, &["video", "wait", &first, "--poll", "2"]);
    assert_eq!(waited.status.code(), Some(0), "{}", stderr_of(&waited));
    assert!(sb.path("clips/first-fox-001.mp4").exists());
    assert!(other.requests_to("/v1/video", 0).is_empty(), "nothing asked of the other host");

    // told otherwise with --base-url: that host's 404 is said, and closes nothing
    let elsewhere = at(&home.base, &["video", "wait", &second, "--base-url", &other.base, "--poll", "2"]);
    assert_eq!(elsewhere.status.code(), Some(4), "{}", stderr_of(&elsewhere));
    let stderr = stderr_of(&elsewhere);
    assert!(stderr.contains(&format!("knows no video task {second}; it was made at {}", home.base)), "{stderr}");
    let listed = at(&home.base, &["video", "list", "--json"]);
    let task: Value = stdout_of(&listed)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|t| t["id"] == second.as_str())
        .unwrap();
    assert_ne!(task["state"], "unknown", "{task}");

    // resume, with AISA_BASE_URL elsewhere, names the URL it will use, then saves the clip there
    let dry = at(&other.base, &["resume", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
    let poll = format!("{}/video/generations/{second}", home.base);
    assert!(stdout_of(&dry).contains(&format!("at GET {poll}")), "{}", stdout_of(&dry));
    let resumed = at(&other.base, &["resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    assert!(sb.path("clips/second-fox-001.mp4").exists(), "{:?}", sb.files("clips"));
}

/// Issue 28: `wan video list` showed a stale state after `wan video status`, and `wan video
/// wait` on a task saved before said `saved 1 video`.
#[test]
fn status_updates_the_journal_and_waiting_on_a_saved_task_saves_nothing_again() {
    let emulator = Emulator::start(&["--video-ms", "300", "--video-size", "32x18"]);
    let sb = Sandbox::new();
    let run = |args: &[&str]| {
        sb.wan()
            .env("WAN_STATE_DIR", sb.path("state"))
            .env("AISA_BASE_URL", &emulator.base)
            .args(args)
            .output()
            .unwrap()
    };
    let created = run(&["video", "create", "a fox", "--duration", "2", "--no-wait", "-o", "clips"]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr_of(&created));
    let id = stdout_of(&created).trim().to_string();
    let listed = |field: &str| -> Value {
        let out = run(&["video", "list", "--json"]);
        let task: Value = serde_json::from_str(stdout_of(&out).lines().next().unwrap()).unwrap();
        task[field].clone()
    };
    // once the service says it is completed, so does the list
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = run(&["video", "status", &id]);
        assert_eq!(status.status.code(), Some(0), "{}", stderr_of(&status));
        if stdout_of(&status).contains("completed") {
            break;
        }
        assert_eq!(
            listed("status"),
            stdout_of(&status).split_whitespace().nth(1).unwrap(),
            "the list says what status saw"
        );
        assert!(Instant::now() < deadline, "the task never completed");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(listed("state"), "completed");
    assert!(listed("url").as_str().is_some_and(|url| url.ends_with(".mp4")), "{}", listed("url"));

    let first = run(&["video", "wait", &id]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert!(stderr_of(&first).contains("saved 1 video to "), "{}", stderr_of(&first));
    let again = run(&["video", "wait", &id]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert_eq!(stdout_of(&again), stdout_of(&first), "the path, printed again");
    let stderr = stderr_of(&again);
    assert!(stderr.contains(&format!("video task {id} was saved before")), "{stderr}");
    assert!(!stderr.contains("saved 1 video"), "nothing saved now: {stderr}");
    assert_eq!(sb.files("clips").len(), 1);
}

//! What a run leaves and prints: files (folder, names, never overwriting, `--open`), stdout and stderr.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::support::raw::{Fault, RawServer};
use crate::support::*;

#[test]
fn the_folder_is_created_with_its_parents() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan().args(["generate", "x", "-o", "a/b/c"]).assert().code(0).stdout("a/b/c/x-001.png\n");
    assert_eq!(read(&sb.path("a/b/c/x-001.png")), png(1));
}

#[test]
fn a_quoted_tilde_in_o_is_the_home_folder_as_in_the_config_file_and_mcp() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().env("HOME", sb.path("home")).args(["generate", "x", "-o", "~/pics"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read(&sb.path("home/pics/x-001.png")), png(1));
    assert!(!sb.path("~").exists(), "no folder named ~");
}

#[test]
fn a_prompt_s_paths_print_in_number_order_whichever_lands_first() {
    let mut sb = Sandbox::new();
    // The first image comes a second late; the other three at once.
    let late = RawServer::start(vec![Fault::Late(Duration::from_secs(1), png(1))]);
    let links = [late.url("/1.png"), sb.url("/2.png"), sb.url("/3.png"), sb.url("/4.png")];
    sb.chat(&chat_answer(&links));
    for tag in 2..=4u8 {
        sb.image(&format!("/{tag}.png"), &png(tag));
    }
    let out = sb.wan().args(["generate", "x", "-n", "4", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "out/x-001.png\nout/x-002.png\nout/x-003.png\nout/x-004.png\n");
    assert_eq!(read(&sb.path("out/x-001.png")), png(1), "the late one is number 1, as the answer ordered it");
}

#[test]
fn a_run_that_saves_nothing_leaves_no_empty_folder() {
    let mut sb = Sandbox::new();
    let refused = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(json!({"error": {"type": "invalid_request_error", "message": "no"}}).to_string())
        .create();
    let out = sb.wan().args(["generate", "x", "-o", "new/folder"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    refused.assert();
    assert!(!sb.path("new").exists(), "nothing was saved, so nothing was made");
    // one that cannot be made is refused before anything is sent
    fs::write(sb.path("a-file"), b"x").unwrap();
    let service = never_called(&mut sb);
    let out = sb.wan().args(["generate", "x", "-o", "a-file/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("a-file is not a directory"), "{}", stderr_of(&out));
    service.assert();
}

#[test]
fn numbering_continues_after_existing_files_and_leaves_them_alone() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("red-panda-001.png"), b"old one").unwrap();
    fs::write(sb.path("red-panda-007.jpg"), b"old seven").unwrap();
    fs::write(sb.path("red-panda-big-050.png"), b"other stem").unwrap();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));

    let out = sb.wan().args(["generate", "Red panda!", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sorted_lines(&out), ["red-panda-008.png", "red-panda-009.png"]);

    assert_eq!(read(&sb.path("red-panda-001.png")), b"old one");
    assert_eq!(read(&sb.path("red-panda-007.jpg")), b"old seven");
    assert_eq!(read(&sb.path("red-panda-008.png")), png(1));
    assert_eq!(
        sb.files("."),
        ["red-panda-001.png", "red-panda-007.jpg", "red-panda-008.png", "red-panda-009.png", "red-panda-big-050.png"]
    );
}

#[test]
fn two_runs_into_one_folder_keep_all_their_images_and_touch_nothing_else() {
    let mut sb = Sandbox::new();
    std::fs::write(sb.path("cat-002.png"), b"mine, from before").unwrap();
    let urls: Vec<String> = (1..=8).map(|i| sb.url(&format!("/{i}.png"))).collect();
    for (run, half) in urls.chunks(4).enumerate() {
        sb.chat_when(json!({"messages": [{"content": [{"text": format!("cat {run}")}]}]}), &chat_answer(half), 1);
    }
    for i in 1..=8u8 {
        let bytes = png(i);
        // a slow body, so the two runs write at the same time
        sb.server
            .mock("GET", format!("/{i}.png").as_str())
            .with_chunked_body(move |w| {
                std::thread::sleep(Duration::from_millis(150));
                w.write_all(&bytes)
            })
            .create();
    }
    let spawn = |run: usize| {
        sb.wan_process()
            .args(["generate", &format!("cat {run}"), "-n", "4", "--name", "cat"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(0), spawn(1));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", stderr_of(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr_of(&b));

    let names = sb.files(".");
    assert_eq!(names.len(), 9, "{names:?}");
    assert_eq!(read(&sb.path("cat-002.png")), b"mine, from before");
    let mut contents: Vec<Vec<u8>> = names.iter().filter(|n| *n != "cat-002.png").map(|n| read(&sb.path(n))).collect();
    contents.sort();
    let mut expected: Vec<Vec<u8>> = (1..=8).map(png).collect();
    expected.sort();
    assert_eq!(contents, expected, "every image of both runs is on disk, once");
    let printed = stdout_of(&a).lines().count() + stdout_of(&b).lines().count();
    assert_eq!(printed, 8);
}

#[test]
fn name_sets_the_stem() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan()
        .args(["generate", "anything at all", "--name", "cover", "-o", "o/"])
        .assert()
        .code(0)
        .stdout("o/cover-001.png\n");
}

#[test]
fn a_long_prompt_gives_a_short_slug() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    sb.wan()
        .args(["generate", "A cute red panda, ultra-detailed, cinematic lighting, 8k, trending"])
        .assert()
        .code(0)
        // "a-cute-red-panda-ultra-detailed-cinematic" would be 41 characters: cut at a dash
        .stdout("a-cute-red-panda-ultra-detailed-001.png\n");
}

#[test]
fn a_file_number_past_the_last_one_is_an_error_not_000() {
    let mut sb = Sandbox::new();
    let top = format!("cat-{}.png", u64::MAX);
    fs::write(sb.path(&top), b"the last one").unwrap();
    // Judged on the folder before anything is sent (issue 24): nothing is billed. (It
    // was refused after the image was paid for, with its URL, exit 7.)
    let api = never_called(&mut sb);
    let out = sb.wan().args(["generate", "x", "--name", "cat"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no file number is left for \"cat\" in ./"), "{stderr}");
    assert!(stderr.contains("another --name"), "{stderr}");
    assert_eq!(sb.files("."), [top]);
    api.assert();
}

#[test]
fn a_name_too_long_for_a_file_is_refused_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let long = "a".repeat(250);
    for extra in [&[][..], &["--dry-run"]] {
        let out = sb.wan().args(["generate", "x", "--name", &long]).args(extra).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("255-byte limit"), "{stderr}");
        assert!(stdout_of(&out).is_empty());
    }
    api.assert();
    assert!(sb.files(".").is_empty());
}

/// Runs `wan ARGS` in the sandbox through `/bin/sh -c SCRIPT sh SCRIPT_ARGS… WAN ARGS…`,
/// behind `launcher` (such as `unshare -m`), with the sandbox's scrubbed environment;
/// SCRIPT ends with `exec "$@"`.
#[cfg(unix)]
fn wan_through_sh(sb: &Sandbox, launcher: &[&str], script: &str, script_args: &[&str], args: &[&str]) -> Output {
    let wan = sb.wan_process();
    let (program, rest) = match launcher.split_first() {
        Some((first, rest)) => (*first, rest),
        None => ("/bin/sh", &[][..]),
    };
    let mut cmd = Command::new(program);
    cmd.env_clear().current_dir(sb.dir.path()).args(rest);
    if !launcher.is_empty() {
        cmd.arg("/bin/sh");
    }
    cmd.args(["-c", script, "sh"]).args(script_args).arg(wan.get_program()).args(args);
    for (name, value) in wan.get_envs() {
        if let Some(value) = value {
            cmd.env(name, value);
        }
    }
    cmd.output().unwrap()
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn saved_files_get_the_mode_the_umask_gives() {
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let mut sb = Sandbox::new();
        sb.chat(&chat_answer(&[sb.url("/1.png")]));
        sb.image("/1.png", &png(1));
        let out = wan_through_sh(&sb, &[], &format!("umask {umask}; exec \"$@\""), &[], &["generate", "x"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        assert_eq!(stdout_of(&out), "x-001.png\n");
        assert_eq!(mode_of(&sb.path("x-001.png")), mode, "under umask {umask}");
    }
}

/// Runs `wan ARGS -o locked` where `locked` exists and cannot be written, and returns
/// its output; `None` (the test is skipped) where no such folder can be made. A 0555
/// folder stops only users without CAP_DAC_OVERRIDE; for root, `locked` is a read-only
/// tmpfs, mounted in a mount namespace of the wan process alone (`unshare -m` makes
/// mounts private), so nothing outlives the test.
#[cfg(unix)]
fn wan_with_unwritable_folder(sb: &Sandbox, args: &[&str]) -> Option<Output> {
    use std::os::unix::fs::PermissionsExt;
    let dir = sb.path("locked");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).unwrap();
    let args: Vec<&str> = args.iter().copied().chain(["-o", "locked"]).collect();
    if fs::write(dir.join("try"), b"").is_err() {
        let out = sb.wan().args(&args).output().unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        return Some(out);
    }
    fs::remove_file(dir.join("try")).unwrap();
    let Some(unshare) = ["/usr/bin/unshare", "/bin/unshare"].into_iter().find(|p| Path::new(p).exists()) else {
        eprintln!("skipped: this user can write in a 0555 folder, and there is no unshare to mount a read-only one");
        return None;
    };
    let mount = "PATH=/usr/sbin:/usr/bin:/sbin:/bin mount -t tmpfs -o ro tmpfs \"$1\"";
    let check = Command::new(unshare)
        .args(["-m", "/bin/sh", "-c", &format!("{mount} && ! (: > \"$1\"/try) 2>/dev/null"), "sh", "locked"])
        .current_dir(sb.dir.path())
        .output()
        .unwrap();
    if !check.status.success() {
        eprintln!(
            "skipped: this user can write in a 0555 folder, and no read-only tmpfs could be mounted \
             (unshare -m, mount -t tmpfs -o ro): {}",
            stderr_of(&check).trim()
        );
        return None;
    }
    Some(wan_through_sh(sb, &[unshare, "-m"], &format!("{mount} && shift && exec \"$@\""), &["locked"], &args))
}

#[test]
fn an_output_folder_that_cannot_be_created_is_a_usage_error() {
    let mut sb = Sandbox::new();
    std::fs::write(sb.path("file"), b"x").unwrap();
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let out = sb.wan().args(["generate", "x", "-o", "file/sub"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("cannot create output folder file/sub"), "{}", stderr_of(&out));
    api.assert();
}

#[cfg(unix)]
#[test]
fn an_output_folder_that_cannot_be_written_is_refused_before_anything_is_sent() {
    for extra in [&[][..], &["--dry-run"]] {
        let mut sb = Sandbox::new();
        let api = never_called(&mut sb);
        let args: Vec<&str> = ["generate", "x"].into_iter().chain(extra.iter().copied()).collect();
        let Some(out) = wan_with_unwritable_folder(&sb, &args) else { return };
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("output folder locked is not writable"), "{stderr}");
        assert!(stdout_of(&out).is_empty(), "{extra:?}");
        api.assert();
    }
}

fn two_images(sb: &mut Sandbox) {
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
}

#[test]
fn open_hands_the_saved_files_to_the_viewer() {
    let mut sb = Sandbox::new();
    two_images(&mut sb);
    let bin = stand_in_viewer(&sb, 0);
    let out =
        sb.wan().env("PATH", &bin).args(["generate", "red panda", "-n", "2", "-o", "out", "--open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().count(), 2, "{}", stdout_of(&out));
    let mut opened: Vec<String> = fs::read_to_string(sb.path("opened")).unwrap().lines().map(String::from).collect();
    opened.sort();
    assert_eq!(opened, ["out/red-panda-001.png", "out/red-panda-002.png"]);
    // with --json too, since --open was asked for; and never without it
    fs::remove_file(sb.path("opened")).unwrap();
    let out = sb.wan().env("PATH", &bin).args(["generate", "red panda", "-n", "2", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!sb.path("opened").exists());
    let out =
        sb.wan().env("PATH", &bin).args(["generate", "red panda", "-n", "2", "--json", "--open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read_to_string(sb.path("opened")).unwrap().lines().count(), 2);
    assert!(!stdout_of(&out).contains("VIEWER-NOISE"));
}

#[test]
fn a_missing_or_failing_viewer_is_a_warning_not_a_failure() {
    let mut sb = Sandbox::new();
    two_images(&mut sb);
    fs::create_dir(sb.path("empty")).unwrap();
    let out = sb.wan().env("PATH", sb.path("empty")).args(["generate", "x", "-n", "2", "--open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("was not found, so nothing was opened; the files are saved"),
        "{}",
        stderr_of(&out)
    );
    let bin = stand_in_viewer(&sb, 3);
    let out = sb.wan().env("PATH", &bin).args(["generate", "x", "-n", "2", "--open"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("could not open x-00"), "{}", stderr_of(&out));
}

#[test]
fn a_closed_stdout_is_no_failure_and_every_image_is_still_saved() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    let mut child = sb.wan_process().args(["generate", "x", "-n", "2"]).stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(sb.files("."), ["x-001.png", "x-002.png"]);
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
fn urls_printed_on_interrupt_carry_no_escape_sequences() {
    let mut sb = Sandbox::new();
    let stall = RawServer::start(vec![Fault::Stall { body: png(2), sent: 30, for_: Duration::from_secs(60) }]);
    let hostile = format!("{}?x=\u{1b}[2J\u{1b}]0;pwned\u{7}", stall.url("/2.png"));
    sb.chat(&chat_answer(&[hostile]));
    let mut child = sb
        .wan_process()
        .args(["generate", "x", "-o", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out_dir = sb.path("out");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stall.requests() == 0 || !out_dir.exists() {
        assert!(std::time::Instant::now() < deadline, "the download never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let _ = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stderr = stderr_of(&out);
    assert!(stderr.contains(&stall.url("/2.png")), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}'), "{stderr:?}");
}

/// Runs `command` under a pseudo-terminal made by `script`, so stderr is a terminal.
fn in_a_terminal(sb: &Sandbox, env: &[(&str, &str)], command: &str) -> Option<String> {
    let script = std::process::Command::new("script").arg("--version").output().ok()?;
    if !script.status.success() {
        return None;
    }
    let wan = assert_cmd::cargo::cargo_bin!("wan");
    let mut cmd = std::process::Command::new("script");
    cmd.env_clear()
        .current_dir(sb.dir.path())
        .env("AISA_API_KEY", KEY)
        .env("AISA_BASE_URL", sb.api_base())
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .args(["-qec", &format!("{} {command}", wan.display()), "/dev/null"]);
    let out = cmd.output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color_or_a_dumb_terminal() {
    let mut sb = Sandbox::new();
    sb.server.mock("POST", "/v1/chat/completions").with_status(400).with_body("{}").create();
    let Some(coloured) = in_a_terminal(&sb, &[], "generate x") else {
        eprintln!("skipped: no `script` to make a terminal with");
        return;
    };
    assert!(coloured.contains("\u{1b}[1;31merror"), "{coloured:?}");
    for env in [("NO_COLOR", "1"), ("TERM", "dumb")] {
        let plain = in_a_terminal(&sb, &[env], "generate x").unwrap();
        assert!(plain.contains("error:") && !plain.contains("\u{1b}[1;31m"), "{env:?}: {plain:?}");
    }
    let piped = sb.wan().args(["generate", "x"]).output().unwrap();
    assert!(!stderr_of(&piped).contains('\u{1b}'));
}

#[test]
fn a_standard_output_run_killed_leaves_a_folder_the_next_one_removes() {
    let emulator = crate::support::emulator::Emulator::start(&["--download-latency", "3000"]);
    let sb = Sandbox::new();
    fs::create_dir(sb.path("tmp")).unwrap();
    let mut child = sb
        .wan_process()
        .env("TMPDIR", sb.path("tmp"))
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "logo", "-o", "-", "--no-journal"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stages = || fs::read_dir(sb.path("tmp")).unwrap().flatten().filter(|e| e.path().is_dir()).count();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while stages() == 0 {
        assert!(std::time::Instant::now() < deadline, "no stage folder appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
    assert_eq!(stages(), 1, "kill -9 leaves it");
    let quick = crate::support::emulator::Emulator::start(&[]);
    let out = sb
        .wan()
        .env("TMPDIR", sb.path("tmp"))
        .env("AISA_BASE_URL", &quick.base)
        .args(["generate", "logo", "-o", "-", "--no-journal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stages(), 0, "the dead run's folder, and its own, are gone");
}

#[test]
fn names_that_cannot_be_made_in_the_folder_as_it_is_are_refused_before_sending() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    fs::create_dir(sb.path("out")).unwrap();
    // A stem whose numbers have run out.
    fs::write(sb.path("out/maxed-18446744073709551615.png"), b"x").unwrap();
    let out = sb.wan().args(["generate", "x", "--name", "maxed", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("no file number is left for \"maxed\""), "{}", stderr_of(&out));
    // The longest --name a 3-digit number allows, in a folder already at 9999: 5 digits.
    let long = "a".repeat(246);
    fs::write(sb.path(&format!("out/{long}-9999.png")), b"x").unwrap();
    let out = sb.wan().args(["generate", "x", "--name", &long, "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("would take 5 digits"), "{}", stderr_of(&out));
    // A folder whose path leaves room for wan's probe file but not for the image's name
    // under PATH_MAX: 4066 bytes, then `/a-red-panda-photographed-in-the-golden-001.webp`.
    let mut deep = sb.path("out");
    while deep.as_os_str().len() < 4066 {
        let room = 4066 - deep.as_os_str().len() - 1;
        deep.push("d".repeat(room.clamp(1, 200)));
    }
    fs::create_dir_all(&deep).unwrap();
    let prompt = "a red panda photographed in the golden light of dusk";
    let out = sb.wan().args(["generate", prompt]).arg("-o").arg(&deep).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("over the 4096-byte limit of a path"), "{}", stderr_of(&out));
    api.assert();
}

#[test]
fn o_dash_on_a_terminal_is_refused_before_anything_and_errors_there_are_red() {
    let mut sb = Sandbox::new();
    let service = never_called(&mut sb);
    let Some(out) = crate::support::pty::on_terminal(&sb.wan_process(), &["generate", "logo", "-o", "-"]) else {
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("-o - writes the image's bytes to standard output, which is a terminal"), "{shown}");
    assert!(shown.contains("\x1b[1;31merror\x1b[0m"), "red on a terminal: {shown:?}");
    assert!(!shown.contains("\u{89}PNG") && !shown.contains("PNG\r\n"), "no image bytes on the terminal");
    service.assert();
    // a usage error is red too, and never with NO_COLOR
    let usage = crate::support::pty::on_terminal(&sb.wan_process(), &["generate", "x", "--max-cost", "abc"]).unwrap();
    assert!(String::from_utf8_lossy(&usage.stdout).contains("\x1b[1;31merror"), "{:?}", usage.stdout);
    let mut plain = sb.wan_process();
    plain.env("NO_COLOR", "1");
    let usage = crate::support::pty::on_terminal(&plain, &["generate", "x", "--max-cost", "abc"]).unwrap();
    let shown = String::from_utf8_lossy(&usage.stdout);
    assert!(shown.contains("error") && !shown.contains("\x1b["), "{shown:?}");
}

/// `wan generate x -n 2 --preview --offline` (real PNGs, drawn by the emulator inside wan)
/// on a terminal whose environment says `extra_env`; `None` where no terminal can be made.
fn previewed(extra_env: &[(&str, &str)]) -> Option<(String, Sandbox)> {
    let sb = Sandbox::new();
    let mut wan = sb.wan_process();
    wan.env_remove("AISA_BASE_URL").envs(extra_env.iter().copied());
    let out = crate::support::pty::on_terminal(&wan, &["generate", "x", "-n", "2", "--preview", "--offline"])?;
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), sb))
}

#[test]
fn preview_draws_each_image_in_the_terminal_s_own_protocol() {
    let Some((kitty, _sb)) = previewed(&[("TERM", "xterm-kitty")]) else { return };
    assert_eq!(kitty.matches("\x1b_Ga=T,f=100").count(), 2, "one kitty image per file: {kitty:?}");
    let (iterm, _sb) = previewed(&[("TERM_PROGRAM", "iTerm.app")]).unwrap();
    assert_eq!(iterm.matches("\x1b]1337;File=").count(), 2, "{iterm:?}");
    let (sixel, _sb) = previewed(&[("TERM", "foot")]).unwrap();
    assert_eq!(sixel.matches("\x1bPq").count(), 2, "{sixel:?}");
    let (text, _sb) = previewed(&[("TERM", "xterm-256color")]).unwrap();
    assert_eq!(text.matches("wan: preview: x-00").count(), 2, "{text:?}");
    assert!(text.contains("1024×1024 PNG"), "{text:?}");
    assert!(!text.contains("\x1b_G") && !text.contains("\x1b]1337"), "no image where none is shown");
}

#[test]
fn preview_never_reaches_a_pipe_or_standard_output() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let out = sb.wan().env("TERM", "xterm-kitty").args(["generate", "x", "--preview"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "x-001.png\n", "stdout has the paths alone");
    assert!(!stderr_of(&out).contains("\x1b_G") && !stderr_of(&out).contains("preview"), "{}", stderr_of(&out));
    // the config file's preview = true is the same
    let mut cmd = with_config(&sb, "preview = true\n");
    let out = cmd.env("TERM", "xterm-kitty").args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!stderr_of(&out).contains("\x1b_G"));
}

//! What a run leaves and prints: files (folder, names, never overwriting, `--open`), stdout and stderr.

use std::fs;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

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

/// A stand-in for the system's viewer: it writes its arguments, one a line, to `opened`,
/// and prints on stdout, which must not reach `wan`'s.
fn stand_in_viewer(sb: &Sandbox, exit: u8) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = sb.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let name = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let script = bin.join(name);
    let log = sb.path("opened");
    fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho VIEWER-NOISE\nexit {exit}\n", log.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    bin
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

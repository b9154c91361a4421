//! The config file, the key from `api_key_command`, `wan config`, `wan doctor` and `--open`.

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use mockito::Matcher;
use serde_json::{Value, json};

use crate::support::*;

/// The model a `--dry-run` would send.
fn dry_run_model(cmd: &mut Command) -> String {
    let out = cmd.args(["generate", "red panda", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let body: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    body["model"].as_str().unwrap().to_string()
}

/// The `SOURCE` column of a row of `wan config show`, and its value.
fn shown(out: &std::process::Output, setting: &str) -> (String, String) {
    let text = stdout_of(out);
    let line = text.lines().find(|l| l.starts_with(&format!("{setting} "))).unwrap_or_else(|| panic!("{text}"));
    let mut cells = line[setting.len()..].trim().splitn(2, "  ");
    let value = cells.next().unwrap().trim().to_string();
    (value, cells.next().unwrap_or_default().trim().to_string())
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file_which_wins_over_the_default() {
    let sb = Sandbox::new();
    assert_eq!(dry_run_model(&mut sb.wan()), "wan2.7-image");
    assert_eq!(dry_run_model(&mut with_config(&sb, "model = \"file-model\"\n")), "file-model");
    assert_eq!(dry_run_model(with_config(&sb, "model = \"file-model\"\n").env("WAN_MODEL", "env-model")), "env-model");
    let mut all = with_config(&sb, "model = \"file-model\"\n");
    let out =
        all.env("WAN_MODEL", "env-model").args(["generate", "x", "-m", "flag-model", "--dry-run"]).output().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&stdout_of(&out)).unwrap()["model"], "flag-model");
    let mut pro = with_config(&sb, "model = \"file-model\"\n");
    let out = pro.env("WAN_MODEL", "env-model").args(["generate", "x", "--pro", "--dry-run"]).output().unwrap();
    assert_eq!(serde_json::from_str::<Value>(&stdout_of(&out)).unwrap()["model"], "wan2.7-image-pro");
}

#[test]
fn config_show_says_where_each_setting_came_from() {
    let sb = Sandbox::new();
    let out = with_config(&sb, "# my defaults\njobs = 7\nroute = \"chat\"\nmetadata = false\nmax_cost = 0.5\n")
        .env("WAN_ROUTE", "images")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(shown(&out, "jobs"), ("7".into(), "file, line 2".into()));
    assert_eq!(shown(&out, "route"), ("images".into(), "env WAN_ROUTE".into()));
    assert_eq!(shown(&out, "metadata"), ("false".into(), "file, line 4".into()));
    assert_eq!(shown(&out, "max_cost"), ("0.5".into(), "file, line 5".into()));
    assert_eq!(shown(&out, "retries"), ("2".into(), "default".into()));
    assert_eq!(shown(&out, "base_url"), (sb.api_base(), "env AISA_BASE_URL".into()));
    assert!(stdout_of(&out).starts_with(&format!("config file: {}\n", sb.path("config.toml").display())));
}

#[test]
fn config_show_never_prints_the_key_nor_runs_the_command() {
    let sb = Sandbox::new();
    let out =
        with_config(&sb, "api_key_command = \"touch ran; cat key.txt\"\n").args(["config", "show"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(shown(&out, "api key"), ("set".into(), "env AISA_API_KEY".into()));
    assert!(!stdout_of(&out).contains(KEY) && !stderr_of(&out).contains(KEY));
    let out = with_config(&sb, "api_key_command = \"touch ran; cat key.txt\"\n")
        .env_remove("AISA_API_KEY")
        .args(["config", "show"])
        .output()
        .unwrap();
    assert_eq!(shown(&out, "api key").0, "set by api_key_command (not run here)");
    assert!(!sb.path("ran").exists(), "config show ran api_key_command");
}

#[test]
fn config_path_follows_wan_config_then_xdg_then_home() {
    let sb = Sandbox::new();
    let path = |cmd: &mut Command| stdout_of(&cmd.args(["config", "path"]).output().unwrap());
    assert_eq!(path(sb.wan().env("HOME", "/home/u")), "/home/u/.config/wan/config.toml\n");
    assert_eq!(path(sb.wan().env("HOME", "/home/u").env("XDG_CONFIG_HOME", "/xdg")), "/xdg/wan/config.toml\n");
    assert_eq!(path(sb.wan().env("XDG_CONFIG_HOME", "/xdg").env("WAN_CONFIG", "my.toml")), "my.toml\n");
    sb.wan().args(["config", "path"]).assert().code(2);
}

#[test]
fn the_file_sets_a_real_run_and_flags_still_win() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let home = sb.path("home");
    let config = format!("out = \"~/pictures\"\nbase_url = \"{}\"\n", sb.api_base());
    let out = with_config(&sb, &config)
        .env_remove("AISA_BASE_URL")
        .env("HOME", &home)
        .args(["generate", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), format!("{}\n", home.join("pictures/x-001.png").display()));
    let out = with_config(&sb, &config)
        .env_remove("AISA_BASE_URL")
        .env("HOME", &home)
        .args(["generate", "x", "-o", "here"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), "here/x-001.png\n");
}

#[test]
fn retries_from_the_file_are_used() {
    let mut sb = Sandbox::new();
    let failing = sb.server.mock("POST", "/v1/chat/completions").with_status(503).expect(1).create();
    let out = with_config(&sb, "retries = 0\n").args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", stderr_of(&out));
    failing.assert();
}

#[test]
fn each_config_error_names_the_file_the_line_and_the_key_and_sends_nothing() {
    let mut sb = Sandbox::new();
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let cases = [
        ("model = \"x\"\ncolour = \"red\"\n", "line 2: unknown key \"colour\""),
        ("\njobs = 0\n", "line 2: jobs must be a whole number, 1 or more"),
        ("timeout = \"long\"\n", "line 1: timeout must be a whole number of seconds"),
        ("route = \"sideways\"\n", "line 1: route must be one of auto, chat, images"),
        ("metadata = \"yes\"\n", "line 1: metadata must be true or false"),
        ("max_cost = \"lots\"\n", "line 1: max_cost must be an amount"),
        ("base_url = \"api.aisa.one\"\n", "line 1: base_url must be an http or https URL"),
        ("model = \"a\"\njobs = four\n", "line 2: jobs: not valid TOML"),
        ("model = \"a\"\napi_key = \"sk-aisa-in-the-file\"\n", "line 2: api_key: the config file holds no key"),
    ];
    for (text, needle) in cases {
        let out = with_config(&sb, text).args(["generate", "x"]).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{text:?}: {stderr}");
        let expected = format!("wan: error: config file {}, {needle}", sb.path("config.toml").display());
        assert!(stderr.contains(&expected), "{text:?}: expected {expected:?} in {stderr}");
        assert!(!stderr.contains("sk-aisa-in-the-file"), "{stderr}");
    }
    let out = with_config(&sb, "api_key = \"sk-aisa-in-the-file\"\n").args(["generate", "x"]).output().unwrap();
    assert!(stderr_of(&out).contains("hint: keep the key in a password manager and set api_key_command"));
    api.assert();
}

#[test]
fn a_missing_file_is_fine() {
    let sb = Sandbox::new();
    let out = sb.wan().env("WAN_CONFIG", sb.path("absent.toml")).args(["generate", "x", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

/// A secret only a file holds, so that no command line or config text contains it.
const COMMAND_KEY: &str = "sk-aisa-from-the-command-42";

fn key_command_sandbox(command: &str) -> (Sandbox, Command) {
    let sb = Sandbox::new();
    fs::write(sb.path("key.txt"), format!("{COMMAND_KEY}\n")).unwrap();
    let mut cmd = with_config(&sb, &format!("api_key_command = {:?}\n", command));
    cmd.env_remove("AISA_API_KEY");
    (sb, cmd)
}

#[test]
fn the_key_comes_from_the_command_trimmed_and_is_never_shown() {
    let (mut sb, mut cmd) = key_command_sandbox("cat key.txt");
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("authorization", format!("Bearer {COMMAND_KEY}").as_str())
        // the service echoes the key back, as some do
        .with_status(401)
        .with_body(
            json!({"error": {"code": "invalid_api_key", "message": format!("bad key {COMMAND_KEY}")}}).to_string(),
        )
        .expect(1)
        .create();
    let out = cmd.args(["generate", "x", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    api.assert();
    assert!(!stderr_of(&out).contains(COMMAND_KEY) && !stdout_of(&out).contains(COMMAND_KEY), "{}", stderr_of(&out));
}

#[test]
fn a_failing_command_is_exit_3_naming_it_without_its_output() {
    let (mut sb, mut cmd) = key_command_sandbox("cat key.txt; echo 'vault locked' >&2; exit 1");
    let api = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let out = cmd.args(["generate", "x"]).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("api_key_command `cat key.txt; echo 'vault locked' >&2; exit 1` failed (exit status: 1)"),
        "{stderr}"
    );
    // its own message on stderr is passed on: it says what is wrong
    assert!(stderr.contains("vault locked\n"), "{stderr}");
    assert!(!stderr.contains(COMMAND_KEY) && !stdout_of(&out).contains(COMMAND_KEY), "{stderr}");
    api.assert();
}

#[test]
fn a_command_that_hangs_is_stopped_after_ten_seconds() {
    let (_sb, mut cmd) = key_command_sandbox("sleep 30");
    let started = Instant::now();
    let out = cmd.args(["generate", "x"]).output().unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("api_key_command `sleep 30` did not finish within 10 s"), "{}", stderr_of(&out));
    assert!(took >= Duration::from_secs(9) && took < Duration::from_secs(25), "{took:?}");
}

#[test]
fn the_command_runs_only_when_a_key_is_needed() {
    let (mut sb, _) = key_command_sandbox("touch ran; cat key.txt");
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let run = |args: &[&str]| {
        let mut cmd = sb.wan();
        cmd.env("WAN_CONFIG", sb.path("config.toml")).env_remove("AISA_API_KEY").args(args);
        cmd.output().unwrap()
    };
    for args in [
        &["generate", "x", "--dry-run"][..],
        &["edit", "https://h/a.png", "x", "--dry-run"],
        &["models"],
        &["config", "show"],
        &["config", "path"],
    ] {
        assert_eq!(run(args).status.code(), Some(0), "{args:?}");
        assert!(!sb.path("ran").exists(), "{args:?} ran api_key_command");
    }
    // a key in the environment wins: the command is not run either
    let mut with_key = sb.wan();
    let out = with_key.env("WAN_CONFIG", sb.path("config.toml")).args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(!sb.path("ran").exists(), "api_key_command ran though AISA_API_KEY was set");
    // and a run that sends does run it
    assert_eq!(run(&["generate", "x"]).status.code(), Some(0));
    assert!(sb.path("ran").exists());
}

/// A port nothing listens on: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn doctor(cmd: &mut Command) -> (Option<i32>, Vec<String>) {
    let started = Instant::now();
    let out = cmd.arg("doctor").output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20), "doctor took {:?}", started.elapsed());
    assert!(!stdout_of(&out).contains(KEY) && !stderr_of(&out).contains(KEY), "{}", stdout_of(&out));
    (out.status.code(), stdout_of(&out).lines().map(String::from).collect())
}

/// The line of a check, found by its label.
fn check<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l[l.find(' ').unwrap() + 1..].starts_with(label))
        .unwrap_or_else(|| panic!("{label}: {lines:#?}"))
}

fn doctor_sandbox() -> (Sandbox, Command) {
    let sb = Sandbox::new();
    let mut cmd = with_config(&sb, "jobs = 2\n");
    cmd.env("WAN_STATE_DIR", sb.path("state"));
    (sb, cmd)
}

#[test]
fn doctor_passes_every_check_of_a_good_set_up() {
    let (mut sb, mut cmd) = doctor_sandbox();
    let models = sb
        .server
        .mock("GET", "/v1/models")
        .match_header("authorization", Matcher::Missing)
        .with_body(r#"{"data":[]}"#)
        .create();
    let balance = sb
        .server
        .mock("GET", "/v1/credits/balance")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_body(json!({"currency": "USD", "available_balance_micros_usd": 1_950_000}).to_string())
        .create();
    let (code, lines) = doctor(&mut cmd);
    assert_eq!(code, Some(0), "{lines:#?}");
    assert!(lines.iter().all(|l| l.starts_with("✓ ")), "{lines:#?}");
    for label in [
        "config file:",
        "settings:",
        "API key: set, from AISA_API_KEY",
        "base URL:",
        "service:",
        "key accepted:",
        "journal folder:",
        "output folder:",
    ] {
        check(&lines, label);
    }
    assert!(check(&lines, "key accepted").contains("$1.950"), "{lines:#?}");
    assert!(sb.path("state").is_dir());
    models.assert();
    balance.assert();
}

#[test]
fn doctor_without_a_key_fails_that_check_with_exit_3_and_goes_on() {
    let (mut sb, mut cmd) = doctor_sandbox();
    sb.server.mock("GET", "/v1/models").with_body("{}").create();
    let (code, lines) = doctor(cmd.env_remove("AISA_API_KEY"));
    assert_eq!(code, Some(3), "{lines:#?}");
    assert!(check(&lines, "API key").starts_with("✗ API key: no API key"), "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("  hint: export AISA_API_KEY=")), "{lines:#?}");
    assert!(check(&lines, "key accepted").starts_with("- "), "{lines:#?}");
    assert!(check(&lines, "service").starts_with("✓ "), "{lines:#?}");
    assert!(check(&lines, "output folder").starts_with("✓ "), "{lines:#?}");
}

#[test]
fn doctor_with_nothing_listening_is_exit_6() {
    let (_sb, mut cmd) = doctor_sandbox();
    let (code, lines) = doctor(cmd.env("AISA_BASE_URL", format!("http://127.0.0.1:{}/v1", closed_port())));
    assert_eq!(code, Some(6), "{lines:#?}");
    assert!(check(&lines, "service").starts_with("✗ service: could not connect to 127.0.0.1"), "{lines:#?}");
    assert!(check(&lines, "key accepted").starts_with("- "), "{lines:#?}");
    assert!(check(&lines, "journal folder").starts_with("✓ "), "{lines:#?}");
}

#[test]
fn doctor_with_a_refused_key_is_exit_3() {
    let (mut sb, mut cmd) = doctor_sandbox();
    sb.server.mock("GET", "/v1/models").with_status(401).with_body("{}").create();
    sb.server
        .mock("GET", "/v1/credits/balance")
        .with_status(401)
        .with_body(
            json!({"error": {"code": "invalid_api_key", "message": format!("Incorrect API key {KEY}")}}).to_string(),
        )
        .create();
    let (code, lines) = doctor(&mut cmd);
    assert_eq!(code, Some(3), "{lines:#?}");
    let line = check(&lines, "key accepted");
    assert!(line.starts_with("✗ key accepted: the service refused the key: HTTP 401 invalid_api_key"), "{line}");
}

#[test]
fn doctor_says_a_missing_balance_endpoint_is_no_fault_of_the_key() {
    let (mut sb, mut cmd) = doctor_sandbox();
    sb.server.mock("GET", "/v1/models").with_body("{}").create();
    sb.server.mock("GET", "/v1/credits/balance").with_status(404).with_body("404 page not found").create();
    let (code, lines) = doctor(&mut cmd);
    assert_eq!(code, Some(0), "{lines:#?}");
    assert!(check(&lines, "key accepted").contains("no fault of the key"), "{lines:#?}");
}

#[test]
fn doctor_reports_a_broken_config_as_exit_2_and_checks_the_rest() {
    let (mut sb, _) = doctor_sandbox();
    sb.server.mock("GET", "/v1/models").with_body("{}").create();
    sb.server.mock("GET", "/v1/credits/balance").with_body("{}").create();
    let mut cmd = with_config(&sb, "jobs = 2\ncolour = 1\n");
    let (code, lines) = doctor(cmd.env("WAN_STATE_DIR", sb.path("state")));
    assert_eq!(code, Some(2), "{lines:#?}");
    assert!(check(&lines, "config file").contains("line 2: unknown key \"colour\""), "{lines:#?}");
    assert!(check(&lines, "key accepted").starts_with("✓ "), "{lines:#?}");
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

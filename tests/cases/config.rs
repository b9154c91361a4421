//! `wan config` and the config file: precedence, `config show`, `config path`, errors, `api_key_command`.

use std::fs;
use std::time::{Duration, Instant};

use assert_cmd::Command;
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
fn config_path_follows_wan_config_then_xdg_then_home_and_makes_the_folder() {
    let sb = Sandbox::new();
    let (home, xdg) = (sb.path("home"), sb.path("xdg"));
    let path = |cmd: &mut Command| stdout_of(&cmd.args(["config", "path"]).output().unwrap());
    let in_home = home.join(".config/wan/config.toml");
    assert_eq!(path(sb.wan().env("HOME", &home)), format!("{}\n", in_home.display()));
    // `$EDITOR "$(wan config path)"` on a fresh machine: the folder is there to save into
    assert!(in_home.parent().unwrap().is_dir() && !in_home.exists(), "the folder is made, not the file");
    let in_xdg = xdg.join("wan/config.toml");
    assert_eq!(path(sb.wan().env("HOME", &home).env("XDG_CONFIG_HOME", &xdg)), format!("{}\n", in_xdg.display()));
    assert_eq!(path(sb.wan().env("XDG_CONFIG_HOME", &xdg).env("WAN_CONFIG", "my.toml")), "my.toml\n");
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
        (
            "model = \"a\"\napi_key = \"sk-aisa-in-the-file\"\n",
            "line 2: api_key: the API key must not be kept in the config file",
        ),
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

#[test]
fn a_config_file_anyone_can_write_is_warned_of_as_ssh_does() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let show = |mode: u32| {
        fs::write(sb.path("config.toml"), "jobs = 2\n").unwrap();
        fs::set_permissions(sb.path("config.toml"), fs::Permissions::from_mode(mode)).unwrap();
        let out = sb.wan().env("WAN_CONFIG", sb.path("config.toml")).args(["config", "show"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        stderr_of(&out)
    };
    let warned = show(0o666);
    assert_eq!(warned.matches("is writable by anyone (mode 0666)").count(), 1, "once: {warned}");
    assert!(warned.contains("api_key_command"), "{warned}");
    assert_eq!(show(0o644), "", "a file only its owner writes is taken quietly");
    fs::create_dir(sb.path("open")).unwrap();
    fs::set_permissions(sb.path("open"), fs::Permissions::from_mode(0o777)).unwrap();
    fs::write(sb.path("open/config.toml"), "jobs = 2\n").unwrap();
    let out = sb.wan().env("WAN_CONFIG", sb.path("open/config.toml")).args(["config", "show"]).output().unwrap();
    assert!(stderr_of(&out).contains("folder") && stderr_of(&out).contains("(mode 0777)"), "{}", stderr_of(&out));
}

/// Issue 28: `-m`'s help named the built-in model as the default while the config file set
/// another; --help reads no file, so it says that the file's `model` comes first.
#[test]
fn the_model_s_help_says_the_config_file_comes_before_the_built_in_default() {
    let sb = Sandbox::new();
    let help = stdout_of(&sb.wan().args(["generate", "--help"]).output().unwrap());
    assert!(help.contains("[default: the config file's `model`, else wan2.7-image]"), "{help}");
}

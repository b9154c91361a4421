//! `wan doctor`: each check of the set-up, what a failed one says, and the exit code it gives.

use std::time::{Duration, Instant};

use assert_cmd::Command;
use mockito::Matcher;
use serde_json::json;

use crate::support::*;

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

/// Issue 28: against the emulator (which wants a key on /models too), doctor showed
/// "✓ service: … answered HTTP 401", a tick beside what reads as a failure.
#[test]
fn a_401_to_the_keyless_look_is_said_to_be_expected() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let mut cmd = sb.wan();
    cmd.env("AISA_BASE_URL", &emulator.base).env("WAN_STATE_DIR", sb.path("state"));
    let (code, lines) = doctor(&mut cmd);
    assert_eq!(code, Some(0), "{lines:#?}");
    let service = check(&lines, "service");
    assert!(
        service.starts_with(&format!(
            "✓ service: {}/models is there (GET without the key answered HTTP 401",
            emulator.base
        )),
        "{service}"
    );
    assert!(service.contains("as a service that wants one does; the key is checked next"), "{service}");
}

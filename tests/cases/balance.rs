//! `wan balance`: the account's balance in micro-dollars, and what a 401 or a 404 means.

use serde_json::{Value, json};

use crate::support::*;

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
fn balance_says_what_this_machine_spent_lately_as_the_service_charged_it() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let run = journaled(&sb)
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "x", "-n", "3", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let out = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("balance").output().unwrap();
    assert!(
        stdout_of(&out).contains(
            "this machine, last 24 h: $0.090 (as the service charged; 1 run of it went to a server on this machine, \
             which may have billed nothing)"
        ),
        "{}",
        stdout_of(&out)
    );
    let json = journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(["balance", "--json"]).output().unwrap();
    let line = json_line(&json);
    assert_eq!(line["this_machine_last_24h"]["charged"].as_f64(), Some(0.09), "{line}");
}

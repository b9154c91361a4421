//! Prompt templates: `{a|b}` choices and `{NAME}` variables expanded to every combination
//! in a documented order, lazily (the price judged from the count), listed by a dry run,
//! refused with the column when malformed, and resumed from the prompts they made.

use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::tap::Tap;
use crate::support::*;

const COLOURS: &str = "a {red|blue|golden} {fox|owl} in {snow|rain}";

/// The twelve prompts of `COLOURS`, the leftmost choice varying slowest.
fn colours() -> Vec<String> {
    let mut prompts = Vec::new();
    for colour in ["red", "blue", "golden"] {
        for animal in ["fox", "owl"] {
            for weather in ["snow", "rain"] {
                prompts.push(format!("a {colour} {animal} in {weather}"));
            }
        }
    }
    prompts
}

/// The text of each chat request the tap saw, in the order they were sent.
fn prompts_sent(tap: &Tap) -> Vec<String> {
    tap.requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let parts = body["messages"][0]["content"].as_array().unwrap().clone();
            let text = parts.iter().find(|p| p["type"] == "text").unwrap();
            text["text"].as_str().unwrap().to_string()
        })
        .collect()
}

fn images_in(sb: &Sandbox, rel: &str) -> Vec<String> {
    sb.files(rel).into_iter().filter(|name| name.ends_with(".png")).collect()
}

#[test]
fn a_template_sends_every_combination_in_order_each_under_its_own_name() {
    let emulator = Emulator::start(&[]);
    let tap = Tap::start(&emulator.base);
    let sb = Sandbox::new();
    let out =
        sb.wan().env("AISA_BASE_URL", tap.base()).args(["generate", COLOURS, "-j", "1", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(prompts_sent(&tap), colours());
    let mut expected: Vec<String> = colours().iter().map(|p| format!("{}-001.png", p.replace(' ', "-"))).collect();
    expected.sort();
    assert_eq!(images_in(&sb, "out"), expected);
    assert_eq!(stdout_of(&out).lines().count(), 12);
    assert!(
        summary(&out).contains("saved 12 images to out/ · wan2.7-image · 12 × $0.030 = $0.360"),
        "{}",
        summary(&out)
    );
}

#[test]
fn a_dry_run_lists_every_prompt_a_template_makes_and_what_they_would_cost() {
    let sb = Sandbox::new();
    let out = sb.wan().env_remove("AISA_API_KEY").args(["generate", COLOURS, "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out).lines().collect::<Vec<_>>(), colours());
    let said = summary(&out);
    assert!(said.starts_with("dry run: 12 prompts listed · would send 12 requests to "), "{said}");
    assert!(said.contains("12 × $0.030 = $0.360 · nothing was sent"), "{said}");

    // All of them, past the twenty request bodies a dry run shows of a plain prompt.
    let digit = "{0|1|2|3|4|5|6|7|8|9}";
    let thousand = format!("n{digit}{digit}{digit}");
    let out = sb.wan().args(["generate", &thousand, "-n", "5", "--dry-run"]).output().unwrap();
    let listed: Vec<String> = stdout_of(&out).lines().map(String::from).collect();
    assert_eq!(listed.len(), 1000);
    assert_eq!((listed[0].as_str(), listed[998].as_str()), ("n000", "n998"));
    assert!(summary(&out).contains("1000 prompts listed · would send 2000 requests"), "{}", summary(&out));
    assert!(summary(&out).contains("5000 × $0.030 = $150.000"), "{}", summary(&out));
}

#[test]
fn a_template_of_a_million_prompts_over_max_cost_is_refused_at_once_and_nothing_is_sent() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    let digit = "{0|1|2|3|4|5|6|7|8|9}";
    // A million, and a million million: what is judged is the count, never the prompts.
    for (digits, cost) in [(6, "$30000.000 (1000000 × $0.030)"), (12, "(1000000000000 × $0.030)")] {
        let template = format!("n{}", digit.repeat(digits));
        let started = Instant::now();
        let out = sb
            .wan()
            .env("AISA_BASE_URL", &emulator.base)
            .args(["generate", &template, "--max-cost", "1", "-o", "out"])
            .output()
            .unwrap();
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
        let said = stderr_of(&out);
        assert!(said.contains(cost) && said.contains("more than --max-cost $1.000"), "{said}");
        assert!(took < Duration::from_secs(10), "{digits} digits took {took:?}");
    }
    assert!(emulator.requests_to("/v1", 0).is_empty(), "the emulator counted a request");
    assert!(!sb.path("out").exists());
}

#[test]
fn each_line_of_a_batch_may_be_a_template_numbered_through_the_batch() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("prompts.txt"), "# pets\nplain dog\n  {black|white} cat\n").unwrap();
    let dry = sb.wan().args(["generate", "-f", "prompts.txt", "--dry-run"]).output().unwrap();
    assert_eq!(stdout_of(&dry), "plain dog\nblack cat\nwhite cat\n");
    // The shard's share is counted among the prompts the templates make.
    let second = sb.wan().args(["generate", "-f", "prompts.txt", "--shard", "2/2", "--dry-run"]).output().unwrap();
    assert_eq!(stdout_of(&second), "black cat\n");
    assert!(summary(&second).contains("shard 2/2: 1 of the 3 prompts"), "{}", summary(&second));

    let out = sb
        .wan()
        .env("AISA_BASE_URL", &emulator.base)
        .args(["generate", "-f", "prompts.txt", "-o", "out", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let mut prompts: Vec<String> = json_lines(&out).iter().map(|l| l["prompt"].as_str().unwrap().to_string()).collect();
    prompts.sort();
    assert_eq!(prompts, ["black cat", "plain dog", "white cat"]);
    assert_eq!(images_in(&sb, "out"), ["black-cat-001.png", "plain-dog-001.png", "white-cat-001.png"]);
}

#[test]
fn variables_take_the_lines_of_their_files() {
    let mut sb = Sandbox::new();
    std::fs::write(sb.path("cities.txt"), "# where\nParis\n\nKyoto\n").unwrap();
    let out = sb
        .wan()
        .args(["generate", "{dawn|dusk} in {city}, {{city}}", "--var", "city=cities.txt", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(
        stdout_of(&out),
        "dawn in Paris, {city}\ndawn in Kyoto, {city}\ndusk in Paris, {city}\ndusk in Kyoto, {city}\n"
    );
    std::fs::write(sb.path("empty.txt"), "# nothing\n").unwrap();
    let refused: [(&[&str], &str); 5] = [
        (
            &["generate", "dawn", "--var", "city=cities.txt"],
            "--var city=cities.txt is not used: no prompt names {city}",
        ),
        (&["generate", "{city}", "--var", "city=missing.txt"], "--var city=missing.txt: cannot read missing.txt"),
        (&["generate", "{city}", "--var", "city=empty.txt"], "empty.txt holds no values"),
        (&["generate", "{town}", "--var", "city=cities.txt"], "the template's {town} at column 1 names no variable"),
        (&["generate", "x", "--var", "city=cities.txt", "--no-template"], "cannot be used with '--no-template'"),
    ];
    for (args, needle) in refused {
        assert_usage_error(&mut sb, args, needle);
    }
}

#[test]
fn bad_templates_are_usage_errors_naming_the_column_and_nothing_is_sent() {
    let mut sb = Sandbox::new();
    for (template, needle) in [
        ("a red {fox|owl in snow", "the template's brace at column 7 is never closed: \"a red {fox|owl in snow\""),
        ("a red fox} in snow", "the template's } at column 10 closes no brace"),
        ("a {red||blue} fox", "the template's braces at column 3 hold an empty alternative: {red||blue}"),
        ("a {} fox", "the template's braces at column 3 are empty"),
        ("a {red fox}", "hold neither a choice of two or more ({a|b}) nor a variable's name"),
        ("a {red|{blue}} fox", "the template's brace at column 8 is inside the braces opened at column 3"),
    ] {
        assert_usage_error(&mut sb, &["generate", template], needle);
        let out = sb.wan().args(["generate", template]).output().unwrap();
        let said = stderr_of(&out);
        assert!(said.contains("{{ and }} are literal braces; --no-template sends the prompt as written"), "{said}");
    }
    std::fs::write(sb.path("p.txt"), "fine\n\n  a {b|c\n").unwrap();
    assert_usage_error(
        &mut sb,
        &["generate", "-f", "p.txt"],
        "line 3 of p.txt: the template's brace at column 5 is never closed",
    );
    std::fs::write(sb.path("ref.png"), png(1)).unwrap();
    assert_usage_error(&mut sb, &["edit", "ref.png", "make it {red|}"], "hold an empty alternative: {red|}");
}

#[test]
fn braces_meant_as_text_are_sent_as_written() {
    let sb = Sandbox::new();
    let body = |args: &[&str]| {
        let out = sb.wan().args(args).arg("--dry-run").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr_of(&out));
        let body: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
        body["messages"][0]["content"][0]["text"].as_str().unwrap().to_string()
    };
    assert_eq!(body(&["generate", "a sign saying {\"a\": 1|2}", "--no-template"]), "a sign saying {\"a\": 1|2}");
    assert_eq!(body(&["generate", "a sign saying {{\"a\": 1}}"]), "a sign saying {\"a\": 1}");
    assert_eq!(body(&["generate", "a | b"]), "a | b");
}

#[test]
fn edit_prompts_expand_with_the_same_references() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("ref.png"), png(1)).unwrap();
    let out = sb.wan().args(["edit", "ref.png", "make it {red|blue}", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "make it red\nmake it blue\n");
    assert!(summary(&out).contains("2 prompts listed · would send 2 requests"), "{}", summary(&out));
}

fn kill_9(child: &mut Child) {
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_template_run_killed_mid_way_resumes_only_the_prompts_it_never_sent() {
    let mut sb = Sandbox::new();
    for tag in [1, 3, 4] {
        sb.image(&format!("/{tag}.png"), &png(tag));
    }
    let answer = |path: &str| Fault::Serve(chat_answer(&[sb.url(path)]).to_string().into_bytes());
    // "a fox" is answered, "a owl" held unanswered when the run is killed; "a cat" and
    // "a dog" never sent.
    let api = RawServer::start(vec![answer("/1.png"), Fault::Silence(Duration::from_secs(60))]);
    let mut child = spawn_journaled(&sb, &api.url("/v1"), &["generate", "a {fox|owl|cat|dog}", "-j", "1", "-o", "out"]);
    wait_for("the second prompt to be sent", || api.requests() == 2);
    wait_for("the first prompt's image", || sb.path("out").exists() && images_in(&sb, "out").len() == 1);
    kill_9(&mut child);

    let rest = RawServer::start(vec![answer("/3.png"), answer("/4.png")]);
    let resumed = journaled(&sb).env("AISA_BASE_URL", rest.url("/v1")).args(["resume", "-j", "1"]).output().unwrap();
    assert_eq!(rest.requests(), 2, "only the two prompts never sent: {}", stderr_of(&resumed));
    // The journal kept the prompts the template made: each is sent, and named, as made.
    assert_eq!(images_in(&sb, "out"), ["a-cat-001.png", "a-dog-001.png", "a-fox-001.png"]);
    assert_eq!(read(&sb.path("out/a-dog-001.png")), png(4));
    let said = stderr_of(&resumed);
    assert!(said.contains("request 1 of prompt 2") && said.contains("may have been billed"), "{said}");
    assert_eq!(resumed.status.code(), Some(7), "the second prompt's outcome is unknown: {said}");
}

#[test]
fn regen_sends_the_prompt_a_template_made_as_it_was() {
    let emulator = Emulator::start(&[]);
    let tap = Tap::start(&emulator.base);
    let sb = Sandbox::new();
    let wan = |args: &[&str]| journaled(&sb).env("AISA_BASE_URL", tap.base()).args(args).output().unwrap();
    let made = wan(&["generate", "a {{red}} {fox|owl}", "-o", "out", "-j", "1"]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr_of(&made));
    let again = wan(&["regen", "out/a-red-owl-001.png"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert_eq!(prompts_sent(&tap), ["a {red} fox", "a {red} owl", "a {red} owl"]);
}

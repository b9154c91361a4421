//! `-m A,B,C`: each prompt to each model on its own route, as one run; names, cost, `--max-cost`, refusals, resume.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::{Matcher, Mock};
use serde_json::{Value, json};

use crate::support::emulator::Emulator;
use crate::support::*;

const MATRIX: &str = "wan2.7-image,seedream-4-5-251128,gpt-image-2";

/// The images route answering requests whose body holds `part` with `data`, `hits` times.
fn images_when(sb: &mut Sandbox, part: Value, data: Value, hits: usize) -> Mock {
    sb.server
        .mock("POST", "/v1/images/generations")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_body(Matcher::PartialJson(part))
        .with_header("content-type", "application/json")
        .with_body(json!({"created": 1, "data": data}).to_string())
        .expect(hits)
        .create()
}

/// Two prompts, two images each, of Wan (chat), Seedream 4.5 and gpt-image-2 (images).
fn the_three_models_answer(sb: &mut Sandbox) -> Vec<Mock> {
    let wan = chat_answer(&[sb.url("/w1.png"), sb.url("/w2.png")]);
    let gpt = json!([{"b64_json": STANDARD.encode(png(3))}, {"b64_json": STANDARD.encode(png(4))}]);
    let seedream = json!([{"url": sb.url("/s.png")}]);
    sb.image("/w1.png", &png(1)).expect(2);
    sb.image("/w2.png", &png(2)).expect(2);
    sb.image("/s.png", &png(5)).expect(4);
    vec![
        // Wan asks for both images at once, on the chat route of the seeds.
        sb.chat_when(json!({"model": "wan2.7-image", "n": 2}), &wan, 2),
        // Seedream makes one a request, and always gets its size.
        images_when(sb, json!({"model": "seedream-4-5-251128", "n": 1, "size": "2048x2048"}), seedream, 4),
        images_when(sb, json!({"model": "gpt-image-2", "n": 2}), gpt, 2),
    ]
}

#[test]
fn a_matrix_sends_each_prompt_to_each_model_on_its_own_route_as_one_run() {
    let mut sb = Sandbox::new();
    let mocks = the_three_models_answer(&mut sb);
    std::fs::write(sb.path("prompts.txt"), "a fox\na cat\n").unwrap();
    let out =
        journaled(&sb).args(["generate", "-f", "prompts.txt", "-n", "2", "-m", MATRIX, "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    mocks.iter().for_each(Mock::assert);
    let mut expected = Vec::new();
    for prompt in ["a-fox", "a-cat"] {
        for model in ["wan2.7-image", "seedream-4-5-251128", "gpt-image-2"] {
            expected.extend([format!("{prompt}-{model}-001.png"), format!("{prompt}-{model}-002.png")]);
        }
    }
    expected.sort();
    assert_eq!(sb.files("out"), expected);
    assert_eq!(read(&sb.path("out/a-cat-gpt-image-2-002.png")), png(4), "each model's own bytes under its name");
    assert_eq!(read(&sb.path("out/a-fox-seedream-4-5-251128-001.png")), png(5));
    assert_eq!(sorted_lines(&out), expected.iter().map(|name| format!("out/{name}")).collect::<Vec<_>>());
    assert_eq!(
        summary(&out),
        "saved 12 images to out/ · 3 models · $0.480 (wan2.7-image 4 × $0.030 = $0.120 · \
         seedream-4-5-251128 4 × $0.040 = $0.160 · gpt-image-2 4 × $0.050 = $0.200)"
    );

    // One run in the journal, of the three models, each request recorded with its own.
    let history = journaled(&sb).args(["history", "--json"]).output().unwrap();
    let runs = json_lines(&history);
    assert_eq!(runs.len(), 1, "{}", stdout_of(&history));
    let run = &runs[0];
    assert_eq!(run["model"], MATRIX);
    assert_eq!(run["models"], json!(["wan2.7-image", "seedream-4-5-251128", "gpt-image-2"]));
    assert_eq!((run["saved"].as_u64(), run["asked"].as_u64(), run["cost"].as_f64()), (Some(12), Some(12), Some(0.48)));
    assert_eq!(run["state"], "done");
    let table = stdout_of(&journaled(&sb).arg("history").output().unwrap());
    assert!(table.contains("wan2.7-image (+2 more)") && table.contains("12/12"), "{table}");
    let cost = journaled(&sb).args(["cost", "--by", "model", "--json"]).output().unwrap();
    let by: Vec<(String, f64)> = json_line(&cost)["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["model"].as_str().unwrap().to_string(), g["cost"].as_f64().unwrap()))
        .collect();
    let expected = [("gpt-image-2", 0.2), ("seedream-4-5-251128", 0.16), ("wan2.7-image", 0.12)];
    assert_eq!(by, expected.map(|(m, c)| (m.to_string(), c)));
    let info = journaled(&sb).args(["info", "--json", "out/a-fox-gpt-image-2-001.png"]).output().unwrap();
    let info = json_line(&info);
    assert_eq!(info["journal"]["model"], "gpt-image-2", "{info}");
    // The contact sheet groups each prompt's images by the model that made them, at its price.
    let page = stdout_of(&journaled(&sb).args(["gallery", "-o", "-"]).output().unwrap());
    for group in [
        r#"<h3>wan2.7-image<span class="sum">2 images · $0.060</span></h3>"#,
        r#"<h3>seedream-4-5-251128<span class="sum">2 images · $0.080</span></h3>"#,
        r#"<h3>gpt-image-2<span class="sum">2 images · $0.100</span></h3>"#,
    ] {
        assert_eq!(page.matches(group).count(), 2, "{group} once a prompt in\n{page}");
    }
    assert!(page.contains("12 saved of 12 asked"), "every model's images asked\n{page}");
    assert!(!page.contains("never sent"), "no prompt is short of images\n{page}");
}

#[test]
fn each_prompt_and_model_has_its_json_line_with_its_own_cost() {
    let mut sb = Sandbox::new();
    let _mocks = the_three_models_answer(&mut sb);
    std::fs::write(sb.path("prompts.txt"), "a fox\na cat\n").unwrap();
    let out = sb
        .wan()
        .args(["generate", "-f", "prompts.txt", "-n", "2", "--json", "-o", "out"])
        .args(["-m", "wan2.7-image", "-m", "seedream-4-5-251128", "-m", "gpt-image-2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let mut lines: Vec<(String, String, u64, f64)> = json_lines(&out)
        .iter()
        .map(|l| {
            let cost = &l["cost"];
            (
                l["prompt"].as_str().unwrap().into(),
                l["model"].as_str().unwrap().into(),
                cost["count"].as_u64().unwrap(),
                cost["total"].as_f64().unwrap(),
            )
        })
        .collect();
    lines.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let each = |prompt: &str| {
        [("gpt-image-2", 0.1), ("seedream-4-5-251128", 0.08), ("wan2.7-image", 0.06)]
            .map(|(model, total)| (prompt.to_string(), model.to_string(), 2, total))
    };
    assert_eq!(lines, [each("a cat"), each("a fox")].concat());
}

#[test]
fn a_model_that_cannot_serve_what_is_asked_stops_the_matrix_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    std::fs::write(sb.path("ref.png"), png(1)).unwrap();
    // Seedream cannot edit: the Wan and gpt-image edits are not sent either.
    assert_usage_error(
        &mut sb,
        &["edit", "ref.png", "make it blue", "-m", "wan2.7-image,seedream-4-5-251128,gpt-image-2"],
        "seedream-4-5-251128 cannot edit images",
    );
    // A size Seedream refuses, though Wan would take it.
    assert_usage_error(
        &mut sb,
        &["generate", "x", "--size", "1024x1024", "-m", "wan2.7-image,seedream-4-5-251128"],
        "--size 1024x1024 does not suit seedream-4-5-251128",
    );
    // A seed gpt-image takes none of.
    assert_usage_error(
        &mut sb,
        &["generate", "x", "--seed", "7", "-m", "wan2.7-image,gpt-image-2"],
        "gpt-image-2 takes no seed",
    );
    // More references than Wan takes, though gpt-image takes 16.
    let refs: Vec<String> = (0..10).map(|i| format!("r{i}.png")).collect();
    for name in &refs {
        std::fs::write(sb.path(name), png(1)).unwrap();
    }
    let mut args: Vec<&str> = vec!["edit"];
    args.extend(refs.iter().map(String::as_str));
    args.extend(["x", "-m", "gpt-image-2,wan2.7-image"]);
    assert_usage_error(&mut sb, &args, "10 reference images given; wan2.7-image takes at most 9");
    images.assert();
}

#[test]
fn a_model_named_twice_or_an_empty_name_is_refused() {
    let mut sb = Sandbox::new();
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", "wan2.7-image,gpt-image-2,wan2.7-image"],
        "--model names wan2.7-image twice",
    );
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", "wan2.7-image", "-m", "wan2.7-image"],
        "names wan2.7-image twice",
    );
    assert_usage_error(&mut sb, &["generate", "x", "-m", "wan2.7-image,,gpt-image-2"], "names an empty model");
    assert_usage_error(&mut sb, &["generate", "x", "--pro", "-m", "gpt-image-2"], "--pro and --model");
}

#[test]
fn max_cost_covers_the_whole_matrix_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    // two prompts × (2 Wan images at $0.030 + 2 requests of Seedream 5.0 at $0.035 + 2 gpt-image at $0.050) = $0.460
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let args = ["generate", "-f", "p.txt", "-n", "2", "-m", "wan2.7-image,seedream-5-0-260128,gpt-image-2"];
    let over = [args.as_slice(), &["--max-cost", "0.45"]].concat();
    assert_usage_error(
        &mut sb,
        &over,
        "this run would cost $0.460 (wan2.7-image 4 × $0.030 + seedream-5-0-260128 4 requests × $0.035 + \
         gpt-image-2 4 × $0.050), more than --max-cost $0.450",
    );
    // Each model's price must be known for the limit to be kept.
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", "wan2.7-image,gpt-image-2.5-flare", "--max-cost", "5"],
        "the price of gpt-image-2.5-flare is not fixed",
    );
    images.assert();
    let within = sb.wan().args(args).args(["--max-cost", "0.46", "--dry-run"]).output().unwrap();
    assert_eq!(within.status.code(), Some(0), "{}", stderr_of(&within));
}

#[test]
fn the_dry_run_lists_each_prompt_and_model_with_its_price_and_sends_nothing() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    std::fs::write(sb.path("p.txt"), "a fox\na cat\n").unwrap();
    let out = sb
        .wan()
        .env_remove("AISA_API_KEY")
        .args(["generate", "-f", "p.txt", "-n", "3", "-m", "gpt-image-2,seedream-5-0-260128", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    for line in [
        r#"prompt 1 ("a fox") · gpt-image-2 · 3 images in 1 request · 3 × $0.050 = $0.150"#,
        r#"prompt 1 ("a fox") · seedream-5-0-260128 · 3 images in 3 requests · 3 requests × $0.035 = $0.105"#,
        r#"prompt 2 ("a cat") · gpt-image-2 · 3 images in 1 request · 3 × $0.050 = $0.150"#,
        r#"prompt 2 ("a cat") · seedream-5-0-260128 · 3 images in 3 requests · 3 requests × $0.035 = $0.105"#,
        "dry run: would send 8 requests to 2 models · $0.510 (gpt-image-2 6 × $0.050 = $0.300 · \
         seedream-5-0-260128 6 requests × $0.035 = $0.210) · nothing was sent",
    ] {
        assert!(stderr.contains(line), "{line}\nin\n{stderr}");
    }
    // The bodies, each with its model's own fields: Seedream's size, gpt-image's count.
    let bodies: Vec<Value> =
        serde_json::Deserializer::from_str(&stdout_of(&out)).into_iter::<Value>().map(Result::unwrap).collect();
    assert_eq!(bodies.len(), 8);
    assert_eq!(
        (bodies[0]["model"].as_str(), bodies[0]["n"].as_u64(), bodies[0].get("size")),
        (Some("gpt-image-2"), Some(3), None)
    );
    assert_eq!((bodies[1]["model"].as_str(), bodies[1]["n"].as_u64()), (Some("seedream-5-0-260128"), Some(1)));
    assert_eq!(bodies[1]["size"], "2048x2048");
    assert_eq!(bodies[4]["prompt"], "a cat");
    api.assert();
    images.assert();
}

#[test]
fn one_model_named_in_a_list_is_a_run_as_before() {
    let mut sb = Sandbox::new();
    let answer = chat_answer(&[sb.url("/1.png")]);
    sb.image("/1.png", &png(1));
    let chat = sb.chat_when(json!({"model": "wan2.7-image", "n": 1}), &answer, 1);
    let out = sb.wan().args(["generate", "red panda", "-m", "wan2.7-image"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    chat.assert();
    assert_eq!(stdout_of(&out), "red-panda-001.png\n", "no model in the name of a run of one model");
    assert_eq!(summary(&out), "saved 1 image to ./ · wan2.7-image · 1 × $0.030 = $0.030");
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_matrix_killed_mid_way_is_resumed_each_request_to_its_own_model() {
    let emulator = Emulator::start(&["--latency", "1000"]);
    let sb = Sandbox::new();
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let args = ["generate", "-f", "p.txt", "-m", "wan2.7-image,gpt-image-2", "-j", "1", "-o", "out"];
    let mut child = spawn_journaled(&sb, &emulator.base, &args);
    // Prompt one of Wan answered; prompt one of gpt-image in flight when the run is killed;
    // prompt two never sent to either.
    let state = |prompt: i64, chunk: i64| -> Option<(String, String)> {
        let path = sb.path("state/wan.db");
        let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
        db.query_row("SELECT state, model FROM requests WHERE prompt = ?1 AND chunk = ?2", [prompt, chunk], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .ok()
    };
    wait_for("prompt one of gpt-image-2 to be sent", || state(0, 1).is_some());
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    child.wait().unwrap();
    assert_eq!(state(0, 0), Some(("answered".into(), "wan2.7-image".into())));
    assert_eq!(state(0, 1), Some(("sent".into(), "gpt-image-2".into())));

    let dry = journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(["resume", "--dry-run"]).output().unwrap();
    let plan = stdout_of(&dry);
    assert!(
        plan.contains(
            "would send 2 requests · 2 models · $0.080 (wan2.7-image 1 × $0.030 = $0.030 · gpt-image-2 1 × $0.050 = $0.050)"
        ),
        "{plan}"
    );
    let resumed = journaled(&sb).env("AISA_BASE_URL", &emulator.base).arg("resume").output().unwrap();
    let stderr = stderr_of(&resumed);
    assert_eq!(resumed.status.code(), Some(7), "gpt-image's request of prompt one may have been billed: {stderr}");
    assert!(stderr.contains("request 2 of prompt 1") && stderr.contains("may have been billed"), "{stderr}");
    // Prompt one's and prompt two's of Wan on the chat route; gpt-image-2's on the images route
    // (which serves Wan nothing here), its answer recorded below.
    assert_eq!(emulator.requests_to("/v1/chat", 2).len(), 2, "prompt two of Wan, sent once");
    assert!(!emulator.requests_to("/v1/images/generations", 1).is_empty(), "gpt-image-2 on the images route");
    let mut files = sb.files("out");
    files.retain(|name| name.ends_with(".png"));
    let has = |name: &str| files.iter().any(|f| f == name);
    assert!(
        has("one-wan2.7-image-001.png") && has("two-wan2.7-image-001.png") && has("two-gpt-image-2-001.png"),
        "{files:?}"
    );
    assert_eq!(state(1, 0), Some(("answered".into(), "wan2.7-image".into())));
    assert_eq!(state(1, 1), Some(("answered".into(), "gpt-image-2".into())));
    let history = json_lines(&journaled(&sb).args(["history", "--json"]).output().unwrap());
    assert_eq!(history.len(), 1, "the resume finished the one run");
}

#[test]
fn a_model_the_service_does_not_know_stops_its_own_requests_not_the_other_models() {
    let mut sb = Sandbox::new();
    sb.image("/1.png", &png(1)).expect(2);
    let wan = chat_answer(&[sb.url("/1.png")]);
    let chat = sb.chat_when(json!({"model": "wan2.7-image"}), &wan, 2);
    let unknown = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_status(404)
        .with_body(json!({"error": {"code": "model_not_found", "message": "no such model"}}).to_string())
        .expect(1)
        .create();
    std::fs::write(sb.path("p.txt"), "one\ntwo\n").unwrap();
    let out = sb.wan().args(["generate", "-f", "p.txt", "-m", "wan2.7-image,gpt-image-9", "-j", "1"]).output().unwrap();
    let stderr = stderr_of(&out);
    chat.assert();
    unknown.assert();
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    assert!(
        stderr.contains(r#"prompt 1 ("one") on gpt-image-9: the API does not serve the model gpt-image-9"#),
        "{stderr}"
    );
    assert!(stderr.contains("1 request not sent after it"), "{stderr}");
    assert_eq!(sorted_lines(&out), ["one-wan2.7-image-001.png", "two-wan2.7-image-001.png"]);
}

#[test]
fn each_prompt_a_template_makes_goes_to_each_model() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb
        .wan()
        .env_remove("AISA_API_KEY")
        .args(["generate", "a {fox|owl}", "-m", "wan2.7-image,gpt-image-2", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(stdout_of(&out), "a fox\na owl\n");
    assert_eq!(
        summary(&out),
        "dry run: 2 prompts listed · would send 4 requests to 2 models · $0.160 (wan2.7-image 2 × $0.030 = $0.060 · \
         gpt-image-2 2 × $0.050 = $0.100) · nothing was sent"
    );
    // A million prompts of two models over the limit: refused from the count, at once.
    let million = "{0|1|2|3|4|5|6|7|8|9}".repeat(6);
    assert_usage_error(
        &mut sb,
        &["generate", &million, "-m", "wan2.7-image,gpt-image-2", "--max-cost", "100"],
        "this run would cost $80000.000 (wan2.7-image 1000000 × $0.030 + gpt-image-2 1000000 × $0.050)",
    );
    api.assert();
}

#[test]
fn an_aspect_is_asked_of_each_model_of_a_matrix_its_own_way() {
    let mut sb = Sandbox::new();
    let api = never_called(&mut sb);
    let out = sb
        .wan()
        .env_remove("AISA_API_KEY")
        .args(["generate", "a fox", "--aspect", "16:9", "--dry-run"])
        .args(["-m", "wan2.7-image,seedream-4-5-251128,gemini-3-pro-image-preview"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let bodies: Vec<Value> =
        serde_json::Deserializer::from_str(&stdout_of(&out)).into_iter::<Value>().map(Result::unwrap).collect();
    assert_eq!(bodies[0]["size"], "1280x720", "Wan's own size for 16:9");
    assert_eq!(bodies[1]["size"], "2816x1584", "Seedream's, at least its minimum");
    assert_eq!(bodies[2]["generationConfig"]["imageConfig"]["aspectRatio"], "16:9", "Gemini's imageConfig");
    api.assert();
}

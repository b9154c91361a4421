//! Which route a request takes: by model or `--route`, chat falling back to images (remembered), Gemini's `/v1beta`.

use std::fs;

use mockito::{Matcher, Mock};
use serde_json::{Value, json};

use crate::support::*;

/// The later service: chat answers `model_route_not_supported`.
fn chat_moved(sb: &mut Sandbox, hits: usize) -> Mock {
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(
            json!({"error": {"type": "invalid_request_error", "code": "model_route_not_supported",
                "message": "wan2.7-image is served on POST /v1/images/generations and /v1/images/edits", "request_id": "req_moved"}})
            .to_string(),
        )
        .expect(hits)
        .create()
}

fn images_answer(urls: &[String]) -> String {
    let data: Vec<_> = urls.iter().map(|u| json!({"url": u, "size": "1024x1024"})).collect();
    json!({"model": "wan2.7-image", "created": 1, "data": data, "usage": {"generated_images": urls.len()}}).to_string()
}

#[test]
fn auto_falls_back_to_the_images_route_once_and_saves_alike() {
    let mut sb = Sandbox::new();
    let chat = chat_moved(&mut sb, 1);
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_body(Matcher::Json(json!({"model": "wan2.7-image", "prompt": "red panda", "n": 2, "size": "1024x1024"})))
        .with_header("x-request-id", "req_img")
        .with_body(images_answer(&[sb.url("/1.png"), sb.url("/2.png")]))
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));

    let out = sb.wan().args(["generate", "red panda", "-n", "2", "--size", "1024x1024", "--json"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    chat.assert();
    images.assert();
    let line: serde_json::Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(line["images"].as_array().unwrap().len(), 2);
    assert_eq!(line["cost"]["count"], 2, "the rejected request costs nothing");
    assert_eq!(line["request_ids"], json!(["req_img"]));
    assert_eq!(line["usage"], json!({"generated_images": 2}));
    assert_eq!(read(&sb.path("red-panda-001.png")), png(1));
    let stderr = stderr_of(&out);
    let switches = stderr.lines().filter(|l| l.contains("now, not /chat/completions")).count();
    assert_eq!(switches, 1, "{stderr}");
    assert!(!stderr.contains("retrying"), "not counted as a retry: {stderr}");
    assert!(stderr.ends_with("saved 2 images to ./ · wan2.7-image · 2 × $0.030 = $0.060\n"), "{stderr}");
}

#[test]
fn a_404_that_names_the_images_route_also_falls_back_and_base64_works_there() {
    use base64::Engine;
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(404)
        .with_body(r#"{"error":{"code":"unknown_endpoint","message":"use /v1/images/generations for this model"}}"#)
        .expect(1)
        .create();
    let b64 = base64::engine::general_purpose::STANDARD.encode(png(4));
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_body(json!({"data": [{"b64_json": b64}]}).to_string())
        .expect(1)
        .create();
    sb.wan().args(["generate", "x"]).assert().code(0).stdout("x-001.png\n");
    images.assert();
    assert_eq!(read(&sb.path("x-001.png")), png(4));
}

#[test]
fn other_errors_do_not_switch_routes() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(400)
        .with_body(r#"{"error":{"code":"invalid_parameter_error","message":"Input should be a valid list"}}"#)
        .create();
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    sb.wan().args(["generate", "x"]).assert().code(4);
    images.assert();
}

#[test]
fn once_moved_the_rest_of_the_run_goes_straight_to_the_images_route() {
    let mut sb = Sandbox::new();
    let chat = chat_moved(&mut sb, 1);
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_body(images_answer(&[sb.url("/1.png")]))
        .expect(3)
        .create();
    sb.image("/1.png", &png(1));
    // -n 9: requests of 4, 4 and 1, one at a time, so the order is certain
    let out = sb.wan().args(["generate", "x", "-n", "9", "-j", "1"]).output().unwrap();
    chat.assert();
    images.assert();
    // the service returned 1 image per request here
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stdout_of(&out).lines().count(), 3);
}

#[test]
fn route_chat_never_falls_back() {
    let mut sb = Sandbox::new();
    chat_moved(&mut sb, 1);
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    let out = sb.wan().args(["generate", "x", "--route", "chat"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    images.assert();
    let stderr = stderr_of(&out);
    assert!(stderr.contains("HTTP 400 model_route_not_supported"), "{stderr}");
    assert!(stderr.contains("hint: use --route auto (the default) or --route images"), "{stderr}");
}

#[test]
fn route_images_never_touches_the_chat_route_and_can_come_from_the_environment() {
    for how in ["flag", "env"] {
        let mut sb = Sandbox::new();
        let chat = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
        let images = sb
            .server
            .mock("POST", "/v1/images/generations")
            .match_body(Matcher::PartialJson(json!({"prompt": "x", "n": 1})))
            .with_body(images_answer(&[sb.url("/1.png")]))
            .expect(1)
            .create();
        sb.image("/1.png", &png(1));
        let mut cmd = sb.wan();
        cmd.args(["generate", "x"]);
        if how == "flag" {
            cmd.args(["--route", "images"]);
        } else {
            cmd.env("WAN_ROUTE", "images");
        }
        cmd.assert().code(0);
        chat.assert();
        images.assert();
    }
    let sb = Sandbox::new();
    sb.wan().env("WAN_ROUTE", "sideways").args(["generate", "x"]).assert().code(2);
}

#[test]
fn edit_on_the_images_route_uploads_each_reference_as_a_form_part() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("local.png"), png(5)).unwrap();
    let remote = png_sized(512, 512, 6);
    let fetched = sb
        .server
        .mock("GET", "/refs/remote.png")
        .match_header("authorization", Matcher::Missing)
        .with_body(&remote)
        .expect(1)
        .create();
    chat_moved(&mut sb, 1);
    let (local, remote_bytes) = (png(5), remote.clone());
    let edits = sb
        .server
        .mock("POST", "/v1/images/edits")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_header("content-type", Matcher::Regex("^multipart/form-data; boundary=".into()))
        .match_request(move |req| {
            let body = req.body().unwrap();
            let text = String::from_utf8_lossy(body);
            let field = |name: &str, value: &str| text.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n"));
            let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
            field("model", "wan2.7-image-pro")
                && field("prompt", "make it Van Gogh")
                && field("n", "1")
                && text.matches("name=\"image[]\"").count() == 2
                && text.find("reference-1.png").unwrap() < text.find("reference-2.png").unwrap()
                && contains(&local)
                && contains(&remote_bytes)
        })
        .with_body(images_answer(&[sb.url("/out.png")]))
        .expect(1)
        .create();
    sb.image("/out.png", &png(9));
    let refs_url = sb.url("/refs/remote.png");

    let out = sb.wan().args(["edit", "local.png", &refs_url, "make it Van Gogh", "--pro"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    fetched.assert();
    edits.assert();
    assert_eq!(read(&sb.path("make-it-van-gogh-001.png")), png(9));
}

#[test]
fn dry_run_shows_the_route_it_would_use() {
    let sb = Sandbox::new();
    fs::write(sb.path("a.png"), png(1)).unwrap();
    let out = sb.wan().args(["generate", "x", "--route", "images", "--dry-run"]).output().unwrap();
    let body: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(body, json!({"model": "wan2.7-image", "prompt": "x", "n": 1}));
    assert!(stderr_of(&out).contains("/v1/images/generations"));
    let out = sb.wan().args(["edit", "a.png", "x", "--route", "images", "--dry-run"]).output().unwrap();
    let body: serde_json::Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(body["image[]"][0], format!("a.png (image/png, {} bytes)", png(1).len()));
    assert!(stderr_of(&out).contains("/v1/images/edits"));
}

/// The URL `--dry-run -v` says the first request would go to, and how many there are.
fn dry_run(sb: &Sandbox, args: &[&str]) -> (String, Vec<Value>) {
    let out = sb.wan().args(["generate", "x", "--dry-run"]).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    let url = stderr.split(" to ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().to_string();
    let stdout = stdout_of(&out);
    let bodies = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>().map(Result::unwrap).collect();
    (url, bodies)
}

#[test]
fn auto_takes_the_route_the_name_suggests_and_the_split_the_catalogue_gives() {
    let sb = Sandbox::new();
    let base = sb.api_base();
    let (url, bodies) = dry_run(&sb, &["-m", "gpt-image-2", "-n", "23"]);
    assert_eq!(url, format!("{base}/images/generations"));
    assert_eq!(bodies.iter().map(|b| b["n"].as_u64().unwrap()).collect::<Vec<_>>(), [10, 10, 3]);
    let (_, bodies) = dry_run(&sb, &["-m", SEEDREAM, "-n", "3"]);
    assert_eq!(bodies.iter().map(|b| b["n"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 1, 1]);
    let (url, bodies) = dry_run(&sb, &["-m", GEMINI, "-n", "2"]);
    assert_eq!(url, format!("{base}/models/gemini-3-pro-image-preview:generateContent"));
    assert_eq!(bodies.len(), 2);
    for (model, path) in [
        ("gemini-9-ultra-image", "/models/gemini-9-ultra-image:generateContent"),
        ("seedream-6-0-270101", "/images/generations"),
        ("gpt-image-3", "/images/generations"),
        ("my-model", "/chat/completions"),
    ] {
        let (url, bodies) = dry_run(&sb, &["-m", model]);
        assert_eq!(url, format!("{base}{path}"), "{model}");
        if model.starts_with("seedream") {
            assert_eq!(bodies[0]["size"], "2048x2048", "the family's size for an unknown Seedream");
        }
    }
    let (url, _) = dry_run(&sb, &["--route", "gemini"]);
    assert_eq!(url, format!("{base}/models/wan2.7-image:generateContent"), "--route gemini for any model");
    let out = sb.wan().args(["generate", "x", "--dry-run", "-m", "my-model"]).output().unwrap();
    assert!(summary(&out).contains("1 × unknown price (cost unknown)"), "{}", summary(&out));
}

#[test]
fn the_route_auto_learned_is_remembered_for_the_next_runs() {
    let mut sb = Sandbox::new();
    let state = sb.path("state");
    let chat = chat_moved(&mut sb, 1);
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_body(images_answer(&[sb.url("/1.png")]))
        .expect(2)
        .create();
    sb.image("/1.png", &png(1));
    let run = || sb.wan().env("WAN_STATE_DIR", &state).args(["generate", "x"]).output().unwrap();
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert!(stderr_of(&first).contains("now, not /chat/completions"));
    let second = run();
    assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
    assert!(!stderr_of(&second).contains("now, not /chat/completions"), "{}", stderr_of(&second));
    chat.assert();
    images.assert();
    let remembered: serde_json::Value = serde_json::from_slice(&read(&state.join("routes.json"))).unwrap();
    let entry = &remembered[format!("{} wan2.7-image", sb.api_base())];
    assert_eq!(entry["route"], "images", "{remembered}");
}

#[test]
fn a_remembered_route_is_checked_again_after_seven_days_or_when_it_refuses() {
    let mut sb = Sandbox::new();
    let state = sb.path("state");
    fs::create_dir_all(&state).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let key = format!("{} wan2.7-image", sb.api_base());
    let remember = |learned: u64| {
        let entry = json!({key.clone(): {"route": "images", "learned": learned}});
        fs::write(state.join("routes.json"), entry.to_string()).unwrap();
    };
    let chat = sb.chat(&chat_answer(&[sb.url("/1.png")])).expect(2);
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .with_status(404)
        .with_body(r#"{"error":{"type":"openai_error","message":"Not Found"}}"#)
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    // eight days old: chat is tried first again
    remember(now - 8 * 24 * 3600);
    let stale = sb.wan().env("WAN_STATE_DIR", &state).args(["generate", "x"]).output().unwrap();
    assert_eq!(stale.status.code(), Some(0), "{}", stderr_of(&stale));
    // fresh, but the images route refuses: back to chat, and the memory is dropped
    remember(now);
    let refused = sb.wan().env("WAN_STATE_DIR", &state).args(["generate", "x"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(0), "{}", stderr_of(&refused));
    assert!(stderr_of(&refused).contains("the images route refused wan2.7-image; trying"), "{}", stderr_of(&refused));
    chat.assert();
    images.assert();
    let left: serde_json::Value = serde_json::from_slice(&read(&state.join("routes.json"))).unwrap();
    assert_eq!(left, json!({}));
}

#[test]
fn a_missing_gemini_path_moves_once_to_v1beta_for_the_rest_of_the_run() {
    let mut sb = Sandbox::new();
    let missing = sb
        .server
        .mock("POST", GEMINI_PATH)
        .with_status(404)
        .with_header("content-type", "text/plain")
        .with_body("404 page not found")
        .expect(1)
        .create();
    let beta =
        sb.server.mock("POST", GEMINI_BETA_PATH).with_body(gemini_answer(json!([gemini_image(8)]))).expect(3).create();

    let out = sb.wan().args(["generate", "x", "-m", GEMINI, "-n", "3", "-j", "1"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    missing.assert();
    beta.assert();
    let stderr = stderr_of(&out);
    let notices = stderr.lines().filter(|l| l.contains("does not exist here")).count();
    assert_eq!(notices, 1, "{stderr}");
    assert!(stderr.contains(&sb.url(GEMINI_BETA_PATH)), "{stderr}");
    assert_eq!(sb.files(".").len(), 3);
}

/// Issue 28: the Gemini route's move to `/v1beta` was learnt again on every run (a
/// refused request and a notice each time); it is remembered as the Wan route switch is.
#[test]
fn the_gemini_route_s_move_to_v1beta_is_remembered_for_the_next_runs() {
    let emulator = crate::support::emulator::Emulator::start(&["--gemini-v1beta-only"]);
    let sb = Sandbox::new();
    let state = sb.path("state");
    let run = || {
        crate::support::emulator::with_emulator(&sb, &emulator)
            .env("WAN_STATE_DIR", &state)
            .args(["generate", "a skyline", "-m", GEMINI])
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert!(stderr_of(&first).contains("does not exist here"), "{}", stderr_of(&first));
    let second = run();
    assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
    assert!(!stderr_of(&second).contains("does not exist here"), "no notice: {}", stderr_of(&second));
    assert_eq!(emulator.requests_to(GEMINI_PATH, 1).len(), 1, "the first path once, by the first run only");
    assert_eq!(emulator.requests_to(GEMINI_BETA_PATH, 2).len(), 2);
    let remembered: serde_json::Value = serde_json::from_slice(&read(&state.join("routes.json"))).unwrap();
    let entry = &remembered[format!("{} {GEMINI}", emulator.base)];
    assert_eq!(entry["route"], "gemini-v1beta", "{remembered}");
}

#[test]
fn a_remembered_v1beta_that_is_not_there_is_forgotten_and_the_first_path_tried_again() {
    let mut sb = Sandbox::new();
    let state = sb.path("state");
    fs::create_dir_all(&state).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let entry = json!({format!("{} {GEMINI}", sb.api_base()): {"route": "gemini-v1beta", "learned": now}});
    fs::write(state.join("routes.json"), entry.to_string()).unwrap();
    let beta =
        sb.server.mock("POST", GEMINI_BETA_PATH).with_status(404).with_body("404 page not found").expect(1).create();
    let first =
        sb.server.mock("POST", GEMINI_PATH).with_body(gemini_answer(json!([gemini_image(8)]))).expect(1).create();
    let out = sb.wan().env("WAN_STATE_DIR", &state).args(["generate", "x", "-m", GEMINI]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("trying"), "{}", stderr_of(&out));
    beta.assert();
    first.assert();
    let left: serde_json::Value = serde_json::from_slice(&read(&state.join("routes.json"))).unwrap();
    assert_eq!(left, json!({}));
}

#[test]
fn a_404_about_the_model_is_no_reason_to_move() {
    let mut sb = Sandbox::new();
    let message = "models/gemini-3-pro-image-preview is not found for API version v1, or is not supported";
    sb.server
        .mock("POST", GEMINI_PATH)
        .with_status(404)
        .with_body(json!({"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}).to_string())
        .expect(1)
        .create();
    let beta = sb.server.mock("POST", GEMINI_BETA_PATH).expect(0).create();
    let out = sb.wan().args(["generate", "x", "-m", GEMINI]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    beta.assert();
}

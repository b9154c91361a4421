//! `--aspect W:H`: each model asked for the shape its own way (a `size`, or Gemini's
//! `imageConfig.aspectRatio`), as the server receives it; a shape a model cannot make is
//! refused before anything is sent.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::{Matcher, Mock};
use serde_json::{Value, json};

use crate::support::emulator::{Emulator, with_emulator};
use crate::support::*;

/// The images route answering base64 to a JSON body that holds `part`, once.
fn images_when(sb: &mut Sandbox, part: Value) -> Mock {
    sb.server
        .mock("POST", "/v1/images/generations")
        .match_body(Matcher::PartialJson(part))
        .with_body(json!({"data": [{"b64_json": STANDARD.encode(png(1))}]}).to_string())
        .expect(1)
        .create()
}

#[test]
fn wan_is_sent_the_size_of_that_shape_nearest_1024x1024() {
    let mut sb = Sandbox::new();
    sb.image("/a.png", &png(1));
    let answer = chat_answer(&[sb.url("/a.png")]);
    let chat = sb.chat_when(json!({"model": "wan2.7-image", "size": "1280x720"}), &answer, 1);
    let out = sb.wan().args(["generate", "a wide harbour", "--aspect", "16:9"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    chat.assert();
    assert_eq!(stdout_of(&out), "a-wide-harbour-001.png\n");
}

#[test]
fn seedream_is_sent_a_size_of_that_shape_above_its_minimum() {
    let mut sb = Sandbox::new();
    let images = images_when(&mut sb, json!({"model": SEEDREAM, "size": "2816x1584"}));
    let out = sb.wan().args(["generate", "a wide harbour", "-m", SEEDREAM, "--aspect", "16:9"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    images.assert();
}

#[test]
fn gpt_image_is_sent_openai_s_listed_size_and_told_the_price_is_for_another() {
    let mut sb = Sandbox::new();
    let images = images_when(&mut sb, json!({"model": "gpt-image-2", "size": "1536x1024"}));
    let out = sb.wan().args(["generate", "a sign", "-m", "gpt-image-2", "--aspect", "3:2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    images.assert();
    assert!(
        stderr_of(&out).contains(
            "note: gpt-image-2's list price is for 1024×1024; at 1536x1024 the service may charge more than the estimate"
        ),
        "the price note follows the size the aspect chose: {}",
        stderr_of(&out)
    );
    // 1:1 is the priced size: no note.
    let mut sb = Sandbox::new();
    let square = images_when(&mut sb, json!({"size": "1024x1024"}));
    let out = sb.wan().args(["generate", "a sign", "-m", "gpt-image-2", "--aspect", "1:1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    square.assert();
    assert!(!stderr_of(&out).contains("note:"), "{}", stderr_of(&out));
}

#[test]
fn gemini_is_sent_image_config_s_aspect_ratio_beside_the_params_own_fields() {
    let mut sb = Sandbox::new();
    let gemini = sb
        .server
        .mock("POST", GEMINI_PATH)
        .match_body(Matcher::PartialJson(
            json!({"generationConfig": {"imageConfig": {"aspectRatio": "21:9", "imageSize": "2K"}}}),
        ))
        .with_body(gemini_answer(json!([gemini_image(1)])))
        .expect(1)
        .create();
    let out = sb
        .wan()
        .args(["generate", "a skyline", "-m", GEMINI, "--aspect", "7:3"])
        .args(["--param", r#"imageConfig={"imageSize":"2K"}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    gemini.assert();
}

#[test]
fn the_dry_run_shows_the_size_chosen() {
    let sb = Sandbox::new();
    let out = sb.wan().args(["generate", "x", "--aspect", "9:16", "--dry-run"]).env_remove("AISA_API_KEY").output();
    let out = out.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains(r#""size": "720x1280""#), "{}", stdout_of(&out));
}

#[test]
fn a_shape_a_model_cannot_make_is_refused_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    let images = sb.server.mock("POST", "/v1/images/generations").expect(0).create();
    let gemini = sb.server.mock("POST", GEMINI_PATH).expect(0).create();
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", "gpt-image-2", "--aspect", "4:1"],
        "--aspect 4:1 does not suit gpt-image-2: its sides are multiples of 16, at most 3840, within 3:1",
    );
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", GEMINI, "--aspect", "2:1"],
        "it takes an aspect ratio of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9",
    );
    assert_usage_error(
        &mut sb,
        &["generate", "x", "-m", SEEDREAM, "--aspect", "5:1"],
        "it needs at least 3,686,400 pixels with no side over 4096",
    );
    assert_usage_error(&mut sb, &["generate", "x", "--aspect", "9:1"], "it makes shapes from 1:8 to 8:1");
    images.assert();
    gemini.assert();
}

#[test]
fn aspect_and_size_together_or_a_bad_aspect_is_a_usage_error() {
    let mut sb = Sandbox::new();
    assert_usage_error(
        &mut sb,
        &["generate", "x", "--aspect", "16:9", "--size", "1024x1024"],
        "the argument '--aspect <W:H>' cannot be used with '--size <WxH>'",
    );
    assert_usage_error(
        &mut sb,
        &["generate", "x", "--aspect", "16:9", "--param", "size=1024x1024"],
        "--aspect and --param size=… both set the size; give one",
    );
    assert_usage_error(
        &mut sb,
        &["generate", "x", "--aspect", "16x9"],
        "must be WIDTH:HEIGHT, each 1 to 1000, e.g. 16:9",
    );
}

#[test]
fn the_emulator_draws_the_shape_and_regen_asks_for_it_again() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    let run = |args: &[&str]| with_emulator(&sb, &emulator).env("WAN_STATE_DIR", sb.path("state")).args(args).output();
    let out = run(&["generate", "a door", "-m", "gpt-image-2", "--aspect", "9:16", "-o", "out"]).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let side = |bytes: &[u8], at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    let first = read(&sb.path("out/a-door-001.png"));
    assert_eq!((side(&first, 16), side(&first, 20)), (720, 1280));
    let again = run(&["regen", "out/a-door-001.png"]).unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    let logged = emulator.requests_to("/v1/images/generations", 2);
    assert_eq!(logged.len(), 2);
    assert!(logged.iter().all(|line| line.contains("720x1280")), "{logged:?}");
}

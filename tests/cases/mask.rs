//! `wan edit … --mask FILE`: the mask as the `mask` part of gpt-image's edit form, byte for
//! byte, checked before anything is sent; kept on record so that `wan regen` and `wan resume`
//! send it again (and refuse it changed).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::Matcher;

use crate::support::emulator::Emulator;
use crate::support::raw::{Fault, RawServer};
use crate::support::tap::Tap;
use crate::support::*;

/// A real PNG of `width`×`height`, with an alpha channel or without.
fn real_png(width: u32, height: u32, alpha: bool, tag: u8) -> Vec<u8> {
    let channels = if alpha { 4 } else { 3 };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(if alpha { png::ColorType::Rgba } else { png::ColorType::Rgb });
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height * channels).map(|i| (i % 251) as u8 ^ tag).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    bytes
}

/// A sandbox with `room.png` (300×300) and `mask.png` (300×300, with alpha).
fn with_files() -> Sandbox {
    let sb = Sandbox::new();
    std::fs::write(sb.path("room.png"), real_png(300, 300, false, 1)).unwrap();
    std::fs::write(sb.path("mask.png"), real_png(300, 300, true, 2)).unwrap();
    sb
}

/// Where `part` starts in `body`, if it does.
fn find(body: &[u8], part: &[u8]) -> Option<usize> {
    body.windows(part.len()).position(|w| w == part)
}

#[test]
fn the_mask_is_the_mask_part_of_gpt_image_s_edit_form_after_the_images() {
    let mut sb = with_files();
    let mask = read_raw(&sb.path("mask.png"));
    let edits = sb
        .server
        .mock("POST", "/v1/images/edits")
        .match_header("content-type", Matcher::Regex("^multipart/form-data; boundary=".into()))
        .match_request(move |req| {
            let body = req.body().unwrap();
            let head = b"name=\"mask\"; filename=\"mask.png\"\r\nContent-Type: image/png\r\n\r\n";
            let (Some(image), Some(at)) = (find(body, b"name=\"image[]\""), find(body, head)) else { return false };
            image < at && body[at + head.len()..].starts_with(&mask)
        })
        .with_body(serde_json::json!({"data": [{"b64_json": STANDARD.encode(png(7))}]}).to_string())
        .expect(1)
        .create();
    let out = sb.wan().args(["edit", "room.png", "a window here", "-m", "gpt-image-2", "--mask", "mask.png"]).output();
    let out = out.unwrap();
    edits.assert();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read(&sb.path("a-window-here-001.png")), png(7));
}

#[test]
fn the_dry_run_names_the_mask_part() {
    let sb = with_files();
    let out = sb
        .wan()
        .env_remove("AISA_API_KEY")
        .args(["edit", "room.png", "a window here", "-m", "gpt-image-2", "--mask", "mask.png", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let size = read_raw(&sb.path("mask.png")).len();
    assert!(
        stdout_of(&out).contains(&format!(r#""mask": "mask.png (image/png, {size} bytes)""#)),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn a_mask_the_model_cannot_take_or_that_does_not_fit_is_refused_before_sending() {
    let mut sb = with_files();
    std::fs::write(sb.path("opaque.png"), real_png(300, 300, false, 3)).unwrap();
    std::fs::write(sb.path("small.png"), real_png(256, 300, true, 4)).unwrap();
    std::fs::write(sb.path("mask.jpg"), jpeg(1)).unwrap();
    let edits = sb.server.mock("POST", "/v1/images/edits").expect(0).create();
    let edit = |mask: &str, more: &[&str]| {
        [&["edit", "room.png", "a window", "--mask", mask], more]
            .concat()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let refused = |sb: &mut Sandbox, args: Vec<String>, needle: &str| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_usage_error(sb, &args, needle);
    };
    let wan = "wan2.7-image takes no mask";
    refused(&mut sb, edit("mask.png", &[]), wan);
    let out = sb.wan().args(edit("mask.png", &[])).output().unwrap();
    assert!(stderr_of(&out).contains("--mask is for gpt-image-2, gpt-image-2.5-flare, gpt-image-2.5-sunburst"));
    let gpt = ["-m", "gpt-image-2"];
    refused(&mut sb, edit("opaque.png", &gpt), "mask opaque.png: has no alpha channel");
    refused(
        &mut sb,
        edit("small.png", &gpt),
        "mask small.png: is 256×300 px, and the first image room.png is 300×300 px",
    );
    refused(&mut sb, edit("mask.jpg", &gpt), "mask mask.jpg: is not a PNG");
    refused(&mut sb, edit("gone.png", &gpt), "mask gone.png: no such file");
    refused(&mut sb, edit("mask.png", &["-m", "gpt-image-2", "--route", "chat"]), "--route chat has none");
    edits.assert();
}

#[test]
fn a_mask_that_does_not_fit_a_reference_given_by_url_is_refused_before_the_edit_is_sent() {
    let mut sb = with_files();
    sb.image("/room.png", &real_png(320, 300, false, 1));
    let edits = sb.server.mock("POST", "/v1/images/edits").expect(0).create();
    let url = sb.url("/room.png");
    let out = sb.wan().args(["edit", &url, "a window", "-m", "gpt-image-2", "--mask", "mask.png"]).output().unwrap();
    edits.assert();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("mask mask.png: is 300×300 px, and the first image"), "{}", stderr_of(&out));
}

#[test]
fn the_emulator_takes_the_mask_and_regen_sends_it_again_until_it_changes() {
    let emulator = Emulator::start(&[]);
    let tap = Tap::start(&emulator.base);
    let sb = with_files();
    let wan = |args: &[&str]| journaled(&sb).env("AISA_BASE_URL", tap.base()).args(args).output().unwrap();
    let out = wan(&["edit", "room.png", "a window", "-m", "gpt-image-2", "--mask", "mask.png", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(emulator.requests_to("/v1/images/edits", 1)[0].contains(" 200 "));
    assert!(emulator.requests_to("/v1/images/edits", 1)[0].contains("mask 300x300"));

    let info = wan(&["info", "out/a-window-001.png", "--json"]);
    let info: serde_json::Value = serde_json::from_str(stdout_of(&info).trim()).unwrap();
    let recorded = std::fs::canonicalize(sb.path("mask.png")).unwrap().display().to_string();
    assert_eq!(info["journal"]["mask"]["source"], recorded.as_str(), "{info}");
    assert_eq!(info["provenance"]["mask"]["source"], recorded.as_str(), "{info}");

    let again = wan(&["regen", "out/a-window-001.png"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    let mask = read_raw(&sb.path("mask.png"));
    let edits: Vec<Vec<u8>> =
        tap.requests().into_iter().filter(|r| r.path == "/v1/images/edits").map(|r| r.body).collect();
    assert_eq!(edits.len(), 2);
    assert!(edits.iter().all(|body| find(body, &mask).is_some()), "the same mask, byte for byte, both times");

    std::fs::write(sb.path("mask.png"), real_png(300, 300, true, 9)).unwrap();
    let changed = wan(&["regen", "out/a-window-001.png"]);
    assert_eq!(changed.status.code(), Some(2));
    assert!(stderr_of(&changed).contains("mask.png of out/a-window-001.png has changed"), "{}", stderr_of(&changed));
    assert_eq!(tap.requests().iter().filter(|r| r.path == "/v1/images/edits").count(), 2, "nothing more sent");
}

#[test]
fn resume_sends_a_failed_edit_again_with_its_mask() {
    let sb = with_files();
    let failing = RawServer::start(vec![Fault::Status(503)]);
    let first = journaled(&sb)
        .env("AISA_BASE_URL", failing.url("/v1"))
        .args(["edit", "room.png", "a window", "-m", "gpt-image-2", "--mask", "mask.png", "--retries", "0"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(6), "{}", stderr_of(&first));
    let emulator = Emulator::start(&[]);
    let tap = Tap::start(&emulator.base);
    let resumed = journaled(&sb).env("AISA_BASE_URL", tap.base()).arg("resume").output().unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
    let mask = read_raw(&sb.path("mask.png"));
    let edits: Vec<Vec<u8>> =
        tap.requests().into_iter().filter(|r| r.path == "/v1/images/edits").map(|r| r.body).collect();
    assert_eq!(edits.len(), 1);
    assert!(find(&edits[0], &mask).is_some(), "the mask went with it");
    assert!(emulator.requests_to("/v1/images/edits", 1)[0].contains("mask 300x300"));
}

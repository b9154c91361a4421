//! `wan models` and each family of the catalogue it lists: request, answers, price, limits, and against the emulator.

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::{Matcher, Mock};
use serde_json::{Value, json};

use crate::support::emulator::{Emulator, balance, with_emulator};
use crate::support::*;

/// Mocks that fail the test if any request at all reaches the server.
fn nothing_sent(sb: &mut Sandbox) -> [Mock; 2] {
    ["POST", "GET"].map(|method| sb.server.mock(method, Matcher::Any).expect(0).create())
}

/// An images-route answer of base64 images, as gpt-image gives.
fn b64_answer(tags: &[u8]) -> String {
    let data: Vec<Value> = tags.iter().map(|&t| json!({"b64_json": STANDARD.encode(png(t))})).collect();
    json!({"created": 1, "data": data, "usage": {"input_tokens": 10, "output_tokens": 1056, "total_tokens": 1066}})
        .to_string()
}

#[test]
fn models_lists_names_prices_and_purposes() {
    let sb = Sandbox::new();
    let table = sb.wan().arg("models").output().unwrap();
    let text = stdout_of(&table);
    assert!(text.lines().any(|l| l.starts_with("wan2.7-image ") && l.contains("$0.030")), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("wan2.7-image-pro") && l.contains("--pro") && l.contains("$0.075")),
        "{text}"
    );
    let lines = json_lines(&sb.wan().args(["models", "--json"]).output().unwrap());
    assert_eq!(lines.len(), 8, "the whole catalogue");
    assert_eq!(lines[1]["model"], "wan2.7-image-pro");
    assert_eq!(lines[1]["price_per_image"], 0.075);
    assert_eq!(lines[1]["price_unit"], "image");
    assert_eq!(lines[0]["currency"], "USD");
    assert!(lines[0]["purpose"].as_str().unwrap().contains("general-purpose"));
}

#[test]
fn seedream_goes_to_the_images_route_with_its_size_one_image_per_request() {
    let mut sb = Sandbox::new();
    let chat = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();
    let body = json!({"model": SEEDREAM, "prompt": "harbour", "n": 1, "size": "2048x2048"});
    let url = sb.url("/s.png");
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_body(Matcher::Json(body))
        .with_body(
            json!({"model": SEEDREAM, "created": 1, "data": [{"url": url, "size": "2048x2048"}],
            "usage": {"generated_images": 1, "output_tokens": 16384, "total_tokens": 16384}})
            .to_string(),
        )
        .expect(2)
        .create();
    sb.image("/s.png", &png(3));

    let out = sb.wan().args(["generate", "harbour", "-m", SEEDREAM, "-n", "2", "--json"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    images.assert();
    chat.assert();
    assert_eq!(sb.files("."), ["harbour-001.png", "harbour-002.png"]);
    assert_eq!(summary(&out), "saved 2 images to ./ · seedream-5-0-260128 · 2 requests × $0.035 = $0.070");
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(
        line["cost"],
        json!({"per_image": null, "per_request": 0.035, "unit": "request", "count": 2, "requests": 2,
               "total": 0.07, "currency": "USD"})
    );
}

#[test]
fn seedream_4_5_is_priced_per_image_and_takes_the_size_given() {
    let mut sb = Sandbox::new();
    let model = "seedream-4-5-251128";
    let url = sb.url("/s.png");
    let images = sb
        .server
        .mock("POST", "/v1/images/generations")
        .match_body(Matcher::Json(json!({"model": model, "prompt": "harbour", "n": 1, "size": "2560x1440"})))
        .with_body(json!({"data": [{"url": url}]}).to_string())
        .expect(1)
        .create();
    sb.image("/s.png", &png(3));

    let out = sb.wan().args(["generate", "harbour", "-m", model, "--size", "2560x1440"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    images.assert();
    assert_eq!(summary(&out), "saved 1 image to ./ · seedream-4-5-251128 · 1 × $0.040 = $0.040");
}

#[test]
fn gpt_image_asks_for_up_to_ten_per_request_and_saves_b64_json() {
    let mut sb = Sandbox::new();
    let ten = sb
        .server
        .mock("POST", "/v1/images/generations")
        .match_body(Matcher::Json(json!({"model": "gpt-image-2", "prompt": "sign", "n": 10, "size": "1536x1024"})))
        .with_body(b64_answer(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        .expect(1)
        .create();
    let two = sb
        .server
        .mock("POST", "/v1/images/generations")
        .match_body(Matcher::Json(json!({"model": "gpt-image-2", "prompt": "sign", "n": 2, "size": "1536x1024"})))
        .with_body(b64_answer(&[11, 12]))
        .expect(1)
        .create();

    let out = sb
        .wan()
        .args(["generate", "sign", "-m", "gpt-image-2", "-n", "12", "--size", "1536x1024", "--json"])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    ten.assert();
    two.assert();
    assert_eq!(sb.files(".").len(), 12);
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(line["images"].as_array().unwrap().iter().all(|i| i["source"] == "base64"));
    assert_eq!(line["usage"]["output_tokens"], 2112, "usage summed over both requests");
    assert_eq!(summary(&out), "saved 12 images to ./ · gpt-image-2 · 12 × $0.050 = $0.600");
}

#[test]
fn gpt_image_edits_go_to_the_edits_route_with_every_reference() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("a.png"), png(1)).unwrap();
    fs::write(sb.path("b.png"), png(2)).unwrap();
    let edits = sb
        .server
        .mock("POST", "/v1/images/edits")
        .match_header("content-type", Matcher::Regex("^multipart/form-data; boundary=".into()))
        .match_request(|req| {
            let body = req.body().unwrap();
            let text = String::from_utf8_lossy(body);
            let field = |name: &str, value: &str| text.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n"));
            field("model", "gpt-image-2")
                && field("prompt", "combine them")
                && field("n", "1")
                && text.matches("name=\"image[]\"").count() == 2
                && text.find("reference-1.png").unwrap() < text.find("reference-2.png").unwrap()
        })
        .with_body(b64_answer(&[9]))
        .expect(1)
        .create();
    let chat = sb.server.mock("POST", "/v1/chat/completions").expect(0).create();

    let out = sb.wan().args(["edit", "a.png", "b.png", "combine them", "-m", "gpt-image-2"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    edits.assert();
    chat.assert();
    assert_eq!(read(&sb.path("combine-them-001.png")), png(9));
}

#[test]
fn a_model_billed_by_tokens_says_so_and_max_cost_refuses_it() {
    let mut sb = Sandbox::new();
    let images = sb.server.mock("POST", "/v1/images/generations").with_body(b64_answer(&[1])).expect(1).create();
    let out = sb.wan().args(["generate", "x", "-m", "gpt-image-2.5-flare"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    images.assert();
    assert_eq!(summary(&out), "saved 1 image to ./ · gpt-image-2.5-flare · cost unknown (billed by tokens)");

    let mut sb = Sandbox::new();
    let _nothing = nothing_sent(&mut sb);
    let out = sb.wan().args(["generate", "x", "-m", "gpt-image-2.5-sunburst", "--max-cost", "5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("the price of gpt-image-2.5-sunburst is not fixed (it is billed by tokens)"));
}

#[test]
fn max_cost_counts_requests_for_a_model_priced_per_request() {
    let mut sb = Sandbox::new();
    let nothing = nothing_sent(&mut sb);
    let out = sb.wan().args(["generate", "x", "-m", SEEDREAM, "-n", "3", "--max-cost", "0.10"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("this run would cost $0.105 (3 requests × $0.035), more than --max-cost $0.100"),
        "{}",
        stderr_of(&out)
    );
    nothing.iter().for_each(Mock::assert);
}

#[test]
fn gemini_sends_google_s_request_and_saves_inline_data() {
    let mut sb = Sandbox::new();
    let body = json!({
        "contents": [{"role": "user", "parts": [{"text": "red panda"}]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"],
            "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}
    });
    let gemini = sb
        .server
        .mock("POST", GEMINI_PATH)
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_body(Matcher::Json(body))
        .with_body(gemini_answer(json!([{"text": "Here it is."}, gemini_image(4)])))
        .expect(2)
        .create();

    let out = sb
        .wan()
        .args(["generate", "red panda", "-m", GEMINI, "-n", "2", "--json"])
        .args(["--param", r#"imageConfig={"aspectRatio":"16:9","imageSize":"2K"}"#])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    gemini.assert();
    assert_eq!(read(&sb.path("red-panda-001.png")), png(4));
    assert_eq!(sb.files(".").len(), 2, "one image per request, two requests");
    assert_eq!(summary(&out), "saved 2 images to ./ · gemini-3-pro-image-preview · 2 × $0.100 = $0.200");
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert_eq!(line["usage"]["totalTokenCount"], 2596);
}

#[test]
fn gemini_reads_snake_case_parts_and_data_uris_in_text() {
    for (name, part) in [
        ("snake", json!({"inline_data": {"mime_type": "image/png", "data": STANDARD.encode(png(6))}})),
        ("uri", json!({"text": format!("![picture](data:image/png;base64,{})", STANDARD.encode(png(6)))})),
    ] {
        let mut sb = Sandbox::new();
        sb.server.mock("POST", GEMINI_PATH).with_body(gemini_answer(json!([part]))).expect(1).create();
        let out = sb.wan().args(["generate", "red panda", "-m", GEMINI]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr_of(&out));
        assert_eq!(read(&sb.path("red-panda-001.png")), png(6), "{name}");
    }
}

#[test]
fn a_gemini_answer_with_text_and_no_image_is_shown_and_exit_4() {
    let mut sb = Sandbox::new();
    let refusal = "I can't create images of that person. I can draw a fictional panda instead.";
    sb.server.mock("POST", GEMINI_PATH).with_body(gemini_answer(json!([{"text": refusal}]))).expect(1).create();

    let out = sb.wan().args(["generate", "a real person", "-m", GEMINI]).output().unwrap();

    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("gemini-3-pro-image-preview answered with text and no image"), "{stderr}");
    assert!(stderr.contains(refusal), "the model's own words: {stderr}");
    assert!(sb.files(".").is_empty());
}

#[test]
fn google_s_error_shape_maps_to_the_same_exit_codes() {
    for (status, name, exit) in
        [(400, "INVALID_ARGUMENT", 4), (403, "PERMISSION_DENIED", 3), (429, "RESOURCE_EXHAUSTED", 5)]
    {
        let mut sb = Sandbox::new();
        let message = format!("the {name} message");
        sb.server
            .mock("POST", GEMINI_PATH)
            .with_status(status)
            .with_body(json!({"error": {"code": status, "message": message, "status": name}}).to_string())
            .expect(1)
            .create();
        let out = sb.wan().args(["generate", "x", "-m", GEMINI, "--retries", "0"]).output().unwrap();
        assert_eq!(out.status.code(), Some(exit), "{name}: {}", stderr_of(&out));
        let stderr = stderr_of(&out);
        assert!(stderr.contains(&format!("HTTP {status} {name}: {message}")), "{stderr}");
    }
}

#[test]
fn gemini_edits_send_references_as_inline_data_first_in_order() {
    let mut sb = Sandbox::new();
    let (a, b) = (png(1), jpeg_sized(400, 300));
    fs::write(sb.path("a.png"), &a).unwrap();
    fs::write(sb.path("b.jpg"), &b).unwrap();
    let parts = json!([
        {"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(&a)}},
        {"inlineData": {"mimeType": "image/jpeg", "data": STANDARD.encode(&b)}},
        {"text": "put them together"}
    ]);
    let gemini = sb
        .server
        .mock("POST", GEMINI_PATH)
        .match_body(Matcher::PartialJson(json!({"contents": [{"role": "user", "parts": parts}]})))
        .with_body(gemini_answer(json!([gemini_image(7)])))
        .expect(1)
        .create();

    let out = sb.wan().args(["edit", "a.png", "b.jpg", "put them together", "-m", GEMINI]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    gemini.assert();
    assert_eq!(read(&sb.path("put-them-together-001.png")), png(7));
}

#[test]
fn impossible_requests_are_refused_before_anything_is_sent() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("ref.png"), png(1)).unwrap();
    let nothing = nothing_sent(&mut sb);
    let refs = |n: usize| -> Vec<String> { (0..n).map(|_| "ref.png".to_string()).collect() };
    let generate = |extra: &[&str]| [&["generate", "x"][..], extra].concat().iter().map(|s| s.to_string()).collect();
    let edit = |n: usize, model: &str| {
        let mut args = vec!["edit".to_string()];
        args.extend(refs(n));
        args.extend(["x", "-m", model].map(String::from));
        args
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (generate(&["-m", SEEDREAM, "--size", "1024x1024"]), "width × height must be at least 3,686,400 pixels"),
        (generate(&["-m", SEEDREAM, "--param", "size=1919x1920"]), "at least 3,686,400 pixels"),
        (generate(&["-m", "gpt-image-2", "--size", "1000x1000"]), "both sides must be multiples of 16"),
        (generate(&["-m", "gpt-image-2", "--size", "4096x2048"]), "the longer side must be at most 3840"),
        (generate(&["-m", "gpt-image-2", "--size", "3840x1024"]), "the ratio must be at most 3:1"),
        (generate(&["-m", "wan2.7-image", "--size", "auto"]), "--size auto is for gpt-image models"),
        (
            generate(&["-m", GEMINI, "--size", "1024x1024"]),
            r#"--param imageConfig='{"aspectRatio":"16:9","imageSize":"2K"}'"#,
        ),
        (generate(&["--route", "gemini", "--size", "1024x1024"]), "--size does not apply on the gemini route"),
        (edit(1, SEEDREAM), "seedream-5-0-260128 cannot edit images"),
        (edit(1, "seedream-4-5-251128"), "cannot edit images"),
        (edit(17, "gpt-image-2"), "17 reference images given; gpt-image-2 takes at most 16"),
        (edit(15, GEMINI), "15 reference images given; gemini-3-pro-image-preview takes at most 14"),
        (edit(10, "wan2.7-image"), "10 reference images given; wan2.7-image takes at most 9"),
    ];
    for (args, expected) in cases {
        let out = sb.wan().args(&args).output().unwrap();
        let stderr = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(stdout_of(&out).is_empty(), "{args:?}");
    }
    nothing.iter().for_each(Mock::assert);
    // and what the limits allow is not refused
    for ok in [generate(&["-m", "gpt-image-2", "--size", "auto"]), edit(16, "gpt-image-2")] {
        let ok: Vec<String> = ok.into_iter().chain(["--dry-run".to_string()]).collect();
        assert_eq!(sb.wan().args(&ok).output().unwrap().status.code(), Some(0), "{ok:?}");
    }
}

// ---- end to end against `wan emulator` ----

/// A PNG's width and height, from its IHDR.
fn dimensions(png: &[u8]) -> (u32, u32) {
    let side = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (side(16), side(20))
}

/// A PNG's pixels as RGB, and its width.
fn pixels(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buffer.truncate(info.buffer_size());
    (buffer, info.width as usize)
}

/// A 300×300 PNG, red on the left half and blue on the right.
fn red_and_blue() -> Vec<u8> {
    let mut rgb = Vec::new();
    for _ in 0..300 {
        for x in 0..300 {
            rgb.extend_from_slice(if x < 150 { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 300, 300);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&rgb).unwrap();
    writer.finish().unwrap();
    out
}

/// The picture plainly comes from [`red_and_blue`]: reddish on the left, bluish on the
/// right, away from the frame and marks the prompt adds.
fn comes_from_red_and_blue(png: &[u8]) -> bool {
    let (rgb, width) = pixels(png);
    let height = rgb.len() / 3 / width;
    let at = |x: usize, y: usize| &rgb[(y * width + x) * 3..(y * width + x) * 3 + 3];
    let rows = height / 4..height * 3 / 4;
    let red = rows.clone().filter(|&y| at(width / 8, y)[0] as u32 > at(width / 8, y)[2] as u32 + 60).count();
    let blue = rows.clone().filter(|&y| at(width * 7 / 8, y)[2] as u32 > at(width * 7 / 8, y)[0] as u32 + 60).count();
    red > rows.len() / 2 && blue > rows.len() / 2
}

#[test]
fn seedream_end_to_end_large_urls_and_its_size_error() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    let before = balance(&emulator);
    let out = with_emulator(&sb, &emulator)
        .args(["generate", "harbour", "-m", SEEDREAM, "-n", "2", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(line["images"].as_array().unwrap().iter().all(|i| i["source"] == "url"), "Seedream answers URLs");
    for name in sb.files(".") {
        assert_eq!(dimensions(&read(&sb.path(&name))), (2048, 2048), "the size sent, drawn");
    }
    assert_eq!(emulator.requests_to("/v1/images/generations", 2).len(), 2);
    assert_eq!(before - balance(&emulator), 70_000, "two requests at $0.035");

    let direct = http()
        .post(format!("{}/images/generations", emulator.base))
        .header("authorization", "Bearer test")
        .body(json!({"model": SEEDREAM, "prompt": "x", "size": "1024x1024"}).to_string())
        .send()
        .unwrap();
    assert_eq!(direct.status().as_u16(), 400);
    let body: Value = direct.json().unwrap();
    assert_eq!(body["error"]["code"], "InvalidParameter");
    assert_eq!(body["error"]["message"], "image size must be at least 3686400 pixels");
}

#[test]
fn gpt_image_end_to_end_base64_the_split_and_an_edit_from_its_reference() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator)
        .args(["generate", "sign", "-m", "gpt-image-2", "-n", "12", "--size", "256x128", "--json", "-o", "gen"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let line: Value = serde_json::from_str(stdout_of(&out).trim()).unwrap();
    assert!(line["images"].as_array().unwrap().iter().all(|i| i["source"] == "base64"), "gpt-image answers b64_json");
    assert_eq!(sb.files("gen").len(), 12);
    assert!(sb.files("gen").iter().all(|n| dimensions(&read(&sb.path(&format!("gen/{n}")))) == (256, 128)));
    let logged = emulator.requests_to("/v1/images/generations", 2);
    assert_eq!(logged.len(), 2, "10 + 2");
    assert!(logged.iter().any(|l| l.contains("n 10")) && logged.iter().any(|l| l.contains("n 2")), "{logged:?}");

    fs::write(sb.path("ref.png"), red_and_blue()).unwrap();
    let out = with_emulator(&sb, &emulator)
        .args(["edit", "ref.png", "at night", "-m", "gpt-image-2", "--size", "128x128", "-o", "edit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(emulator.requests_to("/v1/images/edits", 1)[0].contains(" 200 "));
    let edited = read(&sb.path("edit/at-night-001.png"));
    assert_eq!(dimensions(&edited), (128, 128));
    assert!(comes_from_red_and_blue(&edited), "the edit shows its reference");
}

#[test]
fn gemini_end_to_end_inline_data_sizes_edits_and_the_v1beta_move() {
    let emulator = Emulator::start(&["--gemini-v1beta-only"]);
    let sb = Sandbox::new();
    let out = with_emulator(&sb, &emulator)
        .args(["generate", "skyline", "-m", GEMINI, "-n", "2", "-j", "1", "-o", "gen"])
        .args(["--param", r#"imageConfig={"aspectRatio":"16:9"}"#])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(emulator.requests_to(GEMINI_PATH, 1).len(), 1, "the seeds' path, once");
    assert!(emulator.requests_to(GEMINI_PATH, 1)[0].contains(" 404 "));
    assert_eq!(emulator.requests_to(GEMINI_BETA_PATH, 2).len(), 2, "then /v1beta for the run");
    let files = sb.files("gen");
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|n| dimensions(&read(&sb.path(&format!("gen/{n}")))) == (1024, 576)), "1K at 16:9");

    fs::write(sb.path("ref.png"), red_and_blue()).unwrap();
    let out = with_emulator(&sb, &emulator)
        .args(["edit", "ref.png", "in the snow", "-m", GEMINI, "-o", "edit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(comes_from_red_and_blue(&read(&sb.path("edit/in-the-snow-001.png"))));

    let unknown = with_emulator(&sb, &emulator).args(["generate", "x", "-m", "gemini-0-nothing"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(4), "Google's 404 naming the model: {}", stderr_of(&unknown));
    assert!(stderr_of(&unknown).contains("NOT_FOUND"), "{}", stderr_of(&unknown));
}

#[test]
fn wan_end_to_end_edits_come_from_the_reference_and_sizes_follow_the_request() {
    let emulator = Emulator::start(&[]);
    let sb = Sandbox::new();
    fs::write(sb.path("ref.png"), red_and_blue()).unwrap();
    let out = with_emulator(&sb, &emulator)
        .args(["edit", "ref.png", "make it blue", "-n", "2", "--size", "96x64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let (first, second) = (read(&sb.path("make-it-blue-001.png")), read(&sb.path("make-it-blue-002.png")));
    assert_eq!(dimensions(&first), (96, 64));
    assert!(comes_from_red_and_blue(&first) && comes_from_red_and_blue(&second));
    assert_ne!(first, second, "each picture marked apart");
    // a reference the emulator cannot read gets a drawn picture: still a valid answer
    fs::write(sb.path("ref.jpg"), jpeg_sized(300, 300)).unwrap();
    let out = with_emulator(&sb, &emulator).args(["edit", "ref.jpg", "x", "-o", "jpeg"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
}

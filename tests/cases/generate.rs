//! `wan generate` end to end: the request, every form of answer, prompts and batch files, files, stdout, cost line.

use std::fs;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use mockito::Matcher;
use serde_json::json;

use crate::support::*;

#[test]
fn sends_the_seed_body_and_saves_the_image_from_its_url() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({
            "model": "wan2.7-image",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "red panda"}]}],
            "n": 1
        })))
        .with_header("x-request-id", "req_42")
        .with_body(chat_answer(&[sb.url("/img/a.png")]).to_string())
        .expect(1)
        .create();
    let image = sb.image("/img/a.png", &png(1));

    let out = sb.wan().args(["generate", "red panda", "-n", "1", "-o", "out/"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    image.assert();
    assert_eq!(stdout_of(&out), "out/red-panda-001.png\n");
    assert_eq!(read(&sb.path("out/red-panda-001.png")), png(1));
    assert_eq!(sb.files("out"), ["red-panda-001.png"]);
    let stderr = stderr_of(&out);
    assert_eq!(stderr.lines().last().unwrap(), "saved 1 image to out/ · wan2.7-image · 1 × $0.030 = $0.030");
    assert!(!stderr.contains(KEY));
}

#[test]
fn n_is_always_sent_even_at_its_default_of_one() {
    let mut sb = Sandbox::new();
    let api = sb.chat_when(json!({"n": 1}), &chat_answer(&[sb.url("/i.png")]), 1);
    sb.image("/i.png", &png(0));
    sb.wan().args(["generate", "cat"]).assert().code(0).stdout("cat-001.png\n");
    api.assert();
}

#[test]
fn more_than_four_images_are_split_into_requests_of_four_and_the_rest() {
    let mut sb = Sandbox::new();
    let four: Vec<String> = (1..=4).map(|i| sb.url(&format!("/a{i}.png"))).collect();
    let big = sb.chat_when(json!({"n": 4}), &chat_answer(&four), 1);
    let small = sb.chat_when(json!({"n": 1}), &chat_answer(&[sb.url("/b1.png")]), 1);
    for i in 1..=4 {
        sb.image(&format!("/a{i}.png"), &png(i));
    }
    sb.image("/b1.png", &png(9));

    let out = sb.wan().args(["generate", "fox", "-n", "5", "-o", "o"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    big.assert();
    small.assert();
    assert_eq!(
        sorted_lines(&out),
        ["o/fox-001.png", "o/fox-002.png", "o/fox-003.png", "o/fox-004.png", "o/fox-005.png"]
    );
    assert_eq!(sb.files("o").len(), 5);
    assert!(stderr_of(&out).ends_with("saved 5 images to o/ · wan2.7-image · 5 × $0.030 = $0.150\n"));
}

#[test]
fn images_of_one_answer_are_numbered_in_index_order() {
    let mut sb = Sandbox::new();
    // the answer lists index 1 before index 0
    let answer = json!({"choices": [
        {"index": 1, "message": {"content": [{"type": "image", "image": sb.url("/second.png")}]}},
        {"index": 0, "message": {"content": [{"type": "image", "image": sb.url("/first.png")}]}},
    ]});
    sb.chat(&answer);
    sb.image("/first.png", &png(1));
    sb.image("/second.png", &png(2));
    let out = sb.wan().args(["generate", "pair", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(sorted_lines(&out), ["pair-001.png", "pair-002.png"]);
    assert_eq!(read(&sb.path("pair-001.png")), png(1));
    assert_eq!(read(&sb.path("pair-002.png")), png(2));
}

#[test]
fn base64_images_are_decoded_and_named_by_their_real_format() {
    let mut sb = Sandbox::new();
    let data_uri = format!("data:image/png;base64,{}", STANDARD.encode(png(5)));
    let bare_unpadded_jpeg = STANDARD_NO_PAD.encode(jpeg(6));
    let wrapped = {
        let b64 = STANDARD.encode(png(7));
        format!("{}\n{}", &b64[..20], &b64[20..])
    };
    sb.chat(&chat_answer(&[data_uri, bare_unpadded_jpeg, wrapped]));

    let out = sb.wan().args(["generate", "b64", "-n", "3"]).output().unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(sorted_lines(&out), ["b64-001.png", "b64-002.jpg", "b64-003.png"]);
    assert_eq!(read(&sb.path("b64-001.png")), png(5));
    assert_eq!(read(&sb.path("b64-002.jpg")), jpeg(6));
    assert_eq!(read(&sb.path("b64-003.png")), png(7));
}

#[test]
fn the_chat_route_streams_data_uris_and_bare_base64_whatever_the_encoding() {
    let mut sb = Sandbox::new();
    let images: Vec<Vec<u8>> = (1..=5).map(|tag| big_png(40_000 + usize::from(tag) * 1_001, tag)).collect();
    // A data URI with every `/` escaped (as PHP writes JSON); padded base64 wrapped in
    // escaped CRLF line breaks; unpadded URL-safe base64; an `image_url` part's data URI
    // with a \u escape; a data URI as the whole content, with a line break at its end.
    let strings = [
        format!("data:image/png;base64,{}", STANDARD.encode(&images[0]).replace('/', "\\/")),
        STANDARD
            .encode(&images[1])
            .as_bytes()
            .chunks(76)
            .map(|l| format!("{}\\r\\n", String::from_utf8_lossy(l)))
            .collect(),
        URL_SAFE_NO_PAD.encode(&images[2]),
        format!("data:image/png;base64,{}", STANDARD_NO_PAD.encode(&images[3]).replacen('A', "\\u0041", 2)),
        format!("data:image/png;base64,{}\\n", STANDARD.encode(&images[4])),
    ];
    let choice =
        |index: usize, content: String| format!(r#"{{"index": {index}, "message": {{"content": {content}}}}}"#);
    let choices = [
        choice(0, format!(r#"[{{"type": "text", "text": "here"}}, {{"type": "image", "image": "{}"}}]"#, strings[0])),
        choice(1, format!(r#"[{{"type": "image", "image": "{}"}}]"#, strings[1])),
        choice(2, format!(r#"[{{"type": "image", "image": "{}"}}]"#, strings[2])),
        choice(3, format!(r#"[{{"type": "image_url", "image_url": {{"url": "{}"}}}}]"#, strings[3])),
        choice(4, format!(r#""{}""#, strings[4])),
    ];
    let body = format!(r#"{{"choices": [{}], "usage": {{"total_tokens": 9}}}}"#, choices.join(", "));
    sb.server.mock("POST", "/v1/chat/completions").with_body(body).create();
    // Four asked for (one request), five returned: all saved, with a warning.
    let out = sb.wan().args(["generate", "big", "-n", "4", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("returned 5 images for the 4 asked for"), "{}", stderr_of(&out));
    let line = json_line(&out);
    assert!(line["images"].as_array().unwrap().iter().all(|i| i["source"] == "base64"), "{line}");
    assert_eq!(line["usage"]["total_tokens"], 9);
    for (i, image) in images.iter().enumerate() {
        assert_eq!(&read(&sb.path(&format!("big-00{}.png", i + 1))), image, "image {}", i + 1);
    }
    assert!(part_files(&sb, ".").is_empty(), "{:?}", sb.files("."));
}

#[test]
fn the_images_route_streams_b64_json() {
    let mut sb = Sandbox::new();
    let (one, two) = (big_png(300_000, 1), big_png(200_000, 2));
    let body = json!({"created": 1, "data": [{"b64_json": STANDARD.encode(&one)}, {"b64_json": STANDARD.encode(&two)}],
                      "usage": {"total_tokens": 7}});
    sb.server.mock("POST", "/v1/images/generations").with_body(body.to_string()).create();
    let out = sb.wan().args(["generate", "harbour", "-n", "2", "--route", "images", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read(&sb.path("out/harbour-001.png")), one);
    assert_eq!(read(&sb.path("out/harbour-002.png")), two);
    assert_eq!(sb.files("out"), ["harbour-001.png", "harbour-002.png"]);
}

#[test]
fn the_gemini_route_streams_inline_data_in_either_spelling_and_data_uris_in_text() {
    let mut sb = Sandbox::new();
    let images: Vec<Vec<u8>> = (1..=3).map(|tag| big_png(50_000, tag)).collect();
    let parts = json!([
        {"text": "Here is your harbour."},
        {"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(&images[0])}},
        {"inline_data": {"mime_type": "image/png", "data": STANDARD_NO_PAD.encode(&images[1])}},
        {"text": format!("and another: ![harbour](data:image/png;base64,{}) enjoy", STANDARD.encode(&images[2]))},
    ]);
    let body = json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}],
                      "usageMetadata": {"totalTokenCount": 1298}});
    sb.server.mock("POST", GEMINI_PATH).with_body(body.to_string()).create();
    let out = sb.wan().args(["generate", "harbour", "-m", "gemini-3-pro-image-preview"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // One image asked for, three returned: all saved, with a warning.
    assert!(stderr_of(&out).contains("returned 3 images for the 1 asked for"), "{}", stderr_of(&out));
    for (i, image) in images.iter().enumerate() {
        assert_eq!(&read(&sb.path(&format!("harbour-00{}.png", i + 1))), image, "image {}", i + 1);
    }
    assert!(part_files(&sb, ".").is_empty(), "{:?}", sb.files("."));
}

#[test]
fn the_pro_flag_picks_the_pro_model_and_its_price() {
    let mut sb = Sandbox::new();
    let api = sb.chat_when(
        json!({"model": "wan2.7-image-pro", "n": 2}),
        &chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]),
        1,
    );
    sb.image("/1.png", &png(1));
    sb.image("/2.png", &png(2));
    let out = sb.wan().args(["generate", "owl", "--pro", "-n", "2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert!(stderr_of(&out).ends_with("saved 2 images to ./ · wan2.7-image-pro · 2 × $0.075 = $0.150\n"));
}

#[test]
fn a_model_from_the_environment_is_sent_and_an_unknown_price_says_so() {
    let mut sb = Sandbox::new();
    let api = sb.chat_when(json!({"model": "wan9-image"}), &chat_answer(&[sb.url("/1.png")]), 1);
    sb.image("/1.png", &png(1));
    let out = sb.wan().env("WAN_MODEL", "wan9-image").args(["generate", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert!(stderr_of(&out).ends_with("· wan9-image · 1 × unknown price (cost unknown)\n"), "{}", stderr_of(&out));
}

#[test]
fn size_and_params_are_added_to_the_body() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::PartialJson(
            json!({"size": "2048x2048", "seed": 7, "watermark": false, "style": "ink wash"}),
        ))
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/1.png", &png(1));
    sb.wan()
        .args([
            "generate",
            "x",
            "--size",
            "2048x2048",
            "--param",
            "seed=7",
            "--param",
            "watermark=false",
            "--param",
            "style=ink wash",
        ])
        .assert()
        .code(0);
    api.assert();
    sb.wan().args(["generate", "x", "--param", "n=4"]).assert().code(2);
    sb.wan().args(["generate", "x", "--size", "large"]).assert().code(2);
}

#[test]
fn the_prompt_can_come_from_standard_input() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::PartialJson(
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "a lighthouse at dusk"}]}]}),
        ))
        .with_body(chat_answer(&[sb.url("/1.png")]).to_string())
        .expect(2)
        .create();
    sb.image("/1.png", &png(1));
    sb.wan()
        .arg("generate")
        .write_stdin("a lighthouse at dusk\n")
        .assert()
        .code(0)
        .stdout("a-lighthouse-at-dusk-001.png\n");
    sb.wan()
        .args(["generate", "-"])
        .write_stdin("a lighthouse at dusk\n")
        .assert()
        .code(0)
        .stdout("a-lighthouse-at-dusk-002.png\n");
    api.assert();
}

#[test]
fn a_trailing_slash_on_the_base_url_is_fine() {
    let mut sb = Sandbox::new();
    let api = sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &png(1));
    let base = format!("{}/", sb.api_base());
    sb.wan().args(["generate", "x", "--base-url", &base]).assert().code(0);
    api.assert();
}

/// A chat route that answers each prompt of a batch by its text.
fn answer_prompt(sb: &mut Sandbox, prompt: &str, image_path: &str) -> mockito::Mock {
    let answer = chat_answer(&[sb.url(image_path)]);
    sb.chat_when(json!({"messages": [{"content": [{"type": "text", "text": prompt}]}]}), &answer, 1)
}

#[test]
fn a_batch_skips_comments_and_blanks_and_a_failed_prompt_does_not_stop_the_others() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("prompts.txt"), "# my batch\nred panda\n\n   \n  # skipped too\nbad one\nsea otter\n").unwrap();
    let panda = answer_prompt(&mut sb, "red panda", "/panda.png");
    let otter = answer_prompt(&mut sb, "sea otter", "/otter.png");
    let bad = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::PartialJson(json!({"messages": [{"content": [{"type": "text", "text": "bad one"}]}]})))
        .with_status(422)
        .with_body(json!({"error": {"code": "content_policy_violation", "message": "no"}}).to_string())
        .expect(1)
        .create();
    sb.image("/panda.png", &png(1));
    sb.image("/otter.png", &png(2));

    let out = sb.wan().args(["generate", "-f", "prompts.txt", "--json", "-o", "out"]).output().unwrap();

    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    panda.assert();
    otter.assert();
    bad.assert();
    let mut lines = json_lines(&out);
    lines.sort_by_key(|l| l["prompt"].as_str().unwrap().to_string());
    let prompts: Vec<&str> = lines.iter().map(|l| l["prompt"].as_str().unwrap()).collect();
    assert_eq!(prompts, ["bad one", "red panda", "sea otter"]);
    assert_eq!(lines[0]["error"]["code"], "content_policy_violation");
    assert_eq!(lines[1]["images"][0]["path"], "out/red-panda-001.png");
    assert_eq!(lines[2]["images"][0]["path"], "out/sea-otter-001.png");
    assert_eq!(sb.files("out"), ["red-panda-001.png", "sea-otter-001.png"]);
    let stderr = stderr_of(&out);
    assert!(stderr.contains("prompt 2 (\"bad one\"): the API rejected the request: HTTP 422"), "{stderr}");
    assert!(stderr.ends_with("saved 2 of 3 images to out/ · wan2.7-image · 2 × $0.030 = $0.060\n"), "{stderr}");
}

#[test]
fn a_batch_can_come_from_standard_input_and_n_applies_to_each_prompt() {
    let mut sb = Sandbox::new();
    let answer = chat_answer(&[sb.url("/a.png"), sb.url("/b.png")]);
    let api = sb.chat_when(json!({"n": 2}), &answer, 2);
    sb.image("/a.png", &png(1));
    sb.image("/b.png", &png(2));
    let out = sb.wan().args(["generate", "-f", "-", "-n", "2"]).write_stdin("cat\ndog\n").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert_eq!(sorted_lines(&out), ["cat-001.png", "cat-002.png", "dog-001.png", "dog-002.png"]);
}

#[test]
fn a_prompt_and_a_batch_file_together_or_an_empty_batch_are_usage_errors() {
    let sb = Sandbox::new();
    fs::write(sb.path("empty.txt"), "# nothing\n\n").unwrap();
    sb.wan().args(["generate", "cat", "-f", "empty.txt"]).assert().code(2);
    let out = sb.wan().args(["generate", "-f", "empty.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("empty.txt holds no prompts"));
}

#[test]
fn a_byte_order_mark_and_a_first_line_comment_are_never_sent() {
    let mut sb = Sandbox::new();
    let only = sb.chat_when(
        json!({"messages": [{"content": [{"type": "text", "text": "red panda"}]}]}),
        &chat_answer(&[sb.url("/1.png")]),
        1,
    );
    sb.image("/1.png", &png(1));
    std::fs::write(sb.path("prompts.txt"), "\u{feff}# my prompts\r\nred panda\r\n").unwrap();
    let out = sb.wan().args(["generate", "-f", "prompts.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    only.assert();
}

#[test]
fn words_before_sending_point_to_the_flag_meant() {
    let mut sb = Sandbox::new();
    let service = never_called(&mut sb);
    let out = sb.wan().args(["generate", "x", "--param", "n=3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("hint: -n N asks for N images"), "{}", stderr_of(&out));
    service.assert();
    // several lines on standard input go as one prompt, as asked, with a word about -f -
    let api =
        sb.chat_when(json!({"messages": [{"content": [{"text": "a\nb"}]}]}), &chat_answer(&[sb.url("/1.png")]), 1);
    sb.image("/1.png", &png(1));
    let out = sb.wan().args(["generate", "-"]).write_stdin("a\nb\n").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert!(stderr_of(&out).contains("2 lines go as one prompt; `-f -` reads them as a batch"), "{}", stderr_of(&out));
}

#[test]
fn a_size_other_than_the_priced_one_is_said_to_cost_perhaps_more() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let run = |size: &str| {
        sb.wan()
            .env("AISA_BASE_URL", &emulator.base)
            .args(["generate", "x", "-m", "gpt-image-2", "--size", size, "--dry-run"])
            .output()
            .unwrap()
    };
    let wide = run("1536x1024");
    assert_eq!(wide.status.code(), Some(0), "{}", stderr_of(&wide));
    assert!(
        stderr_of(&wide)
            .contains("gpt-image-2's list price is for 1024×1024; at 1536x1024 the service may charge more"),
        "{}",
        stderr_of(&wide)
    );
    assert!(!stderr_of(&run("1024x1024")).contains("may charge more"));
}

//! Base64 images decoded from the answer as it streams in (issue 14): on every route
//! that carries them, whatever the encoding, into files that hold exactly what the
//! service encoded (plus the provenance chunk), in memory that does not grow with them.

use std::process::Stdio;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::support::raw::{Fault, RawServer};
use crate::support::*;

/// A real PNG of `side`×`side` noisy pixels, which a decoder reads whole.
fn real_png(side: u32, tag: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..side * side * 3).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 ^ tag).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    bytes
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
fn a_streamed_png_gets_its_provenance_and_the_journal_knows_its_sha256() {
    let mut sb = Sandbox::new();
    let served = real_png(96, 3);
    // The request id comes after the image: the image is on disk, but for its last
    // bytes, before the provenance chunk that names it can be made.
    let body = format!(
        r#"{{"choices": [{{"message": {{"content": [{{"type": "image", "image": "data:image/png;base64,{}"}}]}}}}], "request_id": "req_after_the_image"}}"#,
        STANDARD.encode(&served)
    );
    sb.server.mock("POST", "/v1/chat/completions").with_body(body).create();
    let journaled = |args: &[&str]| sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(args).output().unwrap();
    let out = journaled(&["generate", "red panda", "-o", "out"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let marked = read_raw(&sb.path("out/red-panda-001.png"));
    assert_ne!(marked, served);
    assert_eq!(strip_provenance(marked.clone()), served, "only the chunk was added");
    let mut reader = png::Decoder::new(std::io::Cursor::new(&marked)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    reader.finish().unwrap();
    let provenance: Value = serde_json::from_str(&reader.info().utf8_text[0].get_text().unwrap()).unwrap();
    assert_eq!(provenance["request_id"], "req_after_the_image");
    // `wan info` finds the journal's record by the SHA-256 of the file as saved.
    let info = journaled(&["info", "out/red-panda-001.png", "--json"]);
    assert_eq!(info.status.code(), Some(0), "{}", stdout_of(&info));
    let found = json_line(&info);
    assert_eq!(found["known"], true, "{found}");
    assert_eq!(found["journal"]["request_id"], "req_after_the_image", "{found}");
    let plain = journaled(&["generate", "red panda", "-o", "plain", "--no-metadata"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr_of(&plain));
    assert_eq!(read_raw(&sb.path("plain/red-panda-001.png")), served);
    let stdout = journaled(&["generate", "red panda", "-o", "-", "--no-metadata"]);
    assert_eq!(stdout.status.code(), Some(0), "{}", stderr_of(&stdout));
    assert_eq!(stdout.stdout, served, "-o - writes the decoded bytes");
}

#[test]
fn a_broken_streamed_image_is_reported_and_the_others_are_saved() {
    let mut sb = Sandbox::new();
    let good = big_png(200_000, 4);
    let mut broken = STANDARD.encode(big_png(200_000, 5));
    broken.insert_str(100_000, "@@");
    let huge_text = STANDARD.encode(big_png(100_000, 6));
    let cut_short = huge_text[..huge_text.len() / 8 * 4].to_string();
    sb.chat(&chat_answer(&[STANDARD.encode(&good), broken, cut_short]));
    let out = sb.wan().args(["generate", "half", "-n", "3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("not valid base64"), "{stderr}");
    assert!(stderr.contains("cut short"), "{stderr}");
    assert_eq!(stdout_of(&out), "half-001.png\n");
    assert_eq!(read(&sb.path("half-001.png")), good);
    assert_eq!(sb.files("."), ["half-001.png"], "the broken images' part files are gone");
}

#[test]
fn an_interrupt_saves_an_image_decoded_before_it_was_numbered() {
    let sb = Sandbox::new();
    let first = big_png(300_000, 7);
    let second = STANDARD.encode(big_png(300_000, 8));
    let answer = chat_answer(&[STANDARD.encode(&first), second.clone()]).to_string();
    // The answer stops partway through the second image and hangs there.
    let sent = answer.find(&second).unwrap() + second.len() / 2;
    let stall = RawServer::start(vec![Fault::Stall { body: answer.into_bytes(), sent, for_: Duration::from_secs(60) }]);
    let mut child = sb
        .wan_process()
        .env("AISA_BASE_URL", stall.url("/v1"))
        .args(["generate", "x", "-n", "2", "-o", "out"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The second image's part file is made once the first is whole in its own.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(sb.path("out").exists() && part_files(&sb, "out").len() == 2) {
        assert!(Instant::now() < deadline, "no part files: {:?}", sb.path("out").exists().then(|| sb.files("out")));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "wan did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let files = sb.files("out");
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].starts_with("interrupted-") && files[0].ends_with(".png"), "{files:?}");
    assert_eq!(read_raw(&sb.path("out").join(&files[0])), first, "whole, as the service sent it");
    let stderr = stderr_of(&output);
    let saved = sb.path("out").join(&files[0]);
    assert!(stderr.contains(&format!("paid for, saved before it was numbered: {}", saved.display())), "{stderr}");
    assert!(stderr.contains("1 request had been sent and not answered"), "{stderr}");
}

/// Peak resident memory of a process that has ended, in bytes, from `/usr/bin/time`.
fn peak_rss_of(command: std::process::Command) -> Option<(std::process::Output, u64)> {
    let program = command.get_program().to_owned();
    let timed = std::path::Path::new("/usr/bin/time");
    if !timed.exists() || !cfg!(target_os = "linux") {
        return None;
    }
    let mut time = std::process::Command::new(timed);
    time.args(["-f", "peak %M"]).arg(program).args(command.get_args());
    time.env_clear().envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))));
    if let Some(dir) = command.get_current_dir() {
        time.current_dir(dir);
    }
    let out = time.output().unwrap();
    let peak = stderr_of(&out).lines().rev().find_map(|l| l.strip_prefix("peak ")?.trim().parse::<u64>().ok())?;
    Some((out, peak * 1024))
}

#[test]
fn a_large_base64_answer_costs_no_more_memory_than_its_images_need() {
    let mut sb = Sandbox::new();
    // Two 12 MB images: a 32 MB answer, which held whole would take more than that
    // on top of what `wan` needs anyway.
    let images: Vec<Vec<u8>> = (1..=2).map(|tag| big_png(12 << 20, tag)).collect();
    sb.chat(&chat_answer(&images.iter().map(|i| STANDARD.encode(i)).collect::<Vec<_>>()));
    let mut command = sb.wan_process();
    command.args(["generate", "big", "-n", "2", "--no-metadata"]);
    let Some((out, peak)) = peak_rss_of(command) else { return };
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read_raw(&sb.path("big-001.png")), images[0]);
    assert_eq!(read_raw(&sb.path("big-002.png")), images[1]);
    assert!(peak < 40 << 20, "a 32 MB answer took {} MB", peak >> 20);
}

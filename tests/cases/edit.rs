//! `wan edit`: references on the wire, in order, as data URIs or unchanged URLs, and the references it refuses.

use std::fs;

use mockito::Matcher;
use serde_json::{Value, json};

use crate::support::*;

#[test]
fn local_and_url_references_go_first_in_order_then_the_text() {
    let mut sb = Sandbox::new();
    fs::write(sb.path("ref.png"), png_sized(640, 480, 3)).unwrap();
    fs::write(sb.path("photo.jpg"), jpeg_sized(800, 600)).unwrap();
    let expected_png = format!("data:image/png;base64,{}", b64(&png_sized(640, 480, 3)));
    let expected_jpg = format!("data:image/jpeg;base64,{}", b64(&jpeg_sized(800, 600)));
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(Matcher::Json(json!({
            "model": "wan2.7-image-pro",
            "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": expected_png}},
                {"type": "image_url", "image_url": {"url": "https://example.com/reference.jpg"}},
                {"type": "image_url", "image_url": {"url": expected_jpg}},
                {"type": "text", "text": "make it Van Gogh"}
            ]}],
            "n": 1
        })))
        .with_body(chat_answer(&[sb.url("/out.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/out.png", &png(8));

    let out = sb
        .wan()
        .args(["edit", "ref.png", "https://example.com/reference.jpg", "photo.jpg", "make it Van Gogh", "--pro"])
        .output()
        .unwrap();

    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    api.assert();
    assert_eq!(stdout_of(&out), "make-it-van-gogh-001.png\n");
    assert_eq!(read(&sb.path("make-it-van-gogh-001.png")), png(8));
}

#[test]
fn a_reference_can_come_from_standard_input() {
    let mut sb = Sandbox::new();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_request(|req| {
            let body: Value = serde_json::from_slice(req.body().unwrap()).unwrap();
            body["messages"][0]["content"][0]["image_url"]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/png;base64,iVBORw0KGgo")
        })
        .with_body(chat_answer(&[sb.url("/o.png")]).to_string())
        .create();
    sb.image("/o.png", &png(1));
    sb.wan().args(["edit", "-", "sharpen"]).write_stdin(png(4)).assert().code(0).stdout("sharpen-001.png\n");
    api.assert();
}

#[test]
fn bad_reference_images_are_usage_errors_naming_the_file() {
    let mut sb = Sandbox::new();
    fs::create_dir(sb.path("folder")).unwrap();
    fs::write(sb.path("empty.png"), b"").unwrap();
    fs::write(sb.path("notes.txt"), b"hello, this is text").unwrap();
    fs::write(sb.path("tiny.png"), png_sized(100, 300, 0)).unwrap();
    fs::write(sb.path("huge.png"), png_sized(9000, 300, 0)).unwrap();
    fs::write(sb.path("anim.gif"), b"GIF89a\x2c\x01\x2c\x01\x00\x00\x00").unwrap();
    fs::write(sb.path("ok.png"), png(0)).unwrap();
    let big = fs::File::create(sb.path("big.png")).unwrap();
    big.set_len(21 * 1024 * 1024).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["edit", "missing.png", "p"], "missing.png: no such file"),
        (&["edit", "folder", "p"], "folder: is a directory"),
        (&["edit", "empty.png", "p"], "empty.png: is empty"),
        (&["edit", "notes.txt", "p"], "notes.txt: is not a PNG, JPEG, WebP or BMP image"),
        (&["edit", "anim.gif", "p"], "anim.gif: is not a PNG, JPEG, WebP or BMP image"),
        (&["edit", "tiny.png", "p"], "tiny.png: is 100×300 px"),
        (&["edit", "huge.png", "p"], "huge.png: is 9000×300 px"),
        (&["edit", "big.png", "p"], "big.png: is 21.0 MB; the limit is 20 MB"),
        (
            &[
                "edit", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png", "ok.png",
                "ok.png", "p",
            ],
            "10 reference images given",
        ),
        (&["edit", "ok.png", ""], "the prompt is empty"),
    ];
    for (args, needle) in cases {
        assert_usage_error(&mut sb, args, needle);
    }
}

#[test]
fn edit_with_the_prompt_first_says_the_prompt_comes_last() {
    let sb = Sandbox::new();
    std::fs::write(sb.path("ref.png"), png_sized(300, 300, 1)).unwrap();
    let out = sb.wan().args(["edit", "make it blue", "ref.png"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("reference image make it blue: no such file"), "{stderr}");
    assert!(stderr.contains("the prompt comes last"), "{stderr}");
}

#[test]
fn edit_from_a_terminal_on_standard_input_is_refused_at_once() {
    let sb = Sandbox::new();
    let Some(out) = crate::support::pty::on_terminal(&sb.wan_process(), &["edit", "-", "make it blue"]) else {
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("standard input is a terminal"), "{text}");
    assert_eq!(out.status.code(), Some(2), "{text}");
}

#[test]
fn edit_with_the_prompt_forgotten_says_the_prompt_is_missing() {
    let sb = Sandbox::new();
    let out = sb.wan().args(["edit", "picture.png"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = stderr_of(&out);
    assert!(said.contains("the prompt is missing: wan edit takes the images, then what to do with them"), "{said}");
    assert!(!said.contains("<IMAGE>"), "not clap's word that the images are missing: {said}");
    // with nothing at all, clap's own message names both
    let out = sb.wan().arg("edit").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("<PROMPT>"), "{}", stderr_of(&out));
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

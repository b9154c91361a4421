//! `wan info` and what it reads: the provenance a PNG carries, and the journal's record of a file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::support::*;

#[test]
fn info_knows_a_moved_file_by_its_contents() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &real_png());
    journaled(&sb).args(["generate", "red panda", "-o", "out"]).assert().code(0);
    std::fs::rename(sb.path("out/red-panda-001.png"), sb.path("renamed.png")).unwrap();
    std::fs::write(sb.path("other.png"), png(9)).unwrap();
    let info = journaled(&sb).args(["info", "renamed.png", "--json"]).output().unwrap();
    assert_eq!(info.status.code(), Some(0));
    let found: Value = serde_json::from_str(stdout_of(&info).trim()).unwrap();
    assert_eq!(found["journal"]["prompt"], "red panda", "{found}");
    assert_eq!(found["journal"]["request_id"], "req_hdr_1");
    assert_eq!(found["provenance"]["prompt"], "red panda");
    assert_eq!(found["provenance"]["run"], found["journal"]["run"]);
    let unknown = journaled(&sb).args(["info", "renamed.png", "other.png"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stdout_of(&unknown).contains("wan knows nothing of this file"));
}

#[test]
fn a_png_carries_its_provenance_decodes_still_and_no_metadata_keeps_the_served_bytes() {
    let mut sb = Sandbox::new();
    let served = real_png();
    sb.chat(&chat_answer(&[sb.url("/1.png")]));
    sb.image("/1.png", &served);
    journaled(&sb).args(["generate", "red panda", "-o", "out"]).assert().code(0);
    let marked = read_raw(&sb.path("out/red-panda-001.png"));
    assert_ne!(marked, served);
    assert_eq!(strip_provenance(marked.clone()), served, "only the chunk was added");
    let decoder = png::Decoder::new(std::io::Cursor::new(&marked));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    reader.finish().unwrap();
    let chunk = &reader.info().utf8_text[0];
    assert_eq!(chunk.keyword, "wan");
    let provenance: Value = serde_json::from_str(&chunk.get_text().unwrap()).unwrap();
    for field in ["prompt", "model", "run", "request_id", "created", "wan", "references"] {
        assert!(provenance.get(field).is_some(), "{field} in {provenance}");
    }
    journaled(&sb).args(["generate", "red panda", "-o", "plain", "--no-metadata"]).assert().code(0);
    assert_eq!(read_raw(&sb.path("plain/red-panda-001.png")), served);
}

fn real_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 4, 4);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[7u8; 48]).unwrap();
    writer.finish().unwrap();
    bytes
}

/// A real PNG of `side`×`side` noisy pixels, which a decoder reads whole.
fn noisy_png(side: u32, tag: u8) -> Vec<u8> {
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
fn a_streamed_png_gets_its_provenance_and_the_journal_knows_its_sha256() {
    let mut sb = Sandbox::new();
    let served = noisy_png(96, 3);
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

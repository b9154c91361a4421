//! `wan info` and what it reads: the journal's record of a file, found by its contents (what
//! the file carries itself, its label and Content Credentials, is in labels.rs).

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

fn real_png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 4, 4);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[7u8; 48]).unwrap();
    writer.finish().unwrap();
    bytes
}

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

#[test]
fn info_says_standard_output_for_a_file_written_with_o_dash_and_a_request_price_per_request() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let run = |args: &[&str]| journaled(&sb).env("AISA_BASE_URL", &emulator.base).args(args).output().unwrap();
    let piped = run(&["generate", "a logo", "-o", "-"]);
    assert_eq!(piped.status.code(), Some(0), "{}", stderr_of(&piped));
    std::fs::write(sb.path("logo.png"), &piped.stdout).unwrap();
    let text = stdout_of(&journaled(&sb).args(["info", "logo.png"]).output().unwrap());
    let saved_as = text.lines().find(|l| l.trim_start().starts_with("saved as")).unwrap_or_default();
    assert!(saved_as.ends_with("standard output (-o -)"), "not the stage it passed through: {text}");
    let json: Value =
        serde_json::from_str(stdout_of(&journaled(&sb).args(["info", "logo.png", "--json"]).output().unwrap()).trim())
            .unwrap();
    assert_eq!(json["journal"]["saved_as"], "-");

    // Seedream 5.0 is billed by the request, whatever the images in it
    let seedream = run(&["generate", "a lake", "-m", "seedream-5-0-260128", "-n", "2", "-o", "lake"]);
    assert_eq!(seedream.status.code(), Some(0), "{}", stderr_of(&seedream));
    let text = stdout_of(&journaled(&sb).args(["info", "lake/a-lake-001.png"]).output().unwrap());
    let price = text.lines().find(|l| l.trim_start().starts_with("price")).unwrap_or_default();
    assert!(price.ends_with("$0.035 per request"), "{text}");
    let json: Value = serde_json::from_str(
        stdout_of(&journaled(&sb).args(["info", "lake/a-lake-001.png", "--json"]).output().unwrap()).trim(),
    )
    .unwrap();
    assert_eq!(json["journal"]["price_per_request"], 0.035, "{json}");
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

//! What every saved file says of itself: the XMP label in each format, where the format
//! puts it, the rest of the bytes as served; signed files (C2PA) byte for byte; the label
//! off (`--no-metadata`) or without the prompt (`--no-prompt-in-file`); `wan info` on each.
//!
//! Fixtures (tests/fixtures/, see its README): `c2pa.png` and `c2pa.jpg` are 16×16 pictures
//! signed with c2pa-python by a throwaway ES256 test chain (claim generator
//! `wan-test-fixture 1.0`); `lossy.webp`, `lossless.webp` and `extended.webp` are 16×12
//! pictures made by cwebp (VP8, VP8L with alpha, and VP8X with ALPH + VP8).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::*;

const C2PA_PNG: &[u8] = include_bytes!("../fixtures/c2pa.png");
const C2PA_JPEG: &[u8] = include_bytes!("../fixtures/c2pa.jpg");
const LOSSY_WEBP: &[u8] = include_bytes!("../fixtures/lossy.webp");
const LOSSLESS_WEBP: &[u8] = include_bytes!("../fixtures/lossless.webp");
const EXTENDED_WEBP: &[u8] = include_bytes!("../fixtures/extended.webp");
const TRAINED: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// A real PNG of `side`×`side` noisy pixels.
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

/// A real baseline JPEG (SOI, JFIF APP0, tables, frame, scan, EOI), from jpeg-encoder.
fn real_jpeg() -> Vec<u8> {
    let mut bytes = Vec::new();
    let pixels: Vec<u8> = (0..32 * 24 * 3).map(|i: u32| (i * 7 % 251) as u8).collect();
    jpeg_encoder::Encoder::new(&mut bytes, 80).encode(&pixels, 32, 24, jpeg_encoder::ColorType::Rgb).unwrap();
    bytes
}

/// A PNG's chunks: (type, data), each CRC checked.
fn png_chunks(png: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (mut at, mut chunks) = (8, Vec::new());
    while at < png.len() {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let (kind, data) = (&png[at + 4..at + 8], &png[at + 8..at + 8 + length]);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        assert_eq!(crc.finalize().to_be_bytes(), png[at + 8 + length..at + 12 + length], "CRC of {kind:?}");
        chunks.push((String::from_utf8_lossy(kind).into_owned(), data.to_vec()));
        at += 12 + length;
    }
    chunks
}

/// A JPEG's segments up to its first scan: (marker, payload); and where the scan starts.
fn jpeg_segments(jpeg: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let (mut at, mut segments) = (2, Vec::new());
    while jpeg[at + 1] != 0xDA {
        assert_eq!(jpeg[at], 0xFF, "a marker at {at}");
        let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        segments.push((jpeg[at + 1], jpeg[at + 4..at + 2 + length].to_vec()));
        at += 2 + length;
    }
    (segments, at)
}

/// A WebP's chunks: (FourCC, data), the RIFF size and padding checked.
fn webp_chunks(webp: &[u8]) -> Vec<(String, Vec<u8>)> {
    assert_eq!(u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize + 8, webp.len(), "RIFF size");
    let (mut at, mut chunks) = (12, Vec::new());
    while at < webp.len() {
        let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
        chunks.push((String::from_utf8_lossy(&webp[at..at + 4]).into_owned(), webp[at + 8..at + 8 + size].to_vec()));
        at += 8 + size + size % 2;
    }
    assert_eq!(at, webp.len());
    chunks
}

/// `wan info --json` of one file, with the journal in `state/`.
fn info(sb: &Sandbox, file: &str) -> Value {
    let out = journaled(sb).args(["info", file, "--json"]).output().unwrap();
    json_line(&out)
}

/// The XMP text in a PNG's `XML:com.adobe.xmp` chunk.
fn png_packet(png: &[u8]) -> String {
    let chunks = png_chunks(png);
    let (_, data) = chunks.iter().find(|(kind, _)| kind == "iTXt").expect("an iTXt chunk");
    let text = data.strip_prefix(b"XML:com.adobe.xmp\0\0\0\0\0").expect("keyword, not compressed, no language");
    String::from_utf8(text.to_vec()).unwrap()
}

#[test]
fn a_png_carries_its_label_before_iend_decodes_still_and_info_reads_it() {
    let mut sb = Sandbox::new();
    let served = real_png(32, 1);
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.png")]));
    sb.image("/1.png", &served);
    sb.image("/2.png", &real_png(32, 2));
    journaled(&sb)
        .args(["generate", "a red panda & <friends>", "-n", "2", "-o", "out", "--seed", "7"])
        .assert()
        .code(0);
    let file = read_raw(&sb.path("out/a-red-panda-friends-001.png"));
    let chunks = png_chunks(&file);
    let kinds: Vec<&str> = chunks.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(&kinds[kinds.len() - 2..], ["iTXt", "IEND"], "the label just before IEND");
    assert_eq!(strip_provenance(file.clone()), served, "the rest as served");
    let mut reader = png::Decoder::new(std::io::Cursor::new(&file)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    reader.finish().unwrap();
    let packet = png_packet(&file);
    assert!(packet.starts_with("<?xpacket begin=\"\u{FEFF}\""), "{packet}");
    assert!(packet.contains(&format!("<Iptc4xmpExt:DigitalSourceType>{TRAINED}<")), "{packet}");
    assert!(packet.contains("a red panda &amp; &lt;friends&gt;"), "{packet}");

    let found = info(&sb, "out/a-red-panda-friends-001.png");
    assert_eq!(found["label"], "trainedAlgorithmicMedia", "{found}");
    assert_eq!(found["c2pa"], Value::Null);
    let label = &found["provenance"];
    assert_eq!(label["source"], "xmp");
    assert_eq!(label["prompt"], "a red panda & <friends>");
    assert_eq!(label["model"], "wan2.7-image");
    assert_eq!(label["provider"], "AIsa");
    assert_eq!(label["route"], "auto");
    assert_eq!(label["params"], json!({"seed": 7}));
    assert_eq!(label["run"], found["journal"]["run"], "the run the journal knows");
    let id = label["id"].as_str().unwrap();
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "a UUID: {id}");
    let other = info(&sb, "out/a-red-panda-friends-002.png");
    assert_ne!(other["provenance"]["id"], label["id"], "each image its own id");
    let text = journaled(&sb).args(["info", "out/a-red-panda-friends-001.png"]).output().unwrap();
    let text = stdout_of(&text);
    assert!(text.contains("label       AI-generated (IPTC digital source type trainedAlgorithmicMedia)"), "{text}");
}

#[test]
fn a_png_decoded_as_the_answer_streams_in_is_labelled_too() {
    let mut sb = Sandbox::new();
    let served = real_png(96, 3);
    // The request id comes after the image: the label, fixed before the image's first
    // byte, does not hold it; the journal does.
    let body = format!(
        r#"{{"choices": [{{"message": {{"content": [{{"type": "image", "image": "data:image/png;base64,{}"}}]}}}}], "request_id": "req_after_the_image"}}"#,
        STANDARD.encode(&served)
    );
    sb.server.mock("POST", "/v1/chat/completions").with_body(body).create();
    let out = journaled(&sb).args(["generate", "red panda", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let file = read_raw(&sb.path("out/red-panda-001.png"));
    assert_ne!(file, served);
    assert_eq!(strip_provenance(file.clone()), served);
    let found = info(&sb, "out/red-panda-001.png");
    assert_eq!(found["label"], "trainedAlgorithmicMedia", "{found}");
    assert_eq!(found["journal"]["request_id"], "req_after_the_image", "found by the SHA-256 of the file as saved");
    let stdout = journaled(&sb).args(["generate", "red panda", "-o", "-"]).output().unwrap();
    assert_eq!(stdout.status.code(), Some(0), "{}", stderr_of(&stdout));
    assert_eq!(strip_provenance(stdout.stdout.clone()), served, "-o - writes the labelled bytes");
    assert_ne!(stdout.stdout, served);
}

#[test]
fn a_jpeg_carries_its_label_in_an_app1_segment_after_jfif() {
    let mut sb = Sandbox::new();
    let served = real_jpeg();
    sb.chat(&chat_answer(&[sb.url("/1.jpg")]));
    sb.image("/1.jpg", &served);
    journaled(&sb).args(["generate", "a lighthouse", "-o", "out"]).assert().code(0);
    let file = read_raw(&sb.path("out/a-lighthouse-001.jpg"));
    let (before, scan) = jpeg_segments(&served);
    let (after, labelled_scan) = jpeg_segments(&file);
    assert_eq!((after[0].0, &after[0].1), (0xE0, &before[0].1), "JFIF first, as served");
    assert_eq!(after[1].0, 0xE1, "then the label");
    let packet = after[1].1.strip_prefix(b"http://ns.adobe.com/xap/1.0/\0").expect("the XMP namespace");
    assert!(String::from_utf8_lossy(packet).contains("a lighthouse"));
    assert_eq!(&after[2..], &before[1..], "the other segments as served, in order");
    assert_eq!(&file[labelled_scan..], &served[scan..], "the image data as served");
    assert_eq!(strip_provenance(file), served);
    let found = info(&sb, "out/a-lighthouse-001.jpg");
    assert_eq!(
        (found["label"].clone(), found["provenance"]["prompt"].clone()),
        (json!("trainedAlgorithmicMedia"), json!("a lighthouse"))
    );
}

#[test]
fn a_webp_carries_its_label_in_an_xmp_chunk_and_a_simple_one_becomes_extended() {
    let mut sb = Sandbox::new();
    let images: Vec<String> = [LOSSY_WEBP, LOSSLESS_WEBP, EXTENDED_WEBP].iter().map(|w| STANDARD.encode(w)).collect();
    let data: Vec<Value> = images.iter().map(|b64| json!({"b64_json": b64})).collect();
    sb.server
        .mock("POST", "/v1/images/generations")
        .with_body(json!({"created": 1, "data": data}).to_string())
        .create();
    let out =
        journaled(&sb).args(["generate", "a kite", "-n", "3", "-m", "gpt-image-2", "-o", "out"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for (n, served, flags) in [(1, LOSSY_WEBP, 0x04), (2, LOSSLESS_WEBP, 0x14), (3, EXTENDED_WEBP, 0x14)] {
        let name = format!("out/a-kite-00{n}.webp");
        let file = read_raw(&sb.path(&name));
        let chunks = webp_chunks(&file);
        let kinds: Vec<&str> = chunks.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!((kinds[0], *kinds.last().unwrap()), ("VP8X", "XMP "), "{name}: {kinds:?}");
        let vp8x = &chunks[0].1;
        assert_eq!(vp8x[0], flags, "{name}: the XMP flag (and alpha where the bitstream has it)");
        let side = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], 0]) + 1;
        assert_eq!((side(&vp8x[4..7]), side(&vp8x[7..10])), (16, 12), "{name}: the canvas");
        let served_chunks = webp_chunks(served);
        let image: Vec<_> = chunks[1..chunks.len() - 1].to_vec();
        let original: Vec<_> = served_chunks.iter().filter(|(k, _)| k != "VP8X").cloned().collect();
        assert_eq!(image, original, "{name}: the bitstream chunks as served");
        assert!(String::from_utf8_lossy(&chunks.last().unwrap().1).contains("a kite"));
        assert_eq!(strip_provenance(file), served, "{name}");
        assert_eq!(info(&sb, &name)["label"], "trainedAlgorithmicMedia", "{name}");
    }
}

#[test]
fn files_carrying_content_credentials_are_saved_byte_for_byte_and_info_says_who_signed() {
    let mut sb = Sandbox::new();
    // One by URL, one as base64 decoded while the answer streams in.
    sb.chat(&chat_answer(&[sb.url("/signed.png"), format!("data:image/jpeg;base64,{}", STANDARD.encode(C2PA_JPEG))]));
    sb.image("/signed.png", C2PA_PNG);
    let out = journaled(&sb).args(["generate", "a signed picture", "-n", "2", "-o", "out", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(read_raw(&sb.path("out/a-signed-picture-001.png")), C2PA_PNG, "the PNG as served");
    assert_eq!(read_raw(&sb.path("out/a-signed-picture-002.jpg")), C2PA_JPEG, "the JPEG as served");
    assert!(
        stderr_of(&out).contains("saved as served, without a label: it carries Content Credentials"),
        "{}",
        stderr_of(&out)
    );
    for file in ["out/a-signed-picture-001.png", "out/a-signed-picture-002.jpg"] {
        let found = info(&sb, file);
        assert_eq!(found["c2pa"], json!({"claim_generator": "wan-test-fixture 1.0"}), "{file}: {found}");
        assert_eq!(found["journal"]["prompt"], "a signed picture", "{file}: its provenance is in the journal");
        assert_eq!(found["label"], Value::Null);
        let text = stdout_of(&journaled(&sb).args(["info", file]).output().unwrap());
        assert!(
            text.contains("credentials Content Credentials (C2PA manifest), made by wan-test-fixture 1.0"),
            "{text}"
        );
    }
    // A signed file wan knows nothing of is still said to be signed.
    std::fs::write(sb.path("elsewhere.png"), C2PA_PNG).unwrap();
    let found =
        sb.wan().env("WAN_STATE_DIR", sb.path("none")).args(["info", "elsewhere.png", "--json"]).output().unwrap();
    assert_eq!(found.status.code(), Some(0));
    assert_eq!(json_line(&found)["c2pa"]["claim_generator"], "wan-test-fixture 1.0");
}

#[test]
fn no_metadata_writes_every_format_as_served() {
    let mut sb = Sandbox::new();
    let (png, jpeg) = (real_png(16, 4), real_jpeg());
    sb.chat(&chat_answer(&[
        sb.url("/1.png"),
        sb.url("/2.jpg"),
        format!("data:image/webp;base64,{}", STANDARD.encode(LOSSY_WEBP)),
    ]));
    sb.image("/1.png", &png);
    sb.image("/2.jpg", &jpeg);
    journaled(&sb).args(["generate", "plain", "-n", "3", "-o", "out", "--no-metadata"]).assert().code(0);
    assert_eq!(read_raw(&sb.path("out/plain-001.png")), png);
    assert_eq!(read_raw(&sb.path("out/plain-002.jpg")), jpeg);
    assert_eq!(read_raw(&sb.path("out/plain-003.webp")), LOSSY_WEBP);
    // The config file's `metadata = false` does the same; the journal still knows the file.
    with_config(&sb, "metadata = false\n")
        .env("WAN_STATE_DIR", sb.path("state"))
        .args(["generate", "plain", "-n", "3", "-o", "again"])
        .assert()
        .code(0);
    assert_eq!(read_raw(&sb.path("again/plain-001.png")), png);
    let found = info(&sb, "again/plain-001.png");
    assert_eq!((found["label"].clone(), found["journal"]["prompt"].clone()), (Value::Null, json!("plain")));
}

#[test]
fn no_prompt_in_file_leaves_the_prompt_out_of_the_label_only() {
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[sb.url("/1.png"), sb.url("/2.jpg")]));
    sb.image("/1.png", &real_png(16, 5));
    sb.image("/2.jpg", &real_jpeg());
    let private = "my secret plan for a surprise party";
    journaled(&sb).args(["generate", private, "-n", "2", "-o", "out", "--no-prompt-in-file"]).assert().code(0);
    with_config(&sb, "prompt_in_file = false\n")
        .env("WAN_STATE_DIR", sb.path("state"))
        .args(["generate", private, "-n", "2", "-o", "cfg"])
        .assert()
        .code(0);
    for file in ["out/my-secret-plan-for-a-surprise-party-001.png", "cfg/my-secret-plan-for-a-surprise-party-002.jpg"] {
        let bytes = read_raw(&sb.path(file));
        assert!(memchr::memmem::find(&bytes, b"secret").is_none(), "{file} holds the prompt");
        assert!(memchr::memmem::find(&bytes, TRAINED.as_bytes()).is_some(), "{file} is still labelled");
        let found = info(&sb, file);
        assert_eq!(found["provenance"]["prompt"], Value::Null, "{file}");
        assert_eq!(found["journal"]["prompt"], private, "{file}: the journal keeps it");
    }
    // Without the journal, info says the file holds no prompt.
    let elsewhere = sb
        .wan()
        .env("WAN_STATE_DIR", sb.path("other"))
        .args(["info", "out/my-secret-plan-for-a-surprise-party-001.png"])
        .output()
        .unwrap();
    assert!(
        stdout_of(&elsewhere).contains("prompt      not in the file (written with --no-prompt-in-file)"),
        "{}",
        stdout_of(&elsewhere)
    );
}

/// A run's late files (fetched by `wan resume`) are saved as the run saved its others: a
/// run that kept the prompt out of its files, or wrote them as served, is resumed so.
#[test]
fn resume_saves_late_files_as_the_run_chose_without_the_prompt_or_as_served() {
    let mut sb = Sandbox::new();
    let private = "my secret plan for a surprise party";
    let served = real_png(16, 9);
    for (flag, folder) in [("--no-prompt-in-file", "private"), ("--no-metadata", "plain")] {
        let gone = sb.server.mock("GET", "/late.png").with_status(404).expect(1).create();
        let api = sb.chat(&chat_answer(&[sb.url("/late.png")]));
        let run = journaled(&sb).args(["generate", private, "-o", folder, flag]).output().unwrap();
        assert_eq!(run.status.code(), Some(7), "{}", stderr_of(&run));
        gone.assert();
        gone.remove();
        api.remove();
        let back = sb.server.mock("GET", "/late.png").with_body(&served).expect(1).create();
        let resumed = journaled(&sb).arg("resume").output().unwrap();
        assert_eq!(resumed.status.code(), Some(0), "{}", stderr_of(&resumed));
        back.assert();
        back.remove();
        let bytes = read_raw(&sb.path(&format!("{folder}/my-secret-plan-for-a-surprise-party-001.png")));
        assert!(memchr::memmem::find(&bytes, b"secret").is_none(), "{flag}: the late file holds the prompt");
        match flag {
            "--no-metadata" => assert_eq!(bytes, served, "{flag}: the late file is as served"),
            _ => assert!(memchr::memmem::find(&bytes, TRAINED.as_bytes()).is_some(), "{flag}: still labelled"),
        }
    }
}

#[test]
fn info_reads_labels_other_tools_wrote_and_older_wan_chunks() {
    let sb = Sandbox::new();
    // An XMP packet as exiftool 12.76 writes one (`exiftool -XMP-iptcExt:DigitalSourceType=…
    // -XMP-dc:Description=…`), in a PNG's iTXt chunk.
    let packet = "<?xpacket begin='\u{FEFF}' id='W5M0MpCehiHzreSzNTczkc9d'?>\n\
        <x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.76'>\n\
        <rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n\
         <rdf:Description rdf:about=''\n  xmlns:dc='http://purl.org/dc/elements/1.1/'>\n\
          <dc:description><rdf:Alt><rdf:li xml:lang='x-default'>a lighthouse at dusk</rdf:li></rdf:Alt></dc:description>\n\
         </rdf:Description>\n\
         <rdf:Description rdf:about=''\n  xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'>\n\
          <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end='w'?>";
    let chunk = |kind: &[u8; 4], data: &[u8]| {
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        [&(data.len() as u32).to_be_bytes()[..], kind, data, &crc.finalize().to_be_bytes()].concat()
    };
    let png = real_png(8, 6);
    let itxt = chunk(b"iTXt", &[b"XML:com.adobe.xmp\0\0\0\0\0".as_slice(), packet.as_bytes()].concat());
    std::fs::write(sb.path("other.png"), [&png[..33], &itxt, &png[33..]].concat()).unwrap();
    let out = sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["info", "other.png"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("label       AI-generated (IPTC digital source type compositeWithTrainedAlgorithmicMedia)"),
        "{text}"
    );
    assert!(text.contains("description a lighthouse at dusk"), "{text}");
    let found = json_line(
        &sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["info", "other.png", "--json"]).output().unwrap(),
    );
    assert_eq!(
        (found["label"].clone(), found["known"].clone()),
        (json!("compositeWithTrainedAlgorithmicMedia"), json!(false))
    );
    // A PNG an older wan labelled with its `wan` chunk.
    let old = json!({"prompt": "red panda", "model": "wan2.7-image", "run": "abc", "request_id": "req_1",
                     "created": "2026-11-01T10:00:00Z", "wan": "0.1.0", "references": []});
    let wan_chunk = chunk(b"iTXt", &[b"wan\0\0\0\0\0".as_slice(), old.to_string().as_bytes()].concat());
    std::fs::write(sb.path("old.png"), [&png[..png.len() - 12], &wan_chunk, &png[png.len() - 12..]].concat()).unwrap();
    let found = json_line(
        &sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["info", "old.png", "--json"]).output().unwrap(),
    );
    assert_eq!(found["provenance"]["source"], "wan chunk");
    assert_eq!(found["provenance"]["request_id"], "req_1");
    assert_eq!(found["known"], true);
}

/// exiftool, which users already have, reads the label and the prompt back. Skipped, saying
/// so, where exiftool is not installed (.ci/run installs it from Debian where it can).
#[test]
fn exiftool_reads_the_label_and_the_prompt_of_each_format() {
    if std::process::Command::new("exiftool").arg("-ver").output().is_err() {
        eprintln!(
            "SKIPPED exiftool_reads_the_label_and_the_prompt_of_each_format: exiftool is not installed (apt-get install libimage-exiftool-perl)"
        );
        return;
    }
    let mut sb = Sandbox::new();
    sb.chat(&chat_answer(&[
        sb.url("/1.png"),
        sb.url("/2.jpg"),
        format!("data:image/webp;base64,{}", STANDARD.encode(LOSSY_WEBP)),
    ]));
    sb.image("/1.png", &real_png(16, 7));
    sb.image("/2.jpg", &real_jpeg());
    sb.wan().args(["generate", "a harbour at dawn", "-n", "3", "-o", "out"]).assert().code(0);
    for file in ["a-harbour-at-dawn-001.png", "a-harbour-at-dawn-002.jpg", "a-harbour-at-dawn-003.webp"] {
        let out = std::process::Command::new("exiftool")
            .args([
                "-j",
                "-XMP-iptcExt:DigitalSourceType",
                "-XMP-iptcExt:AIPromptInformation",
                "-XMP-iptcExt:AISystemUsed",
                "-Warning",
            ])
            .arg(sb.path("out").join(file))
            .output()
            .unwrap();
        let read: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout_of(&out)));
        let read = &read[0];
        assert_eq!(read["DigitalSourceType"], TRAINED, "{file}: {read}");
        assert_eq!(read["AIPromptInformation"], "a harbour at dawn", "{file}: {read}");
        assert_eq!(read["AISystemUsed"], "wan2.7-image", "{file}: {read}");
        // The label goes before IEND, after the image data: where it can wait for the end of
        // the file, so that a C2PA chunk after the data is seen before anything is inserted.
        // exiftool reads it, and says that some readers look only before the data.
        let expected = if file.ends_with(".png") {
            json!("[minor] Text/EXIF chunk(s) found after PNG IDAT (may be ignored by some readers)")
        } else {
            Value::Null
        };
        assert_eq!(read["Warning"], expected, "{file}: {read}");
    }
}

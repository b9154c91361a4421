//! `wan regen`: the request that made a file, read from its label (or the journal) and sent
//! again, byte for byte the same body on the wire; references checked first.

use serde_json::{Value, json};

use crate::support::emulator::Emulator;
use crate::support::tap::Tap;
use crate::support::*;

/// A real PNG of `side`×`side` px (references must be 240 to 8000 px a side).
fn real_png(side: u32, tag: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Rgb);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..side * side * 3).map(|i| (i / 3 % 251) as u8 ^ tag).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    bytes
}

/// The JSON bodies of the POSTs the tap saw.
fn posted(tap: &Tap) -> Vec<Value> {
    tap.requests().iter().filter(|r| r.method == "POST").map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
}

struct World {
    sb: Sandbox,
    _emulator: Emulator,
    tap: Tap,
}

impl World {
    fn new() -> Self {
        let emulator = Emulator::start(&[]);
        let tap = Tap::start(&emulator.base);
        let sb = Sandbox::new();
        std::fs::write(sb.path("ref.png"), real_png(256, 1)).unwrap();
        Self { sb, _emulator: emulator, tap }
    }

    fn wan(&self, args: &[&str]) -> std::process::Output {
        journaled(&self.sb).env("AISA_BASE_URL", self.tap.base()).args(args).output().unwrap()
    }
}

#[test]
fn regen_sends_the_same_request_into_the_file_s_folder() {
    let world = World::new();
    let first = world.wan(&[
        "edit",
        "ref.png",
        "paint it blue",
        "--seed",
        "7",
        "--size",
        "512x512",
        "--param",
        "watermark=false",
        "-o",
        "out",
    ]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let sent = posted(&world.tap);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["seed"].clone(), sent[0]["size"].clone()), (json!(7), json!("512x512")));
    // The model from the environment does not change what regen sends.
    let again = journaled(&world.sb)
        .env("AISA_BASE_URL", world.tap.base())
        .env("WAN_MODEL", "wan2.7-image-pro")
        .args(["regen", "out/paint-it-blue-001.png"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert_eq!(stdout_of(&again), "out/paint-it-blue-002.png\n");
    assert!(summary(&again).starts_with("saved 1 image to out/ · wan2.7-image · 1 × $0.030"), "{}", summary(&again));
    let sent = posted(&world.tap);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1], sent[0], "the same body on the wire, the reference's bytes included");
    // The new file is labelled, as its own run.
    let info = |file: &str| json_line(&world.wan(&["info", file, "--json"]));
    let (old, new) = (info("out/paint-it-blue-001.png"), info("out/paint-it-blue-002.png"));
    assert_eq!(new["provenance"]["params"], old["provenance"]["params"]);
    assert_eq!(new["provenance"]["references"], old["provenance"]["references"]);
    assert_ne!(new["provenance"]["run"], old["provenance"]["run"]);
    assert_eq!(new["journal"]["run"], new["provenance"]["run"]);
    // -n, -o and --dry-run: the same request for more, elsewhere; a dry run sends nothing.
    let dry = world.wan(&["regen", "out/paint-it-blue-002.png", "-n", "3", "-o", "more", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr_of(&dry));
    assert!(stdout_of(&dry).contains("\"seed\": 7") && stdout_of(&dry).contains("\"n\": 3"), "{}", stdout_of(&dry));
    assert_eq!(posted(&world.tap).len(), 2, "a dry run sends nothing");
    let more = world.wan(&["regen", "out/paint-it-blue-002.png", "-n", "2", "-o", "more"]);
    assert_eq!(more.status.code(), Some(0), "{}", stderr_of(&more));
    assert_eq!(sorted_lines(&more), ["more/paint-it-blue-001.png", "more/paint-it-blue-002.png"]);
    let last = posted(&world.tap).pop().unwrap();
    assert_eq!((last["n"].clone(), last["messages"].clone()), (json!(2), sent[0]["messages"].clone()));
}

#[test]
fn a_changed_or_missing_reference_is_refused_and_nothing_is_sent() {
    let world = World::new();
    let first = world.wan(&["edit", "ref.png", "paint it red", "-o", "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let reference = std::fs::canonicalize(world.sb.path("ref.png")).unwrap();
    std::fs::write(&reference, real_png(256, 2)).unwrap();
    let changed = world.wan(&["regen", "out/paint-it-red-001.png"]);
    assert_eq!(changed.status.code(), Some(2), "{}", stderr_of(&changed));
    let expected = format!("reference image {} of out/paint-it-red-001.png has changed", reference.display());
    assert!(stderr_of(&changed).contains(&expected), "{}", stderr_of(&changed));
    std::fs::remove_file(&reference).unwrap();
    let missing = world.wan(&["regen", "out/paint-it-red-001.png", "--dry-run"]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr_of(&missing));
    assert!(
        stderr_of(&missing)
            .contains(&format!("reference image {} of out/paint-it-red-001.png cannot be read", reference.display()))
    );
    assert_eq!(posted(&world.tap).len(), 1, "only the first run's request");
    assert!(world.sb.files("out") == ["paint-it-red-001.png"]);
}

#[test]
fn regen_reads_the_journal_where_the_file_has_no_label_or_no_prompt() {
    let world = World::new();
    assert_eq!(
        world.wan(&["generate", "a quiet lake", "-o", "out", "--no-metadata", "--seed", "3"]).status.code(),
        Some(0)
    );
    assert_eq!(world.wan(&["generate", "a private lake", "-o", "out", "--no-prompt-in-file"]).status.code(), Some(0));
    for file in ["out/a-quiet-lake-001.png", "out/a-private-lake-001.png"] {
        let again = world.wan(&["regen", file]);
        assert_eq!(again.status.code(), Some(0), "{file}: {}", stderr_of(&again));
    }
    let sent = posted(&world.tap);
    assert_eq!(sent[2], sent[0], "from the journal: the same request, its seed included");
    assert_eq!(sent[3], sent[1], "the prompt from the journal");
    // Elsewhere (another journal), a file without a prompt, or unknown, cannot be made again.
    let elsewhere = |file: &str| {
        world.sb.wan().env("WAN_STATE_DIR", world.sb.path("elsewhere")).args(["regen", file]).output().unwrap()
    };
    let private = elsewhere("out/a-private-lake-001.png");
    assert_eq!(private.status.code(), Some(2), "{}", stderr_of(&private));
    assert!(stderr_of(&private).contains("carries no prompt"), "{}", stderr_of(&private));
    let unknown = elsewhere("out/a-quiet-lake-001.png");
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr_of(&unknown));
    assert!(stderr_of(&unknown).contains("wan does not know how it was made"), "{}", stderr_of(&unknown));
    // What regen made of a file without the prompt leaves it out too.
    let private_again = elsewhere("out/a-private-lake-002.png");
    assert_eq!(private_again.status.code(), Some(2), "{}", stderr_of(&private_again));
    // A labelled file needs no journal: its label says it all.
    assert_eq!(world.wan(&["generate", "an open lake", "-o", "out"]).status.code(), Some(0));
    let out = world
        .sb
        .wan()
        .env("WAN_JOURNAL", "off")
        .env("AISA_BASE_URL", world.tap.base())
        .args(["regen", "out/an-open-lake-001.png", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("an open lake"));
}

#[test]
fn seed_is_refused_for_a_model_that_takes_none() {
    let mut sb = Sandbox::new();
    assert_usage_error(&mut sb, &["generate", "x", "-m", "seedream-5-0-260128", "--seed", "1"], "takes no seed");
    assert_usage_error(&mut sb, &["generate", "x", "--seed", "1", "--param", "seed=2"], "both set the seed");
    assert_usage_error(&mut sb, &["generate", "x", "--seed", "2147483648"], "2147483648");
}

/// `--max-cost` covers every file's request together: two files that each fit under it but
/// not both are refused before either is sent; within it, each request carries its share.
#[test]
fn max_cost_covers_all_the_files_together() {
    let world = World::new();
    let first = world.wan(&["generate", "red panda", "-n", "2", "-o", "out"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    let files = ["regen", "out/red-panda-001.png", "out/red-panda-002.png", "-n", "2"];
    let over = world.wan(&[&files[..], &["--max-cost", "0.10"]].concat());
    assert_eq!(over.status.code(), Some(2), "{}", stderr_of(&over));
    assert!(
        stderr_of(&over).contains("these 2 files' requests would cost $0.120 together, more than the limit of $0.100"),
        "{}",
        stderr_of(&over)
    );
    assert_eq!(posted(&world.tap).len(), 1, "nothing is sent");
    let within = world.wan(&[&files[..], &["--max-cost", "0.13"]].concat());
    assert_eq!(within.status.code(), Some(0), "{}", stderr_of(&within));
    let caps: Vec<String> = world
        .tap
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| r.header("x-aisa-max-price-usd"))
        .collect();
    assert_eq!(caps, ["0.065", "0.065"], "the limit shared: $0.060 each and half of what is left");
}

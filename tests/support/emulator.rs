//! `wan emulator` as a fixture: started on a free port, its log collected, stopped on drop; `wan` aimed at it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

use super::Sandbox;

pub struct Emulator {
    child: Child,
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Emulator {
    /// Starts `wan emulator --port 0 ARGS` (64×64 images unless ARGS has a `--size`)
    /// and waits for its base URL.
    pub fn start(args: &[&str]) -> Self {
        let size: &[&str] = if args.contains(&"--size") { &[] } else { &["--size", "64x64"] };
        let mut child = Command::new(cargo_bin!("wan"))
            .env_clear()
            .args(["emulator", "--port", "0"])
            .args(size)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(first.starts_with("http://"), "the emulator did not start: {first:?}");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stderr, sink) = (child.stderr.take().unwrap(), Arc::clone(&log));
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self { child, base: first.trim().to_string(), log }
    }

    /// The request lines logged so far for paths starting with `path`, waiting (up to
    /// 10 s) until there are `at_least`.
    pub fn requests_to(&self, path: &str, at_least: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines: Vec<String> = self
                .log
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.split(' ').nth(1).is_some_and(|p| p.starts_with(path)))
                .cloned()
                .collect();
            if lines.len() >= at_least || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wan` in the sandbox, against the emulator.
pub fn with_emulator(sb: &Sandbox, emulator: &Emulator) -> assert_cmd::Command {
    let mut cmd = sb.wan();
    cmd.env("AISA_BASE_URL", &emulator.base);
    cmd
}

/// The emulator's balance in micro-dollars, as `GET /credits/balance` gives it.
pub fn balance(emulator: &Emulator) -> u64 {
    let answer: Value = super::http()
        .get(format!("{}/credits/balance", emulator.base))
        .header("authorization", "Bearer test")
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["available_balance_micros_usd"].as_u64().unwrap()
}

/// The top-level boxes of an ISO base media file (MP4), as (type, size); the test fails
/// when a box does not fit or the boxes do not end at the last byte.
pub fn iso_boxes(file: &[u8]) -> Vec<(String, usize)> {
    let mut at = 0;
    let mut found = Vec::new();
    while at + 8 <= file.len() {
        let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8 && at + size <= file.len(), "a box that does not fit at byte {at}");
        found.push((String::from_utf8_lossy(&file[at + 4..at + 8]).into_owned(), size));
        at += size;
    }
    assert_eq!(at, file.len(), "the boxes end at the last byte");
    found
}

/// Checks an MP4 as a player would: `ftyp` first with brand `isom` or `mp42` (no
/// QuickTime `qt  `), a `moov` index and an `mdat`; and, where ffprobe is installed, that
/// it reads a video stream of `seconds`. Returns whether ffprobe checked it.
pub fn assert_mp4(file: &[u8], seconds: f64) -> bool {
    let boxes = iso_boxes(file);
    assert_eq!(boxes[0].0, "ftyp", "{boxes:?}");
    assert!(matches!(&file[8..12], b"isom" | b"mp42"), "brand {:?}", String::from_utf8_lossy(&file[8..12]));
    assert!(!file[8..boxes[0].1].windows(4).any(|w| w == b"qt  "), "no QuickTime brand");
    for needed in ["moov", "mdat"] {
        assert!(boxes.iter().any(|(kind, _)| kind == needed), "no {needed} in {boxes:?}");
    }
    let ffprobe = Command::new("ffprobe").arg("-version").output();
    if !ffprobe.is_ok_and(|o| o.status.success()) {
        eprintln!("ffprobe is not installed (apt-get install ffmpeg): the MP4 was checked by its boxes only");
        return false;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    std::fs::write(&path, file).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type:format=duration,format_name"])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && out.stderr.is_empty(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.lines().any(|l| l == "codec_type=video"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("format_name=mov,mp4")), "{text}");
    let duration: f64 = text.lines().find_map(|l| l.strip_prefix("duration=")).unwrap().parse().unwrap();
    assert!((duration - seconds).abs() < 0.01, "{duration} s, not {seconds}");
    true
}

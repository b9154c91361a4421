//! A sandbox per test (scrubbed environment, temp folder, local mockito server), and the helpers cases share.

pub mod emulator;
pub mod jsonrpc;
pub mod pty;
pub mod raw;
pub mod recording;
pub mod tap;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A client to talk to a server directly. wan's reqwest comes with no TLS provider of its
/// own (see Cargo.toml), and building a client without one panics, so ring's is installed
/// first, as the binary's `api::http_client` does (once; later calls find it installed).
pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::new()
}

/// A made-up key; tests check that it never shows up anywhere.
pub const KEY: &str = "sk-aisa-test-5ecret-0123456789";

/// Models of the catalogue, and the paths of the Gemini route, that several modules ask for.
pub const SEEDREAM: &str = "seedream-5-0-260128";
pub const GEMINI: &str = "gemini-3-pro-image-preview";
pub const GEMINI_PATH: &str = "/v1/models/gemini-3-pro-image-preview:generateContent";
pub const GEMINI_BETA_PATH: &str = "/v1beta/models/gemini-3-pro-image-preview:generateContent";

pub struct Sandbox {
    pub dir: TempDir,
    pub server: ServerGuard,
}

impl Sandbox {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap(), server: mockito::Server::new() }
    }

    pub fn api_base(&self) -> String {
        format!("{}/v1", self.server.url())
    }

    /// `wan` with nothing from the caller's environment (no proxies, no real key),
    /// run in the sandbox folder against the sandbox server.
    pub fn wan(&self) -> Command {
        Command::from_std(self.wan_process())
    }

    /// The same, as a plain process, for tests that spawn and signal it.
    pub fn wan_process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(cargo_bin!("wan"));
        cmd.env_clear().current_dir(self.dir.path()).env("AISA_API_KEY", KEY).env("AISA_BASE_URL", self.api_base());
        cmd
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Names of the files in a folder of the sandbox, hidden ones included, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path(rel))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// An image host route that fails the test's expectations if it sees a key.
    pub fn image(&mut self, path: &str, bytes: &[u8]) -> Mock {
        self.server
            .mock("GET", path)
            .match_header("authorization", Matcher::Missing)
            .with_header("content-type", "image/png")
            .with_body(bytes)
            .create()
    }

    /// The chat route answering `answer` to requests whose JSON body contains `part`,
    /// expected exactly `hits` times.
    pub fn chat_when(&mut self, part: Value, answer: &Value, hits: usize) -> Mock {
        self.server
            .mock("POST", "/v1/chat/completions")
            .match_body(Matcher::PartialJson(part))
            .with_body(answer.to_string())
            .expect(hits)
            .create()
    }

    /// The chat route answering 200 with `answer`, whatever the body.
    pub fn chat(&mut self, answer: &Value) -> Mock {
        self.server
            .mock("POST", "/v1/chat/completions")
            .with_header("content-type", "application/json")
            .with_header("x-request-id", "req_hdr_1")
            .with_body(answer.to_string())
            .create()
    }
}

/// `wan` with `WAN_CONFIG` pointing at a file of the sandbox holding `text`.
pub fn with_config(sb: &Sandbox, text: &str) -> Command {
    fs::write(sb.path("config.toml"), text).unwrap();
    let mut cmd = sb.wan();
    cmd.env("WAN_CONFIG", sb.path("config.toml"));
    cmd
}

/// `wan` in the sandbox with its journal in `state/`.
pub fn journaled(sb: &Sandbox) -> assert_cmd::Command {
    let mut cmd = sb.wan();
    cmd.env("WAN_STATE_DIR", sb.path("state"));
    cmd
}

/// `wan ARGS` started against `base`, its journal in `state/`, its output dropped.
pub fn spawn_journaled(sb: &Sandbox, base: &str, args: &[&str]) -> Child {
    sb.wan_process()
        .env("WAN_STATE_DIR", sb.path("state"))
        .env("AISA_BASE_URL", base)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A chat route that must not be called.
pub fn never_called(sb: &mut Sandbox) -> Mock {
    sb.server.mock("POST", "/v1/chat/completions").expect(0).create()
}

/// `wan ARGS` is a usage error (exit 2) whose message holds `needle`, and sends nothing.
pub fn assert_usage_error(sb: &mut Sandbox, args: &[&str], needle: &str) {
    let api = never_called(sb);
    let out = sb.wan().args(args).output().unwrap();
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: expected {needle:?} in {stderr}");
    assert!(stdout_of(&out).is_empty());
    api.assert();
}

/// Bytes shaped like a PNG of `width`×`height` px: magic number, IHDR, `tag` bytes where
/// the image data would be, and the IEND chunk that ends every PNG. Enough for format
/// sniffing, size and completeness checks, and unique per tag so files can be compared.
pub fn png(tag: u8) -> Vec<u8> {
    png_sized(300, 300, tag)
}

pub fn png_sized(width: u32, height: u32, tag: u8) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend_from_slice(&[tag; 32]);
    bytes.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    bytes
}

/// PNG-shaped bytes of about `size` bytes, unique per `tag`: far more base64 than the
/// first bytes of an answer's string that are looked at before it is streamed to a file.
pub fn big_png(size: usize, tag: u8) -> Vec<u8> {
    let mut bytes = png(tag);
    let end = bytes.len() - 12;
    let mut state = u32::from(tag) | 0x9E37_0000;
    bytes.splice(
        end..end,
        (0..size).map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        }),
    );
    bytes
}

/// A JPEG's shape: SOI and a JFIF APP0 segment, `tag` bytes, and the EOI marker.
pub fn jpeg(tag: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
    bytes.extend_from_slice(&[tag; 32]);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A JPEG's first bytes up to a baseline SOF0 frame header claiming `width`×`height`:
/// enough for the client's checks; no real pixels, so the emulator cannot read it.
pub fn jpeg_sized(width: u16, height: u16) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8];
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xFF, 0xD9]);
    bytes
}

/// The seeds' chat answer, one choice per image string.
pub fn chat_answer(images: &[String]) -> Value {
    let choices: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            json!({"index": i, "finish_reason": "stop",
                   "message": {"role": "assistant", "content": [{"type": "image", "image": image}]}})
        })
        .collect();
    json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1776495713, "model": "wan2.7-image",
        "choices": choices,
        "usage": {"prompt_tokens": 104, "completion_tokens": 8, "total_tokens": 112}
    })
}

/// A Gemini answer whose parts are `parts`.
pub fn gemini_answer(parts: Value) -> String {
    json!({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
           "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 1290, "totalTokenCount": 1298},
           "modelVersion": GEMINI})
    .to_string()
}

/// A Gemini answer's part holding `png(tag)` as inline data.
pub fn gemini_image(tag: u8) -> Value {
    json!({"inlineData": {"mimeType": "image/png", "data": STANDARD.encode(png(tag))}})
}

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A stand-in for the system's viewer: it writes its arguments, one a line, to `opened`,
/// and prints on stdout, which must not reach `wan`'s.
pub fn stand_in_viewer(sb: &Sandbox, exit: u8) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = sb.path("bin");
    fs::create_dir_all(&bin).unwrap();
    let name = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let script = bin.join(name);
    let log = sb.path("opened");
    fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$@\" >> '{}'\necho VIEWER-NOISE\nexit {exit}\n", log.display()),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Stdout as one JSON object.
pub fn json_line(out: &std::process::Output) -> Value {
    serde_json::from_str(stdout_of(out).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout_of(out)))
}

/// Stdout as JSON Lines, one object a line.
pub fn json_lines(out: &std::process::Output) -> Vec<Value> {
    stdout_of(out).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
}

/// The last line of stderr: the run's summary.
pub fn summary(out: &std::process::Output) -> String {
    stderr_of(out).lines().last().unwrap_or_default().to_string()
}

/// A saved file's bytes as the service served them: the label `wan` writes into PNG, JPEG
/// and WebP files taken out again (see `read_raw` for the file as is).
pub fn read(path: &Path) -> Vec<u8> {
    strip_provenance(read_raw(path))
}

pub fn read_raw(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `bytes` without the label `wan` wrote, if there is one: a PNG's `iTXt` chunk with keyword
/// `XML:com.adobe.xmp` (or the `wan` chunk of older versions), a JPEG's XMP APP1 segment, a
/// WebP's `XMP ` chunk and its flag (and the `VP8X` chunk `wan` put before a simple file's
/// one bitstream chunk).
pub fn strip_provenance(bytes: Vec<u8>) -> Vec<u8> {
    if bytes.starts_with(b"\x89PNG") {
        return strip_png(bytes);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return strip_jpeg(bytes);
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return strip_webp(bytes);
    }
    bytes
}

fn strip_png(bytes: Vec<u8>) -> Vec<u8> {
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let data = &bytes[(at + 8).min(bytes.len())..];
        if &bytes[at + 4..at + 8] == b"iTXt" && (data.starts_with(b"XML:com.adobe.xmp\0") || data.starts_with(b"wan\0"))
        {
            return [&bytes[..at], &bytes[at + 12 + length..]].concat();
        }
        at += 12 + length;
    }
    bytes
}

fn strip_jpeg(bytes: Vec<u8>) -> Vec<u8> {
    let mut at = 2;
    while at + 4 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] != 0xDA {
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if bytes[at + 1] == 0xE1 && bytes[at + 4..].starts_with(b"http://ns.adobe.com/xap/1.0/\0") {
            return [&bytes[..at], &bytes[at + 2 + length..]].concat();
        }
        at += 2 + length;
    }
    bytes
}

fn strip_webp(bytes: Vec<u8>) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let end = (at + 8 + size + size % 2).min(bytes.len());
        chunks.push(bytes[at..end].to_vec());
        at = end;
    }
    let Some(xmp) = chunks.iter().position(|c| c.starts_with(b"XMP ")) else { return bytes };
    chunks.remove(xmp);
    if chunks[0].starts_with(b"VP8X") {
        chunks[0][8] &= !0x04;
        // A simple file wan made extended: the VP8X chunk goes again.
        let only_flags_wan_sets = chunks[0][8] & !0x10 == 0;
        if chunks.len() == 2
            && only_flags_wan_sets
            && (chunks[1].starts_with(b"VP8 ") || chunks[1].starts_with(b"VP8L"))
        {
            chunks.remove(0);
        }
    }
    let body: Vec<u8> = chunks.concat();
    [b"RIFF".as_slice(), &((body.len() + 4) as u32).to_le_bytes(), b"WEBP", &body].concat()
}

/// Stdout's lines, sorted: paths are printed as each file lands, not in number order.
pub fn sorted_lines(output: &std::process::Output) -> Vec<String> {
    let mut lines: Vec<String> = stdout_of(output).lines().map(String::from).collect();
    lines.sort();
    lines
}

/// The `.part` files in a folder of the sandbox: downloads not yet whole.
pub fn part_files(sb: &Sandbox, rel: &str) -> Vec<String> {
    sb.files(rel).into_iter().filter(|name| name.ends_with(".part")).collect()
}

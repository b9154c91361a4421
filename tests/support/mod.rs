//! A sandbox per test: a scrubbed environment, a temp folder, and a local mockito server.

pub mod emulator;
pub mod raw;
pub mod recording;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin;
use mockito::{Matcher, Mock, ServerGuard};
use serde_json::{Value, json};
use tempfile::TempDir;

/// A made-up key; tests check that it never shows up anywhere.
pub const KEY: &str = "sk-aisa-test-5ecret-0123456789";

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

/// A JPEG's shape: SOI and a JFIF APP0 segment, `tag` bytes, and the EOI marker.
pub fn jpeg(tag: u8) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
    bytes.extend_from_slice(&[tag; 32]);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
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

pub fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A saved file's bytes as the service served them: a PNG's `wan` provenance chunk,
/// which `wan` inserts before `IEND`, taken out again (see `read_raw` for the file as is).
pub fn read(path: &Path) -> Vec<u8> {
    strip_provenance(read_raw(path))
}

pub fn read_raw(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `bytes` without the `iTXt` chunk whose keyword is `wan`, if there is one.
pub fn strip_provenance(bytes: Vec<u8>) -> Vec<u8> {
    let Some(at) = bytes.windows(8).position(|w| &w[4..] == b"iTXt") else { return bytes };
    if !bytes[at + 8..].starts_with(b"wan\0") {
        return bytes;
    }
    let length = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    [&bytes[..at], &bytes[at + 12 + length..]].concat()
}

/// Stdout's lines, sorted: paths are printed as each file lands, not in number order.
pub fn sorted_lines(output: &std::process::Output) -> Vec<String> {
    let mut lines: Vec<String> = stdout_of(output).lines().map(String::from).collect();
    lines.sort();
    lines
}

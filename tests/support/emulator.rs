//! `wan emulator` as a fixture: started on a free port, its log collected, stopped on drop; `wan` aimed at it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use reqwest::blocking::Client;
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
    let answer: Value = Client::new()
        .get(format!("{}/credits/balance", emulator.base))
        .header("authorization", "Bearer test")
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["available_balance_micros_usd"].as_u64().unwrap()
}

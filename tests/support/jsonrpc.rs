//! A raw JSON-RPC client for `wan mcp`: lines of JSON on the child's stdin and stdout, no
//! SDK, so a test sends exactly what an older or careless client sends (a number as a
//! string, say) and reads exactly what the server answers.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

pub struct RawMcp {
    child: Child,
    stdin: Option<ChildStdin>,
    answers: mpsc::Receiver<Value>,
    stderr: Option<std::thread::JoinHandle<String>>,
    next_id: u64,
}

impl RawMcp {
    /// Starts `command` (a `wan mcp …` process) and initializes the session.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wan mcp starts");
        let stdin = child.stdin.take();
        let lines: Lines<BufReader<ChildStdout>> = BufReader::new(child.stdout.take().unwrap()).lines();
        let (sender, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let message: Value =
                    serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON on stdout: {line:?}"));
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
            text
        });
        let mut mcp = Self { child, stdin, answers, stderr: Some(stderr), next_id: 1 };
        let init = mcp.request(
            "initialize",
            json!({"protocolVersion": "2025-03-26", "capabilities": {},
                   "clientInfo": {"name": "raw-json-rpc", "version": "0.15.0"}}),
        );
        assert!(init.get("result").is_some(), "{init}");
        mcp.notify("notifications/initialized");
        mcp
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("the session is open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str) {
        self.send(&json!({"jsonrpc": "2.0", "method": method}));
    }

    /// Sends a request and returns its answer (the whole message: `result` or `error`),
    /// skipping notifications, within 120 s.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.answers.recv_timeout(Duration::from_secs(120)).expect("an answer from wan mcp");
            assert_eq!(message["jsonrpc"], "2.0", "{message}");
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Sends `line` as it is (a careless client's garbage, say) and returns the next
    /// message without an id (a parse error has `id: null`), within 10 s.
    pub fn send_line(&mut self, line: &str) -> Value {
        let stdin = self.stdin.as_mut().expect("the session is open");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
        loop {
            let message = self.answers.recv_timeout(Duration::from_secs(10)).expect("an answer from wan mcp");
            if message.get("id").is_some_and(Value::is_null) {
                return message;
            }
        }
    }

    /// `tools/call`: the call's result (the test fails on a protocol error).
    pub fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        answer.get("result").cloned().unwrap_or_else(|| panic!("{tool}: {answer}"))
    }

    /// `tools/list`: the tools as the server declares them.
    pub fn tools(&mut self) -> Vec<Value> {
        let answer = self.request("tools/list", json!({}));
        answer["result"]["tools"].as_array().cloned().unwrap_or_else(|| panic!("{answer}"))
    }

    /// Closes the session and returns what the server wrote on standard error.
    pub fn stop(mut self) -> String {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "wan mcp ends cleanly at EOF");
        self.stderr.take().unwrap().join().unwrap()
    }
}

impl Drop for RawMcp {
    fn drop(&mut self) {
        if self.stderr.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The text blocks of a result, joined.
pub fn result_text(result: &Value) -> String {
    result["content"].as_array().into_iter().flatten().filter_map(|c| c["text"].as_str()).collect::<Vec<_>>().join("\n")
}

//! `wan` on a terminal: run under util-linux's `script`, which gives it a pseudo-terminal
//! for standard input, output and error, and copies what it wrote (both streams, as a
//! terminal shows them) to its own standard output. Where `script` is missing, the caller
//! skips and says so.

use std::process::{Command, Output};

/// `wan ARGS` on a terminal, with `base` as `wan`'s environment (already scrubbed); `None`
/// where there is no `script` to make one.
pub fn on_terminal(base: &Command, args: &[&str]) -> Option<Output> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux's `script` is not installed, so no terminal can be made");
        return None;
    }
    let quoted: Vec<String> = std::iter::once(base.get_program().to_string_lossy().into_owned())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect();
    let mut script = Command::new("script");
    script.args(["-qec", &quoted.join(" "), "/dev/null"]).env_clear();
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    if let Some(dir) = base.get_current_dir() {
        script.current_dir(dir);
    }
    Some(script.output().unwrap())
}

/// A shell line run on a terminal of a set width under `script`, whose keys can be typed
/// while it runs: what the terminal shows (both streams, and the echo of what was typed)
/// is collected as it comes.
pub struct Typing {
    child: std::process::Child,
    shown: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Typing {
    /// Runs the shell line `line` (where `"$WAN"` is `base`'s program) with `base`'s
    /// environment and folder, on a terminal `cols` columns wide; `None` where there is no
    /// `script`.
    pub fn start(base: &Command, line: &str, cols: u16) -> Option<Self> {
        use std::io::Read;
        if Command::new("script").arg("--version").output().is_err() {
            eprintln!("skipped: util-linux's `script` is not installed, so no terminal can be made");
            return None;
        }
        let line = format!("stty cols {cols} rows 40; {line}");
        let mut script = Command::new("script");
        script.args(["-qec", &line, "/dev/null"]).env_clear().env("WAN", base.get_program());
        for (key, value) in base.get_envs() {
            if let Some(value) = value {
                script.env(key, value);
            }
        }
        if let Some(dir) = base.get_current_dir() {
            script.current_dir(dir);
        }
        let mut child = script
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = std::sync::Arc::clone(&shown);
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = out.read(&mut chunk) {
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Some(Self { child, shown, reader: Some(reader) })
    }

    /// What the terminal was sent so far, as text.
    pub fn shown(&self) -> String {
        String::from_utf8_lossy(&self.shown.lock().unwrap()).into_owned()
    }

    /// Waits (up to 20 s) until the terminal has been sent `text`.
    pub fn wait_for(&self, text: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !self.shown().contains(text) {
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {text:?} in {:?}", self.shown());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Types `keys` at the terminal, as a user would (`"\x03"` is Ctrl-C).
    pub fn type_keys(&mut self, keys: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(keys.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (up to 30 s) for the line to end: its exit code, and all the terminal was sent.
    pub fn finish(mut self) -> (Option<i32>, String) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the terminal's line did not end: {:?}", self.shown());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        drop(self.child.stdin.take());
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code(), self.shown())
    }
}

impl Drop for Typing {
    fn drop(&mut self) {
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What a terminal `cols` columns wide shows once it has been sent `sent`, line by line
/// (trailing blanks cut, the last blank lines left out): the sequences wan's progress
/// bars and console use (carriage return, line feed, backspace, cursor moves, erasing
/// within a line), colours ignored, each character one column wide. As terminals do, a
/// character written in the last column leaves the cursor there, and the next character
/// starts a new line.
pub fn screen(sent: &str, cols: usize) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = sent.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => row += 1,
            '\x08' => col = col.min(cols - 1).saturating_sub(1),
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut params = String::new();
                let mut end = None;
                for c in chars.by_ref() {
                    if c.is_ascii_digit() || c == ';' || c == '?' {
                        params.push(c);
                    } else {
                        end = Some(c);
                        break;
                    }
                }
                let n = params.trim_start_matches('?').parse::<usize>().unwrap_or(0);
                match end {
                    Some('A') => (row, col) = (row.saturating_sub(n.max(1)), col.min(cols - 1)),
                    Some('B') => (row, col) = (row + n.max(1), col.min(cols - 1)),
                    Some('C') => col = (col + n.max(1)).min(cols - 1),
                    Some('D') => col = col.min(cols - 1).saturating_sub(n.max(1)),
                    Some('G') => col = n.clamp(1, cols) - 1,
                    Some('K') => {
                        lines.resize_with(lines.len().max(row + 1), Vec::new);
                        let text = &mut lines[row];
                        match n {
                            0 => text.truncate(col),
                            1 => text.iter_mut().take(col + 1).for_each(|c| *c = ' '),
                            _ => text.clear(),
                        }
                    }
                    _ => {}
                }
            }
            '\x1b' => {
                chars.next();
            }
            c if c.is_control() => {}
            c => {
                if col >= cols {
                    (row, col) = (row + 1, 0);
                }
                lines.resize_with(lines.len().max(row + 1), Vec::new);
                let text = &mut lines[row];
                text.resize(text.len().max(col + 1), ' ');
                text[col] = c;
                col += 1;
            }
        }
    }
    let mut shown: Vec<String> =
        lines.into_iter().map(|l| l.into_iter().collect::<String>().trim_end().to_string()).collect();
    while shown.last().is_some_and(String::is_empty) {
        shown.pop();
    }
    shown
}

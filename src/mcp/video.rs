//! `create_video` and `video_status` (only with `--allow-video`): each call runs the very
//! `wan video` command a user would type, as a child process of this same binary, with
//! its standard output captured as the tool's result — the CLI's code, not a second one,
//! and a stdout that carries nothing but JSON-RPC for the server.
//!
//! The child's standard error is read too: its `wan: error: …` and `hint: …` lines become
//! the tool error's message and hint (an agent cannot read the server's log), and the
//! rest is passed on to the log, without the error of a task that is merely still running.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::Value;

use super::Context;
use super::params::{CreateVideo, Resolution, VideoStatus};
use crate::error::{Error, Kind};
use crate::outcome::Outcome;

/// What `wan video … --json` prints for a call is small; more is not ours.
const MAX_OUTPUT: u64 = 1 << 20;

/// How a video call ended, and its `--json` objects (one per task).
pub struct Ran {
    pub outcome: Outcome,
    pub results: Vec<Value>,
}

/// `wan video create --no-wait`: the task id at once (a tool call must not block for
/// minutes); the task is in the journal.
pub fn create(context: &Context, params: CreateVideo) -> Result<Ran, Error> {
    if params.prompt == "-" || params.image.as_deref() == Some("-") {
        return Err(Error::usage("\"-\" would mean standard input, which carries the MCP protocol here"));
    }
    let mut argv = vec![OsString::from("video"), "create".into(), "--no-wait".into()];
    argv.extend(common(context));
    if let Some(model) = params.model {
        argv.push(format!("--model={model}").into());
    }
    if let Some(resolution) = params.resolution {
        let text = match resolution {
            Resolution::P720 => "720P",
            Resolution::P1080 => "1080P",
        };
        argv.push(format!("--resolution={text}").into());
    }
    if let Some(duration) = params.duration {
        argv.push(format!("--duration={duration}").into());
    }
    if let Some(image) = params.image {
        argv.push(format!("--image={image}").into());
    }
    argv.push("--".into());
    argv.push(params.prompt.into());
    run(argv)
}

/// One short wait on the task: its clip saved under `--out` when it is done; a task
/// still running (exit 8) is a normal answer saying so.
pub fn status(context: &Context, params: VideoStatus) -> Result<Ran, Error> {
    let mut argv = vec![OsString::from("video"), "wait".into(), "--wait-timeout=1".into()];
    argv.extend(common(context));
    argv.push("--".into());
    argv.push(params.task_id.into());
    let mut ran = run(argv)?;
    // Still running when the short wait ran out: a normal answer saying so, not a failure,
    // and with no error in it (the child's is "not finished after 1 s", a wait's own).
    if ran.outcome == Outcome::Failed(Kind::Pending) {
        ran.outcome = Outcome::Success;
        for task in &mut ran.results {
            if task["state"] == "running" && task["error"]["kind"] == "pending" {
                task["error"] = Value::Null;
            }
        }
    }
    Ok(ran)
}

/// What a child `wan` said on standard error: its error and hint, and its other lines.
#[derive(Debug, Default, PartialEq, Eq)]
struct Said {
    error: Option<String>,
    hint: Option<String>,
    other: Vec<String>,
}

impl Said {
    /// Reads the lines `wan` writes (`wan: error: …`, `  hint: …`, clap's `error: …`),
    /// colour codes removed.
    fn read(text: &str) -> Self {
        let mut said = Self::default();
        for line in text.lines() {
            let line = strip_ansi(line);
            let trimmed = line.trim();
            if let Some(message) = trimmed.strip_prefix("wan: error: ").or_else(|| trimmed.strip_prefix("error: ")) {
                said.error = Some(message.to_string());
                said.hint = None;
            } else if let Some(hint) = trimmed.strip_prefix("hint: ").filter(|_| said.error.is_some()) {
                said.hint = Some(hint.to_string());
            } else if !trimmed.is_empty() {
                said.other.push(line);
            }
        }
        said
    }
}

/// `text` without ANSI colour sequences (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// JSON out, no progress or summary (stderr is the server's log), the server's folder; and
/// offline where the server is (`--offline`, `WAN_OFFLINE`, `offline = true`): the child
/// is a process of its own, which the emulator inside this one does not reach, so it starts
/// its own, and follows the tasks every offline `wan` keeps in the state folder.
fn common(context: &Context) -> Vec<OsString> {
    let mut out = OsString::from("--out=");
    out.push(context.root.path().as_os_str());
    let mut argv = vec!["--json".into(), "--quiet".into(), out];
    if context.env.offline {
        argv.push("--offline".into());
    }
    argv
}

fn run(argv: Vec<OsString>) -> Result<Ran, Error> {
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find wan itself", &e))?;
    let mut child = Command::new(exe)
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The child decides colour from its own stderr, a pipe; this makes sure of it.
        .env("NO_COLOR", "1")
        .spawn()
        .map_err(|e| Error::io("cannot start wan video", &e))?;
    // Standard error is read beside standard output, so that neither pipe fills and stalls the child.
    let stderr = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            // Read to the end, whatever its length, so the child never blocks on a full
            // pipe; only the first MAX_OUTPUT bytes are kept.
            let mut text = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if text.len() < MAX_OUTPUT as usize {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
            text
        })
    });
    let mut printed = Vec::new();
    if let Some(mut stdout) = child.stdout.take() {
        (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut printed).map_err(|e| Error::io("cannot read wan video", &e))?;
        // Past the limit, the rest is read and dropped, so the child is not left blocked.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    }
    let status = child.wait().map_err(|e| Error::io("wan video did not end", &e))?;
    let said = Said::read(&stderr.and_then(|t| t.join().ok()).unwrap_or_default());
    let results: Vec<Value> =
        String::from_utf8_lossy(&printed).lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let outcome = match status.code() {
        Some(0) => Outcome::Success,
        Some(code) => Outcome::Failed(Kind::from_exit_code(code)),
        None => Outcome::Failed(Kind::Other),
    };
    // The log: what the child said, but not the "error" of a task still running, which
    // `video_status` answers as a normal result.
    let ui = crate::term::ui::Ui::default();
    for line in &said.other {
        ui.warn(&format!("mcp: {}", crate::error::clean(line.trim_start_matches("wan: "))));
    }
    if outcome != Outcome::Failed(Kind::Pending)
        && let Some(error) = &said.error
    {
        ui.warn(&format!("mcp: wan {}: {}", argv_command(&argv), crate::error::clean(error)));
    }
    if results.is_empty() && outcome != Outcome::Success {
        let kind = Kind::from_exit_code(status.code().unwrap_or(1));
        let message =
            said.error.map_or_else(|| format!("wan {} failed", argv_command(&argv)), |e| crate::error::clean(&e));
        let error = Error::new(kind, message);
        return Err(match said.hint {
            Some(hint) => error.with_hint(crate::error::clean(&hint)),
            None => error,
        });
    }
    Ok(Ran { outcome, results })
}

/// `video create`, `video wait`: the command a child ran, for the log.
fn argv_command(argv: &[OsString]) -> String {
    argv.iter().take(2).map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_s_error_and_hint_are_read_from_its_stderr() {
        let text = "wan: a note\nwan: \x1b[1;31merror\x1b[0m: wan2.7-i2v makes a video from a first frame\n  hint: add --image FILE|URL\n";
        let said = Said::read(text);
        assert_eq!(said.error.as_deref(), Some("wan2.7-i2v makes a video from a first frame"));
        assert_eq!(said.hint.as_deref(), Some("add --image FILE|URL"));
        assert_eq!(said.other, ["wan: a note"]);
        let clap =
            Said::read("error: invalid value '0' for '--duration <SECS>'\n\nFor more information, try '--help'.\n");
        assert_eq!(clap.error.as_deref(), Some("invalid value '0' for '--duration <SECS>'"));
    }
}

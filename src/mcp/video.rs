//! `create_video` and `video_status` (only with `--allow-video`): each call runs the very
//! `wan video` command a user would type, as a child process of this same binary, with
//! its standard output captured as the tool's result — the CLI's code, not a second one,
//! and a stdout that carries nothing but JSON-RPC for the server.

use std::ffi::OsString;
use std::io::Read;
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
    if ran.outcome == Outcome::Failed(Kind::Pending) {
        ran.outcome = Outcome::Success;
    }
    Ok(ran)
}

/// JSON out, no progress or summary (stderr is the server's log), the server's folder.
fn common(context: &Context) -> Vec<OsString> {
    let mut out = OsString::from("--out=");
    out.push(context.root.path().as_os_str());
    vec!["--json".into(), "--quiet".into(), out]
}

fn run(argv: Vec<OsString>) -> Result<Ran, Error> {
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find wan itself", &e))?;
    let mut child = Command::new(exe)
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io("cannot start wan video", &e))?;
    let mut printed = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout.take(MAX_OUTPUT).read_to_end(&mut printed).map_err(|e| Error::io("cannot read wan video", &e))?;
    }
    let status = child.wait().map_err(|e| Error::io("wan video did not end", &e))?;
    let results: Vec<Value> =
        String::from_utf8_lossy(&printed).lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let outcome = match status.code() {
        Some(0) => Outcome::Success,
        Some(code) => Outcome::Failed(Kind::from_exit_code(code)),
        None => Outcome::Failed(Kind::Other),
    };
    if results.is_empty() && outcome != Outcome::Success {
        return Err(Error::new(
            Kind::from_exit_code(status.code().unwrap_or(1)),
            "wan video failed; see the server's log",
        ));
    }
    Ok(Ran { outcome, results })
}

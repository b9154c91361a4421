//! `create_video` and `video_status`: offered only with `--allow-video`, and answered with a
//! plain failure while this build has no `wan video` to run them with.
//!
//! Wiring them (for whoever merges `wan video`): make each call the command line below,
//! parse it with clap as `images.rs` does, and run the same code `wan video create` /
//! `wan video wait` run, with its standard output captured (`report::Capture`); the
//! captured `--json` object is the tool's structured result and its saved file gets a
//! resource link, as for images.
//! - `create_video`: `wan video create --no-wait --json --quiet --out=<--out> [--model=M]
//!   [--resolution=R] [--duration=S] [--image=REF] -- PROMPT`: returns the task id at once
//!   (a tool call must not block for minutes); the task is in the journal.
//! - `video_status`: one look at the task (`wan video wait TASK --json --quiet` with the
//!   shortest `--wait-timeout`), saving the video under `--out` when it is done; a task
//!   still running (exit 8) is a normal result saying so, not an error.

use crate::error::{Error, Kind};

/// What a video tool answers in this build: nothing is sent, and the agent is told why.
pub fn not_in_this_build() -> Error {
    Error::new(Kind::Other, "video is not available in this build of wan: it has no `wan video` yet")
        .with_hint("nothing was sent; make images with generate_image, or update wan")
}

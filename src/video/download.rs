//! A finished task's clip to a file: streamed from its short-lived link (without the key),
//! checked to be a video by its first bytes and whole by its own structure, and moved to
//! `DIR/STEM-NNN.EXT` only then: whole or not at all, never over another file.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use reqwest::blocking::Client;

use crate::error::{Error, Kind, root_cause};
use crate::files::digest::Sha256Hex;
use crate::files::fetch::{Failed, get_link, permanent, retrying_download, transient};
use crate::files::format::describe_non_image;
use crate::files::output::{OutputDir, PartFile};
use crate::files::video_format::{SNIFF_LEN, VideoFormat, Wholeness};
use crate::retry::Verdict;
use crate::term::progress::Tick;

/// No clip the service makes comes near this (a 1080P clip of 10 s is tens of MB); a
/// body that does is not a clip.
pub const MAX_VIDEO_BYTES: u64 = 2 << 30;
const CHUNK: usize = 64 * 1024;

/// A clip in place.
#[derive(Clone, Debug)]
pub struct SavedClip {
    /// As printed: `DIR/NAME` with `DIR` as the user named it.
    pub path: PathBuf,
    pub absolute: PathBuf,
    pub format: VideoFormat,
    pub bytes: u64,
    pub sha256: String,
}

/// Downloads `url` into `out` as `STEM-NNN.EXT`. A link that answers as expired ones do
/// is an error tagged [`Tag::LinkExpired`]; any other failure leaves no file behind.
pub fn save(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &OutputDir,
    stem: &str,
    on_tick: &dyn Fn(Tick),
) -> Result<SavedClip, Error> {
    let number = out.reserve(stem, 1)?;
    let mut part = out.begin()?;
    let fetched = retrying_download(&mut part, |part, first| once(http, url, timeout, part, on_tick, first))?;
    let (path, absolute) = out.commit(part, stem, number, fetched.format, &mut |_, _| {})?;
    Ok(SavedClip { path, absolute, format: fetched.format, bytes: fetched.bytes, sha256: fetched.sha256 })
}

struct Fetched {
    format: VideoFormat,
    bytes: u64,
    sha256: String,
}

fn once(
    http: &Client,
    url: &str,
    timeout: Duration,
    part: &mut PartFile,
    on_tick: &dyn Fn(Tick),
    first: bool,
) -> Result<Fetched, Failed> {
    let expired =
        |status| Error::new(Kind::Other, format!("download failed: HTTP {status}: the video's link has expired"));
    let mut response = get_link(http, url, timeout, expired)?;
    if let Some(size) = response.content_length().filter(|_| first) {
        on_tick(Tick::Expected(size));
    }
    // The bytes before the format is known (the first few), then fed to the check at once.
    let (mut early, mut format, mut whole) = (Vec::with_capacity(CHUNK), None, Wholeness::new());
    let (mut sha256, mut written) = (Sha256Hex::default(), 0u64);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(transient(format!("the download was cut short: {}", root_cause(&e)))),
        };
        let chunk = &buf[..n];
        match format {
            Some(known) => whole.feed(known, chunk),
            None => {
                early.extend_from_slice(chunk);
                if early.len() >= SNIFF_LEN {
                    let known = sniffed(&early[..SNIFF_LEN])?;
                    whole.feed(known, &early);
                    early = Vec::new();
                    format = Some(known);
                }
            }
        }
        written += n as u64;
        if written > MAX_VIDEO_BYTES {
            return Err(permanent(format!("the video's link returned over {} GB; not a video", MAX_VIDEO_BYTES >> 30)));
        }
        sha256.update(chunk);
        part.write_all(chunk).map_err(|e| Verdict::Fail(Error::io("cannot write the video", &e)))?;
        on_tick(Tick::Written(n as u64));
    }
    let format = match format {
        Some(format) => format,
        None => sniffed(&early)?,
    };
    if !whole.is_whole(format) {
        return Err(transient(format!("the download was cut short: the {} video ends early", format.extension())));
    }
    Ok(Fetched { format, bytes: written, sha256: sha256.finish() })
}

fn sniffed(head: &[u8]) -> Result<VideoFormat, Failed> {
    VideoFormat::sniff(head).ok_or_else(|| {
        let what = match describe_non_image(head) {
            "bytes of no known image format" => "bytes of no known video format",
            other => other,
        };
        permanent(format!("the video's link returned {what} instead of a video"))
    })
}

//! Image bytes from where the answer put them: streamed from a short-lived URL, or decoded from base64.

use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::blocking::Client;

use crate::api::retry::{self, Policy, Verdict};
use crate::error::{Error, Kind, Tag, root_cause};
use crate::format::{self, ImageFormat, SNIFF_LEN, TAIL_LEN};
use crate::output::PartFile;
use crate::provenance::IEND;
use sha2::{Digest, Sha256};

/// No generated image comes near this; a body that does is not an image.
pub const MAX_IMAGE_BYTES: u64 = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// What a download or decode tells progress as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// The image will be about this many bytes (from `Content-Length`, or the base64's length).
    Expected(u64),
    /// This many more bytes were written.
    Written(u64),
}

/// What was written: the format found from the first bytes, how many bytes the file
/// holds, and their SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub format: ImageFormat,
    pub bytes: u64,
    pub sha256: String,
}

/// Where an image's bytes go: the part file, progress, and the provenance chunk a PNG
/// gets before its `IEND` (none with `--no-metadata`).
pub struct Destination<'a> {
    pub out: &'a mut PartFile,
    pub on_tick: &'a dyn Fn(Tick),
    pub provenance: Option<Vec<u8>>,
}

type Failed = Verdict<Error>;

/// A failure worth another try: the link may still answer.
fn transient(message: String) -> Failed {
    Verdict::Retry { error: Error::new(Kind::Service, message), server_delay: None }
}

fn permanent(message: String) -> Failed {
    Verdict::Fail(Error::new(Kind::Other, message))
}

/// A link that answers as expired links do: the image cannot be had any more.
fn expired(status: u16) -> Failed {
    Verdict::Fail(
        Error::new(
            Kind::Other,
            format!("download failed: HTTP {status}: the link has expired; this paid image cannot be fetched any more"),
        )
        .with_hint("the link was")
        .tagged(Tag::LinkExpired),
    )
}

/// Streams `url` into `out`, checking it is an image as it arrives. Carries no
/// credentials: image hosts never see the API key.
/// `on_tick` hears of the expected size and every chunk written, for progress.
pub fn download(http: &Client, url: &str, timeout: Duration, to: &mut Destination) -> Result<Fetched, Error> {
    let mut attempts = 0;
    let mut attempt = || {
        attempts += 1;
        if attempts > 1 {
            to.out.rewind().map_err(|e| Verdict::Fail(Error::io("cannot restart the download", &e)))?;
        }
        download_once(http, url, timeout, to, attempts == 1)
    };
    retry::retrying(Policy::DOWNLOADS, &mut attempt, |_, _, _| Ok(()))
}

/// One try; only the first tells progress the expected size.
fn download_once(
    http: &Client,
    url: &str,
    timeout: Duration,
    to: &mut Destination,
    first: bool,
) -> Result<Fetched, Failed> {
    let mut response =
        http.get(url).timeout(timeout).send().map_err(|e| transient(format!("download failed: {}", root_cause(&e))))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        408 | 429 | 500..=599 => return Err(transient(format!("download failed: HTTP {status}"))),
        403 | 404 | 410 => return Err(expired(status)),
        _ => return Err(permanent(format!("download failed: HTTP {status}"))),
    }
    if let Some(size) = response.content_length().filter(|_| first) {
        (to.on_tick)(Tick::Expected(size));
    }
    let mut sink = Sink::new(to);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(transient(format!("the download was cut short: {}", root_cause(&e)))),
        };
        sink.write(&buf[..n]).map_err(|e| e.into_failed("the image URL returned"))?;
    }
    sink.finish().map_err(|e| e.into_failed("the image URL returned"))
}

/// Where image bytes go as they arrive: checked to be an image from the first bytes,
/// capped in size, written to the part file, and checked to be whole at the end.
struct Sink<'a, 'b> {
    to: &'a mut Destination<'b>,
    /// The last bytes written, held back while a provenance chunk may have to go before them.
    held: Vec<u8>,
    sha256: Sha256,
    head: Vec<u8>,
    tail: Vec<u8>,
    format: Option<ImageFormat>,
    written: u64,
}

/// Why bytes are not a savable image.
enum Refused {
    NotAnImage(&'static str),
    TooLarge,
    Incomplete(ImageFormat),
    Write(std::io::Error),
}

impl Refused {
    /// As a download failure: only a body cut short is worth fetching again.
    fn into_failed(self, source: &str) -> Failed {
        match self {
            Self::Incomplete(format) => {
                transient(format!("the download was cut short: the {} image ends early", format.extension()))
            }
            other => permanent(other.describe(source)),
        }
    }

    fn describe(&self, source: &str) -> String {
        match self {
            Self::NotAnImage(what) => format!("{source} {what} instead of an image"),
            Self::TooLarge => format!("{source} over {} MB; not an image", MAX_IMAGE_BYTES >> 20),
            Self::Incomplete(format) => format!("{source} a {} image that is cut short", format.extension()),
            Self::Write(e) => format!("cannot write the image: {e}"),
        }
    }
}

impl<'a, 'b> Sink<'a, 'b> {
    fn new(to: &'a mut Destination<'b>) -> Self {
        Self {
            to,
            held: Vec::with_capacity(2 * IEND.len()),
            sha256: Sha256::new(),
            head: Vec::with_capacity(SNIFF_LEN),
            tail: Vec::with_capacity(2 * TAIL_LEN),
            format: None,
            written: 0,
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), Refused> {
        if self.format.is_none() {
            // Until the format is known, `head` holds fewer than SNIFF_LEN bytes.
            let wanted = SNIFF_LEN - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(wanted)]);
            if self.head.len() >= SNIFF_LEN {
                self.format = Some(self.sniffed()?);
            }
        }
        self.tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_LEN)..]);
        self.tail.drain(..self.tail.len().saturating_sub(TAIL_LEN));
        self.written += chunk.len() as u64;
        if self.written > MAX_IMAGE_BYTES {
            return Err(Refused::TooLarge);
        }
        if self.to.provenance.is_some() {
            // Hold back the last 12 bytes: if they are a PNG's IEND, the chunk goes first.
            self.held.extend_from_slice(chunk);
            let ready = self.held.len().saturating_sub(IEND.len());
            let (now, _) = self.held.split_at(ready);
            Self::put(self.to, &mut self.sha256, now)?;
            self.held.drain(..ready);
        } else {
            Self::put(self.to, &mut self.sha256, chunk)?;
        }
        (self.to.on_tick)(Tick::Written(chunk.len() as u64));
        Ok(())
    }

    fn put(to: &mut Destination, sha256: &mut Sha256, bytes: &[u8]) -> Result<(), Refused> {
        sha256.update(bytes);
        to.out.write_all(bytes).map_err(Refused::Write)
    }

    fn sniffed(&self) -> Result<ImageFormat, Refused> {
        ImageFormat::sniff(&self.head).ok_or_else(|| Refused::NotAnImage(format::describe_non_image(&self.head)))
    }

    fn finish(mut self) -> Result<Fetched, Refused> {
        let format = match self.format {
            Some(format) => format,
            None => self.sniffed()?,
        };
        if !format.is_complete(&self.head, &self.tail, self.written) {
            return Err(Refused::Incomplete(format));
        }
        let mut bytes = self.written;
        if let Some(chunk) = self.to.provenance.take()
            && format == ImageFormat::Png
            && self.held == IEND
        {
            Self::put(self.to, &mut self.sha256, &chunk)?;
            bytes += chunk.len() as u64;
        }
        Self::put(self.to, &mut self.sha256, &self.held)?;
        let sha256 = self.sha256.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Fetched { format, bytes, sha256 })
    }
}

/// Decodes a base64 image from the answer into `out`, a slice at a time, so memory stays
/// small whatever the image's size. Standard or URL-safe alphabet, padded or not, line
/// breaks allowed.
pub fn decode(payload: &str, to: &mut Destination) -> Result<Fetched, Error> {
    let invalid = || Error::new(Kind::Other, "an image in the answer is not valid base64");
    (to.on_tick)(Tick::Expected(payload.len() as u64 / 4 * 3));
    let mut sink = Sink::new(to);
    let refused = |e: Refused| Error::new(Kind::Other, e.describe("the answer's base64 holds"));
    base64_slices(payload, &mut |bytes| sink.write(bytes).map_err(refused))?.ok_or_else(invalid)?;
    sink.finish().map_err(refused)
}

/// Feeds the decoded bytes of `payload` to `write` a slice at a time; `Ok(None)` if the
/// payload is not base64.
fn base64_slices(payload: &str, write: &mut dyn FnMut(&[u8]) -> Result<(), Error>) -> Result<Option<()>, Error> {
    const SLICE: usize = 64 * 1024;
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let url_safe = payload.bytes().any(|b| b == b'-' || b == b'_');
    let engine =
        GeneralPurpose::new(if url_safe { &base64::alphabet::URL_SAFE } else { &base64::alphabet::STANDARD }, config);
    let mut pending: Vec<u8> = Vec::with_capacity(SLICE + 8);
    let mut decoded = vec![0u8; SLICE];
    let mut slices = payload.as_bytes().chunks(SLICE).peekable();
    while let Some(slice) = slices.next() {
        // Line breaks are rare: copy the slice whole unless it has some.
        if slice.iter().any(u8::is_ascii_whitespace) {
            pending.extend(slice.iter().filter(|b| !b.is_ascii_whitespace()));
        } else {
            pending.extend_from_slice(slice);
        }
        let last = slices.peek().is_none();
        // Whole groups of 4 only, and the final group (which may be padded) at the very end.
        let ready = if last { pending.len() } else { (pending.len() / 4).saturating_sub(1) * 4 };
        if ready == 0 {
            continue;
        }
        let n = match engine.decode_slice(&pending[..ready], &mut decoded) {
            Ok(n) => n,
            Err(_) => return Ok(None),
        };
        write(&decoded[..n])?;
        pending.drain(..ready);
    }
    Ok(Some(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(payload: &str) -> Option<Vec<u8>> {
        let mut all = Vec::new();
        base64_slices(payload, &mut |bytes| {
            all.extend_from_slice(bytes);
            Ok(())
        })
        .unwrap()
        .map(|()| all)
    }

    #[test]
    fn decodes_padded_unpadded_wrapped_and_url_safe_base64() {
        // "\x89PNG" base64 is "iVBORw==", unpadded "iVBORw"
        let png = b"\x89PNG".to_vec();
        assert_eq!(decoded("iVBORw==").unwrap(), png);
        assert_eq!(decoded("iVBORw").unwrap(), png);
        assert_eq!(decoded("iVBO\nRw==\n").unwrap(), png);
        assert_eq!(decoded("_-8").unwrap(), vec![0xFF, 0xEF]);
    }

    #[test]
    fn decodes_large_payloads_across_slices_whatever_the_line_breaks() {
        use base64::engine::general_purpose::STANDARD;
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let plain = STANDARD.encode(&bytes);
        assert_eq!(decoded(&plain).unwrap(), bytes);
        let wrapped: String =
            plain.as_bytes().chunks(76).map(|l| format!("{}\r\n", String::from_utf8_lossy(l))).collect();
        assert_eq!(decoded(&wrapped).unwrap(), bytes);
    }

    #[test]
    fn refuses_what_is_not_base64() {
        assert!(decoded("not base64 at all!").is_none());
        assert!(decoded("iV@BORw").is_none());
        assert!(decoded("iVBO=Rw==").is_none());
    }
}

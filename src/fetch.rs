//! Image bytes from where the answer put them: streamed from a short-lived URL, or decoded from base64.

use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::blocking::Client;

use crate::api::retry::{self, Policy, Verdict};
use crate::error::{Error, Kind, root_cause};
use crate::format::{self, ImageFormat, SNIFF_LEN, TAIL_LEN};
use crate::output::PartFile;

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

/// What was written: the format found from the first bytes, and how many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub format: ImageFormat,
    pub bytes: u64,
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
        .with_hint("the link was"),
    )
}

/// Streams `url` into `out`, checking it is an image as it arrives. Carries no
/// credentials: image hosts never see the API key.
/// `on_tick` hears of the expected size and every chunk written, for progress.
pub fn download(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &mut PartFile,
    on_tick: &dyn Fn(Tick),
) -> Result<Fetched, Error> {
    let mut attempts = 0;
    // The expected size is told once, whatever the number of attempts.
    let told_once = |tick: Tick| {
        if !matches!(tick, Tick::Expected(_)) {
            on_tick(tick);
        }
    };
    let mut attempt = || {
        attempts += 1;
        if attempts > 1 {
            out.rewind().map_err(|e| Verdict::Fail(Error::io("cannot restart the download", &e)))?;
            return download_once(http, url, timeout, out, &told_once);
        }
        download_once(http, url, timeout, out, on_tick)
    };
    retry::retrying(Policy::DOWNLOADS, &mut attempt, |_, _, _| Ok(()))
}

fn download_once(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &mut PartFile,
    on_tick: &dyn Fn(Tick),
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
    if let Some(size) = response.content_length() {
        on_tick(Tick::Expected(size));
    }
    let mut sink = Sink::new(&mut *out, on_tick);
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(transient(format!("the download was cut short: {}", root_cause(&e)))),
        };
        sink.write(&buf[..n]).map_err(|e| e.into_failed("the image URL returned"))?;
    }
    sink.finish().map(|(_, fetched)| fetched).map_err(|e| e.into_failed("the image URL returned"))
}

/// Where image bytes go as they arrive: checked to be an image from the first bytes,
/// capped in size, written to `out` (the part file), and checked to be whole at the end.
struct Sink<'a, W> {
    out: W,
    on_tick: &'a dyn Fn(Tick),
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

impl<'a, W: Write> Sink<'a, W> {
    fn new(out: W, on_tick: &'a dyn Fn(Tick)) -> Self {
        Self {
            out,
            on_tick,
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
        self.out.write_all(chunk).map_err(Refused::Write)?;
        (self.on_tick)(Tick::Written(chunk.len() as u64));
        Ok(())
    }

    fn sniffed(&self) -> Result<ImageFormat, Refused> {
        ImageFormat::sniff(&self.head).ok_or_else(|| Refused::NotAnImage(format::describe_non_image(&self.head)))
    }

    fn finish(self) -> Result<(W, Fetched), Refused> {
        let format = match self.format {
            Some(format) => format,
            None => self.sniffed()?,
        };
        if !format.is_complete(&self.head, &self.tail, self.written) {
            return Err(Refused::Incomplete(format));
        }
        Ok((self.out, Fetched { format, bytes: self.written }))
    }
}

/// Decodes a base64 image from the answer into `out`, a slice at a time, so memory stays
/// small whatever the image's size. Standard or URL-safe alphabet, padded or not, line
/// breaks allowed.
pub fn decode(payload: &str, out: &mut PartFile, on_tick: &dyn Fn(Tick)) -> Result<Fetched, Error> {
    on_tick(Tick::Expected(payload.len() as u64 / 4 * 3));
    let mut image = Base64Image::with_ticks(&mut *out, on_tick);
    image.push(payload.as_bytes())?;
    image.finish().map(|(_, fetched)| fetched)
}

fn no_tick(_: Tick) {}

/// A base64 image decoded as its text arrives, in pieces of any size, into `out`:
/// checked to be an image from its first bytes, capped, and whole at the end. What
/// streams an answer's images to their files without holding them (`api::blobs`).
pub struct Base64Image<'a, W> {
    sink: Sink<'a, W>,
    text: Base64Stream,
}

impl<W: Write> Base64Image<'static, W> {
    pub fn new(out: W) -> Self {
        Self::with_ticks(out, &no_tick)
    }
}

impl<'a, W: Write> Base64Image<'a, W> {
    fn with_ticks(out: W, on_tick: &'a dyn Fn(Tick)) -> Self {
        Self { sink: Sink::new(out, on_tick), text: Base64Stream::new() }
    }

    /// Decodes the next piece of the text.
    pub fn push(&mut self, text: &[u8]) -> Result<(), Error> {
        let sink = &mut self.sink;
        self.text.push(text, &mut |bytes| sink.write(bytes))?.map_err(refused)
    }

    /// The end of the text: the last bytes written and the image checked to be whole;
    /// `out` is handed back.
    pub fn finish(mut self) -> Result<(W, Fetched), Error> {
        let sink = &mut self.sink;
        self.text.finish(&mut |bytes| sink.write(bytes))?.map_err(refused)?;
        self.sink.finish().map_err(refused)
    }
}

fn refused(e: Refused) -> Error {
    Error::new(Kind::Other, e.describe("the answer's base64 holds"))
}

fn not_base64() -> Error {
    Error::new(Kind::Other, "an image in the answer is not valid base64")
}

/// Base64 text to bytes as it arrives: standard or URL-safe alphabet (`-` and `_` are
/// read as `+` and `/`), padded or not, whitespace skipped. Whole groups of four are
/// decoded as they come; the last group waits for the end, where it may be padded.
struct Base64Stream {
    /// Text not decoded yet: less than a slice, and the group kept for the end.
    pending: Vec<u8>,
    decoded: Vec<u8>,
}

/// Text decoded at once: large enough that the decoder runs at speed, small enough to
/// be nothing next to the image.
const SLICE: usize = 64 * 1024;

impl Base64Stream {
    fn new() -> Self {
        Self { pending: Vec::with_capacity(SLICE + 8), decoded: vec![0u8; SLICE / 4 * 3 + 3] }
    }

    fn engine() -> GeneralPurpose {
        let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        GeneralPurpose::new(&base64::alphabet::STANDARD, config)
    }

    /// Takes in `text`, writing what can be decoded; `Err` if it is not base64, the
    /// inner `Err` if `write` refused the bytes.
    fn push<E>(
        &mut self,
        mut text: &[u8],
        write: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, Error> {
        while !text.is_empty() {
            let take = text.len().min(SLICE.saturating_sub(self.pending.len()).max(4));
            let (piece, rest) = text.split_at(take);
            text = rest;
            let start = self.pending.len();
            // Whitespace and the URL-safe alphabet are rare: a fast search for them,
            // and a byte-by-byte pass only where one is found.
            if memchr::memchr3(b' ', b'\n', b'\r', piece).is_some() || memchr::memchr(b'\t', piece).is_some() {
                self.pending.extend(piece.iter().filter(|b| !b.is_ascii_whitespace()));
            } else {
                self.pending.extend_from_slice(piece);
            }
            if memchr::memchr2(b'-', b'_', &self.pending[start..]).is_some() {
                for b in &mut self.pending[start..] {
                    *b = match *b {
                        b'-' => b'+',
                        b'_' => b'/',
                        other => other,
                    };
                }
            }
            // Whole groups of 4, keeping the last one back: it may be the padded end.
            let ready = (self.pending.len() / 4).saturating_sub(1) * 4;
            if ready >= SLICE / 2
                && let Err(e) = self.decode(ready, write)?
            {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    fn finish<E>(&mut self, write: &mut dyn FnMut(&[u8]) -> Result<(), E>) -> Result<Result<(), E>, Error> {
        self.decode(self.pending.len(), write)
    }

    fn decode<E>(
        &mut self,
        ready: usize,
        write: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, Error> {
        if ready == 0 {
            return Ok(Ok(()));
        }
        let n = Self::engine().decode_slice(&self.pending[..ready], &mut self.decoded).map_err(|_| not_base64())?;
        self.pending.drain(..ready);
        Ok(write(&self.decoded[..n]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `payload` fed in pieces of `piece` bytes.
    fn in_pieces(payload: &str, piece: usize) -> Option<Vec<u8>> {
        let mut all = Vec::new();
        let mut stream = Base64Stream::new();
        let mut write = |bytes: &[u8]| -> Result<(), ()> {
            all.extend_from_slice(bytes);
            Ok(())
        };
        for chunk in payload.as_bytes().chunks(piece.max(1)) {
            stream.push(chunk, &mut write).ok()?.ok()?;
        }
        stream.finish(&mut write).ok()?.ok()?;
        Some(all)
    }

    fn decoded(payload: &str) -> Option<Vec<u8>> {
        let whole = in_pieces(payload, payload.len());
        // Whatever the pieces it arrives in, the same bytes.
        for piece in [1, 3, 4, 5, 1000] {
            assert_eq!(in_pieces(payload, piece), whole, "in pieces of {piece}");
        }
        whole
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

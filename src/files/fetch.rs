//! Image bytes from where the answer put them: streamed from a short-lived URL, or decoded from base64.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::blocking::Client;

use crate::error::{Error, Kind, Tag, root_cause};
use crate::files::digest::Sha256Hex;
use crate::files::format::{self, ImageFormat, SNIFF_LEN, TAIL_LEN};
use crate::files::label::Label;
use crate::files::output::PartFile;
use crate::files::stamp::{IEND, Stamp, Stamped};
use crate::retry::{self, Policy, Verdict};
use crate::term::progress::Tick;

/// No generated image comes near this; a body that does is not an image.
pub const MAX_IMAGE_BYTES: u64 = 100 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// What was written: the format found from the first bytes, how many bytes the file
/// holds, their SHA-256 (hex), and what became of the label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub format: ImageFormat,
    pub bytes: u64,
    pub sha256: String,
    pub stamped: Stamped,
}

/// Where an image's bytes go: the part file, progress, and the label written into them as
/// they pass (none with `--no-metadata`).
pub struct Destination<'a> {
    pub out: &'a mut PartFile,
    pub on_tick: &'a dyn Fn(Tick),
    pub label: Option<Arc<Label>>,
}

/// What a failed try means: try again, or give up.
pub type Failed = Verdict<Error>;

/// A failure worth another try: the link may still answer.
pub fn transient(message: String) -> Failed {
    Verdict::Retry { error: Error::new(Kind::Service, message), server_delay: None }
}

pub fn permanent(message: String) -> Failed {
    Verdict::Fail(Error::new(Kind::Other, message))
}

/// A link that answers as expired links do: the image cannot be had any more.
fn expired(status: u16) -> Error {
    Error::new(
        Kind::Other,
        format!("download failed: HTTP {status}: the link has expired; this paid image cannot be fetched any more"),
    )
    .with_hint("the link was")
}

/// Tries a download under the downloads' retry policy: `attempt(true)` first, then
/// `attempt(false)` for each retry, which starts `part` again before it writes.
pub fn retrying_download<T>(
    part: &mut PartFile,
    mut attempt: impl FnMut(&mut PartFile, bool) -> Result<T, Failed>,
) -> Result<T, Error> {
    let mut first = true;
    let mut once = || {
        if !first {
            part.rewind().map_err(|e| Verdict::Fail(Error::io("cannot restart the download", &e)))?;
        }
        let result = attempt(part, first);
        first = false;
        result
    };
    retry::retrying(Policy::DOWNLOADS, &mut once, |_, _, _| Ok(()))
}

/// One GET of a short-lived link, never with the key: the response when it answers 2xx,
/// else what its status means for another try. `expired` is the error of a link that
/// answers as expired ones do (403, 404, 410): the bytes cannot be had any more.
pub fn get_link(
    http: &Client,
    url: &str,
    timeout: Duration,
    expired: impl FnOnce(u16) -> Error,
) -> Result<reqwest::blocking::Response, Failed> {
    let response =
        http.get(url).timeout(timeout).send().map_err(|e| transient(format!("download failed: {}", root_cause(&e))))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(response),
        408 | 429 | 500..=599 => Err(transient(format!("download failed: HTTP {status}"))),
        403 | 404 | 410 => Err(Verdict::Fail(expired(status).tagged(Tag::LinkExpired))),
        _ => Err(permanent(format!("download failed: HTTP {status}"))),
    }
}

/// Streams `url` into `out`, checking it is an image as it arrives. Carries no
/// credentials: image hosts never see the API key.
/// `on_tick` hears of the expected size and every chunk written, for progress.
pub fn download(http: &Client, url: &str, timeout: Duration, to: &mut Destination) -> Result<Fetched, Error> {
    let Destination { out, on_tick, label } = to;
    retrying_download(out, |out, first| download_once(http, url, timeout, out, *on_tick, label, first))
}

/// One try; only the first tells progress the expected size.
fn download_once(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &mut PartFile,
    on_tick: &dyn Fn(Tick),
    label: &Option<Arc<Label>>,
    first: bool,
) -> Result<Fetched, Failed> {
    let mut response = get_link(http, url, timeout, expired)?;
    if let Some(size) = response.content_length().filter(|_| first) {
        on_tick(Tick::Expected(size));
    }
    let source = "the image URL returned";
    let mut sink = Sink::new(&mut *out, MAX_IMAGE_BYTES, label.clone());
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(transient(format!("the download was cut short: {}", root_cause(&e)))),
        };
        sink.write(&buf[..n]).map_err(|e| e.into_failed(source))?;
        on_tick(Tick::Written(n as u64));
    }
    let whole = sink.finish().map_err(|e| e.into_failed(source))?;
    whole.seal().map(|(_, fetched)| fetched).map_err(|e| Refused::Write(e).into_failed(source))
}

/// Where image bytes go as they arrive: checked to be an image from the first bytes,
/// capped in size, labelled as they pass, written to `out` (the part file), and checked to
/// be whole at the end.
struct Sink<W> {
    out: W,
    /// What is not written yet: the last 12 bytes (a PNG's IEND, which its label goes
    /// before), and what the stamp handed on since.
    held: Vec<u8>,
    stamp: Stamp,
    /// Bytes written to `out`.
    emitted: u64,
    sha256: Sha256Hex,
    head: Vec<u8>,
    tail: Vec<u8>,
    format: Option<ImageFormat>,
    /// Bytes of the image as served.
    written: u64,
    /// The most bytes an image may have.
    cap: u64,
}

/// Why bytes are not a savable image.
enum Refused {
    NotAnImage(&'static str),
    /// Over this many bytes.
    TooLarge(u64),
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
            Self::TooLarge(cap) => format!("{source} over {} MB; not an image", cap >> 20),
            Self::Incomplete(format) => format!("{source} a {} image that is cut short", format.extension()),
            Self::Write(e) => format!("cannot write the image: {e}"),
        }
    }
}

impl<W: Write> Sink<W> {
    fn new(out: W, cap: u64, label: Option<Arc<Label>>) -> Self {
        Self {
            out,
            cap,
            held: Vec::with_capacity(CHUNK + IEND.len()),
            stamp: Stamp::new(label),
            emitted: 0,
            sha256: Sha256Hex::default(),
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
        if self.written > self.cap {
            return Err(Refused::TooLarge(self.cap));
        }
        // One write of what was held and the chunk as the stamp hands it on (the label in
        // its place), less its last 12 bytes.
        self.stamp.push(chunk, &mut self.held);
        let ready = self.held.len().saturating_sub(IEND.len());
        if ready > 0 {
            self.sha256.update(&self.held[..ready]);
            self.out.write_all(&self.held[..ready]).map_err(Refused::Write)?;
            self.emitted += ready as u64;
            self.held.drain(..ready);
        }
        Ok(())
    }

    fn sniffed(&self) -> Result<ImageFormat, Refused> {
        ImageFormat::sniff(&self.head).ok_or_else(|| Refused::NotAnImage(format::describe_non_image(&self.head)))
    }

    fn finish(mut self) -> Result<Whole<W>, Refused> {
        let format = match self.format {
            Some(format) => format,
            None => self.sniffed()?,
        };
        if !format.is_complete(&self.head, &self.tail, self.written) {
            return Err(Refused::Incomplete(format));
        }
        let stamped = self.stamp.finish(&mut self.held);
        Ok(Whole { out: self.out, format, emitted: self.emitted, held: self.held, sha256: self.sha256, stamped })
    }
}

/// An image checked to be whole, all written to `out` but its last bytes (with the label
/// where it goes before them), written when the image is sealed: until then an interrupt
/// can still make the file whole from what is held.
#[derive(Debug)]
pub struct Whole<W> {
    out: W,
    format: ImageFormat,
    /// Bytes in `out` so far.
    emitted: u64,
    held: Vec<u8>,
    sha256: Sha256Hex,
    stamped: Stamped,
}

impl<W> Whole<W> {
    pub fn format(&self) -> ImageFormat {
        self.format
    }

    /// Where the bytes went.
    pub fn out(&self) -> &W {
        &self.out
    }

    /// How many bytes are in `out` so far.
    pub fn written_out(&self) -> u64 {
        self.emitted
    }

    /// The image's last bytes, not written yet.
    pub fn held(&self) -> &[u8] {
        &self.held
    }

    /// The same image, its bytes in `f(out)` (the part file closed, or opened again).
    pub fn try_map<V, E>(self, f: impl FnOnce(W) -> Result<V, E>) -> Result<Whole<V>, E> {
        let Self { out, format, emitted, held, sha256, stamped } = self;
        Ok(Whole { out: f(out)?, format, emitted, held, sha256, stamped })
    }
}

impl<W: Write> Whole<W> {
    /// Writes the last bytes (and the label, where it goes among them); `out` is handed
    /// back with what it holds: the format, size, SHA-256 and label.
    pub fn seal(mut self) -> std::io::Result<(W, Fetched)> {
        self.sha256.update(&self.held);
        self.out.write_all(&self.held)?;
        let bytes = self.emitted + self.held.len() as u64;
        let sha256 = self.sha256.finish();
        Ok((self.out, Fetched { format: self.format, bytes, sha256, stamped: self.stamped }))
    }
}

/// Decodes a short base64 image from the answer into `to`. (Long ones are decoded as
/// the answer streams in: `api::blobs`.)
pub fn decode(payload: &str, to: &mut Destination) -> Result<Fetched, Error> {
    (to.on_tick)(Tick::Expected(payload.len() as u64 / 4 * 3));
    let mut image = Base64Image::new(&mut *to.out, MAX_IMAGE_BYTES, to.label.clone());
    image.push(payload.as_bytes())?;
    let whole = image.finish()?;
    let (_, fetched) = whole.seal().map_err(|e| refused(Refused::Write(e)))?;
    (to.on_tick)(Tick::Written(fetched.bytes));
    Ok(fetched)
}

/// A base64 image decoded as its text arrives, in pieces of any size, into `out`:
/// checked to be an image from its first bytes, at most `cap` bytes, labelled with `label`,
/// and whole at the end.
pub struct Base64Image<W> {
    sink: Sink<W>,
    text: Base64Stream,
}

impl<W: Write> Base64Image<W> {
    pub fn new(out: W, cap: u64, label: Option<Arc<Label>>) -> Self {
        Self { sink: Sink::new(out, cap, label), text: Base64Stream::new() }
    }

    /// Decodes the next piece of the text.
    pub fn push(&mut self, text: &[u8]) -> Result<(), Error> {
        let sink = &mut self.sink;
        self.text.push(text, &mut |bytes| sink.write(bytes))?.map_err(refused)
    }

    /// The end of the text: the image checked to be whole.
    pub fn finish(mut self) -> Result<Whole<W>, Error> {
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

/// Text decoded at once: large enough that the decoder runs at speed, small enough to
/// be nothing next to the image.
const SLICE: usize = 64 * 1024;

/// Base64 text to bytes as it arrives: standard or URL-safe alphabet (`-` and `_` are
/// read as `+` and `/`), padded or not, whitespace skipped. Whole groups of four are
/// decoded as they come; the last group waits for the end, where it may be padded.
struct Base64Stream {
    /// Text not decoded yet: less than a slice, and the group kept for the end.
    pending: Vec<u8>,
    decoded: Vec<u8>,
    engine: GeneralPurpose,
}

impl Base64Stream {
    fn new() -> Self {
        let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        Self {
            pending: Vec::with_capacity(SLICE + 8),
            decoded: vec![0u8; SLICE / 4 * 3 + 3],
            engine: GeneralPurpose::new(&base64::alphabet::STANDARD, config),
        }
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
        let n = self.engine.decode_slice(&self.pending[..ready], &mut self.decoded).map_err(|_| not_base64())?;
        self.pending.drain(..ready);
        Ok(write(&self.decoded[..n]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::digest::sha256_hex;
    use base64::engine::general_purpose::STANDARD;

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
        for piece in [1, 2, 3, 4, 5, 7, 1000] {
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
        assert_eq!(decoded(" iV\tBO\r\nRw= =").unwrap(), png);
        assert_eq!(decoded("_-8").unwrap(), vec![0xFF, 0xEF]);
        assert_eq!(decoded("").unwrap(), b"");
    }

    #[test]
    fn decodes_large_payloads_across_slices_whatever_the_line_breaks() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let plain = STANDARD.encode(&bytes);
        assert_eq!(decoded(&plain).unwrap(), bytes);
        let wrapped: String =
            plain.as_bytes().chunks(76).map(|l| format!("{}\r\n", String::from_utf8_lossy(l))).collect();
        assert_eq!(decoded(&wrapped).unwrap(), bytes);
        let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(decoded(&url_safe).unwrap(), bytes);
    }

    #[test]
    fn refuses_what_is_not_base64() {
        assert!(decoded("not base64 at all!").is_none());
        assert!(decoded("iV@BORw").is_none());
        assert!(decoded("iVBO=Rw==").is_none());
        assert!(decoded("iVBORw=").is_some(), "padding is neither required nor checked");
        assert!(decoded("iVBORwA").is_some());
        assert!(decoded("iVBORwAAA").is_none(), "one character past a group is no byte");
    }

    /// A PNG-shaped image: magic, IHDR, `size` bytes of data, IEND.
    pub fn png(size: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x2c\0\0\x01\x2c\x08\x02\0\0\0\0\0\0\0".to_vec();
        bytes.extend((0..size).map(|i| (i * 31 % 251) as u8));
        bytes.extend_from_slice(&IEND);
        bytes
    }

    /// A real PNG of `side`×`side` noisy pixels (so it hardly compresses).
    fn real_png(side: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, side, side);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..side * side * 3).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        bytes
    }

    fn label() -> Arc<Label> {
        Arc::new(Label { model: "wan2.7-image".into(), prompt: Some("red panda".into()), ..Label::default() })
    }

    #[test]
    fn a_whole_image_waits_for_its_end_and_takes_its_label_before_iend() {
        let image = real_png(300);
        let mut decoder = Base64Image::new(Vec::new(), MAX_IMAGE_BYTES, Some(label()));
        for piece in STANDARD.encode(&image).as_bytes().chunks(999) {
            decoder.push(piece).unwrap();
        }
        let whole = decoder.finish().unwrap();
        assert_eq!(whole.format(), ImageFormat::Png);
        assert_eq!(whole.out().as_slice(), &image[..image.len() - IEND.len()]);
        assert_eq!(whole.written_out(), (image.len() - IEND.len()) as u64);
        // What is held is the label's chunk, then IEND.
        let held = whole.held().to_vec();
        assert!(held.ends_with(&IEND) && held.len() > IEND.len());
        assert_eq!(&held[4..8], b"iTXt");
        let (out, fetched) = whole.seal().unwrap();
        assert_eq!(out, [&image[..image.len() - 12], &held].concat());
        assert_eq!(fetched.bytes, out.len() as u64);
        assert_eq!(fetched.sha256, sha256_hex(&out));
        assert_eq!(fetched.stamped, Stamped::Labelled);
        // Without a label (`--no-metadata`), the bytes as they came.
        let mut plain = Base64Image::new(Vec::new(), MAX_IMAGE_BYTES, None);
        plain.push(STANDARD.encode(&image).as_bytes()).unwrap();
        let (out, fetched) = plain.finish().unwrap().seal().unwrap();
        assert_eq!((out.as_slice(), fetched.sha256), (image.as_slice(), sha256_hex(&image)));
        assert_eq!(fetched.stamped, Stamped::Off);
        // A PNG whose chunks cannot be followed to its IEND is written as served.
        let mut shaped = Base64Image::new(Vec::new(), MAX_IMAGE_BYTES, Some(label()));
        shaped.push(STANDARD.encode(png(5_000)).as_bytes()).unwrap();
        let (out, fetched) = shaped.finish().unwrap().seal().unwrap();
        assert_eq!((out, fetched.stamped), (png(5_000), Stamped::NotLabelled));
    }

    #[test]
    fn images_that_are_not_whole_or_too_large_or_no_images_are_refused() {
        let image = STANDARD.encode(png(3_000));
        let mut cut = Base64Image::new(Vec::new(), MAX_IMAGE_BYTES, None);
        cut.push(&image.as_bytes()[..2000]).unwrap();
        assert!(cut.finish().unwrap_err().to_string().contains("cut short"));
        let mut text = Base64Image::new(Vec::new(), MAX_IMAGE_BYTES, None);
        let refused = text.push(STANDARD.encode(b"{\"json\": \"at all\", \"x\": 1}").as_bytes());
        let message = match refused {
            Err(e) => e.to_string(),
            Ok(()) => text.finish().unwrap_err().to_string(),
        };
        assert!(message.contains("JSON text instead of an image"), "{message}");
        let big = STANDARD.encode(png(3 << 20));
        let mut huge = Base64Image::new(std::io::sink(), 2 << 20, None);
        let message = huge.push(big.as_bytes()).unwrap_err().to_string();
        assert!(message.contains("over 2 MB"), "{message}");
        let mut fits = Base64Image::new(std::io::sink(), 4 << 20, None);
        fits.push(big.as_bytes()).unwrap();
        fits.finish().unwrap();
    }
}

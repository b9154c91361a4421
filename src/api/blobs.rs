//! An answer's base64 images taken out of it as it streams: each JSON string that is an
//! image's base64 (bare or a `data:` URI), and each `data:image/…;base64,` URI inside
//! text, is decoded straight into a part file, and the JSON parser sees a short
//! placeholder in its place; everything else passes through untouched. So the memory an
//! answer costs does not grow with its images (issue 14), and the route adapters keep
//! reading typed answers with serde.

use std::io::{self, Read};
use std::sync::Arc;

use memchr::memmem::Finder;

use crate::error::{Error, Kind};
use crate::files::fetch::{Base64Image, Fetched, MAX_IMAGE_BYTES, Whole};
use crate::files::format::{ImageFormat, SNIFF_LEN};
use crate::files::label::Label;
use crate::files::output::{OutputDir, ParkedPart, PartFile};
use crate::interrupt::{self, KeptDecoded};

/// How much of a string (or of a data URI in text) is seen before deciding whether it is
/// an image: enough for a `data:` URI's header and the base64 of an image's magic
/// number. Strings that end sooner (keys, ids, URLs, most text, tiny images) are left
/// to the parser as they are.
pub const DECIDE_AT: usize = 256;
/// How much of the body is read at once.
const INPUT: usize = 64 * 1024;
/// What starts a data URI inside text.
const DATA_IMAGE: &[u8] = b"data:image";
/// What the parser reads in an image's place: a NUL (escaped, so no string the server
/// sends can be mistaken for one without also knowing the nonce), the nonce, the number.
const PLACEHOLDER: &str = "\0blob:";

/// A base64 image decoded whole into its part file as the answer streamed in. Until it
/// is saved, an interrupt saves it under a name of its own rather than lose it.
#[derive(Debug)]
pub struct Decoded {
    image: Whole<ParkedPart>,
    /// Declared after `image`, so a dropped image's file is gone before it is forgotten.
    kept: KeptDecoded,
}

impl Decoded {
    /// The image's size as it will be saved, its label included.
    pub fn bytes(&self) -> u64 {
        self.image.written_out() + self.image.held().len() as u64
    }

    /// Opens the part file again and writes the image's last bytes (its label among them,
    /// where it goes); what the file holds, and the guard that keeps it from being lost to
    /// an interrupt until it is moved into place.
    pub fn seal(self) -> Result<(PartFile, Fetched, KeptDecoded), Error> {
        let Self { image, kept } = self;
        let sealed = kept.sealing(|| image.try_map(ParkedPart::reopen).and_then(Whole::seal));
        let (part, fetched) = sealed.map_err(|e| Error::io("cannot write the image", &e))?;
        Ok((part, fetched, kept))
    }
}

/// An image taken out of the answer, or why it could not be.
pub type Streamed = Result<Decoded, Error>;

/// A reader over an answer's body that hands its JSON on with the images taken out.
pub struct Blobs<'a> {
    inner: &'a mut dyn Read,
    out: &'a OutputDir,
    /// The label each image is written with (none with `--no-metadata`).
    label: Option<Arc<Label>>,
    /// Made per answer, so a server cannot forge a placeholder.
    nonce: u64,
    /// The most bytes one image may have.
    cap: u64,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// The body has ended: `input[start..end]` is all that is left of it.
    eof: bool,
    /// What the parser is given next: `output[taken..]`.
    output: Vec<u8>,
    taken: usize,
    state: State,
    images: Vec<Option<Streamed>>,
    data_image: Finder<'static>,
    /// The last character outside strings, spaces aside, was `:`: the next string is
    /// the value of the one before it.
    colon: bool,
    /// The last string was `text`: a key whose value (a Gemini text part) is read as
    /// text that may hold data URIs, never as an image itself.
    text_key: bool,
    /// The text of a string value that starts as an `http(s)` URL, as it passes; kept
    /// when it ends, so that an answer cut short still gives up the links it held whole.
    url: Option<Vec<u8>>,
    /// Each image link and each decoded image, in the order the answer gave them.
    found: Vec<Found>,
    /// Bytes of links kept so far, bounded by `MAX_KEPT_LINKS`.
    kept: usize,
}

/// What the answer gave whole, in order: a link, or the image of a placeholder.
enum Found {
    Url(String),
    Image(usize),
}

/// An image that arrived whole in an answer cut short: its link, or its decoded bytes.
#[derive(Debug)]
pub enum Salvaged {
    Link(String),
    Image(Decoded),
}

/// All the link text kept from one answer: far past any answer's links, and a bound on
/// what an answer of endless links can make `wan` hold.
const MAX_KEPT_LINKS: usize = 1 << 20;

enum State {
    /// Between strings.
    Outside,
    /// Just after a string's opening quote: whether the string is an image is decided
    /// once its first bytes are in.
    Start,
    /// In a string that is passed on (text, or what is around a data URI in it).
    Text { escaped: bool },
    /// In an image's base64, going to its file. Boxed: few strings are images.
    Image(Box<Image>),
}

struct Image {
    /// `None` once it failed: the rest of its text is skipped.
    decoder: Option<Base64Image<PartFile>>,
    failed: Option<Error>,
    escape: Escape,
    /// The image is the whole string, and ends with it; otherwise it is a data URI in
    /// text, and ends where base64 does.
    whole: bool,
}

#[derive(Clone, Copy)]
enum Escape {
    None,
    /// After a backslash.
    Started,
    /// In `\uXXXX`: digits seen, value so far.
    Unicode(u8, u32),
}

impl<'a> Blobs<'a> {
    pub fn new(inner: &'a mut dyn Read, out: &'a OutputDir, label: Option<Arc<Label>>) -> Self {
        Self {
            inner,
            out,
            label,
            nonce: crate::retry::jitter().to_bits(),
            cap: MAX_IMAGE_BYTES,
            input: vec![0u8; INPUT].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            output: Vec::with_capacity(INPUT + 64),
            taken: 0,
            state: State::Outside,
            images: Vec::new(),
            data_image: Finder::new(DATA_IMAGE),
            colon: false,
            text_key: false,
            url: None,
            found: Vec::new(),
            kept: 0,
        }
    }

    /// What arrived whole of an answer cut short: each image link and each image decoded
    /// to its end, in the order the answer gave them. They were paid for.
    pub fn salvage(&mut self) -> Vec<Salvaged> {
        let found = std::mem::take(&mut self.found);
        found
            .into_iter()
            .filter_map(|found| match found {
                Found::Url(url) => Some(Salvaged::Link(url)),
                Found::Image(id) => self.images.get_mut(id).and_then(Option::take)?.ok().map(Salvaged::Image),
            })
            .collect()
    }

    /// Passes string text on to the parser, and to the link being kept, if one is.
    fn pass(&mut self, text: &[u8]) {
        self.output.extend_from_slice(text);
        if let Some(url) = &mut self.url {
            self.kept += text.len();
            if self.kept > MAX_KEPT_LINKS {
                self.url = None;
            } else {
                url.extend_from_slice(text);
            }
        }
    }

    /// The string being kept as a link ended: it is one, if it reads as a JSON string.
    fn end_string(&mut self) {
        if let Some(raw) = self.url.take() {
            let quoted = [&b"\""[..], &raw, b"\""].concat();
            if let Ok(url) = serde_json::from_slice::<String>(&quoted) {
                self.found.push(Found::Url(url));
            }
        }
    }

    /// The image a placeholder stands for, taken out once; `None` for a placeholder
    /// this reader did not write.
    pub fn take_image(&mut self, nonce: u64, id: usize) -> Option<Streamed> {
        (nonce == self.nonce).then(|| self.images.get_mut(id).and_then(Option::take)).flatten()
    }

    /// Moves the next input to `output`; false at the end of the body.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            if self.start < self.end {
                // Out of `self` while it is read, so the steps may change everything else.
                let input = std::mem::take(&mut self.input);
                let stepped = self.step(&input[self.start..self.end]);
                self.input = input;
                if let Some(consumed) = stepped {
                    self.start += consumed;
                    return Ok(true);
                }
            } else if self.eof {
                self.at_end();
                return Ok(false);
            }
            // More input is needed: what is left moves to the front, and more is read after it.
            self.input.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            let n = loop {
                match self.inner.read(&mut self.input[self.end..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => break result?,
                }
            };
            self.end += n;
            self.eof = n == 0;
        }
    }

    /// Handles `data` (not empty) in the current state: how much of it was consumed
    /// (none, where only the state changed), or `None` if more input is needed to go on
    /// (never at the end of the body).
    fn step(&mut self, data: &[u8]) -> Option<usize> {
        match &mut self.state {
            State::Outside => {
                let (n, quote) = match memchr::memchr(b'"', data) {
                    Some(i) => (i + 1, true),
                    None => (data.len(), false),
                };
                self.output.extend_from_slice(&data[..n]);
                let between = &data[..n - usize::from(quote)];
                if let Some(&last) = between.iter().rev().find(|b| !b.is_ascii_whitespace()) {
                    self.colon = last == b':';
                }
                if quote {
                    self.state = State::Start;
                }
                Some(n)
            }
            State::Start => {
                let decided = self.decide(data, true)?;
                let text_value = std::mem::take(&mut self.colon) && self.text_key;
                self.text_key = data.starts_with(b"text\"");
                match decided {
                    // The whole string is the image, as for every image field but `text`,
                    // which is read as text (a data URI in it ends where its base64 does).
                    Some(at) if !text_value => {
                        self.output.extend_from_slice(&data[..at]);
                        self.begin_image(true);
                        Some(at)
                    }
                    _ => {
                        let link = data.get(..8).is_some_and(|head| {
                            let head = head.to_ascii_lowercase();
                            head.starts_with(b"http://") || head.starts_with(b"https://")
                        });
                        self.url = (link && !text_value && self.kept < MAX_KEPT_LINKS).then(Vec::new);
                        self.state = State::Text { escaped: false };
                        Some(0)
                    }
                }
            }
            State::Text { escaped } => {
                if *escaped {
                    *escaped = false;
                    self.pass(&data[..1]);
                    return Some(1);
                }
                let special = memchr::memchr2(b'"', b'\\', data);
                let plain = &data[..special.unwrap_or(data.len())];
                if let Some(at) = self.data_image.find(plain) {
                    self.pass(&data[..at]);
                    // A data URI in it: the string is text around an image, not a link.
                    self.url = None;
                    return if at > 0 { Some(at) } else { self.data_uri(data) };
                }
                match special {
                    Some(at) if data[at] == b'"' => {
                        self.pass(&data[..at]);
                        self.output.push(b'"');
                        self.end_string();
                        self.state = State::Outside;
                        Some(at + 1)
                    }
                    Some(at) => {
                        // A backslash: the character it escapes passes with it.
                        let n = (at + 2).min(data.len());
                        *escaped = n == at + 1;
                        self.pass(&data[..n]);
                        Some(n)
                    }
                    None => {
                        // The end may be the start of a data URI: kept until more comes.
                        let keep = if self.eof { 0 } else { (DATA_IMAGE.len() - 1).min(data.len()) };
                        let n = data.len() - keep;
                        self.pass(&data[..n]);
                        (n > 0).then_some(n)
                    }
                }
            }
            State::Image(_) => self.image_bytes(data),
        }
    }

    /// `data` starts with `data:image` in text: an image's data URI goes to a file from
    /// its base64 on; anything else passes on.
    fn data_uri(&mut self, data: &[u8]) -> Option<usize> {
        match self.decide(data, false)? {
            Some(at) => {
                self.output.extend_from_slice(&data[..at]);
                self.begin_image(false);
                Some(at)
            }
            None => {
                self.output.extend_from_slice(DATA_IMAGE);
                Some(DATA_IMAGE.len())
            }
        }
    }

    /// Whether an image's base64 starts in `data` (see `image_payload`), and where; `None`
    /// if more input is needed to tell. What ends within `DECIDE_AT` bytes is no image
    /// to stream: the parser has it whole anyway.
    fn decide(&self, data: &[u8], whole: bool) -> Option<Option<usize>> {
        let seen = &data[..data.len().min(DECIDE_AT)];
        if string_end(seen).is_some() {
            return Some(None);
        }
        if seen.len() < DECIDE_AT && !self.eof {
            return None;
        }
        Some(image_payload(seen, whole))
    }

    fn begin_image(&mut self, whole: bool) {
        let (decoder, failed) = match self.out.begin() {
            Ok(part) => (Some(Base64Image::new(part, self.cap, self.label.clone())), None),
            Err(error) => (None, Some(error)),
        };
        self.state = State::Image(Box::new(Image { decoder, failed, escape: Escape::None, whole }));
    }

    /// Feeds base64 text (JSON-escaped) to the decoder until the image ends: how much
    /// of `text` was consumed, or `None` if more is needed to tell.
    fn image_bytes(&mut self, text: &[u8]) -> Option<usize> {
        let State::Image(image) = &mut self.state else { return Some(0) };
        if !image.whole {
            return self.data_uri_bytes(text);
        }
        let mut i = 0;
        while i < text.len() {
            match image.escape {
                Escape::Started => {
                    image.escape = Escape::None;
                    match text[i] {
                        // JSON's escaped whitespace: skipped, as line breaks in base64 are.
                        b'n' | b'r' | b't' => {}
                        b'/' => image.feed(b"/"),
                        b'u' => image.escape = Escape::Unicode(0, 0),
                        _ => image.feed(b"!"),
                    }
                    i += 1;
                }
                Escape::Unicode(seen, value) => {
                    let Some(digit) = char::from(text[i]).to_digit(16) else {
                        // Not an escape after all (nor JSON): no base64 either; the
                        // character itself, a quote maybe, is read as usual.
                        image.feed(b"!");
                        image.escape = Escape::None;
                        continue;
                    };
                    let value = value * 16 + digit;
                    image.escape = if seen == 3 {
                        // An escaped ASCII character is that character; anything else
                        // is no base64.
                        image.feed(&[u8::try_from(value).ok().filter(u8::is_ascii).unwrap_or(b'!')]);
                        Escape::None
                    } else {
                        Escape::Unicode(seen + 1, value)
                    };
                    i += 1;
                }
                Escape::None => match memchr::memchr2(b'"', b'\\', &text[i..]) {
                    None => {
                        image.feed(&text[i..]);
                        i = text.len();
                    }
                    Some(at) => {
                        image.feed(&text[i..i + at]);
                        i += at + 1;
                        if text[i - 1] == b'\\' {
                            image.escape = Escape::Started;
                        } else {
                            self.end_image();
                            self.output.push(b'"');
                            self.state = State::Outside;
                            return Some(i);
                        }
                    }
                },
            }
        }
        Some(i)
    }

    /// Base64 of a data URI in text, up to the first character that is not base64 (as
    /// `\/` is `/`), which is passed on with the rest of the text.
    fn data_uri_bytes(&mut self, text: &[u8]) -> Option<usize> {
        let State::Image(image) = &mut self.state else { return Some(0) };
        let run = text.iter().position(|&b| !is_base64(b)).unwrap_or(text.len());
        image.feed(&text[..run]);
        match text.get(run) {
            None => Some(run),
            Some(b'\\') => match text.get(run + 1) {
                Some(b'/') => {
                    image.feed(b"/");
                    Some(run + 2)
                }
                None if run == 0 && !self.eof => None,
                None if run > 0 => Some(run),
                _ => {
                    self.end_image();
                    self.state = State::Text { escaped: false };
                    Some(run)
                }
            },
            Some(_) => {
                self.end_image();
                self.state = State::Text { escaped: false };
                Some(run)
            }
        }
    }

    /// The image's text ended: the file is finished and closed, and the parser is given
    /// a placeholder for it. The state is left for the caller to set.
    fn end_image(&mut self) {
        let State::Image(image) = std::mem::replace(&mut self.state, State::Outside) else { return };
        let Image { decoder, failed, .. } = *image;
        let streamed = match (decoder, failed) {
            (_, Some(error)) => Err(error),
            (Some(decoder), None) => decoder.finish().map(park),
            (None, None) => Err(Error::new(Kind::Other, "the image was lost while it was decoded")),
        };
        let id = self.images.len();
        self.images.push(Some(streamed));
        self.found.push(Found::Image(id));
        self.output.extend_from_slice(placeholder(self.nonce, id).as_bytes());
    }

    /// The body ended: an image still open ends with it (cut short, most likely; the
    /// parser finds the answer broken anyway).
    fn at_end(&mut self) {
        if matches!(self.state, State::Image(_)) {
            self.end_image();
        }
    }
}

impl Image {
    /// Decodes the next base64 text; the first failure is kept and the rest skipped.
    fn feed(&mut self, text: &[u8]) {
        if let Some(decoder) = &mut self.decoder
            && let Err(error) = decoder.push(text)
        {
            self.decoder = None;
            self.failed.get_or_insert(error);
        }
    }
}

/// A whole image's file closed until it is saved, and kept from an interrupt meanwhile.
fn park(image: Whole<PartFile>) -> Decoded {
    let image = image.try_map(|part| Ok::<_, std::convert::Infallible>(part.park())).unwrap_or_else(|e| match e {});
    let kept =
        interrupt::keep_decoded(image.out().path(), image.written_out(), image.held(), image.format().extension());
    Decoded { image, kept }
}

impl Read for Blobs<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.taken == self.output.len() {
            self.output.clear();
            self.taken = 0;
            if !self.fill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.output.len() - self.taken);
        buf[..n].copy_from_slice(&self.output[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// What the parser sees instead of an image: JSON for a string holding a NUL, the
/// nonce and the number, read back by `parse_placeholder`.
fn placeholder(nonce: u64, id: usize) -> String {
    format!("\\u0000blob:{nonce:016x}:{id}")
}

/// The nonce and number of the placeholder `text` starts with (as the parser made it),
/// and how long it is.
pub fn parse_placeholder(text: &str) -> Option<(u64, usize, usize)> {
    let rest = text.strip_prefix(PLACEHOLDER)?;
    let nonce = u64::from_str_radix(rest.get(..16)?, 16).ok()?;
    let rest = rest.get(16..)?.strip_prefix(':')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest[..digits].parse().ok()?;
    Some((nonce, id, PLACEHOLDER.len() + 17 + digits))
}

/// Where an unescaped `"` ends the string in `text`, if it does.
fn string_end(text: &[u8]) -> Option<usize> {
    let mut escaped = false;
    text.iter().position(|&b| {
        let end = !escaped && b == b'"';
        escaped = !escaped && b == b'\\';
        end
    })
}

/// A character of base64, either alphabet, or its padding.
fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
}

/// Where an image's base64 starts in `seen`, the first bytes of a string (`whole`: bare
/// base64 or a `data:…;base64,` URI, after any whitespace) or of a data URI in text
/// (`data:image/…;base64,`), as sent, JSON escapes and all; `None` unless its first
/// bytes decode to a format `wan` saves. URLs, text and anything else: `None`.
fn image_payload(seen: &[u8], whole: bool) -> Option<usize> {
    let lead = if whole { seen.iter().take_while(|b| b.is_ascii_whitespace()).count() } else { 0 };
    let text = &seen[lead..];
    let is_uri = text.len() >= 5 && text[..5].eq_ignore_ascii_case(b"data:");
    let payload_at = if is_uri {
        let comma = memchr::memchr(b',', text)?;
        let header = String::from_utf8_lossy(&text[..comma]).replace("\\/", "/").to_ascii_lowercase();
        if !header.ends_with(";base64") || !(whole || header.starts_with("data:image/")) {
            return None;
        }
        lead + comma + 1
    } else if whole {
        lead
    } else {
        return None;
    };
    // The base64 of the magic number, JSON escapes of `/` and whitespace undone.
    let wanted = SNIFF_LEN.div_ceil(3) * 4;
    let mut head = Vec::with_capacity(wanted);
    let mut bytes = seen[payload_at..].iter();
    while head.len() < wanted {
        match *bytes.next()? {
            b'\\' => match *bytes.next()? {
                b'/' => head.push(b'/'),
                b'n' | b'r' | b't' if whole => {}
                b'u' if whole => {
                    let hex: Vec<u8> = bytes.by_ref().take(4).copied().collect();
                    head.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
                }
                _ => return None,
            },
            b if b.is_ascii_whitespace() && whole => {}
            b'-' => head.push(b'+'),
            b'_' => head.push(b'/'),
            b => head.push(b),
        }
    }
    use base64::Engine;
    let magic = base64::engine::general_purpose::STANDARD_NO_PAD.decode(&head).ok()?;
    ImageFormat::sniff(&magic).map(|_| payload_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::stamp::IEND;
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

    /// A PNG-shaped image: magic, IHDR, `size` bytes of data, IEND.
    fn png(size: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x2c\0\0\x01\x2c\x08\x02\0\0\0\0\0\0\0".to_vec();
        bytes.extend((0..size).map(|i| (i * 31 % 251) as u8));
        bytes.extend_from_slice(&IEND);
        bytes
    }

    /// A body that arrives `piece` bytes at a time.
    struct Trickle<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.len().min(self.piece).min(buf.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    struct Filtered {
        /// What the parser was given.
        passed: String,
        images: Vec<Streamed>,
        nonce: u64,
        dir: tempfile::TempDir,
    }

    /// Reads `json` through the filter in reads of `piece` bytes, images capped at `cap`.
    fn filter_capped(json: &[u8], piece: usize, cap: u64) -> Filtered {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let mut body = Trickle { data: json, piece };
        let mut blobs = Blobs::new(&mut body, &out, None);
        blobs.cap = cap;
        let mut passed = Vec::new();
        blobs.read_to_end(&mut passed).unwrap();
        let nonce = blobs.nonce;
        let images = (0..blobs.images.len()).map(|id| blobs.take_image(nonce, id).unwrap()).collect();
        assert!(blobs.take_image(nonce, 0).is_none(), "an image is taken once");
        Filtered { passed: String::from_utf8(passed).unwrap(), images, nonce, dir }
    }

    fn filter(json: &[u8], piece: usize) -> Filtered {
        filter_capped(json, piece, MAX_IMAGE_BYTES)
    }

    /// The bytes of a decoded image as they would be saved (no label).
    fn saved(image: Streamed) -> Vec<u8> {
        let decoded = image.unwrap();
        let (size, path) = (decoded.bytes(), decoded.image.out().path().to_path_buf());
        let (_part, fetched, _kept) = decoded.seal().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!((fetched.bytes, size), (bytes.len() as u64, bytes.len() as u64));
        bytes
    }

    fn value(passed: &str) -> serde_json::Value {
        serde_json::from_str(passed).unwrap()
    }

    #[test]
    fn images_go_to_files_and_the_rest_passes_untouched() {
        let (one, two) = (png(100_000), png(5_000));
        let json = serde_json::json!({
            "id": "chatcmpl-1",
            "text": "x".repeat(10_000),
            "escaped": "a \"quoted\" \\ \u{e9} word \u{1F600}",
            "url": format!("https://cdn.example/{}.png", "a".repeat(500)),
            "data": [{"b64_json": STANDARD.encode(&one)}, {"b64_json": format!("data:image/png;base64,{}", STANDARD.encode(&two))}],
            "small": STANDARD.encode(png(10)),
            "number": 12.5,
        })
        .to_string();
        let original = value(&json);
        for piece in [1, 7, 255, 256, 257, 4096, 1 << 20] {
            let filtered = filter(json.as_bytes(), piece);
            let passed = value(&filtered.passed);
            for key in ["id", "text", "escaped", "url", "small", "number"] {
                assert_eq!(passed[key], original[key], "{key}, in pieces of {piece}");
            }
            let first = passed["data"][0]["b64_json"].as_str().unwrap();
            assert_eq!(parse_placeholder(first), Some((filtered.nonce, 0, first.len())));
            let second = passed["data"][1]["b64_json"].as_str().unwrap();
            assert_eq!(second.strip_prefix("data:image/png;base64,").and_then(parse_placeholder).unwrap().1, 1);
            assert!(filtered.passed.len() < 11_000 + 1000, "{} bytes passed on", filtered.passed.len());
            let mut images = filtered.images.into_iter();
            assert_eq!(saved(images.next().unwrap()), one);
            assert_eq!(saved(images.next().unwrap()), two);
            assert!(images.next().is_none());
        }
    }

    #[test]
    fn every_chunk_boundary_gives_the_same_bytes() {
        // Small enough to cut at every offset: an escaped slash, a \u escape and a line
        // break inside the base64, a data URI in text, and text around it all.
        let image = png(200);
        let text = STANDARD.encode(&image).replace('/', "\\/").replacen('A', "\\u0041", 1);
        let (head, tail) = text.split_at(100);
        let in_text = format!("see ![x](data:image/png;base64,{}) \\\"ok\\\"", STANDARD_NO_PAD.encode(&image));
        let json =
            format!(r#"{{"a":"x\"y","image":"{head}\n{tail}","text":"{in_text}","z":[1,"{}"]}}"#, "d".repeat(300));
        let whole = filter(json.as_bytes(), json.len());
        for cut in 1..json.len() {
            let mut body = io::Cursor::new(json.as_bytes()).take(cut as u64).chain(&json.as_bytes()[cut..]);
            let dir = tempfile::tempdir().unwrap();
            let out = OutputDir::new(Some(dir.path().to_path_buf()));
            let mut blobs = Blobs::new(&mut body, &out, None);
            let mut passed = Vec::new();
            blobs.read_to_end(&mut passed).unwrap();
            let nonce = blobs.nonce;
            let passed = String::from_utf8(passed).unwrap().replace(&format!("{nonce:016x}"), "N");
            assert_eq!(passed, whole.passed.replace(&format!("{:016x}", whole.nonce), "N"), "cut at {cut}");
            for id in 0..2 {
                assert_eq!(saved(blobs.take_image(nonce, id).unwrap()), image, "image {id}, cut at {cut}");
            }
        }
        let passed = value(&whole.passed);
        assert_eq!(passed["a"], "x\"y");
        let text = passed["text"].as_str().unwrap();
        assert!(text.starts_with("see ![x](data:image/png;base64,\0blob:"), "{text}");
        assert!(text.ends_with(":1) \"ok\""), "{text}");
        assert_eq!(passed["z"][1], "d".repeat(300));
    }

    #[test]
    fn escapes_padding_and_line_breaks_inside_base64_are_undone() {
        let image = png(3_000);
        let plain = STANDARD.encode(&image);
        // PHP escapes every `/`; some encoders wrap lines; some use \u escapes.
        let escaped = plain.replace('/', "\\/");
        let wrapped: String =
            plain.as_bytes().chunks(76).map(|l| format!("{}\\r\\n", std::str::from_utf8(l).unwrap())).collect();
        let unicode = plain.replacen('A', "\\u0041", 3);
        let uri = format!("DATA:image/png;BASE64,{}", STANDARD_NO_PAD.encode(&image));
        let escaped_uri = format!("data:image\\/png;base64,{escaped}");
        let url_safe = URL_SAFE_NO_PAD.encode(&image);
        let spaced = format!("  {}\\n", STANDARD_NO_PAD.encode(&image));
        for text in [plain.clone(), escaped, wrapped, unicode, uri, escaped_uri, url_safe, spaced] {
            let json = format!("{{\"image\": \"{text}\"}}");
            for piece in [1, 5, 300] {
                let filtered = filter(json.as_bytes(), piece);
                let image_text = value(&filtered.passed)["image"].as_str().unwrap().to_string();
                assert!(image_text.contains(PLACEHOLDER), "{image_text:?}");
                let mut images = filtered.images.into_iter();
                assert_eq!(saved(images.next().unwrap()), image, "in pieces of {piece}: {}", &text[..40]);
            }
        }
    }

    #[test]
    fn data_uris_in_text_are_taken_and_the_text_around_them_kept() {
        let (one, two) = (png(1_000), png(2_000));
        let text = format!(
            "first data:image/png;base64,{}\\nthen (data:image\\/png;base64,{}) and data:image/gif;base64,R0lG",
            STANDARD.encode(&one),
            STANDARD_NO_PAD.encode(&two).replace('/', "\\/")
        );
        let json = format!(r#"{{"parts": [{{"text": "{text}"}}]}}"#);
        for piece in [1, 3, 64, 1 << 16] {
            let filtered = filter(json.as_bytes(), piece);
            let passed = value(&filtered.passed);
            let text = passed["parts"][0]["text"].as_str().unwrap();
            let shown = text.replace(&format!("{:016x}", filtered.nonce), "N");
            assert_eq!(
                shown,
                "first data:image/png;base64,\0blob:N:0\nthen (data:image/png;base64,\0blob:N:1) and data:image/gif;base64,R0lG"
            );
            let mut images = filtered.images.into_iter();
            assert_eq!(saved(images.next().unwrap()), one, "in pieces of {piece}");
            assert_eq!(saved(images.next().unwrap()), two, "in pieces of {piece}");
        }
    }

    #[test]
    fn a_text_value_is_text_whose_data_uris_end_where_their_base64_does() {
        let image = png(2_000);
        let uri = format!("data:image/png;base64,{}", STANDARD.encode(&image));
        let bare = STANDARD.encode(&image);
        // A Gemini text part that is a data URI and a caption; one that is bare base64
        // (text, as it always was); an image field whose data URI ends in a line break.
        let json = format!(
            r#"{{"parts": [{{"text": "{uri}\nA harbour at dawn."}}, {{"text" :
                "{bare}"}}], "image": "{uri}\n", "after": "text"}}"#
        );
        for piece in [1, 2, 7, 1 << 16] {
            let filtered = filter(json.as_bytes(), piece);
            let passed = value(&filtered.passed);
            let shown = |v: &serde_json::Value| v.as_str().unwrap().replace(&format!("{:016x}", filtered.nonce), "N");
            assert_eq!(shown(&passed["parts"][0]["text"]), "data:image/png;base64,\0blob:N:0\nA harbour at dawn.");
            assert_eq!(passed["parts"][1]["text"], bare.as_str(), "in pieces of {piece}");
            assert_eq!(shown(&passed["image"]), "data:image/png;base64,\0blob:N:1");
            let images: Vec<Vec<u8>> = filtered.images.into_iter().map(saved).collect();
            assert_eq!(images, [image.clone(), image.clone()], "in pieces of {piece}");
        }
    }

    #[test]
    fn broken_images_are_reported_and_the_answer_still_reads() {
        let image = STANDARD.encode(png(3_000));
        let cases = [
            (format!("{}!!!!{}", &image[..1000], &image[1000..]), "not valid base64"),
            (format!("{}@{}", &image[..1001], &image[1001..]), "not valid base64"),
            (image[..2000].to_string(), "cut short"),
            (format!("{}\\\"", &image[..1000]), "not valid base64"),
            (format!("{}=={}", &image[..1000], &image[1000..]), "not valid base64"),
        ];
        for (text, why) in cases {
            let json = format!("{{\"image\": \"{text}\", \"after\": 1}}");
            let filtered = filter(json.as_bytes(), 100);
            let message = filtered.images.into_iter().next().unwrap().unwrap_err().to_string();
            assert!(message.contains(why), "{message}");
            assert_eq!(value(&filtered.passed)["after"], 1);
            assert_eq!(std::fs::read_dir(filtered.dir.path()).unwrap().count(), 0, "no part file is left");
        }
    }

    #[test]
    fn an_image_over_the_cap_is_refused_as_too_large() {
        let json = format!("{{\"image\": \"{}\", \"after\": 1}}", STANDARD.encode(png(3 << 20)));
        let filtered = filter_capped(json.as_bytes(), 1 << 16, 2 << 20);
        let message = filtered.images.into_iter().next().unwrap().unwrap_err().to_string();
        assert!(message.contains("over 2 MB"), "{message}");
        assert_eq!(value(&filtered.passed)["after"], 1, "the answer is read on past it");
        assert_eq!(std::fs::read_dir(filtered.dir.path()).unwrap().count(), 0, "no part file is left");
    }

    #[test]
    fn a_dropped_image_leaves_no_file() {
        let json = format!("{{\"image\": \"{}\"}}", STANDARD.encode(png(3_000)));
        let filtered = filter(json.as_bytes(), 1 << 16);
        assert_eq!(std::fs::read_dir(filtered.dir.path()).unwrap().count(), 1);
        drop(filtered.images);
        assert_eq!(std::fs::read_dir(filtered.dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn only_image_payloads_are_taken() {
        let png64 = STANDARD.encode(png(300));
        let jpeg64 = STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0]);
        assert_eq!(image_payload(png64.as_bytes(), true), Some(0));
        assert_eq!(image_payload(format!("  {jpeg64}").as_bytes(), true), Some(2));
        assert_eq!(image_payload(format!("DATA:image/png;BASE64,{png64}").as_bytes(), true), Some(22));
        assert_eq!(image_payload(png64.replace('/', "\\/").as_bytes(), true), Some(0));
        assert_eq!(image_payload(format!("data:image/png;base64,{png64}").as_bytes(), false), Some(22));
        for not in [
            "https://cdn.example/a.png".to_string(),
            "x".repeat(300),
            STANDARD.encode("just some text that is long enough"),
            format!("data:text/plain,{png64}"),
            format!("data:image/png;base64{png64}"),
            "iVBORw".to_string(),
        ] {
            assert_eq!(image_payload(not.as_bytes(), true), None, "{}", &not[..not.len().min(40)]);
        }
        assert_eq!(image_payload(png64.as_bytes(), false), None, "text that is base64 stays text");
        assert_eq!(image_payload(format!("data:application/x;base64,{png64}").as_bytes(), false), None);
    }

    #[test]
    fn padding_is_passed_on_without_being_held() {
        let json = format!("{{\"padding\": \"{}\", \"x\": 1}}", "a".repeat(5 << 20));
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let mut body = json.as_bytes();
        let mut blobs = Blobs::new(&mut body, &out, None);
        let mut buf = [0u8; 8192];
        let mut total = 0;
        loop {
            let n = blobs.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            assert!(blobs.output.capacity() <= 2 * INPUT, "{}", blobs.output.capacity());
        }
        assert_eq!(total, json.len());
    }

    #[test]
    fn placeholders_cannot_be_forged() {
        assert_eq!(parse_placeholder("\0blob:00000000000000ff:3"), Some((255, 3, 24)));
        assert_eq!(parse_placeholder("\0blob:00000000000000ff:12) and"), Some((255, 12, 25)));
        for not in ["blob:ff:3", "\0blob:ff", "\0blob:zz:1", "\0other:ff:1", "", "\0blob:00000000000000ff:x"] {
            assert_eq!(parse_placeholder(not), None, "{not:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let mut body: &[u8] = b"{}";
        let mut blobs = Blobs::new(&mut body, &out, None);
        let nonce = blobs.nonce;
        assert!(blobs.take_image(nonce ^ 1, 0).is_none() && blobs.take_image(nonce, 0).is_none());
    }
}

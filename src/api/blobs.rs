//! An answer's images taken out of it as it streams: each JSON string that starts as a
//! base64 image is decoded straight into a part file, and the JSON parser sees a short
//! placeholder in its place; everything else passes through untouched. So the memory
//! an answer costs does not grow with its images (issue 14), and the route adapters
//! keep reading typed answers with serde.

use std::io::{self, Read};

use crate::error::Error;
use crate::fetch::{Base64Image, Fetched};
use crate::format::{ImageFormat, SNIFF_LEN};
use crate::output::{OutputDir, PartFile};

/// How much of a string is seen before deciding whether it is an image: enough for a
/// `data:` URI's header and the base64 of an image's magic number. Shorter strings
/// (keys, ids, URLs, text) are never held longer than this.
pub const DECIDE_AT: usize = 256;
const INPUT: usize = 64 * 1024;

/// An image decoded from the answer into its part file (closed, whole, synced), or why
/// it could not be.
pub type Streamed = Result<(PartFile, Fetched), Error>;

/// A reader over an answer's body that hands its JSON on with the images taken out.
pub struct Blobs<'a> {
    inner: &'a mut dyn Read,
    out_dir: &'a OutputDir,
    /// Made per answer, so a server cannot forge a placeholder.
    nonce: u64,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    /// What the parser is given next: `output[taken..]`.
    output: Vec<u8>,
    taken: usize,
    state: State,
    images: Vec<Option<Streamed>>,
}

enum State {
    Outside,
    /// In a string whose first bytes are held until it is long enough to tell.
    Head {
        held: Vec<u8>,
        escaped: bool,
    },
    /// In a string that is no image: passed on as it comes.
    Passing {
        escaped: bool,
    },
    /// In an image's base64, going to its file. Boxed: the decoder is large, and few
    /// strings are images.
    Image {
        decoder: Option<Box<Base64Image<'static, PartFile>>>,
        failed: Option<Error>,
        escape: Escape,
    },
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
    pub fn new(inner: &'a mut dyn Read, out_dir: &'a OutputDir) -> Self {
        Self {
            inner,
            out_dir,
            nonce: crate::api::retry::jitter().to_bits(),
            input: vec![0u8; INPUT].into_boxed_slice(),
            start: 0,
            end: 0,
            output: Vec::with_capacity(INPUT + 64),
            taken: 0,
            state: State::Outside,
            images: Vec::new(),
        }
    }

    /// The image a placeholder stands for, taken out once; `None` for a placeholder
    /// this reader did not write.
    pub fn take_image(&mut self, nonce: u64, id: usize) -> Option<Streamed> {
        (nonce == self.nonce).then(|| self.images.get_mut(id).and_then(Option::take)).flatten()
    }

    /// Moves the next input to `output`, returning false at the end of the body.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start == self.end {
            self.start = 0;
            self.end = loop {
                match self.inner.read(&mut self.input) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    result => break result?,
                }
            };
            if self.end == 0 {
                return Ok(false);
            }
        }
        // Out of `self` while it is read, so the steps may change everything else.
        let input = std::mem::take(&mut self.input);
        let consumed = self.step(&input[self.start..self.end]);
        self.input = input;
        self.start += consumed;
        Ok(true)
    }

    /// Handles `data` (not empty) in the current state; returns how much of it was
    /// consumed (at least one byte).
    fn step(&mut self, data: &[u8]) -> usize {
        match &mut self.state {
            State::Outside => {
                let (n, quote) = match memchr::memchr(b'"', data) {
                    Some(i) => (i + 1, true),
                    None => (data.len(), false),
                };
                self.output.extend_from_slice(&data[..n]);
                if quote {
                    self.state = State::Head { held: Vec::new(), escaped: false };
                }
                n
            }
            State::Head { held, escaped } => {
                let mut consumed = data.len();
                let mut ended = false;
                for (i, &b) in data.iter().enumerate() {
                    held.push(b);
                    if *escaped {
                        *escaped = false;
                    } else if b == b'\\' {
                        *escaped = true;
                    } else if b == b'"' {
                        (consumed, ended) = (i + 1, true);
                        break;
                    }
                    if held.len() >= DECIDE_AT {
                        consumed = i + 1;
                        break;
                    }
                }
                if ended {
                    self.output.extend_from_slice(held);
                    self.state = State::Outside;
                } else if held.len() >= DECIDE_AT {
                    let (held, escaped) = (std::mem::take(held), *escaped);
                    self.decide(held, escaped);
                }
                consumed
            }
            State::Passing { escaped } => {
                let mut i = 0;
                while i < data.len() {
                    if *escaped {
                        *escaped = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', &data[i..]) {
                        None => i = data.len(),
                        Some(at) if data[i + at] == b'\\' => {
                            *escaped = true;
                            i += at + 1;
                        }
                        Some(at) => {
                            self.output.extend_from_slice(&data[..i + at + 1]);
                            self.state = State::Outside;
                            return i + at + 1;
                        }
                    }
                }
                self.output.extend_from_slice(data);
                data.len()
            }
            State::Image { .. } => self.image_bytes(data),
        }
    }

    /// The first `DECIDE_AT` bytes of a string are in: an image's base64 goes to a file
    /// from here; anything else is passed on.
    fn decide(&mut self, held: Vec<u8>, escaped: bool) {
        let Some(payload_at) = image_payload(&held) else {
            self.output.extend_from_slice(&held);
            self.state = State::Passing { escaped };
            return;
        };
        let (decoder, failed) = match self.out_dir.begin() {
            Ok(part) => (Some(Box::new(Base64Image::new(part))), None),
            Err(error) => (None, Some(error)),
        };
        self.state = State::Image { decoder, failed, escape: Escape::None };
        self.image_bytes(&held[payload_at..]);
    }

    /// Feeds base64 text (JSON-escaped) to the decoder until the string ends; returns
    /// how much of `text` was consumed.
    fn image_bytes(&mut self, text: &[u8]) -> usize {
        let State::Image { decoder, failed, escape } = &mut self.state else { return 0 };
        let mut i = 0;
        let feed =
            |bytes: &[u8], decoder: &mut Option<Box<Base64Image<'static, PartFile>>>, failed: &mut Option<Error>| {
                if let Some(d) = decoder
                    && let Err(error) = d.push(bytes)
                {
                    *decoder = None;
                    failed.get_or_insert(error);
                }
            };
        while i < text.len() {
            match *escape {
                Escape::Started => {
                    *escape = Escape::None;
                    match text[i] {
                        // JSON's escaped line breaks: whitespace, skipped.
                        b'n' | b'r' | b't' => {}
                        b'/' => feed(b"/", decoder, failed),
                        b'u' => *escape = Escape::Unicode(0, 0),
                        _ => feed(b"!", decoder, failed),
                    }
                    i += 1;
                }
                Escape::Unicode(seen, value) => {
                    let digit = (text[i] as char).to_digit(16);
                    let value = value * 16 + digit.unwrap_or(0);
                    *escape = match (digit, seen) {
                        (None, _) => {
                            feed(b"!", decoder, failed);
                            Escape::None
                        }
                        (Some(_), 3) => {
                            // An escaped ASCII character is that character; anything
                            // else is no base64.
                            let byte = u8::try_from(value).ok().filter(u8::is_ascii).unwrap_or(b'!');
                            feed(&[byte], decoder, failed);
                            Escape::None
                        }
                        (Some(_), _) => Escape::Unicode(seen + 1, value),
                    };
                    i += 1;
                }
                Escape::None => match memchr::memchr2(b'"', b'\\', &text[i..]) {
                    None => {
                        feed(&text[i..], decoder, failed);
                        i = text.len();
                    }
                    Some(at) => {
                        feed(&text[i..i + at], decoder, failed);
                        i += at + 1;
                        if text[i - 1] == b'\\' {
                            *escape = Escape::Started;
                        } else {
                            self.end_image();
                            return i;
                        }
                    }
                },
            }
        }
        i
    }

    /// The image's string ended: the file is finished and closed, and the parser is
    /// given a placeholder for it.
    fn end_image(&mut self) {
        let State::Image { decoder, failed, .. } = std::mem::replace(&mut self.state, State::Outside) else { return };
        let streamed = match (decoder, failed) {
            (_, Some(error)) => Err(error),
            (Some(decoder), None) => decoder.finish().and_then(|(part, fetched)| {
                part.closed().map(|part| (part, fetched)).map_err(|e| Error::io("cannot write the image", &e))
            }),
            (None, None) => Err(Error::new(crate::error::Kind::Other, "the image was lost while it was decoded")),
        };
        let id = self.images.len();
        self.images.push(Some(streamed));
        self.output.extend_from_slice(placeholder(self.nonce, id).as_bytes());
        self.output.push(b'"');
    }
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

/// What the parser sees instead of an image: the text of a JSON string (NUL escaped,
/// so no real image string reads the same), read back by `ImageData::classify`.
fn placeholder(nonce: u64, id: usize) -> String {
    format!("\\u0000blob:{nonce:016x}:{id}")
}

/// A placeholder's nonce and id, from the string the parser made of it.
pub fn parse_placeholder(text: &str) -> Option<(u64, usize)> {
    let rest = text.strip_prefix("\0blob:")?;
    let (nonce, id) = rest.split_once(':')?;
    Some((u64::from_str_radix(nonce, 16).ok()?, id.parse().ok()?))
}

/// Where an image's base64 starts in the first bytes of a string (as sent, JSON
/// escapes and all), if they are an image's: bare base64 or a `data:…;base64,` URI
/// whose first bytes decode to a format `wan` saves. URLs, text and anything else: `None`.
fn image_payload(held: &[u8]) -> Option<usize> {
    let lead = held.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let text = &held[lead..];
    let payload_at = if text.len() >= 5 && text[..5].eq_ignore_ascii_case(b"data:") {
        let comma = memchr::memchr(b',', text)?;
        let header = text[..comma].to_ascii_lowercase();
        if !header.ends_with(b";base64") {
            return None;
        }
        lead + comma + 1
    } else {
        lead
    };
    // The base64 of the magic number, JSON escapes of `/` and line breaks undone.
    let mut head = Vec::with_capacity(SNIFF_LEN.div_ceil(3) * 4);
    let mut bytes = held[payload_at..].iter();
    while head.len() < SNIFF_LEN.div_ceil(3) * 4 {
        match *bytes.next()? {
            b'\\' => match *bytes.next()? {
                b'/' => head.push(b'/'),
                b'n' | b'r' | b't' => {}
                b'u' => {
                    let hex: Vec<u8> = bytes.by_ref().take(4).copied().collect();
                    let value = u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?;
                    head.push(value);
                }
                _ => return None,
            },
            b if b.is_ascii_whitespace() => {}
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
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    /// A PNG-shaped image: magic, IHDR, `size` bytes of data, IEND.
    fn png(size: usize) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x01\x2c\0\0\x01\x2c\x08\x02\0\0\0\0\0\0\0".to_vec();
        bytes.extend((0..size).map(|i| (i * 31 % 251) as u8));
        bytes.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
        bytes
    }

    /// Reads `json` through the filter in reads of `piece` bytes; what the parser got,
    /// and the images taken out.
    fn filter(json: &[u8], piece: usize) -> (String, Vec<Streamed>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let mut body = Trickle { data: json, piece };
        let mut blobs = Blobs::new(&mut body, &out);
        let mut passed = Vec::new();
        blobs.read_to_end(&mut passed).unwrap();
        let nonce = blobs.nonce;
        let text = String::from_utf8(passed).unwrap();
        let images = (0..blobs.images.len()).map(|id| blobs.take_image(nonce, id).unwrap()).collect();
        assert!(blobs.take_image(nonce, 0).is_none(), "an image is taken once");
        (text, images, dir)
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

    fn saved(image: &Streamed) -> Vec<u8> {
        let (part, fetched) = image.as_ref().unwrap();
        let bytes = std::fs::read(part.path()).unwrap();
        assert_eq!(fetched.bytes, bytes.len() as u64);
        bytes
    }

    #[test]
    fn images_go_to_files_and_the_rest_passes_untouched() {
        let (one, two) = (png(100_000), png(5_000));
        let json = serde_json::json!({
            "id": "chatcmpl-1",
            "text": "x".repeat(10_000),
            "escaped": "a \"quoted\" \\ \u{e9} word",
            "url": format!("https://cdn.example/{}.png", "a".repeat(500)),
            "data": [{"b64_json": STANDARD.encode(&one)}, {"b64_json": format!("data:image/png;base64,{}", STANDARD.encode(&two))}],
            "small": STANDARD.encode(png(10)),
        })
        .to_string();
        for piece in [1, 7, 256, 4096, 1 << 20] {
            let (passed, images, _dir) = filter(json.as_bytes(), piece);
            let value: serde_json::Value = serde_json::from_str(&passed).unwrap();
            let original: serde_json::Value = serde_json::from_str(&json).unwrap();
            for key in ["id", "text", "escaped", "url", "small"] {
                assert_eq!(value[key], original[key], "{key}, in pieces of {piece}");
            }
            assert_eq!(images.len(), 2);
            assert_eq!(saved(&images[0]), one);
            assert_eq!(saved(&images[1]), two);
            let first = value["data"][0]["b64_json"].as_str().unwrap();
            assert_eq!(parse_placeholder(first).map(|(_, id)| id), Some(0));
            assert!(passed.len() < 11_000 + 1000, "{} bytes passed on", passed.len());
        }
    }

    #[test]
    fn escapes_and_line_breaks_inside_base64_are_undone() {
        let image = png(3_000);
        let plain = STANDARD.encode(&image);
        // PHP escapes every `/`; some encoders wrap lines; some use \u escapes.
        let escaped = plain.replace('/', "\\/");
        let wrapped: String =
            plain.as_bytes().chunks(76).map(|l| format!("{}\\r\\n", std::str::from_utf8(l).unwrap())).collect();
        let unicode = plain.replacen('A', "\\u0041", 3);
        let url_safe = URL_SAFE_NO_PAD.encode(&image);
        for text in [escaped, wrapped, unicode, url_safe] {
            let json = format!("{{\"image\": \"{text}\"}}");
            for piece in [1, 5, 300] {
                let (_, images, _dir) = filter(json.as_bytes(), piece);
                assert_eq!(saved(&images[0]), image, "in pieces of {piece}: {}", &text[..40]);
            }
        }
    }

    #[test]
    fn broken_images_are_reported_and_the_answer_still_reads() {
        let image = STANDARD.encode(png(3_000));
        let cases = [
            (format!("{}!!!!{}", &image[..1000], &image[1000..]), "not valid base64"),
            (image[..2000].to_string(), "cut short"),
            (format!("{}\\\"", &image[..1000]), "not valid base64"),
        ];
        for (text, why) in cases {
            let json = format!("{{\"image\": \"{text}\", \"after\": 1}}");
            let (passed, images, dir) = filter(json.as_bytes(), 100);
            let message = images[0].as_ref().unwrap_err().to_string();
            assert!(message.contains(why), "{message}");
            let value: serde_json::Value = serde_json::from_str(&passed).unwrap();
            assert_eq!(value["after"], 1);
            drop(images);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no part file is left");
        }
    }

    #[test]
    fn only_image_payloads_are_taken() {
        let png64 = STANDARD.encode(png(300));
        let jpeg64 = STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0]);
        assert_eq!(image_payload(png64.as_bytes()), Some(0));
        assert_eq!(image_payload(format!("  {jpeg64}").as_bytes()), Some(2));
        assert_eq!(image_payload(format!("DATA:image/png;BASE64,{png64}").as_bytes()), Some(22));
        assert_eq!(image_payload(png64.replace('/', "\\/").as_bytes()), Some(0));
        for not in [
            "https://cdn.example/a.png".to_string(),
            "x".repeat(300),
            STANDARD.encode("just some text that is long enough"),
            format!("data:text/plain,{png64}"),
            format!("data:image/png;base64{png64}"),
            "iVBORw".to_string(),
        ] {
            assert_eq!(image_payload(not.as_bytes()), None, "{}", &not[..not.len().min(40)]);
        }
    }

    #[test]
    fn placeholders_cannot_be_forged() {
        assert_eq!(parse_placeholder("\0blob:00000000000000ff:3"), Some((255, 3)));
        for not in ["blob:ff:3", "\0blob:ff", "\0blob:zz:1", "\0other:ff:1", ""] {
            assert_eq!(parse_placeholder(not), None, "{not:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let mut body: &[u8] = b"{}";
        let mut blobs = Blobs::new(&mut body, &out);
        let nonce = blobs.nonce;
        assert!(blobs.take_image(nonce ^ 1, 0).is_none() && blobs.take_image(nonce, 0).is_none());
    }
}

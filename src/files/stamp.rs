//! The label put into an image while its bytes stream to disk, where its format says, in
//! one pass and without decoding a pixel:
//!
//! - PNG: an `iTXt` chunk with keyword `XML:com.adobe.xmp` just before `IEND` (the chunk
//!   headers are followed as the bytes pass; the last 12 bytes wait for the end).
//! - JPEG: an APP1 segment (`http://ns.adobe.com/xap/1.0/\0`, then the packet) after the
//!   leading JFIF APP0 and Exif APP1 segments; the segments after it wait in memory until the
//!   first scan (SOS) shows whether the file is signed or labelled already.
//! - WebP: an `XMP ` chunk at the end and the XMP flag in `VP8X`. A simple file (one `VP8 `
//!   or `VP8L` chunk) becomes an extended one: a `VP8X` chunk with the canvas size read from
//!   the bitstream's header goes before it, and the RIFF size grows by both chunks. An
//!   extended file waits in memory (up to 32 MiB) to its end, where a C2PA chunk would be.
//!
//! A file that carries a C2PA manifest (PNG `caBX`, JPEG APP11 JUMBF, WebP `C2PA`) is left
//! byte for byte as served: the manifest signs a hash of those bytes. So is one that carries
//! an XMP packet of its own (a second packet is against the XMP spec), one whose structure
//! `wan` cannot follow, and any other format (GIF, BMP).

use std::sync::Arc;

use crate::files::c2pa;
use crate::files::format::{ImageFormat, SNIFF_LEN};
use crate::files::label::{JPEG_MAX_PACKET, Label, new_id};

/// PNG's last chunk: length 0, `IEND`, its CRC.
pub const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
/// The keyword of the PNG chunk that holds XMP, with its NUL.
pub const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp\0";
/// What opens a JPEG APP1 segment that holds XMP.
pub const JPEG_XMP_NAMESPACE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// What opens the APP1 segments of extended XMP (which come with a main packet).
const JPEG_XMP_EXTENSION: &[u8] = b"http://ns.adobe.com/xmp/extension/\0";
const JPEG_EXIF: &[u8] = b"Exif\0\0";
/// The VP8X flag that says an `XMP ` chunk follows.
pub const WEBP_XMP_FLAG: u8 = 0x04;
const WEBP_ALPHA_FLAG: u8 = 0x10;
/// The most of a JPEG's header segments held while waiting for its first scan.
const JPEG_MAX_HELD: usize = 4 << 20;
/// The most of an extended WebP held while waiting for its end.
const WEBP_MAX_HELD: usize = 32 << 20;

/// What became of the label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamped {
    /// The file carries it.
    Labelled,
    /// `--no-metadata`: the bytes as served.
    Off,
    /// The file carries a C2PA manifest (Content Credentials): the bytes as served.
    Signed,
    /// The file carries an XMP packet of its own: the bytes as served.
    HasXmp,
    /// GIF, BMP, or a structure `wan` could not follow: the bytes as served.
    NotLabelled,
}

/// The label going into one image as its bytes pass.
#[derive(Debug)]
pub struct Stamp {
    label: Option<Arc<Label>>,
    state: State,
    /// Served bytes taken in so far.
    seen: u64,
}

#[derive(Debug)]
enum State {
    /// The first bytes, until the format is known.
    Sniffing(Vec<u8>),
    /// The rest goes as served; what became of the label is said.
    Pass(Stamped),
    Png(Png),
    Jpeg(Box<Jpeg>),
    Webp(Box<Webp>),
}

impl Stamp {
    /// A stamp for an image to be labelled with `label` (`None`: written as served).
    pub fn new(label: Option<Arc<Label>>) -> Self {
        let state = match label {
            Some(_) => State::Sniffing(Vec::with_capacity(SNIFF_LEN)),
            None => State::Pass(Stamped::Off),
        };
        Self { label, state, seen: 0 }
    }

    /// Takes the next served bytes, and appends to `out` those that may be written now, in
    /// order, the label where it goes.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let start = self.seen;
        self.seen += bytes.len() as u64;
        match &mut self.state {
            State::Pass(_) => out.extend_from_slice(bytes),
            State::Png(png) => {
                png.follow(start, bytes);
                out.extend_from_slice(bytes);
            }
            State::Jpeg(jpeg) => {
                if let Some(done) = jpeg.push(start, bytes, out) {
                    self.state = State::Pass(done);
                }
            }
            State::Webp(webp) => {
                if let Some(done) = webp.push(bytes, out) {
                    self.state = State::Pass(done);
                }
            }
            State::Sniffing(head) => {
                head.extend_from_slice(bytes);
                if head.len() < SNIFF_LEN {
                    return;
                }
                let head = std::mem::take(head);
                let label = self.label.as_deref().expect("only a label is sniffed for");
                self.state = match ImageFormat::sniff(&head) {
                    Some(ImageFormat::Png) => State::Png(Png::new(label)),
                    Some(ImageFormat::Jpeg) => State::Jpeg(Box::new(Jpeg::new(label))),
                    Some(ImageFormat::Webp) => State::Webp(Box::new(Webp::new(label))),
                    _ => State::Pass(Stamped::NotLabelled),
                };
                self.seen = 0;
                self.push(&head, out);
            }
        }
    }

    /// The end of the served bytes: what is still held goes to `out`, with the label where
    /// it goes. `out` must still hold the last 12 bytes pushed (PNG's `IEND`, which the label
    /// goes before): the caller writes all but those as it goes.
    pub fn finish(self, out: &mut Vec<u8>) -> Stamped {
        let total = self.seen;
        match self.state {
            State::Sniffing(head) => {
                out.extend_from_slice(&head);
                Stamped::NotLabelled
            }
            State::Pass(stamped) => stamped,
            State::Png(png) => png.finish(total, out),
            State::Jpeg(jpeg) => jpeg.finish(out),
            State::Webp(webp) => webp.finish(out),
        }
    }
}

/// A PNG: its chunk headers followed as the bytes pass, to know at its end that the last
/// chunk is the `IEND` the label goes before, and that no chunk signs or labels it already.
#[derive(Debug)]
struct Png {
    chunk: Vec<u8>,
    /// Where the next chunk header starts (the signature is 8 bytes).
    next: u64,
    /// The start of the header being read, as much as is needed of it.
    header: Vec<u8>,
    iend_at: Option<u64>,
    signed: bool,
    has_xmp: bool,
    /// A length no PNG has: the chunks are not followed further.
    lost: bool,
}

impl Png {
    fn new(label: &Label) -> Self {
        let chunk = png_chunk(&label.packet(&new_id(), None));
        Self {
            chunk,
            next: 8,
            header: Vec::with_capacity(8 + PNG_XMP_KEYWORD.len()),
            iend_at: None,
            signed: false,
            has_xmp: false,
            lost: false,
        }
    }

    /// Reads the chunk headers within `bytes`, which start at offset `start`.
    fn follow(&mut self, start: u64, bytes: &[u8]) {
        let end = start + bytes.len() as u64;
        while !self.lost && self.next + (self.header.len() as u64) < end {
            let at = (self.next + self.header.len() as u64 - start) as usize;
            let take = (self.wanted() - self.header.len()).min(bytes.len() - at);
            self.header.extend_from_slice(&bytes[at..at + take]);
            if self.header.len() < self.wanted() {
                continue;
            }
            let length = u32::from_be_bytes([self.header[0], self.header[1], self.header[2], self.header[3]]);
            if length > 0x7FFF_FFFF {
                self.lost = true;
                return;
            }
            match &self.header[4..8] {
                b"IEND" => self.iend_at = Some(self.next),
                b"caBX" => self.signed = true,
                b"iTXt" if self.header[8..].starts_with(PNG_XMP_KEYWORD) => self.has_xmp = true,
                _ => {}
            }
            self.next += 12 + u64::from(length);
            self.header.clear();
        }
    }

    /// How much of the current chunk is read: its header, and an `iTXt`'s keyword.
    fn wanted(&self) -> usize {
        match self.header.get(..8) {
            Some(head) if &head[4..] == b"iTXt" => {
                let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                8 + length.min(PNG_XMP_KEYWORD.len())
            }
            _ => 8,
        }
    }

    fn finish(self, total: u64, out: &mut Vec<u8>) -> Stamped {
        if self.signed {
            return Stamped::Signed;
        }
        if self.has_xmp {
            return Stamped::HasXmp;
        }
        // The label goes before the IEND that ends the file, and only where the chunks led there.
        let ends_right = !self.lost && total >= 20 && self.iend_at == Some(total - 12) && out.ends_with(&IEND);
        if !ends_right {
            return Stamped::NotLabelled;
        }
        let at = out.len() - IEND.len();
        out.splice(at..at, self.chunk);
        Stamped::Labelled
    }
}

/// The whole `iTXt` chunk (length, type, data, CRC) holding `packet`: keyword
/// `XML:com.adobe.xmp`, not compressed, no language, no translated keyword (the XMP spec's
/// placement for PNG).
pub fn png_chunk(packet: &str) -> Vec<u8> {
    let mut data = Vec::with_capacity(PNG_XMP_KEYWORD.len() + 4 + packet.len());
    data.extend_from_slice(PNG_XMP_KEYWORD);
    data.extend_from_slice(&[0, 0, 0, 0]); // compression flag, method, empty language, empty translation
    data.extend_from_slice(packet.as_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(b"iTXt");
    crc.update(&data);
    let mut out = Vec::with_capacity(12 + data.len());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(b"iTXt");
    out.extend_from_slice(&data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

/// The APP1 segment holding `packet` (at most [`JPEG_MAX_PACKET`] bytes).
pub fn jpeg_segment(packet: &str) -> Vec<u8> {
    let length = 2 + JPEG_XMP_NAMESPACE.len() + packet.len();
    let mut out = Vec::with_capacity(2 + length);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(length as u16).to_be_bytes());
    out.extend_from_slice(JPEG_XMP_NAMESPACE);
    out.extend_from_slice(packet.as_bytes());
    out
}

/// The `XMP ` chunk holding `packet`, padded to an even length as RIFF wants.
pub fn webp_chunk(packet: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + packet.len());
    out.extend_from_slice(b"XMP ");
    out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
    out.extend_from_slice(packet.as_bytes());
    if packet.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A JPEG: its segments followed up to the first scan, all of them held until then (a few
/// kilobytes: the tables, Exif, an ICC profile), then written with the label in its place.
#[derive(Debug)]
struct Jpeg {
    /// `None` where even a packet without the prompt is too long for one segment (`--param`
    /// values of 64 KB): the file goes as served.
    segment: Option<Vec<u8>>,
    /// Where the next marker starts (after SOI).
    next: u64,
    /// The start of the segment being read: marker, length, and enough to tell what it is.
    header: Vec<u8>,
    /// Every byte so far: nothing is written before the first scan.
    held: Vec<u8>,
    /// Where the label goes: before the first segment that is neither JFIF APP0 nor Exif APP1.
    place: Option<u64>,
    signed: bool,
    has_xmp: bool,
}

/// How much of a segment tells what it holds: marker, length, the longest identifier.
const JPEG_HEADER: usize = 4 + 35;

impl Jpeg {
    fn new(label: &Label) -> Self {
        let packet = label.packet(&new_id(), Some(JPEG_MAX_PACKET));
        let segment = (packet.len() <= JPEG_MAX_PACKET).then(|| jpeg_segment(&packet));
        Self {
            segment,
            next: 2,
            header: Vec::with_capacity(JPEG_HEADER),
            held: Vec::new(),
            place: None,
            signed: false,
            has_xmp: false,
        }
    }

    /// `bytes` start at offset `start`. Returns the outcome once nothing more is held.
    fn push(&mut self, start: u64, bytes: &[u8], out: &mut Vec<u8>) -> Option<Stamped> {
        let end = start + bytes.len() as u64;
        while self.next + (self.header.len() as u64) < end {
            let at = (self.next + self.header.len() as u64 - start) as usize;
            let wanted = match self.header.get(2..4) {
                Some(length) => (2 + usize::from(u16::from_be_bytes([length[0], length[1]]))).min(JPEG_HEADER),
                None => 4,
            };
            let take = wanted.saturating_sub(self.header.len()).min(bytes.len() - at);
            self.header.extend_from_slice(&bytes[at..at + take]);
            if self.header.len() < 4 {
                continue;
            }
            let (marker, length) = (self.header[1], u16::from_be_bytes([self.header[2], self.header[3]]));
            let no_segment = matches!(marker, 0xD8 | 0xD9 | 0x01 | 0xD0..=0xD7 | 0xFF | 0x00);
            if self.header[0] != 0xFF || no_segment || length < 2 {
                // No segment where one must be: a structure not followed; the bytes as served.
                return Some(self.give_up(bytes, out));
            }
            if marker == 0xDA {
                // The first scan (which may have begun in an earlier piece): everything the
                // label depends on has been seen.
                self.held.extend_from_slice(bytes);
                return Some(self.decide(out));
            }
            if self.header.len() < (2 + usize::from(length)).min(JPEG_HEADER) {
                continue;
            }
            let body = &self.header[4..];
            let leading = marker == 0xE0 || (marker == 0xE1 && body.starts_with(JPEG_EXIF));
            if !leading && self.place.is_none() {
                self.place = Some(self.next);
            }
            if marker == 0xEB && c2pa::is_jpeg_app11(body) {
                self.signed = true;
            }
            if marker == 0xE1 && (body.starts_with(JPEG_XMP_NAMESPACE) || body.starts_with(JPEG_XMP_EXTENSION)) {
                self.has_xmp = true;
            }
            self.next += 2 + u64::from(length);
            self.header.clear();
        }
        if self.held.len() + bytes.len() > JPEG_MAX_HELD {
            return Some(self.give_up(bytes, out));
        }
        self.held.extend_from_slice(bytes);
        None
    }

    /// The first scan has begun: what was held goes out, the label in its place (before the
    /// first segment that is neither JFIF nor Exif, else before the scan).
    fn decide(&mut self, out: &mut Vec<u8>) -> Stamped {
        let outcome = if self.signed {
            Stamped::Signed
        } else if self.has_xmp {
            Stamped::HasXmp
        } else if self.segment.is_none() {
            Stamped::NotLabelled
        } else {
            Stamped::Labelled
        };
        let held = std::mem::take(&mut self.held);
        let place = self.place.unwrap_or(self.next) as usize;
        out.extend_from_slice(&held[..place]);
        if let Some(segment) = self.segment.as_ref().filter(|_| outcome == Stamped::Labelled) {
            out.extend_from_slice(segment);
        }
        out.extend_from_slice(&held[place..]);
        outcome
    }

    fn give_up(&mut self, rest: &[u8], out: &mut Vec<u8>) -> Stamped {
        out.extend_from_slice(&std::mem::take(&mut self.held));
        out.extend_from_slice(rest);
        Stamped::NotLabelled
    }

    /// The stream ended before a scan: nothing is inserted.
    fn finish(mut self, out: &mut Vec<u8>) -> Stamped {
        self.give_up(&[], out)
    }
}

/// A WebP: its head (RIFF header and first chunk's start) until it shows the kind of file.
#[derive(Debug)]
struct Webp {
    chunk: Vec<u8>,
    phase: WebpPhase,
}

#[derive(Debug)]
enum WebpPhase {
    /// The first bytes, until the first chunk's header and bitstream header are in.
    Head(Vec<u8>),
    /// A simple file made extended: the rest as served, the chunk appended at the end.
    Simple,
    /// An extended file, held whole: its chunks are read at the end.
    Extended(Vec<u8>),
}

/// RIFF header, first chunk header, and the most of a bitstream the canvas size needs.
const WEBP_HEAD: usize = 12 + 8 + 10;

impl Webp {
    fn new(label: &Label) -> Self {
        Self {
            chunk: webp_chunk(&label.packet(&new_id(), None)),
            phase: WebpPhase::Head(Vec::with_capacity(WEBP_HEAD)),
        }
    }

    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Option<Stamped> {
        match &mut self.phase {
            WebpPhase::Simple => out.extend_from_slice(bytes),
            WebpPhase::Extended(held) if held.len() + bytes.len() > WEBP_MAX_HELD => {
                out.extend_from_slice(held);
                out.extend_from_slice(bytes);
                return Some(Stamped::NotLabelled);
            }
            WebpPhase::Extended(held) => held.extend_from_slice(bytes),
            WebpPhase::Head(head) => {
                head.extend_from_slice(bytes);
                if head.len() < WEBP_HEAD {
                    return None;
                }
                let head = std::mem::take(head);
                return self.begin(head, out);
            }
        }
        None
    }

    /// The head is in: the file is simple (made extended now), extended (held), or neither.
    fn begin(&mut self, head: Vec<u8>, out: &mut Vec<u8>) -> Option<Stamped> {
        let le32 = |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let riff_size = le32(4);
        let (kind, size) = (&head[12..16], le32(16));
        let payload = &head[20..];
        // A simple file holds its one chunk and nothing after it (a trailing C2PA chunk, say).
        let only_chunk = u64::from(riff_size) == 4 + 8 + u64::from(size) + u64::from(size % 2);
        let canvas = match kind {
            b"VP8 " if payload[3..6] == [0x9D, 0x01, 0x2A] => {
                let width = u32::from(u16::from_le_bytes([payload[6], payload[7]]) & 0x3FFF);
                let height = u32::from(u16::from_le_bytes([payload[8], payload[9]]) & 0x3FFF);
                Some((width, height, 0))
            }
            b"VP8L" if payload[0] == 0x2F => {
                let bits = u32::from_le_bytes([payload[1], payload[2], payload[3], payload[4]]);
                let alpha = if (bits >> 28) & 1 == 1 { WEBP_ALPHA_FLAG } else { 0 };
                Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, alpha))
            }
            b"VP8X" => {
                if payload[0] & WEBP_XMP_FLAG != 0 {
                    out.extend_from_slice(&head);
                    return Some(Stamped::HasXmp);
                }
                self.phase = WebpPhase::Extended(head);
                return None;
            }
            _ => None,
        };
        let Some((width, height, alpha)) = canvas.filter(|&(w, h, _)| only_chunk && w > 0 && h > 0) else {
            out.extend_from_slice(&head);
            return Some(Stamped::NotLabelled);
        };
        let vp8x = vp8x_chunk(WEBP_XMP_FLAG | alpha, width, height);
        let Some(grown) = u32::try_from(vp8x.len() + self.chunk.len()).ok().and_then(|n| riff_size.checked_add(n))
        else {
            out.extend_from_slice(&head);
            return Some(Stamped::NotLabelled);
        };
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&grown.to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend_from_slice(&vp8x);
        out.extend_from_slice(&head[12..]);
        self.phase = WebpPhase::Simple;
        None
    }

    fn finish(self, out: &mut Vec<u8>) -> Stamped {
        match self.phase {
            WebpPhase::Head(head) => {
                out.extend_from_slice(&head);
                Stamped::NotLabelled
            }
            WebpPhase::Simple => {
                out.extend_from_slice(&self.chunk);
                Stamped::Labelled
            }
            WebpPhase::Extended(mut file) => {
                let riff_size = u32::from_le_bytes([file[4], file[5], file[6], file[7]]);
                let grown = u32::try_from(self.chunk.len()).ok().and_then(|n| riff_size.checked_add(n));
                let outcome = match (extended_outcome(&file), grown) {
                    (Stamped::Labelled, None) => Stamped::NotLabelled,
                    (outcome, _) => outcome,
                };
                if let (Stamped::Labelled, Some(grown)) = (outcome, grown) {
                    file[4..8].copy_from_slice(&grown.to_le_bytes());
                    file[20] |= WEBP_XMP_FLAG;
                    file.extend_from_slice(&self.chunk);
                }
                out.extend_from_slice(&file);
                outcome
            }
        }
    }
}

/// Whether an extended WebP, whole, may take the label: its chunks lead to its end, and none
/// is a C2PA manifest or an XMP packet.
fn extended_outcome(file: &[u8]) -> Stamped {
    let mut at = 12;
    let mut outcome = Stamped::Labelled;
    while at + 8 <= file.len() {
        let size = u32::from_le_bytes([file[at + 4], file[at + 5], file[at + 6], file[at + 7]]) as usize;
        match &file[at..at + 4] {
            b"C2PA" => return Stamped::Signed,
            b"XMP " => outcome = Stamped::HasXmp,
            _ => {}
        }
        at = at.saturating_add(8).saturating_add(size).saturating_add(size % 2);
    }
    let riff_size = u32::from_le_bytes([file[4], file[5], file[6], file[7]]) as usize;
    if at != file.len() || riff_size + 8 != file.len() {
        return Stamped::NotLabelled;
    }
    outcome
}

/// A `VP8X` chunk: `flags`, the canvas `width`×`height` (each stored less one, in 24 bits).
fn vp8x_chunk(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(18);
    out.extend_from_slice(b"VP8X");
    out.extend_from_slice(&10u32.to_le_bytes());
    out.extend_from_slice(&[flags, 0, 0, 0]);
    out.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    out.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::c2pa;
    use crate::files::label;

    fn label() -> Arc<Label> {
        Arc::new(Label {
            model: "wan2.7-image".into(),
            prompt: Some("a red panda".into()),
            run: Some("run1".into()),
            route: "auto".into(),
            created: "2026-12-07T21:08:23Z".into(),
            ..Label::default()
        })
    }

    /// `served` through a stamp in pieces of `piece` bytes, as the sink writes it: all but
    /// the last 12 bytes as they come, the rest at the end.
    fn stamped(served: &[u8], piece: usize) -> (Vec<u8>, Stamped) {
        let mut stamp = Stamp::new(Some(label()));
        let (mut file, mut held) = (Vec::new(), Vec::new());
        for chunk in served.chunks(piece.max(1)) {
            stamp.push(chunk, &mut held);
            let ready = held.len().saturating_sub(IEND.len());
            file.extend(held.drain(..ready));
        }
        let outcome = stamp.finish(&mut held);
        file.extend(held);
        (file, outcome)
    }

    /// The same output whatever the pieces the bytes come in.
    fn stamped_in_any_pieces(served: &[u8]) -> (Vec<u8>, Stamped) {
        let (whole, outcome) = stamped(served, served.len());
        for piece in [1, 2, 3, 5, 7, 12, 13, 31, 64, 1000] {
            let (file, again) = stamped(served, piece);
            assert!(file == whole, "in pieces of {piece}");
            assert_eq!(again, outcome, "in pieces of {piece}");
        }
        (whole, outcome)
    }

    /// The packet the file carries, read back.
    fn packet_of(bytes: &[u8]) -> label::Read {
        let embedded = crate::files::provenance::read(bytes);
        label::read(&embedded.xmp.expect("an XMP packet")).expect("well-formed")
    }

    fn real_png() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, 40, 30);
        encoder.set_color(png::ColorType::Rgba);
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..40 * 30 * 4).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        bytes
    }

    fn png_with_chunk_after_ihdr(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let png = real_png();
        let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(kind);
        chunk.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        chunk.extend_from_slice(&crc.finalize().to_be_bytes());
        [&png[..33], &chunk, &png[33..]].concat()
    }

    #[test]
    fn a_png_takes_its_label_before_iend_and_still_decodes() {
        let served = real_png();
        let (file, outcome) = stamped_in_any_pieces(&served);
        assert_eq!(outcome, Stamped::Labelled);
        // All of the served bytes but IEND, then one iTXt chunk, then IEND.
        assert_eq!(&file[..served.len() - 12], &served[..served.len() - 12]);
        let chunk = &file[served.len() - 12..file.len() - 12];
        assert_eq!(&chunk[4..8], b"iTXt");
        assert_eq!(&chunk[8..8 + PNG_XMP_KEYWORD.len()], PNG_XMP_KEYWORD);
        assert!(file.ends_with(&IEND));
        // The png crate reads every chunk, checks every CRC, and gives the same pixels.
        let decode = |bytes: &[u8]| {
            let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
            let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
            reader.next_frame(&mut pixels).unwrap();
            reader.finish().unwrap();
            let keywords: Vec<String> = reader.info().utf8_text.iter().map(|t| t.keyword.clone()).collect();
            (pixels, keywords)
        };
        let (pixels, keywords) = decode(&file);
        assert_eq!(pixels, decode(&served).0);
        assert_eq!(keywords, ["XML:com.adobe.xmp"]);
        let read = packet_of(&file);
        assert_eq!(read.source_term(), Some("trainedAlgorithmicMedia"));
        assert_eq!(read.prompt.as_deref(), Some("a red panda"));
    }

    #[test]
    fn a_signed_or_labelled_png_and_one_not_followed_are_left_as_served() {
        let signed = png_with_chunk_after_ihdr(b"caBX", &c2pa::test_store("OpenAI-API", false));
        assert!(stamped_in_any_pieces(&signed) == (signed.clone(), Stamped::Signed));
        let mut xmp = PNG_XMP_KEYWORD.to_vec();
        xmp.extend_from_slice(b"\0\0\0\0<x:xmpmeta/>");
        let labelled = png_with_chunk_after_ihdr(b"iTXt", &xmp);
        assert_eq!(stamped_in_any_pieces(&labelled), (labelled.clone(), Stamped::HasXmp));
        // Another iTXt is no label: the file takes ours.
        let text = png_with_chunk_after_ihdr(b"iTXt", b"Comment\0\0\0\0hello");
        assert_eq!(stamped_in_any_pieces(&text).1, Stamped::Labelled);
        // Bytes between the chunks: the structure is lost, nothing is inserted.
        let served = real_png();
        let broken = [&served[..33], b"junk".as_slice(), &served[33..]].concat();
        assert_eq!(stamped_in_any_pieces(&broken), (broken.clone(), Stamped::NotLabelled));
        // Other formats, and no label at all: as served.
        let gif = b"GIF89a\x01\0\x01\0\0\0\0;".to_vec();
        assert_eq!(stamped(&gif, 3), (gif.clone(), Stamped::NotLabelled));
        let mut off = Stamp::new(None);
        let mut out = Vec::new();
        off.push(&served, &mut out);
        assert_eq!((off.finish(&mut out), out), (Stamped::Off, served));
    }

    /// A real baseline JPEG (jpeg-encoder writes SOI, a JFIF APP0, tables, SOF, SOS, EOI).
    fn real_jpeg() -> Vec<u8> {
        let mut bytes = Vec::new();
        let encoder = jpeg_encoder::Encoder::new(&mut bytes, 80);
        let pixels: Vec<u8> = (0..24 * 16 * 3).map(|i: u32| (i * 7 % 251) as u8).collect();
        encoder.encode(&pixels, 24, 16, jpeg_encoder::ColorType::Rgb).unwrap();
        bytes
    }

    /// The segments of a JPEG up to its first scan: (marker, segment bytes), and where
    /// the scan starts.
    fn segments(jpeg: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let (mut at, mut found) = (2, Vec::new());
        loop {
            assert_eq!(jpeg[at], 0xFF, "a marker at {at}");
            let marker = jpeg[at + 1];
            if marker == 0xDA {
                return (found, at);
            }
            let length = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            found.push((marker, jpeg[at..at + 2 + length].to_vec()));
            at += 2 + length;
        }
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_jpeg_takes_its_label_after_jfif_and_exif_and_keeps_the_rest_as_served() {
        let served = real_jpeg();
        let (file, outcome) = stamped_in_any_pieces(&served);
        assert_eq!(outcome, Stamped::Labelled);
        let (before, scan) = segments(&served);
        let (after, labelled_scan) = segments(&file);
        assert_eq!(before[0].0, 0xE0, "JFIF first");
        assert_eq!(after[0], before[0]);
        assert_eq!(after[1].0, 0xE1);
        assert!(after[1].1[4..].starts_with(JPEG_XMP_NAMESPACE));
        assert_eq!(&after[2..], &before[1..], "the other segments as served, in order");
        assert_eq!(&file[labelled_scan..], &served[scan..], "the image data as served");
        assert_eq!(packet_of(&file).model.as_deref(), Some("wan2.7-image"));
        // With Exif after JFIF, the label goes after both.
        let exif = segment(0xE1, b"Exif\0\0MM\0*\0\0\0\x08\0\0");
        let with_exif = [&served[..20], &exif, &served[20..]].concat();
        let (file, _) = stamped_in_any_pieces(&with_exif);
        let (after, _) = segments(&file);
        assert_eq!((after[0].0, after[1].1.clone()), (0xE0, exif));
        assert!(after[2].1[4..].starts_with(JPEG_XMP_NAMESPACE));
    }

    #[test]
    fn a_signed_or_labelled_jpeg_is_left_as_served() {
        let served = real_jpeg();
        let app11 = segment(0xEB, &[b"JP\0\x01\0\0\0\x01".as_slice(), &c2pa::test_store("Adobe", true)].concat());
        let signed = [&served[..20], &app11, &served[20..]].concat();
        assert_eq!(stamped_in_any_pieces(&signed), (signed.clone(), Stamped::Signed));
        let xmp = segment(0xE1, &[JPEG_XMP_NAMESPACE, b"<x:xmpmeta/>"].concat());
        let labelled = [&served[..20], &xmp, &served[20..]].concat();
        assert_eq!(stamped_in_any_pieces(&labelled), (labelled.clone(), Stamped::HasXmp));
        // Not a segment where one must be (the tests' JPEG-shaped bytes): as served.
        let shaped = [&served[..20], &[7u8; 32][..], &[0xFF, 0xD9]].concat();
        assert_eq!(stamped_in_any_pieces(&shaped), (shaped.clone(), Stamped::NotLabelled));
    }

    #[test]
    fn a_long_prompt_is_cut_to_fit_a_jpeg_segment() {
        let mut stamp = Stamp::new(Some(Arc::new(Label { prompt: Some("x".repeat(70_000)), ..(*label()).clone() })));
        let mut out = Vec::new();
        stamp.push(&real_jpeg(), &mut out);
        assert_eq!(stamp.finish(&mut out), Stamped::Labelled);
        let (after, _) = segments(&out);
        assert!(after[1].1.len() <= 2 + 2 + JPEG_XMP_NAMESPACE.len() + JPEG_MAX_PACKET);
        let read = packet_of(&out);
        assert!(read.prompt_cut && read.prompt.unwrap().len() > 60_000);
        // Fields that fill the segment by themselves: no label rather than a broken file.
        let mut params = serde_json::Map::new();
        params.insert("style".into(), serde_json::Value::String("y".repeat(70_000)));
        let mut stamp = Stamp::new(Some(Arc::new(Label { params, ..(*label()).clone() })));
        let (served, mut out) = (real_jpeg(), Vec::new());
        stamp.push(&served, &mut out);
        assert_eq!((stamp.finish(&mut out), out), (Stamped::NotLabelled, served));
    }

    fn riff(chunks: &[u8]) -> Vec<u8> {
        [b"RIFF".as_slice(), &((chunks.len() + 4) as u32).to_le_bytes(), b"WEBP", chunks].concat()
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    /// A lossless bitstream's header for `width`×`height` (with alpha), then `rest`.
    fn vp8l(width: u32, height: u32, alpha: bool, rest: &[u8]) -> Vec<u8> {
        let bits = (width - 1) | ((height - 1) << 14) | (u32::from(alpha) << 28);
        [&[0x2F][..], &bits.to_le_bytes(), rest].concat()
    }

    /// A lossy key frame's header for `width`×`height`, then `rest`.
    fn vp8(width: u16, height: u16, rest: &[u8]) -> Vec<u8> {
        [&[0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A][..], &width.to_le_bytes(), &height.to_le_bytes(), rest].concat()
    }

    /// The chunks of a WebP: (FourCC, data), checking the RIFF size and the padding.
    fn chunks_of(webp: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
        assert_eq!((&webp[..4], &webp[8..12]), (b"RIFF".as_slice(), b"WEBP".as_slice()));
        assert_eq!(u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize + 8, webp.len(), "RIFF size");
        let (mut at, mut found) = (12, Vec::new());
        while at < webp.len() {
            let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
            found.push((webp[at..at + 4].try_into().unwrap(), webp[at + 8..at + 8 + size].to_vec()));
            at += 8 + size + size % 2;
        }
        assert_eq!(at, webp.len(), "the chunks end where the file does");
        found
    }

    #[test]
    fn a_simple_webp_becomes_extended_with_its_canvas_and_the_label_at_its_end() {
        for (bitstream, kind, width, height, alpha) in [
            (vp8l(300, 200, true, &[0xAB; 41]), b"VP8L", 300u32, 200u32, true),
            (vp8l(1, 16384, false, &[0x11; 40]), b"VP8L", 1, 16384, false),
            (vp8(1448, 1086, &[0x5A; 33]), b"VP8 ", 1448, 1086, false),
        ] {
            let served = riff(&chunk(kind, &bitstream));
            let (file, outcome) = stamped_in_any_pieces(&served);
            assert_eq!(outcome, Stamped::Labelled);
            let chunks = chunks_of(&file);
            let names: Vec<&[u8; 4]> = chunks.iter().map(|(k, _)| k).collect();
            assert_eq!(names, [b"VP8X", kind, b"XMP "]);
            let vp8x = &chunks[0].1;
            let expected = WEBP_XMP_FLAG | if alpha { WEBP_ALPHA_FLAG } else { 0 };
            assert_eq!(vp8x[0], expected);
            let le24 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], 0]) + 1;
            assert_eq!((le24(&vp8x[4..7]), le24(&vp8x[7..10])), (width, height));
            assert_eq!(chunks[1].1, bitstream, "the bitstream as served");
            assert_eq!(packet_of(&file).prompt.as_deref(), Some("a red panda"));
        }
    }

    #[test]
    fn an_extended_webp_takes_the_flag_and_the_label_unless_signed_or_labelled() {
        let vp8x = |flags: u8| chunk(b"VP8X", &[flags, 0, 0, 0, 99, 0, 0, 49, 0, 0]);
        let image = chunk(b"VP8L", &vp8l(100, 50, true, &[1; 20]));
        let served = riff(&[vp8x(0x10), image.clone(), chunk(b"EXIF", b"MM\0*")].concat());
        let (file, outcome) = stamped_in_any_pieces(&served);
        assert_eq!(outcome, Stamped::Labelled);
        let chunks = chunks_of(&file);
        assert_eq!(chunks[0].1[0], 0x10 | WEBP_XMP_FLAG);
        assert_eq!(&chunks[3].0, b"XMP ");
        assert_eq!(&file[21..served.len()], &served[21..], "all but the RIFF size and the flags as served");
        let signed = riff(&[vp8x(0x10), image.clone(), chunk(b"C2PA", &c2pa::test_store("Google", false))].concat());
        assert_eq!(stamped_in_any_pieces(&signed), (signed.clone(), Stamped::Signed));
        let labelled = riff(&[vp8x(0x10 | WEBP_XMP_FLAG), image.clone(), chunk(b"XMP ", b"<x/>")].concat());
        assert_eq!(stamped_in_any_pieces(&labelled), (labelled.clone(), Stamped::HasXmp));
        // A simple file with a chunk after its bitstream (a C2PA store, as c2pa-rs writes
        // one): not the simple file it says it is; as served.
        let trailing = riff(&[image, chunk(b"C2PA", &c2pa::test_store("OpenAI", false))].concat());
        assert_eq!(stamped_in_any_pieces(&trailing), (trailing.clone(), Stamped::NotLabelled));
    }
}

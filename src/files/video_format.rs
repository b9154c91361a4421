//! Video formats from their first bytes (an ISO BMFF `ftyp` box: MP4, or QuickTime when
//! its brand is `qt  `; an EBML header: WebM), and whether a file is whole, told from its
//! own structure as the bytes stream past: a body cut short is never saved as a video.

use serde::Serialize;

/// Bytes `sniff` needs: an `ftyp` box's size, type and major brand.
pub const SNIFF_LEN: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoFormat {
    Mp4,
    Mov,
    Webm,
}

impl VideoFormat {
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.len() >= SNIFF_LEN && &head[4..8] == b"ftyp" {
            return Some(if &head[8..12] == b"qt  " { Self::Mov } else { Self::Mp4 });
        }
        head.starts_with(&EBML_ID).then_some(Self::Webm)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
            Self::Webm => "webm",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
            Self::Webm => "video/webm",
        }
    }
}

impl crate::files::output::FileKind for VideoFormat {
    fn file_extension(self) -> &'static str {
        self.extension()
    }
}

const EBML_ID: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
const SEGMENT_ID: [u8; 4] = [0x18, 0x53, 0x80, 0x67];
/// Bytes of a WebM file's start that hold its EBML header and the Segment's size.
const WEBM_HEAD: usize = 256;

/// Follows a video's structure as its bytes arrive, to tell at the end whether it is whole.
/// ISO BMFF: the top-level boxes must end exactly at the last byte, and a `moov` box
/// (the index without which nothing plays) must be among them. WebM: the Segment's
/// declared size must end at the last byte (a live stream's unknown size cannot tell).
#[derive(Debug, Default)]
pub struct Wholeness {
    seen: u64,
    /// Where the next top-level box starts; `u64::MAX` after a box that runs to the end.
    next_box: u64,
    header: Vec<u8>,
    moov: bool,
    broken: bool,
    webm_head: Vec<u8>,
}

impl Wholeness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, format: VideoFormat, chunk: &[u8]) {
        match format {
            VideoFormat::Webm => {
                let wanted = WEBM_HEAD.saturating_sub(self.webm_head.len()).min(chunk.len());
                self.webm_head.extend_from_slice(&chunk[..wanted]);
            }
            VideoFormat::Mp4 | VideoFormat::Mov => self.feed_boxes(chunk),
        }
        self.seen += chunk.len() as u64;
    }

    fn feed_boxes(&mut self, mut chunk: &[u8]) {
        let mut at = self.seen;
        while !chunk.is_empty() && !self.broken {
            if at < self.next_box {
                let skip = usize::try_from(self.next_box - at).unwrap_or(usize::MAX).min(chunk.len());
                chunk = &chunk[skip..];
                at += skip as u64;
                continue;
            }
            // A box header: 8 bytes, or 16 when the size is in a 64-bit field after the type.
            let want = if self.header.len() >= 8 && self.header[..4] == [0, 0, 0, 1] { 16 } else { 8 };
            let take = (want - self.header.len()).min(chunk.len());
            self.header.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            at += take as u64;
            if self.header.len() < want || (want == 8 && self.header[..4] == [0, 0, 0, 1]) {
                continue;
            }
            let start = at - want as u64;
            let size = match u32::from_be_bytes([self.header[0], self.header[1], self.header[2], self.header[3]]) {
                0 => u64::MAX - start,
                1 => u64::from_be_bytes(self.header[8..16].try_into().expect("16 header bytes")),
                small => u64::from(small),
            };
            if &self.header[4..8] == b"moov" {
                self.moov = true;
            }
            if size < want as u64 {
                self.broken = true;
            }
            self.next_box = start.saturating_add(size);
            self.header.clear();
        }
    }

    /// Whether the bytes fed so far are the whole video.
    pub fn is_whole(&self, format: VideoFormat) -> bool {
        match format {
            VideoFormat::Mp4 | VideoFormat::Mov => {
                let ends_right = self.next_box == self.seen || self.next_box == u64::MAX;
                !self.broken && self.header.is_empty() && self.moov && ends_right
            }
            VideoFormat::Webm => match webm_segment_end(&self.webm_head) {
                Some(Some(end)) => end == self.seen,
                // An unknown size: only the transport's Content-Length can tell.
                Some(None) => true,
                None => false,
            },
        }
    }
}

/// An EBML variable-length integer at the start of `bytes`: (its length, its value, whether
/// all its value bits are set, which means "unknown size").
fn vint(bytes: &[u8]) -> Option<(usize, u64, bool)> {
    let first = *bytes.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || bytes.len() < len {
        return None;
    }
    let mut value = u64::from(first) & (0xFF >> len);
    for &b in &bytes[1..len] {
        value = (value << 8) | u64::from(b);
    }
    let all_ones = value == (1u64 << (7 * len)) - 1;
    Some((len, value, all_ones))
}

/// Where a WebM file's Segment ends: `Some(None)` when its size is unknown, `None` when
/// the start is not readable as the EBML header followed by a Segment.
fn webm_segment_end(head: &[u8]) -> Option<Option<u64>> {
    let after_id = head.strip_prefix(&EBML_ID)?;
    let (len, size, _) = vint(after_id)?;
    let segment_at = 4 + len + usize::try_from(size).ok()?;
    let segment = head.get(segment_at..)?.strip_prefix(&SEGMENT_ID)?;
    let (len, size, unknown) = vint(segment)?;
    let data_at = (segment_at + 4 + len) as u64;
    Some((!unknown).then(|| data_at.saturating_add(size)))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    fn atom(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A file shaped like an MP4 (or a QuickTime file, with the brand `qt  `): `ftyp`,
    /// `mdat` holding `tag` bytes, and a `moov`.
    pub fn mp4(brand: &[u8; 4], tag: u8) -> Vec<u8> {
        [
            atom(b"ftyp", &[brand.as_slice(), &[0; 4], brand].concat()),
            atom(b"mdat", &[tag; 500]),
            atom(b"moov", &[0; 40]),
        ]
        .concat()
    }

    fn whole(bytes: &[u8], chunk: usize) -> bool {
        let format = VideoFormat::sniff(bytes).unwrap();
        let mut check = Wholeness::new();
        for part in bytes.chunks(chunk) {
            check.feed(format, part);
        }
        check.is_whole(format)
    }

    #[test]
    fn sniffs_mp4_mov_and_webm_and_nothing_else() {
        assert_eq!(VideoFormat::sniff(&mp4(b"isom", 1)), Some(VideoFormat::Mp4));
        assert_eq!(VideoFormat::sniff(&mp4(b"qt  ", 1)), Some(VideoFormat::Mov));
        assert_eq!(VideoFormat::sniff(&[0x1A, 0x45, 0xDF, 0xA3, 0x9F]), Some(VideoFormat::Webm));
        assert_eq!(VideoFormat::sniff(b"<html><body>expired"), None);
        assert_eq!(VideoFormat::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\x0d"), None);
        assert_eq!(VideoFormat::sniff(b"\0\0\0\x18ftyp"), None, "too short to know the brand");
        assert_eq!(VideoFormat::Mov.extension(), "mov");
    }

    #[test]
    fn an_iso_file_is_whole_only_to_its_last_box() {
        let file = mp4(b"isom", 7);
        for chunk in [1, 3, 7, 64, 10_000] {
            assert!(whole(&file, chunk), "chunks of {chunk}");
            assert!(!whole(&file[..file.len() - 1], chunk), "one byte short, chunks of {chunk}");
        }
        // cut exactly where the index would start: every box is whole, but nothing plays
        let no_index = &file[..file.len() - 48];
        assert!(!whole(no_index, 64));
        let mut trailing = file.clone();
        trailing.extend_from_slice(b"junk");
        assert!(!whole(&trailing, 64));
    }

    #[test]
    fn large_sizes_and_boxes_to_the_end_are_followed() {
        let mut large = atom(b"ftyp", b"isom\0\0\0\0isom");
        large.extend_from_slice(&atom(b"moov", &[0; 8]));
        large.extend_from_slice(&[0, 0, 0, 1]);
        large.extend_from_slice(b"mdat");
        large.extend_from_slice(&(16u64 + 100).to_be_bytes());
        large.extend_from_slice(&[9; 100]);
        assert!(whole(&large, 5));
        assert!(!whole(&large[..large.len() - 1], 5));
        let mut to_end = atom(b"ftyp", b"isom\0\0\0\0isom");
        to_end.extend_from_slice(&atom(b"moov", &[0; 8]));
        to_end.extend_from_slice(&[0, 0, 0, 0]);
        to_end.extend_from_slice(b"mdat");
        to_end.extend_from_slice(&[1; 50]);
        assert!(whole(&to_end, 4));
    }

    #[test]
    fn a_webm_is_whole_to_its_segments_declared_size() {
        // EBML header of 4 bytes of body, then a Segment of 10 bytes
        let mut webm = vec![0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x86, 0x81, 0x01];
        webm.extend_from_slice(&SEGMENT_ID);
        webm.push(0x8A);
        webm.extend_from_slice(&[0; 10]);
        assert!(whole(&webm, 3));
        assert!(!whole(&webm[..webm.len() - 2], 3));
        let mut live = webm[..13].to_vec();
        live.push(0xFF);
        live.extend_from_slice(&[0; 4]);
        assert!(whole(&live, 3), "an unknown size cannot be checked here");
        assert!(!whole(&webm[..10], 3), "no Segment at all");
    }
}

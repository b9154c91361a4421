//! Image formats recognised from their first bytes, never from names or headers.

use serde::Serialize;

/// How many leading bytes `sniff` needs to tell every format apart.
pub const SNIFF_LEN: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
    Gif,
    Bmp,
}

impl ImageFormat {
    /// The format whose magic number `bytes` starts with, if any.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.starts_with(b"BM") && bytes.len() >= 14 {
            Some(Self::Bmp)
        } else {
            None
        }
    }

    /// The file extension `wan` writes for this format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Gif => "gif",
            Self::Bmp => "bmp",
        }
    }

    /// The format of a file `wan` wrote with this extension.
    pub fn from_extension(extension: &str) -> Option<Self> {
        [Self::Png, Self::Jpeg, Self::Webp, Self::Gif, Self::Bmp].into_iter().find(|f| f.extension() == extension)
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
            Self::Bmp => "image/bmp",
        }
    }

    /// Formats the model takes as reference images (GIF is not among them).
    pub fn is_reference_format(self) -> bool {
        !matches!(self, Self::Gif)
    }
}

/// How many trailing bytes `is_complete` needs.
pub const TAIL_LEN: usize = 16;

/// The last chunk of every PNG: a zero-length IEND with its fixed CRC.
const PNG_END: &[u8] = b"\0\0\0\0IEND\xAE\x42\x60\x82";

impl ImageFormat {
    /// Whether an image of `len` bytes, beginning with `head` (at least `SNIFF_LEN`
    /// bytes) and ending with `tail` (the last `TAIL_LEN`), is whole: its format's end
    /// marker or declared size. A body cut short fails this even when no
    /// Content-Length said how long it should have been.
    pub fn is_complete(self, head: &[u8], tail: &[u8], len: u64) -> bool {
        let declared =
            |at: usize| head.get(at..at + 4).map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        // JPEG and GIF writers may pad after the end marker.
        let unpadded = || {
            let end = tail.iter().rposition(|&b| b != 0 && !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
            &tail[..end]
        };
        match self {
            Self::Png => tail.ends_with(PNG_END),
            Self::Jpeg => unpadded().ends_with(&[0xFF, 0xD9]),
            Self::Gif => unpadded().ends_with(&[0x3B]),
            Self::Webp => declared(4).is_some_and(|size| size + 8 == len),
            // Some BMP writers leave the size field at zero.
            Self::Bmp => declared(2).is_some_and(|size| size == 0 || size == len),
        }
    }
}

/// A short description of bytes that are not an image, for error messages.
pub fn describe_non_image(bytes: &[u8]) -> &'static str {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).to_ascii_lowercase();
    let head = head.trim_start();
    if bytes.is_empty() {
        "no bytes at all"
    } else if head.starts_with("<!doctype") || head.starts_with("<html") {
        "an HTML page"
    } else if head.starts_with('{') || head.starts_with('[') {
        "JSON text"
    } else if head.starts_with("<?xml") || head.starts_with('<') {
        "XML or HTML text"
    } else {
        "bytes of no known image format"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_format_from_its_magic_number() {
        assert_eq!(ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        assert_eq!(ImageFormat::sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(ImageFormat::sniff(b"GIF89a\x01\0"), Some(ImageFormat::Gif));
        assert_eq!(ImageFormat::sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"), Some(ImageFormat::Bmp));
    }

    #[test]
    fn rejects_text_and_truncated_headers() {
        assert_eq!(ImageFormat::sniff(b"<html><body>expired</body>"), None);
        assert_eq!(ImageFormat::sniff(b"RIFF\x10\0\0\0WAVE"), None);
        assert_eq!(ImageFormat::sniff(b"\x89PN"), None);
        assert_eq!(ImageFormat::sniff(b""), None);
    }

    #[test]
    fn extensions_are_the_conventional_ones() {
        assert_eq!(ImageFormat::Jpeg.extension(), "jpg");
        assert_eq!(ImageFormat::Webp.mime(), "image/webp");
        assert!(!ImageFormat::Gif.is_reference_format());
    }

    fn complete(format: ImageFormat, bytes: &[u8]) -> bool {
        let tail = &bytes[bytes.len().saturating_sub(TAIL_LEN)..];
        format.is_complete(bytes, tail, bytes.len() as u64)
    }

    #[test]
    fn whole_images_are_complete_and_cut_ones_are_not() {
        let mut png = b"\x89PNG\r\n\x1a\n....IDATxxxx".to_vec();
        png.extend_from_slice(PNG_END);
        assert!(complete(ImageFormat::Png, &png));
        assert!(!complete(ImageFormat::Png, &png[..png.len() - 3]));

        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9, 0, 0];
        assert!(complete(ImageFormat::Jpeg, &jpeg));
        assert!(!complete(ImageFormat::Jpeg, &jpeg[..7]));

        let mut webp = b"RIFF\x0c\0\0\0WEBPVP8 ".to_vec();
        assert_eq!(webp.len(), 16);
        webp.extend_from_slice(&[0; 4]);
        assert!(complete(ImageFormat::Webp, &webp));
        assert!(!complete(ImageFormat::Webp, &webp[..18]));

        assert!(complete(ImageFormat::Gif, b"GIF89a\x01\0;"));
        assert!(!complete(ImageFormat::Gif, b"GIF89a\x01\0"));
    }

    #[test]
    fn describes_what_came_instead_of_an_image() {
        assert_eq!(describe_non_image(b"<!DOCTYPE html><html>"), "an HTML page");
        assert_eq!(describe_non_image(b"<!DOCTYPE ht"), "an HTML page");
        assert_eq!(describe_non_image(b"{\"error\":1}"), "JSON text");
        assert_eq!(describe_non_image(b""), "no bytes at all");
    }
}

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
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a\x01\0"), Some(ImageFormat::Gif));
        assert_eq!(
            ImageFormat::sniff(b"BM\0\0\0\0\0\0\0\0\0\0\0\0"),
            Some(ImageFormat::Bmp)
        );
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

    #[test]
    fn describes_what_came_instead_of_an_image() {
        assert_eq!(describe_non_image(b"<!DOCTYPE html><html>"), "an HTML page");
        assert_eq!(describe_non_image(b"<!DOCTYPE ht"), "an HTML page");
        assert_eq!(describe_non_image(b"{\"error\":1}"), "JSON text");
        assert_eq!(describe_non_image(b""), "no bytes at all");
    }
}

//! `wan edit --mask FILE`: a PNG with an alpha channel, the size of the first reference, read
//! with a cap and checked before anything is sent.

use std::fs;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;

use crate::error::Error;
use crate::files::format::ImageFormat;
use crate::files::reference::LocalImage;

/// OpenAI's limit on a mask for its image models' edits: "a valid PNG file, less than 4MB"
/// (https://platform.openai.com/docs/api-reference/images/createEdit).
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// How far into the file the chunks before the pixels are looked through for `tRNS`:
/// they are small (a palette, text, colour data); past this the search stops.
const MAX_HEADER_BYTES: usize = 1024 * 1024;

fn bad(path: &str, reason: impl std::fmt::Display) -> Error {
    Error::usage(format!("mask {path}: {reason}"))
}

/// Reads and checks the mask at `path`: a PNG of at most 4 MB whose pixels carry alpha.
pub fn load(path: &Path) -> Result<LocalImage, Error> {
    let name = path.display().to_string();
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(&name, "no such file"),
        _ => bad(&name, e),
    })?;
    if meta.is_dir() {
        return Err(bad(&name, "is a directory"));
    }
    let too_large = || bad(&name, "is over the limit of 4 MB for a mask");
    if meta.len() > MAX_BYTES {
        return Err(too_large());
    }
    // A device or a pipe reports no length: the read stops one byte past the limit.
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| bad(&name, format_args!("cannot be read: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large());
    }
    check(&name, bytes)
}

/// Checks a mask's bytes: a PNG whose pixels carry alpha.
pub fn check(name: &str, bytes: Vec<u8>) -> Result<LocalImage, Error> {
    if ImageFormat::sniff(&bytes) != Some(ImageFormat::Png) {
        return Err(bad(name, "is not a PNG (a mask must be one, with an alpha channel)"));
    }
    let alpha = has_alpha(&bytes).ok_or_else(|| bad(name, "is not a readable PNG"))?;
    if !alpha {
        return Err(bad(name, "has no alpha channel: its transparent pixels are where the image is to change")
            .with_hint("save it as a PNG with transparency (RGBA), e.g. convert mask.png -alpha on mask.png"));
    }
    Ok(LocalImage::new(name.to_string(), ImageFormat::Png, Bytes::from(bytes)))
}

/// A mask fits its image when both have the same width and height; `image` is the first
/// reference, `mask` a checked mask.
pub fn check_fits(mask: &LocalImage, image: &LocalImage) -> Result<(), Error> {
    let side = |bytes: &[u8]| imagesize::blob_size(bytes).ok().map(|s| (s.width, s.height));
    let (Some(mask_size), Some(image_size)) = (side(&mask.bytes), side(&image.bytes)) else {
        return Err(bad(&mask.name, format_args!("cannot be compared with {}", image.name)));
    };
    if mask_size != image_size {
        return Err(bad(
            &mask.name,
            format_args!(
                "is {}×{} px, and the first image {} is {}×{} px: a mask is the same size as the image it masks",
                mask_size.0, mask_size.1, image.name, image_size.0, image_size.1
            ),
        ));
    }
    Ok(())
}

/// Whether a PNG's pixels carry alpha: colour type 4 or 6 (grey or RGB with alpha) in
/// `IHDR`, or a `tRNS` chunk before the first `IDAT` (looked for in the first
/// [`MAX_HEADER_BYTES`]); `None` if `IHDR` is not well formed.
fn has_alpha(bytes: &[u8]) -> Option<bool> {
    let chunk = |at: usize| -> Option<(&[u8], &[u8], usize)> {
        let length = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let data = bytes.get(at + 8..at.checked_add(8)?.checked_add(length)?)?;
        Some((kind, data, at + 12 + length))
    };
    let (kind, ihdr, mut at) = chunk(8)?;
    if kind != b"IHDR" || ihdr.len() != 13 {
        return None;
    }
    let mut alpha = matches!(ihdr[9], 4 | 6);
    while !alpha && at < MAX_HEADER_BYTES.min(bytes.len()) {
        let Some((kind, _, next)) = chunk(at) else { break };
        match kind {
            b"tRNS" => alpha = true,
            b"IDAT" | b"IEND" => break,
            _ => at = next,
        }
    }
    Some(alpha)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// PNG-shaped bytes of `width`×`height` with colour type `colour`, and the chunks
    /// `extra` (kind, data) before an `IDAT`.
    pub fn png(width: u32, height: u32, colour: u8, extra: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut push = |kind: &[u8; 4], data: &[u8]| {
            bytes.extend_from_slice(&(data.len() as u32).to_be_bytes());
            bytes.extend_from_slice(kind);
            bytes.extend_from_slice(data);
            bytes.extend_from_slice(&[0; 4]); // the CRC, which no check here reads
        };
        let mut ihdr = [width.to_be_bytes(), height.to_be_bytes()].concat();
        ihdr.extend_from_slice(&[8, colour, 0, 0, 0]);
        push(b"IHDR", &ihdr);
        for (kind, data) in extra {
            push(kind, data);
        }
        push(b"IDAT", b"pixels");
        push(b"tRNS", b"after the pixels: too late to count");
        push(b"IEND", b"");
        bytes
    }

    #[test]
    fn alpha_is_a_colour_type_with_alpha_or_a_trns_chunk_before_the_pixels() {
        assert!(check("rgba.png", png(300, 200, 6, &[])).is_ok());
        assert!(check("grey-alpha.png", png(300, 200, 4, &[])).is_ok());
        assert!(check("palette.png", png(300, 200, 3, &[(b"PLTE", b"\0\0\0"), (b"tRNS", b"\0")])).is_ok());
        let rgb = check("rgb.png", png(300, 200, 2, &[(b"tEXt", b"a\0b")])).unwrap_err();
        assert_eq!(
            rgb.to_string(),
            "mask rgb.png: has no alpha channel: its transparent pixels are where the image is to change"
        );
        assert_eq!(has_alpha(&png(7, 9, 2, &[])), Some(false));
        assert_eq!(has_alpha(&png(7, 9, 6, &[])), Some(true));
    }

    #[test]
    fn a_mask_is_a_readable_png() {
        let jpeg = check("m.jpg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).unwrap_err();
        assert!(jpeg.to_string().contains("is not a PNG"), "{jpeg}");
        let cut = png(300, 200, 6, &[])[..20].to_vec();
        assert!(check("cut.png", cut).unwrap_err().to_string().contains("not a readable PNG"));
        let mut lying = png(300, 200, 2, &[]);
        lying[33..37].copy_from_slice(&u32::MAX.to_be_bytes()); // a chunk longer than the file
        assert!(check("lying.png", lying).is_err());
    }

    #[test]
    fn a_mask_fits_an_image_of_its_own_size_only() {
        let mask = check("m.png", png(300, 250, 6, &[])).unwrap();
        let same = crate::files::reference::check("a.png", png(300, 250, 2, &[])).unwrap();
        let other = crate::files::reference::check("b.png", png(300, 251, 2, &[])).unwrap();
        assert!(check_fits(&mask, &same).is_ok());
        let why = check_fits(&mask, &other).unwrap_err().to_string();
        assert_eq!(
            why,
            "mask m.png: is 300×250 px, and the first image b.png is 300×251 px: a mask is the same size as the \
             image it masks"
        );
    }

    #[test]
    fn files_are_read_no_further_than_the_limit() {
        let err = load(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("over the limit of 4 MB"), "{err}");
        assert!(load(Path::new("/nonexistent/m.png")).unwrap_err().to_string().ends_with("no such file"));
        assert!(load(Path::new("/")).unwrap_err().to_string().ends_with("is a directory"));
    }
}

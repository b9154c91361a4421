//! What an image file says of itself, read back for `wan info` and `wan regen`: its XMP
//! packet (from a PNG `iTXt` chunk, a JPEG APP1 segment or a WebP `XMP ` chunk; `wan`'s or
//! another tool's), the `wan` chunk older versions of `wan` put in PNGs, and whether it
//! carries a C2PA manifest (and who made it). Headers are read and image data skipped, so a
//! large image costs no memory.

use std::io::{self, Read};

use serde_json::Value;

use crate::files::c2pa;
use crate::files::format::ImageFormat;
use crate::files::stamp::{JPEG_XMP_NAMESPACE, PNG_XMP_KEYWORD};

/// A text chunk or segment larger than this is not read (XMP holds at most a 64 KiB prompt).
const MAX_TEXT: u64 = 4 << 20;
/// The keyword of the chunk `wan` wrote into PNGs before it wrote XMP, with its NUL and
/// empty flags, language and translated keyword.
const WAN_CHUNK: &[u8] = b"wan\0\0\0\0\0";

/// What a file carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Embedded {
    pub format: Option<ImageFormat>,
    /// The XMP packet, as text.
    pub xmp: Option<String>,
    /// The JSON of an older `wan`'s PNG chunk: `{prompt, model, run, request_id, created, wan, references}`.
    pub wan_chunk: Option<Value>,
    pub c2pa: Option<C2pa>,
}

/// A C2PA manifest store in the file (Content Credentials).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct C2pa {
    /// Who made the active claim, where it could be read.
    pub claim_generator: Option<String>,
}

/// Reads what `file` carries; what cannot be read is left out, never an error.
pub fn read(mut file: impl Read) -> Embedded {
    let mut head = [0u8; 12];
    let Ok(()) = file.read_exact(&mut head) else { return Embedded::default() };
    let format = ImageFormat::sniff(&head);
    let mut found = Embedded { format, ..Embedded::default() };
    let _ = match format {
        Some(ImageFormat::Png) => png(&head, file, &mut found),
        Some(ImageFormat::Jpeg) => jpeg(&head, file, &mut found),
        Some(ImageFormat::Webp) => webp(file, &mut found),
        _ => Ok(()),
    };
    found
}

fn skip(file: &mut impl Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut file.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

fn take(file: &mut impl Read, n: u64) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    file.take(n).read_to_end(&mut data)?;
    if (data.len() as u64) < n {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(data)
}

fn png(head: &[u8; 12], mut file: impl Read, found: &mut Embedded) -> io::Result<()> {
    // The signature is 8 bytes: the first chunk's length is the last 4 read.
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&head[8..12]);
    file.read_exact(&mut header[4..])?;
    loop {
        let length = u64::from(u32::from_be_bytes([header[0], header[1], header[2], header[3]]));
        match &header[4..8] {
            b"IEND" => return Ok(()),
            b"iTXt" if length <= MAX_TEXT => {
                let data = take(&mut file, length)?;
                if let Some(rest) = data.strip_prefix(PNG_XMP_KEYWORD) {
                    // Not compressed: the XMP spec's form (a compressed one is not read).
                    if let [0, _, rest @ ..] = rest {
                        let text = skip_nul_terminated(skip_nul_terminated(rest));
                        found.xmp.get_or_insert_with(|| String::from_utf8_lossy(text).into_owned());
                    }
                } else if let Some(json) = data.strip_prefix(WAN_CHUNK) {
                    found.wan_chunk = serde_json::from_slice(json).ok();
                }
                skip(&mut file, 4)?;
            }
            b"caBX" if length <= c2pa::MAX_STORE => {
                let store = take(&mut file, length)?;
                found.c2pa = Some(C2pa { claim_generator: c2pa::claim_generator(&store) });
                skip(&mut file, 4)?;
            }
            b"caBX" => {
                found.c2pa = Some(C2pa::default());
                skip(&mut file, length + 4)?;
            }
            _ => skip(&mut file, length + 4)?,
        }
        file.read_exact(&mut header)?;
    }
}

/// What follows the first NUL of `bytes` (an `iTXt`'s language tag, then its translated
/// keyword, each ends with one).
fn skip_nul_terminated(bytes: &[u8]) -> &[u8] {
    match memchr::memchr(0, bytes) {
        Some(at) => &bytes[at + 1..],
        None => &[],
    }
}

fn jpeg(head: &[u8; 12], mut file: impl Read, found: &mut Embedded) -> io::Result<()> {
    // After SOI (2 bytes), the first marker and length are in the head.
    let mut pending = head[2..].to_vec();
    let mut store: Option<Vec<u8>> = None;
    loop {
        let mut marker = [0u8; 4];
        let have = pending.len().min(4);
        marker[..have].copy_from_slice(&pending[..have]);
        file.read_exact(&mut marker[have..])?;
        let extra = pending.split_off(have);
        if marker[0] != 0xFF || matches!(marker[1], 0xD9 | 0xDA) {
            break;
        }
        let length = u64::from(u16::from_be_bytes([marker[2], marker[3]])).saturating_sub(2);
        let mut body = extra;
        if matches!(marker[1], 0xE1 | 0xEB) && length <= MAX_TEXT {
            body.extend(take(&mut file, length - body.len() as u64)?);
            if marker[1] == 0xE1
                && let Some(packet) = body.strip_prefix(JPEG_XMP_NAMESPACE)
            {
                found.xmp.get_or_insert_with(|| String::from_utf8_lossy(packet).into_owned());
            }
            if marker[1] == 0xEB && c2pa::is_jpeg_app11(&body) {
                let first = store.is_none();
                store.get_or_insert_with(Vec::new).extend_from_slice(c2pa::jpeg_app11_part(&body, first));
            }
        } else {
            skip(&mut file, length - body.len() as u64)?;
        }
        pending = Vec::new();
    }
    if let Some(store) = store.filter(|store| c2pa::is_store(store)) {
        found.c2pa = Some(C2pa { claim_generator: c2pa::claim_generator(&store) });
    }
    Ok(())
}

fn webp(mut file: impl Read, found: &mut Embedded) -> io::Result<()> {
    // The head was the RIFF header: chunks follow.
    loop {
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let size = u64::from(u32::from_le_bytes([header[4], header[5], header[6], header[7]]));
        let padded = size + size % 2;
        match &header[..4] {
            b"XMP " if size <= MAX_TEXT => {
                let packet = take(&mut file, size)?;
                found.xmp.get_or_insert_with(|| String::from_utf8_lossy(&packet).into_owned());
                skip(&mut file, padded - size)?;
            }
            b"C2PA" if size <= c2pa::MAX_STORE => {
                let store = take(&mut file, size)?;
                found.c2pa = Some(C2pa { claim_generator: c2pa::claim_generator(&store) });
                skip(&mut file, padded - size)?;
            }
            b"C2PA" => {
                found.c2pa = Some(C2pa::default());
                skip(&mut file, padded)?;
            }
            _ => skip(&mut file, padded)?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::stamp::{IEND, jpeg_segment, png_chunk, webp_chunk};
    use serde_json::json;

    fn tiny_png() -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, 2, 2);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]).unwrap();
        writer.finish().unwrap();
        bytes
    }

    fn before_iend(png: &[u8], chunk: &[u8]) -> Vec<u8> {
        [&png[..png.len() - 12], chunk, &IEND].concat()
    }

    /// The `wan` chunk as `wan` 0.1 wrote it, for files made before XMP labels.
    fn old_wan_chunk(json: &Value) -> Vec<u8> {
        let mut data = WAN_CHUNK.to_vec();
        data.extend_from_slice(json.to_string().as_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(b"iTXt");
        crc.update(&data);
        [&(data.len() as u32).to_be_bytes()[..], b"iTXt", &data, &crc.finalize().to_be_bytes()].concat()
    }

    #[test]
    fn a_png_s_xmp_an_older_wan_chunk_and_a_c2pa_store_are_read() {
        let png = tiny_png();
        let labelled = before_iend(&png, &png_chunk("<x:xmpmeta/>"));
        assert_eq!(read(labelled.as_slice()).xmp.as_deref(), Some("<x:xmpmeta/>"));
        assert_eq!(read(labelled.as_slice()).format, Some(ImageFormat::Png));
        let info = json!({"prompt": "red panda", "model": "wan2.7-image"});
        let old = before_iend(&png, &old_wan_chunk(&info));
        assert_eq!(read(old.as_slice()).wan_chunk, Some(info));
        let store = c2pa::test_store("OpenAI-API", false);
        let mut cabx = (store.len() as u32).to_be_bytes().to_vec();
        cabx.extend_from_slice(b"caBX");
        cabx.extend_from_slice(&store);
        cabx.extend_from_slice(&[0; 4]);
        let signed = [&png[..33], &cabx, &png[33..]].concat();
        let found = read(signed.as_slice());
        assert_eq!(found.c2pa, Some(C2pa { claim_generator: Some("OpenAI-API".into()) }));
        assert_eq!(found.xmp, None);
        assert_eq!(read(png.as_slice()), Embedded { format: Some(ImageFormat::Png), ..Embedded::default() });
    }

    #[test]
    fn a_jpeg_s_xmp_and_c2pa_segments_are_read() {
        let store = c2pa::test_store("Adobe Firefly", true);
        let mut app11 = vec![0xFF, 0xEB];
        let payload = [b"JP\0\x01\0\0\0\x01".as_slice(), &store].concat();
        app11.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        app11.extend_from_slice(&payload);
        let jpeg = [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0],
            &jpeg_segment("<x:xmpmeta/>"),
            &app11,
            &[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9],
        ]
        .concat();
        let found = read(jpeg.as_slice());
        assert_eq!(found.format, Some(ImageFormat::Jpeg));
        assert_eq!(found.xmp.as_deref(), Some("<x:xmpmeta/>"));
        assert_eq!(found.c2pa, Some(C2pa { claim_generator: Some("Adobe Firefly 1.0".into()) }));
    }

    #[test]
    fn a_webp_s_xmp_and_c2pa_chunks_are_read() {
        let store = c2pa::test_store("Google", false);
        let mut chunks = b"VP8L\x05\0\0\0\x2f\0\0\0\0\0".to_vec();
        chunks.extend_from_slice(&webp_chunk("<x/>"));
        chunks.extend_from_slice(b"C2PA");
        chunks.extend_from_slice(&(store.len() as u32).to_le_bytes());
        chunks.extend_from_slice(&store);
        if store.len() % 2 == 1 {
            chunks.push(0);
        }
        let webp = [b"RIFF".as_slice(), &((chunks.len() + 4) as u32).to_le_bytes(), b"WEBP", &chunks].concat();
        let found = read(webp.as_slice());
        assert_eq!(found.xmp.as_deref(), Some("<x/>"));
        assert_eq!(found.c2pa, Some(C2pa { claim_generator: Some("Google".into()) }));
    }

    #[test]
    fn what_is_not_an_image_carries_nothing() {
        assert_eq!(read(&b"GIF89a......"[..]).xmp, None);
        assert_eq!(read(&b""[..]), Embedded::default());
    }
}

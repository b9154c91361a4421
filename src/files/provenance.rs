//! Provenance inside a PNG: one `iTXt` chunk with keyword `wan` holding where the image
//! came from as JSON, inserted before `IEND` as the file streams to disk (no decoding of
//! pixels, no second pass), and read back by `wan info`.

use std::io::Read;

use serde_json::Value;

/// `IEND`, the chunk every PNG ends with: length 0, type, CRC.
pub const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
const KEYWORD: &[u8] = b"wan";
/// A chunk larger than this is not ours, and is not read into memory.
const MAX_CHUNK: u32 = 1 << 20;

/// The whole `iTXt` chunk (length, type, data, CRC) for `json`: keyword `wan`, not
/// compressed, no language tag, no translated keyword, the text as UTF-8.
pub fn chunk(json: &Value) -> Vec<u8> {
    let text = json.to_string();
    let mut data = Vec::with_capacity(KEYWORD.len() + 5 + text.len());
    data.extend_from_slice(KEYWORD);
    data.extend_from_slice(&[0, 0, 0, 0, 0]); // NUL, compression flag, method, empty language, empty keyword
    data.extend_from_slice(text.as_bytes());
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

/// The `wan` provenance of a PNG, if it has one; reads chunk headers and skips their
/// data, so a large image costs no memory.
pub fn read(mut file: impl Read) -> Option<Value> {
    let mut signature = [0u8; 8];
    file.read_exact(&mut signature).ok()?;
    if &signature != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    loop {
        let mut head = [0u8; 8];
        file.read_exact(&mut head).ok()?;
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let kind = &head[4..8];
        if kind == b"IEND" {
            return None;
        }
        if kind == b"iTXt" && length <= MAX_CHUNK {
            let mut data = vec![0u8; length as usize];
            file.read_exact(&mut data).ok()?;
            let mut crc = [0u8; 4];
            file.read_exact(&mut crc).ok()?;
            if let Some(text) = data.strip_prefix(KEYWORD).and_then(|rest| rest.strip_prefix(&[0, 0, 0, 0, 0])) {
                return serde_json::from_slice(text).ok();
            }
            continue;
        }
        std::io::copy(&mut (&mut file).take(u64::from(length) + 4), &mut std::io::sink()).ok()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn the_chunk_goes_before_iend_the_png_still_decodes_and_stripping_it_gives_the_served_bytes() {
        let served = tiny_png();
        assert!(served.ends_with(&IEND));
        let info = json!({"prompt": "red panda", "model": "wan2.7-image"});
        let chunk = chunk(&info);
        let mut marked = served[..served.len() - 12].to_vec();
        marked.extend_from_slice(&chunk);
        marked.extend_from_slice(&IEND);

        let decoder = png::Decoder::new(std::io::Cursor::new(&marked));
        let mut reader = decoder.read_info().expect("a valid PNG, CRC included");
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        assert_eq!(&pixels[..3], &[255, 0, 0]);
        // chunks after the image data are read, their CRCs checked, to the end
        reader.finish().unwrap();
        let text = &reader.info().utf8_text;
        assert_eq!(text.len(), 1);
        assert_eq!(text[0].keyword, "wan");

        assert_eq!(read(marked.as_slice()), Some(info));
        assert_eq!(read(served.as_slice()), None);
        let stripped = [&marked[..served.len() - 12], &marked[marked.len() - 12..]].concat();
        assert_eq!(stripped, served);
    }

    #[test]
    fn what_is_not_a_png_has_no_provenance() {
        assert_eq!(read(&b"GIF89a......"[..]), None);
        assert_eq!(read(&b""[..]), None);
    }
}

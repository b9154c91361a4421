//! `--preview`: each saved image shown on standard error as it lands, in the terminal's own
//! image protocol (kitty's graphics, iTerm2's inline images, sixel) where it says it has
//! one, else a short line; never on a non-terminal, never on standard output.

use std::io::{Read, Write};
use std::path::Path;

use base64::Engine;

/// How the terminal on standard error shows images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Protocol {
    /// kitty's graphics protocol (kitty, Ghostty, WezTerm): PNG sent as is.
    Kitty,
    /// iTerm2's inline images (iTerm2, WezTerm, mintty): any format the terminal decodes.
    Iterm,
    /// DEC sixel (foot, mlterm, xterm with sixel): PNG decoded and quantised here.
    Sixel,
    /// No image protocol: a line naming the file, its size and format.
    #[default]
    Text,
}

impl Protocol {
    /// The terminal's protocol, from what it says of itself in the environment, or
    /// `WAN_PREVIEW` (`kitty`, `iterm`, `sixel`, `text`) where it says nothing or wrongly.
    /// Looked up by name rather than asked with an escape sequence: an answer would have
    /// to be read from the terminal while a run prints, and a terminal that does not
    /// answer would make `wan` wait.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Self {
        match var("WAN_PREVIEW").as_deref().map(str::trim) {
            Some("kitty") => return Self::Kitty,
            Some("iterm" | "iterm2") => return Self::Iterm,
            Some("sixel") => return Self::Sixel,
            Some("text") => return Self::Text,
            _ => {}
        }
        let term = var("TERM").unwrap_or_default();
        let program = var("TERM_PROGRAM").unwrap_or_default();
        if var("KITTY_WINDOW_ID").is_some() || term == "xterm-kitty" || term == "xterm-ghostty" || program == "ghostty"
        {
            Self::Kitty
        } else if matches!(program.as_str(), "iTerm.app" | "WezTerm" | "mintty")
            || var("LC_TERMINAL").as_deref() == Some("iTerm2")
        {
            Self::Iterm
        } else if term.contains("sixel") || matches!(term.as_str(), "foot" | "foot-extra" | "mlterm" | "yaft-256color")
        {
            Self::Sixel
        } else {
            Self::Text
        }
    }
}

/// The most of a file a preview reads: a saved image is checked whole before it lands,
/// but a preview is worth no more than this.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// Terminal rows an image takes at most: a glance, not a viewer.
const ROWS: u32 = 12;
/// The widest a sixel preview is drawn, in pixels (sixel sends every pixel).
const SIXEL_WIDTH: u32 = 240;

/// The escape sequences (or the line) that show `path`, whose format is `format`
/// (`png`, `jpg`, `webp`, `gif`) and which is shown as `shown`.
pub fn render(protocol: Protocol, path: &Path, format: &str, shown: &str) -> String {
    let bytes = match read_capped(path) {
        Some(bytes) => bytes,
        None => return text_line(path, shown, format, None),
    };
    let drawn = match (protocol, format) {
        (Protocol::Kitty, "png") => Some(kitty(&bytes)),
        (Protocol::Iterm, _) => Some(iterm(&bytes, shown)),
        (Protocol::Sixel, "png") => sixel(&bytes),
        _ => None,
    };
    drawn.unwrap_or_else(|| text_line(path, shown, format, Some(bytes.len() as u64)))
}

fn read_capped(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).ok()?.take(MAX_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_BYTES).then_some(bytes)
}

/// `wan: preview: out/x-001.png · 1024×1024 PNG · 1.2 MB`: what can be said without drawing.
fn text_line(path: &Path, shown: &str, format: &str, bytes: Option<u64>) -> String {
    let sides = imagesize::size(path).ok().map(|s| format!(" · {}×{}", s.width, s.height)).unwrap_or_default();
    let size = bytes.map(|b| format!(" · {:.1} MB", b as f64 / 1_000_000.0)).unwrap_or_default();
    format!("wan: preview: {}{sides} {}{size}\n", crate::error::clean(shown), format.to_uppercase())
}

/// kitty's graphics protocol: the PNG in base64, in chunks of at most 4096 bytes, shown
/// `ROWS` rows high (the width follows), the cursor left below it.
fn kitty(png: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let chunks: Vec<&[u8]> = encoded.as_bytes().chunks(4096).collect();
    let mut out = String::with_capacity(encoded.len() + chunks.len() * 24 + 2);
    for (i, chunk) in chunks.iter().enumerate() {
        let more = u8::from(i + 1 < chunks.len());
        let chunk = std::str::from_utf8(chunk).expect("base64 is ASCII");
        match i {
            0 => out.push_str(&format!("\x1b_Ga=T,f=100,r={ROWS},q=2,m={more};{chunk}\x1b\\")),
            _ => out.push_str(&format!("\x1b_Gm={more};{chunk}\x1b\\")),
        }
    }
    out.push('\n');
    out
}

/// iTerm2's inline image (OSC 1337), `ROWS` rows high, its aspect kept.
fn iterm(bytes: &[u8], shown: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let name = engine.encode(crate::error::clean(shown));
    let data = engine.encode(bytes);
    format!("\x1b]1337;File=name={name};size={};inline=1;height={ROWS};preserveAspectRatio=1:{data}\x07\n", bytes.len())
}

/// DEC sixel of a PNG: decoded, shrunk to `SIXEL_WIDTH` wide at most, each pixel put on a
/// 6×6×6 colour cube (close enough for a glance, and no quantiser to run). `None` for a
/// PNG that will not decode.
fn sixel(png_bytes: &[u8]) -> Option<String> {
    let (width, height, rgba) = decode_rgba(png_bytes)?;
    let scale = width.div_ceil(SIXEL_WIDTH).max(height.div_ceil(SIXEL_WIDTH * 3 / 4)).max(1);
    let (w, h) = (width / scale, height / scale);
    if w == 0 || h == 0 {
        return None;
    }
    let level = |v: u8| (u32::from(v) * 5 + 127) / 255;
    let colour = |x: u32, y: u32| -> usize {
        let at = (((y * scale) * width + x * scale) * 4) as usize;
        let (r, g, b, a) = (rgba[at], rgba[at + 1], rgba[at + 2], rgba[at + 3]);
        // Transparent pixels as the terminal's usual dark background.
        let blend = |c: u8| ((u32::from(c) * u32::from(a)) / 255) as u8;
        (level(blend(r)) * 36 + level(blend(g)) * 6 + level(blend(b))) as usize
    };
    let mut out = String::from("\x1bPq");
    out.push_str(&format!("\"1;1;{w};{h}"));
    for index in 0..216u32 {
        let (r, g, b) = (index / 36, (index / 6) % 6, index % 6);
        out.push_str(&format!("#{index};2;{};{};{}", r * 20, g * 20, b * 20));
    }
    for band in (0..h).step_by(6) {
        let mut used = [false; 216];
        let colours: Vec<Vec<usize>> =
            (0..w).map(|x| (band..(band + 6).min(h)).map(|y| colour(x, y)).collect()).collect();
        colours.iter().flatten().for_each(|&c| used[c] = true);
        for (c, _) in used.iter().enumerate().filter(|(_, used)| **used) {
            out.push_str(&format!("#{c}"));
            for column in &colours {
                let bits =
                    column.iter().enumerate().filter(|(_, colour)| **colour == c).fold(0u8, |b, (i, _)| b | 1 << i);
                out.push((b'?' + bits) as char);
            }
            out.push('$');
        }
        out.push('-');
    }
    out.push_str("\x1b\\\n");
    Some(out)
}

/// A PNG as 8-bit RGBA rows, whatever its colour type and depth.
fn decode_rgba(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buffer).ok()?;
    let pixels = &buffer[..frame.buffer_size()];
    let rgba = match reader.output_color_type().0 {
        png::ColorType::Rgba => pixels.to_vec(),
        png::ColorType::Rgb => pixels.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => pixels.chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return None,
    };
    Some((frame.width, frame.height, rgba))
}

/// Writes `sequence` to standard error, as one write so that no other line lands inside it.
pub fn write(sequence: &str) {
    let _ = std::io::stderr().lock().write_all(sequence.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_protocol_is_the_terminal_s_own_or_the_one_asked_for() {
        assert_eq!(Protocol::detect(env(&[("TERM", "xterm-kitty")])), Protocol::Kitty);
        assert_eq!(Protocol::detect(env(&[("KITTY_WINDOW_ID", "1"), ("TERM", "xterm-256color")])), Protocol::Kitty);
        assert_eq!(Protocol::detect(env(&[("TERM_PROGRAM", "iTerm.app")])), Protocol::Iterm);
        assert_eq!(Protocol::detect(env(&[("TERM_PROGRAM", "WezTerm")])), Protocol::Iterm);
        assert_eq!(Protocol::detect(env(&[("TERM", "foot")])), Protocol::Sixel);
        assert_eq!(Protocol::detect(env(&[("TERM", "xterm-256color")])), Protocol::Text);
        assert_eq!(Protocol::detect(env(&[("TERM", "xterm-256color"), ("WAN_PREVIEW", "sixel")])), Protocol::Sixel);
        assert_eq!(Protocol::detect(env(&[("TERM", "xterm-kitty"), ("WAN_PREVIEW", "text")])), Protocol::Text);
    }

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        let data: Vec<u8> = (0..width * height).flat_map(|i| [(i % 256) as u8, 0, 255]).collect();
        writer.write_image_data(&data).unwrap();
        writer.finish().unwrap();
        bytes
    }

    #[test]
    fn kitty_sends_the_png_in_chunks_that_say_whether_more_follow() {
        let png = png_of(64, 64);
        let out = kitty(&png);
        assert!(out.starts_with("\x1b_Ga=T,f=100,r=12,q=2,m="), "{out:?}");
        let payload: String = out
            .split("\x1b\\")
            .filter(|part| part.starts_with("\x1b_G"))
            .map(|part| part.split_once(';').unwrap().1)
            .collect();
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(payload).unwrap(), png);
        assert!(out.trim_end().ends_with("m=0;") || out.contains("m=0;"), "the last chunk says none follow");
    }

    #[test]
    fn sixel_draws_a_band_of_six_rows_at_a_time_within_the_width() {
        let out = sixel(&png_of(600, 12)).expect("a PNG decodes");
        assert!(out.starts_with("\x1bPq\"1;1;200;4"), "{:?}", &out[..30]);
        assert!(out.ends_with("\x1b\\\n"));
        assert_eq!(out.matches('-').count(), 1, "4 rows: one band");
        assert!(sixel(b"not a png").is_none());
    }

    #[test]
    fn iterm_names_the_file_and_keeps_the_aspect() {
        let out = iterm(b"bytes", "out/x-001.png");
        assert!(out.starts_with("\x1b]1337;File=name="), "{out:?}");
        assert!(out.contains(";size=5;inline=1;height=12;preserveAspectRatio=1:Ynl0ZXM=\x07"), "{out:?}");
    }
}

//! The emulator's videos: real, playable MP4 files (ISO base media, brand `isom`) of
//! Motion-JPEG frames drawn from the prompt (the same prompt gives the same clip), of the
//! duration asked for. The service answers MP4, so a client's "save the MP4" is tested
//! against the same container (issue 27, item 8); H.264 would need an encoder the
//! project does not build, and JPEG in MP4 is registered for it (MP4RA object type 0x6C).
//!
//! The muxer is ours and minimal (`ftyp`, `mdat`, then the `moov` index): one video
//! track, one chunk, every frame a whole JPEG in an `mp4v` sample entry whose `esds`
//! names the JPEG object type (as ffmpeg's own MP4 muxer writes Motion-JPEG; ffprobe
//! reads it as `mjpeg`).

use jpeg_encoder::{ColorType, Encoder};

use super::draw::{fnv1a, mix};

/// Frames a second: smooth enough to see motion, few enough to encode at once.
pub const FPS: u32 = 12;
/// The movie's time scale in `mvhd`: milliseconds.
const MOVIE_SCALE: u32 = 1000;

/// A `width`×`height` clip of `seconds` for `prompt`.
pub fn clip(prompt: &str, width: u16, height: u16, seconds: u32) -> Vec<u8> {
    let frames = (seconds * FPS).max(1);
    let scene = Scene::new(prompt);
    let jpegs: Vec<Vec<u8>> = (0..frames)
        .map(|i| {
            let pixels = scene.frame(width, height, i as f32 / frames as f32);
            let mut jpeg = Vec::new();
            Encoder::new(&mut jpeg, 80)
                .encode(&pixels, width, height, ColorType::Rgb)
                .expect("encoding a frame into memory cannot fail");
            jpeg
        })
        .collect();
    mux(&jpegs, width, height)
}

/// What a prompt draws: two colours and a few discs, each moving on its own circle.
struct Scene {
    top: [f32; 3],
    bottom: [f32; 3],
    discs: Vec<Disc>,
}

struct Disc {
    cx: f32,
    cy: f32,
    orbit: f32,
    phase: f32,
    r: f32,
    color: [u8; 3],
}

impl Scene {
    fn new(prompt: &str) -> Self {
        let mut state = fnv1a(prompt.as_bytes()) ^ 0x0076_6964_656f; // "video"
        let mut next = move || {
            state = mix(state);
            state
        };
        let unit = |n: u64| (n % 1000) as f32 / 1000.0;
        let rgb = |n: u64| [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let colour = |n: u64| rgb(n).map(f32::from);
        let (top, bottom) = (colour(next()), colour(next()));
        let discs = (0..3 + next() % 3)
            .map(|_| Disc {
                cx: 0.2 + 0.6 * unit(next()),
                cy: 0.2 + 0.6 * unit(next()),
                orbit: 0.05 + 0.2 * unit(next()),
                phase: unit(next()) * std::f32::consts::TAU,
                r: 0.06 + 0.12 * unit(next()),
                color: rgb(next()),
            })
            .collect();
        Self { top, bottom, discs }
    }

    /// The frame at `t` (0 to 1 through the clip), as RGB bytes.
    fn frame(&self, width: u16, height: u16, t: f32) -> Vec<u8> {
        let (w, h) = (f32::from(width), f32::from(height));
        let aspect = w / h;
        let turn = t * std::f32::consts::TAU;
        let centres: Vec<(f32, f32, f32)> = self
            .discs
            .iter()
            .map(|d| (d.cx + d.orbit * (turn + d.phase).cos(), d.cy + d.orbit * (turn + d.phase).sin(), d.r * d.r))
            .collect();
        let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height) * 3);
        for y in 0..height {
            let v = f32::from(y) / h;
            for x in 0..width {
                let u = f32::from(x) / w;
                // The gradient drifts across the clip, so even a still scene moves.
                let phase = ((u + v) / 2.0 + t) % 1.0;
                let s = 1.0 - (2.0 * phase - 1.0).abs();
                let mut rgb: [u8; 3] = std::array::from_fn(|c| (self.top[c] * (1.0 - s) + self.bottom[c] * s) as u8);
                for (disc, &(cx, cy, r2)) in self.discs.iter().zip(&centres) {
                    let (dx, dy) = ((u - cx) * aspect, v - cy);
                    if dx * dx + dy * dy < r2 {
                        rgb = disc.color;
                    }
                }
                // A bar along the bottom shows the time: a clip's progress is visible.
                if v > 0.94 && u < t {
                    rgb = [255, 255, 255];
                }
                pixels.extend_from_slice(&rgb);
            }
        }
        pixels
    }
}

fn atom(kind: &[u8; 4], parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 8;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&u32::try_from(len).expect("the emulator's clips are small").to_be_bytes());
    out.extend_from_slice(kind);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

fn be32(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The identity transformation matrix every track header carries.
const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// An MP4 file: `ftyp` (brand `isom`, compatible with `iso2` and `mp41`), the frames in
/// one `mdat`, then `moov`.
fn mux(frames: &[Vec<u8>], width: u16, height: u16) -> Vec<u8> {
    let count = frames.len() as u32;
    let duration_ms = count * MOVIE_SCALE / FPS;
    let ftyp = atom(b"ftyp", &[b"isom", &be32(&[0x200]), b"isom", b"iso2", b"mp41"]);
    let data: Vec<u8> = frames.concat();
    let mdat = atom(b"mdat", &[&data]);
    let chunk_offset = (ftyp.len() + 8) as u32;

    let mvhd = atom(
        b"mvhd",
        &[
            &be32(&[0, 0, 0, MOVIE_SCALE, duration_ms, 0x0001_0000]), // version/flags, times, scale, rate 1.0
            &[0x01, 0x00],                                            // volume 1.0
            &[0; 10],                                                 // reserved
            &be32(&MATRIX),                                           // matrix
            &be32(&[0; 6]),                                           // pre-defined
            &be32(&[2]),                                              // next track id
        ],
    );
    let tkhd = atom(
        b"tkhd",
        &[
            &be32(&[0x0000_0003, 0, 0, 1, 0, duration_ms, 0, 0]), // enabled, in movie; track 1
            &[0; 8],                                              // layer, group, volume 0, reserved
            &be32(&MATRIX),
            &be32(&[u32::from(width) << 16, u32::from(height) << 16]),
        ],
    );
    let mdhd = atom(b"mdhd", &[&be32(&[0, 0, 0, FPS, count]), &[0x55, 0xC4, 0, 0]]); // language "und"
    // ISO's handler: pre-defined 0, the handler type, reserved, a NUL-ended name.
    let hdlr = atom(b"hdlr", &[&be32(&[0, 0]), b"vide", &be32(&[0, 0, 0]), b"VideoHandler\0"]);
    let vmhd = atom(b"vmhd", &[&be32(&[1]), &[0; 8]]); // flags 1, graphics mode copy
    let dinf = atom(b"dinf", &[&atom(b"dref", &[&be32(&[0, 1]), &atom(b"url ", &[&be32(&[1])])])]);
    let mut name = [0u8; 32];
    let compressor = b"Motion JPEG";
    name[0] = compressor.len() as u8;
    name[1..=compressor.len()].copy_from_slice(compressor);
    let entry = atom(
        b"mp4v",
        &[
            &[0; 6],
            &[0, 1],  // data reference 1
            &[0; 16], // pre-defined, reserved
            &[(width >> 8) as u8, width as u8, (height >> 8) as u8, height as u8],
            &be32(&[0x0048_0000, 0x0048_0000, 0]), // 72 dpi, reserved
            &[0, 1],                               // one frame per sample
            &name,
            &[0, 24, 0xFF, 0xFF], // depth 24, pre-defined -1
            &esds(),
        ],
    );
    let stsd = atom(b"stsd", &[&be32(&[0, 1]), &entry]);
    let stts = atom(b"stts", &[&be32(&[0, 1, count, 1])]);
    let stsc = atom(b"stsc", &[&be32(&[0, 1, 1, count, 1])]);
    let sizes: Vec<u32> = frames.iter().map(|f| f.len() as u32).collect();
    let stsz = atom(b"stsz", &[&be32(&[0, 0, count]), &be32(&sizes)]);
    let stco = atom(b"stco", &[&be32(&[0, 1, chunk_offset])]);
    let stbl = atom(b"stbl", &[&stsd, &stts, &stsc, &stsz, &stco]);
    let minf = atom(b"minf", &[&vmhd, &dinf, &stbl]);
    let mdia = atom(b"mdia", &[&mdhd, &hdlr, &minf]);
    let trak = atom(b"trak", &[&tkhd, &mdia]);
    let moov = atom(b"moov", &[&mvhd, &trak]);
    [ftyp, mdat, moov].concat()
}

/// The elementary stream descriptor of a JPEG track (ISO/IEC 14496-1): object type 0x6C,
/// a visual stream, no decoder-specific data (each JPEG carries its own tables).
fn esds() -> Vec<u8> {
    let decoder_config: Vec<u8> = [
        &[0x04, 13, 0x6C, (0x04 << 2) | 1][..], // tag, length, object type, stream type visual
        &[0, 0, 0],                             // buffer size
        &be32(&[0, 0]),                         // max and average bit rates: not stated
    ]
    .concat();
    let sl_config = [0x06, 1, 0x02]; // MP4's predefined SL config
    let mut es = vec![0x03, (3 + decoder_config.len() + sl_config.len()) as u8, 0, 1, 0]; // tag, length, ES id 1, flags
    es.extend_from_slice(&decoder_config);
    es.extend_from_slice(&sl_config);
    atom(b"esds", &[&be32(&[0]), &es])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::video_format::{VideoFormat, Wholeness};

    #[test]
    fn a_clip_is_a_whole_mp4_file_of_jpeg_frames() {
        let clip = clip("a fox", 64, 36, 2);
        assert_eq!(&clip[4..12], b"ftypisom", "an ISO base media file, brand isom");
        assert_eq!(VideoFormat::sniff(&clip), Some(VideoFormat::Mp4));
        let mut whole = Wholeness::new();
        whole.feed(VideoFormat::Mp4, &clip);
        assert!(whole.is_whole(VideoFormat::Mp4));
        let top: Vec<&[u8]> = boxes(&clip).into_iter().map(|(kind, _)| kind).collect();
        assert_eq!(top, [&b"ftyp"[..], b"mdat", b"moov"]);
        assert!(clip.windows(4).any(|w| w == b"mp4v") && clip.windows(4).any(|w| w == b"esds"));
        assert!(!clip.windows(4).any(|w| w == b"qt  "), "nothing QuickTime's");
        let frames = clip.windows(3).filter(|w| *w == [0xFF, 0xD8, 0xFF]).count();
        assert_eq!(frames, 2 * FPS as usize, "one JPEG per frame");
        // the index says 2 seconds: 2000 ms in mvhd
        let at = clip.windows(4).position(|w| w == b"mvhd").unwrap();
        assert_eq!(&clip[at + 20..at + 24], &2000u32.to_be_bytes());
    }

    /// The top-level boxes of an ISO base media file: (type, whole box).
    fn boxes(file: &[u8]) -> Vec<(&[u8], &[u8])> {
        let mut at = 0;
        let mut found = Vec::new();
        while at + 8 <= file.len() {
            let size = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
            assert!(size >= 8 && at + size <= file.len(), "a box that does not fit at {at}");
            found.push((&file[at + 4..at + 8], &file[at..at + size]));
            at += size;
        }
        assert_eq!(at, file.len(), "boxes end at the last byte");
        found
    }

    #[test]
    fn the_same_prompt_gives_the_same_clip_and_others_differ() {
        assert_eq!(clip("a fox", 32, 18, 1), clip("a fox", 32, 18, 1));
        assert_ne!(clip("a fox", 32, 18, 1), clip("a cat", 32, 18, 1));
    }

    /// Checked by `ffprobe` where it is installed (Debian's ffmpeg package): a video
    /// stream of the duration asked for, frames of the size drawn.
    #[test]
    fn ffprobe_reads_a_video_stream_of_the_duration_asked() {
        let probe = std::process::Command::new("ffprobe").arg("-version").output();
        if !probe.is_ok_and(|o| o.status.success()) {
            eprintln!("skipped: ffprobe is not installed (apt-get install ffmpeg)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, clip("a red panda", 160, 90, 5)).unwrap();
        let out = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
            .args([
                "-show_entries",
                "stream=codec_type,codec_name,width,height,nb_read_frames:format=duration,format_name",
            ])
            .args(["-of", "default=noprint_wrappers=1"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && out.stderr.is_empty(), "{text}{}", String::from_utf8_lossy(&out.stderr));
        let lines = ["codec_type=video", "codec_name=mjpeg", "width=160", "height=90", "nb_read_frames=60"];
        for line in lines.into_iter().chain(["format_name=mov,mp4,m4a,3gp,3g2,mj2"]) {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        let duration: f64 =
            text.lines().find_map(|l| l.strip_prefix("duration=")).and_then(|d| d.parse().ok()).unwrap();
        assert!((duration - 5.0).abs() < 0.01, "{duration}");
    }
}

//! What a video task starts from: first and last frames, a driving audio, a first clip;
//! each an http(s) URL passed as given, or a local file checked and sent as a data URI.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::files::digest::sha256_hex;
use crate::files::reference::{self, Reference};
use crate::files::video_format::VideoFormat;

/// A local audio or clip is read up to this: a data URI in a JSON body is no way to send
/// more (give an http(s) URL instead). Frames have the reference images' own limits.
pub const MAX_LOCAL_BYTES: u64 = 20 * 1024 * 1024;

/// The `type` of a media item, as the Wan contract names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    FirstFrame,
    LastFrame,
    DrivingAudio,
    FirstClip,
}

impl MediaType {
    pub const NAMES: &'static str = "first_frame, last_frame, driving_audio, first_clip";

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "first_frame" => Some(Self::FirstFrame),
            "last_frame" => Some(Self::LastFrame),
            "driving_audio" => Some(Self::DrivingAudio),
            "first_clip" => Some(Self::FirstClip),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::FirstFrame => "first_frame",
            Self::LastFrame => "last_frame",
            Self::DrivingAudio => "driving_audio",
            Self::FirstClip => "first_clip",
        }
    }

    pub fn is_frame(self) -> bool {
        matches!(self, Self::FirstFrame | Self::LastFrame)
    }
}

/// One media item, ready for a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaType,
    /// The URL as given, or `data:<mime>;base64,…` of the local file.
    pub url: String,
    /// Where it came from, for the journal: a URL, or an absolute path (`-` for standard
    /// input) with the file's SHA-256; never its bytes.
    pub source: String,
    pub sha256: Option<String>,
}

/// `--image`, `--last-frame` and each `--media TYPE=REF`, in that order; a bad one is a
/// usage error naming it, before anything is sent. `stdin` may be read once, for `-`.
pub fn load(
    image: Option<&str>,
    last_frame: Option<&str>,
    media: &[String],
    stdin: &mut dyn Read,
) -> Result<Vec<Media>, Error> {
    let mut items = Vec::new();
    if let Some(image) = image {
        items.push((MediaType::FirstFrame, image.to_string()));
    }
    if let Some(last) = last_frame {
        items.push((MediaType::LastFrame, last.to_string()));
    }
    for arg in media {
        let (kind, reference) = arg
            .split_once('=')
            .and_then(|(kind, reference)| Some((MediaType::parse(kind.trim())?, reference)))
            .ok_or_else(|| {
                Error::usage(format!("--media {arg:?} is not TYPE=REF")).with_hint(format!(
                    "TYPE is one of {}, REF a file or an http(s) URL: --media driving_audio=voice.mp3",
                    MediaType::NAMES
                ))
            })?;
        items.push((kind, reference.to_string()));
    }
    for kind in [MediaType::FirstFrame, MediaType::LastFrame, MediaType::FirstClip, MediaType::DrivingAudio] {
        if items.iter().filter(|(k, _)| *k == kind).count() > 1 {
            return Err(Error::usage(format!("more than one {} given; a task takes one", kind.name())));
        }
    }
    if items.iter().filter(|(_, r)| r == "-").count() > 1 {
        return Err(Error::usage("standard input (-) can be read for one media item only"));
    }
    items.into_iter().map(|(kind, reference)| one(kind, &reference, stdin)).collect()
}

fn one(kind: MediaType, reference: &str, stdin: &mut dyn Read) -> Result<Media, Error> {
    if reference.trim().is_empty() {
        return Err(Error::usage(format!("the {} is empty", kind.name())));
    }
    if reference::is_url(reference) {
        return Ok(Media { kind, url: reference.to_string(), source: reference.to_string(), sha256: None });
    }
    let source = match reference {
        "-" => "-".to_string(),
        path => std::path::absolute(path).map_or_else(|_| path.to_string(), |p| p.display().to_string()),
    };
    if kind.is_frame() {
        // Frames are images: the same reading, formats and limits as `wan edit`'s references.
        let loaded = reference::load_all(std::slice::from_ref(&reference.to_string()), stdin)
            .map_err(|e| Error { message: e.message.replacen("reference image", kind.name(), 1), ..e })?;
        let Some(Reference::Local(image)) = loaded.into_iter().next() else {
            return Err(Error::usage(format!("the {} {reference} is not a local file", kind.name())));
        };
        let sha256 = Some(sha256_hex(&image.bytes));
        return Ok(Media { kind, url: image.data_uri().to_string(), source, sha256 });
    }
    let bytes = read_local(kind, reference, stdin)?;
    let mime = match kind {
        MediaType::DrivingAudio => audio_mime(&bytes),
        _ => VideoFormat::sniff(&bytes).map(VideoFormat::mime),
    }
    .ok_or_else(|| {
        let wanted = if kind == MediaType::DrivingAudio {
            "an MP3, WAV, FLAC, Ogg or M4A audio"
        } else {
            "an MP4, MOV or WebM video"
        };
        Error::usage(format!("the {} {reference} is not {wanted} file", kind.name()))
    })?;
    let sha256 = Some(sha256_hex(&bytes));
    Ok(Media { kind, url: format!("data:{mime};base64,{}", STANDARD.encode(&bytes)), source, sha256 })
}

fn read_local(kind: MediaType, reference: &str, stdin: &mut dyn Read) -> Result<Vec<u8>, Error> {
    let bad = |why: String| Error::usage(format!("the {} {reference} {why}", kind.name()));
    let mut bytes = Vec::new();
    let read = if reference == "-" {
        stdin.take(MAX_LOCAL_BYTES + 1).read_to_end(&mut bytes)
    } else {
        let meta = std::fs::metadata(reference).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => bad("is no such file".into()),
            _ => bad(format!("cannot be read: {e}")),
        })?;
        if meta.is_dir() {
            return Err(bad("is a directory".into()));
        }
        std::fs::File::open(reference).and_then(|f| f.take(MAX_LOCAL_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| bad(format!("cannot be read: {e}")))?;
    if bytes.is_empty() {
        return Err(bad("is empty".into()));
    }
    if bytes.len() as u64 > MAX_LOCAL_BYTES {
        return Err(bad(format!("is over {} MB; give an http(s) URL for it instead", MAX_LOCAL_BYTES >> 20)));
    }
    Ok(bytes)
}

/// The audio formats the service's examples use, from their first bytes.
fn audio_mime(bytes: &[u8]) -> Option<&'static str> {
    let at = |range: std::ops::Range<usize>| bytes.get(range);
    if bytes.starts_with(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if bytes.starts_with(b"RIFF") && at(8..12) == Some(b"WAVE") {
        Some("audio/wav")
    } else if bytes.starts_with(b"fLaC") {
        Some("audio/flac")
    } else if bytes.starts_with(b"OggS") {
        Some("audio/ogg")
    } else if at(4..8) == Some(b"ftyp") && at(8..11) == Some(b"M4A") {
        Some("audio/mp4")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::reference::tests::png_header;

    #[test]
    fn urls_pass_as_given_and_frames_come_first() {
        let media = load(
            Some("https://h/first.png"),
            Some("https://h/last.png"),
            &["driving_audio=https://h/a.mp3".into()],
            &mut std::io::empty(),
        )
        .unwrap();
        let kinds: Vec<&str> = media.iter().map(|m| m.kind.name()).collect();
        assert_eq!(kinds, ["first_frame", "last_frame", "driving_audio"]);
        assert_eq!(media[0].url, "https://h/first.png");
        assert_eq!(media[2].sha256, None);
    }

    #[test]
    fn a_local_frame_becomes_a_data_uri_and_keeps_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.png");
        std::fs::write(&path, png_header(320, 240)).unwrap();
        let media = load(Some(path.to_str().unwrap()), None, &[], &mut std::io::empty()).unwrap();
        assert!(media[0].url.starts_with("data:image/png;base64,iVBOR"), "{}", media[0].url);
        assert_eq!(media[0].source, path.display().to_string());
        assert_eq!(media[0].sha256.as_deref().map(str::len), Some(64));
    }

    #[test]
    fn bad_media_are_usage_errors_naming_them() {
        let usage = |image: Option<&str>, media: &[&str]| {
            let media: Vec<String> = media.iter().map(|m| m.to_string()).collect();
            let err = load(image, None, &media, &mut std::io::empty()).unwrap_err();
            assert_eq!(err.kind, crate::error::Kind::Usage);
            err.to_string()
        };
        assert!(usage(None, &["voice.mp3"]).contains("is not TYPE=REF"));
        assert!(usage(None, &["sound=https://h/a.mp3"]).contains("is not TYPE=REF"));
        assert!(usage(Some("https://h/a.png"), &["first_frame=https://h/b.png"]).contains("more than one first_frame"));
        assert!(usage(Some("/no/such.png"), &[]).contains("first_frame /no/such.png: no such file"));
        assert!(usage(None, &["driving_audio=/no/such.mp3"]).contains("is no such file"));
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("a.mp3");
        std::fs::write(&text, "not audio").unwrap();
        assert!(usage(None, &[&format!("driving_audio={}", text.display())]).contains("is not an MP3"));
    }

    #[test]
    fn local_audio_and_clips_are_sniffed() {
        assert_eq!(audio_mime(b"ID3\x04\0\0"), Some("audio/mpeg"));
        assert_eq!(audio_mime(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(audio_mime(b"\0\0\0\x20ftypM4A \0\0"), Some("audio/mp4"));
        assert_eq!(audio_mime(b"hello"), None);
        let mut stdin = std::io::Cursor::new(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2".to_vec());
        let media = load(None, None, &["first_clip=-".into()], &mut stdin).unwrap();
        assert!(media[0].url.starts_with("data:video/mp4;base64,"));
        assert_eq!(media[0].source, "-");
    }
}

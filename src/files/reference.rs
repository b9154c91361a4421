//! Reference images for `edit`: read (never more than the limit), checked against the
//! model's limits, and turned into what each route takes: a data URI made once, or a file.

use std::fs;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use reqwest::blocking::Client;

use crate::error::{Error, Kind, root_cause};
use crate::files::format::ImageFormat;

/// Limits of one reference image, from Wan 2.7's own documentation
/// (https://docs.qwencloud.com/developer-guides/image-generation/wan-image-editing;
/// AIsa documents none), kept for every model. How many a model takes is the catalogue's.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
pub const MIN_SIDE: usize = 240;
pub const MAX_SIDE: usize = 8000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// An `http(s)` URL, passed to the chat route unchanged.
    Url(String),
    Local(LocalImage),
}

#[derive(Clone)]
pub struct LocalImage {
    /// The argument it came from (`-` for standard input), for messages.
    pub name: String,
    pub format: ImageFormat,
    /// Shared, so an upload part or a retry never copies the bytes.
    pub bytes: Bytes,
    /// `data:<mime>;base64,…`, made once on first use and shared by every request.
    data_uri: OnceLock<String>,
}

impl PartialEq for LocalImage {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.format == other.format && self.bytes == other.bytes
    }
}

impl Eq for LocalImage {}

impl std::fmt::Debug for LocalImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalImage({}, {:?}, {} bytes)", self.name, self.format, self.bytes.len())
    }
}

pub fn is_url(arg: &str) -> bool {
    let lower = arg.get(..8).unwrap_or(arg).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Reads every reference argument, in order; the first bad one is a usage error. (How
/// many the model takes was checked before: see `limits`.)
pub fn load_all(args: &[String], stdin: &mut dyn Read) -> Result<Vec<Reference>, Error> {
    if args.iter().filter(|a| *a == "-").count() > 1 {
        return Err(Error::usage("standard input (-) can be read as one reference image only"));
    }
    args.iter().map(|arg| load(arg, stdin)).collect()
}

fn load(arg: &str, stdin: &mut dyn Read) -> Result<Reference, Error> {
    if is_url(arg) {
        return Ok(Reference::Url(arg.to_string()));
    }
    let bytes = if arg == "-" { read_stdin(stdin)? } else { read_file(arg)? };
    check(arg, bytes).map(Reference::local)
}

fn bad(name: &str, reason: impl std::fmt::Display) -> Error {
    Error::usage(format!("reference image {name}: {reason}"))
}

fn read_file(path: &str) -> Result<Vec<u8>, Error> {
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => bad(path, "no such file"),
        _ => bad(path, e),
    })?;
    if meta.is_dir() {
        return Err(bad(path, "is a directory"));
    }
    if meta.len() > MAX_BYTES {
        return Err(too_large(path, meta.len()));
    }
    // Devices and pipes (`/dev/zero`, `/dev/stdin`) report no length: the read itself
    // stops one byte past the limit, so nothing can make it hold more.
    let file = fs::File::open(path).map_err(|e| bad(path, format_args!("cannot be read: {e}")))?;
    read_capped(file).map_err(|e| bad(path, format_args!("cannot be read: {e}")))
}

fn read_stdin(stdin: &mut dyn Read) -> Result<Vec<u8>, Error> {
    read_capped(stdin).map_err(|e| bad("-", format_args!("cannot read standard input: {e}")))
}

/// At most one byte over the limit, so an oversized image is refused without being held.
fn read_capped(source: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    source.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn too_large(name: &str, len: u64) -> Error {
    if len > MAX_BYTES + 1 {
        bad(name, format_args!("is {:.1} MB; the limit is 20 MB", len as f64 / (1024.0 * 1024.0)))
    } else {
        bad(name, "is over the limit of 20 MB")
    }
}

/// Checks bytes against the model's limits: format, size, and the length of each side.
pub fn check(name: &str, bytes: Vec<u8>) -> Result<LocalImage, Error> {
    if bytes.is_empty() {
        return Err(bad(name, "is empty"));
    }
    if bytes.len() as u64 > MAX_BYTES {
        return Err(too_large(name, bytes.len() as u64));
    }
    let format = ImageFormat::sniff(&bytes)
        .filter(|f| f.is_reference_format())
        .ok_or_else(|| bad(name, "is not a PNG, JPEG, WebP or BMP image"))?;
    let size = imagesize::blob_size(&bytes)
        .map_err(|_| bad(name, format_args!("is not a readable {} image", format.extension())))?;
    for side in [size.width, size.height] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&side) {
            return Err(bad(
                name,
                format_args!("is {}×{} px; each side must be {MIN_SIDE} to {MAX_SIDE} px", size.width, size.height),
            ));
        }
    }
    Ok(LocalImage::new(name.to_string(), format, Bytes::from(bytes)))
}

impl LocalImage {
    /// An image read and checked by its caller (a mask).
    pub fn new(name: String, format: ImageFormat, bytes: Bytes) -> Self {
        Self { name, format, bytes, data_uri: OnceLock::new() }
    }

    /// `data:<mime>;base64,<…>`, the form the chat route's `image_url.url` takes;
    /// encoded once, whatever the number of requests.
    pub fn data_uri(&self) -> &str {
        self.data_uri.get_or_init(|| format!("data:{};base64,{}", self.format.mime(), STANDARD.encode(&self.bytes)))
    }
}

impl Reference {
    pub fn local(image: LocalImage) -> Self {
        Self::Local(image)
    }

    /// What goes into an `image_url` part.
    pub fn url(&self) -> &str {
        match self {
            Self::Url(url) => url,
            Self::Local(image) => image.data_uri(),
        }
    }
}

/// The references as files, for a route that uploads them: local ones as read, URL ones
/// downloaded (without the key) and checked against the same limits.
pub fn as_files(http: &Client, references: &[Reference], timeout: Duration) -> Result<Vec<LocalImage>, Error> {
    references
        .iter()
        .map(|reference| match reference {
            Reference::Local(image) => Ok(image.clone()),
            Reference::Url(url) => check(url, download(http, url, timeout)?),
        })
        .collect()
}

/// Downloads a reference given as a URL: at most one byte over the limit is read, so an
/// oversized one is refused.
fn download(http: &Client, url: &str, timeout: Duration) -> Result<Vec<u8>, Error> {
    let failed = |what: &str, e: &(dyn std::error::Error + 'static)| {
        Error::new(Kind::Service, format!("reference image {url}: {what}: {}", root_cause(e)))
    };
    let response = http.get(url).timeout(timeout).send().map_err(|e| failed("cannot download", &e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(bad(url, format_args!("download failed: HTTP {}", status.as_u16())));
    }
    read_capped(response).map_err(|e| failed("download cut short", &e))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A minimal PNG header claiming `width`×`height`: enough for size checks.
    pub fn png_header(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn accepts_a_png_within_limits_and_makes_a_data_uri() {
        let image = check("a.png", png_header(512, 300)).unwrap();
        assert_eq!(image.format, ImageFormat::Png);
        assert!(image.data_uri().starts_with("data:image/png;base64,iVBORw0KGgo"));
    }

    #[test]
    fn refuses_sides_outside_the_model_limits() {
        let err = check("small.png", png_header(239, 500)).unwrap_err();
        assert!(err.to_string().contains("239×500 px"), "{err}");
        assert!(check("big.png", png_header(8001, 500)).is_err());
        assert!(check("edge.png", png_header(240, 8000)).is_ok());
    }

    #[test]
    fn refuses_empty_unknown_and_gif_bytes() {
        assert!(check("e", vec![]).unwrap_err().to_string().contains("is empty"));
        assert!(check("t.txt", b"hello there".to_vec()).unwrap_err().to_string().contains("not a PNG"));
        assert!(check("g.gif", b"GIF89a\x10\x01\x10\x01".to_vec()).is_err());
    }

    #[test]
    fn urls_pass_through_unchanged() {
        let refs = load_all(&["HTTPS://example.com/a.jpg".into()], &mut std::io::empty()).unwrap();
        assert_eq!(refs, vec![Reference::Url("HTTPS://example.com/a.jpg".into())]);
    }

    #[test]
    fn refuses_two_stdins() {
        let two = vec!["-".to_string(), "-".to_string()];
        assert!(load_all(&two, &mut std::io::empty()).is_err());
    }

    #[test]
    fn reads_standard_input_for_a_dash() {
        let mut stdin = std::io::Cursor::new(png_header(300, 300));
        let refs = load_all(&["-".into()], &mut stdin).unwrap();
        assert!(matches!(&refs[0], Reference::Local(img) if img.name == "-"));
    }

    #[test]
    fn devices_are_read_no_further_than_the_limit() {
        let err = load_all(&["/dev/zero".into()], &mut std::io::empty()).unwrap_err();
        assert!(err.to_string().contains("over the limit of 20 MB"), "{err}");
        let mut endless = std::io::repeat(0);
        let err = load_all(&["-".into()], &mut endless).unwrap_err();
        assert!(err.to_string().contains("over the limit"), "{err}");
    }

    #[test]
    fn the_data_uri_is_made_once() {
        let image = check("a.png", png_header(300, 300)).unwrap();
        assert!(std::ptr::eq(image.data_uri(), image.data_uri()));
    }
}

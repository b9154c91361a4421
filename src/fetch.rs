//! Image bytes from where the answer put them: streamed from a short-lived URL, or decoded from base64.

use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use reqwest::blocking::Client;

use crate::api::root_cause;
use crate::error::{Error, Kind};
use crate::format::{self, ImageFormat, SNIFF_LEN, TAIL_LEN};
use crate::output::PartFile;

/// No generated image comes near this; a body that does is not an image.
pub const MAX_IMAGE_BYTES: u64 = 100 * 1024 * 1024;
/// Downloads are free GETs, so transient failures are retried, apart from `--retries`.
pub const DOWNLOAD_RETRIES: u32 = 3;
const CHUNK: usize = 64 * 1024;

/// What was written: the format found from the first bytes, and how many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub format: ImageFormat,
    pub bytes: u64,
}

struct Failed {
    error: Error,
    transient: bool,
}

fn transient(message: String) -> Failed {
    Failed { error: Error::new(Kind::Service, message), transient: true }
}

fn permanent(kind: Kind, message: String) -> Failed {
    Failed { error: Error::new(kind, message), transient: false }
}

/// Streams `url` into `out`, checking it is an image as it arrives. Carries no
/// credentials: image hosts never see the API key.
/// `on_bytes` hears of every chunk written, for progress.
pub fn download(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &mut PartFile,
    on_bytes: &dyn Fn(u64),
) -> Result<Fetched, Error> {
    let mut tries = 0;
    loop {
        match download_once(http, url, timeout, out, on_bytes) {
            Ok(fetched) => return Ok(fetched),
            Err(failed) if failed.transient && tries < DOWNLOAD_RETRIES => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(250 << tries));
                out.rewind().map_err(|e| Error::io("cannot restart the download", &e))?;
            }
            Err(failed) => return Err(failed.error),
        }
    }
}

fn download_once(
    http: &Client,
    url: &str,
    timeout: Duration,
    out: &mut PartFile,
    on_bytes: &dyn Fn(u64),
) -> Result<Fetched, Failed> {
    let mut response =
        http.get(url).timeout(timeout).send().map_err(|e| transient(format!("download failed: {}", root_cause(&e))))?;
    let status = response.status().as_u16();
    match status {
        200..=299 => {}
        408 | 429 | 500..=599 => return Err(transient(format!("download failed: HTTP {status}"))),
        403 | 404 | 410 => {
            return Err(permanent(
                Kind::Other,
                format!("download failed: HTTP {status}; the image URL may have expired"),
            ));
        }
        _ => {
            return Err(permanent(Kind::Other, format!("download failed: HTTP {status}")));
        }
    }
    let mut buf = vec![0u8; CHUNK];
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let mut tail = Vec::with_capacity(2 * TAIL_LEN);
    let mut format = None;
    let mut written: u64 = 0;
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Err(transient(format!("the download was cut short: {}", root_cause(&e))));
            }
        };
        let chunk = &buf[..n];
        if format.is_none() {
            // Until the format is known, `head` holds fewer than SNIFF_LEN bytes.
            let wanted = SNIFF_LEN - head.len();
            head.extend_from_slice(&chunk[..chunk.len().min(wanted)]);
            if head.len() >= SNIFF_LEN {
                format = Some(sniffed(&head)?);
            }
        }
        tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_LEN)..]);
        tail.drain(..tail.len().saturating_sub(TAIL_LEN));
        written += n as u64;
        if written > MAX_IMAGE_BYTES {
            return Err(permanent(
                Kind::Other,
                format!("the download is over {} MB; not an image", MAX_IMAGE_BYTES >> 20),
            ));
        }
        out.write_all(chunk).map_err(|e| permanent(Kind::Other, format!("cannot write the image: {e}")))?;
        on_bytes(n as u64);
    }
    let format = match format {
        Some(format) => format,
        None => sniffed(&head)?,
    };
    if !format.is_complete(&head, &tail, written) {
        return Err(transient(format!("the download was cut short: the {} image ends early", format.extension())));
    }
    Ok(Fetched { format, bytes: written })
}

fn sniffed(head: &[u8]) -> Result<ImageFormat, Failed> {
    ImageFormat::sniff(head).ok_or_else(|| {
        permanent(
            Kind::Other,
            format!("the image URL returned {} instead of an image", format::describe_non_image(head)),
        )
    })
}

/// Downloads a reference image given as a URL, for the images route's upload form:
/// at most one byte over the reference limit is read, so an oversized one is refused.
pub fn reference(http: &Client, url: &str) -> Result<Vec<u8>, Error> {
    let bad = |why: String| Error::usage(format!("reference image {url}: {why}"));
    let response = http.get(url).timeout(Duration::from_secs(120)).send().map_err(|e| {
        Error::new(Kind::Service, format!("reference image {url}: cannot download: {}", root_cause(&e)))
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(bad(format!("download failed: HTTP {}", status.as_u16())));
    }
    let mut bytes = Vec::new();
    response.take(crate::reference::MAX_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
        Error::new(Kind::Service, format!("reference image {url}: download cut short: {}", root_cause(&e)))
    })?;
    Ok(bytes)
}

/// Standard or URL-safe alphabet, padded or not, line breaks allowed.
fn decode_base64(payload: &str) -> Option<Vec<u8>> {
    let config = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let compact: String = payload.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    [base64::alphabet::STANDARD, base64::alphabet::URL_SAFE]
        .iter()
        .find_map(|alphabet| GeneralPurpose::new(alphabet, config).decode(&compact).ok())
}

/// Decodes a base64 image from the answer into `out`.
pub fn decode(payload: &str, out: &mut PartFile) -> Result<Fetched, Error> {
    let bytes =
        decode_base64(payload).ok_or_else(|| Error::new(Kind::Other, "an image in the answer is not valid base64"))?;
    let format = ImageFormat::sniff(&bytes).ok_or_else(|| {
        Error::new(Kind::Other, format!("a base64 image in the answer holds {}", format::describe_non_image(&bytes)))
    })?;
    let tail = &bytes[bytes.len().saturating_sub(TAIL_LEN)..];
    if !format.is_complete(&bytes, tail, bytes.len() as u64) {
        return Err(Error::new(
            Kind::Other,
            format!("a base64 {} image in the answer is cut short", format.extension()),
        ));
    }
    out.write_all(&bytes).map_err(|e| Error::io("cannot write the image", &e))?;
    Ok(Fetched { format, bytes: bytes.len() as u64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_padded_unpadded_wrapped_and_url_safe_base64() {
        // "\x89PNG" base64 is "iVBORw==", unpadded "iVBORw"
        let png = b"\x89PNG".to_vec();
        assert_eq!(decode_base64("iVBORw==").unwrap(), png);
        assert_eq!(decode_base64("iVBORw").unwrap(), png);
        assert_eq!(decode_base64("iVBO\nRw==\n").unwrap(), png);
        assert_eq!(decode_base64("_-8").unwrap(), vec![0xFF, 0xEF]);
    }

    #[test]
    fn refuses_what_is_not_base64() {
        assert!(decode_base64("not base64 at all!").is_none());
        assert!(decode_base64("iV@BORw").is_none());
    }
}

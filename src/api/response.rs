//! What every route's answer comes down to: the images to save, read as the answer
//! streams in, with unknown fields skipped rather than held.

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, Visitor};
use serde_json::Value;

/// Where one generated image is: a short-lived URL, or base64 bytes in the answer.
#[derive(Debug)]
pub enum ImageData {
    Url(String),
    /// A URL of another scheme (`file:`, `ftp:`, `javascript:`): paid for, and never fetched.
    Unfetchable(String),
    /// A base64 payload too short to have been streamed to a file, without any `data:` prefix.
    Base64(String),
    /// Where the answer's reader took a base64 image out to a file as it streamed
    /// (`api::blobs`): the placeholder it left for the parser, until it is swapped for
    /// the image itself.
    Streamed {
        nonce: u64,
        id: usize,
    },
    /// That image, decoded into its part file, or why it could not be.
    Decoded(Box<Streamed>),
}

impl PartialEq for ImageData {
    /// The same URL, payload or placeholder; each decoded image is a file of its own.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Url(a), Self::Url(b))
            | (Self::Unfetchable(a), Self::Unfetchable(b))
            | (Self::Base64(a), Self::Base64(b)) => a == b,
            (Self::Streamed { nonce, id }, Self::Streamed { nonce: other_nonce, id: other_id }) => {
                (nonce, id) == (other_nonce, other_id)
            }
            _ => false,
        }
    }
}

impl ImageData {
    /// `url` or `base64`, as `--json` reports the source.
    pub fn source(&self) -> &'static str {
        match self {
            Self::Url(_) | Self::Unfetchable(_) => "url",
            Self::Base64(_) | Self::Streamed { .. } | Self::Decoded(_) => "base64",
        }
    }

    pub fn url(&self) -> Option<&str> {
        match self {
            Self::Url(url) | Self::Unfetchable(url) => Some(url),
            Self::Base64(_) | Self::Streamed { .. } | Self::Decoded(_) => None,
        }
    }

    /// An image string: an `http(s)` URL, a `data:` URI, or bare base64, or the
    /// placeholder of one taken out as the answer streamed. Takes the string, so a
    /// large base64 payload is moved, never copied.
    pub fn classify(mut text: String) -> Option<Self> {
        if let Some(streamed) = Self::placeholder(text.trim_start()) {
            return Some(streamed);
        }
        let lower = text.trim_start().get(..8).unwrap_or_default().to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Some(Self::Url(text.trim().to_string()))
        } else if lower.starts_with("data:") {
            let comma = text.find(',')?;
            if !text[..comma].to_ascii_lowercase().ends_with(";base64") {
                return None;
            }
            text.drain(..=comma);
            Some(Self::placeholder(&text).unwrap_or(Self::Base64(text)))
        } else if has_scheme(text.trim_start()) {
            Some(Self::Unfetchable(text.trim().to_string()))
        } else if !text.trim().is_empty() {
            // Whitespace inside is skipped when decoding; no need to copy to trim it.
            Some(Self::Base64(text))
        } else {
            None
        }
    }

    /// The error of an image `wan` will not fetch.
    pub fn unfetchable(url: &str) -> crate::error::Error {
        crate::error::Error::new(
            crate::error::Kind::Other,
            format!("the answer gave a URL wan will not fetch (only http and https are): {}", crate::error::clean(url)),
        )
    }

    /// The image `text` stands for, if it is just a placeholder.
    fn placeholder(text: &str) -> Option<Self> {
        let (nonce, id, len) = super::blobs::parse_placeholder(text)?;
        (len == text.len()).then_some(Self::Streamed { nonce, id })
    }
}

/// Whether `text` starts with a URL scheme (`file:`, `ftp:`): base64 has no `:`.
fn has_scheme(text: &str) -> bool {
    let scheme = text.split(':').next().unwrap_or_default();
    text.len() > scheme.len()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

pub use super::blobs::Streamed;

/// The images of a successful answer, in the order the service numbered them.
#[derive(Debug, PartialEq)]
pub struct Images {
    pub images: Vec<ImageData>,
    pub usage: Option<Value>,
    pub request_id: Option<String>,
}

/// Why a 2xx answer gave no images to save.
#[derive(Debug)]
pub enum Unreadable {
    /// The body broke off: the request was carried out, and may have been billed.
    Lost(std::io::Error),
    /// The body ended before its JSON did (a close-delimited answer cut short): as `Lost`.
    Cut,
    /// The body is not what the API documents (the text says what is wrong).
    Malformed(String),
    /// The model answered without an image, saying why (a Gemini model's text).
    Refused(String),
}

/// Reads a JSON answer of type `T` as it streams from `body`. Fields `T` does not name
/// are skipped as they pass, so padding or unknown data costs no memory.
pub fn read_json<T: DeserializeOwned>(body: &mut dyn Read) -> Result<T, Unreadable> {
    // The BufReader goes in by value: std reads a byte at a time fast only from a
    // `BufReader` itself, not through a `&mut` to one (twice the CPU on a 32 MB answer).
    let buffered = std::io::BufReader::with_capacity(1 << 16, body);
    serde_json::from_reader(buffered).map_err(|e| {
        if e.is_io() {
            Unreadable::Lost(std::io::Error::other(e))
        } else if e.is_eof() {
            Unreadable::Cut
        } else if e.is_syntax() {
            Unreadable::Malformed(String::new())
        } else {
            Unreadable::Malformed(format!("{e}"))
        }
    })
}

/// The images found, or why there are none.
pub fn found(images: Vec<ImageData>, usage: Option<Value>, request_id: Text) -> Result<Images, Unreadable> {
    if images.is_empty() {
        return Err(Unreadable::Malformed("the answer holds no images".to_string()));
    }
    Ok(Images { images, usage: usage.filter(|u| !u.is_null()), request_id: request_id.0 })
}

/// A field that may be a string or a number (ids, indexes), kept as text; anything
/// else reads as absent rather than failing the whole answer.
#[derive(Debug, Default)]
pub struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text((!v.is_empty()).then(|| v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Text, E> {
                Ok(Text(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Text, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// An image string where one is expected; anything else (null, a number, an object)
/// reads as no image.
#[derive(Debug, Default)]
pub struct ImageText(pub Option<ImageData>);

impl<'de> Deserialize<'de> for ImageText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ImageVisitor;
        impl<'de> Visitor<'de> for ImageVisitor {
            type Value = ImageText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an image URL or base64")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ImageText, E> {
                Ok(ImageText(ImageData::classify(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ImageText, E> {
                Ok(ImageText(ImageData::classify(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ImageText, E> {
                Ok(ImageText(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ImageText, E> {
                Ok(ImageText(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ImageText, E> {
                Ok(ImageText(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ImageText, E> {
                Ok(ImageText(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ImageText, E> {
                Ok(ImageText(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ImageText, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ImageText(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ImageText, A::Error> {
                // `{url: "…"}`, as `image_url` parts carry it; other keys skipped.
                let mut found = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "url" && found.is_none() {
                        found = map.next_value::<ImageText>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(ImageText(found))
            }
        }
        deserializer.deserialize_any(ImageVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        id: Text,
        #[serde(default)]
        image: ImageText,
    }

    fn probe(json: &str) -> Probe {
        read_json(&mut json.as_bytes()).map_err(|e| format!("{e:?}")).unwrap()
    }

    #[test]
    fn texts_take_strings_and_numbers_and_ignore_the_rest() {
        assert_eq!(probe(r#"{"id": "r1"}"#).id.0.as_deref(), Some("r1"));
        assert_eq!(probe(r#"{"id": 42}"#).id.0.as_deref(), Some("42"));
        assert_eq!(probe(r#"{"id": {"deep": [1, 2]}}"#).id.0, None);
        assert_eq!(probe(r#"{}"#).id.0, None);
    }

    #[test]
    fn image_texts_take_urls_data_uris_base64_and_url_objects() {
        let image = |json: &str| probe(json).image.0;
        assert_eq!(image(r#"{"image": "https://h/a.png"}"#), Some(ImageData::Url("https://h/a.png".into())));
        assert_eq!(image(r#"{"image": "data:image/png;base64,iVBOR"}"#), Some(ImageData::Base64("iVBOR".into())));
        assert_eq!(image(r#"{"image": "iVBOR\n"}"#), Some(ImageData::Base64("iVBOR\n".into())));
        assert_eq!(
            image(r#"{"image": {"url": "https://h/b.png", "x": 1}}"#),
            Some(ImageData::Url("https://h/b.png".into()))
        );
        assert_eq!(image(r#"{"image": "data:text/plain,hi"}"#), None);
        assert_eq!(image(r#"{"image": "DATA:image/png;BASE64,iVBOR"}"#), Some(ImageData::Base64("iVBOR".into())));
        let streamed = Some(ImageData::Streamed { nonce: 255, id: 7 });
        assert_eq!(image(r#"{"image": "\u0000blob:00000000000000ff:7"}"#), streamed);
        assert_eq!(image(r#"{"image": " data:image/png;base64,\u0000blob:00000000000000ff:7"}"#), streamed);
        let trailing = image(r#"{"image": "\u0000blob:00000000000000ff:7x"}"#);
        assert!(matches!(trailing, Some(ImageData::Base64(_))), "not a placeholder: {trailing:?}");
        assert_eq!(image(r#"{"image": null}"#), None);
    }

    #[test]
    fn a_body_that_breaks_off_is_lost_not_malformed() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        assert!(matches!(read_json::<Probe>(&mut Broken), Err(Unreadable::Lost(_))));
        assert!(matches!(read_json::<Probe>(&mut "<html>".as_bytes()), Err(Unreadable::Malformed(_))));
    }
}

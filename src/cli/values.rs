//! Values the interface parses: numbers of 1 or more, sizes, amounts, and names with suggestions.

use crate::catalogue::aspect::{Aspect, parse_aspect};
use crate::catalogue::size::{Size, parse_size};

/// A value with suggestions for shell completion that still takes any value: the models
/// of the catalogue (the service serves others too), the common sizes.
#[derive(Clone)]
pub struct Suggested<T> {
    names: fn() -> Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
}

/// Sizes every Wan model takes, square and the usual landscape and portrait ones.
const COMMON_SIZES: &[&str] = &["1024x1024", "1280x720", "720x1280", "1536x1024", "1024x1536", "2048x2048"];

impl Suggested<String> {
    pub fn models() -> Self {
        Self { names: crate::catalogue::names, parse: |text| Ok(text.to_string()) }
    }

    pub fn video_models() -> Self {
        Self { names: || crate::catalogue::video::MODEL_NAMES.to_vec(), parse: |text| Ok(text.to_string()) }
    }
}

/// The usual shapes, landscape and portrait.
const COMMON_ASPECTS: &[&str] = &["1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9"];

impl Suggested<Aspect> {
    pub fn aspects() -> Self {
        Self { names: || COMMON_ASPECTS.to_vec(), parse: parse_aspect }
    }
}

impl Suggested<SizeArg> {
    pub fn sizes() -> Self {
        Self { names: || COMMON_SIZES.to_vec(), parse: parse_size_arg }
    }
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Suggested<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        (self.parse)(&text).map_err(|why| {
            let arg = arg.map_or_else(|| "the value".to_string(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{text}' for '{arg}': {why}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new((self.names)().into_iter().map(clap::builder::PossibleValue::new)))
    }
}

/// A whole number of 1 or more, with a message that says so.
pub fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(text: &str) -> Result<T, String> {
    let text = text.trim();
    match text.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        // All digits and still no number: it is too large for the type, not malformed.
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Err("is a whole number too large to take".to_string())
        }
        _ => Err("must be a whole number, 1 or more".to_string()),
    }
}

/// `--size`: `WxH`, or `auto` (which only gpt-image models take).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeArg {
    Auto,
    Exact(Size),
}

impl std::fmt::Display for SizeArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Exact(size) => size.fmt(f),
        }
    }
}

fn parse_size_arg(text: &str) -> Result<SizeArg, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(SizeArg::Auto);
    }
    parse_size(text).map(SizeArg::Exact).map_err(|why| format!("{why}, or auto"))
}

/// An amount in US dollars as `--max-cost` takes it (`0.50`, `$5`), kept as written.
pub fn usd_limit(text: &str) -> Result<String, String> {
    match crate::catalogue::money::parse_limit_usd(text) {
        Some(_) => Ok(text.to_string()),
        None => Err("must be an amount in US dollars, e.g. 0.50".to_string()),
    }
}

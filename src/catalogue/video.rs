//! The video models `wan` knows: their body family, whether they need a first frame, and
//! their list price, which no source states for certain today.

use crate::catalogue::money::Micros;

/// How a model's request body is shaped on `/video/generations`: the gateway rewrites
/// only `model` and forwards the rest to the vendor (aisa-api.md §14 B).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Wan and HappyHorse: `{model, input:{prompt, media:[{type,url}]}, parameters}`.
    Wan,
    /// `dreamina-seedance-*`: `{model, content:[{type:"text"}, {type:"image_url"}…]}`.
    Seedance,
}

/// The clip lengths a model takes, in whole seconds, as its vendor documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durations {
    /// Any whole number of seconds from the first to the second.
    Range(u32, u32),
    /// Only these.
    OneOf(&'static [u32]),
    /// Not sent as a field of its own (Seedance: `--param`, as the vendor names it).
    NotAField,
}

impl Durations {
    pub fn allows(self, seconds: u32) -> bool {
        match self {
            Self::Range(min, max) => (min..=max).contains(&seconds),
            Self::OneOf(allowed) => allowed.contains(&seconds),
            Self::NotAField => false,
        }
    }

    /// `2 to 15 s`, `5, 10 or 15 s`.
    pub fn describe(self) -> String {
        match self {
            Self::Range(min, max) => format!("{min} to {max} s"),
            Self::OneOf(allowed) => {
                let mut text: Vec<String> = allowed.iter().map(u32::to_string).collect();
                let last = text.pop().unwrap_or_default();
                match text.is_empty() {
                    true => format!("{last} s"),
                    false => format!("{} or {last} s", text.join(", ")),
                }
            }
            Self::NotAField => "by --param".to_string(),
        }
    }
}

/// Wan 2.7 and its reference-to-video: 2 to 15 s (Alibaba Model Studio's Wan 2.7 video
/// API, https://docs.comfy.org/development/comfy-router/models/wan/wan2-7-t2v/code).
const WAN_27: Durations = Durations::Range(2, 15);
/// Wan 2.6: 5, 10 or 15 s (the April docs' DashScope route names 5 and 10; the vendor's
/// Wan 2.6 adds 15).
const WAN_26: Durations = Durations::OneOf(&[5, 10, 15]);
/// HappyHorse 1.1: 3 to 15 s (https://docs.comfy.org/built-in-nodes/HappyHorseTextToVideoApi).
const HAPPYHORSE: Durations = Durations::Range(3, 15);

#[derive(Debug)]
pub struct VideoModel {
    pub name: &'static str,
    /// The clip lengths it takes: `--duration` is checked against them before sending.
    pub durations: Durations,
    /// Micro-dollars per clip, where a source states it without contradiction. None do
    /// today: the pricing table says $1.836 a video for `wan2.7-i2v` while its notes
    /// say "per second"; HappyHorse is billed per output second, Seedance by tokens.
    pub price: Option<Micros>,
}

/// Where a Wan-shaped body carries its media.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaFields {
    /// `input.media`: `[{type, url}]` on the gateway, a list of URLs on DashScope (Wan 2.7,
    /// HappyHorse).
    List,
    /// Wan 2.6: the first frame in `input.img_url`, the audio in `input.audio_url`; no
    /// last frame or first clip (aisa-api.md §14 A, §19).
    Named,
}

pub const TEXT_TO_VIDEO: &str = "wan2.7-t2v";
pub const IMAGE_TO_VIDEO: &str = "wan2.7-i2v";

/// The catalogue of 2026-09-30 (aisa-api.md §14 B); any other name is sent as given.
pub const MODELS: &[VideoModel] = &[
    // Wan 2.7 text to video (default)
    VideoModel { name: TEXT_TO_VIDEO, durations: WAN_27, price: None },
    // Wan 2.7 image to video: needs a first frame
    VideoModel { name: IMAGE_TO_VIDEO, durations: WAN_27, price: None },
    // Wan 2.7 reference to video
    VideoModel { name: "wan2.7-r2v", durations: WAN_27, price: None },
    // Wan 2.6 text to video (the April docs' DashScope route; AIsa's own skill)
    VideoModel { name: "wan2.6-t2v", durations: WAN_26, price: None },
    // Wan 2.6 image to video: needs a first frame, sent as input.img_url
    VideoModel { name: "wan2.6-i2v", durations: WAN_26, price: None },
    // HappyHorse text to video
    VideoModel { name: "happyhorse-1.1-t2v", durations: HAPPYHORSE, price: None },
    // HappyHorse image to video: needs a first frame
    VideoModel { name: "happyhorse-1.1-i2v", durations: HAPPYHORSE, price: None },
    // HappyHorse reference to video
    VideoModel { name: "happyhorse-1.1-r2v", durations: HAPPYHORSE, price: None },
    // Seedance 2.0
    VideoModel { name: "dreamina-seedance-2-0-260128", durations: Durations::NotAField, price: None },
    // Seedance 2.0, faster
    VideoModel { name: "dreamina-seedance-2-0-fast-260128", durations: Durations::NotAField, price: None },
    // Seedance 2.5
    VideoModel { name: "dreamina-seedance-2-5", durations: Durations::NotAField, price: None },
];

/// The names, for shell completion.
pub const MODEL_NAMES: &[&str] = &[
    TEXT_TO_VIDEO,
    IMAGE_TO_VIDEO,
    "wan2.7-r2v",
    "wan2.6-t2v",
    "wan2.6-i2v",
    "happyhorse-1.1-t2v",
    "happyhorse-1.1-i2v",
    "happyhorse-1.1-r2v",
    "dreamina-seedance-2-0-260128",
    "dreamina-seedance-2-0-fast-260128",
    "dreamina-seedance-2-5",
];

pub fn family(model: &str) -> Family {
    if model.starts_with("dreamina-seedance-") { Family::Seedance } else { Family::Wan }
}

/// Where a Wan-shaped model's body puts its media: `input.img_url` for Wan 2.6, whose API
/// predates `input.media`; `input.media` for the rest.
pub fn media_fields(model: &str) -> MediaFields {
    if model.starts_with("wan2.6-") { MediaFields::Named } else { MediaFields::List }
}

/// An image-to-video model: the service takes such a task without a first frame and
/// fails it a minute later (and may bill it), so `wan` refuses it before sending.
pub fn needs_first_frame(model: &str) -> bool {
    model.ends_with("-i2v") || model.contains("-i2v-")
}

/// The clip lengths the catalogue says `model` takes; `None` for a name it does not hold
/// (sent as given).
pub fn durations(model: &str) -> Option<Durations> {
    MODELS.iter().find(|m| m.name == model).map(|m| m.durations)
}

/// The catalogue's price per clip, where it has one.
pub fn list_price(model: &str) -> Option<Micros> {
    MODELS.iter().find(|m| m.name == model).and_then(|m| m.price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_first_frames_follow_the_names() {
        assert_eq!(family("dreamina-seedance-2-5"), Family::Seedance);
        assert_eq!(family("wan2.7-i2v"), Family::Wan);
        assert_eq!(family("happyhorse-1.1-t2v"), Family::Wan);
        assert!(needs_first_frame("wan2.7-i2v"));
        assert!(needs_first_frame("wan2.7-i2v-720p-14B"));
        assert!(needs_first_frame("happyhorse-1.1-i2v"));
        assert!(!needs_first_frame("wan2.7-t2v"));
        assert!(!needs_first_frame("wan2.7-r2v"));
        assert!(needs_first_frame("wan2.6-i2v"));
        assert_eq!(family("wan2.6-i2v"), Family::Wan);
        assert_eq!(media_fields("wan2.6-i2v"), MediaFields::Named);
        assert_eq!(media_fields("wan2.6-t2v"), MediaFields::Named);
        assert_eq!(media_fields("wan2.7-i2v"), MediaFields::List);
    }

    #[test]
    fn each_model_says_the_lengths_it_takes() {
        let takes = |model: &str, seconds: u32| durations(model).unwrap().allows(seconds);
        assert!(takes("wan2.7-t2v", 2) && takes("wan2.7-i2v", 15) && !takes("wan2.7-t2v", 16));
        assert!(!takes("wan2.7-r2v", 1));
        assert!(takes("wan2.6-t2v", 10) && !takes("wan2.6-i2v", 7));
        assert!(takes("happyhorse-1.1-t2v", 3) && !takes("happyhorse-1.1-t2v", 2));
        assert_eq!(durations("dreamina-seedance-2-5"), Some(Durations::NotAField));
        assert_eq!(durations("wan9-t2v"), None);
        assert_eq!(WAN_27.describe(), "2 to 15 s");
        assert_eq!(WAN_26.describe(), "5, 10 or 15 s");
    }

    #[test]
    fn the_names_list_is_the_catalogue() {
        let names: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
        assert_eq!(names, MODEL_NAMES);
        // no source states a price without contradiction today (aisa-api.md §3, §14)
        assert!(MODELS.iter().all(|m| list_price(m.name).is_none()));
    }
}

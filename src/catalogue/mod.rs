//! The catalogue: every image model `wan` knows, in the one table that prices, plans, routes and checks read.
//!
//! List prices and limits are the service's catalogue of 2026-09-30
//! (https://aisa.one/docs/guides/models), the Wan page
//! (https://aisa.one/docs/api-reference/chat/image-generation) for Wan, and the upstream
//! vendors' contracts where AIsa documents none (OpenAI's for gpt-image). A price the
//! service reports on an answer (`x-aisa-price-usd`) wins over the table.

pub mod aspect;
pub mod bill;
pub mod money;
pub mod size;
pub mod suggest;
pub mod video;

use crate::catalogue::money::Micros;
use size::Size;

pub const DEFAULT_MODEL: &str = "wan2.7-image";
pub const PRO_MODEL: &str = "wan2.7-image-pro";

/// The date of the list prices, shown wherever they are.
pub const PRICES_AS_OF: &str = "2026-09-30";

/// Where `--route auto` sends a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routes {
    /// The seeds' chat route, then the images route where the service says the model moved.
    ChatThenImages,
    /// `/images/generations`, and `/images/edits` for an edit.
    Images,
    /// `/models/{model}:generateContent` (or `/v1beta/…` where only that exists).
    Gemini,
}

impl Routes {
    pub fn describe(self) -> &'static str {
        match self {
            Self::ChatThenImages => "chat, then images",
            Self::Images => "images",
            Self::Gemini => "gemini",
        }
    }

    /// The names `wan models --json` gives, in the order they are tried.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Self::ChatThenImages => &["chat", "images"],
            Self::Images => &["images"],
            Self::Gemini => &["gemini"],
        }
    }
}

/// A list price and what it is charged for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Price {
    PerImage(Micros),
    /// Charged per request whatever it returns (Seedream 5.0).
    PerRequest(Micros),
    /// Listed without a fixed price: the service bills the tokens.
    ByTokens,
    /// A model the catalogue does not hold.
    Unknown,
}

impl Price {
    /// `image`, `request`, or `None` when there is no fixed price.
    pub fn unit(self) -> Option<&'static str> {
        match self {
            Self::PerImage(_) => Some("image"),
            Self::PerRequest(_) => Some("request"),
            Self::ByTokens | Self::Unknown => None,
        }
    }

    /// The price of one image, for a model priced per image.
    pub fn per_image(self) -> Option<Micros> {
        match self {
            Self::PerImage(p) => Some(p),
            _ => None,
        }
    }

    /// The price of one request, for a model priced per request.
    pub fn per_request(self) -> Option<Micros> {
        match self {
            Self::PerRequest(p) => Some(p),
            _ => None,
        }
    }

    pub fn amount(self) -> Option<Micros> {
        match self {
            Self::PerImage(p) | Self::PerRequest(p) => Some(p),
            Self::ByTokens | Self::Unknown => None,
        }
    }

    /// `$0.030 per image`, `$0.035 per request`, `unknown (billed by tokens)`.
    pub fn describe(self) -> String {
        match (self.amount(), self.unit()) {
            (Some(amount), Some(unit)) => format!("{} per {unit}", crate::catalogue::money::format_usd(amount)),
            _ if self == Self::ByTokens => "unknown (billed by tokens)".to_string(),
            _ => "unknown".to_string(),
        }
    }
}

/// What `--size` a model takes, checked before anything is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeRule {
    /// `WxH` sent as given: the service documents no rule (Wan).
    AsGiven,
    /// width × height at least `min_pixels`; `size` is always sent, `default` when none is given.
    MinPixels { min_pixels: u64, default: Size },
    /// OpenAI's rule for gpt-image: `auto`, or both sides multiples of 16, the longer side at
    /// most 3840 and the ratio at most 3:1
    /// (https://platform.openai.com/docs/api-reference/images/create).
    GptImage,
    /// The Gemini route has no `size`: `--param imageConfig=…` says what it takes.
    NoSize,
}

pub const GPT_IMAGE_MAX_SIDE: u32 = 3840;
pub const SEEDREAM_MIN_PIXELS: u64 = 3_686_400;
const SEEDREAM_DEFAULT: Size = Size { width: 2048, height: 2048 };

impl SizeRule {
    /// What is wrong with `size` under this rule, if anything: the rule it breaks, in
    /// words (shared by the client's checks and the emulator's refusals).
    pub fn problem(self, size: Size) -> Option<String> {
        let (long, short) = (size.width.max(size.height), size.width.min(size.height));
        let pixels = u64::from(size.width) * u64::from(size.height);
        match self {
            Self::AsGiven | Self::NoSize => None,
            Self::MinPixels { min_pixels, .. } if pixels < min_pixels => Some(format!(
                "width × height must be at least {} pixels ({size} is {})",
                thousands(min_pixels),
                thousands(pixels)
            )),
            Self::MinPixels { .. } => None,
            Self::GptImage if !size.width.is_multiple_of(16) || !size.height.is_multiple_of(16) => {
                Some("both sides must be multiples of 16".to_string())
            }
            Self::GptImage if long > GPT_IMAGE_MAX_SIDE => {
                Some(format!("the longer side must be at most {GPT_IMAGE_MAX_SIDE}"))
            }
            Self::GptImage if u64::from(long) > 3 * u64::from(short) => {
                Some(format!("the ratio must be at most 3:1 (it is {:.2}:1)", f64::from(long) / f64::from(short)))
            }
            Self::GptImage => None,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Self::AsGiven => "WxH, as given".to_string(),
            Self::MinPixels { min_pixels, default } => {
                format!("W×H ≥ {} px (default {default})", thousands(min_pixels))
            }
            Self::GptImage => {
                format!("auto, or sides multiples of 16, ≤ {GPT_IMAGE_MAX_SIDE}, ratio ≤ 3:1")
            }
            Self::NoSize => "no --size (--param imageConfig=…)".to_string(),
        }
    }
}

/// One model of the catalogue: a row of the table.
#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    /// The flag that names it, if any (`--pro`), or `(default)`.
    pub flag: &'static str,
    pub routes: Routes,
    pub price: Price,
    /// What the list price applies to, where it is narrower than the model.
    pub price_note: &'static str,
    /// Images one request may ask for; `-n` beyond it is split into requests.
    pub per_request: u32,
    /// Reference images an edit takes at most; 0 for a model that cannot edit.
    pub max_references: usize,
    pub size: SizeRule,
    /// The model's API takes a `seed` (`--seed`): Wan's upstream API (DashScope's `seed`, 0
    /// to 2147483647; AIsa's Wan pages document none, so the gateway passing it on is
    /// untested) and Gemini's (`generationConfig.seed`). Seedream 4.x/5.0 and gpt-image
    /// document none.
    pub takes_seed: bool,
    /// The model's edits take a mask (`--mask`): OpenAI's edits do for gpt-image
    /// (https://platform.openai.com/docs/api-reference/images/createEdit); no other
    /// model's API documents one.
    pub takes_mask: bool,
    pub purpose: &'static str,
}

/// The catalogue: adding a model is adding a row (and its line in the README's table,
/// which a test compares with this one).
/// The most references any model of the catalogue takes (for schemas that must admit all).
pub const MOST_REFERENCES: usize = {
    let (mut i, mut most) = (0, 0);
    while i < MODELS.len() {
        if MODELS[i].max_references > most {
            most = MODELS[i].max_references;
        }
        i += 1;
    }
    most
};

pub const MODELS: &[Model] = &[
    Model {
        name: DEFAULT_MODEL,
        flag: "(default)",
        routes: Routes::ChatThenImages,
        price: Price::PerImage(30_000),
        price_note: "",
        per_request: 4,
        max_references: 9,
        size: SizeRule::AsGiven,
        takes_seed: true,
        takes_mask: false,
        purpose: "fast, general-purpose image generation and editing",
    },
    Model {
        name: PRO_MODEL,
        flag: "--pro",
        routes: Routes::ChatThenImages,
        price: Price::PerImage(75_000),
        price_note: "",
        per_request: 4,
        max_references: 9,
        size: SizeRule::AsGiven,
        takes_seed: true,
        takes_mask: false,
        purpose: "higher fidelity generation and editing",
    },
    Model {
        name: "seedream-5-0-260128",
        flag: "",
        routes: Routes::Images,
        price: Price::PerRequest(35_000),
        price_note: "",
        per_request: 1,
        max_references: 0,
        size: SizeRule::MinPixels { min_pixels: SEEDREAM_MIN_PIXELS, default: SEEDREAM_DEFAULT },
        takes_seed: false,
        takes_mask: false,
        purpose: "large (2K and up) pictures from text, priced per request",
    },
    Model {
        name: "seedream-4-5-251128",
        flag: "",
        routes: Routes::Images,
        price: Price::PerImage(40_000),
        price_note: "",
        per_request: 1,
        max_references: 0,
        size: SizeRule::MinPixels { min_pixels: SEEDREAM_MIN_PIXELS, default: SEEDREAM_DEFAULT },
        takes_seed: false,
        takes_mask: false,
        purpose: "Seedream 4.5, the one the service's image-generation page names \
                  (https://aisa.one/docs/api-reference/chat/image-generation): large pictures from text",
    },
    Model {
        name: "gpt-image-2",
        flag: "",
        routes: Routes::Images,
        price: Price::PerImage(50_000),
        price_note: "1024×1024",
        per_request: 10,
        max_references: 16,
        size: SizeRule::GptImage,
        takes_seed: false,
        takes_mask: true,
        purpose: "text in pictures, precise instructions, edits with many references",
    },
    Model {
        name: "gpt-image-2.5-flare",
        flag: "",
        routes: Routes::Images,
        price: Price::ByTokens,
        price_note: "",
        per_request: 10,
        max_references: 16,
        size: SizeRule::GptImage,
        takes_seed: false,
        takes_mask: true,
        purpose: "gpt-image 2.5 variant; billed by tokens",
    },
    Model {
        name: "gpt-image-2.5-sunburst",
        flag: "",
        routes: Routes::Images,
        price: Price::ByTokens,
        price_note: "",
        per_request: 10,
        max_references: 16,
        size: SizeRule::GptImage,
        takes_seed: false,
        takes_mask: true,
        purpose: "gpt-image 2.5 variant; billed by tokens",
    },
    Model {
        name: "gemini-3-pro-image-preview",
        flag: "",
        routes: Routes::Gemini,
        price: Price::PerImage(100_000),
        price_note: "",
        per_request: 1,
        max_references: 14,
        size: SizeRule::NoSize,
        takes_seed: true,
        takes_mask: false,
        purpose: "conversational edits and composition from up to 14 references",
    },
];

/// A name the catalogue does not hold is taken as the family its name suggests, at an
/// unknown price: these rows are those families, and are not listed.
const OTHER_GEMINI: Model = Model {
    name: "gemini-*",
    flag: "",
    routes: Routes::Gemini,
    price: Price::Unknown,
    price_note: "",
    per_request: 1,
    max_references: 14,
    size: SizeRule::NoSize,
    takes_seed: true,
    takes_mask: false,
    purpose: "",
};
const OTHER_SEEDREAM: Model = Model {
    name: "seedream-*",
    flag: "",
    routes: Routes::Images,
    price: Price::Unknown,
    price_note: "",
    per_request: 1,
    max_references: 0,
    size: SizeRule::MinPixels { min_pixels: SEEDREAM_MIN_PIXELS, default: SEEDREAM_DEFAULT },
    takes_seed: false,
    takes_mask: false,
    purpose: "",
};
const OTHER_GPT_IMAGE: Model = Model {
    name: "gpt-image-*",
    flag: "",
    routes: Routes::Images,
    price: Price::Unknown,
    price_note: "",
    per_request: 10,
    max_references: 16,
    size: SizeRule::GptImage,
    takes_seed: false,
    takes_mask: true,
    purpose: "",
};
/// Anything else is taken for a Wan-like model: the seeds' chat route and its limits.
const OTHER: Model = Model {
    name: "*",
    flag: "",
    routes: Routes::ChatThenImages,
    price: Price::Unknown,
    price_note: "",
    per_request: 4,
    max_references: 9,
    size: SizeRule::AsGiven,
    takes_seed: true,
    takes_mask: false,
    purpose: "",
};

/// The catalogue's row for `name`, if it has one.
pub fn find(name: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.name == name)
}

/// A model as a run names it: the name sent on the wire, and the catalogue's row for it
/// (the row of its family for a name the table does not hold), looked up once.
#[derive(Clone, Debug)]
pub struct ImageModel {
    pub name: String,
    pub row: &'static Model,
}

impl ImageModel {
    pub fn named(name: String) -> Self {
        let row = profile(&name);
        Self { name, row }
    }
}

impl std::fmt::Display for ImageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// What `wan` knows of `name`: its row, or the family its name suggests.
pub fn profile(name: &str) -> &'static Model {
    find(name).unwrap_or(if name.starts_with("gemini-") {
        &OTHER_GEMINI
    } else if name.starts_with("seedream-") {
        &OTHER_SEEDREAM
    } else if name.starts_with("gpt-image-") {
        &OTHER_GPT_IMAGE
    } else {
        &OTHER
    })
}

/// The catalogue's names, for shell completion.
pub fn names() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.name).collect()
}

/// The models whose API takes a seed, for a hint.
pub fn seeded() -> Vec<&'static str> {
    MODELS.iter().filter(|m| m.takes_seed).map(|m| m.name).collect()
}

/// The models whose edits take a mask, for a hint.
pub fn maskers() -> Vec<&'static str> {
    MODELS.iter().filter(|m| m.takes_mask).map(|m| m.name).collect()
}

/// The models that can edit, for a hint.
pub fn editors() -> Vec<&'static str> {
    MODELS.iter().filter(|m| m.max_references > 0).map(|m| m.name).collect()
}

/// `3,686,400`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The README's model table, made from the catalogue; a test holds the two together.
#[cfg(test)]
pub fn readme_table() -> String {
    let mut table = format!(
        "| model | flag | route(s) `auto` uses | list price (USD, {PRICES_AS_OF}) | images per request | `edit` | `--size` | `--seed` |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for m in MODELS {
        let price = match m.price_note {
            "" => m.price.describe(),
            note => format!("{} ({note})", m.price.describe()),
        };
        let edit = match m.max_references {
            0 => "no (exit 2)".to_string(),
            n => format!("≤ {n} references"),
        };
        let per_request = match m.per_request {
            1 => "1".to_string(),
            n => format!("≤ {n}"),
        };
        let flag = match m.flag {
            "" | "(default)" => m.flag.trim_matches(['(', ')']).to_string(),
            flag => format!("`{flag}`"),
        };
        table.push_str(&format!(
            "| `{}` | {flag} | {} | {price} | {per_request} | {edit} | {} | {} |\n",
            m.name,
            m.routes.describe(),
            m.size.describe(),
            if m.takes_seed { "yes" } else { "no" }
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_take_the_family_their_name_suggests() {
        assert_eq!(profile("gemini-9-ultra-image").routes, Routes::Gemini);
        assert_eq!(profile("seedream-6-0").routes, Routes::Images);
        assert_eq!(profile("seedream-6-0").size, OTHER_SEEDREAM.size);
        assert_eq!(profile("gpt-image-3").per_request, 10);
        assert_eq!(profile("my-model").routes, Routes::ChatThenImages);
        for name in ["gemini-9", "seedream-9", "gpt-image-9", "my-model"] {
            assert_eq!(profile(name).price, Price::Unknown, "{name}");
            assert!(find(name).is_none());
        }
        assert_eq!(profile("gpt-image-2").price, Price::PerImage(50_000));
        assert!(profile("gemini-9").takes_seed && profile("my-model").takes_seed);
        assert!(!profile("seedream-9").takes_seed && !profile("gpt-image-9").takes_seed);
        assert!(
            profile("gpt-image-9").takes_mask && !profile("gemini-9").takes_mask && !profile("my-model").takes_mask
        );
        assert_eq!(maskers(), ["gpt-image-2", "gpt-image-2.5-flare", "gpt-image-2.5-sunburst"]);
    }

    #[test]
    fn the_catalogue_holds_the_contract_s_figures() {
        let row = |name| find(name).unwrap();
        assert_eq!(row("wan2.7-image").price, Price::PerImage(30_000));
        assert_eq!(row("wan2.7-image-pro").price, Price::PerImage(75_000));
        assert_eq!(row("seedream-5-0-260128").price, Price::PerRequest(35_000));
        assert_eq!(row("seedream-4-5-251128").price, Price::PerImage(40_000));
        assert_eq!(row("gemini-3-pro-image-preview").price, Price::PerImage(100_000));
        assert_eq!(row("gpt-image-2.5-flare").price, Price::ByTokens);
        let limits: Vec<(u32, usize)> = MODELS.iter().map(|m| (m.per_request, m.max_references)).collect();
        assert_eq!(limits, [(4, 9), (4, 9), (1, 0), (1, 0), (10, 16), (10, 16), (10, 16), (1, 14)]);
        let unique: std::collections::HashSet<_> = names().into_iter().collect();
        assert_eq!(unique.len(), MODELS.len(), "each model once");
    }

    #[test]
    fn prices_and_rules_read_well() {
        assert_eq!(Price::PerRequest(35_000).describe(), "$0.035 per request");
        assert_eq!(Price::ByTokens.describe(), "unknown (billed by tokens)");
        assert_eq!(thousands(3_686_400), "3,686,400");
        assert_eq!(thousands(999), "999");
        assert_eq!(find("seedream-5-0-260128").unwrap().size.describe(), "W×H ≥ 3,686,400 px (default 2048x2048)");
    }

    #[test]
    fn the_readme_table_is_the_catalogue() {
        let readme = include_str!("../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's model table differs from the catalogue; it should read:\n{table}"
        );
    }
}

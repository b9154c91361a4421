//! `--aspect W:H` in each model's own terms: the size of that shape a pixel-size model takes
//! (nearest its usual area, within its rules), or the ratio Gemini's `imageConfig` takes.

use super::size::Size;
use super::{GPT_IMAGE_MAX_SIDE, SizeRule};

/// An aspect ratio as `--aspect` takes it: `W:H`, each side a whole number from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Aspect {
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Display for Aspect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.width, self.height)
    }
}

/// The largest number either side of an aspect may be: shapes are small ratios, and this
/// keeps every product below in range.
const MAX_TERM: u32 = 1000;

pub fn parse_aspect(text: &str) -> Result<Aspect, String> {
    let term = |n: &str| {
        n.parse::<u32>().ok().filter(|&v| (1..=MAX_TERM).contains(&v) && n.bytes().all(|b| b.is_ascii_digit()))
    };
    text.split_once(':')
        .and_then(|(w, h)| Some(Aspect { width: term(w)?, height: term(h)? }))
        .ok_or_else(|| format!("must be WIDTH:HEIGHT, each 1 to {MAX_TERM}, e.g. 16:9"))
}

impl Aspect {
    /// The same shape in its smallest terms (`32:18` → `16:9`).
    pub fn reduced(self) -> Self {
        let g = gcd(self.width, self.height);
        Self { width: self.width / g, height: self.height / g }
    }

    /// Whether `size` has exactly this shape.
    pub fn fits(self, size: Size) -> bool {
        u64::from(size.width) * u64::from(self.height) == u64::from(size.height) * u64::from(self.width)
    }

    fn same(self, other: Self) -> bool {
        self.fits(Size { width: other.width, height: other.height })
    }
}

/// How a model is asked for a shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AspectRequest {
    /// The body's `size`, `WxH`.
    Size(Size),
    /// Gemini's `generationConfig.imageConfig.aspectRatio`, spelt as Google lists it.
    AspectRatio(&'static str),
}

/// The ratios Google's image models take in `imageConfig.aspectRatio`
/// (https://ai.google.dev/gemini-api/docs/image-generation, aisa-api.md §15).
pub const GEMINI_RATIOS: &[&str] = &["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

/// The sizes OpenAI lists for its image models (1:1, 3:2 and 2:3), which every gpt-image
/// takes: chosen for those shapes over a computed one.
const GPT_IMAGE_LISTED: &[Size] =
    &[Size { width: 1024, height: 1024 }, Size { width: 1536, height: 1024 }, Size { width: 1024, height: 1536 }];

/// Every pixel size is a multiple of this on each side: gpt-image's rule, and a common
/// step of the other models' own sizes (Seedream's 2560x1440, Wan's 1280x720).
const STEP: u32 = 16;

/// Wan 2.7's upstream limit on the shape of a picture (1:8 to 8:1, aisa-api.md §6); AIsa
/// documents none.
const WAN_MAX_RATIO: u32 = 8;
/// The longest side asked of Seedream: the largest size its vendor lists is 4096x4096.
const SEEDREAM_MAX_SIDE: u32 = 4096;

impl SizeRule {
    /// How a model under this rule (its row's `size`, or `NoSize` on the Gemini route) is
    /// asked for `aspect`, or why it cannot be (in words that name what it takes): the one
    /// place that maps a shape to a model's request, for a run and for a matrix alike. A pixel size is the one of exactly that shape, both sides
    /// multiples of 16, whose area is nearest the model's usual one (Wan's verified
    /// 1024x1024, Seedream's default 2048x2048, gpt-image's priced 1024x1024) within its
    /// rules; gpt-image takes OpenAI's listed size where the shape has one.
    pub fn for_aspect(self, aspect: Aspect) -> Result<AspectRequest, String> {
        let aspect = aspect.reduced();
        let (long, short) = (aspect.width.max(aspect.height), aspect.width.min(aspect.height));
        match self {
            Self::NoSize => GEMINI_RATIOS
                .iter()
                .find(|listed| parse_aspect(listed).is_ok_and(|l| l.same(aspect)))
                .map(|&listed| AspectRequest::AspectRatio(listed))
                .ok_or_else(|| format!("it takes an aspect ratio of {}", GEMINI_RATIOS.join(", "))),
            Self::GptImage => {
                if let Some(&listed) = GPT_IMAGE_LISTED.iter().find(|&&s| aspect.fits(s)) {
                    return Ok(AspectRequest::Size(listed));
                }
                nearest(aspect, 1024 * 1024, |s| self.problem(s).is_none())
                    .ok_or_else(|| format!("its sides are multiples of 16, at most {GPT_IMAGE_MAX_SIDE}, within 3:1"))
            }
            Self::AsGiven if long > WAN_MAX_RATIO * short => {
                Err(format!("it makes shapes from 1:{WAN_MAX_RATIO} to {WAN_MAX_RATIO}:1"))
            }
            Self::AsGiven => nearest(aspect, 1024 * 1024, |_| true).ok_or_else(|| "no size of that shape".to_string()),
            Self::MinPixels { min_pixels, default } => {
                let area = u64::from(default.width) * u64::from(default.height);
                let fits = |s: Size| self.problem(s).is_none() && s.width.max(s.height) <= SEEDREAM_MAX_SIDE;
                nearest(aspect, area, fits).ok_or_else(|| {
                    format!(
                        "it needs at least {} pixels with no side over {SEEDREAM_MAX_SIDE}",
                        super::thousands(min_pixels)
                    )
                })
            }
        }
    }
}

/// The size of exactly `aspect` (in smallest terms), both sides multiples of [`STEP`], that
/// `fits`, with the area nearest `area` (the larger of two as near).
fn nearest(aspect: Aspect, area: u64, fits: impl Fn(Size) -> bool) -> Option<AspectRequest> {
    // The smallest size of that shape with both sides multiples of the step; every other
    // is a whole multiple of it.
    let unit = lcm(STEP / gcd(STEP, aspect.width), STEP / gcd(STEP, aspect.height));
    let (w, h) = (u64::from(aspect.width) * u64::from(unit), u64::from(aspect.height) * u64::from(unit));
    // No model takes a side past 16384: the search stops there.
    let most = 16_384 / w.max(h);
    (1..=most)
        .filter_map(|m| Some(Size { width: u32::try_from(w * m).ok()?, height: u32::try_from(h * m).ok()? }))
        .filter(|&size| fits(size))
        .min_by_key(|size| {
            let pixels = u64::from(size.width) * u64::from(size.height);
            (pixels.abs_diff(area), std::cmp::Reverse(pixels))
        })
        .map(AspectRequest::Size)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn lcm(a: u32, b: u32) -> u32 {
    a / gcd(a, b) * b
}

/// The README's table of what each family is sent for the usual shapes, made from the
/// rules above; a test holds the two together.
#[cfg(test)]
pub fn readme_table() -> String {
    let families = [
        ("Wan 2.7 (`size`)", super::DEFAULT_MODEL),
        ("Seedream (`size`)", "seedream-5-0-260128"),
        ("gpt-image (`size`)", "gpt-image-2"),
        ("Gemini (`imageConfig.aspectRatio`)", "gemini-3-pro-image-preview"),
    ];
    let mut table = String::from("| `--aspect` |");
    for (title, _) in families {
        table.push_str(&format!(" {title} |"));
    }
    table.push_str("\n|---|---|---|---|---|\n");
    for aspect in ["1:1", "5:4", "4:5", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9", "2:1", "3:1", "4:1", "8:1"]
    {
        table.push_str(&format!("| `{aspect}` |"));
        for (_, model) in families {
            let cell = match super::profile(model).size.for_aspect(parse_aspect(aspect).expect("a listed aspect")) {
                Ok(AspectRequest::Size(size)) => size.to_string(),
                Ok(AspectRequest::AspectRatio(ratio)) => format!("`{ratio}`"),
                Err(_) => "no (exit 2)".to_string(),
            };
            table.push_str(&format!(" {cell} |"));
        }
        table.push('\n');
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{find, profile};

    fn ask(model: &str, aspect: &str) -> Result<String, String> {
        profile(model).size.for_aspect(parse_aspect(aspect).unwrap()).map(|request| match request {
            AspectRequest::Size(size) => size.to_string(),
            AspectRequest::AspectRatio(ratio) => format!("aspectRatio {ratio}"),
        })
    }

    #[test]
    fn aspects_parse_as_width_colon_height() {
        assert_eq!(parse_aspect("16:9"), Ok(Aspect { width: 16, height: 9 }));
        for bad in ["16x9", "16:", ":9", "0:1", "1:0", "-1:2", "+1:2", "1.5:1", "1001:1", "16:9:1", ""] {
            assert!(parse_aspect(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_aspect("32:18").unwrap().reduced(), Aspect { width: 16, height: 9 });
    }

    #[test]
    fn wan_gets_the_shape_nearest_1024x1024_in_multiples_of_16_up_to_8_to_1() {
        let sizes: Vec<String> = ["1:1", "4:3", "3:2", "16:9", "9:16", "21:9", "8:1"]
            .iter()
            .map(|a| ask("wan2.7-image", a).unwrap())
            .collect();
        assert_eq!(sizes, ["1024x1024", "1152x864", "1248x832", "1280x720", "720x1280", "1568x672", "2944x368"]);
        assert_eq!(ask("my-model", "32:18"), Ok("1280x720".into()), "the family of unknown names; any terms");
        assert!(ask("wan2.7-image-pro", "9:1").unwrap_err().contains("from 1:8 to 8:1"));
    }

    #[test]
    fn seedream_gets_the_shape_nearest_2048x2048_at_its_minimum_or_more() {
        let sizes: Vec<String> = ["1:1", "4:3", "3:2", "16:9", "21:9", "4:1"]
            .iter()
            .map(|a| ask("seedream-5-0-260128", a).unwrap())
            .collect();
        assert_eq!(sizes, ["2048x2048", "2368x1776", "2496x1664", "2816x1584", "3136x1344", "4096x1024"]);
        let rule = find("seedream-4-5-251128").unwrap().size;
        for size in &sizes {
            assert_eq!(rule.problem(crate::catalogue::size::parse_size(size).unwrap()), None, "{size}");
        }
        let refused = ask("seedream-5-0-260128", "5:1").unwrap_err();
        assert_eq!(refused, "it needs at least 3,686,400 pixels with no side over 4096");
    }

    #[test]
    fn gpt_image_gets_openai_s_listed_sizes_and_else_the_nearest_within_its_rule() {
        assert_eq!(ask("gpt-image-2", "1:1"), Ok("1024x1024".into()));
        assert_eq!(ask("gpt-image-2", "3:2"), Ok("1536x1024".into()));
        assert_eq!(ask("gpt-image-2.5-flare", "2:3"), Ok("1024x1536".into()));
        assert_eq!(ask("gpt-image-2", "16:9"), Ok("1280x720".into()));
        assert_eq!(ask("gpt-image-9", "3:1"), Ok("1776x592".into()));
        assert!(ask("gpt-image-2", "4:1").unwrap_err().contains("within 3:1"));
    }

    #[test]
    fn gemini_takes_the_ratios_google_lists_as_google_spells_them() {
        assert_eq!(ask("gemini-3-pro-image-preview", "16:9"), Ok("aspectRatio 16:9".into()));
        assert_eq!(ask("gemini-3-pro-image-preview", "7:3"), Ok("aspectRatio 21:9".into()));
        assert_eq!(ask("gemini-x", "2:2"), Ok("aspectRatio 1:1".into()));
        let refused = ask("gemini-3-pro-image-preview", "2:1").unwrap_err();
        assert_eq!(refused, "it takes an aspect ratio of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9");
    }

    #[test]
    fn the_readme_table_is_the_rules() {
        let readme = include_str!("../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's table of aspects differs from the rules; it should read:\n{table}"
        );
    }
}

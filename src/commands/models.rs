//! `wan models`: the catalogue as a table or JSON Lines: routes, prices, limits, size rules;
//! the table is followed by the video models `wan video create -m` takes.

use serde_json::{Value, json};

use crate::catalogue::money;
use crate::catalogue::{MODELS, Model, PRICES_AS_OF, SizeRule};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

pub fn run(as_json: bool) -> Result<Outcome, Error> {
    let mut out = Stdout::default();
    if as_json {
        for model in MODELS {
            out.line(&to_json(model).to_string())?;
        }
        return Ok(Outcome::Success);
    }
    let rows: Vec<[String; 8]> = std::iter::once(
        ["MODEL", "FLAG", "ROUTE", "LIST PRICE", "PER REQUEST", "EDIT", "SEED", "SIZE"].map(String::from),
    )
    .chain(MODELS.iter().map(|m| {
        [
            m.name.to_string(),
            m.flag.to_string(),
            m.routes.describe().to_string(),
            match m.price_note {
                "" => m.price.describe(),
                note => format!("{} ({note})", m.price.describe()),
            },
            m.per_request.to_string(),
            match m.max_references {
                0 => "no".to_string(),
                n => format!("≤ {n} refs"),
            },
            if m.takes_seed { "--seed" } else { "no" }.to_string(),
            m.size.describe(),
        ]
    }))
    .collect();
    table(&mut out, &rows)?;
    out.line("")?;
    table(&mut out, &video_rows())?;
    Ok(Outcome::Success)
}

fn table<const N: usize>(out: &mut Stdout, rows: &[[String; N]]) -> Result<(), Error> {
    let widths: Vec<usize> = (0..N).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, &w)| pad(cell, w)).collect();
        out.line(cells.join("  ").trim_end())?;
    }
    Ok(())
}

/// The video models (`wan video create -m`): the body each takes, whether it needs a
/// first frame, the lengths it makes (`--duration`), and its price, which no source
/// states for certain.
fn video_rows() -> Vec<[String; 5]> {
    use crate::catalogue::video::{self, Family, MediaFields};
    let head = ["VIDEO MODEL", "BODY", "FIRST FRAME", "DURATION", "LIST PRICE"].map(String::from);
    std::iter::once(head)
        .chain(video::MODELS.iter().map(|m| {
            let body = match (video::family(m.name), video::media_fields(m.name)) {
                (Family::Seedance, _) => "content parts (text, image_url)",
                (Family::Wan, MediaFields::Named) => "input {prompt, img_url, audio_url}, parameters",
                (Family::Wan, MediaFields::List) => "input {prompt, media}, parameters",
            };
            let frame = if video::needs_first_frame(m.name) { "needed" } else { "optional" };
            let price =
                m.price.map_or_else(|| "unknown".to_string(), |p| format!("{} per video", money::format_usd(p)));
            [m.name.to_string(), body.to_string(), frame.to_string(), m.durations.describe(), price]
        }))
        .collect()
}

/// Every model as `wan models --json` prints it, one object each (`wan mcp`'s `list_models`).
pub fn as_json() -> Vec<Value> {
    MODELS.iter().map(to_json).collect()
}

fn pad(cell: &str, width: usize) -> String {
    format!("{cell}{}", " ".repeat(width - cell.chars().count()))
}

/// One model as `wan models --json` prints it.
fn to_json(model: &Model) -> Value {
    let per_image = match model.price {
        crate::catalogue::Price::PerImage(p) => Some(money::to_usd(p)),
        _ => None,
    };
    let (min_pixels, default_size) = match model.size {
        SizeRule::MinPixels { min_pixels, default } => (Some(min_pixels), Some(default.to_string())),
        _ => (None, None),
    };
    json!({
        "model": model.name,
        "flag": (!model.flag.is_empty()).then_some(model.flag),
        "routes": model.routes.names(),
        "price": model.price.amount().map(money::to_usd),
        "price_unit": model.price.unit(),
        "price_text": model.price.describe(),
        "price_note": (!model.price_note.is_empty()).then_some(model.price_note),
        "billed_by_tokens": model.price == crate::catalogue::Price::ByTokens,
        "price_per_image": per_image,
        "prices_as_of": PRICES_AS_OF,
        "currency": "USD",
        "images_per_request": model.per_request,
        "edit": model.max_references > 0,
        "max_references": model.max_references,
        "size_rule": model.size.describe(),
        "size_min_pixels": min_pixels,
        "size_default": default_size,
        "takes_size": model.size != SizeRule::NoSize,
        "takes_seed": model.takes_seed,
        "takes_mask": model.takes_mask,
        "purpose": model.purpose,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_says_each_model_s_unit_and_limits() {
        let by_name = |name: &str| to_json(MODELS.iter().find(|m| m.name == name).unwrap());
        let seedream = by_name("seedream-5-0-260128");
        assert_eq!(seedream["price"], 0.035);
        assert_eq!(seedream["price_unit"], "request");
        assert_eq!(seedream["price_per_image"], Value::Null);
        assert_eq!(seedream["edit"], false);
        assert_eq!(seedream["size_min_pixels"], 3_686_400);
        assert_eq!(seedream["size_default"], "2048x2048");
        let flare = by_name("gpt-image-2.5-flare");
        assert_eq!((flare["price"].clone(), flare["billed_by_tokens"].clone()), (Value::Null, json!(true)));
        assert_eq!(flare["max_references"], 16);
        let gemini = by_name("gemini-3-pro-image-preview");
        assert_eq!(gemini["routes"], json!(["gemini"]));
        assert_eq!(gemini["takes_size"], false);
        assert_eq!(by_name("wan2.7-image")["routes"], json!(["chat", "images"]));
        assert_eq!(by_name("wan2.7-image-pro")["flag"], "--pro");
        assert_eq!(
            (by_name("wan2.7-image")["takes_seed"].clone(), seedream["takes_seed"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(gemini["takes_seed"], true);
        assert_eq!((flare["takes_mask"].clone(), gemini["takes_mask"].clone()), (json!(true), json!(false)));
    }
}

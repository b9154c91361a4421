//! `wan models`: the models `wan` knows, their price per image, and what each is for.

use serde_json::json;

use crate::cost::{self, MODELS};
use crate::error::Error;
use crate::report::Stdout;

pub fn print(as_json: bool) -> Result<u8, Error> {
    let mut out = Stdout::default();
    if as_json {
        for model in MODELS {
            let line = json!({
                "model": model.name,
                "flag": model.flag,
                "price_per_image": cost::to_usd(model.price),
                "currency": "USD",
                "purpose": model.purpose,
            });
            out.line(&line.to_string())?;
        }
    } else {
        out.line(&format!("{:<18} {:<10} {:>9}  {}", "MODEL", "FLAG", "PER IMAGE", "FOR"))?;
        for model in MODELS {
            out.line(&format!(
                "{:<18} {:<10} {:>9}  {}",
                model.name,
                model.flag,
                cost::format_usd(model.price),
                model.purpose
            ))?;
        }
    }
    Ok(0)
}

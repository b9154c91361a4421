//! `wan models`: the models `wan` knows, their price per image, and what each is for.

use serde_json::{Value, json};

use crate::cost::{self, MODELS, Model};
use crate::error::Error;
use crate::report::Stdout;

pub fn print(as_json: bool) -> Result<u8, Error> {
    let mut out = Stdout::default();
    if as_json {
        for model in MODELS {
            out.line(&to_json(model).to_string())?;
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

/// Every model as `wan models --json` prints it, one object each (`wan mcp`'s `list_models`).
pub fn as_json() -> Vec<Value> {
    MODELS.iter().map(to_json).collect()
}

/// One model as `wan models --json` prints it.
fn to_json(model: &Model) -> Value {
    json!({
        "model": model.name,
        "flag": model.flag,
        "price_per_image": cost::to_usd(model.price),
        "currency": "USD",
        "purpose": model.purpose,
    })
}

//! `wan info`: where a file came from — the PNG's `wan` chunk, and the journal's record
//! found by the file's SHA-256, so a renamed or moved file is still known.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::{Value, json};

use crate::catalogue::money::format_usd;
use crate::commands::history::open_journal;
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::files::digest::Sha256Hex;
use crate::journal::queries::{self, Origin};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

pub fn run(env: &Env, files: &[std::path::PathBuf], as_json: bool) -> Result<Outcome, Error> {
    let conn = open_journal(env).unwrap_or(None);
    let mut out = Stdout::default();
    let mut unknown = 0;
    for file in files {
        let (sha256, provenance) = read(file)?;
        let origin = match &conn {
            Some(conn) => queries::origin(conn, &sha256)?,
            None => None,
        };
        if origin.is_none() && provenance.is_none() {
            unknown += 1;
        }
        if as_json {
            let line = json!({
                "path": file.display().to_string(),
                "known": origin.is_some() || provenance.is_some(),
                "sha256": sha256,
                "provenance": provenance,
                "journal": origin.as_ref().map(origin_json),
            });
            out.line(&line.to_string())?;
        } else {
            for line in describe(file, origin.as_ref(), provenance.as_ref()) {
                out.line(&line)?;
            }
        }
    }
    if unknown > 0 {
        return Ok(Outcome::Failed(Kind::Other));
    }
    Ok(Outcome::Success)
}

/// The file's SHA-256 and its provenance chunk, if it has one; both in one read each,
/// never the whole file in memory.
fn read(file: &Path) -> Result<(String, Option<Value>), Error> {
    let open = || File::open(file).map_err(|e| Error::usage(format!("{}: {e}", file.display())));
    let mut hasher = Sha256Hex::default();
    let mut reader = open()?;
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut chunk).map_err(|e| Error::io(file.display(), &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&chunk[..n]);
    }
    let sha256 = hasher.finish();
    Ok((sha256, crate::files::provenance::read(BufReader::new(open()?))))
}

fn origin_json(origin: &Origin) -> Value {
    json!({
        "run": origin.run,
        "saved_as": origin.path,
        "prompt": origin.prompt,
        "model": origin.model,
        "route": origin.route,
        "request_id": origin.request_id,
        "saved_at": origin.saved_at,
        "price_per_image": origin.price.map(crate::catalogue::money::to_usd),
        "shard": origin.shard.map(|shard| shard.to_string()),
        "prompt_number": origin.prompt_number,
        "references": origin.references.iter().map(|(s, h)| json!({"source": s, "sha256": h})).collect::<Vec<_>>(),
    })
}

fn describe(file: &Path, origin: Option<&Origin>, provenance: Option<&Value>) -> Vec<String> {
    let mut lines = vec![file.display().to_string()];
    let mut field = |name: &str, value: String| lines.push(format!("  {name:<11} {value}"));
    let text = |key: &str| provenance.and_then(|p| p.get(key)).and_then(Value::as_str).map(String::from);
    match (origin, provenance) {
        (None, None) => field("unknown", "wan knows nothing of this file (not in the journal, no wan chunk)".into()),
        (Some(o), _) => {
            field("prompt", o.prompt.clone());
            field("model", format!("{} (route {})", o.model, o.route));
            field("run", o.run.clone());
            if let Some(shard) = o.shard {
                field("shard", format!("{shard} (prompt {} of its batch)", o.prompt_number));
            }
            field("request id", o.request_id.clone().unwrap_or_else(|| "unknown".into()));
            field("saved", o.saved_at.as_deref().map(crate::journal::when::local_minute).unwrap_or_default());
            field("saved as", o.path.clone());
            field("price", o.price.map_or_else(|| "unknown".into(), |p| format!("{} per image", format_usd(p))));
            for (source, sha) in &o.references {
                field(
                    "reference",
                    format!(
                        "{source}{}",
                        sha.as_deref().map(|h| format!(" (sha256 {})", &h[..12.min(h.len())])).unwrap_or_default()
                    ),
                );
            }
        }
        (None, Some(_)) => {
            field("prompt", text("prompt").unwrap_or_default());
            field("model", text("model").unwrap_or_default());
            field("run", text("run").unwrap_or_else(|| "none".into()));
            field("request id", text("request_id").unwrap_or_else(|| "unknown".into()));
            field("made", text("created").as_deref().map(crate::journal::when::local_minute).unwrap_or_default());
            field("journal", "no record here (made on another machine, or without a journal)".into());
        }
    }
    lines
}

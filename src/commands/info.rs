//! `wan info`: where a file came from — the label it carries (its XMP, `wan`'s or another
//! tool's; an older `wan`'s PNG chunk), its Content Credentials, and the journal's record
//! found by the file's SHA-256, so a renamed or moved file is still known.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde_json::{Value, json};

use crate::catalogue::Price;
use crate::catalogue::money::format_usd;
use crate::commands::history::open_journal;
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::files::digest::Sha256Hex;
use crate::files::label;
use crate::files::provenance::{self, Embedded};
use crate::journal::queries::{self, Origin};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

pub fn run(env: &Env, files: &[std::path::PathBuf], as_json: bool) -> Result<Outcome, Error> {
    let conn = open_journal(env).unwrap_or(None);
    let mut out = Stdout::default();
    let mut unknown = 0;
    for file in files {
        let (sha256, embedded) = read(file)?;
        let origin = match &conn {
            Some(conn) => queries::origin(conn, &sha256)?,
            None => None,
        };
        let carried = Carried::of(&embedded);
        if origin.is_none() && carried.provenance.is_none() && embedded.c2pa.is_none() {
            unknown += 1;
        }
        if as_json {
            let line = json!({
                "path": file.display().to_string(),
                // Known to wan: in its journal, or labelled by a wan (another tool's label is read, not known).
                "known": origin.is_some() || carried.xmp.as_ref().is_some_and(label::Read::is_wans) || embedded.wan_chunk.is_some(),
                "sha256": sha256,
                "label": carried.xmp.as_ref().and_then(|x| x.source_term()),
                "c2pa": embedded.c2pa.as_ref().map(|c| json!({"claim_generator": c.claim_generator})),
                "provenance": carried.provenance,
                "journal": origin.as_ref().map(origin_json),
            });
            out.line(&line.to_string())?;
        } else {
            for line in describe(file, origin.as_ref(), &carried, &embedded) {
                out.line(&line)?;
            }
        }
    }
    if unknown > 0 {
        return Ok(Outcome::Failed(Kind::Other));
    }
    Ok(Outcome::Success)
}

/// The file's SHA-256 and what it carries; both in one read each, never the whole file
/// in memory.
fn read(file: &Path) -> Result<(String, Embedded), Error> {
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
    Ok((sha256, provenance::read(BufReader::new(open()?))))
}

/// What the file says of itself: its XMP read, and the fields `wan info --json` gives as
/// `provenance` (from the XMP, else from an older `wan`'s PNG chunk).
struct Carried {
    xmp: Option<label::Read>,
    provenance: Option<Value>,
}

impl Carried {
    fn of(embedded: &Embedded) -> Self {
        let xmp = embedded.xmp.as_deref().and_then(label::read);
        let provenance = match (&xmp, &embedded.wan_chunk) {
            (Some(x), _) => Some(json!({
                "source": "xmp",
                "digital_source_type": x.digital_source_type,
                "model": x.model,
                "prompt": x.prompt,
                "prompt_cut": x.prompt_cut,
                "description": x.description,
                "provider": x.provider,
                "created": x.created,
                "creator_tool": x.creator_tool,
                "id": x.id,
                "run": x.run,
                "route": x.route,
                "params": x.params,
                "references": x.references.iter().map(|(s, h)| json!({"source": s, "sha256": h})).collect::<Vec<_>>(),
                "mask": x.mask.as_ref().map(|(s, h)| json!({"source": s, "sha256": h})),
            })),
            (None, Some(chunk)) => {
                let mut chunk = chunk.clone();
                if let Some(map) = chunk.as_object_mut() {
                    map.insert("source".into(), json!("wan chunk"));
                }
                Some(chunk)
            }
            (None, None) => None,
        };
        Self { xmp, provenance }
    }
}

fn origin_json(origin: &Origin) -> Value {
    json!({
        "run": origin.run,
        // `-`, as `-o -` wrote it: the stage it passed through is gone.
        "saved_as": if origin.to_stdout { "-" } else { origin.path.as_str() },
        "prompt": origin.prompt,
        "model": origin.model,
        "route": origin.route,
        "request_id": origin.request_id,
        "saved_at": origin.saved_at,
        "price_per_image": match origin.offline {
            true => Some(0.0),
            false => origin.price.map(crate::catalogue::money::to_usd),
        },
        "price_per_request": match crate::catalogue::profile(&origin.model).price {
            Price::PerRequest(price) if !origin.offline => Some(crate::catalogue::money::to_usd(price)),
            _ => None,
        },
        "offline": origin.offline,
        "shard": origin.shard.map(|shard| shard.to_string()),
        "prompt_number": origin.prompt_number,
        "references": origin.references.iter().map(|(s, h)| json!({"source": s, "sha256": h})).collect::<Vec<_>>(),
        "mask": origin.mask.as_ref().map(|(s, h)| json!({"source": s, "sha256": h})),
    })
}

fn describe(file: &Path, origin: Option<&Origin>, carried: &Carried, embedded: &Embedded) -> Vec<String> {
    let mut lines = vec![file.display().to_string()];
    let mut field = |name: &str, value: String| lines.push(format!("  {name:<11} {value}"));
    let xmp = carried.xmp.as_ref();
    if let Some(term) = xmp.and_then(label::Read::source_term) {
        let generated = term.contains("TrainedAlgorithmicMedia") || term.starts_with("trainedAlgorithmic");
        let offline = xmp.and_then(|x| x.provider.as_deref()) == Some(label::OFFLINE_PROVIDER);
        let what = match (generated, offline) {
            (_, true) => "drawn offline by wan's emulator, no model",
            (true, false) => "AI-generated",
            (false, false) => "digital source type",
        };
        field("label", format!("{what} (IPTC digital source type {term})"));
    }
    if let Some(c2pa) = &embedded.c2pa {
        let by = c2pa.claim_generator.as_deref().map(|g| format!(", made by {g}")).unwrap_or_default();
        field("credentials", format!("Content Credentials (C2PA manifest){by}; kept as served, not validated here"));
    }
    let chunk = embedded.wan_chunk.as_ref();
    let text = |key: &str| chunk.and_then(|p| p.get(key)).and_then(Value::as_str).map(String::from);
    match origin {
        Some(o) => {
            field("prompt", o.prompt.clone());
            field("model", format!("{} (route {})", o.model, o.route));
            field("run", o.run.clone());
            if let Some(shard) = o.shard {
                field("shard", format!("{shard} (prompt {} of its batch)", o.prompt_number));
            }
            field("request id", o.request_id.clone().unwrap_or_else(|| "unknown".into()));
            field("saved", o.saved_at.as_deref().map(crate::journal::when::local_minute).unwrap_or_default());
            field("saved as", if o.to_stdout { "standard output (-o -)".into() } else { o.path.clone() });
            field(
                "price",
                match (o.offline, crate::catalogue::profile(&o.model).price, o.price) {
                    (true, ..) => "none: made offline (--offline), nothing billed".into(),
                    // Billed by the request (Seedream 5.0): the request's price, whatever
                    // its share per image.
                    (false, Price::PerRequest(price), _) => format!("{} per request", format_usd(price)),
                    (false, _, None) => "unknown".into(),
                    (false, _, Some(p)) => format!("{} per image", format_usd(p)),
                },
            );
            for (source, sha) in &o.references {
                field("reference", reference(source, sha.as_deref()));
            }
            if let Some((source, sha)) = &o.mask {
                field("mask", reference(source, Some(sha)));
            }
            if let Some(id) = xmp.and_then(|x| x.id.clone()) {
                field("id", id);
            }
        }
        None if xmp.is_some_and(|x| x.is_wans()) || (xmp.is_none() && chunk.is_some()) => {
            let from_xmp = |get: fn(&label::Read) -> Option<String>| xmp.and_then(get);
            let prompt = from_xmp(|x| x.prompt.clone()).or_else(|| text("prompt"));
            let cut = xmp.is_some_and(|x| x.prompt_cut);
            field(
                "prompt",
                match prompt {
                    Some(p) if cut => format!("{p}… (cut to fit the file; the journal that made it has it whole)"),
                    Some(p) => p,
                    None => "not in the file (written with --no-prompt-in-file)".into(),
                },
            );
            let model = from_xmp(|x| x.model.clone()).or_else(|| text("model")).unwrap_or_default();
            match from_xmp(|x| x.route.clone()) {
                Some(route) => field("model", format!("{model} (route {route})")),
                None => field("model", model),
            }
            if let Some(provider) = from_xmp(|x| x.provider.clone()) {
                field("provider", provider);
            }
            field("run", from_xmp(|x| x.run.clone()).or_else(|| text("run")).unwrap_or_else(|| "none".into()));
            if chunk.is_some() && xmp.is_none() {
                field("request id", text("request_id").unwrap_or_else(|| "unknown".into()));
            }
            let made = from_xmp(|x| x.created.clone()).or_else(|| text("created"));
            field("made", made.as_deref().map(crate::journal::when::local_minute).unwrap_or_default());
            if let Some(params) = xmp.and_then(|x| x.params.as_ref()).filter(|p| !p.is_empty()) {
                field("fields", Value::Object(params.clone()).to_string());
            }
            for (source, sha) in xmp.map(|x| x.references.clone()).unwrap_or_default() {
                field("reference", reference(&source, sha.as_deref()));
            }
            if let Some((source, sha)) = xmp.and_then(|x| x.mask.clone()) {
                field("mask", reference(&source, Some(&sha)));
            }
            if let Some(id) = from_xmp(|x| x.id.clone()) {
                field("id", id);
            }
            field("journal", "no record here (made on another machine, or without a journal)".into());
        }
        None if xmp.is_some() => {
            // Another tool's label: what it says.
            let x = xmp.expect("checked");
            for (name, value) in [
                ("model", &x.model),
                ("prompt", &x.prompt),
                ("description", &x.description),
                ("made", &x.created),
                ("tool", &x.creator_tool),
            ] {
                if let Some(value) = value {
                    field(name, value.clone());
                }
            }
            field("journal", "no record here: not made by wan on this machine".into());
        }
        None if embedded.c2pa.is_some() => {
            field("journal", "no record here: not made by wan on this machine".into());
        }
        None => field("unknown", "wan knows nothing of this file (not in the journal, no label)".into()),
    }
    lines
}

fn reference(source: &str, sha: Option<&str>) -> String {
    format!("{source}{}", sha.map(|h| format!(" (sha256 {})", &h[..12.min(h.len())])).unwrap_or_default())
}

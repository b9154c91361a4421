//! `wan history`: past runs from the journal, newest first.

use serde_json::json;

use crate::catalogue::money::{format_usd, to_usd};
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::journal::queries::{self, RunRow};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

/// Opens the journal to read, or says there is none yet (`None`, after printing why).
pub fn open_journal(env: &Env) -> Result<Option<rusqlite::Connection>, Error> {
    let Some(dir) = &env.state_dir else {
        return Err(Error::new(Kind::Other, "no state folder: set WAN_STATE_DIR, XDG_STATE_HOME or HOME"));
    };
    Ok(crate::journal::open_to_read(dir)?)
}

pub fn run(env: &Env, limit: u64, as_json: bool) -> Result<Outcome, Error> {
    let mut out = Stdout::default();
    let Some(conn) = open_journal(env)? else {
        if !as_json {
            eprintln!("wan: no runs yet (the journal is made by the first run)");
        }
        return Ok(Outcome::Success);
    };
    let runs = queries::runs(&conn, limit)?;
    if as_json {
        for run in &runs {
            out.line(&to_json(run).to_string())?;
        }
        return Ok(Outcome::Success);
    }
    out.line(&format!(
        "{:<12}  {:<16}  {:<8}  {:<26}  {:>7}  {:>9}  {:>9}  {}",
        "RUN", "STARTED", "COMMAND", "MODEL", "PROMPTS", "IMAGES", "COST", "STATE"
    ))?;
    for run in &runs {
        out.line(&format!(
            "{:<12}  {:<16}  {:<8}  {:<26}  {:>7}  {:>9}  {:>9}  {}",
            run.id,
            crate::journal::when::local_minute(&run.started),
            run.command,
            run.model,
            run.prompts,
            format!("{}/{}", run.saved, asked(run)),
            cost_text(run),
            state_text(run)
        ))?;
    }
    if runs.iter().any(|run| run.charged > 0 && !run.offline) {
        eprintln!("wan: * what the service said it charged; other costs are at list price (or as it reported)");
    }
    Ok(Outcome::Success)
}

/// The state, and where the journal failed under the run, that its record is incomplete
/// (it may have sent and spent more than the columns count).
fn state_text(run: &RunRow) -> String {
    match run.incomplete {
        true => format!("{} (record incomplete)", run.state),
        false => run.state.clone(),
    }
}

fn asked(run: &RunRow) -> u64 {
    run.prompts.saturating_mul(u64::from(run.count))
}

/// The run's cost, marked `*` where every answer said what it was charged (the rest
/// are at list price; see the line under the table); `offline` for a run that went to the
/// emulator inside `wan` and was billed nothing.
fn cost_text(run: &RunRow) -> String {
    if run.offline {
        return "offline".to_string();
    }
    let mark = if run.cost_source() == "charged" { "*" } else { "" };
    match (run.unpriced, run.cost) {
        (0, cost) => format!("{}{mark}", format_usd(cost)),
        (_, 0) => "unknown".to_string(),
        (_, cost) => format!("{}+?", format_usd(cost)),
    }
}

fn to_json(run: &RunRow) -> serde_json::Value {
    json!({
        "id": run.id,
        "started": run.started,
        "command": run.command,
        "model": run.model,
        "prompts": run.prompts,
        "shard": run.shard.map(|shard| shard.to_string()),
        "saved": run.saved,
        "asked": asked(run),
        "returned": run.returned,
        "cost": match run.offline {
            true => Some(0.0),
            false => (run.unpriced == 0).then(|| to_usd(run.cost)),
        },
        "cost_source": if run.offline { "offline" } else { run.cost_source() },
        "offline": run.offline,
        "cost_known": to_usd(run.cost),
        "unpriced_images": run.unpriced,
        "currency": "USD",
        "state": run.state,
        "record": if run.incomplete { "incomplete" } else { "complete" },
        "out_dir": run.out_dir,
    })
}

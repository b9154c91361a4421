//! `wan history`: past runs from the journal, newest first.

use serde_json::json;

use crate::catalogue::money::{format_usd, to_usd};
use crate::config::env::Env;
use crate::error::{Error, Kind, clean};
use crate::journal::queries::{self, RunRow};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::thousands;

/// Opens the journal to read, or says there is none yet (`None`, after printing why).
pub fn open_journal(env: &Env) -> Result<Option<rusqlite::Connection>, Error> {
    let Some(dir) = &env.state_dir else {
        return Err(Error::new(Kind::Other, "no state folder: set WAN_STATE_DIR, XDG_STATE_HOME or HOME"));
    };
    Ok(crate::journal::open_to_read(dir)?)
}

/// The run named on a command line (`wan resume RUN`, `wan gallery RUN`): its id, or a
/// unique start of it; one that is not there, or that starts several, is a usage error.
pub fn named_run(conn: &rusqlite::Connection, prefix: &str) -> Result<RunRow, Error> {
    queries::find_run(conn, prefix).map_err(Error::usage)?.ok_or_else(|| {
        Error::usage(format!("no run {prefix:?} in the journal")).with_hint("`wan history` lists the runs")
    })
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
        "{:<12}  {:<16}  {:<8}  {:<26}  {:<PROMPT_WIDTH$}  {:>9}  {:>9}  {}",
        "RUN", "STARTED", "COMMAND", "MODEL", "PROMPT", "IMAGES", "COST", "STATE"
    ))?;
    for run in &runs {
        out.line(&format!(
            "{:<12}  {:<16}  {:<8}  {:<26}  {}  {:>9}  {:>9}  {}",
            run.id,
            crate::journal::when::local_minute(&run.started),
            run.command,
            model_text(run),
            prompt_text(run),
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

/// The width of the PROMPT column: a prompt is cut to fit it, `(+N more)` kept.
const PROMPT_WIDTH: usize = 32;

/// What a person knows a run by: its (first) prompt, on one line and cut to fit, and how
/// many more a batch had: `owl at night (+1,999 more)`.
fn prompt_text(run: &RunRow) -> String {
    let more = match run.prompts.saturating_sub(1) {
        0 => String::new(),
        n => format!(" (+{} more)", thousands(n)),
    };
    let first = run.first_prompt.as_deref().map(clean).unwrap_or_default();
    let first: String = first.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect();
    let room = PROMPT_WIDTH.saturating_sub(more.chars().count()).max(8);
    let first = match first.char_indices().nth(room) {
        Some(_) => format!("{}…", first.chars().take(room - 1).collect::<String>()),
        None => first,
    };
    let text = format!("{first}{more}");
    let pad = PROMPT_WIDTH.saturating_sub(text.chars().count());
    format!("{text}{}", " ".repeat(pad))
}

/// The state as `history` says it: a video run whose task still runs at the service is
/// `running` (not `partial`: `wan video wait` or `wan resume` saves its clip), and a run
/// that ended with nothing saved and nothing billed (every request refused, or failed at
/// the service, none of unknown outcome) is `failed`, not `partial`.
fn state_of(run: &RunRow) -> &str {
    let ended = matches!(run.state.as_str(), "partial" | "interrupted");
    if run.command == "video" && run.tasks_running > 0 && ended {
        return "running";
    }
    let nothing_billed = run.returned == 0 && run.unanswered == 0 && run.saved == 0 && !run.incomplete;
    if run.state == "partial" && nothing_billed && run.answered == 0 && run.tasks_running == 0 {
        return "failed";
    }
    &run.state
}

/// The state, and where the journal failed under the run, that its record is incomplete
/// (it may have sent and spent more than the columns count).
pub fn state_text(run: &RunRow) -> String {
    let state = match state_of(run) {
        "failed" => "failed, nothing billed",
        "running" if run.command == "video" && run.state != "running" => "running at the service",
        state => state,
    };
    match run.incomplete {
        true => format!("{state} (record incomplete)"),
        false => state.to_string(),
    }
}

/// Images (and clips still being made) whose price is not known.
fn unpriced(run: &RunRow) -> u64 {
    run.unpriced + run.tasks_unpriced
}

/// Images asked for: of each prompt, of each model.
fn asked(run: &RunRow) -> u64 {
    run.prompts.saturating_mul(u64::from(run.count)).saturating_mul(run.model_names().len() as u64)
}

/// The model, or a matrix's first and how many more: `wan2.7-image (+2 more)`.
fn model_text(run: &RunRow) -> String {
    match run.model_names().as_slice() {
        [first, rest @ ..] if !rest.is_empty() => format!("{first} (+{} more)", rest.len()),
        _ => run.model.clone(),
    }
}

/// The run's cost, marked `*` where every answer said what it was charged (the rest
/// are at list price; see the line under the table); `offline` for a run that went to the
/// emulator inside `wan` and was billed nothing.
fn cost_text(run: &RunRow) -> String {
    if run.offline {
        return "offline".to_string();
    }
    let mark = if run.cost_source() == "charged" { "*" } else { "" };
    match (unpriced(run), run.cost) {
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
        "models": run.model_names(),
        "prompt": run.first_prompt,
        "prompts": run.prompts,
        "shard": run.shard.map(|shard| shard.to_string()),
        "saved": run.saved,
        "asked": asked(run),
        "returned": run.returned,
        "cost": match run.offline {
            true => Some(0.0),
            false => (unpriced(run) == 0).then(|| to_usd(run.cost)),
        },
        "cost_source": if run.offline { "offline" } else { run.cost_source() },
        "offline": run.offline,
        "cost_known": to_usd(run.cost),
        "unpriced_images": unpriced(run),
        "currency": "USD",
        "state": state_of(run),
        "record": if run.incomplete { "incomplete" } else { "complete" },
        "out_dir": run.out_dir,
    })
}

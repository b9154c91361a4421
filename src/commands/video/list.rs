//! `wan video list`: the video tasks the journal knows, newest first.

use serde_json::json;

use crate::config::env::Env;
use crate::error::{Error, clean};
use crate::journal;
use crate::journal::video as records;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::video::short_id;

/// `wan video list`: the journal's tasks, newest first, with their last known state.
pub fn run(env: &Env, json: bool, limit: u64) -> Result<Outcome, Error> {
    let rows = match env.state_dir.as_ref() {
        Some(dir) => match journal::open_to_read(dir)? {
            Some(conn) if records::has_tasks_table(&conn) => records::tasks(&conn, limit)?,
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut stdout = Stdout::default();
    if json {
        for row in &rows {
            let value = json!({
                "id": row.id,
                "run": row.run_id,
                "created": row.created,
                "updated": row.updated,
                "model": row.model,
                "prompt": row.prompt,
                "route": row.route.name(),
                "state": row.state,
                "status": row.status,
                "progress": row.progress,
                "path": row.path,
                "url": row.url,
                "cost": {"total": row.price.map(crate::catalogue::money::to_usd), "currency": "USD",
                         "source": if row.price.is_some() { "reported" } else { "unknown" }},
                "error": row.error,
            });
            stdout.line(&value.to_string())?;
        }
        return Ok(Outcome::Success);
    }
    if rows.is_empty() {
        eprintln!("wan: no video tasks in the journal yet (`wan video create` starts one)");
        return Ok(Outcome::Success);
    }
    stdout
        .line(&format!("{:<28}  {:<16}  {:<18}  {:<10}  {}", "TASK", "CREATED", "MODEL", "STATE", "PROMPT / FILE"))?;
    for row in &rows {
        let when = crate::journal::when::local_minute(&row.created);
        let state = match (row.state.as_str(), row.status.as_deref()) {
            ("running", Some(status)) => clean(status),
            (state, _) => state.to_string(),
        };
        let what = match (&row.path, &row.prompt) {
            (Some(path), _) if row.state == "saved" => path.clone(),
            (_, Some(prompt)) => shortened(prompt),
            _ => String::new(),
        };
        stdout.line(&format!(
            "{:<28}  {:<16}  {:<18}  {:<10}  {what}",
            short_id(&row.id),
            when,
            row.model.as_deref().unwrap_or("-"),
            state
        ))?;
    }
    Ok(Outcome::Success)
}

fn shortened(prompt: &str) -> String {
    let one_line: String = clean(prompt).chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match one_line.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

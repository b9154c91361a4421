//! `wan video wait`, `status` and `list`: tasks taken up by id (from the journal, or looked
//! up on both routes), one look at them, and what the journal knows of them.

use std::path::PathBuf;

use rusqlite::Connection;
use serde_json::json;

use crate::cli::video::{StatusArgs, WaitArgs};
use crate::error::{Error, Kind, clean};
use crate::files::output::{self, OutputDir};
use crate::image::settings::Env;
use crate::journal::video::{self as records, NewTask, TaskRow};
use crate::journal::{self, JournalError};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::ui::{Display, Ui};
use crate::video::client::{Client, LookFailed};
use crate::video::follow::{self, Tracked};
use crate::video::report::{self, Ended, Printer};
use crate::video::route::RouteKind;
use crate::video::settings::{self, Follow, Service, check_task_id};
use crate::video::task::State;
use crate::video::{Ctx, short_id};

/// The journal to read, if there is one with the video tables.
fn read_journal(state_dir: Option<&PathBuf>) -> Option<Connection> {
    let conn = journal::open_to_read(state_dir?).ok()??;
    records::has_tasks_table(&conn).then_some(conn)
}

fn recorded(conn: Option<&Connection>, id: &str) -> Option<TaskRow> {
    conn.and_then(|conn| records::task(conn, id).ok().flatten())
}

/// `wan video wait TASK...`: follows each task to its end, all at once, and saves their
/// videos into the folder the journal recorded (unless `-o`), with its stem (unless `--name`).
pub fn wait(args: WaitArgs, env: &Env) -> Result<Outcome, Error> {
    for id in &args.tasks {
        check_task_id(id)?;
    }
    let (service, follow) = settings::following(&args.service, &args.wait, env)?;
    let ui = Ui::new(Display { verbose: service.verbose, ..follow.display }, 1);
    let http = crate::api::http_client()?;
    let journal = crate::video::journal(&follow, &ui);
    let ctx =
        Ctx { http: &http, client: Client::new(&http, &service, &ui), follow: &follow, ui: &ui, journal: &journal };
    let printer = Printer::new(&ui, follow.json);
    let conn = read_journal(follow.state_dir.as_ref());
    let mut ended = Vec::new();
    let mut to_follow = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in args.tasks.iter().filter(|id| seen.insert(id.to_string())) {
        match taken_up(&ctx, &service, conn.as_ref(), id) {
            TakenUp::Follow(tracked) => to_follow.push(tracked),
            TakenUp::Done(done) => {
                printer.ended(&done)?;
                ended.push(done);
            }
        }
    }
    drop(conn);
    let followed: Vec<Ended> = std::thread::scope(|scope| {
        let handles: Vec<_> = to_follow
            .into_iter()
            .map(|tracked| {
                let (ctx, printer) = (&ctx, &printer);
                scope.spawn(move || {
                    let done = follow::follow(ctx, tracked);
                    // stdout closed is no failure; the video is saved all the same
                    let _ = printer.ended(&done);
                    done
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    ended.extend(followed);
    let folder = folder_of(&ended);
    if ended.iter().any(|e| e.state == "saved") {
        ui.summary(&report::summary(&ended, &folder));
    }
    Ok(report::outcome(&ended))
}

/// The one folder the saved videos are in, as printed (`out/`, `./`), or "their folders".
fn folder_of(ended: &[Ended]) -> String {
    let mut folders: Vec<String> = ended
        .iter()
        .filter_map(|e| e.path.as_ref())
        .map(|path| match path.parent().map(|p| p.display().to_string()) {
            Some(dir) if !dir.is_empty() => format!("{}/", dir.trim_end_matches('/')),
            _ => "./".to_string(),
        })
        .collect();
    folders.sort();
    folders.dedup();
    match folders.as_slice() {
        [one] => one.clone(),
        _ => "their folders".to_string(),
    }
}

enum TakenUp {
    Follow(Tracked),
    /// Nothing to follow: saved before, or over at the service as the journal says.
    Done(Ended),
}

/// Where a task stands before following it: the journal's record, or a lookup on both
/// routes for an id it does not know (then recorded, so that a crash loses it no more).
fn taken_up(ctx: &Ctx, service: &Service, conn: Option<&Connection>, id: &str) -> TakenUp {
    let follow = ctx.follow;
    let row = recorded(conn, id);
    if let Some(row) = &row {
        let done = Ended { reported: row.price, url: row.url.clone(), ..Ended::new(id, row.model.clone()) };
        match row.state.as_str() {
            "saved" if row.path.as_deref().is_some_and(|p| std::path::Path::new(p).exists()) => {
                let path = row.path.clone().map(PathBuf::from);
                ctx.ui.note(&format!("video task {id} was saved before"));
                return TakenUp::Done(Ended { state: "saved", path, ..done });
            }
            "failed" | "cancelled" => {
                let state = if row.state == "failed" { "failed" } else { "cancelled" };
                let message = row.error.clone().unwrap_or_else(|| format!("video task {id} {state} at the service"));
                return TakenUp::Done(done.failed(state, Error::new(Kind::Rejected, clean(&message))));
            }
            _ => {}
        }
    }
    let (route, first) = match &row {
        Some(row) => (RouteKind::parse(&row.route), None),
        None => match ctx.client.lookup(id) {
            Ok((route, look)) => (route, Some(look)),
            Err(error) => return TakenUp::Done(Ended::new(id, None).failed("unknown", error)),
        },
    };
    let out = match (follow.out_given, row.as_ref().and_then(|r| r.out_dir.clone())) {
        (false, Some(recorded)) => Some(PathBuf::from(recorded)),
        _ => follow.out.clone(),
    };
    if let Err(error) = OutputDir::new(out.clone()).create() {
        return TakenUp::Done(Ended::new(id, row.and_then(|r| r.model)).failed("running", error));
    }
    let prompt = row.as_ref().and_then(|r| r.prompt.clone());
    let stem = follow
        .name
        .clone()
        .or_else(|| row.as_ref().and_then(|r| r.stem.clone()))
        .or_else(|| prompt.as_deref().map(output::slug))
        .unwrap_or_else(|| "video".to_string());
    if row.is_none() {
        let absolute = OutputDir::new(out.clone()).absolute().display().to_string();
        ctx.journal.write(ctx.ui, |j| {
            j.video_task_created(NewTask {
                id: id.to_string(),
                route: route.name(),
                base_url: service.base.to_string(),
                out_dir: Some(absolute),
                stem: Some(stem.clone()),
                status: first.as_ref().map(|l| l.task.status.clone()),
                price: first.as_ref().and_then(|l| l.price),
                ..NewTask::default()
            })
        });
    }
    let price = first.as_ref().and_then(|l| l.price).or(row.as_ref().and_then(|r| r.price));
    TakenUp::Follow(Tracked {
        id: id.to_string(),
        route,
        model: row.as_ref().and_then(|r| r.model.clone()),
        out,
        stem,
        run_id: row.and_then(|r| r.run_id),
        first: first.map(|l| l.task),
        price,
    })
}

/// `wan video status TASK...`: one look at each; nothing saved. Exit 0 whatever the
/// states, 4 when the service knows a task not.
pub fn status(args: StatusArgs, env: &Env) -> Result<Outcome, Error> {
    for id in &args.tasks {
        check_task_id(id)?;
    }
    let wait = crate::cli::video::WaitOptions {
        out: None,
        name: None,
        poll: 5,
        wait_timeout: 1,
        download_timeout: None,
        json: args.json,
        quiet: false,
        no_journal: true,
    };
    let (service, follow): (Service, Follow) = settings::following(&args.service, &wait, env)?;
    let ui = Ui::new(Display { verbose: service.verbose, progress: false, ..follow.display }, 0);
    let http = crate::api::http_client()?;
    let client = Client::new(&http, &service, &ui);
    let conn = read_journal(follow.state_dir.as_ref());
    let mut stdout = Stdout::default();
    let mut worst = Outcome::Success;
    for id in &args.tasks {
        let row = recorded(conn.as_ref(), id);
        let looked = match &row {
            Some(row) => {
                let route = RouteKind::parse(&row.route);
                client.look_patiently(route, id).map(|look| (route, look)).map_err(|failed| match failed {
                    LookFailed::NotFound { error, .. } => crate::video::client::not_known(id, Some(error)),
                    other => other.into_error(),
                })
            }
            None => client.lookup(id),
        };
        let (route, look) = match looked {
            Ok(found) => found,
            Err(error) => {
                ui.error(&error);
                if args.json {
                    stdout.line(&Ended::new(id, None).failed("unknown", error.clone()).to_json().to_string())?;
                }
                if worst == Outcome::Success {
                    worst = Outcome::Failed(error.kind);
                }
                continue;
            }
        };
        let task = look.task;
        if task.state == State::Unknown {
            let error = crate::video::client::not_known(id, None);
            ui.error(&error);
            worst = Outcome::Failed(Kind::Rejected);
            continue;
        }
        let model = row.as_ref().and_then(|r| r.model.clone());
        let path = row.as_ref().filter(|r| r.state == "saved").and_then(|r| r.path.clone());
        if args.json {
            let mut value = Ended {
                state: task.state.name(),
                url: task.url.clone(),
                reported: look.price.or(row.as_ref().and_then(|r| r.price)),
                path: path.clone().map(PathBuf::from),
                ..Ended::new(id, model)
            }
            .to_json();
            value["status"] = json!(task.status);
            value["progress"] = json!(task.progress);
            value["route"] = json!(route.name());
            value["error"] = match (&task.code, &task.message) {
                (None, None) => serde_json::Value::Null,
                (code, message) => json!({"code": code, "message": message}),
            };
            stdout.line(&value.to_string())?;
        } else {
            let mut line = format!("{id}  {}", clean(&task.status));
            if let Some(progress) = &task.progress {
                line.push_str(&format!("  {}", clean(progress)));
            }
            if let Some(code) = task.code.as_deref().or(task.message.as_deref()) {
                let message = task.message.as_deref().filter(|m| Some(*m) != task.code.as_deref());
                line.push_str(&format!(
                    "  {}{}",
                    clean(code),
                    message.map(|m| format!(": {}", clean(m))).unwrap_or_default()
                ));
            }
            match (&path, &task.url) {
                (Some(path), _) => line.push_str(&format!("  saved at {path}")),
                (None, Some(url)) => line.push_str(&format!("  {}", clean(url))),
                (None, None) => {}
            }
            stdout.line(&line)?;
        }
    }
    Ok(worst)
}

/// `wan video list`: the journal's tasks, newest first, with their last known state.
pub fn list(env: &Env, json: bool, limit: u64) -> Result<Outcome, Error> {
    let journal_error = |e: JournalError| Error::new(Kind::Other, format!("cannot read the journal: {e}"));
    let rows = match env.state_dir.as_ref() {
        Some(dir) => match journal::open_to_read(dir).map_err(journal_error)? {
            Some(conn) if records::has_tasks_table(&conn) => records::tasks(&conn, limit).map_err(journal_error)?,
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
                "route": row.route,
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

//! `wan video wait`, `status` and `list`: tasks taken up by id (from the journal, or looked
//! up on both routes), one look at them, and what the journal knows of them.

use std::path::PathBuf;

use rusqlite::Connection;

use super::settings;
use crate::cli::video::WaitArgs;
use crate::config::env::Env;
use crate::error::{Error, Kind, clean};
use crate::files::output::{self, OutputDir};
use crate::journal::video::NewTask;
use crate::outcome::Outcome;
use crate::term::ui::{Display, Ui};
use crate::video::Ctx;
use crate::video::client::Client;
use crate::video::follow::{self, Tracked};
use crate::video::recorded::{read_journal, recorded};
use crate::video::report::{self, Ended, Printer};
use crate::video::settings::{Service, check_task_id, same_base};

/// `wan video wait TASK...`: follows each task to its end, all at once, and saves their
/// videos into the folder the journal recorded (unless `-o`), with its stem (unless `--name`).
pub fn run(args: WaitArgs, env: &Env) -> Result<Outcome, Error> {
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
    // A video saved before is printed, not counted: the summary is of what this command saved.
    if let Some(summary) = report::summary(&ended, &folder) {
        ui.summary(&summary);
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
                return TakenUp::Done(Ended { state: "saved", path, before: true, ..done });
            }
            "failed" | "cancelled" => {
                let state = if row.state == "failed" { "failed" } else { "cancelled" };
                let message = row.error.clone().unwrap_or_else(|| format!("video task {id} {state} at the service"));
                return TakenUp::Done(done.failed(state, Error::new(Kind::Rejected, clean(&message))));
            }
            _ => {}
        }
    }
    // A task is followed where it was made, unless --base-url says otherwise; an id the
    // journal does not know is looked up (and recorded) at the base URL in force.
    let (base, made_at) = match &row {
        Some(row) => {
            let base = service.base_for(&row.base_url);
            let elsewhere = !same_base(base.as_str(), &row.base_url);
            (base, elsewhere.then(|| row.base_url.clone()))
        }
        None => (service.base.clone(), None),
    };
    let (route, first) = match &row {
        Some(row) => (row.route, None),
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
                route,
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
        base,
        made_at,
        route,
        model: row.as_ref().and_then(|r| r.model.clone()),
        out,
        stem,
        run_id: row.and_then(|r| r.run_id),
        first: first.map(|l| l.task),
        price,
    })
}

//! `wan resume` of a `wan video create` run: its unfinished task followed and its clip
//! saved where the run would have saved it; a create sent and never answered is not sent
//! again (a task may exist, and be billed).

use std::path::PathBuf;
use std::time::Duration;

use super::Ctx;
use super::client::Client;
use super::follow::{self, Tracked};
use super::report::{self, Ended, Printer};
use super::settings::{Follow, Service, same_base};
use crate::config::env::Env;
use crate::error::{Error, Kind, clean};
use crate::files::output;
use crate::journal::queries::{self, RunRow};
use crate::journal::{self, video as records};
use crate::outcome::Outcome;
use crate::term::ui::{Display, Ui};

/// Polls at the contract's default pace, and waits as long as `wan video create` does.
const POLL: Duration = Duration::from_secs(5);
const WAIT: Duration = Duration::from_secs(1800);

/// What `wan resume` was asked, as a video run reads it.
#[derive(Debug)]
pub struct Options {
    pub dry_run: bool,
    pub json: bool,
    pub display: Display,
    pub timeout: Duration,
    pub retries: u32,
    pub download_timeout: Duration,
    /// `--base-url`, over the one each task recorded (AISA_BASE_URL is for new work).
    pub base_url: Option<String>,
}

/// Whether a resume of this video run has anything to do: a task to follow, or a create
/// of unknown outcome to say (it is never sent again) that no resume has said yet. A run
/// whose task ended, or that never asked for one, has nothing.
pub fn has_work(conn: &rusqlite::Connection, run: &RunRow) -> Result<bool, Error> {
    let tasks = records::tasks_of_run(conn, &run.id)?;
    if !tasks.is_empty() {
        return Ok(tasks.iter().any(|t| !t.is_over()));
    }
    let requests = queries::requests(conn, &run.id)?;
    Ok(requests.iter().any(|r| matches!(r.state.as_str(), "sent" | "unknown") && !r.reported))
}

pub fn resume(run: &RunRow, args: &Options, env: &Env) -> Result<Outcome, Error> {
    let dir = env.state_dir.clone().ok_or_else(|| Error::new(Kind::Other, "no state folder"))?;
    let conn = journal::open(&dir)?;
    let tasks = records::tasks_of_run(&conn, &run.id)?;
    let requests = queries::requests(&conn, &run.id)?;
    let open: Vec<_> = tasks.iter().filter(|t| !t.is_over()).cloned().collect();
    let unanswered = requests.iter().find(|r| matches!(r.state.as_str(), "sent" | "unknown"));
    if open.is_empty()
        && tasks.is_empty()
        && let Some(request) = unanswered.filter(|r| !r.reported && !args.dry_run)
    {
        // Said below: the next bare `wan resume` passes the run by for it.
        let _ = journal::requests_reported(&conn, &[request.id]);
    }
    drop(conn);
    if open.is_empty() {
        return Ok(match (tasks.is_empty(), unanswered) {
            (true, Some(request)) => {
                eprintln!(
                    "wan: run {}: its video task was asked for (request id {}) and no answer came: a task may have \
                     been created and billed; not asked for again (`wan video create` makes another)",
                    run.id,
                    request.request_id.as_deref().unwrap_or("unknown")
                );
                Outcome::Failed(Kind::Partial)
            }
            (true, None) if requests.is_empty() => {
                eprintln!(
                    "wan: run {}: its video task was never asked for, so nothing was billed; \
                     `wan video create` makes the video",
                    run.id
                );
                Outcome::Success
            }
            _ => {
                eprintln!("wan: run {}: nothing left to do", run.id);
                Outcome::Success
            }
        });
    }
    // A task is followed at the service that made it: `--base-url` moves it, but not
    // AISA_BASE_URL or the config file, which say where new work goes (another host's 404
    // would say nothing of the task).
    // Offline (a run made offline), the emulator inside this `wan` took its tasks up.
    let given = match args.base_url.clone().or_else(|| env.base_url.clone().filter(|_| env.offline)) {
        Some(given) => Some(crate::config::api_key::base_url_for_command(Some(given), env)?),
        None => None,
    };
    let base = match &given {
        Some(given) => given.clone(),
        None => crate::config::base_url::base_url(&run.base_url)?,
    };
    let mut service = Service {
        base,
        base_given: given.is_some(),
        key: None,
        timeout: args.timeout,
        retries: args.retries,
        verbose: args.display.verbose,
    };
    if args.dry_run {
        for task in &open {
            let url = task.route.adapter().poll_url(&service.base_for(&task.base_url), &task.id);
            println!("would follow video task {} of run {} (no new cost) at GET {}", task.id, run.id, clean(&url));
        }
        return Ok(Outcome::Success);
    }
    service.key = Some(crate::config::api_key::for_command(env)?);
    let service = service;
    let display = args.display;
    let follow = Follow {
        out: None,
        out_given: false,
        name: None,
        poll: POLL,
        wait_timeout: WAIT,
        download_timeout: args.download_timeout,
        json: args.json,
        display,
        state_dir: Some(dir),
        journal: true,
    };
    let ui = Ui::new(display, 1);
    let http = crate::api::http_client()?;
    let journal = super::journal(&follow, &ui);
    journal.write(&ui, |j| j.run_resumed(&run.id));
    let ctx =
        Ctx { http: &http, client: Client::new(&http, &service, &ui), follow: &follow, ui: &ui, journal: &journal };
    let printer = Printer::new(&ui, follow.json);
    let ended: Vec<Ended> = std::thread::scope(|scope| {
        let handles: Vec<_> = open
            .into_iter()
            .map(|task| {
                let (ctx, printer) = (&ctx, &printer);
                let stem = task.stem.clone().unwrap_or_else(|| output::slug(task.prompt.as_deref().unwrap_or("video")));
                let base = ctx.client.service.base_for(&task.base_url);
                let elsewhere = !same_base(base.as_str(), &task.base_url);
                let tracked = Tracked {
                    id: task.id.clone(),
                    base,
                    made_at: elsewhere.then(|| task.base_url.clone()),
                    route: task.route,
                    model: task.model.clone(),
                    out: Some(PathBuf::from(task.out_dir.clone().unwrap_or_else(|| run.out_dir.clone()))),
                    stem,
                    run_id: Some(run.id.clone()),
                    first: None,
                    price: task.price,
                };
                scope.spawn(move || {
                    let done = follow::follow(ctx, tracked);
                    let _ = printer.ended(&done);
                    done
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    if !ended.iter().all(|e| e.state == "saved") {
        journal.write(&ui, |j| j.run_ended(&run.id, "partial"));
    }
    if let Some(summary) = report::summary(&ended, &format!("{}/", run.out_dir.trim_end_matches('/'))) {
        ui.summary(&summary);
    }
    Ok(report::outcome(&ended))
}

//! `wan video status TASK...`: one look at each task; nothing is saved.

use std::path::PathBuf;

use serde_json::json;

use super::settings;
use crate::catalogue::money::Micros;
use crate::cli::video::StatusArgs;
use crate::config::env::Env;
use crate::error::{Error, Kind, clean};
use crate::journal::recorder::Recorder;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::ui::{Display, Ui};
use crate::video::client::{Client, LookFailed};
use crate::video::recorded::{read_journal, recorded};
use crate::video::report::Ended;
use crate::video::settings::{Follow, Service, check_task_id, same_base};
use crate::video::task::{State, Task};

/// `wan video status TASK...`: one look at each; nothing saved. Exit 0 whatever the
/// states, 4 when the service knows a task not.
pub fn run(args: StatusArgs, env: &Env) -> Result<Outcome, Error> {
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
        no_journal: false,
    };
    let (service, follow): (Service, Follow) = settings::following(&args.service, &wait, env)?;
    let ui = Ui::new(Display { verbose: service.verbose, progress: false, ..follow.display }, 0);
    let http = crate::api::http_client()?;
    let client = Client::new(&http, &service, &ui);
    let conn = read_journal(follow.state_dir.as_ref());
    // What a look finds is written to the journal, so that `wan video list` says it too;
    // only of tasks the journal knows, and a journal that fails is one warning.
    let journal = match conn.is_some() {
        true => crate::video::journal(&follow, &ui),
        false => Recorder::default(),
    };
    let mut stdout = Stdout::default();
    let mut worst = Outcome::Success;
    for id in &args.tasks {
        let row = recorded(conn.as_ref(), id);
        // Looked at where it was made, unless --base-url says otherwise.
        let made_here =
            row.as_ref().is_none_or(|row| same_base(service.base_for(&row.base_url).as_str(), &row.base_url));
        let looked = match &row {
            Some(row) => {
                let (route, base) = (row.route, service.base_for(&row.base_url));
                client.look_patiently(&base, route, id).map(|look| (route, look)).map_err(|failed| match failed {
                    LookFailed::NotFound { error, .. } => crate::video::client::not_known(id, Some(error)),
                    other => other.into_error(),
                })
            }
            None => client.lookup(id),
        };
        if let (Some(_), Ok((_, look))) = (&row, &looked) {
            record(&journal, &ui, id, &look.task, look.price, made_here);
        }
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
    // The looks are on disk before the command ends.
    journal.write(&ui, |j| Ok(j.flush_within(std::time::Duration::from_secs(10))));
    Ok(worst)
}

/// What one look found, in the journal: the state and progress of a running task, the
/// link of a finished one (then `wan resume` and `wan video wait` fetch it), the end of
/// one that failed. That the service knows the task no more closes it only where it was
/// made: another host's word says nothing of it.
fn record(journal: &Recorder, ui: &Ui, id: &str, task: &Task, price: Option<Micros>, made_here: bool) {
    let status = task.status.clone();
    match task.state {
        State::Running => {
            journal.write(ui, |j| {
                j.video_task_seen(id, status, task.progress.clone());
                Ok(())
            });
        }
        State::Completed => {
            if let Some(url) = &task.url {
                journal.write(ui, |j| j.video_clip_ready(id, url.clone(), price));
            }
        }
        State::Failed | State::Cancelled => {
            let state = task.state.name();
            let said = [task.code.as_deref(), task.message.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            let message = format!("video task {id} {state} at the service: {}", said.join(": "));
            journal.write(ui, |j| {
                j.video_ended(id, state, Some(status), message);
                Ok(())
            });
        }
        State::Unknown if made_here => {
            let message = crate::video::client::not_known(id, None).to_string();
            journal.write(ui, |j| {
                j.video_ended(id, "unknown", Some(status), message);
                Ok(())
            });
        }
        State::Unknown => {}
    }
}

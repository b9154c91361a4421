//! `wan video create`: the run recorded, the create sent once, the task id on disk before
//! anything else happens; then `--no-wait` prints it, or `wan` follows the task and saves
//! the clip.

use std::io::Read;

use serde_json::{Value, json};

use super::settings;
use crate::api::request::abbreviated;
use crate::catalogue::video;
use crate::cli::video::CreateArgs;
use crate::config::env::Env;
use crate::error::{Error, Tag};
use crate::files::output::OutputDir;
use crate::journal::video::NewTask;
use crate::journal::video::RouteKind;
use crate::journal::{Ended as RequestEnded, PromptsRecord, RunRecord};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::ui::{Display, Ui};
use crate::video::Ctx;
use crate::video::client::Client;
use crate::video::follow::{self, Tracked};
use crate::video::report::{self, Ended, Printer};
use crate::video::settings::Create;

pub fn run(args: CreateArgs, env: &Env, stdin: &mut dyn Read) -> Result<Outcome, Error> {
    let settings = settings::create(args, env, stdin)?;
    let display = Display { verbose: settings.service.verbose, ..settings.follow.display };
    let ui = Ui::new(display, 1);
    if settings.dry_run {
        return dry_run(&settings, &ui);
    }
    let follow = &settings.follow;
    // Made and found writable before anything is sent: a clip paid for must have a place.
    let out = OutputDir::new(follow.out.clone());
    out.create()?;
    let http = crate::api::http_client()?;
    let journal = crate::video::journal(follow, &ui).begin_run(run_record(&settings, &out), &ui);
    let run_id = journal.run_id().map(str::to_string);
    let request =
        run_id.as_deref().and_then(|run| journal.write(&ui, |j| j.request_sent(run, 0, 0, 1, &settings.model)));
    let client = Client::new(&http, &settings.service, &ui);
    let end_run = |state| journal.end_run(&ui, state);
    // Derived from the run (a process's own without a journal): sent again, the same.
    let run_key = journal.attempted().map_or_else(crate::journal::new_run_id, str::to_string);
    let key = crate::journal::idempotency_key(&run_key, 0, 0);
    let created = match client.create(&settings.job(Some(&key))) {
        Ok(created) => created,
        Err(error) => {
            if let Some(row) = request {
                let ended = if error.tag == Tag::MaybeBilled { RequestEnded::Unknown } else { RequestEnded::Failed };
                let api = &error.api;
                let code = api.code.as_ref().map(|c| c.as_str().to_string());
                journal.write(&ui, |j| {
                    j.request_ended(row, ended, api.status, code, error.to_string(), api.request_id.clone());
                    Ok(())
                });
            }
            end_run("partial");
            if follow.json {
                // A script reading `--json` still gets its one line, with no task in it.
                let line = json!({"id": null, "model": settings.model, "state": "not created", "path": null,
                                  "url": null, "cost": {"total": null, "currency": "USD", "source": "unknown"},
                                  "error": error.to_json()});
                Stdout::default().line(&line.to_string())?;
            }
            return Err(error);
        }
    };
    let id = created.task.id.clone();
    let stem = settings.stem();
    // Before the first look: from now on a crash loses nothing that `wan video wait` cannot find.
    journal.write(&ui, |j| {
        j.video_task_created(NewTask {
            id: id.clone(),
            run_id: run_id.clone(),
            request,
            request_id: created.request_id.clone(),
            route: created.route,
            base_url: settings.service.base.to_string(),
            model: Some(settings.model.clone()),
            prompt: Some(settings.prompt.clone()),
            out_dir: Some(out.absolute().display().to_string()),
            stem: Some(stem.clone()),
            status: Some(created.task.status.clone()),
            price: created.price,
        })
    });
    let printer = Printer::new(&ui, follow.json);
    if settings.no_wait {
        let ended = Ended {
            state: created.task.state.name(),
            reported: created.price,
            ..Ended::new(&id, Some(settings.model.clone()))
        };
        printer.created(&ended)?;
        ui.note(&format!("video task {id} created; `wan video wait {id}` follows it and saves its video"));
        end_run("partial");
        return Ok(Outcome::Success);
    }
    ui.note(&format!(
        "video task {id} created ({}, {} route); waiting for it: Ctrl-C stops the waiting, not the task",
        settings.model,
        created.route.name()
    ));
    let ctx = Ctx { http: &http, client, follow, ui: &ui, journal: &journal };
    let tracked = Tracked {
        id,
        base: settings.service.base.clone(),
        made_at: None,
        route: created.route,
        model: Some(settings.model.clone()),
        out: follow.out.clone(),
        stem,
        run_id: run_id.clone(),
        first: Some(created.task),
        price: created.price,
    };
    let ended = follow::follow(&ctx, tracked);
    printer.ended(&ended)?;
    if ended.state != "saved" {
        end_run("partial");
    }
    let ended = [ended];
    if let Some(summary) = report::summary(&ended, &out.describe()) {
        ui.summary(&summary);
    }
    Ok(report::outcome(&ended))
}

/// The run as the journal keeps it: the media by where they came from and their
/// SHA-256, never their bytes.
fn run_record(settings: &Create, out: &OutputDir) -> RunRecord {
    let media: Vec<Value> = settings.media.iter().map(|m| json!({"type": m.kind.name(), "source": m.source})).collect();
    let extra = json!({
        "resolution": settings.resolution,
        "duration": settings.duration,
        "params": settings.params,
        "media": media,
    });
    RunRecord {
        command: "video",
        model: settings.model.clone(),
        route: "auto",
        base_url: settings.service.base.to_string(),
        out_dir: out.absolute().display().to_string(),
        stem: settings.follow.name.clone(),
        count: 1,
        per_request: 1,
        prompts: PromptsRecord::one(settings.prompt.clone()),
        extra: extra.to_string(),
        price: video::list_price(&settings.model),
        references: settings.media.iter().map(|m| (m.source.clone(), m.sha256.clone())).collect(),
        mask: None,
        offline: settings.offline,
        // Clips are saved as served: no label is written into them.
        metadata: false,
        prompt_in_file: false,
        models: None,
    }
}

/// The body that would be sent, and where; nothing is sent and no key is needed.
fn dry_run(settings: &Create, ui: &Ui) -> Result<Outcome, Error> {
    let route = RouteKind::Gateway.adapter();
    let url = route.create_url(&settings.service.base);
    ui.verbose(&format!("request 1 of 1: POST {url}"));
    let body = abbreviated(&route.create_body(&settings.job(None)));
    Stdout::default().line(&serde_json::to_string_pretty(&body).expect("JSON always serialises"))?;
    let cost = match video::list_price(&settings.model) {
        Some(price) => format!("{} a clip", crate::catalogue::money::format_usd(price)),
        None => "cost unknown (video prices are not in wan's catalogue)".to_string(),
    };
    ui.summary(&format!("dry run: would send 1 request to {url} · {} · {cost} · nothing was sent", settings.model));
    Ok(Outcome::Success)
}

//! One `generate` or `edit` run: workers take the planned requests in order, `--jobs`
//! at a time, send each, and hand its images to be saved; the printer hears of it all.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use crate::api::classify::stops_the_run;
use crate::error::Error;
use crate::error::Tag;
use crate::journal::Ended;
use crate::outcome::Outcome;
use crate::plan::{self, Planned};
use crate::printer::{Answered, Failed, Printer};
use crate::report::SavedImage;
use crate::save::{self, Batch};
use crate::session::Session;
use crate::settings::Settings;

/// What the workers tell the printer, in the order it happens.
pub enum Event {
    /// An image is on disk: its path can be printed now.
    Saved { prompt: usize, image: SavedImage },
    /// A request is over; every image it saved was reported before this.
    Finished { prompt: usize, result: Result<Answered, Failed> },
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let session = Session::start(settings)?;
    let plan = settings.plan();
    let per_prompt = plan.requests_per_prompt();
    let mut pending: Vec<u64> = vec![per_prompt; settings.prompts.len()];
    let mut printer = Printer::new(&session);
    let next = AtomicU64::new(0);
    // The failure that stopped the run, once one has: later requests are not sent.
    let stopped_by: Mutex<Option<Error>> = Mutex::new(None);
    let workers = usize::try_from(plan.len()).unwrap_or(usize::MAX).clamp(1, session.jobs);
    let (events, received) = mpsc::channel::<Event>();
    thread::scope(|scope| -> Result<(), Error> {
        for _ in 0..workers {
            let events = events.clone();
            let (session, plan, next, stopped_by) = (&session, &plan, &next, &stopped_by);
            scope.spawn(move || {
                while let Some(request) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let root = stopped_by.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let result = match root {
                        Some(root) => Err(Failed::NotSent(root)),
                        None => perform(session, request, &events).map_err(Failed::Sent),
                    };
                    if let Err(Failed::Sent(error)) = &result
                        && stops_the_run(error)
                    {
                        stopped_by.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| error.clone());
                    }
                    if events.send(Event::Finished { prompt: request.prompt, result }).is_err() {
                        break;
                    }
                }
            });
        }
        drop(events);
        for event in received {
            match event {
                Event::Saved { prompt, image } => printer.saved(prompt, image)?,
                Event::Finished { prompt, result } => {
                    printer.finished(prompt, result);
                    pending[prompt] -= 1;
                    if pending[prompt] == 0 {
                        printer.prompt_done(prompt)?;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(printer.close())
}

/// Sends one request and saves its images, in parallel, as soon as it is answered.
/// Sends one request and saves its images, in parallel, as soon as it is answered; each
/// step is in the journal before the next starts.
pub fn perform(session: &Session, request: Planned, events: &Sender<Event>) -> Result<Answered, Error> {
    let settings = session.settings;
    let prompt_text = &settings.prompts[request.prompt];
    let prompt = (settings.prompts.len() > 1).then_some(prompt_text.as_str());
    let mut task = session.ui.task(prompt, &settings.model, request.n);
    let ui = &session.ui;
    let row =
        session.journal.write(ui, |journal, run| journal.request_sent(run, request.prompt, request.chunk, request.n));
    let mut answer = match session.with_api(|api| api.generate(&plan::job(settings, request))) {
        Ok(answer) => answer,
        Err(error) => {
            if let Some(row) = row {
                record_failure(session, row, &error);
            }
            return Err(error);
        }
    };
    let images = std::mem::take(&mut answer.images);
    let sources = images.iter().map(|image| image.url().unwrap_or("base64").to_string()).collect();
    let rows = row.and_then(|row| {
        let (id, price) = (answer.request_id.clone(), answer.reported_price);
        session.journal.write(ui, |journal, _| journal.request_answered(row, id, price, sources))
    });
    let returned = images.len() as u64;
    task.downloading(images.len());
    let on_saved = |image| {
        // The printer outlives the workers; a send can only fail once it has stopped.
        let _ = events.send(Event::Saved { prompt: request.prompt, image });
    };
    let stem = settings.stem_for(prompt_text);
    let batch = Batch { stem: &stem, prompt: prompt_text, request_id: answer.request_id.as_deref(), rows };
    let unsaved = save::save_all(session, &batch, images, &task, &on_saved);
    Ok(Answered { answer, returned, unsaved })
}

/// A request that brought no images: failed, or (no answer after it was sent) unknown.
fn record_failure(session: &Session, row: i64, error: &Error) {
    let ended = if error.tag == Tag::MaybeBilled { Ended::Unknown } else { Ended::Failed };
    let api = &error.api;
    let code = api.code.as_ref().map(|c| c.as_str().to_string());
    session.journal.write(&session.ui, |journal, _| {
        journal.request_ended(row, ended, api.status, code, error.to_string(), api.request_id.clone());
        Ok(())
    });
}

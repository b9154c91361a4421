//! One `generate` or `edit` run: workers take the planned requests in order, `--jobs`
//! at a time, send each, and hand its images to be saved; the printer hears of it all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::thread;

use crate::api::classify::{stops_the_model, stops_the_run};
use crate::catalogue::bill::Bill;
use crate::error::{Error, Tag};
use crate::image::printer::{Answered, Expected, Failed, Printer};
use crate::image::queue::{Dispatch, Prompt, Request, Requests};

use crate::image::save::{self, Batch, Landed};
use crate::image::session::Session;
use crate::image::settings::Settings;
use crate::journal::{Ended, idempotency_key};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::ui::Ui;

/// Events the printer may be behind by: past that, workers wait for it (a slow reader
/// of stdout) rather than pile up events for a batch of any length.
const EVENTS_WAITING: usize = 1024;

/// What the workers tell the printer, in the order it happens.
pub enum Event {
    /// A request's images were given their numbers, and each then saved or lost: its path
    /// is printed once the ones numbered before it are in.
    Landed { prompt: Prompt, landed: Landed },
    /// A request is over; every image it saved was reported before this.
    Finished { prompt: Prompt, result: Box<Result<Answered, Failed>> },
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    run_printing_to(settings, Stdout::default())
}

/// The same run, with what it would print on stdout written to `stdout` (a capture for
/// `wan mcp`, whose stdout carries the protocol).
pub fn run_printing_to(settings: &Settings, stdout: Stdout) -> Result<Outcome, Error> {
    if empty_shard(settings, &Ui::new(settings.display, 0)) {
        return Ok(Outcome::Success);
    }
    let session = Session::start(settings)?;
    let plan = settings.plan();
    let images = u64::from(settings.count);
    let each = plan.clone();
    let expected = move |_, model| Expected { images, requests: each.requests_of_model(model) };
    let printer = Printer::new(&session, expected).printing_to(stdout);
    send(&session, &plan, printer, |_| ())
}

/// A shard that holds none of the batch's prompts (more machines than prompts) has
/// nothing to do, which is no failure: says so, and `true`.
pub fn empty_shard(settings: &Settings, ui: &Ui) -> bool {
    let prompts = &settings.prompts;
    let Some(shard) = prompts.shard.filter(|_| prompts.is_empty()) else { return false };
    let total = prompts.total;
    ui.warn(&format!(
        "shard {shard} holds none of the {total} prompt{}; nothing to do",
        crate::term::text::plural(total)
    ));
    true
}

/// Sends `requests` (in the order of their prompts) through `--jobs` workers after
/// `first` has had the event channel (a resume's downloads go there first), and prints
/// as results come in.
pub fn send(
    session: &Session,
    requests: &dyn Requests,
    mut printer: Printer,
    first: impl FnOnce(&SyncSender<Event>) + Send,
) -> Result<Outcome, Error> {
    let dispatch = Dispatch::new(requests, &session.settings.prompts);
    crate::interrupt::run_at_work(requests.len() > 0);
    let first_done = AtomicBool::new(false);
    // The failures that stopped the run, or one of its models, once one has: later
    // requests they cover are not sent.
    let stopped_by: Mutex<Stopped> = Mutex::new(Stopped::default());
    let workers = usize::try_from(requests.len()).unwrap_or(usize::MAX).clamp(1, session.jobs);
    let working = std::sync::atomic::AtomicUsize::new(workers);
    // Bounded: when the printer is held up, the workers wait for it.
    let (events, received) = mpsc::sync_channel::<Event>(EVENTS_WAITING);
    thread::scope(|scope| -> Result<(), Error> {
        let (before, first_done) = (events.clone(), &first_done);
        scope.spawn(move || {
            first(&before);
            first_done.store(true, Ordering::Release);
        });
        for _ in 0..workers {
            let events = events.clone();
            let (dispatch, stopped_by, working) = (&dispatch, &stopped_by, &working);
            scope.spawn(move || {
                // A resume's downloads go first: the links they fetch are dying.
                while !first_done.load(Ordering::Acquire) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                while let Some(request) = dispatch.next() {
                    let model = request.planned.model;
                    let root = stopped_by.lock().unwrap_or_else(|p| p.into_inner()).of(model);
                    let prompt = request.prompt.clone();
                    let result = match root {
                        Some(root) => Err(Failed::NotSent(root)),
                        None => perform(session, request, &events).map_err(Failed::Sent),
                    };
                    if let Err(Failed::Sent(error)) = &result {
                        stopped_by.lock().unwrap_or_else(|p| p.into_inner()).note(model, error);
                    }
                    if events.send(Event::Finished { prompt, result: Box::new(result) }).is_err() {
                        break;
                    }
                }
                // The last worker out: every request was sent and its images are saved or
                // reported, so an interrupt now leaves `wan resume` nothing to do.
                if working.fetch_sub(1, Ordering::AcqRel) == 1 {
                    crate::interrupt::run_at_work(false);
                }
            });
        }
        drop(events);
        for event in received {
            match event {
                Event::Landed { prompt, landed } => printer.landed(&prompt, landed)?,
                Event::Finished { prompt, result } => printer.finished(&prompt, *result)?,
            }
        }
        Ok(())
    })?;
    let outcome = printer.close();
    // The prompts could not be read back from their temporary file: that is the outcome.
    match dispatch.failure() {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}

/// What stopped the run, or some of its models (an unknown model, in a matrix: the
/// others go on).
#[derive(Default)]
struct Stopped {
    run: Option<Error>,
    models: HashMap<usize, Error>,
}

impl Stopped {
    /// The failure that stops the requests of `model`, if one has.
    fn of(&self, model: usize) -> Option<Error> {
        self.run.clone().or_else(|| self.models.get(&model).cloned())
    }

    /// Notes a failure of a request of `model` that every later one would meet too.
    fn note(&mut self, model: usize, error: &Error) {
        if stops_the_run(error) {
            self.run.get_or_insert_with(|| error.clone());
        } else if stops_the_model(error) {
            self.models.entry(model).or_insert_with(|| error.clone());
        }
    }
}

/// Sends one request and saves its images, in parallel, as soon as it is answered; each
/// step is in the journal before the next starts.
fn perform(session: &Session, request: Request, events: &SyncSender<Event>) -> Result<Answered, Error> {
    let settings = session.settings;
    let Request { planned: request, prompt } = request;
    let prompt_text = &*prompt.text;
    let shown = settings.prompts.several().then_some(prompt_text);
    let model = &settings.models[request.model].model;
    let mut task = session.ui.task(shown, &model.name, request.n);
    let ui = &session.ui;
    // Derived from the run and the request's place in it: the same when it is sent again.
    let key = idempotency_key(&session.run_key, request.prompt, request.chunk);
    let (row, answer) = session.with_api(request.model, |api| {
        api.take_turn();
        let row = session.journal.write_run(ui, |journal, run| {
            journal.request_sent(run, request.prompt, request.chunk, request.n, &model.name)
        });
        (row, api.generate(&settings.job(request, prompt_text, Some(&key))))
    });
    let mut answer = match answer {
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
        // The journal counts a request's own price where it has one, else the images it
        // returned × the run's price per image; a model priced per request (Seedream 5.0),
        // and every model of a matrix (whose run has no one price), has its list price
        // recorded on each request for that.
        let listed = match settings.is_matrix() {
            true => Bill::estimate(model.row.price, images.len() as u64, 1).listed(),
            false => model.row.price.per_request(),
        };
        let (id, price) = (answer.request_id.clone(), answer.reported_price.or(listed));
        session.journal.write(ui, |journal| journal.request_answered(row, id, price, answer.charged, sources))
    });
    let returned = images.len() as u64;
    task.downloading(images.len());
    let on_saved = |image| {
        // The printer outlives the workers; a send can only fail once it has stopped.
        let _ = events.send(Event::Landed { prompt: prompt.clone(), landed: image });
    };
    let stem = settings.stem_for(prompt_text, request.model);
    let batch = Batch { stem: &stem, prompt: prompt_text, model: request.model, rows };
    let unsaved = save::save_all(session, &batch, images, &task, &on_saved);
    // Every image is saved or said not to be.
    let saved = returned.saturating_sub(unsaved.len() as u64);
    Ok(Answered { answer, returned, saved, unsaved })
}

/// A request that brought no images: failed, or (no answer after it was sent) unknown.
fn record_failure(session: &Session, row: i64, error: &Error) {
    let ended = if error.tag == Tag::MaybeBilled { Ended::Unknown } else { Ended::Failed };
    let api = &error.api;
    let code = api.code.as_ref().map(|c| c.as_str().to_string());
    session.journal.write(&session.ui, |journal| {
        journal.request_ended(row, ended, api.status, code, error.to_string(), api.request_id.clone());
        Ok(())
    });
}

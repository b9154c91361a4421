//! One `generate` or `edit` run: workers take the planned requests in order, `--jobs`
//! at a time, send each, and hand its images to be saved; the printer hears of it all.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use crate::api::classify::stops_the_run;
use crate::error::{Error, Tag};
use crate::journal::Ended;
use crate::outcome::Outcome;
use crate::plan::{self, Planned};
use crate::printer::{Answered, Failed, Printer};
use crate::report::{SavedImage, Stdout};
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

/// The requests a run sends, by index: the whole plan, or those a resume has left.
pub trait Requests: Sync {
    fn len(&self) -> u64;
    fn get(&self, i: u64) -> Option<Planned>;
}

impl Requests for crate::plan::Plan {
    fn len(&self) -> u64 {
        crate::plan::Plan::len(self)
    }

    fn get(&self, i: u64) -> Option<Planned> {
        crate::plan::Plan::get(self, i)
    }
}

impl Requests for Vec<Planned> {
    fn len(&self) -> u64 {
        self.len() as u64
    }

    fn get(&self, i: u64) -> Option<Planned> {
        self.as_slice().get(usize::try_from(i).ok()?).copied()
    }
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    run_printing_to(settings, Stdout::default())
}

/// The same run, with what it would print on stdout written to `stdout` (a capture for
/// `wan mcp`, whose stdout carries the protocol).
pub fn run_printing_to(settings: &Settings, stdout: Stdout) -> Result<Outcome, Error> {
    let session = Session::start(settings)?;
    let plan = settings.plan();
    let prompts = settings.prompts.len();
    let asked = vec![u64::from(settings.count); prompts];
    let printer = Printer::new(&session, asked, vec![plan.requests_per_prompt(); prompts]).printing_to(stdout);
    send(&session, &plan, printer, |_| ())
}

/// Sends `requests` through `--jobs` workers after `first` has had the event channel
/// (a resume's downloads go there first), and prints as results come in.
pub fn send(
    session: &Session,
    requests: &dyn Requests,
    mut printer: Printer,
    first: impl FnOnce(&Sender<Event>) + Send,
) -> Result<Outcome, Error> {
    let next = AtomicU64::new(0);
    let first_done = AtomicBool::new(false);
    // The failure that stopped the run, once one has: later requests are not sent.
    let stopped_by: Mutex<Option<Error>> = Mutex::new(None);
    let workers = usize::try_from(requests.len()).unwrap_or(usize::MAX).clamp(1, session.jobs);
    let (events, received) = mpsc::channel::<Event>();
    thread::scope(|scope| -> Result<(), Error> {
        let (before, first_done) = (events.clone(), &first_done);
        scope.spawn(move || {
            first(&before);
            first_done.store(true, Ordering::Release);
        });
        for _ in 0..workers {
            let events = events.clone();
            let (next, stopped_by) = (&next, &stopped_by);
            scope.spawn(move || {
                // A resume's downloads go first: the links they fetch are dying.
                while !first_done.load(Ordering::Acquire) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                while let Some(request) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
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
                Event::Finished { prompt, result } => printer.finished(prompt, result)?,
            }
        }
        Ok(())
    })?;
    Ok(printer.close())
}

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
        // The journal counts a request's own price where it has one, else the images it
        // returned × the run's price per image; a model priced per request (Seedream 5.0)
        // has its list price recorded on each request for that.
        let per_request = crate::catalogue::profile(&settings.model).price.per_request();
        let (id, price) = (answer.request_id.clone(), answer.reported_price.or(per_request));
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

//! One `generate` or `edit` run: workers take the planned requests in order, `--jobs`
//! at a time, send each, and hand its images to be saved; the printer hears of it all.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use crate::api::classify::stops_the_run;
use crate::error::{Error, Kind};
use crate::open;
use crate::outcome::Outcome;
use crate::plan::{self, Planned};
use crate::printer::{Answered, Printer};
use crate::report::SavedImage;
use crate::save;
use crate::session::Session;
use crate::settings::Settings;

/// What the workers tell the printer, in the order it happens.
enum Event {
    /// An image is on disk: its path can be printed now.
    Saved { prompt: usize, image: SavedImage },
    /// A request is over; every image it saved was reported before this.
    Finished { prompt: usize, result: Result<Answered, Error> },
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let session = Session::start(settings)?;
    let plan = settings.plan();
    let per_prompt = plan.requests_per_prompt();
    let mut pending: Vec<u64> = vec![per_prompt; settings.prompts.len()];
    let mut printer = Printer::new(&session);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let workers = usize::try_from(plan.len()).unwrap_or(usize::MAX).clamp(1, session.jobs);
    let (events, received) = mpsc::channel::<Event>();
    // `--open`: the saved files, shown once the run is over.
    let mut to_open = Vec::new();
    thread::scope(|scope| -> Result<(), Error> {
        for _ in 0..workers {
            let events = events.clone();
            let (session, plan, next, stop) = (&session, &plan, &next, &stop);
            scope.spawn(move || {
                while let Some(request) = plan.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result =
                        if stop.load(Ordering::Relaxed) { Err(not_sent()) } else { perform(session, request, &events) };
                    if let Err(error) = &result
                        && stops_the_run(error)
                    {
                        stop.store(true, Ordering::Relaxed);
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
                Event::Saved { prompt, image } => {
                    if settings.open {
                        to_open.push(image.path.clone());
                    }
                    printer.saved(prompt, image)?;
                }
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
    let outcome = printer.close();
    if settings.open {
        open::open_all(&session.ui, &to_open);
    }
    Ok(outcome)
}

fn not_sent() -> Error {
    Error::new(Kind::Other, "not sent, after an earlier request failed for good")
}

/// Sends one request and saves its images, in parallel, as soon as it is answered.
fn perform(session: &Session, request: Planned, events: &Sender<Event>) -> Result<Answered, Error> {
    let settings = session.settings;
    let task = session.ui.task(&settings.model, request.n);
    let mut answer = session.with_api(|api| api.generate(&plan::job(settings, request)))?;
    let images = std::mem::take(&mut answer.images);
    let returned = images.len() as u64;
    task.downloading(images.len());
    let on_saved = |image| {
        // The printer outlives the workers; a send can only fail once it has stopped.
        let _ = events.send(Event::Saved { prompt: request.prompt, image });
    };
    let stem = settings.stem_for(&settings.prompts[request.prompt]);
    let unsaved = save::save_all(session, &stem, images, &task, &on_saved);
    Ok(Answered { answer, returned, unsaved })
}

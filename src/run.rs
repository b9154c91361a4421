//! One `generate` or `edit` run: workers take the planned requests in order, `--jobs`
//! at a time, send each, and hand its images to be saved; the printer hears of it all.

use std::sync::Mutex;
use std::sync::mpsc::{self, SyncSender};
use std::thread;

use crate::api::classify::stops_the_run;
use crate::dispatch::{Dispatch, Prompt, Request};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::plan;
use crate::printer::{Answered, Failed, Printer};
use crate::report::SavedImage;
use crate::save;
use crate::session::Session;
use crate::settings::Settings;

/// Events the printer may be behind by.
const EVENTS_WAITING: usize = 1024;

/// What the workers tell the printer, in the order it happens.
enum Event {
    /// An image is on disk: its path can be printed now.
    Saved { prompt: Prompt, image: SavedImage },
    /// A request is over; every image it saved was reported before this.
    Finished { prompt: Prompt, result: Result<Answered, Failed> },
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let session = Session::start(settings)?;
    if let Some(shard) = settings.prompts.shard.filter(|_| settings.prompts.is_empty()) {
        let total = settings.prompts.total;
        session.ui.warn(&format!("shard {shard} holds none of the {total} prompts; nothing to do"));
    }
    let plan = settings.plan();
    let dispatch = Dispatch::new(plan, &settings.prompts);
    let mut printer = Printer::new(&session, plan.requests_per_prompt());
    // The failure that stopped the run, once one has: later requests are not sent.
    let stopped_by: Mutex<Option<Error>> = Mutex::new(None);
    let workers = usize::try_from(plan.len()).unwrap_or(usize::MAX).clamp(1, session.jobs);
    // Bounded: when the printer is held up (a slow reader of stdout), the workers wait
    // for it rather than pile up events for a batch of any length.
    let (events, received) = mpsc::sync_channel::<Event>(EVENTS_WAITING);
    thread::scope(|scope| -> Result<(), Error> {
        for _ in 0..workers {
            let events = events.clone();
            let (session, dispatch, stopped_by) = (&session, &dispatch, &stopped_by);
            scope.spawn(move || {
                while let Some(request) = dispatch.next() {
                    let root = stopped_by.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    let prompt = request.prompt.clone();
                    let result = match root {
                        Some(root) => Err(Failed::NotSent(root)),
                        None => perform(session, request, &events).map_err(Failed::Sent),
                    };
                    if let Err(Failed::Sent(error)) = &result
                        && stops_the_run(error)
                    {
                        stopped_by.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| error.clone());
                    }
                    if events.send(Event::Finished { prompt, result }).is_err() {
                        break;
                    }
                }
            });
        }
        drop(events);
        for event in received {
            match event {
                Event::Saved { prompt, image } => printer.saved(&prompt, image)?,
                Event::Finished { prompt, result } => printer.finished(&prompt, result)?,
            }
        }
        Ok(())
    })?;
    let outcome = printer.close();
    // The prompts could not be read back from their temporary file: say so over the outcome.
    match dispatch.failure() {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}

/// Sends one request and saves its images, in parallel, as soon as it is answered.
fn perform(session: &Session, request: Request, events: &SyncSender<Event>) -> Result<Answered, Error> {
    let settings = session.settings;
    let Request { planned, prompt } = request;
    let text = &*prompt.text;
    let mut task = session.ui.task((settings.prompts.len() > 1).then_some(text), &settings.model, planned.n);
    let mut answer = session.with_api(|api| api.generate(&plan::job(settings, planned, text)))?;
    let images = std::mem::take(&mut answer.images);
    let returned = images.len() as u64;
    task.downloading(images.len());
    let on_saved = |image| {
        // The printer outlives the workers; a send can only fail once it has stopped.
        let _ = events.send(Event::Saved { prompt: prompt.clone(), image });
    };
    let stem = settings.stem_for(text);
    let unsaved = save::save_all(session, &stem, images, &task, &on_saved);
    Ok(Answered { answer, returned, unsaved })
}

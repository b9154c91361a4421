//! One `generate` or `edit` run: the requests it plans, the workers that send them,
//! the downloads that start the moment an answer arrives, and the exit code.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread;

use reqwest::blocking::Client;

use crate::api::request::Job;
use crate::api::response::ImageData;
use crate::api::{self, Answer, Api};
use crate::cost::{self, Bill};
use crate::error::{Error, Kind};
use crate::progress::Task;
use crate::report::{self, PromptResult, SavedImage, Stdout, Unsaved};
use crate::settings::RunSettings;
use crate::{fetch, interrupt};

/// The service returns at most this many images per request.
pub const MAX_PER_REQUEST: u32 = 4;

/// One API request of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub prompt: usize,
    pub n: u32,
}

/// Requests of at most 4 images: 4, 4, …, then the remainder.
pub fn split(count: u32) -> Vec<u32> {
    let mut chunks = vec![MAX_PER_REQUEST; (count / MAX_PER_REQUEST) as usize];
    if !count.is_multiple_of(MAX_PER_REQUEST) {
        chunks.push(count % MAX_PER_REQUEST);
    }
    chunks
}

pub fn plan(prompts: usize, count: u32) -> Vec<Planned> {
    (0..prompts).flat_map(|prompt| split(count).into_iter().map(move |n| Planned { prompt, n })).collect()
}

impl RunSettings {
    /// The job of one planned request.
    pub fn job(&self, request: &Planned) -> Job<'_> {
        Job {
            model: &self.model,
            prompt: &self.prompts[request.prompt],
            references: &self.references,
            n: request.n,
            extra: &self.extra,
        }
    }
}

/// What the workers tell the printer, in the order it happens.
enum Event {
    /// An image is on disk: its path can be printed now.
    Saved { prompt: usize, image: SavedImage },
    /// A request is over; every image it saved was reported before this.
    Finished { prompt: usize, result: Result<Answered, Error> },
}

/// An answer (its images already taken out to be saved), how many images it held,
/// and those that could not be saved.
struct Answered {
    answer: Answer,
    returned: u64,
    unsaved: Vec<Unsaved>,
}

/// Runs every planned request, `--jobs` at a time, and reports as results come in;
/// returns the exit code.
pub fn run(settings: &RunSettings) -> Result<u8, Error> {
    settings.out.create()?;
    let http = api::http_client()?;
    let planned = plan(settings.prompts.len(), settings.count);
    let mut results: Vec<PromptResult> = settings
        .prompts
        .iter()
        .map(|p| PromptResult::new(p.clone(), u64::from(settings.count), &settings.model))
        .collect();
    let mut pending: Vec<usize> = vec![0; results.len()];
    for request in &planned {
        pending[request.prompt] += 1;
    }

    let mut printer = Printer::new(settings);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = settings.jobs.clamp(1, planned.len().max(1));
    let (events, received) = mpsc::channel::<Event>();
    thread::scope(|scope| -> Result<(), Error> {
        for _ in 0..workers {
            let events = events.clone();
            let (http, planned, next, stop) = (&http, &planned, &next, &stop);
            scope.spawn(move || {
                while let Some(request) = planned.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let result = if stop.load(Ordering::Relaxed) {
                        Err(not_sent())
                    } else {
                        perform(settings, http, request, &events)
                    };
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
                Event::Saved { prompt, image } => printer.saved(&mut results[prompt], image)?,
                Event::Finished { prompt, result } => {
                    printer.finished(&mut results[prompt], result);
                    pending[prompt] -= 1;
                    if pending[prompt] == 0 {
                        printer.prompt_done(prompt, &results[prompt])?;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(printer.close(&results))
}

/// An error that every other request would meet too: a bad key, an exhausted quota.
fn stops_the_run(error: &Error) -> bool {
    error.kind == Kind::Auth || error.api.code.as_deref() == Some("quota_exceeded")
}

fn not_sent() -> Error {
    Error::new(Kind::Other, "not sent, after an earlier request failed for good")
}

/// Sends one request and saves its images, in parallel, as soon as it is answered.
fn perform(
    settings: &RunSettings,
    http: &Client,
    request: &Planned,
    events: &Sender<Event>,
) -> Result<Answered, Error> {
    let task = settings.ui.task(&settings.model, request.n);
    let mut answer = Api::new(http, &settings.api, &settings.ui).generate(&settings.job(request))?;
    let images = std::mem::take(&mut answer.images);
    let returned = images.len() as u64;
    task.downloading(images.len());
    let on_saved = |image| {
        // The printer outlives the workers; a send can only fail once it has stopped.
        let _ = events.send(Event::Saved { prompt: request.prompt, image });
    };
    let stem = settings.stem_for(&settings.prompts[request.prompt]);
    let unsaved = save_all(settings, http, &stem, images, &task, &on_saved);
    Ok(Answered { answer, returned, unsaved })
}

/// Saves every image of an answer at once, reporting each as it lands; returns the failures.
/// Each image's data moves into its own thread and is freed as soon as it is written.
fn save_all(
    settings: &RunSettings,
    http: &Client,
    stem: &str,
    images: Vec<ImageData>,
    task: &Task,
    on_saved: &(dyn Fn(SavedImage) + Sync),
) -> Vec<Unsaved> {
    let unsaved = |url: Option<String>, error: Error| Unsaved { url, error };
    for url in images.iter().filter_map(ImageData::url) {
        interrupt::downloading(url);
    }
    let first = match settings.out.reserve(stem, images.len() as u64) {
        Ok(first) => first,
        Err(error) => {
            return images.iter().map(|image| unsaved(image.url().map(String::from), error.clone())).collect();
        }
    };
    thread::scope(|scope| {
        let handles: Vec<_> = images
            .into_iter()
            .zip(first..)
            .map(|(image, number)| {
                let url = image.url().map(String::from);
                (url, scope.spawn(move || save_one(settings, http, stem, image, number, task).map(on_saved)))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|(url, handle)| {
                let result = handle
                    .join()
                    .unwrap_or_else(|_| Err(Error::new(Kind::Other, "saving the image failed unexpectedly")));
                result.err().map(|error| unsaved(url, error))
            })
            .collect()
    })
}

fn save_one(
    settings: &RunSettings,
    http: &Client,
    stem: &str,
    image: ImageData,
    number: u64,
    task: &Task,
) -> Result<SavedImage, Error> {
    let mut part = settings.out.begin()?;
    let on_bytes = |n| task.add_bytes(n);
    let fetched = match &image {
        ImageData::Url(url) => fetch::download(http, url, settings.download_timeout, &mut part, &on_bytes)?,
        ImageData::Base64(payload) => fetch::decode(payload, &mut part, &on_bytes)?,
    };
    let source = image.source();
    let url = match image {
        ImageData::Url(url) => Some(url),
        // The payload is no longer needed: free it before the file is moved into place.
        ImageData::Base64(_) => None,
    };
    let path = settings.out.commit(part, stem, number, fetched.format)?;
    if let Some(url) = &url {
        interrupt::settled(url);
    }
    Ok(SavedImage { path, bytes: fetched.bytes, format: fetched.format, source, url })
}

/// Prints results as they come: paths at once, errors and JSON when a prompt is done.
struct Printer<'a> {
    settings: &'a RunSettings,
    stdout: Stdout,
    /// Error lines already printed, so a failure shared by many requests shows once.
    shown: HashSet<String>,
    /// Totals over the prompts done so far.
    images_so_far: u64,
    bill_so_far: Bill,
}

impl<'a> Printer<'a> {
    fn new(settings: &'a RunSettings) -> Self {
        Self {
            settings,
            stdout: Stdout::default(),
            shown: HashSet::new(),
            images_so_far: 0,
            bill_so_far: Bill::new(&settings.model),
        }
    }

    /// A line on stdout, with the progress bars out of its way when both share a terminal.
    fn emit(&mut self, line: &str) -> Result<(), Error> {
        let settings = self.settings;
        match settings.ui.progress() {
            Some(progress) => progress.suspend(|| self.stdout.line(line)),
            None => self.stdout.line(line),
        }
    }

    fn saved(&mut self, result: &mut PromptResult, image: SavedImage) -> Result<(), Error> {
        if !self.settings.json {
            self.emit(&image.path.display().to_string())?;
        }
        result.images.push(image);
        Ok(())
    }

    fn finished(&mut self, result: &mut PromptResult, outcome: Result<Answered, Error>) {
        match outcome {
            Ok(Answered { answer, returned, unsaved }) => {
                result.bill.add_answer(returned, answer.reported_price);
                result.request_ids.extend(answer.request_id.clone());
                if let Some(usage) = &answer.usage {
                    result.add_usage(usage);
                }
                result.unsaved.extend(unsaved);
            }
            Err(error) => result.errors.push(error),
        }
    }

    fn prompt_done(&mut self, index: usize, result: &PromptResult) -> Result<(), Error> {
        let ui = &self.settings.ui;
        let label = match self.settings.prompts.len() {
            1 => String::new(),
            _ => format!("prompt {} ({:?}): ", index + 1, result.prompt),
        };
        for error in &result.errors {
            let shown = Error { message: format!("{label}{}", error.message), ..error.clone() };
            if self.shown.insert(shown.to_string()) {
                ui.error(&shown);
            }
        }
        for unsaved in &result.unsaved {
            let mut shown = Error {
                message: format!("{label}image not saved: {}", unsaved.error.message),
                ..unsaved.error.clone()
            };
            if let Some(url) = &unsaved.url {
                shown = shown.with_hint(format!("it is paid for; fetch it while the link lives: {url}"));
            }
            ui.error(&shown);
            if let Some(url) = &unsaved.url {
                interrupt::settled(url);
            }
        }
        if result.errors.is_empty()
            && result.unsaved.is_empty()
            && let Some(Error { message, .. }) = result.failure()
        {
            ui.warn(&format!("warning: {label}{message}"));
        }
        if self.settings.json {
            self.emit(&result.to_json(&self.settings.model).to_string())?;
        }
        self.images_so_far += result.images.len() as u64;
        self.bill_so_far.absorb(&result.bill);
        if let Some(progress) = ui.progress() {
            let cost = self.bill_so_far.total().map_or_else(|| "cost unknown".to_string(), cost::format_usd);
            let images = self.images_so_far;
            progress.prompt_done(format!("{images} image{} · {cost}", report::plural(images)));
        }
        Ok(())
    }

    /// Prints the summary and decides the exit code.
    fn close(&mut self, results: &[PromptResult]) -> u8 {
        let ui = &self.settings.ui;
        if self.bill_so_far.count > 0 {
            let folder = self.settings.out.describe();
            ui.summary(&report::summary_line(self.images_so_far, &self.bill_so_far, &folder, &self.settings.model));
        } else if let Some(progress) = ui.progress() {
            progress.clear();
        }
        let failures: Vec<Error> = results.iter().filter_map(PromptResult::failure).collect();
        match failures.first() {
            None => 0,
            Some(_) if self.images_so_far > 0 => Kind::Partial.exit_code(),
            Some(first) => first.kind.exit_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_counts_into_requests_of_at_most_four() {
        assert_eq!(split(1), vec![1]);
        assert_eq!(split(4), vec![4]);
        assert_eq!(split(5), vec![4, 1]);
        assert_eq!(split(10), vec![4, 4, 2]);
        assert_eq!(split(12), vec![4, 4, 4]);
    }

    #[test]
    fn plans_every_prompt_in_order() {
        let planned = plan(2, 5);
        assert_eq!(
            planned,
            vec![
                Planned { prompt: 0, n: 4 },
                Planned { prompt: 0, n: 1 },
                Planned { prompt: 1, n: 4 },
                Planned { prompt: 1, n: 1 },
            ]
        );
    }
}

//! An answer's images to files: each downloaded or decoded at once, in parallel, into
//! the output folder, reported the moment it lands and recorded in the journal; the
//! failures returned with their URLs.

use std::path::Path;
use std::sync::Arc;
use std::thread;

use crate::api::response::ImageData;
use crate::error::{Error, Kind, Tag};
use crate::files::fetch::{self, Destination, Fetched};
use crate::files::label::Label;
use crate::files::output::PartFile;
use crate::files::stamp::Stamped;
use crate::image::report::{SavedImage, Unsaved};
use crate::image::session::Session;
use crate::interrupt;
use crate::journal::ImageSaved;
use crate::term::progress::Task;
use crate::term::progress::Tick;

/// What the images of one answer share.
#[derive(Debug)]
pub struct Batch<'a> {
    pub stem: &'a str,
    pub prompt: &'a str,
    /// Which of the run's models made them.
    pub model: usize,
    /// The images' rows in the journal, in order, when it is recording.
    pub rows: Option<Vec<i64>>,
}

/// What becomes of an answer's images, as it happens: the block of numbers they were given,
/// then each one saved or lost, so that a prompt's paths can be printed in number order.
#[derive(Debug)]
pub enum Landed {
    Reserved { first: u64, count: u64 },
    Saved(SavedImage),
    Lost { number: u64 },
}

/// Saves every image of an answer at once, reporting each as it lands; returns the failures.
/// Each image's data moves into its own thread (the last one's stays on this one) and is
/// freed as soon as it is written.
pub fn save_all(
    session: &Session,
    batch: &Batch,
    images: Vec<ImageData>,
    task: &Task,
    on_landed: &(dyn Fn(Landed) + Sync),
) -> Vec<Unsaved> {
    let unsaved = |url: Option<String>, error: Error| Unsaved { url, error };
    for url in images.iter().filter_map(ImageData::url) {
        interrupt::downloading(url);
    }
    let first = match session.out.reserve(batch.stem, images.len() as u64) {
        Ok(first) => first,
        Err(error) => {
            return images.iter().map(|image| unsaved(image.url().map(String::from), error.clone())).collect();
        }
    };
    on_landed(Landed::Reserved { first, count: images.len() as u64 });
    let failed = || Error::new(Kind::Other, "saving the image failed unexpectedly");
    thread::scope(|scope| {
        let mut images: Vec<(usize, ImageData, u64)> = images
            .into_iter()
            .enumerate()
            .zip(first..)
            .map(|((position, image), number)| (position, image, number))
            .collect();
        // The last image is saved on this thread: a batch of one-image answers starts
        // no thread per request (each costs a dozen system calls).
        let last = images.pop();
        let saving = |position: usize, image: ImageData, number: u64| {
            let row = batch.rows.as_ref().and_then(|rows| rows.get(position).copied());
            move || {
                let result = save_one(session, batch, image, number, task, row);
                record(session, row, &result);
                match result {
                    Ok(saved) => {
                        on_landed(Landed::Saved(saved));
                        Ok(())
                    }
                    Err(error) => {
                        on_landed(Landed::Lost { number });
                        Err(error)
                    }
                }
            }
        };
        let handles: Vec<_> = images
            .into_iter()
            .map(|(position, image, number)| {
                let url = image.url().map(String::from);
                (url, scope.spawn(saving(position, image, number)))
            })
            .collect();
        let last = last.map(|(position, image, number)| {
            let url = image.url().map(String::from);
            let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(saving(position, image, number)));
            (url, saved.unwrap_or_else(|_| Err(failed())))
        });
        let mut results: Vec<(Option<String>, Result<(), Error>)> =
            handles.into_iter().map(|(url, handle)| (url, handle.join().unwrap_or_else(|_| Err(failed())))).collect();
        results.extend(last);
        results.into_iter().filter_map(|(url, result)| result.err().map(|error| unsaved(url, error))).collect()
    })
}

/// The journal hears of each image: in place (its record was on disk before the move,
/// see `save_one`), or why not.
fn record(session: &Session, row: Option<i64>, result: &Result<SavedImage, Error>) {
    let Some(row) = row else { return };
    let ui = &session.ui;
    match result {
        Ok(_) => {
            session.journal.write(ui, |journal| {
                journal.image_placed(row);
                Ok(())
            });
        }
        Err(error) => {
            let expired = error.tag == Tag::LinkExpired;
            session.journal.write(ui, |journal| {
                journal.image_failed(row, expired, error.to_string());
                Ok(())
            });
        }
    }
}

fn save_one(
    session: &Session,
    batch: &Batch,
    image: ImageData,
    number: u64,
    task: &Task,
    row: Option<i64>,
) -> Result<SavedImage, Error> {
    // Waits for a free slot: the connection and the file of this download (or the file
    // a decoded image is opened again in) must fit within the open-file limit, or images
    // would be lost to "too many open files".
    let _slot = session.downloads.take();
    let source = image.source();
    // Decoded images were labelled as the answer streamed in; the others are now.
    let label = session.label(batch.model).map(|label| label.for_prompt(batch.prompt));
    // `_kept` keeps a decoded image from an interrupt until it is moved into place.
    let (part, fetched, url, _kept) = match image {
        ImageData::Decoded(decoded) => {
            // Decoded while the answer streamed in: whole in its part file but its last bytes.
            let decoded = (*decoded)?;
            task.tick(Tick::Expected(decoded.bytes()));
            task.tick(Tick::Written(decoded.bytes()));
            let (part, fetched, kept) = decoded.seal()?;
            (part, fetched, None, Some(kept))
        }
        // A placeholder no reader of this answer wrote (`Api::attempt` swaps the real ones).
        ImageData::Streamed { .. } => {
            return Err(Error::new(Kind::Other, "an image in the answer is not valid base64"));
        }
        ImageData::Unfetchable(url) => return Err(ImageData::unfetchable(&url)),
        ImageData::Url(url) => {
            let timeout = session.settings.download_timeout;
            let (part, fetched) =
                into_part(session, label, task, |to| fetch::download(&session.http, &url, timeout, to))?;
            (part, fetched, Some(url), None)
        }
        ImageData::Base64(payload) => {
            let (part, fetched) = into_part(session, label, task, |to| fetch::decode(&payload, to))?;
            // The payload is no longer needed: freed before the file is moved into place.
            drop(payload);
            (part, fetched, None, None)
        }
    };
    // Where it goes and what it is are on disk before it moves: a run killed between the
    // move and its record leaves an image a resume finds, not one it fetches again.
    let mut announce = |path: &Path, part: &Path| {
        let Some(row) = row else { return };
        let saved = ImageSaved {
            path: path.display().to_string(),
            bytes: fetched.bytes,
            format: fetched.format.extension(),
            sha256: fetched.sha256.clone(),
        };
        let part = part.display().to_string();
        session.journal.write(&session.ui, |journal| journal.image_placing(row, saved, part));
    };
    let (path, _) = session.out.commit(part, batch.stem, number, fetched.format, &mut announce)?;
    let kept_as_served = match fetched.stamped {
        Stamped::Signed => Some("it carries Content Credentials (a C2PA manifest), which a label would break"),
        Stamped::HasXmp => Some("it carries an XMP packet of its own"),
        Stamped::NotLabelled => Some("wan labels PNG, JPEG and WebP files whose structure it can follow"),
        Stamped::Labelled | Stamped::Off => None,
    };
    if let Some(why) = kept_as_served {
        session.ui.verbose(&format!("{} saved as served, without a label: {why}", path.display()));
    }
    if let Some(url) = &url {
        interrupt::settled(url);
    }
    Ok(SavedImage { path, number: Some(number), bytes: fetched.bytes, format: fetched.format, source, url })
}

/// A new part file, and what `fill` wrote into it.
fn into_part(
    session: &Session,
    label: Option<Arc<Label>>,
    task: &Task,
    fill: impl FnOnce(&mut Destination) -> Result<Fetched, Error>,
) -> Result<(PartFile, Fetched), Error> {
    let mut part = session.out.begin()?;
    let on_tick = |tick| task.tick(tick);
    let fetched = fill(&mut Destination { out: &mut part, on_tick: &on_tick, label })?;
    Ok((part, fetched))
}

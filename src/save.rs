//! An answer's images to files: each downloaded or decoded at once, in parallel, into
//! the output folder, reported the moment it lands; the failures returned with their URLs.

use std::thread;

use crate::api::response::{Decoded, ImageData};
use crate::error::{Error, Kind};
use crate::fetch::Tick;
use crate::progress::Task;
use crate::report::{SavedImage, Unsaved};
use crate::session::Session;
use crate::{fetch, interrupt};

/// Saves every image of an answer at once, reporting each as it lands; returns the failures.
/// Each image's data moves into its own thread and is freed as soon as it is written.
pub fn save_all(
    session: &Session,
    stem: &str,
    images: Vec<ImageData>,
    task: &Task,
    on_saved: &(dyn Fn(SavedImage) + Sync),
) -> Vec<Unsaved> {
    let unsaved = |url: Option<String>, error: Error| Unsaved { url, error };
    for url in images.iter().filter_map(ImageData::url) {
        interrupt::downloading(url);
    }
    let first = match session.out.reserve(stem, images.len() as u64) {
        Ok(first) => first,
        Err(error) => {
            return images.iter().map(|image| unsaved(image.url().map(String::from), error.clone())).collect();
        }
    };
    let failed = || Error::new(Kind::Other, "saving the image failed unexpectedly");
    thread::scope(|scope| {
        let mut images: Vec<(ImageData, u64)> = images.into_iter().zip(first..).collect();
        // The last image is saved on this thread: a batch of one-image answers starts
        // no thread per request (each costs a dozen system calls).
        let last = images.pop();
        let handles: Vec<_> = images
            .into_iter()
            .map(|(image, number)| {
                let url = image.url().map(String::from);
                (url, scope.spawn(move || save_one(session, stem, image, number, task).map(on_saved)))
            })
            .collect();
        let last = last.map(|(image, number)| {
            let url = image.url().map(String::from);
            let saved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                save_one(session, stem, image, number, task).map(on_saved)
            }));
            (url, saved.unwrap_or_else(|_| Err(failed())))
        });
        let mut results: Vec<(Option<String>, Result<(), Error>)> =
            handles.into_iter().map(|(url, handle)| (url, handle.join().unwrap_or_else(|_| Err(failed())))).collect();
        results.extend(last);
        results.into_iter().filter_map(|(url, result)| result.err().map(|error| unsaved(url, error))).collect()
    })
}

fn save_one(session: &Session, stem: &str, image: ImageData, number: u64, task: &Task) -> Result<SavedImage, Error> {
    let source = image.source();
    let (part, fetched, url) = match image {
        // Decoded while the answer streamed in: already whole in its part file.
        ImageData::Decoded(Decoded(decoded)) => {
            let (part, fetched) = decoded?;
            task.tick(Tick::Expected(fetched.bytes));
            task.tick(Tick::Written(fetched.bytes));
            (part, fetched, None)
        }
        image => {
            // Waits for a free slot: the connection and the file of this download must
            // fit within the open-file limit, or images would be lost to "too many open files".
            let _slot = session.downloads.take();
            let mut part = session.out.begin()?;
            let on_tick = |tick| task.tick(tick);
            let fetched = match &image {
                ImageData::Url(url) => {
                    fetch::download(&session.http, url, session.settings.download_timeout, &mut part, &on_tick)?
                }
                ImageData::Base64(payload) => fetch::decode(payload, &mut part, &on_tick)?,
                // A placeholder no reader of this answer wrote (`Api::attempt` swaps the real ones).
                ImageData::Streamed { .. } | ImageData::Decoded(_) => {
                    return Err(Error::new(Kind::Other, "an image in the answer is not valid base64"));
                }
            };
            let url = match image {
                ImageData::Url(url) => Some(url),
                // The payload is no longer needed: free it before the file is moved into place.
                _ => None,
            };
            (part, fetched, url)
        }
    };
    let path = session.out.commit(part, stem, number, fetched.format)?;
    if let Some(url) = &url {
        interrupt::settled(url);
    }
    Ok(SavedImage { path, bytes: fetched.bytes, format: fetched.format, source, url })
}

//! Ctrl-C and SIGTERM: stop at once, remove temporary files, and print the URLs of paid images not yet saved.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::{NamedTempFile, PathPersistError, TempPath};

use crate::open_files::is_out_of_files;

/// Exit status for a run stopped by a signal, as shells report 128 + SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;

/// What must be cleaned up or reported if the run is stopped now. One lock guards
/// both, and the handler keeps it until the process exits, so no temporary file can
/// be created or renamed while the handler is cleaning up.
struct Unfinished {
    temp_files: BTreeSet<PathBuf>,
    unsaved_urls: BTreeSet<String>,
    /// API requests sent and not yet answered: their images may be made and billed.
    requests_in_flight: usize,
}

static UNFINISHED: Mutex<Unfinished> =
    Mutex::new(Unfinished { temp_files: BTreeSet::new(), unsaved_urls: BTreeSet::new(), requests_in_flight: 0 });

fn unfinished() -> std::sync::MutexGuard<'static, Unfinished> {
    // A panic elsewhere must not stop the clean-up: the data is still sound.
    UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP.
pub fn install() {
    // Failing to install only loses the clean-up on interrupt; the run itself is fine.
    let _ = ctrlc::set_handler(|| {
        let state = unfinished();
        for path in &state.temp_files {
            let _ = std::fs::remove_file(path);
        }
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "\nwan: interrupted");
        for url in &state.unsaved_urls {
            // Cleaned of escape sequences, never shortened: it must still be fetchable.
            let _ = writeln!(stderr, "wan: not saved, paid for, still at: {}", crate::error::clean(url));
        }
        if state.requests_in_flight > 0 {
            let n = state.requests_in_flight;
            let _ = writeln!(
                stderr,
                "wan: {n} request{} had been sent and not answered; its images may have been made and billed",
                if n == 1 { "" } else { "s" }
            );
        }
        std::process::exit(EXIT_INTERRUPTED);
    });
}

/// Creates a temporary file and records it, so an interrupt removes it. A process out
/// of file descriptors waits for one to be freed (up to a minute) rather than lose the
/// image the file is for.
pub fn create_temp(create: impl Fn() -> io::Result<NamedTempFile>) -> io::Result<NamedTempFile> {
    const PATIENCE: Duration = Duration::from_secs(60);
    let started = Instant::now();
    let mut wait = Duration::from_millis(10);
    loop {
        let mut state = unfinished();
        match create() {
            Ok(file) => {
                state.temp_files.insert(file.path().to_path_buf());
                return Ok(file);
            }
            Err(e) if is_out_of_files(&e) && started.elapsed() < PATIENCE => {
                // Waits without the lock, so others can finish and free theirs.
                drop(state);
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Moves a closed temporary file to `dest` unless `dest` exists, and forgets it once moved.
pub fn persist_temp(file: TempPath, dest: &Path) -> Result<(), PathPersistError> {
    let mut state = unfinished();
    let temp_path = file.to_path_buf();
    file.persist_noclobber(dest)?;
    state.temp_files.remove(&temp_path);
    Ok(())
}

/// Records an image URL that was paid for and is being downloaded.
pub fn downloading(url: &str) {
    unfinished().unsaved_urls.insert(url.to_string());
}

/// Forgets a URL once its image is saved or its failure has been reported.
pub fn settled(url: &str) {
    unfinished().unsaved_urls.remove(url);
}

/// Marks an API request as sent and unanswered until the returned guard is dropped.
pub fn request_in_flight() -> InFlight {
    unfinished().requests_in_flight += 1;
    InFlight
}

#[derive(Debug)]
pub struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        unfinished().requests_in_flight -= 1;
    }
}

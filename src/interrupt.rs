//! Ctrl-C and SIGTERM: stop at once, remove temporary files, save the images already
//! decoded from answers, and print the URLs of paid images not yet saved.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tempfile::{NamedTempFile, PersistError};

/// Exit status for a run stopped by a signal, as shells report 128 + SIGINT.
pub const EXIT_INTERRUPTED: i32 = 130;

/// What must be cleaned up or reported if the run is stopped now. One lock guards
/// both, and the handler keeps it until the process exits, so no temporary file can
/// be created or renamed while the handler is cleaning up.
struct Unfinished {
    temp_files: BTreeSet<PathBuf>,
    /// Paid images decoded whole from an answer into their part files, not yet numbered
    /// and saved: an interrupt saves them under a name of their own rather than lose them.
    decoded: BTreeMap<PathBuf, Kept>,
    unsaved_urls: BTreeSet<String>,
    /// API requests sent and not yet answered: their images may be made and billed.
    requests_in_flight: usize,
    /// Video tasks being waited for: they go on at the service, and `wan video wait` takes them up.
    video_tasks: BTreeSet<String>,
    /// A video task's create sent and not yet answered: the task may exist, and be billed.
    video_creates_in_flight: usize,
}

static UNFINISHED: Mutex<Unfinished> = Mutex::new(Unfinished {
    temp_files: BTreeSet::new(),
    decoded: BTreeMap::new(),
    unsaved_urls: BTreeSet::new(),
    requests_in_flight: 0,
    video_tasks: BTreeSet::new(),
    video_creates_in_flight: 0,
});

fn unfinished() -> std::sync::MutexGuard<'static, Unfinished> {
    // A panic elsewhere must not stop the clean-up: the data is still sound.
    UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP.
pub fn install() {
    // Failing to install only loses the clean-up on interrupt; the run itself is fine.
    let _ = ctrlc::set_handler(|| {
        // With the bars cleared, and held off (the process ends before they could be drawn
        // again): their lines are not left above what is said here.
        let bars = CLEAR_PROGRESS.lock().unwrap_or_else(|p| p.into_inner()).take();
        match bars {
            Some(with_bars_away) => with_bars_away(Box::new(stop)),
            None => stop(),
        }
    });
}

/// What an interrupt does once the bars are out of the way: clean up, say what was left
/// and how to take it up, and end the process.
fn stop() {
    {
        let state = unfinished();
        for path in &state.temp_files {
            let _ = std::fs::remove_file(path);
        }
        let mut stderr = io::stderr().lock();
        let _ = writeln!(stderr, "\nwan: interrupted");
        for (path, kept) in &state.decoded {
            match kept.save(path) {
                Ok(saved) => {
                    let _ = writeln!(stderr, "wan: paid for, saved before it was numbered: {}", saved.display());
                }
                // Removed meanwhile: its failure was reported.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    let _ = writeln!(stderr, "wan: paid for, decoded, and lost: cannot save {}: {e}", path.display());
                }
            }
        }
        for url in &state.unsaved_urls {
            // Cleaned of escape sequences, never shortened: it must still be fetchable.
            let _ = writeln!(stderr, "wan: not saved, paid for, still at: {}", crate::error::clean(url));
        }
        // Only where it would do something: a link to fetch, an answer that may have come,
        // or requests not sent yet.
        let left = !state.unsaved_urls.is_empty()
            || state.requests_in_flight > 0
            || RUN_AT_WORK.load(std::sync::atomic::Ordering::Relaxed);
        if FLUSH_JOURNAL.get().is_some() && left {
            let _ = writeln!(stderr, "wan: `wan resume` fetches what was paid for and sends what was not sent");
        }
        // What the journal has queued (failures, mostly) goes to disk, if it can in a second.
        if let Some(flush) = FLUSH_JOURNAL.get() {
            flush();
        }
        if state.requests_in_flight > 0 {
            let n = state.requests_in_flight;
            let _ = writeln!(
                stderr,
                "wan: {n} request{} had been sent and not answered; {} images may have been made and billed",
                if n == 1 { "" } else { "s" },
                if n == 1 { "its" } else { "their" }
            );
        }
        if state.video_creates_in_flight > 0 {
            let _ = writeln!(
                stderr,
                "wan: a video task had been asked for and not answered; it may have been created and billed \
                 (`wan video list` shows the tasks the journal knows)"
            );
        }
        if !state.video_tasks.is_empty() {
            let ids: Vec<&str> = state.video_tasks.iter().map(String::as_str).collect();
            let what = if ids.len() == 1 { "task goes" } else { "tasks go" };
            let _ = writeln!(stderr, "wan: the video {what} on at the service; pick it up with:");
            let _ = writeln!(stderr, "  wan video wait {}", crate::error::clean(&ids.join(" ")));
        }
        std::process::exit(EXIT_INTERRUPTED);
    }
}

/// Makes a file-size limit (`ulimit -f`) fail the write that passes it (EFBIG), as a full
/// disk does, instead of ending the process by SIGXFSZ with nothing said and paid images
/// lost. The handler does nothing but exist.
pub fn survive_file_size_limit() {
    #[cfg(unix)]
    {
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGXFSZ, seen);
    }
}

/// Runs what it is given with the progress bars cleared and held off, where any are
/// drawn: registered from above.
type WithBarsAway = Box<dyn FnOnce(Box<dyn FnOnce()>) + Send>;
static CLEAR_PROGRESS: Mutex<Option<WithBarsAway>> = Mutex::new(None);

/// Makes an interrupt say what it says inside `with_bars_away` (the progress's `suspend`).
pub fn clear_progress_on_interrupt(with_bars_away: impl FnOnce(Box<dyn FnOnce()>) + Send + 'static) {
    *CLEAR_PROGRESS.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(with_bars_away));
}

/// The run's workers are still at it: requests not sent yet (a batch stopped midway), or
/// sent and being saved; `wan resume` has work.
static RUN_AT_WORK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says whether the run's workers are still at it, for the interrupt's word on `wan resume`.
pub fn run_at_work(left: bool) {
    RUN_AT_WORK.store(left, std::sync::atomic::Ordering::Relaxed);
}

/// What the run's journal registered: written to disk within a second on an interrupt.
/// Registered from above, so that this module knows nothing of the journal.
static FLUSH_JOURNAL: std::sync::OnceLock<Box<dyn Fn() + Send + Sync>> = std::sync::OnceLock::new();

/// Makes an interrupt call `flush` (the journal's) before the process ends, and point to
/// `wan resume`, which reads what it flushed.
pub fn flush_journal_on_interrupt(flush: impl Fn() + Send + Sync + 'static) {
    let _ = FLUSH_JOURNAL.set(Box::new(flush));
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

/// Moves a temporary file to `dest` unless `dest` exists, and forgets it once moved.
pub fn persist_temp(file: NamedTempFile, dest: &Path) -> Result<(), PersistError> {
    let mut state = unfinished();
    let temp_path = file.path().to_path_buf();
    file.persist_noclobber(dest)?;
    state.temp_files.remove(&temp_path);
    state.decoded.remove(&temp_path);
    Ok(())
}

/// Moves a temporary file to `dest`, over what is there (a page written before), and
/// forgets it once moved.
pub fn replace_with_temp(file: NamedTempFile, dest: &Path) -> Result<(), PersistError> {
    let mut state = unfinished();
    let temp_path = file.path().to_path_buf();
    file.persist(dest)?;
    state.temp_files.remove(&temp_path);
    Ok(())
}

/// A decoded image waiting in its part file: `len` bytes written, and the last bytes
/// (`tail`, held back for a provenance chunk to go before them) still to add.
#[derive(Debug)]
struct Kept {
    len: u64,
    tail: Vec<u8>,
    extension: &'static str,
}

impl Kept {
    /// Makes the file whole (whatever a seal cut short wrote past `len` is cut off) and
    /// moves it to `interrupted-XXXXXX.EXT` beside it, never over another file.
    fn save(&self, path: &Path) -> io::Result<PathBuf> {
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        if !self.tail.is_empty() {
            file.set_len(self.len)?;
            file.seek(io::SeekFrom::Start(self.len))?;
            file.write_all(&self.tail)?;
        }
        file.sync_all()?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let random = name.trim_start_matches(".wan-").trim_end_matches(".part");
        let saved = path.with_file_name(format!("interrupted-{random}.{}", self.extension));
        // A link fails rather than replace a file; where links are not supported, a
        // rename to a name no file has.
        match std::fs::hard_link(path, &saved) {
            Ok(()) => std::fs::remove_file(path)?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) if saved.exists() => return Err(io::ErrorKind::AlreadyExists.into()),
            Err(_) => std::fs::rename(path, &saved)?,
        }
        Ok(saved)
    }
}

/// Marks the part file at `path` as a whole decoded image of `len` bytes so far, `tail`
/// still to add: an interrupt saves it instead of removing it, until it is saved under
/// its own name or the returned guard is dropped.
pub fn keep_decoded(path: &Path, len: u64, tail: &[u8], extension: &'static str) -> KeptDecoded {
    let mut state = unfinished();
    state.temp_files.remove(path);
    state.decoded.insert(path.to_path_buf(), Kept { len, tail: tail.to_vec(), extension });
    KeptDecoded(path.to_path_buf())
}

#[derive(Debug)]
pub struct KeptDecoded(PathBuf);

impl KeptDecoded {
    /// Runs `seal`, which adds the tail to the file, where an interrupt cannot come
    /// between; once it has, the file counts as whole as it is.
    pub fn sealing<T, E>(&self, seal: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let mut state = unfinished();
        let sealed = seal()?;
        if let Some(kept) = state.decoded.get_mut(&self.0) {
            kept.tail.clear();
        }
        Ok(sealed)
    }
}

impl Drop for KeptDecoded {
    /// The image was saved, or reported as not: nothing is left to keep.
    fn drop(&mut self) {
        unfinished().decoded.remove(&self.0);
    }
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

/// Marks a video task as waited for until the returned guard is dropped: an interrupt
/// meanwhile says how to pick it up again.
pub fn following_video(id: &str) -> Following {
    unfinished().video_tasks.insert(id.to_string());
    Following(id.to_string())
}

#[derive(Debug)]
pub struct Following(String);

impl Drop for Following {
    fn drop(&mut self) {
        unfinished().video_tasks.remove(&self.0);
    }
}

/// Marks a video task's create as sent and unanswered until the guard is dropped.
pub fn video_create_in_flight() -> CreateInFlight {
    unfinished().video_creates_in_flight += 1;
    CreateInFlight
}

#[derive(Debug)]
pub struct CreateInFlight;

impl Drop for CreateInFlight {
    fn drop(&mut self) {
        unfinished().video_creates_in_flight -= 1;
    }
}

/// Whether an I/O error is the process (EMFILE) or the system (ENFILE) out of files:
/// worth waiting for a descriptor to be freed, never a reason to drop a paid image.
pub fn is_out_of_files(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(23 | 24)) && cfg!(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_emfile_and_enfile_mean_out_of_files() {
        assert!(is_out_of_files(&std::io::Error::from_raw_os_error(24)));
        assert!(is_out_of_files(&std::io::Error::from_raw_os_error(23)));
        assert!(!is_out_of_files(&std::io::Error::from_raw_os_error(28)));
    }
}

//! The journal as a command uses it: opened once, flushed on an interrupt, and any failure
//! one warning, after which the command goes on without it.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::lock::{self, Held};
use super::{Journal, JournalError, RunRecord};
use crate::term::ui::Ui;

#[derive(Debug, Default)]
pub struct Recorder {
    journal: Option<Journal>,
    /// Where the journal and the runs' locks are.
    state_dir: Option<PathBuf>,
    run: Option<String>,
    /// The run's lock, held for its life: while it is, no `wan resume` takes the run up.
    _lock: Option<Held>,
    off: AtomicBool,
    /// What is lost without the journal, said in the warning.
    without: &'static str,
}

impl Recorder {
    /// Opens the journal in `state_dir` (`None`: no journal), to be flushed on an
    /// interrupt; warns once if it cannot be opened. `without` says what is lost then.
    pub fn open(state_dir: Option<&Path>, without: &'static str, ui: &Ui) -> Self {
        let Some(dir) = state_dir else { return Self::default() };
        match Journal::start(dir) {
            Ok(journal) => Self { state_dir: Some(dir.to_path_buf()), ..Self::of(journal, without) },
            Err(error) => {
                warn(ui, &error, without);
                Self { without, ..Self::default() }
            }
        }
    }

    /// A journal already open (`wan resume`), flushed on an interrupt from now on.
    pub fn of(journal: Journal, without: &'static str) -> Self {
        let flushed = journal.clone();
        crate::interrupt::flush_journal_on_interrupt(move || {
            flushed.flush_within(Duration::from_secs(1));
        });
        Self { journal: Some(journal), state_dir: None, run: None, _lock: None, off: AtomicBool::new(false), without }
    }

    /// Records a new run and takes its lock; without the record, writes that need the
    /// run's id do nothing.
    pub fn begin_run(mut self, record: RunRecord, ui: &Ui) -> Self {
        self.run = self.write(ui, |journal| journal.begin_run(record));
        if let (Some(dir), Some(run)) = (&self.state_dir, &self.run) {
            // A lock that cannot be made leaves the run to the PID check, as before locks.
            self._lock = lock::try_take(&lock::path(dir, "run", run), "running it").ok().and_then(Result::ok);
        }
        self
    }

    /// Writes for a run already in the journal (`wan resume`).
    pub fn for_run(mut self, run: String) -> Self {
        self.run = Some(run);
        self
    }

    /// The run's id, while the journal is working.
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_deref().filter(|_| !self.off.load(Ordering::Relaxed))
    }

    /// Writes through the journal; a failure warns once and turns the journal off.
    pub fn write<T>(&self, ui: &Ui, write: impl FnOnce(&Journal) -> Result<T, JournalError>) -> Option<T> {
        let journal = self.journal.as_ref().filter(|_| !self.off.load(Ordering::Relaxed))?;
        match write(journal) {
            Ok(value) => Some(value),
            Err(error) => {
                if !self.off.swap(true, Ordering::Relaxed) {
                    warn(ui, &error, self.without);
                }
                None
            }
        }
    }

    /// Writes through the journal for the run; nothing when no run was recorded.
    pub fn write_run<T>(&self, ui: &Ui, write: impl FnOnce(&Journal, &str) -> Result<T, JournalError>) -> Option<T> {
        let run = self.run_id()?;
        self.write(ui, |journal| write(journal, run))
    }
}

fn warn(ui: &Ui, error: &JournalError, without: &str) {
    ui.warn(&format!("warning: the journal is unavailable ({error}); going on without it ({without})"));
}

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
    /// The run this process records (or tried to): marked incomplete if the journal fails.
    attempted: Option<String>,
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
        Self {
            journal: Some(journal),
            state_dir: None,
            run: None,
            attempted: None,
            _lock: None,
            off: AtomicBool::new(false),
            without,
        }
    }

    /// Takes a new run's lock and records the run; without the record, writes that need
    /// the run's id do nothing. The lock comes first: a run whose many prompts are still
    /// being recorded is alive to anyone who looks.
    pub fn begin_run(mut self, record: RunRecord, ui: &Ui) -> Self {
        let id = super::record::new_run_id();
        if let Some(dir) = &self.state_dir {
            // A lock that cannot be made leaves the run to the PID check, as before locks.
            self._lock = lock::try_take(&lock::path(dir, "run", &id), "running it").ok().and_then(Result::ok);
        }
        self.attempted = Some(id.clone());
        self.run = self.write(ui, |journal| journal.record_run(&id, record)).map(|()| id);
        self
    }

    /// Writes for a run already in the journal (`wan resume`).
    pub fn for_run(mut self, run: String) -> Self {
        self.attempted = Some(run.clone());
        self.run = Some(run);
        self
    }

    /// The run is over (`done`, `partial`, `interrupted`): said in the journal, or, where
    /// the journal failed while the run went on, said with the run's record marked
    /// incomplete, waiting up to a minute for the database.
    pub fn end_run(&self, ui: &Ui, state: &'static str) {
        if self.write_run(ui, |journal, run| journal.run_ended(run, state)).is_some() {
            return;
        }
        let (Some(dir), Some(run)) = (&self.state_dir, &self.attempted) else { return };
        if self.off.load(Ordering::Relaxed)
            && let Err(error) = super::mark_incomplete(dir, run, state, Duration::from_secs(60))
        {
            ui.warn(&format!(
                "warning: run {run}'s record is incomplete and the journal still cannot say so ({error}); \
                 `wan resume {run}` will send none of its planned requests without --resend-unknown"
            ));
        }
    }

    /// The run this process records (or tried to), journal working or not.
    pub fn attempted(&self) -> Option<&str> {
        self.attempted.as_deref()
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
                    match &self.attempted {
                        // Mid-run: what is on record stays, and nothing off it is sent again.
                        Some(run) => warn(
                            ui,
                            &error,
                            &format!(
                                "run {run}'s record stays incomplete: `wan resume` fetches what it holds and sends \
                             nothing the run may have sent"
                            ),
                        ),
                        None => warn(ui, &error, self.without),
                    }
                    self.mark_incomplete();
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

impl Recorder {
    /// The journal failed and the run goes on: a marker beside the journal says, at
    /// once, that its record is incomplete (a file, which may be made when the database
    /// cannot be written), so that a resume sends none of its planned requests unasked.
    fn mark_incomplete(&self) {
        if let (Some(dir), Some(run)) = (&self.state_dir, &self.attempted) {
            let marker = super::incomplete_marker(dir, run);
            let _ = marker.parent().map(std::fs::create_dir_all);
            let _ = std::fs::write(&marker, b"");
        }
    }
}

fn warn(ui: &Ui, error: &JournalError, without: &str) {
    ui.warn(&format!("warning: the journal is unavailable ({error}); going on without it ({without})"));
}

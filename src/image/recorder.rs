//! The journal as a run uses it: the run recorded before its first request, each step
//! after; any failure of the journal is one warning, and the run goes on without it.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::files::reference::Reference;
use crate::image::settings::Settings;
use crate::journal::{Journal, JournalError, RunRecord};
use crate::term::ui::Ui;

#[derive(Debug, Default)]
pub struct Recorder {
    journal: Option<Journal>,
    run: Option<String>,
    off: AtomicBool,
}

impl Recorder {
    /// Opens the journal (unless `--no-journal`) and records the run; `None` as the
    /// run id when it cannot, after one warning.
    pub fn start(settings: &Settings, out_dir: &str, ui: &Ui) -> Self {
        let Some(dir) = settings.state_dir.as_ref().filter(|_| settings.journal) else {
            return Self::default();
        };
        let begun = Journal::start(dir).and_then(|journal| {
            let run = journal.begin_run(run_record(settings, out_dir))?;
            Ok((journal, run))
        });
        match begun {
            Ok((journal, run)) => {
                crate::interrupt::flush_on_interrupt(&journal);
                Self { journal: Some(journal), run: Some(run), off: AtomicBool::new(false) }
            }
            Err(error) => {
                warn(ui, &error);
                Self::default()
            }
        }
    }

    /// A recorder for a run already in the journal (`wan resume`).
    pub fn resuming(journal: Journal, run: String) -> Self {
        Self { journal: Some(journal), run: Some(run), off: AtomicBool::new(false) }
    }

    /// The run's id, while the journal is working.
    pub fn run_id(&self) -> Option<&str> {
        self.run.as_deref().filter(|_| !self.off.load(Ordering::Relaxed))
    }

    /// Writes through the journal; a failure warns once and turns the journal off.
    pub fn write<T>(&self, ui: &Ui, write: impl FnOnce(&Journal, &str) -> Result<T, JournalError>) -> Option<T> {
        let (journal, run) = (self.journal.as_ref()?, self.run_id()?);
        match write(journal, run) {
            Ok(value) => Some(value),
            Err(error) => {
                if !self.off.swap(true, Ordering::Relaxed) {
                    warn(ui, &error);
                }
                None
            }
        }
    }
}

fn warn(ui: &Ui, error: &JournalError) {
    ui.warn(&format!(
        "warning: the journal is unavailable ({error}); going on without it (this run cannot be resumed)"
    ));
}

fn run_record(settings: &Settings, out_dir: &str) -> RunRecord {
    let plan = settings.plan();
    RunRecord {
        command: if settings.references.is_empty() { "generate" } else { "edit" },
        model: settings.model.clone(),
        route: settings.api.route.name(),
        base_url: settings.api.base.to_string(),
        out_dir: out_dir.to_string(),
        stem: settings.name.clone(),
        count: settings.count,
        per_request: plan.per_request(),
        prompts: settings.prompts.clone(),
        extra: Value::Object(settings.extra.clone()).to_string(),
        // Per image; a model priced per request records its price on each request instead.
        price: crate::catalogue::profile(&settings.model).price.per_image(),
        references: settings.references.iter().map(reference_record).collect(),
    }
}

/// A reference as the journal keeps it: where it came from and its SHA-256, never its bytes.
pub fn reference_record(reference: &Reference) -> (String, Option<String>) {
    match reference {
        Reference::Url(url) => (url.clone(), None),
        Reference::Local(image) => {
            let source = match image.name.as_str() {
                "-" => "-".to_string(),
                name => std::path::absolute(name).map_or_else(|_| name.to_string(), |p| p.display().to_string()),
            };
            (source, Some(sha256_hex(&image.bytes)))
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

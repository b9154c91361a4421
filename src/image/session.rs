//! What a run holds and learns as it goes, apart from its settings: the one HTTP client,
//! the progress display, the numbering of the output folder, each model's route state, the
//! reference uploads, the slots that bound open downloads, and the pacing of requests.

use std::path::Path;
use std::sync::OnceLock;

use reqwest::blocking::Client;

use crate::api::pace::Pacer;
use crate::api::route::RouteState;
use crate::api::route::memory::RouteMemory;
use crate::api::{self, Api};
use crate::catalogue::ImageModel;
use crate::error::Error;
use crate::files::label::RunLabel;
use crate::files::mask;
use crate::files::open_files::{Budget, Slots};
use crate::files::output::OutputDir;
use crate::files::reference::{self, LocalImage};
use crate::image::settings::{ModelRun, Settings};
use crate::journal::lock::{self, Held};
use crate::journal::recorder::Recorder;
use crate::term::ui::Ui;

pub struct Session<'a> {
    pub settings: &'a Settings,
    pub http: Client,
    pub ui: Ui,
    pub out: OutputDir,
    /// With `-o -`, the private folder the image is checked in before it goes to stdout.
    _stdout_stage: Option<StdoutStage>,
    /// Each model's route and what it learned of it, in the order of the models.
    pub routes: Vec<RouteState>,
    /// The reference images as files for a route that uploads them, made once per run
    /// whatever the models (URL ones downloaded).
    uploads: OnceLock<Result<Vec<LocalImage>, Error>>,
    /// One per open download (a connection and a file).
    pub downloads: Slots,
    /// Requests in flight at once: `--jobs`, lowered where the open-file limit is small.
    pub jobs: usize,
    pub journal: Recorder,
    /// The run the requests' Idempotency-Keys are derived from: the journal's (the one a
    /// resume takes up), else one of this process's own.
    pub run_key: String,
    /// What every image of each model is labelled with but its prompt and time, in the
    /// order of the models; empty with `--no-metadata`.
    pub labels: Vec<RunLabel>,
    /// The key's rate limit: one budget for every worker.
    pub pacer: Pacer,
}

impl<'a> Session<'a> {
    /// Everything a run needs before its first request: the output folder made and
    /// found writable, the client built, the open-file budget set.
    pub fn start(settings: &'a Settings) -> Result<Self, Error> {
        Self::recording(settings, crate::image::recorder::start)
    }

    /// The same, with the journal recorder `journal` makes (a resume records into the
    /// run it resumes).
    pub fn recording(
        settings: &'a Settings,
        journal: impl FnOnce(&Settings, &str, &Ui) -> Recorder,
    ) -> Result<Self, Error> {
        let ui = Ui::matrix(settings.display, settings.prompts.len() as u64, settings.models.len() as u64);
        let stage = match settings.to_stdout {
            true => Some(StdoutStage::make()?),
            false => None,
        };
        let out = OutputDir::new(stage.as_ref().map(|s| s.dir.path().to_path_buf()).or_else(|| settings.out.clone()));
        out.create()?;
        let out_dir = match settings.to_stdout {
            true => "-".to_string(),
            false => out.absolute().display().to_string(),
        };
        let journal = journal(settings, &out_dir, &ui);
        // Part files named after the run: its resume knows a killed process's for its own.
        let out = out.for_run(journal.attempted());
        let labels = match settings.metadata {
            true => settings.models.iter().map(|model| label(settings, model, journal.run_id())).collect(),
            false => Vec::new(),
        };
        let budget = Budget::of_process(settings.jobs);
        if budget.jobs < settings.jobs {
            ui.warn(&format!(
                "--jobs {} lowered to {}: more connections than the open-file limit allows",
                settings.jobs, budget.jobs
            ));
        }
        Ok(Self {
            settings,
            http: api::http_client()?,
            ui,
            out,
            _stdout_stage: stage,
            routes: settings.models.iter().map(|model| route_state(settings, &model.model)).collect(),
            uploads: OnceLock::new(),
            downloads: Slots::new(budget.downloads),
            jobs: budget.jobs,
            run_key: journal.attempted().map_or_else(crate::journal::new_run_id, str::to_string),
            journal,
            labels,
            pacer: Pacer::new(settings.rpm),
        })
    }

    /// The reference images as files, made once per run (URL ones downloaded, and only then
    /// checked against the mask).
    fn uploads(&self) -> Result<&[LocalImage], Error> {
        let make = || {
            let files = reference::as_files(&self.http, &self.settings.references, self.settings.download_timeout)?;
            if let (Some(mask), Some(first)) = (&self.settings.mask, files.first()) {
                mask::check_fits(mask, first)?;
            }
            Ok(files)
        };
        self.uploads.get_or_init(make).as_deref().map_err(Clone::clone)
    }

    /// The label of the images of the run's model `model`, if they are labelled.
    pub fn label(&self, model: usize) -> Option<&RunLabel> {
        self.labels.get(model)
    }

    /// Runs `call` with the API client of this session, for requests of the run's model `model`.
    pub fn with_api<R>(&self, model: usize, call: impl FnOnce(&Api) -> R) -> R {
        let uploads = || self.uploads();
        let api = Api {
            http: &self.http,
            settings: &self.settings.api,
            routes: &self.routes[model],
            ui: &self.ui,
            uploads: &uploads,
            pacer: &self.pacer,
            turn_taken: false.into(),
            out: &self.out,
            label: self.label(model),
        };
        call(&api)
    }
}

/// What every image `model` makes in the run is labelled with but its prompt and time.
fn label(settings: &Settings, model: &ModelRun, run: Option<&str>) -> RunLabel {
    RunLabel {
        model: model.model.name.clone(),
        run: run.map(String::from),
        route: settings.api.route.name().to_string(),
        params: model.extra.clone(),
        references: settings.references.iter().map(crate::image::recorder::reference_record).collect(),
        mask: settings.mask.as_ref().map(crate::image::recorder::file_record),
        prompt_in_file: settings.prompt_in_file,
        offline: settings.offline,
    }
}

/// `model`'s route for the run, starting where an earlier run learned the service serves it.
fn route_state(settings: &Settings, model: &ImageModel) -> RouteState {
    let memory = settings.state_dir.clone().map(|dir| RouteMemory::new(dir, settings.api.base.as_str(), &model.name));
    RouteState::remembering(settings.api.route, model.row.routes, memory)
}

/// Where `-o -` saves its image before copying it to standard output: a folder of its
/// own in `$TMPDIR`, locked for the run's life. A run killed with `kill -9` cannot remove
/// it; the next `-o -` run removes every such folder whose lock no process holds.
#[derive(Debug)]
pub struct StdoutStage {
    dir: tempfile::TempDir,
    _lock: Option<Held>,
}

const STAGE_PREFIX: &str = "wan-stdout-";

impl StdoutStage {
    fn make() -> Result<Self, Error> {
        let temp = std::env::temp_dir();
        remove_dead_stages(&temp);
        let dir = tempfile::Builder::new()
            .prefix(STAGE_PREFIX)
            .tempdir_in(&temp)
            .map_err(|e| Error::io("cannot make a temporary folder", &e))?;
        let lock = lock::try_take(&dir.path().join(".lock"), "writing to standard output").ok().and_then(Result::ok);
        Ok(Self { dir, _lock: lock })
    }
}

/// Removes the stage folders of `-o -` runs that ended without removing them.
fn remove_dead_stages(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name.to_str().is_some_and(|n| n.starts_with(STAGE_PREFIX));
        // Not followed: a link of that name is not ours to remove.
        if ours
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && lock::is_held(&entry.path().join(".lock")) == Some(false)
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

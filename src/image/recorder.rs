//! A `generate` or `edit` run as the journal records it, before its first request.

use serde_json::Value;

use crate::files::digest::sha256_hex;
use crate::files::reference::{LocalImage, Reference};
use crate::image::settings::Settings;
use crate::journal::recorder::Recorder;
use crate::journal::{PromptsRecord, RunRecord};
use crate::term::ui::Ui;

/// Opens the journal (unless `--no-journal`) and records the run; after one warning,
/// a recorder that records nothing when it cannot.
pub fn start(settings: &Settings, out_dir: &str, ui: &Ui) -> Recorder {
    let dir = settings.state_dir.as_deref().filter(|_| settings.journal);
    Recorder::open(dir, WITHOUT, ui).begin_run(run_record(settings, out_dir), ui)
}

/// What a run loses when the journal fails, as the warning says.
pub const WITHOUT: &str = "this run cannot be resumed";

fn run_record(settings: &Settings, out_dir: &str) -> RunRecord {
    let plan = settings.plan();
    RunRecord {
        command: if settings.references.is_empty() { "generate" } else { "edit" },
        model: settings.model.name.clone(),
        route: settings.api.route.name(),
        base_url: settings.api.base.to_string(),
        out_dir: out_dir.to_string(),
        stem: settings.name.clone(),
        count: settings.count,
        per_request: plan.per_request(),
        prompts: PromptsRecord {
            len: settings.prompts.len(),
            shard: settings.prompts.shard,
            each: Box::new(
                settings.prompts.iter().map(|prompt| prompt.map(|text| text.to_string()).map_err(|e| e.message)),
            ),
        },
        extra: Value::Object(settings.extra.clone()).to_string(),
        // Per image; a model priced per request records its price on each request instead.
        price: settings.model.row.price.per_image(),
        references: settings.references.iter().map(reference_record).collect(),
        mask: settings.mask.as_ref().map(file_record),
        offline: settings.offline,
        metadata: settings.metadata,
        prompt_in_file: settings.prompt_in_file,
    }
}

/// A reference as the journal keeps it: where it came from and its SHA-256, never its bytes.
pub fn reference_record(reference: &Reference) -> (String, Option<String>) {
    match reference {
        Reference::Url(url) => (url.clone(), None),
        Reference::Local(image) => {
            let (source, sha256) = file_record(image);
            (source, Some(sha256))
        }
    }
}

/// A file read for the run (a local reference, a mask) as the journal keeps it: where it
/// was read (absolute; `-` for standard input) and its SHA-256.
pub fn file_record(image: &LocalImage) -> (String, String) {
    let source = match image.name.as_str() {
        "-" => "-".to_string(),
        name => std::path::absolute(name).map_or_else(|_| name.to_string(), |p| p.display().to_string()),
    };
    (source, sha256_hex(&image.bytes))
}

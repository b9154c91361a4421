//! A `generate` or `edit` run as the journal records it, before its first request.

use serde_json::{Value, json};

use crate::catalogue::ImageModel;

use crate::files::digest::sha256_hex;
use crate::files::reference::{LocalImage, Reference};
use crate::image::settings::{ModelRun, Settings};
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
    let first = &settings.models[0];
    let names: Vec<&str> = settings.models.iter().map(|m| m.model.name.as_str()).collect();
    RunRecord {
        command: if settings.references.is_empty() { "generate" } else { "edit" },
        model: names.join(","),
        route: settings.api.route.name(),
        base_url: settings.api.base.to_string(),
        out_dir: out_dir.to_string(),
        stem: settings.name.clone(),
        count: settings.count,
        per_request: first.per_request,
        prompts: PromptsRecord {
            len: settings.prompts.len(),
            shard: settings.prompts.shard,
            each: Box::new(
                settings.prompts.iter().map(|prompt| prompt.map(|text| text.to_string()).map_err(|e| e.message)),
            ),
        },
        extra: Value::Object(first.extra.clone()).to_string(),
        // Per image; a model priced per request, and every model of a matrix, records its
        // price on each request instead.
        price: first.model.row.price.per_image().filter(|_| !settings.is_matrix()),
        references: settings.references.iter().map(reference_record).collect(),
        mask: settings.mask.as_ref().map(file_record),
        offline: settings.offline,
        metadata: settings.metadata,
        prompt_in_file: settings.prompt_in_file,
        models: settings.is_matrix().then(|| models_record(&settings.models).to_string()),
    }
}

/// A matrix's models as the journal keeps them, for a resume to plan from again.
pub fn models_record(models: &[ModelRun]) -> Value {
    models
        .iter()
        .map(|m| json!({"model": m.model.name, "per_request": m.per_request, "extra": Value::Object(m.extra.clone())}))
        .collect()
}

/// A matrix's models read back from the journal (see [`models_record`]); `None` where the
/// record is not of that shape.
pub fn models_of(record: &str) -> Option<Vec<ModelRun>> {
    let Value::Array(models) = serde_json::from_str(record).ok()? else { return None };
    models
        .into_iter()
        .map(|m| {
            let model = ImageModel::named(m.get("model")?.as_str()?.to_string());
            let per_request = u32::try_from(m.get("per_request")?.as_u64()?).ok()?;
            let Value::Object(extra) = m.get("extra")?.clone() else { return None };
            Some(ModelRun { model, per_request, extra })
        })
        .collect()
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

//! `--dry-run`: the requests a run would send and what they would cost; nothing is sent.

use crate::api::request;
use crate::api::route::RouteState;
use crate::catalogue::bill::Bill;
use crate::error::Error;
use crate::image::queue::Dispatch;
use crate::image::settings::Settings;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;
use crate::term::ui::Ui;

/// Bodies shown at most: a huge plan is previewed, not printed whole.
pub const MAX_SHOWN: u64 = 20;

/// Prints each body as pretty JSON on stdout (base64 abbreviated), up to [`MAX_SHOWN`],
/// where they would go on stderr, and the cost the run would have.
pub fn print(settings: &Settings) -> Result<Outcome, Error> {
    let ui = Ui::new(settings.display, 0);
    if crate::image::run::empty_shard(settings, &ui) {
        return Ok(Outcome::Success);
    }
    let plan = settings.plan();
    // What the first request would meet: with `auto`, the catalogue's route for the
    // model (the chat route of the seeds for Wan).
    let routes = settings.model.row.routes;
    let adapter = RouteState::new(settings.api.route, routes).first().adapter();
    let mut stdout = Stdout::default();
    let mut url = String::new();
    // Only the prompts shown are read back.
    let dispatch = Dispatch::new(&plan, &settings.prompts);
    for i in 0..plan.len().min(MAX_SHOWN) {
        let Some(request) = dispatch.next() else { break };
        let job = settings.job(request.planned, &request.prompt.text, None);
        url = adapter.url(&settings.api, &job);
        ui.verbose(&format!("request {} of {}: POST {url}", i + 1, plan.len()));
        let shown = serde_json::to_string_pretty(&request::abbreviated(&adapter.preview(&job)))
            .expect("JSON always serialises");
        stdout.line(&shown)?;
    }
    if let Some(error) = dispatch.failure() {
        return Err(error);
    }
    let n = plan.len();
    if n > MAX_SHOWN {
        ui.warn(&format!("(the first {MAX_SHOWN} of {n} request bodies are shown; the others are built the same way)"));
    }
    let bill = Bill::estimate(settings.model.row.price, plan.images(), n);
    let prompts = &settings.prompts;
    let share = match prompts.shard {
        Some(shard) => format!(" (shard {shard}: {} of the {} prompts)", prompts.len(), prompts.total),
        None => String::new(),
    };
    let nothing = if settings.quote { "nothing is run: the service prices it" } else { "nothing was sent" };
    ui.summary(&format!(
        "dry run{share}: would send {n} request{} to {url} · {} · {} · {nothing}",
        plural(n),
        settings.model,
        bill.describe()
    ));
    Ok(Outcome::Success)
}

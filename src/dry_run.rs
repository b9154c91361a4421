//! `--dry-run`: the requests a run would send and what they would cost; nothing is sent.

use crate::api::request;
use crate::api::route::RouteState;
use crate::cost::Bill;
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::plan;
use crate::report::{Stdout, plural};
use crate::settings::Settings;
use crate::ui::Ui;

/// Bodies shown at most: a huge plan is previewed, not printed whole.
pub const MAX_SHOWN: u64 = 20;

/// Prints each body as pretty JSON on stdout (base64 abbreviated), up to [`MAX_SHOWN`],
/// where they would go on stderr, and the cost the run would have.
pub fn print(settings: &Settings) -> Result<Outcome, Error> {
    let ui = Ui::new(settings.display, 0);
    let plan = settings.plan();
    // What the first request would meet: with `auto`, the chat route of the seeds.
    let adapter = RouteState::new(settings.api.route).first().adapter();
    let mut stdout = Stdout::default();
    let mut url = String::new();
    let dispatch = Dispatch::new(plan, &settings.prompts);
    for i in 0..plan.len().min(MAX_SHOWN) {
        let Some(request) = dispatch.next() else { break };
        let job = plan::job(settings, request.planned, &request.prompt.text);
        url = settings.api.url(&adapter.path(&job));
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
        ui.warn(&format!(
            "(the first {MAX_SHOWN} of {n} request bodies are shown; the rest differ only in prompt and n)"
        ));
    }
    let mut bill = Bill::new(&settings.model);
    bill.add_answer(plan.images(), None);
    ui.summary(&format!(
        "dry run: would send {n} request{} to {url} · {} · {} · nothing was sent",
        plural(n),
        settings.model,
        bill.describe()
    ));
    Ok(Outcome::Success)
}

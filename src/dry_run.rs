//! `--dry-run`: the requests a run would send and what they would cost; nothing is sent.

use serde_json::Value;

use crate::api::request;
use crate::api::route::Endpoint;
use crate::cost::Bill;
use crate::error::Error;
use crate::report::{Stdout, plural};
use crate::run;
use crate::settings::RunSettings;

/// Prints each body as pretty JSON on stdout (base64 abbreviated), where it would go on
/// stderr, and the cost the run would have.
pub fn print(settings: &RunSettings) -> Result<u8, Error> {
    let planned = run::plan(settings.prompts.len(), settings.count);
    // What the first request would meet: with `auto`, the chat route of the seeds.
    let endpoint = settings.api.routes.first();
    let editing = !settings.references.is_empty();
    let url = settings.api.url(endpoint, editing);
    let mut stdout = Stdout::default();
    let mut bill = Bill::new(&settings.model);
    for (i, request) in planned.iter().enumerate() {
        let job = settings.job(request);
        let body: Value = match (endpoint, editing) {
            (Endpoint::Chat, _) => request::chat_body(&job),
            (Endpoint::Images, false) => request::images_body(&job),
            (Endpoint::Images, true) => request::edit_form_preview(&job),
        };
        settings.ui.verbose(&format!("request {} of {}: POST {url}", i + 1, planned.len()));
        let shown = serde_json::to_string_pretty(&request::abbreviated(&body)).expect("JSON always serialises");
        stdout.line(&shown)?;
        bill.add_answer(u64::from(request.n), None);
    }
    let n = planned.len() as u64;
    settings.ui.summary(&format!(
        "dry run: would send {n} request{} to {url} · {} · {} · nothing was sent",
        plural(n),
        settings.model,
        bill.describe()
    ));
    Ok(0)
}

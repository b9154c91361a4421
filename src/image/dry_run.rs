//! `--dry-run`: the requests a run would send and what they would cost; nothing is sent.

use crate::api::request;
use crate::api::route::Adapter;
use crate::api::route::RouteState;
use crate::catalogue::bill::Bill;
use crate::error::Error;
use crate::files::prompts::MAX_PROMPT_BYTES;
use crate::image::plan::Plan;
use crate::image::queue::Dispatch;
use crate::image::settings::Settings;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;
use crate::term::ui::Ui;

/// Bodies shown at most: a huge plan is previewed, not printed whole.
pub const MAX_SHOWN: u64 = 20;

/// Bytes of listed prompts written at once.
const LISTED_AT_ONCE: usize = 64 * 1024;

/// Prints each body as pretty JSON on stdout (base64 abbreviated), up to [`MAX_SHOWN`],
/// or, where a template made the prompts, every prompt one a line; where they would go on
/// stderr, and the cost the run would have.
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
    let url = match settings.prompts.expanded() {
        true => list_prompts(settings, &plan, adapter, &mut stdout, &ui)?,
        false => show_bodies(settings, &plan, adapter, &mut stdout, &ui)?,
    };
    let n = plan.len();
    if n > MAX_SHOWN && !settings.prompts.expanded() {
        ui.warn(&format!("(the first {MAX_SHOWN} of {n} request bodies are shown; the others are built the same way)"));
    }
    let bill = Bill::estimate(settings.model.row.price, plan.images(), n);
    let prompts = &settings.prompts;
    let share = match prompts.shard {
        Some(shard) => format!(" (shard {shard}: {} of the {} prompts)", prompts.len(), prompts.total),
        None => String::new(),
    };
    let listed = match prompts.expanded() {
        true => format!("{} prompt{} listed · ", prompts.len(), plural(prompts.len() as u64)),
        false => String::new(),
    };
    let nothing = if settings.quote { "nothing is run: the service prices it" } else { "nothing was sent" };
    ui.summary(&format!(
        "dry run{share}: {listed}would send {n} request{} to {url} · {} · {} · {nothing}",
        plural(n),
        settings.model,
        bill.describe()
    ));
    Ok(Outcome::Success)
}

/// The first [`MAX_SHOWN`] request bodies, each as pretty JSON; the URL they go to.
fn show_bodies(
    settings: &Settings,
    plan: &Plan,
    adapter: &dyn Adapter,
    stdout: &mut Stdout,
    ui: &Ui,
) -> Result<String, Error> {
    let mut url = String::new();
    // Only the prompts shown are read back.
    let dispatch = Dispatch::new(plan, &settings.prompts);
    for i in 0..plan.len().min(MAX_SHOWN) {
        let Some(request) = dispatch.next() else { break };
        let job = settings.job(request.planned, &request.prompt.text, None);
        url = adapter.url(&settings.api, &job);
        ui.verbose(&format!("request {} of {}: POST {url}", i + 1, plan.len()));
        let shown = serde_json::to_string_pretty(&request::abbreviated(&adapter.preview(&job)))
            .expect("JSON always serialises");
        stdout.line(&shown)?;
    }
    match dispatch.failure() {
        Some(error) => Err(error),
        None => Ok(url),
    }
}

/// Every prompt a template made, one a line, as they are made (the listing of a million
/// costs what one does; it stops when the reader goes away); the URL they would go to.
/// Their bodies are built as for any prompt, which a dry run of one shows.
fn list_prompts(
    settings: &Settings,
    plan: &Plan,
    adapter: &dyn Adapter,
    stdout: &mut Stdout,
    ui: &Ui,
) -> Result<String, Error> {
    let first = plan.get(0).expect("a run with prompts plans a request");
    let url = adapter.url(&settings.api, &settings.job(first, "", None));
    ui.verbose(&format!("each of the {} requests: POST {url}", plan.len()));
    // Written some lines at a time: a write for each of a million lines is most of the work.
    let mut lines = String::with_capacity(LISTED_AT_ONCE + MAX_PROMPT_BYTES);
    for prompt in settings.prompts.iter() {
        lines.push_str(&prompt?);
        lines.push('\n');
        if lines.len() >= LISTED_AT_ONCE {
            stdout.write_all(lines.as_bytes())?;
            lines.clear();
            if stdout.closed() {
                return Ok(url);
            }
        }
    }
    stdout.write_all(lines.as_bytes())?;
    Ok(url)
}

//! `--dry-run`: the requests a run would send and what they would cost; nothing is sent.

use crate::api::request;
use crate::api::route::{Adapter, RouteState};
use crate::catalogue::bill::Bill;
use crate::error::Error;
use crate::files::prompts::MAX_PROMPT_BYTES;
use crate::image::plan::Plan;
use crate::image::queue::{Dispatch, Request};
use crate::image::settings::{Settings, estimates};
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
/// stderr, and the cost the run would have (in a matrix, each model's too).
pub fn print(settings: &Settings) -> Result<Outcome, Error> {
    let ui = Ui::new(settings.display, 0);
    if crate::image::run::empty_shard(settings, &ui) {
        return Ok(Outcome::Success);
    }
    let plan = settings.plan();
    // What the first request of each model would meet: with `auto`, the catalogue's route
    // for it (the chat route of the seeds for Wan).
    let adapters: Vec<&dyn Adapter> = settings
        .models
        .iter()
        .map(|model| RouteState::new(settings.api.route, model.model.row.routes).first().adapter())
        .collect();
    let mut stdout = Stdout::default();
    let urls = match settings.prompts.expanded() {
        true => list_prompts(settings, &plan, &adapters, &mut stdout, &ui)?,
        false => show_bodies(settings, &plan, &adapters, &mut stdout, &ui)?,
    };
    let n = plan.len();
    if n > MAX_SHOWN && !settings.prompts.expanded() {
        ui.warn(&format!("(the first {MAX_SHOWN} of {n} request bodies are shown; the others are built the same way)"));
    }
    let bills = estimates(&settings.image_models(), &plan);
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
    let whither = match (&urls[..], &bills[..]) {
        ([url], [bill]) => format!("to {url} · {} · {}", settings.model(), bill.describe()),
        _ => {
            let named: Vec<(&str, &Bill)> = settings.models.iter().map(|m| m.model.name.as_str()).zip(&bills).collect();
            format!("to {} models · {}", settings.models.len(), crate::catalogue::bill::describe_each(&named))
        }
    };
    ui.summary(&format!("dry run{share}: {listed}would send {n} request{} {whither} · {nothing}", plural(n)));
    Ok(Outcome::Success)
}

/// The first [`MAX_SHOWN`] request bodies, each as pretty JSON (in a matrix, each prompt
/// and model named first with its price); the URL each model's go to.
fn show_bodies(
    settings: &Settings,
    plan: &Plan,
    adapters: &[&dyn Adapter],
    stdout: &mut Stdout,
    ui: &Ui,
) -> Result<Vec<String>, Error> {
    let mut urls = vec![String::new(); adapters.len()];
    // Only the prompts shown are read back.
    let dispatch = Dispatch::new(plan, &settings.prompts);
    for i in 0..plan.len().min(MAX_SHOWN) {
        let Some(request) = dispatch.next() else { break };
        let model = request.planned.model;
        let job = settings.job(request.planned, &request.prompt.text, None);
        let url = adapters[model].url(&settings.api, &job);
        ui.verbose(&format!("request {} of {}: POST {url}", i + 1, plan.len()));
        if settings.is_matrix() && request.planned.chunk == plan.first_chunk(model) {
            ui.summary(&item_line(settings, plan, &request));
        }
        let shown = serde_json::to_string_pretty(&request::abbreviated(&adapters[model].preview(&job)))
            .expect("JSON always serialises");
        stdout.line(&shown)?;
        urls[model] = url;
    }
    match dispatch.failure() {
        Some(error) => Err(error),
        None => Ok(urls),
    }
}

/// A matrix's (prompt, model) as the dry run lists it, with what it would cost:
/// `prompt 1 ("red panda") · gpt-image-2 · 2 images in 1 request · 2 × $0.050 = $0.100`.
fn item_line(settings: &Settings, plan: &Plan, request: &Request) -> String {
    let model = &settings.models[request.planned.model].model;
    let requests = plan.requests_of_model(request.planned.model);
    let bill = Bill::estimate(model.row.price, u64::from(settings.count), requests);
    let text: String = crate::error::clean(&request.prompt.text).chars().take(40).collect();
    format!(
        "prompt {} ({text:?}) · {model} · {} image{} in {requests} request{} · {}",
        settings.prompts.number(request.prompt.index),
        settings.count,
        plural(u64::from(settings.count)),
        plural(requests),
        bill.describe()
    )
}

/// Every prompt a template made, one a line, as they are made (the listing of a million
/// costs what one does; it stops when the reader goes away); the URL each model's requests
/// would go to. Their bodies are built as for any prompt, which a dry run of one shows.
fn list_prompts(
    settings: &Settings,
    plan: &Plan,
    adapters: &[&dyn Adapter],
    stdout: &mut Stdout,
    ui: &Ui,
) -> Result<Vec<String>, Error> {
    let mut urls = Vec::new();
    for (model, adapter) in adapters.iter().enumerate() {
        let first = plan.at(0, plan.first_chunk(model)).expect("a run with prompts plans a request of each model");
        let url = adapter.url(&settings.api, &settings.job(first, "", None));
        let of = if settings.is_matrix() { format!(" of {}", settings.models[model].model) } else { String::new() };
        ui.verbose(&format!("each of the {} requests{of}: POST {url}", plan.len()));
        urls.push(url);
    }
    // Written some lines at a time: a write for each of a million lines is most of the work.
    let mut lines = String::with_capacity(LISTED_AT_ONCE + MAX_PROMPT_BYTES);
    for prompt in settings.prompts.iter() {
        lines.push_str(&prompt?);
        lines.push('\n');
        if lines.len() >= LISTED_AT_ONCE {
            stdout.write_all(lines.as_bytes())?;
            lines.clear();
            if stdout.closed() {
                return Ok(urls);
            }
        }
    }
    stdout.write_all(lines.as_bytes())?;
    Ok(urls)
}

//! `--dry-run --quote`: the service asked to price each distinct request of the run (a
//! quote: priced, not run, not billed), its estimate shown beside the list price.

use crate::api::Quote;
use crate::catalogue::bill::Bill;
use crate::catalogue::money::{Micros, format_usd};
use crate::error::Error;
use crate::image::plan::Planned;
use crate::image::save::{self, Batch};
use crate::image::session::Session;
use crate::image::settings::{Settings, estimates};
use crate::journal::recorder::Recorder;
use crate::outcome::Outcome;
use crate::term::text::plural;

/// Asks one quote per distinct request: the requests of a run differ only by their prompt,
/// their model and their number of images (a prompt's last request may ask for fewer), so
/// a batch of 100,000 prompts needs at most two a model. Each is priced with the first prompt.
pub fn ask(settings: &Settings) -> Result<Outcome, Error> {
    let plan = settings.plan();
    let Some(prompt) = settings.prompts.iter().next().transpose()? else { return Ok(Outcome::Success) };
    // How many requests of each size the plan holds of each model: full ones, and the
    // last of each prompt.
    let prompts = settings.prompts.len() as u64;
    let count = u64::from(settings.count);
    let sizes: Vec<(usize, u32, u64)> = (0..settings.models.len())
        .flat_map(|model| {
            let per_request = u64::from(plan.per_request(model));
            [(per_request, prompts.saturating_mul(count / per_request)), (count % per_request, prompts)]
                .into_iter()
                .filter(|&(n, requests)| n > 0 && requests > 0)
                .map(move |(n, requests)| (model, n as u32, requests))
        })
        .collect();
    let session = Session::recording(settings, |_, _, _| Recorder::default())?;
    let ui = &session.ui;
    ui.note(&format!(
        "asking the service for {} quote{} (one for each distinct request of the {} planned; nothing is run)",
        sizes.len(),
        plural(sizes.len() as u64),
        plan.len()
    ));
    let mut total: Option<Micros> = Some(0);
    for &(model, n, requests) in &sizes {
        let planned = Planned { prompt: 0, chunk: plan.first_chunk(model), n, model };
        let job = crate::api::request::Job { quote: true, ..settings.job(planned, &prompt, None) };
        let answer = session.with_api(model, |api| api.generate(&job))?;
        let named = &settings.models[model].model;
        let listed = Bill::estimate(named.row.price, u64::from(n), 1).listed();
        match answer.quote {
            Some(quote) => {
                let line = describe(&quote, n, requests, listed);
                ui.summary(&match settings.is_matrix() {
                    true => line.replacen("quote: ", &format!("quote: {named}, "), 1),
                    false => line,
                });
                total = total.and_then(|sum| sum.checked_add(quote.estimated.saturating_mul(requests)));
            }
            None => {
                // A service that does not quote ran the request: its images are paid for.
                ui.warn(&format!(
                    "warning: the service does not quote: it ran the request for {n} image{} of {named} instead, \
                     and may have billed it; its images are saved",
                    plural(u64::from(n))
                ));
                let stem = settings.stem_for(&prompt, model);
                let batch = Batch { stem: &stem, prompt: &prompt, model, rows: None };
                let task = ui.task(None, &named.name, n);
                let on_saved = |landed: save::Landed| {
                    if let save::Landed::Saved(image) = landed {
                        ui.warn(&format!("saved {}", image.path.display()));
                    }
                };
                for unsaved in save::save_all(&session, &batch, answer.images, &task, &on_saved) {
                    ui.error(&unsaved.error);
                }
                total = None;
            }
        }
    }
    let listed = crate::catalogue::bill::sum(&estimates(&settings.image_models(), &plan));
    if let Some(total) = total.filter(|_| sizes.len() > 1 || sizes.first().is_some_and(|s| s.2 > 1)) {
        ui.summary(&format!(
            "quote: the whole run, {} request{}: {} by the service's estimates · list price {}",
            plan.len(),
            plural(plan.len()),
            format_usd(total),
            listed.map_or_else(|| "unknown".to_string(), format_usd)
        ));
    }
    Ok(Outcome::Success)
}

/// `quote: a request of 4 images: $0.120 (exact) · list price $0.120 · 2 such requests`.
fn describe(quote: &Quote, n: u32, requests: u64, listed: Option<Micros>) -> String {
    let list = listed.map_or_else(|| "unknown".to_string(), format_usd);
    let mut line = format!(
        "quote: a request of {n} image{}: {} ({}) · list price {list} · {requests} such request{}",
        plural(u64::from(n)),
        format_usd(quote.estimated),
        quote.kind,
        plural(requests)
    );
    if quote.may_exceed {
        line.push_str(" · the service may charge more than its estimate");
    }
    line
}

//! A `generate` or `edit` run's settings: plain, checked values, decided once before anything is sent.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::api::ApiSettings;
use crate::api::request::Job;
use crate::catalogue::bill::Bill;
use crate::catalogue::money::{self, Micros};
use crate::catalogue::{ImageModel, Price};
use crate::error::Error;
use crate::files::output;
use crate::files::prompts::Prompts;
use crate::files::reference::{LocalImage, Reference};
use crate::image::plan::{Plan, Planned};
use crate::term::ui::Display;

/// Everything a `generate` or `edit` run needs, checked: plain values, decided once.
/// What the run learns as it goes lives in its `Session`.
#[derive(Debug)]
pub struct Settings {
    /// Read as they are needed: a batch is never held whole.
    pub prompts: Prompts,
    pub references: Vec<Reference>,
    /// `--mask` for the first reference, checked (gpt-image's edits).
    pub mask: Option<LocalImage>,
    pub model: ImageModel,
    /// Images per prompt.
    pub count: u32,
    /// Images one request may ask for, from the catalogue (and the route).
    pub per_request: u32,
    /// `-o` (or the config file's `out`) as given; `None` for the current folder.
    pub out: Option<PathBuf>,
    /// `-o -`: the one image's bytes go to standard output, nothing else does.
    pub to_stdout: bool,
    /// `--name`, else each prompt's slug.
    pub name: Option<String>,
    /// `size` and `--param` fields for the body.
    pub extra: Map<String, Value>,
    pub api: ApiSettings,
    pub download_timeout: Duration,
    pub jobs: usize,
    /// `--rpm`: requests started a minute at most, across all workers.
    pub rpm: Option<u32>,
    pub json: bool,
    pub dry_run: bool,
    /// `--quote`: a dry run asks the service to price its requests.
    pub quote: bool,
    /// `--open`: show the saved files in the system's viewer when the run ends.
    pub open: bool,
    pub display: Display,
    /// Where what `wan` learns between runs is kept; `None` when the environment names
    /// no folder (no `WAN_STATE_DIR`, `XDG_STATE_HOME` or `HOME`).
    pub state_dir: Option<PathBuf>,
    /// Record the run in the journal (not with `--no-journal` or `WAN_JOURNAL=off`).
    pub journal: bool,
    /// `--max-cost` (or the config file's `max_cost`), checked before sending and told
    /// the service request by request.
    pub max_cost: Option<Micros>,
    /// A label in each image (not with `--no-metadata` or `metadata = false`).
    pub metadata: bool,
    /// Sent to the emulator inside `wan` (`--offline`): the journal marks the run.
    pub offline: bool,
    /// `--preview` on a terminal: how it shows each image as it lands.
    pub preview: Option<crate::term::preview::Protocol>,
    /// The prompt in that label (not with `--no-prompt-in-file` or `prompt_in_file = false`).
    pub prompt_in_file: bool,
}

impl Settings {
    /// The stem of the files for a prompt.
    pub fn stem_for(&self, prompt: &str) -> String {
        self.name.clone().unwrap_or_else(|| output::slug(prompt))
    }

    /// The requests of the run, made as they are needed.
    pub fn plan(&self) -> Plan {
        Plan::new(self.prompts.len(), self.count, self.per_request)
    }

    /// The job of one planned request, for its prompt, sent with `idempotency_key`.
    pub fn job<'a>(&'a self, request: Planned, prompt: &'a str, idempotency_key: Option<&'a str>) -> Job<'a> {
        Job {
            model: &self.model.name,
            prompt,
            references: &self.references,
            mask: self.mask.as_ref(),
            n: request.n,
            extra: &self.extra,
            idempotency_key,
            max_price: self.max_price(request),
            quote: false,
        }
    }

    /// `--max-cost` as the service is told it, a request at a time (`X-AISA-Max-Price-USD`):
    /// this request's list price and its share of what the plan leaves of the limit, so the
    /// caps of all requests add up to the limit at most. None without a limit or a price.
    pub fn max_price(&self, request: Planned) -> Option<Micros> {
        let limit = self.max_cost?;
        let plan = self.plan();
        let planned = self.list_price()?;
        let own = Bill::estimate(self.model.row.price, u64::from(request.n), 1).listed()?;
        let share = limit.saturating_sub(planned) / plan.len().max(1);
        Some(own.saturating_add(share))
    }

    /// The run's list price in full, where the catalogue knows it.
    pub fn list_price(&self) -> Option<Micros> {
        let plan = self.plan();
        Bill::estimate(self.model.row.price, plan.images(), plan.len()).listed()
    }

    /// Refuses a run that could cost more than `limit` (USD, as `--max-cost` takes it),
    /// or whose price is unknown, as `--max-cost` does; `name` says where the limit was
    /// set (`wan mcp`'s `--max-cost-per-call`).
    pub fn check_cost_limit(&self, limit: &str, name: &str) -> Result<(), Error> {
        check_max_cost(limit, name, &self.model, self.plan()).map(|_| ())
    }
}

/// The stems a run will number files under, and how many each: `--name` for all of
/// them, else each prompt's slug (read as the run will read them).
pub fn names_used<'a>(
    prompts: &'a Prompts,
    name: Option<&'a str>,
    count: u32,
) -> Box<dyn Iterator<Item = Result<(String, u64), Error>> + 'a> {
    match name {
        Some(name) => Box::new(std::iter::once(Ok((name.to_string(), prompts.len() as u64 * u64::from(count))))),
        None => Box::new(prompts.iter().map(move |prompt| Ok((output::slug(&prompt?), u64::from(count))))),
    }
}

/// Refuses, before anything is sent, a run whose list price is over the limit or unknown:
/// per image or per request, as the catalogue prices the model. `name` says where the
/// limit was set: `--max-cost`, or the config file.
pub fn check_max_cost(limit: &str, name: &str, model: &ImageModel, plan: Plan) -> Result<Micros, Error> {
    let micros = money::parse_limit_usd(limit)
        .ok_or_else(|| Error::usage(format!("{name} {limit:?} is not an amount in US dollars")))?;
    let bill = Bill::estimate(model.row.price, plan.images(), plan.len());
    let (Some(total), Some(formula)) = (bill.listed(), bill.formula()) else {
        let why = if bill.price == Price::ByTokens { "not fixed (it is billed by tokens)" } else { "unknown" };
        return Err(Error::usage(format!("{name} cannot be checked: the price of {model} is {why}")));
    };
    // A product past what a u64 holds is over any limit (the sums saturate).
    if total > micros {
        return Err(Error::usage(format!(
            "this run would cost {} ({formula}), more than {name} {}",
            money::format_usd(total),
            money::format_usd(micros)
        ))
        .with_hint(format!("lower -n, use fewer prompts, or raise {name}")));
    }
    Ok(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> ImageModel {
        ImageModel::named(name.to_string())
    }

    #[test]
    fn max_cost_refuses_runs_over_the_limit_or_of_unknown_price() {
        let wan = |images| Plan::new(1, images, 4);
        assert!(check_max_cost("0.12", "--max-cost", &model("wan2.7-image"), wan(4)).is_ok());
        assert!(check_max_cost("$0.12", "--max-cost", &model("wan2.7-image"), wan(4)).is_ok());
        let over = check_max_cost("0.10", "--max-cost", &model("wan2.7-image"), wan(4)).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.120 (4 × $0.030), more than --max-cost $0.100");
        assert!(check_max_cost("1", "--max-cost", &model("mystery-model"), wan(1)).is_err());
        assert!(check_max_cost("lots", "--max-cost", &model("wan2.7-image"), wan(1)).is_err());
        // 4,294,967,295 images of many prompts at the pro price: past what a u64 of micro-dollars holds
        let huge = Plan::new(usize::MAX, u32::MAX, 4);
        assert!(check_max_cost("18446744073709", "--max-cost", &model("wan2.7-image-pro"), huge).is_err());
    }

    #[test]
    fn max_cost_counts_requests_for_a_model_priced_per_request() {
        let seedream = Plan::new(1, 3, 1);
        let over = check_max_cost("0.10", "--max-cost", &model("seedream-5-0-260128"), seedream).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.105 (3 requests × $0.035), more than --max-cost $0.100");
        assert!(check_max_cost("0.105", "--max-cost", &model("seedream-5-0-260128"), seedream).is_ok());
        let tokens =
            check_max_cost("100", "--max-cost", &model("gpt-image-2.5-sunburst"), Plan::new(1, 1, 10)).unwrap_err();
        assert!(tokens.to_string().contains("billed by tokens"), "{tokens}");
    }
}

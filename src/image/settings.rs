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

/// One model of a run, and what its requests carry: a run has one, a matrix (`-m A,B,C`)
/// several, each with its own route, limits, size and price.
#[derive(Debug)]
pub struct ModelRun {
    pub model: ImageModel,
    /// Images one request may ask for, from the catalogue (and the route).
    pub per_request: u32,
    /// `size` (this model's own default where it needs one) and `--param` fields for the body.
    pub extra: Map<String, Value>,
}

/// Everything a `generate` or `edit` run needs, checked: plain values, decided once.
/// What the run learns as it goes lives in its `Session`.
#[derive(Debug)]
pub struct Settings {
    /// Read as they are needed: a batch is never held whole.
    pub prompts: Prompts,
    pub references: Vec<Reference>,
    /// `--mask` for the first reference, checked (gpt-image's edits).
    pub mask: Option<LocalImage>,
    /// The models each prompt goes to, in the order named: one, or a matrix's.
    pub models: Vec<ModelRun>,
    /// Images per prompt (and model).
    pub count: u32,
    /// `-o` (or the config file's `out`) as given; `None` for the current folder.
    pub out: Option<PathBuf>,
    /// `-o -`: the one image's bytes go to standard output, nothing else does.
    pub to_stdout: bool,
    /// `--name`, else each prompt's slug.
    pub name: Option<String>,
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
    /// The first model: the run's only one, but in a matrix.
    pub fn model(&self) -> &ImageModel {
        &self.models[0].model
    }

    /// Whether each prompt goes to several models.
    pub fn is_matrix(&self) -> bool {
        self.models.len() > 1
    }

    /// The run's models, in the order named.
    pub fn image_models(&self) -> Vec<&ImageModel> {
        self.models.iter().map(|m| &m.model).collect()
    }

    /// The stem of the files `model` makes for a prompt: in a matrix, ending in the model.
    pub fn stem_for(&self, prompt: &str, model: usize) -> String {
        let stem = self.name.clone().unwrap_or_else(|| output::slug(prompt));
        stem + &suffixes(&self.image_models())[model]
    }

    /// The requests of the run, made as they are needed.
    pub fn plan(&self) -> Plan {
        Plan::matrix(self.prompts.len(), self.count, self.models.iter().map(|m| m.per_request).collect())
    }

    /// The job of one planned request, for its prompt, sent with `idempotency_key`.
    pub fn job<'a>(&'a self, request: Planned, prompt: &'a str, idempotency_key: Option<&'a str>) -> Job<'a> {
        let model = &self.models[request.model];
        Job {
            model: &model.model.name,
            prompt,
            references: &self.references,
            mask: self.mask.as_ref(),
            n: request.n,
            extra: &model.extra,
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
        let own = Bill::estimate(self.models[request.model].model.row.price, u64::from(request.n), 1).listed()?;
        let share = limit.saturating_sub(planned) / plan.len().max(1);
        Some(own.saturating_add(share))
    }

    /// The run's list price in full (of every model of a matrix), where the catalogue knows it.
    pub fn list_price(&self) -> Option<Micros> {
        let bills = estimates(&self.image_models(), &self.plan());
        bills.iter().try_fold(0, |sum: Micros, bill| bill.listed().map(|listed| sum.saturating_add(listed)))
    }

    /// Refuses a run that could cost more than `limit` (USD, as `--max-cost` takes it),
    /// or whose price is unknown, as `--max-cost` does; `name` says where the limit was
    /// set (`wan mcp`'s `--max-cost-per-call`).
    pub fn check_cost_limit(&self, limit: &str, name: &str) -> Result<(), Error> {
        check_max_cost(limit, name, &self.image_models(), &self.plan()).map(|_| ())
    }
}

/// What each file stem ends in, per model: nothing for a run of one model; in a matrix,
/// `-` and the model's name as a file name takes it, so that the model shows.
pub fn suffixes(models: &[&ImageModel]) -> Vec<String> {
    match models {
        [_] => vec![String::new()],
        _ => models.iter().map(|model| format!("-{}", output::model_tag(&model.name))).collect(),
    }
}

/// The stems a run will number files under, and how many each: `--name` for all of
/// them, else each prompt's slug (read as the run will read them); in a matrix, each
/// with each model's suffix.
pub fn names_used<'a>(
    prompts: &'a Prompts,
    name: Option<&'a str>,
    count: u32,
    suffixes: Vec<String>,
) -> Box<dyn Iterator<Item = Result<(String, u64), Error>> + 'a> {
    match name {
        Some(name) => {
            let each = prompts.len() as u64 * u64::from(count);
            Box::new(suffixes.into_iter().map(move |suffix| Ok((format!("{name}{suffix}"), each))))
        }
        None => Box::new(prompts.iter().flat_map(move |prompt| {
            let uses: Vec<Result<(String, u64), Error>> = match prompt {
                Ok(prompt) => {
                    let slug = output::slug(&prompt);
                    suffixes.iter().map(|suffix| Ok((format!("{slug}{suffix}"), u64::from(count)))).collect()
                }
                Err(error) => vec![Err(error)],
            };
            uses
        })),
    }
}

/// What the plan would cost of each model at list price, in the order of the models.
pub fn estimates(models: &[&ImageModel], plan: &Plan) -> Vec<Bill> {
    let images = plan.images_per_model();
    models
        .iter()
        .enumerate()
        .map(|(m, model)| Bill::estimate(model.row.price, images, plan.requests_in_all(m)))
        .collect()
}

/// Refuses, before anything is sent, a run whose list price is over the limit or unknown:
/// per image or per request, as the catalogue prices each model, summed over a matrix's.
/// `name` says where the limit was set: `--max-cost`, or the config file.
pub fn check_max_cost(limit: &str, name: &str, models: &[&ImageModel], plan: &Plan) -> Result<Micros, Error> {
    let micros = money::parse_limit_usd(limit)
        .ok_or_else(|| Error::usage(format!("{name} {limit:?} is not an amount in US dollars")))?;
    let bills = estimates(models, plan);
    let mut total: Micros = 0;
    let mut formulas = Vec::new();
    for (model, bill) in models.iter().zip(&bills) {
        let (Some(listed), Some(formula)) = (bill.listed(), bill.formula()) else {
            let why = if bill.price == Price::ByTokens { "not fixed (it is billed by tokens)" } else { "unknown" };
            return Err(Error::usage(format!("{name} cannot be checked: the price of {model} is {why}")));
        };
        total = total.saturating_add(listed);
        formulas.push(match models.len() {
            1 => formula,
            _ => format!("{model} {formula}"),
        });
    }
    let formula = formulas.join(" + ");
    // A product past what a u64 holds is over any limit (the sums saturate).
    if total > micros {
        let fewer = if models.len() > 1 { "use fewer prompts or models" } else { "use fewer prompts" };
        return Err(Error::usage(format!(
            "this run would cost {} ({formula}), more than {name} {}",
            money::format_usd(total),
            money::format_usd(micros)
        ))
        .with_hint(format!("lower -n, {fewer}, or raise {name}")));
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
        assert!(check_max_cost("0.12", "--max-cost", &[&model("wan2.7-image")], &wan(4)).is_ok());
        assert!(check_max_cost("$0.12", "--max-cost", &[&model("wan2.7-image")], &wan(4)).is_ok());
        let over = check_max_cost("0.10", "--max-cost", &[&model("wan2.7-image")], &wan(4)).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.120 (4 × $0.030), more than --max-cost $0.100");
        assert!(check_max_cost("1", "--max-cost", &[&model("mystery-model")], &wan(1)).is_err());
        assert!(check_max_cost("lots", "--max-cost", &[&model("wan2.7-image")], &wan(1)).is_err());
        // 4,294,967,295 images of many prompts at the pro price: past what a u64 of micro-dollars holds
        let huge = Plan::new(usize::MAX, u32::MAX, 4);
        assert!(check_max_cost("18446744073709", "--max-cost", &[&model("wan2.7-image-pro")], &huge).is_err());
    }

    #[test]
    fn max_cost_counts_requests_for_a_model_priced_per_request() {
        let seedream = Plan::new(1, 3, 1);
        let over = check_max_cost("0.10", "--max-cost", &[&model("seedream-5-0-260128")], &seedream).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.105 (3 requests × $0.035), more than --max-cost $0.100");
        assert!(check_max_cost("0.105", "--max-cost", &[&model("seedream-5-0-260128")], &seedream).is_ok());
        let tokens =
            check_max_cost("100", "--max-cost", &[&model("gpt-image-2.5-sunburst")], &Plan::new(1, 1, 10)).unwrap_err();
        assert!(tokens.to_string().contains("billed by tokens"), "{tokens}");
    }

    #[test]
    fn max_cost_sums_a_matrix_of_models_each_at_its_own_price() {
        let (wan, seedream, gpt) = (model("wan2.7-image"), model("seedream-5-0-260128"), model("gpt-image-2"));
        // two prompts, -n 2: wan 4 images, seedream 4 requests, gpt-image 4 images
        let plan = Plan::matrix(2, 2, vec![4, 1, 10]);
        let models = [&wan, &seedream, &gpt];
        assert!(check_max_cost("0.46", "--max-cost", &models, &plan).is_ok());
        let over = check_max_cost("0.45", "--max-cost", &models, &plan).unwrap_err();
        assert_eq!(
            over.to_string(),
            "this run would cost $0.460 (wan2.7-image 4 × $0.030 + seedream-5-0-260128 4 requests × $0.035 + \
             gpt-image-2 4 × $0.050), more than --max-cost $0.450"
        );
        assert!(over.hint.unwrap().contains("fewer prompts or models"));
        let unknown = check_max_cost("100", "--max-cost", &[&wan, &model("mystery")], &Plan::matrix(1, 1, vec![4, 4]));
        assert_eq!(unknown.unwrap_err().to_string(), "--max-cost cannot be checked: the price of mystery is unknown");
    }

    #[test]
    fn a_matrix_names_its_files_with_each_model() {
        let (wan, gpt) = (model("wan2.7-image"), model("gpt-image-2"));
        assert_eq!(suffixes(&[&wan]), [""]);
        assert_eq!(suffixes(&[&wan, &gpt]), ["-wan2.7-image", "-gpt-image-2"]);
        let prompts = Prompts::batch("a fox\na cat\n".as_bytes(), "p", None).unwrap();
        let used: Vec<(String, u64)> =
            names_used(&prompts, None, 3, suffixes(&[&wan, &gpt])).map(Result::unwrap).collect();
        let expected =
            [("a-fox-wan2.7-image", 3), ("a-fox-gpt-image-2", 3), ("a-cat-wan2.7-image", 3), ("a-cat-gpt-image-2", 3)];
        assert_eq!(used, expected.map(|(s, n)| (s.to_string(), n)));
        let named: Vec<(String, u64)> =
            names_used(&prompts, Some("x"), 3, suffixes(&[&wan, &gpt])).map(Result::unwrap).collect();
        assert_eq!(named, [("x-wan2.7-image".to_string(), 6), ("x-gpt-image-2".to_string(), 6)]);
    }
}

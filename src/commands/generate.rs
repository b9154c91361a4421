//! `wan generate` and `wan edit`: the arguments read into checked settings (every usage
//! error found here, before anything is sent), then the run, or its dry run.

use std::fs;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::api::ApiSettings;
use crate::api::request::RESERVED_FIELDS;
use crate::api::route::Route;
use crate::catalogue::ImageModel;
use crate::cli::run::{EditArgs, GenerateArgs, RouteArg, RunArgs};
use crate::cli::values::SizeArg;
use crate::config;
use crate::config::api_key;
use crate::config::env::Env;
use crate::config::precedence::{self, Flags, Source};
use crate::error::Error;
use crate::files::mask;
use crate::files::output::{self, OutputDir};
use crate::files::prompts::{Prompts, Reading, checked_prompt, read_prompt_from_stdin};
use crate::files::reference::{self, LocalImage, Reference};
use crate::image::plan::Plan;
use crate::image::settings::{self, ModelRun, Settings, check_max_cost, names_used};
use crate::image::{dry_run, run};
use crate::outcome::Outcome;
use crate::shard::Shard;
use crate::term::ui::Display;

/// `wan generate`: the settings, then the dry run or the run.
pub fn generate(args: GenerateArgs, env: &Env) -> Result<Outcome, Error> {
    let settings = generate_settings(args, env, &mut std::io::stdin().lock())?;
    run_or_preview(&settings)
}

/// `wan edit`: the settings, then the dry run or the run.
pub fn edit(args: EditArgs, env: &Env) -> Result<Outcome, Error> {
    let settings = edit_settings(args, env, &mut std::io::stdin().lock())?;
    run_or_preview(&settings)
}

pub fn run_or_preview(settings: &Settings) -> Result<Outcome, Error> {
    if settings.dry_run {
        let outcome = dry_run::print(settings)?;
        return match settings.quote {
            true => crate::image::quote::ask(settings),
            false => Ok(outcome),
        };
    }
    crate::interrupt::install();
    run::run(settings)
}

pub fn generate_settings(args: GenerateArgs, env: &Env, stdin: &mut dyn Read) -> Result<Settings, Error> {
    let shard = args.run.shard;
    let reading = Reading::new(args.run.no_template, &args.run.vars)?;
    let prompts = match (&args.file, args.prompt.as_deref()) {
        (Some(file), _) => read_batch(file, stdin, &reading, shard)?,
        (None, Some(p)) if p != "-" => reading.one(checked_prompt(p.to_string())?, shard)?,
        (None, _) if env.stdin_is_terminal => {
            return Err(
                Error::usage("no prompt given").with_hint("wan generate \"a red panda\", or pipe the prompt in")
            );
        }
        (None, _) => {
            let prompt = checked_prompt(read_prompt_from_stdin(stdin)?)?;
            warn_if_a_batch(&prompt, args.run.quiet);
            reading.one(prompt, shard)?
        }
    };
    reading.check_all_used()?;
    resolve(args.run, prompts, Vec::new(), None, env, stdin)
}

/// A model whose list price is for one size (gpt-image-2's, for 1024×1024) may be charged
/// more at another: said before sending, so the estimate is not taken for the bill. `size`
/// is the one the body carries, whether `--size`, `--aspect` or `--param` chose it.
fn note_a_price_for_another_size(model: &ImageModel, size: Option<&Value>, quiet: bool) {
    let priced_at = model.row.price_note;
    let Some(size) = size.filter(|_| !priced_at.is_empty() && !quiet) else { return };
    let size = size.as_str().map_or_else(|| size.to_string(), str::to_string);
    if size != priced_at.replace('×', "x") {
        eprintln!(
            "wan: note: {model}'s list price is for {priced_at}; at {size} the service may charge more than the estimate"
        );
    }
}

/// `wan generate - < prompts.txt` sends the whole text as one prompt, as asked; a text of
/// several lines may have been meant as a batch, which `-f -` reads.
fn warn_if_a_batch(prompt: &str, quiet: bool) {
    let lines = prompt.lines().filter(|line| !line.trim().is_empty()).count();
    if lines > 1 && !quiet {
        eprintln!(
            "wan: note: standard input's {lines} lines go as one prompt; `-f -` reads them as a batch, one prompt a line"
        );
    }
}

/// A batch from a file or standard input, checked whole before anything is sent and
/// read back as requests need it (see `prompts`).
fn read_batch(file: &Path, stdin: &mut dyn Read, reading: &Reading, shard: Option<Shard>) -> Result<Prompts, Error> {
    let name = file.display().to_string();
    if file == Path::new("-") {
        return reading.batch(BufReader::new(stdin), "standard input", shard);
    }
    let opened = fs::File::open(file).map_err(|e| Error::usage(format!("cannot read prompts from {name}: {e}")))?;
    if opened.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::usage(format!("cannot read prompts from {name}: it is a directory")));
    }
    reading.batch(BufReader::new(opened), &name, shard)
}

pub fn edit_settings(args: EditArgs, env: &Env, stdin: &mut dyn Read) -> Result<Settings, Error> {
    if env.stdin_is_terminal && args.images.iter().any(|image| image == "-") {
        return Err(Error::usage("standard input is a terminal, not an image")
            .with_hint("pipe the image in: cat photo.png | wan edit - \"make it blue\""));
    }
    // `wan edit "make it blue" ref.png`: the prompt named a file, an image did not.
    let swapped = Path::new(&args.prompt).is_file() || args.images.iter().any(|i| i.contains(char::is_whitespace));
    let prompt = checked_prompt(args.prompt)?;
    let reading = Reading::new(args.run.no_template, &args.run.vars)?;
    let prompts = reading.one(prompt, args.run.shard)?;
    reading.check_all_used()?;
    resolve(args.run, prompts, args.images, args.mask.as_deref(), env, stdin).map_err(|error| {
        if swapped && error.message.ends_with("no such file") {
            error.with_hint("the prompt comes last: wan edit IMAGE... PROMPT")
        } else {
            error
        }
    })
}

/// A run's arguments (`generate`'s, `edit`'s, or those `regen` rebuilds from a file's
/// record) read into checked settings, against the config file and the environment.
pub fn resolve(
    run: RunArgs,
    prompts: Prompts,
    reference_args: Vec<String>,
    mask: Option<&Path>,
    env: &Env,
    stdin: &mut dyn Read,
) -> Result<Settings, Error> {
    let config = config::load(&env.dirs)?;
    let chosen = precedence::resolve(&flags(&run), env, &config.values)?;
    let models = named_models(&chosen.model.value)?;
    if let Some(name) = &run.name {
        output::validate_stem(name)?;
    }
    let out = chosen.out.value.map(|dir| env.dirs.expand_home_path(dir)).transpose()?;
    let to_stdout = out.as_deref() == Some(Path::new("-"));
    let route = chosen.route.value;
    let given = body_fields(run.size, &run.params)?;
    // Every model is checked before anything is sent: one that cannot serve what is asked
    // (an edit, a size, an aspect, a seed, a mask) stops the whole matrix.
    let models = models
        .into_iter()
        .map(|model| {
            let mut extra = given.clone();
            add_seed(run.seed, &model, &mut extra)?;
            let per_request = crate::image::limits::apply(&model, route, reference_args.len(), run.aspect, &mut extra)?;
            note_a_price_for_another_size(&model, extra.get("size"), run.quiet);
            if mask.is_some() {
                check_mask_taken(&model, route)?;
            }
            Ok(ModelRun { model, per_request, extra })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let references = reference::load_all(&reference_args, stdin)?;
    if env.offline {
        refuse_remote_references(&references)?;
    }
    let mask = mask.map(|path| load_mask(path, &references)).transpose()?;
    // Before anything reads the prompts one by one (their file names, below): a template
    // of a million prompts over the limit is refused at once, from its count.
    let max_cost = match &chosen.max_cost.value {
        Some(limit) => {
            let plan = Plan::matrix(prompts.len(), run.count, models.iter().map(|m| m.per_request).collect());
            let name = if chosen.max_cost.source == Source::Flag { "--max-cost" } else { "the config file's max_cost" };
            let named: Vec<&ImageModel> = models.iter().map(|m| &m.model).collect();
            Some(check_max_cost(limit, name, &named, &plan)?)
        }
        None => None,
    };
    if to_stdout {
        check_stdout_output(&run, prompts.len() as u64 * models.len() as u64, env.stdout_is_terminal)?;
    } else {
        let folder = OutputDir::new(out.clone());
        folder.check()?;
        let suffixes = settings::suffixes(&models.iter().map(|m| &m.model).collect::<Vec<_>>());
        folder.check_names(names_used(&prompts, run.name.as_deref(), run.count, suffixes))?;
    }
    // Last, and only when something will be sent: `api_key_command` may ask for a passphrase.
    let key = match run.dry_run && !run.quote {
        true => None,
        false => Some(api_key::obtain(&chosen.key, env, config.path.as_deref())?),
    };
    let terminal = env.stderr_is_terminal;
    Ok(Settings {
        prompts,
        references,
        mask,
        models,
        count: run.count,
        out: out.filter(|_| !to_stdout),
        to_stdout,
        name: run.name,
        api: ApiSettings {
            base: chosen.base_url.value,
            key,
            timeout: Duration::from_secs(chosen.timeout.value),
            retries: chosen.retries.value,
            route,
        },
        download_timeout: Duration::from_secs(chosen.download_timeout.value),
        jobs: chosen.jobs.value,
        rpm: run.rpm,
        json: run.json,
        dry_run: run.dry_run,
        quote: run.quote,
        metadata: chosen.metadata.value,
        prompt_in_file: chosen.prompt_in_file.value,
        open: run.open,
        display: Display {
            quiet: run.quiet,
            verbose: run.verbose,
            progress: terminal && !run.quiet && !run.dry_run,
            color: terminal && !env.no_color,
            stdout_is_terminal: env.stdout_is_terminal,
        },
        state_dir: env.state_dir.clone(),
        journal: !run.no_journal && !env.journal_off,
        max_cost,
        offline: env.offline,
        // On standard error, and only where it is a terminal: never into a pipe or a log.
        preview: (chosen.preview.value && terminal).then_some(env.terminal_images),
    })
}

/// Offline, nothing leaves this machine: a reference given by a URL of another host would
/// be downloaded from the network (by `wan`, for the routes that upload references).
fn refuse_remote_references(references: &[Reference]) -> Result<(), Error> {
    for reference in references {
        let Reference::Url(url) = reference else { continue };
        let parsed = reqwest::Url::parse(url).ok();
        let host = parsed.as_ref().and_then(|url| url.host_str()).unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let local =
            host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if !local {
            return Err(Error::usage(format!(
                "reference image {}: offline, nothing is fetched from the network",
                crate::error::clean(url)
            ))
            .with_hint("download it first and give the file"));
        }
    }
    Ok(())
}

/// `-o -` writes one image's bytes to standard output, as `curl -o -` does: more than
/// one image, or `--json` (which also wants standard output), cannot go there.
fn check_stdout_output(run: &RunArgs, items: u64, terminal: bool) -> Result<(), Error> {
    if run.json {
        return Err(Error::usage("-o - and --json both write to standard output; give one"));
    }
    // Image bytes would garble the terminal, as `curl` warns of binary output.
    if terminal && !run.dry_run {
        return Err(Error::usage("-o - writes the image's bytes to standard output, which is a terminal")
            .with_hint("pipe it (wan generate \"logo\" -o - | convert - logo.jpg) or redirect it (> logo.png)"));
    }
    let images = items.saturating_mul(u64::from(run.count));
    if images > 1 {
        return Err(Error::usage(format!("-o - writes one image to standard output; this run asks for {images}"))
            .with_hint("use -n 1 with one prompt, or -o DIR for more"));
    }
    Ok(())
}

/// The models `-m` (or `WAN_MODEL`, or the config file's `model`) names: one, or a
/// comma-separated list for a matrix. A name given twice is refused rather than merged:
/// it would make the same pictures twice under two names, or say the wrong count.
fn named_models(list: &str) -> Result<Vec<ImageModel>, Error> {
    let mut models: Vec<ImageModel> = Vec::new();
    for name in list.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(Error::usage(format!("--model {list:?} names an empty model"))
                .with_hint("separate the models with commas: -m wan2.7-image,gpt-image-2"));
        }
        if models.iter().any(|model| model.name == name) {
            return Err(Error::usage(format!("--model names {name} twice"))
                .with_hint("each model of a matrix once; -n N asks each for N images"));
        }
        models.push(ImageModel::named(name.to_string()));
    }
    Ok(models)
}

/// `--size WxH` and `--param KEY=VALUE`, as fields for the body.
fn body_fields(size: Option<SizeArg>, params: &[String]) -> Result<Map<String, Value>, Error> {
    let mut fields = Map::new();
    if let Some(size) = size {
        fields.insert("size".into(), Value::String(size.to_string()));
    }
    for param in params {
        let Some((key, value)) = param.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Error::usage(format!("--param {param:?} is not KEY=VALUE")));
        };
        let key = key.trim();
        if RESERVED_FIELDS.contains(&key) {
            let error = Error::usage(format!("--param {key}=… would replace a field wan sets itself"));
            return Err(match key {
                "n" => error.with_hint("-n N asks for N images (split into requests as the model takes them)"),
                "model" => error.with_hint("-m MODEL (or --pro) names the model"),
                "prompt" | "messages" | "contents" => {
                    error.with_hint("the prompt is the argument: wan generate \"PROMPT\"")
                }
                _ => error,
            });
        }
        if key == "size" && size.is_some() {
            return Err(Error::usage("--size and --param size=… both set the size; give one"));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        fields.insert(key.to_string(), value);
    }
    Ok(fields)
}

/// `--mask` is for a model whose edits take one, and goes in the images route's edit form.
fn check_mask_taken(model: &ImageModel, route: Route) -> Result<(), Error> {
    if !model.row.takes_mask {
        return Err(Error::usage(format!("{model} takes no mask"))
            .with_hint(format!("--mask is for {} (their edits take one)", crate::catalogue::maskers().join(", "))));
    }
    if matches!(route, Route::Chat | Route::Gemini) {
        return Err(Error::usage(format!(
            "--mask goes in the images route's edit form, and --route {} has none",
            route.name()
        )));
    }
    Ok(())
}

/// The mask, read and checked, against the first reference where that was read here (a
/// URL's is checked once it is downloaded, before the edit is sent).
fn load_mask(path: &Path, references: &[Reference]) -> Result<LocalImage, Error> {
    let mask = mask::load(path)?;
    if let Some(Reference::Local(first)) = references.first() {
        mask::check_fits(&mask, first)?;
    }
    Ok(mask)
}

/// `--seed N` as the body's `seed` field, for a model whose API takes one.
fn add_seed(seed: Option<u32>, model: &ImageModel, extra: &mut Map<String, Value>) -> Result<(), Error> {
    let Some(seed) = seed else { return Ok(()) };
    if !model.row.takes_seed {
        return Err(Error::usage(format!("{model} takes no seed"))
            .with_hint(format!("--seed is for {} (see `wan models`)", crate::catalogue::seeded().join(", "))));
    }
    if extra.contains_key("seed") {
        return Err(Error::usage("--seed and --param seed=… both set the seed; give one"));
    }
    extra.insert("seed".into(), Value::from(seed));
    Ok(())
}

/// The flags of a run that have a config key, for `precedence` to weigh against the rest.
fn flags(run: &RunArgs) -> Flags {
    Flags {
        model: (!run.model.is_empty()).then(|| run.model.join(",")),
        pro: run.pro,
        out: run.out.clone(),
        route: run.route.map(route),
        jobs: run.jobs,
        retries: run.retries,
        timeout: run.timeout,
        download_timeout: run.download_timeout,
        max_cost: run.max_cost.clone(),
        base_url: run.base_url.clone(),
        metadata: run.no_metadata.then_some(false),
        offline: run.offline,
        preview: run.preview.then_some(true),
        prompt_in_file: run.no_prompt_in_file.then_some(false),
    }
}

/// `--route` as the client takes it.
fn route(arg: RouteArg) -> Route {
    match arg {
        RouteArg::Auto => Route::Auto,
        RouteArg::Chat => Route::Chat,
        RouteArg::Images => Route::Images,
        RouteArg::Gemini => Route::Gemini,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_and_params_become_body_fields() {
        let fields = body_fields(
            Some(SizeArg::Exact(crate::catalogue::size::parse_size("1024X768").unwrap())),
            &["seed=42".into(), "watermark=false".into(), "style=oil paint".into(), "x={\"a\":1}".into()],
        )
        .unwrap();
        assert_eq!(
            Value::Object(fields),
            serde_json::json!({"size": "1024x768", "seed": 42, "watermark": false, "style": "oil paint", "x": {"a": 1}})
        );
        for bad in ["big", "0x10", "10x", "-1x5", "+1x5"] {
            assert!(crate::catalogue::size::parse_size(bad).is_err(), "{bad:?}");
        }
        for bad in ["novalue", "=1", "n=3", "model=x", "messages=[]"] {
            assert!(body_fields(None, &[bad.into()]).is_err(), "{bad}");
        }
        assert!(body_fields(Some(SizeArg::Auto), &["size=1x1".into()]).is_err());
    }

    #[test]
    fn a_seed_goes_into_the_body_for_the_models_that_take_one() {
        let model = |name: &str| ImageModel::named(name.to_string());
        let mut extra = Map::new();
        add_seed(Some(42), &model("wan2.7-image"), &mut extra).unwrap();
        assert_eq!(Value::Object(extra.clone()), serde_json::json!({"seed": 42}));
        let twice = add_seed(Some(1), &model("wan2.7-image"), &mut extra).unwrap_err();
        assert!(twice.to_string().contains("both set the seed"), "{twice}");
        let refused = add_seed(Some(1), &model("seedream-5-0-260128"), &mut Map::new()).unwrap_err();
        assert_eq!(refused.to_string(), "seedream-5-0-260128 takes no seed");
        assert!(refused.hint.unwrap().contains("gemini-3-pro-image-preview"));
        add_seed(None, &model("gpt-image-2"), &mut Map::new()).unwrap();
    }
}

//! Raw arguments to validated settings: every usage error is found here, before anything is sent.

use std::fs;
use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value};

use crate::api::ApiSettings;
use crate::api::request::RESERVED_FIELDS;
use crate::api::route::Route;
use crate::catalogue::Price;
use crate::catalogue::money::{self, Bill};
use crate::cli::{EditArgs, GenerateArgs, RouteArg, RunArgs, SizeArg};
use crate::config;
use crate::config::api_key;
use crate::config::paths::Dirs;
use crate::config::precedence::{self, Flags, Source};
use crate::error::Error;
use crate::files::output::{self, OutputDir};
use crate::files::prompts::{self, Prompts};
use crate::files::reference::{self, Reference};
use crate::image::plan::Plan;
use crate::shard::Shard;
use crate::term::ui::Display;

/// The longest prompt taken, in bytes: far past what any model reads, and a bound on
/// what a prompt from a pipe or a batch line can make `wan` hold.
pub const MAX_PROMPT_BYTES: usize = 64 * 1024;

/// Everything a `generate` or `edit` run needs, checked: plain values, decided once.
/// What the run learns as it goes lives in its `Session`.
#[derive(Debug)]
pub struct Settings {
    /// Read as they are needed: a batch is never held whole.
    pub prompts: Prompts,
    pub references: Vec<Reference>,
    pub model: String,
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
    /// `--open`: show the saved files in the system's viewer when the run ends.
    pub open: bool,
    pub display: Display,
    /// Where what `wan` learns between runs is kept; `None` when the environment names
    /// no folder (no `WAN_STATE_DIR`, `XDG_STATE_HOME` or `HOME`).
    pub state_dir: Option<PathBuf>,
    /// Record the run in the journal (not with `--no-journal` or `WAN_JOURNAL=off`).
    pub journal: bool,
    /// A provenance chunk in each PNG (not with `--no-metadata` or `metadata = false`).
    pub metadata: bool,
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

    /// Refuses a run that could cost more than `limit` (USD, as `--max-cost` takes it),
    /// or whose price is unknown, as `--max-cost` does; `name` says where the limit was
    /// set (`wan mcp`'s `--max-cost-per-call`).
    pub fn check_cost_limit(&self, limit: &str, name: &str) -> Result<(), Error> {
        check_max_cost(limit, name, &self.model, self.plan())
    }
}

/// What the process environment offers, read once so it can be faked in tests.
/// No `Debug`: it holds the key.
#[derive(Default)]
pub struct Env {
    pub api_key: Option<String>,
    pub model: Option<String>,
    /// `AISA_BASE_URL`.
    pub base_url: Option<String>,
    /// `WAN_ROUTE`.
    pub route: Option<String>,
    /// Where the config file and the state folder are.
    pub dirs: Dirs,
    pub stdin_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` set and not empty, or `TERM=dumb`.
    pub no_color: bool,
    /// The state folder (`dirs.state_dir()`), where the journal and remembered routes live.
    pub state_dir: Option<PathBuf>,
    /// `WAN_JOURNAL=off` (or `0`, `false`, `no`).
    pub journal_off: bool,
}

impl Env {
    pub fn from_process() -> Self {
        let dirs = Dirs::from_process();
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self {
            // Read as bytes would lose nothing, but a key that is not Unicode is no key:
            // `ApiKey::new` refuses what is not printable ASCII anyway.
            api_key: std::env::var_os("AISA_API_KEY")
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.trim().is_empty()),
            model: var("WAN_MODEL"),
            base_url: var("AISA_BASE_URL"),
            route: var("WAN_ROUTE"),
            state_dir: dirs.state_dir(),
            dirs,
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some() || std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            journal_off: var("WAN_JOURNAL").is_some_and(|v| matches!(v.trim(), "off" | "0" | "false" | "no")),
        }
    }
}

pub fn generate(args: GenerateArgs, env: &Env, stdin: &mut dyn Read) -> Result<Settings, Error> {
    let shard = args.run.shard;
    let prompts = match (&args.file, args.prompt.as_deref()) {
        (Some(file), _) => read_batch(file, stdin, shard)?,
        (None, Some(p)) if p != "-" => Prompts::one(checked_prompt(p.to_string())?, shard),
        (None, _) if env.stdin_is_terminal => {
            return Err(
                Error::usage("no prompt given").with_hint("wan generate \"a red panda\", or pipe the prompt in")
            );
        }
        (None, _) => Prompts::one(checked_prompt(read_prompt_from_stdin(stdin)?)?, shard),
    };
    resolve(args.run, prompts, Vec::new(), env, stdin)
}

/// A batch from a file or standard input, checked whole before anything is sent and
/// read back as requests need it (see `prompts`).
fn read_batch(file: &Path, stdin: &mut dyn Read, shard: Option<Shard>) -> Result<Prompts, Error> {
    let name = file.display().to_string();
    if file == Path::new("-") {
        return Prompts::batch(BufReader::new(stdin), "standard input", shard);
    }
    let opened = fs::File::open(file).map_err(|e| Error::usage(format!("cannot read prompts from {name}: {e}")))?;
    if opened.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::usage(format!("cannot read prompts from {name}: it is a directory")));
    }
    Prompts::batch(BufReader::new(opened), &name, shard)
}

pub fn edit(args: EditArgs, env: &Env, stdin: &mut dyn Read) -> Result<Settings, Error> {
    if env.stdin_is_terminal && args.images.iter().any(|image| image == "-") {
        return Err(Error::usage("standard input is a terminal, not an image")
            .with_hint("pipe the image in: cat photo.png | wan edit - \"make it blue\""));
    }
    // `wan edit "make it blue" ref.png`: the prompt named a file, an image did not.
    let swapped = Path::new(&args.prompt).is_file() || args.images.iter().any(|i| i.contains(char::is_whitespace));
    let prompt = checked_prompt(args.prompt)?;
    let shard = args.run.shard;
    resolve(args.run, Prompts::one(prompt, shard), args.images, env, stdin).map_err(|error| {
        if swapped && error.message.ends_with("no such file") {
            error.with_hint("the prompt comes last: wan edit IMAGE... PROMPT")
        } else {
            error
        }
    })
}

pub fn read_prompt_from_stdin(stdin: &mut dyn Read) -> Result<String, Error> {
    let mut bytes = Vec::new();
    stdin
        .take(MAX_PROMPT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::usage(format!("cannot read the prompt from standard input: {e}")))?;
    if bytes.len() > MAX_PROMPT_BYTES {
        return Err(too_long_prompt());
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::usage("the prompt on standard input is not UTF-8 text"))?;
    Ok(prompts::strip_bom(text.trim_end_matches(['\n', '\r'])).to_string())
}

fn too_long_prompt() -> Error {
    Error::usage(format!("the prompt is longer than {} KiB", MAX_PROMPT_BYTES / 1024))
}

pub fn checked_prompt(prompt: String) -> Result<String, Error> {
    if prompt.trim().is_empty() {
        return Err(Error::usage("the prompt is empty"));
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(too_long_prompt());
    }
    Ok(prompt)
}

fn resolve(
    run: RunArgs,
    prompts: Prompts,
    reference_args: Vec<String>,
    env: &Env,
    stdin: &mut dyn Read,
) -> Result<Settings, Error> {
    let config = config::load(&env.dirs)?;
    let chosen = precedence::resolve(&Flags::from(&run), env, &config.values)?;
    let model = chosen.model.value;
    if let Some(name) = &run.name {
        output::validate_stem(name)?;
    }
    let out = chosen.out.value;
    let to_stdout = out.as_deref() == Some(Path::new("-"));
    if to_stdout {
        check_stdout_output(&run, prompts.len())?;
    } else {
        OutputDir::new(out.clone()).check()?;
    }
    let route = match chosen.route.value {
        RouteArg::Auto => Route::Auto,
        RouteArg::Chat => Route::Chat,
        RouteArg::Images => Route::Images,
        RouteArg::Gemini => Route::Gemini,
    };
    let mut extra = body_fields(run.size, &run.params)?;
    let per_request = crate::image::limits::apply(&model, route, reference_args.len(), &mut extra)?;
    let references = reference::load_all(&reference_args, stdin)?;
    if let Some(limit) = &chosen.max_cost.value {
        let plan = Plan::new(prompts.len(), run.count, per_request);
        let name = if chosen.max_cost.source == Source::Flag { "--max-cost" } else { "the config file's max_cost" };
        check_max_cost(limit, name, &model, plan)?;
    }
    // Last, and only when something will be sent: `api_key_command` may ask for a passphrase.
    let key = if run.dry_run { None } else { Some(api_key::obtain(&chosen.key, env, config.path.as_deref())?) };
    let terminal = env.stderr_is_terminal;
    Ok(Settings {
        prompts,
        references,
        model,
        count: run.count,
        per_request,
        out: out.filter(|_| !to_stdout),
        to_stdout,
        name: run.name,
        extra,
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
        metadata: chosen.metadata.value,
        open: run.open,
        display: Display {
            quiet: run.quiet,
            verbose: run.verbose,
            progress: terminal && !run.quiet && !run.dry_run,
            color: terminal && !env.no_color,
        },
        state_dir: env.state_dir.clone(),
        journal: !run.no_journal && !env.journal_off,
    })
}

/// `-o -` writes one image's bytes to standard output, as `curl -o -` does: more than
/// one image, or `--json` (which also wants standard output), cannot go there.
fn check_stdout_output(run: &RunArgs, prompts: usize) -> Result<(), Error> {
    if run.json {
        return Err(Error::usage("-o - and --json both write to standard output; give one"));
    }
    let images = (prompts as u64).saturating_mul(u64::from(run.count));
    if images > 1 {
        return Err(Error::usage(format!("-o - writes one image to standard output; this run asks for {images}"))
            .with_hint("use -n 1 with one prompt, or -o DIR for more"));
    }
    Ok(())
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
            return Err(Error::usage(format!("--param {key}=… would replace a field wan sets itself")));
        }
        if key == "size" && size.is_some() {
            return Err(Error::usage("--size and --param size=… both set the size; give one"));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        fields.insert(key.to_string(), value);
    }
    Ok(fields)
}

/// Refuses, before anything is sent, a run whose list price is over the limit or unknown:
/// per image or per request, as the catalogue prices the model. `name` says where the
/// limit was set: `--max-cost`, or the config file.
fn check_max_cost(limit: &str, name: &str, model: &str, plan: Plan) -> Result<(), Error> {
    let micros = money::parse_limit_usd(limit)
        .ok_or_else(|| Error::usage(format!("{name} {limit:?} is not an amount in US dollars")))?;
    let bill = Bill::estimate(model, plan.images(), plan.len());
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
    Ok(())
}

/// An `http(s)` URL with a host; a trailing `/` is dropped.
pub fn base_url(text: &str) -> Result<Url, Error> {
    let bad = |why: &str| {
        Error::usage(format!("base URL {text:?} {why}")).with_hint("for example --base-url https://api.aisa.one/v1")
    };
    let url = Url::parse(text.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("may not have a query or fragment"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    #[test]
    fn base_urls_must_be_http_with_a_host() {
        assert!(base_url("https://api.aisa.one/v1/").is_ok());
        assert!(base_url("http://127.0.0.1:8787/v1").is_ok());
        for bad in ["api.aisa.one/v1", "ftp://x/v1", "https://", "not a url", "https://h/v1?x=1"] {
            let err = base_url(bad).unwrap_err();
            assert_eq!(err.kind, Kind::Usage, "{bad}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_a_piped_prompt() {
        let mut stdin = std::io::Cursor::new("\u{feff}a lighthouse\n");
        assert_eq!(read_prompt_from_stdin(&mut stdin).unwrap(), "a lighthouse");
    }

    #[test]
    fn endless_standard_input_is_refused_not_held() {
        let err = read_prompt_from_stdin(&mut std::io::repeat(0)).unwrap_err();
        assert!(err.to_string().contains("longer than 64 KiB"), "{err}");
    }

    #[test]
    fn size_and_params_become_body_fields() {
        let fields = body_fields(
            Some(SizeArg::Exact(crate::cli::parse_size("1024X768").unwrap())),
            &["seed=42".into(), "watermark=false".into(), "style=oil paint".into(), "x={\"a\":1}".into()],
        )
        .unwrap();
        assert_eq!(
            Value::Object(fields),
            serde_json::json!({"size": "1024x768", "seed": 42, "watermark": false, "style": "oil paint", "x": {"a": 1}})
        );
        for bad in ["big", "0x10", "10x", "-1x5", "+1x5"] {
            assert!(crate::cli::parse_size(bad).is_err(), "{bad:?}");
        }
        for bad in ["novalue", "=1", "n=3", "model=x", "messages=[]"] {
            assert!(body_fields(None, &[bad.into()]).is_err(), "{bad}");
        }
        assert!(body_fields(Some(SizeArg::Auto), &["size=1x1".into()]).is_err());
    }

    #[test]
    fn max_cost_refuses_runs_over_the_limit_or_of_unknown_price() {
        let wan = |images| Plan::new(1, images, 4);
        assert!(check_max_cost("0.12", "--max-cost", "wan2.7-image", wan(4)).is_ok());
        assert!(check_max_cost("$0.12", "--max-cost", "wan2.7-image", wan(4)).is_ok());
        let over = check_max_cost("0.10", "--max-cost", "wan2.7-image", wan(4)).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.120 (4 × $0.030), more than --max-cost $0.100");
        assert!(check_max_cost("1", "--max-cost", "mystery-model", wan(1)).is_err());
        assert!(check_max_cost("lots", "--max-cost", "wan2.7-image", wan(1)).is_err());
        // 4,294,967,295 images of many prompts at the pro price: past what a u64 of micro-dollars holds
        let huge = Plan::new(usize::MAX, u32::MAX, 4);
        assert!(check_max_cost("18446744073709", "--max-cost", "wan2.7-image-pro", huge).is_err());
    }

    #[test]
    fn max_cost_counts_requests_for_a_model_priced_per_request() {
        let seedream = Plan::new(1, 3, 1);
        let over = check_max_cost("0.10", "--max-cost", "seedream-5-0-260128", seedream).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.105 (3 requests × $0.035), more than --max-cost $0.100");
        assert!(check_max_cost("0.105", "--max-cost", "seedream-5-0-260128", seedream).is_ok());
        let tokens = check_max_cost("100", "--max-cost", "gpt-image-2.5-sunburst", Plan::new(1, 1, 10)).unwrap_err();
        assert!(tokens.to_string().contains("billed by tokens"), "{tokens}");
    }

    #[test]
    fn empty_prompts_are_refused() {
        assert!(checked_prompt("  \n\t".into()).is_err());
        assert!(checked_prompt("x".into()).is_ok());
    }

    #[test]
    fn stdin_prompts_lose_only_the_trailing_newline() {
        let mut stdin = std::io::Cursor::new("  a red panda \n");
        assert_eq!(read_prompt_from_stdin(&mut stdin).unwrap(), "  a red panda ");
    }
}

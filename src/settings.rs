//! Raw arguments to validated settings: every usage error is found here, before anything is sent.

use std::fs;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value};

use crate::api::request::RESERVED_FIELDS;
use crate::api::route::{Route, Routes};
use crate::api::{ApiConfig, ApiKey};
use crate::cli::{EditArgs, GenerateArgs, RouteArg, RunArgs, Size};
use crate::cost::{self, DEFAULT_MODEL, PRO_MODEL};
use crate::error::{Error, Kind};
use crate::output::{self, OutputDir};
use crate::reference::{self, Reference};
use crate::ui::Ui;

/// Everything a `generate` or `edit` run needs, checked.
#[derive(Debug)]
pub struct RunSettings {
    pub prompts: Vec<String>,
    pub references: Vec<Reference>,
    pub model: String,
    /// Images per prompt.
    pub count: u32,
    pub out: OutputDir,
    /// `--name`, else each prompt's slug.
    pub name: Option<String>,
    /// `size` and `--param` fields for the body.
    pub extra: Map<String, Value>,
    pub api: ApiConfig,
    pub download_timeout: Duration,
    pub jobs: usize,
    pub json: bool,
    pub dry_run: bool,
    pub ui: Ui,
}

impl RunSettings {
    /// The stem of the files for a prompt.
    pub fn stem_for(&self, prompt: &str) -> String {
        self.name.clone().unwrap_or_else(|| output::slug(prompt))
    }
}

/// What the process environment offers, read once so it can be faked in tests.
pub struct Env {
    pub api_key: Option<String>,
    pub model: Option<String>,
    pub stdin_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` set and not empty, or `TERM=dumb`.
    pub no_color: bool,
}

impl Env {
    pub fn from_process() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self {
            api_key: var("AISA_API_KEY"),
            model: var("WAN_MODEL"),
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some() || std::env::var("TERM").is_ok_and(|t| t == "dumb"),
        }
    }
}

pub fn generate(args: GenerateArgs, env: &Env, stdin: &mut dyn Read) -> Result<RunSettings, Error> {
    let prompts = match (&args.file, args.prompt.as_deref()) {
        (Some(file), _) => read_batch(file, stdin)?,
        (None, Some(p)) if p != "-" => vec![checked_prompt(p.to_string())?],
        (None, _) if env.stdin_is_terminal => {
            return Err(
                Error::usage("no prompt given").with_hint("wan generate \"a red panda\", or pipe the prompt in")
            );
        }
        (None, _) => vec![checked_prompt(read_prompt_from_stdin(stdin)?)?],
    };
    resolve(args.run, prompts, Vec::new(), env, stdin)
}

/// One prompt per line; blank lines and lines starting with `#` are skipped.
fn read_batch(file: &Path, stdin: &mut dyn Read) -> Result<Vec<String>, Error> {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        stdin
            .read_to_string(&mut text)
            .map_err(|e| Error::usage(format!("cannot read prompts from standard input: {e}")))?;
        text
    } else {
        fs::read_to_string(file)
            .map_err(|e| Error::usage(format!("cannot read prompts from {}: {e}", file.display())))?
    };
    let prompts = parse_batch(&text);
    if prompts.is_empty() {
        return Err(Error::usage(format!("{} holds no prompts", file.display())));
    }
    Ok(prompts)
}

pub fn parse_batch(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(String::from).collect()
}

pub fn edit(args: EditArgs, env: &Env, stdin: &mut dyn Read) -> Result<RunSettings, Error> {
    let prompt = checked_prompt(args.prompt)?;
    resolve(args.run, vec![prompt], args.images, env, stdin)
}

fn read_prompt_from_stdin(stdin: &mut dyn Read) -> Result<String, Error> {
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|e| Error::usage(format!("cannot read the prompt from standard input: {e}")))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn checked_prompt(prompt: String) -> Result<String, Error> {
    if prompt.trim().is_empty() {
        return Err(Error::usage("the prompt is empty"));
    }
    Ok(prompt)
}

fn resolve(
    run: RunArgs,
    prompts: Vec<String>,
    reference_args: Vec<String>,
    env: &Env,
    stdin: &mut dyn Read,
) -> Result<RunSettings, Error> {
    let model = model(&run, env)?;
    if let Some(name) = &run.name {
        output::validate_stem(name)?;
    }
    let base = base_url(&run.base_url)?;
    let out = OutputDir::new(run.out.clone());
    out.check()?;
    let extra = body_fields(run.size, &run.params)?;
    let references = reference::load_all(&reference_args, stdin)?;
    if let Some(limit) = &run.max_cost {
        check_max_cost(limit, &model, prompts.len() as u64 * u64::from(run.count))?;
    }
    let key = match env.api_key.clone() {
        Some(key) => Some(ApiKey::new(key)),
        None if run.dry_run => None,
        None => {
            return Err(Error::new(Kind::Auth, "no API key: AISA_API_KEY is not set")
                .with_hint("export AISA_API_KEY=sk-aisa-… (keys are made at https://console.aisa.one)"));
        }
    };
    let terminal = env.stderr_is_terminal;
    let draw_progress = terminal && !run.quiet && !run.dry_run;
    let prompt_count = prompts.len() as u64;
    Ok(RunSettings {
        prompts,
        references,
        model,
        count: run.count,
        out,
        name: run.name,
        extra,
        api: ApiConfig {
            base,
            key,
            timeout: Duration::from_secs(run.timeout),
            retries: run.retries,
            routes: Routes::new(match run.route {
                RouteArg::Auto => Route::Auto,
                RouteArg::Chat => Route::Chat,
                RouteArg::Images => Route::Images,
            }),
        },
        download_timeout: Duration::from_secs(run.download_timeout),
        jobs: run.jobs,
        json: run.json,
        dry_run: run.dry_run,
        ui: Ui::new(run.quiet, run.verbose, draw_progress.then_some(prompt_count), terminal && !env.no_color),
    })
}

/// `--size WxH` and `--param KEY=VALUE`, as fields for the body.
fn body_fields(size: Option<Size>, params: &[String]) -> Result<Map<String, Value>, Error> {
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

/// Refuses, before anything is sent, a run whose price is over the limit or unknown.
fn check_max_cost(limit: &str, model: &str, images: u64) -> Result<(), Error> {
    let micros = cost::parse_limit_usd(limit)
        .ok_or_else(|| Error::usage(format!("--max-cost {limit:?} is not an amount in US dollars")))?;
    let Some(price) = cost::price_per_image(model) else {
        return Err(Error::usage(format!("--max-cost cannot be checked: the price of {model} is unknown")));
    };
    let total = price * images;
    if total > micros {
        return Err(Error::usage(format!(
            "this run would cost {} ({images} × {}), more than --max-cost {}",
            cost::format_usd(total),
            cost::format_usd(price),
            cost::format_usd(micros)
        ))
        .with_hint("lower -n, use fewer prompts, or raise --max-cost"));
    }
    Ok(())
}

/// `--pro`, else `--model`, else `WAN_MODEL`, else the default; `--pro` with `--model` is an error.
fn model(run: &RunArgs, env: &Env) -> Result<String, Error> {
    match (&run.model, run.pro) {
        (Some(name), true) => Err(Error::usage(format!("--pro and --model {name} both name a model; give one"))),
        (Some(name), false) if name.trim().is_empty() => Err(Error::usage("--model is empty")),
        (Some(name), false) => Ok(name.clone()),
        (None, true) => Ok(PRO_MODEL.to_string()),
        (None, false) => Ok(env.model.clone().unwrap_or_else(|| DEFAULT_MODEL.to_string())),
    }
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
    fn batch_files_skip_blank_and_comment_lines() {
        let text = "# a comment\nred panda\n\n   \n  # indented comment\n  a lighthouse  \r\nlast";
        assert_eq!(parse_batch(text), ["red panda", "a lighthouse", "last"]);
    }

    #[test]
    fn size_and_params_become_body_fields() {
        let fields = body_fields(
            Some(crate::cli::parse_size("1024X768").unwrap()),
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
        assert!(body_fields(Some(Size { width: 5, height: 5 }), &["size=1x1".into()]).is_err());
    }

    #[test]
    fn max_cost_refuses_runs_over_the_limit_or_of_unknown_price() {
        assert!(check_max_cost("0.12", "wan2.7-image", 4).is_ok());
        assert!(check_max_cost("$0.12", "wan2.7-image", 4).is_ok());
        let over = check_max_cost("0.10", "wan2.7-image", 4).unwrap_err();
        assert_eq!(over.to_string(), "this run would cost $0.120 (4 × $0.030), more than --max-cost $0.100");
        assert!(check_max_cost("1", "mystery-model", 1).is_err());
        assert!(check_max_cost("lots", "wan2.7-image", 1).is_err());
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

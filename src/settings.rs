//! Raw arguments to validated settings: every usage error is found here, before anything is sent.

use std::io::{IsTerminal, Read};
use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value};

use crate::api::{ApiConfig, ApiKey};
use crate::cli::{EditArgs, GenerateArgs, RunArgs};
use crate::cost::{DEFAULT_MODEL, PRO_MODEL};
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
}

impl Env {
    pub fn from_process() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self {
            api_key: var("AISA_API_KEY"),
            model: var("WAN_MODEL"),
            stdin_is_terminal: std::io::stdin().is_terminal(),
        }
    }
}

pub fn generate(args: GenerateArgs, env: &Env, stdin: &mut dyn Read) -> Result<RunSettings, Error> {
    let prompt = match args.prompt.as_deref() {
        Some(p) if p != "-" => p.to_string(),
        _ if env.stdin_is_terminal => {
            return Err(
                Error::usage("no prompt given").with_hint("wan generate \"a red panda\", or pipe the prompt in")
            );
        }
        _ => read_prompt_from_stdin(stdin)?,
    };
    resolve(args.run, vec![checked_prompt(prompt)?], Vec::new(), env, stdin)
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
    let references = reference::load_all(&reference_args, stdin)?;
    let key = env.api_key.clone().ok_or_else(|| {
        Error::new(Kind::Auth, "no API key: AISA_API_KEY is not set")
            .with_hint("export AISA_API_KEY=sk-aisa-… (keys are made at https://console.aisa.one)")
    })?;
    Ok(RunSettings {
        prompts,
        references,
        model,
        count: run.count,
        out,
        name: run.name,
        extra: Map::new(),
        api: ApiConfig { base, key: ApiKey::new(key), timeout: Duration::from_secs(run.timeout), retries: run.retries },
        download_timeout: Duration::from_secs(run.download_timeout),
        jobs: 4,
        json: run.json,
        ui: Ui { quiet: run.quiet, verbose: run.verbose },
    })
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

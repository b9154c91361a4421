//! Each setting from its flag, else its environment variable, else the config file, else the
//! built-in default, with where it came from: the one place that order is decided.

use std::fmt;
use std::path::PathBuf;

use reqwest::Url;

use super::base_url::base_url as checked_base_url;
use super::env::Env;
use crate::api::route::Route;
use crate::catalogue::{DEFAULT_MODEL, PRO_MODEL};
use crate::config::FileValues;
use crate::error::Error;

pub const DEFAULT_BASE_URL: &str = "https://api.aisa.one/v1";
pub const DEFAULT_TIMEOUT: u64 = 300;
pub const DEFAULT_DOWNLOAD_TIMEOUT: u64 = 120;
pub const DEFAULT_RETRIES: u32 = 2;
pub const DEFAULT_JOBS: usize = 4;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env(&'static str),
    File { line: usize },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Flag => f.write_str("flag"),
            Self::Env(var) => write!(f, "env {var}"),
            Self::File { line } => write!(f, "file, line {line}"),
            Self::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    fn new(value: T, source: Source) -> Self {
        Self { value, source }
    }
}

/// The flags that have a config key, as given: `None` (or `false`) where not given.
/// `clap` gives them no defaults, so that a value it did not get is told apart from a
/// value equal to the default.
#[derive(Debug, Default)]
pub struct Flags {
    pub model: Option<String>,
    pub pro: bool,
    pub out: Option<PathBuf>,
    pub route: Option<Route>,
    pub jobs: Option<usize>,
    pub retries: Option<u32>,
    pub timeout: Option<u64>,
    pub download_timeout: Option<u64>,
    pub max_cost: Option<String>,
    pub base_url: Option<String>,
    /// `--no-metadata`: `Some(false)`.
    pub metadata: Option<bool>,
    /// `--offline`.
    pub offline: bool,
    /// `--no-prompt-in-file`: `Some(false)`.
    pub prompt_in_file: Option<bool>,
}

/// Where the key will come from; nothing is run to find out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `AISA_API_KEY` (its value stays in `Env`).
    Env,
    /// The config file's `api_key_command`, run only when a key is needed.
    Command(Sourced<String>),
    Missing,
}

/// Every setting with a config key, decided.
#[derive(Debug)]
pub struct Resolved {
    pub model: Sourced<String>,
    /// `None` for the current folder.
    pub out: Sourced<Option<PathBuf>>,
    pub route: Sourced<Route>,
    pub jobs: Sourced<usize>,
    pub retries: Sourced<u32>,
    pub timeout: Sourced<u64>,
    pub download_timeout: Sourced<u64>,
    pub metadata: Sourced<bool>,
    pub prompt_in_file: Sourced<bool>,
    /// As written; the flag's text is checked where the cost is.
    pub max_cost: Sourced<Option<String>>,
    pub base_url: Sourced<Url>,
    pub key: KeySource,
    /// On: the commands that reach the service play it inside `wan` (see `goes_offline`).
    pub offline: Sourced<bool>,
}

pub fn resolve(flags: &Flags, env: &Env, file: &FileValues) -> Result<Resolved, Error> {
    Ok(Resolved {
        model: model(flags, env, file)?,
        out: out(flags, file),
        route: layered(flags.route, env_route(env)?, file.route.clone(), Route::Auto),
        jobs: layered(flags.jobs, None, file.jobs.clone(), DEFAULT_JOBS),
        retries: layered(flags.retries, None, file.retries.clone(), DEFAULT_RETRIES),
        timeout: layered(flags.timeout, None, file.timeout.clone(), DEFAULT_TIMEOUT),
        download_timeout: layered(
            flags.download_timeout,
            None,
            file.download_timeout.clone(),
            DEFAULT_DOWNLOAD_TIMEOUT,
        ),
        metadata: layered(flags.metadata, None, file.metadata.clone(), true),
        prompt_in_file: layered(flags.prompt_in_file, None, file.prompt_in_file.clone(), true),
        max_cost: layered(
            flags.max_cost.clone().map(Some),
            None,
            file.max_cost.clone().map(|s| Sourced::new(Some(s.value), s.source)),
            None,
        ),
        base_url: base_url(flags, env, file)?,
        key: key_source(env, file),
        offline: offline(flags.offline, env, file)?,
    })
}

/// The first of flag, environment, file that is set, else the default.
fn layered<T>(flag: Option<T>, env: Option<Sourced<T>>, file: Option<Sourced<T>>, default: T) -> Sourced<T> {
    match (flag, env, file) {
        (Some(value), _, _) => Sourced::new(value, Source::Flag),
        (None, Some(env), _) => env,
        (None, None, Some(file)) => file,
        (None, None, None) => Sourced::new(default, Source::Default),
    }
}

/// `--pro` or `--model` (both is an error), else `WAN_MODEL`, else the file, else the default.
fn model(flags: &Flags, env: &Env, file: &FileValues) -> Result<Sourced<String>, Error> {
    let flag = match (&flags.model, flags.pro) {
        (Some(name), true) => {
            return Err(Error::usage(format!("--pro and --model {name} both name a model; give one")));
        }
        (Some(name), false) if name.trim().is_empty() => return Err(Error::usage("--model is empty")),
        (Some(name), false) => Some(name.clone()),
        (None, true) => Some(PRO_MODEL.to_string()),
        (None, false) => None,
    };
    let env = env.model.clone().map(|name| Sourced::new(name, Source::Env("WAN_MODEL")));
    Ok(layered(flag, env, file.model.clone(), DEFAULT_MODEL.to_string()))
}

/// `-o`, else the file's `out`, else `None`: the current folder.
pub fn out(flags: &Flags, file: &FileValues) -> Sourced<Option<PathBuf>> {
    let file = file.out.clone().map(|dir| Sourced::new(Some(dir.value), dir.source));
    layered(flags.out.clone().map(Some), None, file, None)
}

/// `--base-url`, else `AISA_BASE_URL`, else the file, else the service's own; each checked.
pub fn base_url(flags: &Flags, env: &Env, file: &FileValues) -> Result<Sourced<Url>, Error> {
    if let Some(text) = &flags.base_url {
        return Ok(Sourced::new(checked_base_url(text)?, Source::Flag));
    }
    if let Some(text) = &env.base_url {
        let url =
            checked_base_url(text).map_err(|e| Error { message: format!("AISA_BASE_URL: {}", e.message), ..e })?;
        return Ok(Sourced::new(url, Source::Env("AISA_BASE_URL")));
    }
    let default = || Url::parse(DEFAULT_BASE_URL).expect("the default base URL is a URL");
    Ok(file.base_url.clone().unwrap_or_else(|| Sourced::new(default(), Source::Default)))
}

/// `--offline`, else `WAN_OFFLINE`, else the file's `offline`, else off.
pub fn offline(flag: bool, env: &Env, file: &FileValues) -> Result<Sourced<bool>, Error> {
    let from_env = |value| Some(Sourced::new(value, Source::Env("WAN_OFFLINE")));
    let env = match env.offline_var.as_deref().map(str::trim) {
        None => None,
        Some("1" | "true" | "yes" | "on") => from_env(true),
        Some("0" | "false" | "no" | "off") => from_env(false),
        Some(other) => {
            return Err(Error::usage(format!("WAN_OFFLINE={other:?} is neither on nor off"))
                .with_hint("WAN_OFFLINE=1 plays the service inside wan; WAN_OFFLINE=0 (or unset) does not"));
        }
    };
    Ok(layered(flag.then_some(true), env, file.offline.clone(), false))
}

/// Whether a command plays the service inside `wan`: the offline setting is on, and no
/// base URL was given where it weighs more (`--base-url` beats `offline = true` in the
/// file, as any flag beats the file). Both flags at once say two things: an error.
pub fn goes_offline(flags: &Flags, env: &Env, file: &FileValues) -> Result<bool, Error> {
    let offline = offline(flags.offline, env, file)?;
    if !offline.value {
        return Ok(false);
    }
    if flags.offline && flags.base_url.is_some() {
        return Err(Error::usage("--offline and --base-url both say where requests go; give one"));
    }
    let weight = |source: &Source| match source {
        Source::Flag => 3,
        Source::Env(_) => 2,
        Source::File { .. } => 1,
        Source::Default => 0,
    };
    Ok(weight(&offline.source) >= weight(&base_url(flags, env, file)?.source))
}

fn env_route(env: &Env) -> Result<Option<Sourced<Route>>, Error> {
    let Some(text) = &env.route else { return Ok(None) };
    let route = Route::from_name(text.trim())
        .ok_or_else(|| Error::usage(format!("WAN_ROUTE={text:?} is not a route: give one of {}", route_names())))?;
    Ok(Some(Sourced::new(route, Source::Env("WAN_ROUTE"))))
}

/// Every route's name, for messages: `auto, chat, images`.
pub fn route_names() -> String {
    Route::ALL.map(Route::name).join(", ")
}

/// `AISA_API_KEY`, else the file's `api_key_command`.
pub fn key_source(env: &Env, file: &FileValues) -> KeySource {
    match (&env.api_key, &file.api_key_command) {
        (Some(_), _) => KeySource::Env,
        (None, Some(command)) => KeySource::Command(command.clone()),
        (None, None) => KeySource::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FileValues {
        let at = |line| Source::File { line };
        FileValues {
            model: Some(Sourced::new("file-model".into(), at(1))),
            out: Some(Sourced::new("/file/out".into(), at(2))),
            route: Some(Sourced::new(Route::Chat, at(3))),
            jobs: Some(Sourced::new(7, at(4))),
            retries: Some(Sourced::new(5, at(5))),
            timeout: Some(Sourced::new(50, at(6))),
            download_timeout: Some(Sourced::new(40, at(7))),
            metadata: Some(Sourced::new(false, at(8))),
            prompt_in_file: Some(Sourced::new(false, at(12))),
            max_cost: Some(Sourced::new("3".into(), at(9))),
            base_url: Some(Sourced::new(Url::parse("http://file.test/v1").unwrap(), at(10))),
            api_key_command: Some(Sourced::new("pass show aisa".into(), at(11))),
            offline: Some(Sourced::new(true, at(12))),
        }
    }

    fn env() -> Env {
        Env {
            model: Some("env-model".into()),
            route: Some("images".into()),
            base_url: Some("http://env.test/v1".into()),
            ..Env::default()
        }
    }

    fn flags() -> Flags {
        Flags {
            model: Some("flag-model".into()),
            pro: false,
            out: Some("flag-out".into()),
            route: Some(Route::Auto),
            jobs: Some(1),
            retries: Some(0),
            timeout: Some(9),
            download_timeout: Some(8),
            max_cost: Some("1".into()),
            base_url: Some("http://flag.test/v1".into()),
            metadata: Some(false),
            offline: false,
            prompt_in_file: Some(false),
        }
    }

    #[test]
    fn offline_takes_its_place_beside_the_base_url() {
        let none = FileValues::default();
        let on_file = FileValues { offline: Some(Sourced::new(true, Source::File { line: 1 })), ..none.clone() };
        let url_file = FileValues { base_url: file().base_url, ..on_file.clone() };
        let offline_env = |value: &str| Env { offline_var: Some(value.into()), ..Env::default() };
        let flag = Flags { offline: true, ..Flags::default() };
        // off unless asked, on when asked anywhere
        assert!(!goes_offline(&Flags::default(), &Env::default(), &none).unwrap());
        assert!(goes_offline(&flag, &Env::default(), &none).unwrap());
        assert!(goes_offline(&Flags::default(), &offline_env("1"), &none).unwrap());
        assert!(goes_offline(&Flags::default(), &Env::default(), &on_file).unwrap());
        // the file's base_url beside its offline = true: offline (the same weight)
        assert!(goes_offline(&Flags::default(), &Env::default(), &url_file).unwrap());
        // WAN_OFFLINE=0 turns the file's off; AISA_BASE_URL outweighs the file's
        assert!(!goes_offline(&Flags::default(), &offline_env("0"), &on_file).unwrap());
        assert!(!goes_offline(&Flags::default(), &env(), &on_file).unwrap());
        // --base-url outweighs WAN_OFFLINE; --offline outweighs AISA_BASE_URL
        let url_flag = Flags { base_url: Some("http://flag.test/v1".into()), ..Flags::default() };
        assert!(!goes_offline(&url_flag, &offline_env("yes"), &none).unwrap());
        assert!(goes_offline(&flag, &env(), &url_file).unwrap());
        // both flags, or a WAN_OFFLINE that says neither: errors
        let both = Flags { offline: true, ..url_flag };
        assert!(goes_offline(&both, &Env::default(), &none).unwrap_err().message.contains("--offline and --base-url"));
        let maybe = goes_offline(&Flags::default(), &offline_env("maybe"), &none).unwrap_err();
        assert_eq!(maybe.message, "WAN_OFFLINE=\"maybe\" is neither on nor off");
    }

    #[test]
    fn a_flag_wins_over_everything() {
        let r = resolve(&flags(), &env(), &file()).unwrap();
        assert_eq!(r.model, Sourced::new("flag-model".into(), Source::Flag));
        assert_eq!(r.out, Sourced::new(Some("flag-out".into()), Source::Flag));
        assert_eq!(r.route, Sourced::new(Route::Auto, Source::Flag));
        assert_eq!((r.jobs.value, r.retries.value, r.timeout.value, r.download_timeout.value), (1, 0, 9, 8));
        assert_eq!(r.max_cost, Sourced::new(Some("1".into()), Source::Flag));
        assert_eq!(r.base_url.value.as_str(), "http://flag.test/v1");
        assert!(
            [&r.jobs.source, &r.retries.source, &r.timeout.source, &r.base_url.source]
                .iter()
                .all(|s| **s == Source::Flag)
        );
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let r = resolve(&Flags::default(), &env(), &file()).unwrap();
        assert_eq!(r.model, Sourced::new("env-model".into(), Source::Env("WAN_MODEL")));
        assert_eq!(r.route, Sourced::new(Route::Images, Source::Env("WAN_ROUTE")));
        assert_eq!(r.base_url.source, Source::Env("AISA_BASE_URL"));
        // no environment variable for these: the file's
        assert_eq!(r.jobs, Sourced::new(7, Source::File { line: 4 }));
        assert_eq!(r.out, Sourced::new(Some("/file/out".into()), Source::File { line: 2 }));
    }

    #[test]
    fn the_file_wins_over_the_defaults() {
        let r = resolve(&Flags::default(), &Env::default(), &file()).unwrap();
        assert_eq!(r.model.value, "file-model");
        assert_eq!(r.route.value, Route::Chat);
        assert_eq!((r.jobs.value, r.retries.value, r.timeout.value, r.download_timeout.value), (7, 5, 50, 40));
        assert_eq!(r.metadata, Sourced::new(false, Source::File { line: 8 }));
        assert_eq!(r.prompt_in_file, Sourced::new(false, Source::File { line: 12 }));
        assert_eq!(r.max_cost.value.as_deref(), Some("3"));
        assert_eq!(r.base_url, Sourced::new(Url::parse("http://file.test/v1").unwrap(), Source::File { line: 10 }));
        assert_eq!(r.key, KeySource::Command(Sourced::new("pass show aisa".into(), Source::File { line: 11 })));
    }

    #[test]
    fn with_nothing_set_the_defaults_hold() {
        let r = resolve(&Flags::default(), &Env::default(), &FileValues::default()).unwrap();
        assert_eq!(r.model, Sourced::new(DEFAULT_MODEL.into(), Source::Default));
        assert_eq!(r.out, Sourced::new(None, Source::Default));
        assert_eq!(r.route.value, Route::Auto);
        assert_eq!((r.jobs.value, r.retries.value, r.timeout.value, r.download_timeout.value), (4, 2, 300, 120));
        assert_eq!(r.metadata, Sourced::new(true, Source::Default));
        assert_eq!(r.prompt_in_file, Sourced::new(true, Source::Default));
        assert_eq!(r.max_cost.value, None);
        assert_eq!(r.base_url.value.as_str(), "https://api.aisa.one/v1");
        assert_eq!(r.key, KeySource::Missing);
    }

    #[test]
    fn pro_is_a_flag_and_conflicts_with_model() {
        let pro = Flags { pro: true, ..Flags::default() };
        assert_eq!(resolve(&pro, &env(), &file()).unwrap().model, Sourced::new(PRO_MODEL.into(), Source::Flag));
        let both = Flags { pro: true, model: Some("x".into()), ..Flags::default() };
        assert_eq!(resolve(&both, &env(), &file()).unwrap_err().kind.exit_code(), 2);
    }

    #[test]
    fn the_environment_key_wins_over_the_command() {
        let with_key = Env { api_key: Some("k".into()), ..Env::default() };
        assert_eq!(key_source(&with_key, &file()), KeySource::Env);
    }

    #[test]
    fn bad_environment_values_name_their_variable() {
        let route = Env { route: Some("sideways".into()), ..Env::default() };
        let error = resolve(&Flags::default(), &route, &FileValues::default()).unwrap_err();
        assert_eq!(error.to_string(), "WAN_ROUTE=\"sideways\" is not a route: give one of auto, chat, images, gemini");
        let base = Env { base_url: Some("ftp://x".into()), ..Env::default() };
        let error = resolve(&Flags::default(), &base, &FileValues::default()).unwrap_err();
        assert!(error.to_string().starts_with("AISA_BASE_URL: base URL"), "{error}");
        assert_eq!(error.kind.exit_code(), 2);
    }
}

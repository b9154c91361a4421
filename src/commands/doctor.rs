//! `wan doctor`: the set-up checked step by step, one line each with ✓ or ✗ and a hint;
//! the exit code is that of the first check that fails.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::blocking::Client;
use reqwest::header;
use serde_json::Value;

use crate::api::classify::parse_error;
use crate::api::{self, ApiKey, header_text};
use crate::catalogue::money;
use crate::config::api_key;
use crate::config::env::Env;
use crate::config::precedence::{self, Flags, KeySource};
use crate::config::{self, Config};
use crate::error::{Error, Kind, clean, root_cause};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

/// Each network check is over within this, connecting included.
const NETWORK_BOUND: Duration = Duration::from_secs(10);
/// What is read of an answer: `/models` and the balance are small, and a check reads no more.
const MAX_BODY: u64 = 256 * 1024;

/// How one check came out.
#[derive(Debug, PartialEq, Eq)]
enum Status {
    Holds,
    Fails(Kind),
    /// It could not be checked, for a reason that is not a fault of the set-up (or
    /// whose fault an earlier line already shows).
    NotChecked,
}

#[derive(Debug)]
struct Check {
    status: Status,
    text: String,
    hint: Option<String>,
}

impl Check {
    fn holds(text: impl Into<String>) -> Self {
        Self { status: Status::Holds, text: text.into(), hint: None }
    }

    fn not_checked(text: impl Into<String>) -> Self {
        Self { status: Status::NotChecked, text: text.into(), hint: None }
    }

    fn fails(what: &str, error: &Error) -> Self {
        Self { status: Status::Fails(error.kind), text: format!("{what}: {error}"), hint: error.hint.clone() }
    }

    fn lines(&self) -> Vec<String> {
        let mark = match self.status {
            Status::Holds => "✓",
            Status::Fails(_) => "✗",
            Status::NotChecked => "-",
        };
        let mut lines = vec![format!("{mark} {}", clean(&self.text))];
        lines.extend(self.hint.iter().map(|hint| format!("  hint: {}", clean(hint))));
        lines
    }
}

/// Runs every check in order, printing each line as soon as it is known (a slow service
/// shows which step it is stuck on).
pub fn run(env: &Env) -> Result<Outcome, Error> {
    let mut stdout = Stdout::default();
    let mut first_failure = None;
    let mut report = |check: Check| -> Result<(), Error> {
        if let (Status::Fails(kind), None) = (&check.status, first_failure) {
            first_failure = Some(*kind);
        }
        check.lines().iter().try_for_each(|line| stdout.line(line))
    };
    let (config, check) = config_file(env);
    report(check)?;
    let values = &config.values;
    report(settings(env, &config))?;
    let (key, check) = key(env, &config);
    report(check)?;
    let base = match precedence::base_url(&Flags::default(), env, values) {
        Ok(base) if env.offline => {
            report(Check::holds(format!("base URL: {} (offline: the emulator inside wan)", base.value)))?;
            Some(base.value)
        }
        Ok(base) => {
            report(Check::holds(format!("base URL: {} ({})", base.value, base.source)))?;
            Some(base.value)
        }
        Err(error) => {
            report(Check::fails("base URL", &error))?;
            None
        }
    };
    let http = api::http_client()?;
    let answered = match &base {
        Some(base) => {
            let (answered, check) = service(&http, base);
            report(check)?;
            answered
        }
        None => {
            report(Check::not_checked("service: not checked, for want of a base URL"))?;
            false
        }
    };
    report(match (&base, &key) {
        (Some(base), Some(key)) if answered => key_accepted(&http, base, key),
        (_, None) => Check::not_checked("key accepted: not checked, for want of a key"),
        _ => Check::not_checked("key accepted: not checked: the service did not answer"),
    })?;
    report(journal_folder(env))?;
    report(output_folder(&precedence::out(&Flags::default(), values).value))?;
    Ok(first_failure.map_or(Outcome::Success, Outcome::Failed))
}

fn config_file(env: &Env) -> (Config, Check) {
    match config::load(&env.dirs) {
        Ok(config) => {
            let check = match (&config.path, config.found) {
                (Some(path), true) => Check::holds(format!("config file: {} (read)", path.display())),
                (Some(path), false) => {
                    Check::holds(format!("config file: {} (not there: the defaults hold)", path.display()))
                }
                (None, _) => Check::holds("config file: none (no WAN_CONFIG, XDG_CONFIG_HOME or HOME)"),
            };
            (config, check)
        }
        Err(error) => {
            let check = Check::fails("config file", &error);
            // The rest is checked as if there were no file: the line above says why.
            (Config { path: env.dirs.config_file(), ..Config::default() }, check)
        }
    }
}

/// The settings the file and the environment make (a bad `WAN_ROUTE`, say), shown in short.
fn settings(env: &Env, config: &Config) -> Check {
    match precedence::resolve(&Flags::default(), env, &config.values) {
        Ok(chosen) => Check::holds(format!(
            "settings: model {} ({}), route {} ({}); `wan config show` lists them all",
            chosen.model.value,
            chosen.model.source,
            chosen.route.value.name(),
            chosen.route.source
        )),
        Err(error) => Check::fails("settings", &error),
    }
}

/// The key, from where a run would take it; `api_key_command` is run, as a run would.
fn key(env: &Env, config: &Config) -> (Option<ApiKey>, Check) {
    let source = precedence::key_source(env, &config.values);
    let from = match &source {
        KeySource::Env => "AISA_API_KEY".to_string(),
        KeySource::Command(command) => format!("api_key_command `{}`", clean(&command.value)),
        KeySource::Missing => String::new(),
    };
    match api_key::obtain(&source, env, config.path.as_deref()) {
        Ok(key) if env.offline => (Some(key), Check::holds("API key: none needed offline")),
        Ok(key) => (Some(key), Check::holds(format!("API key: set, from {from}"))),
        Err(error) => (None, Check::fails("API key", &error)),
    }
}

/// An answer: its status, the request id, its first bytes, and how long it took.
struct Answer {
    status: u16,
    request_id: Option<String>,
    body: Vec<u8>,
    took: Duration,
}

fn get(http: &Client, url: &str, key: Option<&ApiKey>) -> Result<Answer, reqwest::Error> {
    let started = Instant::now();
    let mut request = http.get(url).header(header::ACCEPT, "application/json").timeout(NETWORK_BOUND);
    if let Some(key) = key {
        request = key.authorize(request);
    }
    let response = request.send()?;
    let status = response.status().as_u16();
    let request_id = header_text(response.headers(), "x-request-id");
    let mut body = Vec::new();
    // A body cut short or too slow says nothing more than the status already did.
    let _ = response.take(MAX_BODY).read_to_end(&mut body);
    Ok(Answer { status, request_id, body, took: started.elapsed() })
}

fn host_of(base: &Url) -> String {
    base.host_str().unwrap_or("the API").to_string()
}

/// No HTTP answer at all: what happened, as a run would say it.
fn unreachable(base: &Url, err: &reqwest::Error) -> Error {
    let host = host_of(base);
    let what = if err.is_timeout() {
        format!("no answer from {host} within {} s", NETWORK_BOUND.as_secs())
    } else {
        format!("could not connect to {host}: {}", root_cause(err))
    };
    Error::new(Kind::Service, what).with_hint("check the base URL, your network, and HTTPS_PROXY if you need a proxy")
}

/// `GET {base}/models`, without the key: any answer but a 404 or a 5xx shows that the
/// service is there. The key is checked on its own, next.
fn service(http: &Client, base: &Url) -> (bool, Check) {
    let url = endpoint(base, "models");
    let answer = match get(http, &url, None) {
        Ok(answer) => answer,
        Err(err) => return (false, Check::fails("service", &unreachable(base, &err))),
    };
    let status = answer.status;
    let fails = |kind, what: String, hint: &str| {
        let detail = parse_error(status, &answer.body, answer.request_id.clone());
        (false, Check::fails("service", &Error::new(kind, what).with_api(detail).with_hint(hint)))
    };
    match status {
        404 => fails(
            Kind::Rejected,
            format!("GET {url} found nothing"),
            "is the base URL right? It ends in /v1: https://api.aisa.one/v1",
        ),
        500.. => {
            fails(Kind::Service, format!("GET {url} failed"), "the service is failing; try again in a little while")
        }
        // A ✓ beside a bare "HTTP 401" reads as a failure: the line says why it is none.
        _ => {
            let took = answer.took.as_secs_f64();
            let why = match status {
                200..=299 => format!("GET answered HTTP {status} in {took:.2} s"),
                401 | 403 => format!(
                    "GET without the key answered HTTP {status} in {took:.2} s, as a service that wants one does; \
                     the key is checked next"
                ),
                _ => format!("GET answered HTTP {status} in {took:.2} s, an answer all the same"),
            };
            (true, Check::holds(format!("service: {url} is there ({why})")))
        }
    }
}

/// `GET {base}/credits/balance` with the key: 200 means the key is taken, 401 or 403 that
/// it is refused. A 404 means the service has no balance there; that says nothing of the key.
fn key_accepted(http: &Client, base: &Url, key: &ApiKey) -> Check {
    let url = endpoint(base, "credits/balance");
    let answer = match get(http, &url, Some(key)) {
        Ok(answer) => answer,
        Err(err) => return Check::fails("key accepted", &unreachable(base, &err)),
    };
    let status = answer.status;
    if (200..300).contains(&status) {
        return Check::holds(format!("key accepted: {}", balance(&answer.body)));
    }
    if status == 404 {
        return Check::not_checked(format!(
            "key accepted: not checked: GET {url} answered 404, so this service shows no balance there \
             (no fault of the key; the first request will check it)"
        ));
    }
    let detail = parse_error(status, &answer.body, answer.request_id.clone());
    let (kind, what, hint) = match status {
        401 | 403 => (
            Kind::Auth,
            "the service refused the key",
            "check the key at https://console.aisa.one: a revoked key answers 401",
        ),
        429 => {
            (Kind::RateLimited, "the service is limiting this key", "wait a little, or check the key's spending cap")
        }
        500.. => {
            (Kind::Service, "the balance could not be read", "the service is failing; try again in a little while")
        }
        _ => (Kind::Rejected, "the balance request was refused", "the service answered what it does not document"),
    };
    Check::fails("key accepted", &Error::new(kind, what).with_api(detail).with_hint(hint))
}

/// `balance $12.345 available`, from `available_balance_micros_usd` where the answer has it.
fn balance(body: &[u8]) -> String {
    let micros = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("available_balance_micros_usd").and_then(Value::as_u64));
    match micros {
        Some(micros) => format!("yes, balance {} available", money::format_usd(micros)),
        None => "yes".to_string(),
    }
}

fn endpoint(base: &Url, path: &str) -> String {
    format!("{}/{path}", base.as_str().trim_end_matches('/'))
}

/// The state folder, where the journal lives: made if missing, and a file written in it.
fn journal_folder(env: &Env) -> Check {
    let Some(dir) = env.dirs.state_dir() else {
        return Check::fails(
            "journal folder",
            &Error::new(Kind::Other, "none: none of WAN_STATE_DIR, XDG_STATE_HOME and HOME is set")
                .with_hint("export WAN_STATE_DIR=/path/to/a/folder"),
        );
    };
    let made = fs::create_dir_all(&dir).map_err(|e| Error::io(format_args!("cannot make {}", dir.display()), &e));
    // The journal itself must open: a corrupt or newer-schema wan.db would make every run
    // go on without one.
    let opened =
        |()| crate::journal::open(&dir).map(drop).map_err(|e| Error::new(Kind::Other, format!("the journal: {e}")));
    match made.and_then(|()| writable(&dir, Kind::Other)).and_then(opened) {
        Ok(()) => Check::holds(format!("journal folder: {} (writable; wan.db opens)", dir.display())),
        Err(error) => {
            Check::fails("journal folder", &error.with_hint("set WAN_STATE_DIR to a folder you can write in"))
        }
    }
}

/// The output folder a run without `-o` would use: written in if it is there, else its
/// nearest existing parent must let it be made. Nothing is left behind.
fn output_folder(out: &Option<PathBuf>) -> Check {
    let dir = out.clone().unwrap_or_else(|| PathBuf::from("."));
    let shown = dir.display().to_string();
    let result = match fs::metadata(&dir) {
        Ok(meta) if !meta.is_dir() => Err(Error::usage(format!("{shown} exists and is not a folder"))),
        Ok(_) => writable(&dir, Kind::Usage).map(|()| format!("output folder: {shown} (writable)")),
        Err(_) => {
            // The nearest thing that exists above it must be a folder a run can write in:
            // a file there (out = "a-file/x") makes the folder impossible to create.
            let nearest = dir.ancestors().skip(1).find(|p| p.as_os_str().is_empty() || p.exists());
            let parent = match nearest {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            if !parent.is_dir() {
                Err(Error::usage(format!("{shown} cannot be made: {} is not a folder", parent.display())))
            } else {
                writable(&parent, Kind::Usage)
                    .map(|()| format!("output folder: {shown} (not there yet; a run makes it in {})", parent.display()))
            }
        }
    };
    match result {
        Ok(text) => Check::holds(text),
        Err(error) => Check::fails("output folder", &error.with_hint("set out in the config file, or pass -o DIR")),
    }
}

/// Whether a file can be made in `dir`: mode bits cannot tell (ACLs, read-only mounts,
/// root), so one is made and removed, with the `.part` suffix a run clears if it is left.
fn writable(dir: &Path, kind: Kind) -> Result<(), Error> {
    let probe = tempfile::Builder::new().prefix(".wan-probe-").suffix(".part").tempfile_in(dir);
    probe
        .and_then(tempfile::NamedTempFile::close)
        .map_err(|e| Error::new(kind, format!("{} is not writable: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_is_one_line_and_a_hint() {
        let error = Error::new(Kind::Auth, "no key").with_hint("export AISA_API_KEY=…");
        assert_eq!(Check::fails("API key", &error).lines(), ["✗ API key: no key", "  hint: export AISA_API_KEY=…"]);
        assert_eq!(Check::holds("base URL: x").lines(), ["✓ base URL: x"]);
        assert_eq!(Check::not_checked("key accepted: not checked").lines(), ["- key accepted: not checked"]);
    }

    #[test]
    fn the_balance_is_shown_where_the_answer_has_it() {
        assert_eq!(balance(br#"{"available_balance_micros_usd": 12345000}"#), "yes, balance $12.345 available");
        assert_eq!(balance(b"not json"), "yes");
    }

    #[test]
    fn an_output_folder_that_is_not_there_is_checked_by_its_parent() {
        let tmp = tempfile::tempdir().unwrap();
        let check = output_folder(&Some(tmp.path().join("a/b")));
        assert_eq!(check.status, Status::Holds, "{check:?}");
        assert!(check.text.contains("not there yet"), "{check:?}");
        assert!(!tmp.path().join("a").exists());
        fs::write(tmp.path().join("file"), "x").unwrap();
        let check = output_folder(&Some(tmp.path().join("file")));
        assert_eq!(check.status, Status::Fails(Kind::Usage), "{check:?}");
    }
}

//! The config file: read, every key checked, and each error naming the file, the line and the key.

pub mod api_key;
pub mod base_url;
pub mod env;
pub mod paths;
pub mod precedence;

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::Deserialize;
use toml::Spanned;

use crate::api::route::Route;
use crate::catalogue::money;
use crate::config::paths::Dirs;
use crate::error::{Error, sanitize};
use precedence::{Source, Sourced};

/// Every key the file may set, in the order the README lists them.
pub const KEYS: [&str; 14] = [
    "model",
    "out",
    "route",
    "jobs",
    "retries",
    "timeout",
    "download_timeout",
    "metadata",
    "prompt_in_file",
    "max_cost",
    "base_url",
    "api_key_command",
    "offline",
    "preview",
];

/// A config file is a few lines; this bounds what `WAN_CONFIG=/dev/zero` can make `wan` hold.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// The file as TOML gives it. Integers are `i64` (what TOML holds) so that `jobs = 0`
/// and `retries = -1` get the same message as a string would; `max_cost` may be a
/// number or a string.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    model: Option<Spanned<String>>,
    out: Option<Spanned<String>>,
    route: Option<Spanned<String>>,
    jobs: Option<Spanned<i64>>,
    retries: Option<Spanned<i64>>,
    timeout: Option<Spanned<i64>>,
    download_timeout: Option<Spanned<i64>>,
    metadata: Option<Spanned<bool>>,
    prompt_in_file: Option<Spanned<bool>>,
    max_cost: Option<Spanned<toml::Value>>,
    base_url: Option<Spanned<String>>,
    api_key_command: Option<Spanned<String>>,
    offline: Option<Spanned<bool>>,
    preview: Option<Spanned<bool>>,
}

/// The file's values, checked, each with its line.
#[derive(Clone, Debug, Default)]
pub struct FileValues {
    pub model: Option<Sourced<String>>,
    /// With `~/` made the home folder; otherwise as written.
    pub out: Option<Sourced<PathBuf>>,
    pub route: Option<Sourced<Route>>,
    pub jobs: Option<Sourced<usize>>,
    pub retries: Option<Sourced<u32>>,
    pub timeout: Option<Sourced<u64>>,
    pub download_timeout: Option<Sourced<u64>>,
    pub metadata: Option<Sourced<bool>>,
    pub prompt_in_file: Option<Sourced<bool>>,
    /// As written; a valid amount.
    pub max_cost: Option<Sourced<String>>,
    pub base_url: Option<Sourced<Url>>,
    pub api_key_command: Option<Sourced<String>>,
    /// `offline = true`: every command that would reach the service plays it inside `wan`.
    pub offline: Option<Sourced<bool>>,
    /// `preview = true`: as `--preview`.
    pub preview: Option<Sourced<bool>>,
}

/// Where the config file is, whether it is there, and what it sets.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `None` when no variable says where it would be (no `WAN_CONFIG`, XDG folder or `HOME`).
    pub path: Option<PathBuf>,
    pub found: bool,
    pub values: FileValues,
}

/// Reads the config file, if there is one. A missing file is no error: nothing is set.
pub fn load(dirs: &Dirs) -> Result<Config, Error> {
    let Some(path) = dirs.config_file() else { return Ok(Config::default()) };
    let Some(text) = read(&path)? else { return Ok(Config { path: Some(path), ..Config::default() }) };
    let values = parse(&text, dirs).map_err(|problem| problem.into_error(&path))?;
    Ok(Config { path: Some(path), found: true, values })
}

fn read(path: &Path) -> Result<Option<String>, Error> {
    let cannot = |e: io::Error| Error::usage(format!("cannot read config file {}: {e}", path.display()));
    let file = match fs::File::open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        opened => opened.map_err(cannot)?,
    };
    warn_if_others_can_write(path, &file);
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::usage(format!("config file {} is over 1 MiB: is it the right file?", path.display())));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::usage(format!("config file {} is not UTF-8 text", path.display())))?;
    // Editors on Windows start a file with a byte-order mark; TOML does not allow one.
    Ok(Some(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text)))
}

/// Warns, as ssh does of its own files, where someone else could write the file or put
/// another in its place: the file can make `wan` run a command (`api_key_command`) and
/// send the key where it says (`base_url`). Once a process, however often it is read.
fn warn_if_others_can_write(path: &Path, file: &fs::File) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    if let Some(why) = writable_by_others(path, file) {
        WARNED.call_once(|| {
            eprintln!(
                "wan: warning: {why}: whoever can write it can make wan run a command (api_key_command) \
                 or send the key elsewhere (base_url); run chmod o-w on it"
            );
        });
    }
}

/// Why others could change the config file: it, or its folder (unless sticky, as /tmp
/// is), is writable by anyone.
fn writable_by_others(path: &Path, file: &fs::File) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().ok()?.permissions().mode();
        if mode & 0o002 != 0 {
            return Some(format!(
                "the config file {} is writable by anyone (mode {:04o})",
                path.display(),
                mode & 0o7777
            ));
        }
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mode = fs::metadata(folder).ok()?.permissions().mode();
        if mode & 0o002 != 0 && mode & 0o1000 == 0 {
            let folder = folder.display();
            return Some(format!(
                "the config file's folder {folder} is writable by anyone (mode {:04o})",
                mode & 0o7777
            ));
        }
    }
    let _ = (path, file);
    None
}

/// What is wrong with the file, and where; the file's path is added by `into_error`.
#[derive(Debug, PartialEq, Eq)]
struct Problem {
    line: usize,
    key: Option<String>,
    what: What,
}

#[derive(Debug, PartialEq, Eq)]
enum What {
    /// The text is not TOML; the parser's message.
    Syntax(String),
    Unknown,
    /// `api_key = …`: the file holds no key.
    Key,
    /// A known key with a value it cannot take.
    Bad,
}

impl Problem {
    fn into_error(self, path: &Path) -> Error {
        let at = format!("config file {}, line {}", path.display(), self.line);
        let key = self.key.as_deref().unwrap_or("");
        match self.what {
            What::Syntax(message) if key.is_empty() => Error::usage(format!("{at}: not valid TOML: {message}")),
            What::Syntax(message) => Error::usage(format!("{at}: {key}: not valid TOML: {message}"))
                .with_hint("strings are quoted (model = \"wan2.7-image-pro\"); numbers and true/false are not"),
            What::Key => Error::usage(format!("{at}: {key}: the API key must not be kept in the config file"))
                .with_hint(
                    "keep the key in a password manager and set api_key_command = \"pass show aisa\" \
                 (any command that prints the key), or export AISA_API_KEY",
                ),
            What::Unknown => Error::usage(format!("{at}: unknown key {key:?}"))
                .with_hint(format!("the keys are {}", KEYS.join(", "))),
            What::Bad => Error::usage(format!("{at}: {key} must be {}", expected(key))),
        }
    }
}

/// What a key takes, in words.
fn expected(key: &str) -> String {
    match key {
        "model" => "a model name, e.g. \"wan2.7-image-pro\"".into(),
        "out" => "a folder, e.g. \"~/Pictures/wan\"".into(),
        "route" => format!("one of {}", precedence::route_names()),
        "jobs" => "a whole number, 1 or more".into(),
        "retries" => "a whole number, 0 or more".into(),
        "timeout" | "download_timeout" => "a whole number of seconds, 1 or more".into(),
        "metadata" | "offline" | "prompt_in_file" | "preview" => "true or false".into(),
        "max_cost" => "an amount in US dollars, e.g. 0.50".into(),
        "base_url" => "an http or https URL with a host, e.g. \"https://api.aisa.one/v1\"".into(),
        "api_key_command" => "a command that prints the key, e.g. \"pass show aisa\"".into(),
        _ => "something else".into(),
    }
}

fn parse(text: &str, dirs: &Dirs) -> Result<FileValues, Problem> {
    let raw: Raw = toml::from_str(text).map_err(|e| locate(text, &e))?;
    let whole = |n: i64, min: i64| (n >= min).then_some(n);
    let filled = |v: String| (!v.trim().is_empty()).then_some(v);
    Ok(FileValues {
        model: field(text, "model", raw.model, filled)?,
        out: field(text, "out", raw.out, |v| filled(v).and_then(|v| dirs.expand_home(&v).ok()))?,
        route: field(text, "route", raw.route, |v| Route::from_name(&v))?,
        jobs: field(text, "jobs", raw.jobs, |v| whole(v, 1).and_then(|n| usize::try_from(n).ok()))?,
        retries: field(text, "retries", raw.retries, |v| whole(v, 0).and_then(|n| u32::try_from(n).ok()))?,
        timeout: field(text, "timeout", raw.timeout, |v| whole(v, 1).and_then(|n| u64::try_from(n).ok()))?,
        download_timeout: field(text, "download_timeout", raw.download_timeout, |v| {
            whole(v, 1).and_then(|n| u64::try_from(n).ok())
        })?,
        metadata: field(text, "metadata", raw.metadata, Some)?,
        prompt_in_file: field(text, "prompt_in_file", raw.prompt_in_file, Some)?,
        max_cost: field(text, "max_cost", raw.max_cost, |v| amount(&v))?,
        base_url: field(text, "base_url", raw.base_url, |v| base_url::base_url(&v).ok())?,
        api_key_command: field(text, "api_key_command", raw.api_key_command, filled)?,
        offline: field(text, "offline", raw.offline, Some)?,
        preview: field(text, "preview", raw.preview, Some)?,
    })
    .and_then(|values| match &values.api_key_command {
        // `echo sk-aisa-…` would put the key in the file after all, and `wan config show`
        // would print it with the command. Keys start so (https://aisa.one/docs/guides/authentication).
        Some(Sourced { value, source: Source::File { line } }) if value.contains("sk-aisa-") => {
            Err(Problem { line: *line, key: Some("api_key_command".into()), what: What::Key })
        }
        _ => Ok(values),
    })
}

/// One key's value, checked by `convert`, with its line: a value it refuses is an error
/// naming both.
fn field<R, T>(
    text: &str,
    key: &str,
    raw: Option<Spanned<R>>,
    convert: impl FnOnce(R) -> Option<T>,
) -> Result<Option<Sourced<T>>, Problem> {
    let Some(spanned) = raw else { return Ok(None) };
    let line = line_of(text, spanned.span().start);
    let value =
        convert(spanned.into_inner()).ok_or_else(|| Problem { line, key: Some(key.into()), what: What::Bad })?;
    Ok(Some(Sourced { value, source: Source::File { line } }))
}

/// `max_cost` as text `--max-cost` would take, from a TOML number or string.
fn amount(value: &toml::Value) -> Option<String> {
    let text = match value {
        toml::Value::String(text) => text.trim().to_string(),
        toml::Value::Integer(n) => n.to_string(),
        // Rust prints the shortest text that reads back as the same float, never with an
        // exponent: `0.1` is "0.1", not "0.1000000000000000055511151231257827".
        toml::Value::Float(f) => f.to_string(),
        _ => return None,
    };
    money::parse_limit_usd(&text).map(|_| text)
}

/// Turns a TOML error into the line and the key it is about. A value of the wrong type
/// is found in the document's spans (an array may span lines); a syntax error by the
/// text of its line, since the document cannot be read.
fn locate(text: &str, error: &toml::de::Error) -> Problem {
    let at = error.span().map_or(0, |span| span.start);
    let document = toml::from_str::<BTreeMap<Spanned<String>, Spanned<toml::Value>>>(text);
    let (line, key, parsed) = match &document {
        Ok(map) => {
            let found =
                map.iter().find(|(k, v)| k.span().contains(&at) || v.span().contains(&at) || v.span().start == at);
            match found {
                Some((k, _)) => (line_of(text, k.span().start), Some(k.get_ref().clone()), true),
                None => (line_of(text, at), key_on_line(text, line_of(text, at)), true),
            }
        }
        Err(_) => (line_of(text, at), key_on_line(text, line_of(text, at)), false),
    };
    let what = match key.as_deref() {
        Some("api_key") => What::Key,
        _ if !parsed => What::Syntax(sanitize(error.message())),
        Some(key) if !KEYS.contains(&key) => What::Unknown,
        Some(_) => What::Bad,
        None => What::Syntax(sanitize(error.message())),
    };
    Problem { line, key, what }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The key a line sets (`key = …`) or opens (`[key]`), as written, for a line the parser
/// could not read.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let content = text.lines().nth(line - 1)?.trim();
    let key = match content.strip_prefix('[') {
        Some(table) => table.trim_start_matches('[').split(']').next()?,
        None => content.split_once('=')?.0,
    };
    let key = key.trim().trim_matches(['"', '\'']);
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    bare.then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> Dirs {
        Dirs { home: Some("/home/u".into()), ..Dirs::default() }
    }

    fn problem(text: &str) -> Problem {
        parse(text, &dirs()).unwrap_err()
    }

    fn bad(line: usize, key: &str) -> Problem {
        Problem { line, key: Some(key.into()), what: What::Bad }
    }

    #[test]
    fn every_key_is_read_with_its_line() {
        let text = "model = \"wan2.7-image-pro\"\nout = \"~/Pictures/wan\"\nroute = \"images\"\njobs = 8\n\
            retries = 0\ntimeout = 60\ndownload_timeout = 30\nmetadata = false\nprompt_in_file = false\n\
            max_cost = 0.5\nbase_url = \"http://127.0.0.1:8787/v1\"\napi_key_command = \"pass show aisa\"\n";
        let v = parse(text, &dirs()).unwrap();
        assert_eq!(v.model.unwrap().value, "wan2.7-image-pro");
        let out = v.out.unwrap();
        assert_eq!(out.value, Path::new("/home/u/Pictures/wan"));
        assert_eq!(out.source, Source::File { line: 2 });
        assert_eq!(v.route.unwrap().value, Route::Images);
        assert_eq!(v.jobs.unwrap().value, 8);
        assert_eq!(v.retries.unwrap().value, 0);
        assert_eq!(v.timeout.unwrap().value, 60);
        assert_eq!(v.download_timeout.unwrap().value, 30);
        assert!(!v.metadata.unwrap().value);
        assert!(!v.prompt_in_file.unwrap().value);
        assert_eq!(v.max_cost.unwrap().value, "0.5");
        assert_eq!(v.base_url.unwrap().value.as_str(), "http://127.0.0.1:8787/v1");
        let command = v.api_key_command.unwrap();
        assert_eq!((command.value.as_str(), command.source), ("pass show aisa", Source::File { line: 12 }));
        assert!(parse("# nothing set\n\n", &dirs()).unwrap().model.is_none());
    }

    #[test]
    fn amounts_may_be_numbers_or_strings() {
        for (text, amount) in [("max_cost = 2", "2"), ("max_cost = 0.1", "0.1"), ("max_cost = \"$0.50\"", "$0.50")] {
            assert_eq!(parse(text, &dirs()).unwrap().max_cost.unwrap().value, amount, "{text}");
        }
        for text in ["max_cost = -1", "max_cost = \"lots\"", "max_cost = true", "max_cost = \"1e3\""] {
            assert_eq!(problem(text), bad(1, "max_cost"), "{text}");
        }
    }

    #[test]
    fn a_bad_value_names_its_line_and_key() {
        let cases = [
            ("model = \"x\"\njobs = 0\n", bad(2, "jobs")),
            ("jobs = \"four\"", bad(1, "jobs")),
            ("\n\nretries = -1", bad(3, "retries")),
            ("timeout = 1.5", bad(1, "timeout")),
            ("download_timeout = 0", bad(1, "download_timeout")),
            ("route = \"sideways\"", bad(1, "route")),
            ("metadata = \"no\"", bad(1, "metadata")),
            ("prompt_in_file = 0", bad(1, "prompt_in_file")),
            ("base_url = \"ftp://x/v1\"", bad(1, "base_url")),
            ("model = \"  \"", bad(1, "model")),
            ("out = \"\"", bad(1, "out")),
            ("api_key_command = \"\"", bad(1, "api_key_command")),
            ("model = \"x\"\njobs = [\n  1,\n  2,\n]\n", bad(2, "jobs")),
            ("[model]\nname = \"x\"", bad(1, "model")),
        ];
        for (text, expected) in cases {
            assert_eq!(problem(text), expected, "{text:?}");
        }
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let got = problem("model = \"x\"\n\ncolour = true\n");
        assert_eq!(got, Problem { line: 3, key: Some("colour".into()), what: What::Unknown });
        let got = problem("[wan]\nmodel = \"x\"\n");
        assert_eq!(got, Problem { line: 1, key: Some("wan".into()), what: What::Unknown });
    }

    #[test]
    fn a_key_in_the_file_is_refused_without_showing_it() {
        for text in ["api_key = \"SECRET-1\"", "model = \"x\"\napi_key = SECRET-1"] {
            let got = problem(text);
            assert_eq!((got.key.as_deref(), &got.what), (Some("api_key"), &What::Key), "{text}");
            let error = got.into_error(Path::new("/c.toml"));
            let shown = format!("{error} {}", error.hint.clone().unwrap_or_default());
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("api_key_command"), "{shown}");
        }
    }

    #[test]
    fn a_key_written_into_the_command_is_refused_too() {
        let got = problem("model = \"x\"\napi_key_command = \"echo sk-aisa-SECRET\"");
        assert_eq!(got, Problem { line: 2, key: Some("api_key_command".into()), what: What::Key });
        assert!(!got.into_error(Path::new("c.toml")).to_string().contains("SECRET"));
    }

    #[test]
    fn syntax_errors_name_the_line_and_the_key_where_there_is_one() {
        let got = problem("model = \"x\"\njobs = four\n");
        assert_eq!((got.line, got.key.as_deref()), (2, Some("jobs")));
        assert!(matches!(got.what, What::Syntax(_)), "{got:?}");
        let got = problem("model = \"x\"\nmodel = \"y\"\n");
        assert_eq!((got.line, got.key.as_deref()), (2, Some("model")));
        let got = problem("this is not toml");
        assert_eq!((got.line, got.key.as_deref()), (1, None));
        let error = got.into_error(Path::new("/c.toml"));
        assert!(error.to_string().starts_with("config file /c.toml, line 1: not valid TOML: "), "{error}");
    }

    #[test]
    fn errors_read_as_the_file_the_line_and_the_key() {
        let error = bad(4, "jobs").into_error(Path::new("/home/u/.config/wan/config.toml"));
        assert_eq!(
            error.to_string(),
            "config file /home/u/.config/wan/config.toml, line 4: jobs must be a whole number, 1 or more"
        );
        assert_eq!(error.kind.exit_code(), 2);
        let route = bad(1, "route").into_error(Path::new("c.toml")).to_string();
        assert!(route.ends_with("route must be one of auto, chat, images, gemini"), "{route}");
    }

    #[test]
    fn a_missing_file_sets_nothing_and_a_folder_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let at = |path: PathBuf| Dirs { config: Some(path), ..Dirs::default() };
        let missing = load(&at(tmp.path().join("none.toml"))).unwrap();
        assert!(!missing.found && missing.values.model.is_none());
        assert_eq!(load(&at(tmp.path().to_path_buf())).unwrap_err().kind.exit_code(), 2);
        assert!(load(&Dirs::default()).unwrap().path.is_none());
        let file = tmp.path().join("c.toml");
        fs::write(&file, "\u{feff}jobs = 2\n").unwrap();
        assert_eq!(load(&at(file)).unwrap().values.jobs.unwrap().value, 2);
    }
}

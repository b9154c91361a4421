//! `wan video`'s settings: the service to talk to, how to follow a task, and what a create
//! sends; plain values, checked before anything is sent (by `commands/video/settings.rs`).

use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value};

use super::body::{self};
use super::media::Media;
use crate::api::ApiKey;
use crate::catalogue::money;
use crate::catalogue::video::{self};
use crate::error::Error;
use crate::files::output::{self};
use crate::term::ui::Display;

/// A clip is larger than an image and the link dies in hours, not days: a download may
/// take this long unless `--download-timeout` (or the config file) says otherwise.
pub const DEFAULT_DOWNLOAD_TIMEOUT: u64 = 600;
pub const DEFAULT_RESOLUTION: &str = "720P";
pub const DEFAULT_DURATION: u32 = 5;

/// Where requests go and with what key.
#[derive(Debug)]
pub struct Service {
    pub base: Url,
    /// `--base-url` was given: a task is followed there, not at the base URL recorded
    /// for it (the environment's and the config file's are for new work).
    pub base_given: bool,
    /// Absent only for a dry run.
    pub key: Option<ApiKey>,
    pub timeout: Duration,
    pub retries: u32,
    pub verbose: bool,
}

impl Service {
    /// Where a task recorded at `recorded` is followed: there, unless `--base-url` said
    /// otherwise (a task lives at the service that made it; another host's 404 says
    /// nothing of it). A recorded URL that no longer parses is passed by.
    pub fn base_for(&self, recorded: &str) -> Url {
        match Url::parse(recorded) {
            Ok(recorded) if !self.base_given => recorded,
            _ => self.base.clone(),
        }
    }
}

/// Whether two base URLs are one service's (a trailing `/` aside).
pub fn same_base(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// How tasks are waited for and their clips saved.
#[derive(Debug)]
pub struct Follow {
    /// `-o`, else the config file's `out`; `None`: the journal's folder, else the current one.
    pub out: Option<PathBuf>,
    /// Whether `out` came from `-o` itself (it then wins over the journal's folder).
    pub out_given: bool,
    pub name: Option<String>,
    pub poll: Duration,
    pub wait_timeout: Duration,
    pub download_timeout: Duration,
    pub json: bool,
    pub display: Display,
    pub state_dir: Option<PathBuf>,
    pub journal: bool,
}

/// A checked `wan video create`.
#[derive(Debug)]
pub struct Create {
    pub prompt: String,
    pub model: String,
    pub media: Vec<Media>,
    pub resolution: Option<&'static str>,
    pub duration: Option<u32>,
    pub params: Map<String, Value>,
    pub no_wait: bool,
    pub dry_run: bool,
    pub service: Service,
    pub follow: Follow,
    /// Sent to the emulator inside `wan` (`--offline`): the journal marks the run.
    pub offline: bool,
}

impl Create {
    /// The create's job, sent with `idempotency_key`.
    pub fn job<'a>(&'a self, idempotency_key: Option<&'a str>) -> body::Job<'a> {
        body::Job {
            model: &self.model,
            prompt: &self.prompt,
            media: &self.media,
            resolution: self.resolution,
            duration: self.duration,
            params: &self.params,
            idempotency_key,
        }
    }

    /// The file stem: `--name`, else the prompt's slug.
    pub fn stem(&self) -> String {
        self.follow.name.clone().unwrap_or_else(|| output::slug(&self.prompt))
    }
}

/// A video of unknown price cannot be held to a limit: refused, as images of unknown
/// price are. `name` says where the limit was set.
pub fn check_max_cost(limit: &str, name: &str, model: &str) -> Result<(), Error> {
    let micros = money::parse_limit_usd(limit)
        .ok_or_else(|| Error::usage(format!("{name} {limit:?} is not an amount in US dollars")))?;
    let Some(price) = video::list_price(model) else {
        return Err(Error::usage(format!("{name} cannot be checked: the price of {model} is not in wan's catalogue"))
            .with_hint(
                "the service's own pages disagree on how videos are billed (a clip, or a second of it); \
             run without a cost limit to make videos",
            ));
    };
    if price > micros {
        return Err(Error::usage(format!(
            "this video would cost {}, more than {name} {}",
            money::format_usd(price),
            money::format_usd(micros)
        )));
    }
    Ok(())
}

/// Whether `id` is a task id as the service makes them: letters, digits, `_`, `-`, `.`,
/// `:`, at most 200. Anything else would change the URL it is put in, or the terminal.
pub fn is_task_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        && !id.chars().all(|c| c == '.')
}

/// A task id given by the user, checked as [`is_task_id`] says.
pub fn check_task_id(id: &str) -> Result<(), Error> {
    if is_task_id(id) {
        return Ok(());
    }
    Err(Error::usage(format!("{:?} is not a video task id", crate::error::clean(id)))
        .with_hint("`wan video list` shows the ids of the tasks this machine started"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_of_unknown_price_is_refused_under_a_cost_limit() {
        let err = check_max_cost("5", "--max-cost", "wan2.7-t2v").unwrap_err();
        assert_eq!(err.kind, crate::error::Kind::Usage);
        assert!(err.to_string().contains("price of wan2.7-t2v is not in wan's catalogue"), "{err}");
        assert!(check_max_cost("lots", "--max-cost", "wan2.7-t2v").unwrap_err().to_string().contains("not an amount"));
    }

    #[test]
    fn task_ids_cannot_change_the_url() {
        for good in ["video_task_69f1c2", "0385dc79-5ff8-4d82-bcb6-caff84b6ab51", "a.b:c"] {
            assert!(check_task_id(good).is_ok(), "{good}");
        }
        for bad in ["", "..", "a/b", "a?b", "a b", "%2e", "x\u{1b}[2J"] {
            assert!(check_task_id(bad).is_err(), "{bad:?}");
        }
    }
}

//! `wan video`: Wan text- and image-to-video through the service's asynchronous tasks:
//! a create sent once, its task id in the journal before the first look, looks until it
//! ends, the clip saved the moment it is ready; `wait`, `status` and `list` beside it.

pub mod body;
pub mod client;
pub mod download;
pub mod follow;
pub mod media;
pub mod recorded;
pub mod report;
pub mod resume;
pub mod route;
pub mod settings;
pub mod task;

use reqwest::blocking::Client as Http;

use crate::journal::recorder::Recorder;
use crate::term::ui::Ui;
use client::Client;
use settings::Follow;

/// What following tasks needs, shared by every task of a command.
pub struct Ctx<'a> {
    pub http: &'a Http,
    pub client: Client<'a>,
    pub follow: &'a Follow,
    pub ui: &'a Ui,
    pub journal: &'a Recorder,
}

/// The journal as `wan video` uses it (unless `--no-journal`): a failure is one
/// warning, and the command goes on without it.
pub fn journal(follow: &Follow, ui: &Ui) -> Recorder {
    let without = "`wan video list` and `wan resume` will not know this task";
    Recorder::open(follow.state_dir.as_deref().filter(|_| follow.journal), without, ui)
}

/// A task id as a spinner shows it: long ids cut in the middle.
pub fn short_id(id: &str) -> String {
    const MAX: usize = 28;
    if id.chars().count() <= MAX {
        return id.to_string();
    }
    let head: String = id.chars().take(MAX - 9).collect();
    let tail: String = id.chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_ids_are_cut_in_the_middle() {
        assert_eq!(super::short_id("video_task_1"), "video_task_1");
        let long = super::short_id("0385dc79-5ff8-4d82-bcb6-caff84b6ab51");
        assert_eq!(long.chars().count(), 28);
        assert!(long.starts_with("0385dc79-5ff8-4d82-") && long.ends_with("84b6ab51"), "{long}");
    }
}

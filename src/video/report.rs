//! How a task ended, as `wan` reports it: the path on stdout (or one JSON object per task),
//! the error with what to do next on stderr, one summary line, and the exit code.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::catalogue::money::{self, Micros};
use crate::catalogue::video;
use crate::error::{Error, Kind};
use crate::files::video_format::VideoFormat;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;
use crate::term::ui::Ui;

/// What became of one task.
#[derive(Clone, Debug)]
pub struct Ended {
    pub id: String,
    pub model: Option<String>,
    /// `saved`, or where the task stands when `wan` stopped following it: `running`,
    /// `completed` (ready, not saved), `expired`, `failed`, `cancelled`, `unknown`.
    pub state: &'static str,
    pub path: Option<PathBuf>,
    /// Saved before this command (by an earlier one, or by another `wan` meanwhile): its
    /// path is printed, but it is neither counted nor priced again.
    pub before: bool,
    pub format: Option<VideoFormat>,
    pub bytes: Option<u64>,
    pub url: Option<String>,
    /// The price the service reported for it, in micro-dollars.
    pub reported: Option<Micros>,
    pub error: Option<Error>,
}

impl Ended {
    pub fn new(id: &str, model: Option<String>) -> Self {
        Self {
            id: id.to_string(),
            model,
            state: "running",
            path: None,
            before: false,
            format: None,
            bytes: None,
            url: None,
            reported: None,
            error: None,
        }
    }

    pub fn failed(mut self, state: &'static str, error: Error) -> Self {
        self.state = state;
        self.error = Some(error);
        self
    }

    /// The service's reported price, else the catalogue's, else unknown.
    pub fn cost(&self) -> (Option<Micros>, &'static str) {
        match (self.reported, self.model.as_deref().and_then(video::list_price)) {
            (Some(price), _) => (Some(price), "reported"),
            (None, Some(price)) => (Some(price), "catalogue"),
            (None, None) => (None, "unknown"),
        }
    }

    /// The `--json` object: the contract's `id, model, state, path, url, cost, error`.
    pub fn to_json(&self) -> Value {
        let (total, source) = self.cost();
        json!({
            "id": self.id,
            "model": self.model,
            "state": self.state,
            "path": self.path.as_ref().map(|p| p.display().to_string()),
            "format": self.format,
            "bytes": self.bytes,
            "url": self.url,
            "cost": {"total": total.map(money::to_usd), "currency": "USD", "source": source},
            "error": self.error.as_ref().map(Error::to_json),
        })
    }
}

/// Prints each task's result as it ends: its path (or its JSON line) on stdout, its
/// error on stderr.
#[derive(Debug)]
pub struct Printer<'a> {
    ui: &'a Ui,
    json: bool,
    stdout: Mutex<Stdout>,
}

impl<'a> Printer<'a> {
    pub fn new(ui: &'a Ui, json: bool) -> Self {
        Self { ui, json, stdout: Mutex::new(Stdout::default()) }
    }

    pub fn ended(&self, ended: &Ended) -> Result<(), Error> {
        if let Some(error) = &ended.error {
            self.ui.error(error);
        }
        let line = match (self.json, &ended.path) {
            (true, _) => ended.to_json().to_string(),
            (false, Some(path)) => path.display().to_string(),
            (false, None) => return Ok(()),
        };
        self.line(&line)
    }

    /// `--no-wait`: the task id, or its JSON line.
    pub fn created(&self, ended: &Ended) -> Result<(), Error> {
        self.line(&if self.json { ended.to_json().to_string() } else { ended.id.clone() })
    }

    /// A line on stdout, out of the way of the spinners of the tasks still waited for.
    fn line(&self, line: &str) -> Result<(), Error> {
        let mut stdout = self.stdout.lock().unwrap_or_else(|p| p.into_inner());
        self.ui.beside_stdout(|| stdout.line(line))
    }
}

/// `saved 1 video to out/ · wan2.7-t2v · cost unknown …`, or what was saved of several;
/// `None` when this command saved none (those saved before are printed, not counted).
pub fn summary(ended: &[Ended], folder: &str) -> Option<String> {
    let before = ended.iter().filter(|e| e.before).count() as u64;
    let ended: Vec<&Ended> = ended.iter().filter(|e| !e.before).collect();
    let saved = ended.iter().filter(|e| e.state == "saved").count() as u64;
    if saved == 0 {
        return None;
    }
    let mut counted = match ended.len() as u64 {
        n if saved == n => format!("{saved} video{}", plural(saved)),
        n => format!("{saved} of {n} videos"),
    };
    if before > 0 {
        counted.push_str(&format!(" ({before} more saved before)"));
    }
    let mut models: Vec<&str> = ended.iter().filter_map(|e| e.model.as_deref()).collect();
    models.sort_unstable();
    models.dedup();
    let model = if models.is_empty() { "model unknown".to_string() } else { models.join(", ") };
    let priced: Vec<(Option<Micros>, &str)> = ended.iter().filter(|e| e.state == "saved").map(|e| e.cost()).collect();
    let cost = if priced.iter().all(|(p, _)| p.is_some()) {
        let total = priced.iter().fold(0u64, |sum, (p, _)| sum.saturating_add(p.unwrap_or(0)));
        let how = if priced.iter().all(|(_, s)| *s == "reported") { " (as reported by the service)" } else { "" };
        format!("{}{how}", money::format_usd(total))
    } else {
        "cost unknown (video prices are not in wan's catalogue, and the service reported none)".to_string()
    };
    Some(format!("saved {counted} to {folder} · {model} · {cost}"))
}

/// The exit code: 0 when every task's video was saved; 8 when the only ones that were
/// not are still running; else as a run of images (7 when some were saved).
pub fn outcome(ended: &[Ended]) -> Outcome {
    let saved = ended.iter().filter(|e| e.state == "saved").count() as u64;
    let kinds: Vec<Kind> = ended.iter().filter_map(|e| e.error.as_ref().map(|error| error.kind)).collect();
    if kinds.is_empty() {
        return Outcome::Success;
    }
    let hard: Vec<Kind> = kinds.iter().copied().filter(|&k| k != Kind::Pending).collect();
    if hard.is_empty() {
        return Outcome::Failed(Kind::Pending);
    }
    Outcome::of_run(saved, hard.into_iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: &str, reported: Option<Micros>) -> Ended {
        Ended {
            state: "saved",
            path: Some(PathBuf::from(format!("out/{id}-001.mp4"))),
            format: Some(VideoFormat::Mp4),
            bytes: Some(10),
            url: Some("https://cdn/v.mp4".into()),
            reported,
            ..Ended::new(id, Some("wan2.7-t2v".into()))
        }
    }

    fn ended_with(kind: Kind) -> Ended {
        Ended::new("t", None).failed("running", Error::new(kind, "x"))
    }

    #[test]
    fn exit_codes_put_pending_last() {
        assert_eq!(outcome(&[saved("a", None)]), Outcome::Success);
        assert_eq!(outcome(&[ended_with(Kind::Pending)]).exit_code(), 8);
        assert_eq!(outcome(&[saved("a", None), ended_with(Kind::Pending)]).exit_code(), 8);
        assert_eq!(outcome(&[ended_with(Kind::Rejected), ended_with(Kind::Pending)]).exit_code(), 4);
        assert_eq!(outcome(&[saved("a", None), ended_with(Kind::Rejected)]).exit_code(), 7);
        assert_eq!(outcome(&[ended_with(Kind::Partial)]).exit_code(), 7);
    }

    #[test]
    fn json_has_the_contract_fields_and_an_unknown_cost() {
        let value = saved("a", None).to_json();
        for field in ["id", "model", "state", "path", "url", "cost", "error"] {
            assert!(value.get(field).is_some(), "{field}");
        }
        assert_eq!(value["cost"], json!({"total": null, "currency": "USD", "source": "unknown"}));
        assert_eq!(saved("a", Some(1_836_000)).to_json()["cost"]["total"], 1.836);
        let failed = ended_with(Kind::Rejected).to_json();
        assert_eq!(failed["error"]["kind"], "rejected");
    }

    #[test]
    fn the_summary_says_why_the_price_is_unknown() {
        assert_eq!(
            summary(&[saved("a", None)], "out/").unwrap(),
            "saved 1 video to out/ · wan2.7-t2v · cost unknown (video prices are not in wan's catalogue, \
             and the service reported none)"
        );
        assert_eq!(
            summary(&[saved("a", Some(1_836_000)), saved("b", Some(1_000_000))], "./").unwrap(),
            "saved 2 videos to ./ · wan2.7-t2v · $2.836 (as reported by the service)"
        );
        assert!(
            summary(&[saved("a", None), ended_with(Kind::Pending)], "./").unwrap().starts_with("saved 1 of 2 videos")
        );
    }

    #[test]
    fn a_video_saved_before_is_neither_counted_nor_priced_again() {
        let before = Ended { before: true, ..saved("a", Some(1_000_000)) };
        assert_eq!(summary(std::slice::from_ref(&before), "out/"), None);
        assert_eq!(
            summary(&[before, saved("b", Some(2_000_000))], "out/").unwrap(),
            "saved 1 video (1 more saved before) to out/ · wan2.7-t2v · $2.000 (as reported by the service)"
        );
        assert_eq!(summary(&[ended_with(Kind::Pending)], "./"), None);
    }
}

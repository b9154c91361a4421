//! Everything `wan` says on standard error: progress, warnings, errors, `-v` lines and the summary.

use std::io::{self, Write};

use crate::error::{Error, sanitize};
use crate::progress::{Progress, Task};

/// Decided once from the flags and the terminal; shared by every thread of a run.
#[derive(Debug, Default)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    /// Colour for `error:`; only on a terminal, and never with `NO_COLOR` or `TERM=dumb`.
    color: bool,
    /// Only when stderr is a terminal and not `-q`.
    progress: Option<Progress>,
}

impl Ui {
    /// `progress_for` is the number of prompts to draw progress for, or `None` for no progress.
    pub fn new(quiet: bool, verbose: bool, progress_for: Option<u64>, color: bool) -> Self {
        Self { quiet, verbose, color, progress: progress_for.map(Progress::new) }
    }

    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// A progress line for one request (inert without progress).
    pub fn task(&self, model: &str, n: u32) -> Task {
        self.progress.as_ref().map(|p| p.request(model, n)).unwrap_or_default()
    }

    fn line(&self, text: &str) {
        // Nothing sensible is left to do if standard error itself is gone.
        let print = || {
            let _ = writeln!(io::stderr().lock(), "{text}");
        };
        match &self.progress {
            Some(progress) => progress.suspend(print),
            None => print(),
        }
    }

    /// A `-v` line: what went over the wire and how long it took.
    pub fn verbose(&self, text: &str) {
        if self.verbose {
            self.line(&format!("wan: {text}"));
        }
    }

    /// How the run is going (a retry, say); left out under `-q`, like progress.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            self.line(&format!("wan: {text}"));
        }
    }

    /// Something the user should know even though the run goes on; shown under `-q` too.
    pub fn warn(&self, text: &str) {
        self.line(&format!("wan: {text}"));
    }

    /// `wan: error: …` and its hint; always shown.
    pub fn error(&self, error: &Error) {
        let label = if self.color { "\x1b[1;31merror\x1b[0m" } else { "error" };
        self.line(&format!("wan: {label}: {error}"));
        if let Some(hint) = &error.hint {
            self.line(&format!("  hint: {}", sanitize(hint)));
        }
    }

    /// Clears the bars and prints the closing summary line, left out under `-q`.
    pub fn summary(&self, text: &str) {
        if let Some(progress) = &self.progress {
            progress.clear();
        }
        if !self.quiet {
            self.line(text);
        }
    }
}

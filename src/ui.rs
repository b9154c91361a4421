//! Everything `wan` says on standard error: warnings, errors, `-v` lines and the summary.

use std::io::{self, Write};

use crate::error::{Error, sanitize};

/// Decided once from the flags and the terminal; shared by every thread of a run.
#[derive(Debug, Default)]
pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
}

impl Ui {
    fn line(&self, text: &str) {
        // Nothing sensible is left to do if standard error itself is gone.
        let _ = writeln!(io::stderr().lock(), "{text}");
    }

    /// A `-v` line: what went over the wire and how long it took.
    pub fn verbose(&self, text: &str) {
        if self.verbose {
            self.line(&format!("wan: {text}"));
        }
    }

    /// Something the user should know even though the run goes on; shown under `-q` too.
    pub fn warn(&self, text: &str) {
        self.line(&format!("wan: {text}"));
    }

    /// `wan: error: …` and its hint; always shown.
    pub fn error(&self, error: &Error) {
        self.line(&format!("wan: error: {error}"));
        if let Some(hint) = &error.hint {
            self.line(&format!("  hint: {}", sanitize(hint)));
        }
    }

    /// The closing summary line, left out under `-q`.
    pub fn summary(&self, text: &str) {
        if !self.quiet {
            self.line(text);
        }
    }
}

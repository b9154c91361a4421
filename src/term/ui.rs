//! Everything `wan` says on standard error: progress, warnings, errors, `-v` lines and the summary.

use std::io::{self, Write};

use crate::error::{Error, clean};
use crate::term::progress::{Progress, Task, VideoLine};

/// What may be shown on standard error, decided once from the flags and the terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Display {
    pub quiet: bool,
    pub verbose: bool,
    /// Bars and spinners: only when stderr is a terminal, and not `-q`.
    pub progress: bool,
    /// Colour for `error:`; only on a terminal, and never with `NO_COLOR` or `TERM=dumb`.
    pub color: bool,
    /// Standard output is the terminal too: a line printed there is on the screen at once.
    pub stdout_is_terminal: bool,
}

/// Standard error of a run; shared by every thread of it.
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
    /// Progress, where it is drawn at all, counts `prompts`.
    pub fn new(display: Display, prompts: u64) -> Self {
        Self {
            quiet: display.quiet,
            verbose: display.verbose,
            color: display.color,
            progress: display
                .progress
                .then(|| Progress::new(prompts, "prompts", display.color, display.stdout_is_terminal)),
        }
    }

    /// The same for a matrix: its batch bar counts each prompt of each model.
    pub fn matrix(display: Display, prompts: u64, models: u64) -> Self {
        match models {
            1 => Self::new(display, prompts),
            _ => Self {
                progress: display.progress.then(|| {
                    Progress::new(
                        prompts.saturating_mul(models),
                        "prompts × models",
                        display.color,
                        display.stdout_is_terminal,
                    )
                }),
                ..Self::new(Display { progress: false, ..display }, prompts)
            },
        }
    }

    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// A progress line for one request, naming its prompt in a batch (inert without progress).
    pub fn task(&self, prompt: Option<&str>, model: &str, n: u32) -> Task {
        self.progress.as_ref().map(|p| p.request(prompt, model, n)).unwrap_or_default()
    }

    /// A progress line for one video task (inert without progress).
    pub fn video(&self, label: String) -> VideoLine {
        self.progress.as_ref().map(|p| p.video(label)).unwrap_or_default()
    }

    /// Runs `print`, which writes to standard output, with the bars out of its way.
    pub fn beside_stdout<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.progress {
            Some(progress) => progress.beside_stdout(print),
            None => print(),
        }
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

    /// Text as it is (a preview's escape sequences), in one write, with the bars out of its way.
    pub fn raw(&self, text: &str) {
        let write = || crate::term::preview::write(text);
        match &self.progress {
            Some(progress) => progress.suspend(write),
            None => write(),
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
            // Cleaned, not cut: a hint may hold a long signed URL the user must fetch.
            self.line(&format!("  hint: {}", clean(hint)));
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

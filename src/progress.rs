//! Progress on stderr with indicatif: a spinner per request, bytes and rate while downloading,
//! and an overall bar for batches. Made only when stderr is a terminal and not `-q`.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

const TICK: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub struct Progress {
    multi: MultiProgress,
    overall: Option<ProgressBar>,
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("progress templates are valid")
}

impl Progress {
    pub fn new(prompts: u64) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = (prompts > 1).then(|| {
            let bar = multi.add(ProgressBar::new(prompts));
            bar.set_style(style("{bar:24.cyan/blue} {pos}/{len} prompts · {msg}").progress_chars("━╸─"));
            bar.set_message("0 images · $0.000");
            bar
        });
        Self { multi, overall }
    }

    /// A spinner for one request: the model, the count, and the time waited so far.
    pub fn request(&self, model: &str, n: u32) -> Task {
        // Added after the overall bar, which stays on top.
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(style("{spinner:.cyan} {msg} · {elapsed}"));
        bar.set_message(format!("{model} · {n} image{} · waiting for the service", if n == 1 { "" } else { "s" }));
        bar.enable_steady_tick(TICK);
        Task(Some(bar))
    }

    /// One more prompt of a batch is done; `so_far` is e.g. `12 images · $0.360`.
    pub fn prompt_done(&self, so_far: String) {
        if let Some(bar) = &self.overall {
            bar.inc(1);
            bar.set_message(so_far);
        }
    }

    /// Runs `print` with the bars out of the way, so lines never mix with them.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.multi.suspend(print)
    }

    pub fn clear(&self) {
        if let Some(bar) = &self.overall {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

/// The line of one request; does nothing when progress is off.
#[derive(Debug, Default)]
pub struct Task(Option<ProgressBar>);

impl Task {
    /// The answer is in: from now on the line counts bytes downloaded.
    pub fn downloading(&self, images: usize) {
        if let Some(bar) = &self.0 {
            bar.set_style(style("{spinner:.green} {msg} · {binary_bytes} · {binary_bytes_per_sec}"));
            bar.set_message(format!("downloading {images} image{}", if images == 1 { "" } else { "s" }));
        }
    }

    pub fn add_bytes(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

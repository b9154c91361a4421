//! Progress on stderr with indicatif: a spinner per request, bytes and rate while downloading,
//! and an overall bar for batches. Made only when stderr is a terminal and not `-q`.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use console::Term;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};

use crate::term::text::plural;

const TICK: Duration = Duration::from_millis(100);

/// Redraws at most this many times a second, as indicatif's own stderr target does.
const REDRAWS_PER_SECOND: u8 = 20;

/// Columns the cursor is kept off the right edge: room for an echoed `^C`.
const SLACK: u16 = 2;

/// Standard error as indicatif draws on it, with the cursor kept [`SLACK`] columns off
/// the right edge. indicatif pads every line it draws to the terminal's width (that is how
/// one bar line follows another), so the cursor rests past the last column; a typed
/// Ctrl-C's `^C`, echoed there by the terminal, wraps onto a line of its own, and the
/// clear that follows (counted from the cursor) wipes that line and leaves the bars
/// frozen above `wan: interrupted`. Kept back, the echo fits on the last bar line,
/// which the clear wipes with it. Every redraw starts with a carriage return, so where
/// on its line the cursor waits changes nothing else.
#[derive(Debug)]
struct OffTheEdge {
    term: Term,
    /// The last thing written was a line's padding (or the line filled the width): the
    /// cursor is at the right edge.
    at_edge: AtomicBool,
}

impl OffTheEdge {
    fn moved(&self) {
        self.at_edge.store(false, Ordering::Relaxed);
    }
}

impl TermLike for OffTheEdge {
    fn width(&self) -> u16 {
        self.term.size().1
    }

    fn height(&self) -> u16 {
        self.term.size().0
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.moved();
        self.term.move_cursor_up(n)
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.moved();
        self.term.move_cursor_down(n)
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.moved();
        self.term.move_cursor_right(n)
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.moved();
        self.term.move_cursor_left(n)
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.moved();
        self.term.write_line(s)
    }

    fn write_str(&self, s: &str) -> io::Result<()> {
        // indicatif writes a line, then its padding on its own (none where the line fills
        // the width); bar lines are never blank.
        self.at_edge.store(s.bytes().all(|b| b == b' '), Ordering::Relaxed);
        self.term.write_str(s)
    }

    fn clear_line(&self) -> io::Result<()> {
        self.moved();
        self.term.clear_line()
    }

    fn flush(&self) -> io::Result<()> {
        // A redraw ends here: the cursor goes back from the edge, to the same column on
        // every terminal (some keep it past the last column there, some on it).
        if self.at_edge.swap(false, Ordering::Relaxed) {
            self.term.write_str("\r")?;
            self.term.move_cursor_right(usize::from(self.width().saturating_sub(SLACK)))?;
        }
        self.term.flush()
    }
}

/// Where the bars are drawn: standard error, buffered so that a redraw is one write;
/// nowhere where `TERM` is unset or `dumb`, as with indicatif's own target: such a
/// terminal may not move its cursor.
fn on_stderr() -> ProgressDrawTarget {
    if console::is_dumb() {
        return ProgressDrawTarget::hidden();
    }
    let term = OffTheEdge { term: Term::buffered_stderr(), at_edge: AtomicBool::new(false) };
    ProgressDrawTarget::term_like_with_hz(Box::new(term), REDRAWS_PER_SECOND)
}

/// How long the bars stay off the screen after a line went to a standard output that is
/// not the terminal: time for its reader to print it.
const KEPT_OFF: Duration = Duration::from_millis(250);

#[derive(Debug)]
pub struct Progress {
    multi: MultiProgress,
    overall: Option<ProgressBar>,
    /// Where standard output is not the terminal: the bars kept off after each line.
    kept_off: Option<Arc<KeptOff>>,
}

/// When standard output is a pipe and standard error the terminal (`wan … | cat`), a line
/// wan prints reaches the screen when the pipe's reader writes it, which wan cannot see: a
/// suspend, which clears the bars, prints and redraws at once, would have them drawn by
/// then, and the reader's line land below them, leaving them on the screen. So the bars
/// are cleared before such a line and kept off until [`KEPT_OFF`] has passed with no other
/// (a thread of their own draws them again), and the reader's lines land where they were.
#[derive(Debug, Default)]
struct KeptOff {
    state: Mutex<KeptOffState>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct KeptOffState {
    /// The bars are off the screen until then.
    until: Option<Instant>,
    /// The progress is gone: the thread ends.
    over: bool,
}

impl KeptOff {
    fn state(&self) -> MutexGuard<'_, KeptOffState> {
        // A panic elsewhere leaves the state sound: an instant and a flag.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The thread that draws the bars again once they have been off long enough; `overall`
    /// (the batch bar) is drawn anew then, since it has no ticker to do it: a bar updated
    /// while the bars were off has no lines until it is drawn again.
    fn redraw_when_due(&self, multi: &MultiProgress, overall: Option<&ProgressBar>) {
        let mut state = self.state();
        while !state.over {
            state = match state.until.map(|until| until.saturating_duration_since(Instant::now())) {
                None => self.wake.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(left) if !left.is_zero() => {
                    self.wake.wait_timeout(state, left).unwrap_or_else(|p| p.into_inner()).0
                }
                Some(_) => {
                    state.until = None;
                    // Drawn from where the cursor is, as new: at the start of a line, after
                    // the clear and whatever the reader printed.
                    multi.set_draw_target(on_stderr());
                    if let Some(bar) = overall {
                        bar.tick();
                    }
                    state
                }
            };
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("progress templates are valid")
}

impl Progress {
    /// The progress of a run of `items` (prompts; in a matrix, prompts × models, which
    /// `unit` names), with an overall bar where there are several; `color`: whether the
    /// spinners may be coloured (`wan`'s own choice, as for `error:`); `stdout_is_terminal`:
    /// else what is printed there is kept clear of the bars by time (see [`KeptOff`]).
    pub fn new(items: u64, unit: &str, color: bool, stdout_is_terminal: bool) -> Self {
        // indicatif asks console whether to colour by standard output for a target of
        // its own kind; the bars are on standard error, and follow wan's choice for it.
        console::set_colors_enabled(color);
        let multi = MultiProgress::with_draw_target(on_stderr());
        let on_interrupt = multi.clone();
        crate::interrupt::clear_progress_on_interrupt(move |say| on_interrupt.suspend(say));
        let overall = (items > 1).then(|| {
            let bar = multi.add(ProgressBar::new(items));
            let template = format!("{{bar:24.cyan/blue}} {{pos}}/{{len}} {unit} · {{msg}}");
            bar.set_style(style(&template).progress_chars("━╸─"));
            bar.set_message("0 images · $0.000");
            bar
        });
        let kept_off = (!stdout_is_terminal).then(|| {
            let kept_off = Arc::new(KeptOff::default());
            let (thread_s, multi, overall) = (Arc::clone(&kept_off), multi.clone(), overall.clone());
            std::thread::spawn(move || thread_s.redraw_when_due(&multi, overall.as_ref()));
            kept_off
        });
        Self { multi, overall, kept_off }
    }

    /// A spinner for one request: its prompt (in a batch), the model, the count, and the
    /// time waited so far.
    pub fn request(&self, prompt: Option<&str>, model: &str, n: u32) -> Task {
        // Added after the overall bar, which stays on top.
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(style("{spinner:.cyan} {msg} · {elapsed}"));
        let one_line = prompt.map(one_line);
        let rest = format!("{model} · {n} image{} · waiting for the service", plural(u64::from(n)));
        // The spinner, the separators, and the time waited (`59s`).
        let named = named(one_line.as_deref(), &rest, "⠋  ·  · 59s".chars().count(), columns());
        bar.set_message(format!("{named}{rest}"));
        bar.enable_steady_tick(TICK);
        Task { bar: Some(bar), prompt: one_line, images: 0, sized: AtomicUsize::new(0) }
    }

    /// A spinner for a video task being waited for: `label` (its id and model), then its
    /// state, the service's progress figure and the time waited.
    pub fn video(&self, label: String) -> VideoLine {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(style("{spinner:.cyan} {msg} · waited {elapsed}"));
        bar.set_message(format!("{label} · looking"));
        bar.enable_steady_tick(TICK);
        VideoLine { bar: Some(bar), label }
    }

    /// One more prompt of a batch is done; `so_far` is e.g. `12 images · $0.360`.
    pub fn prompt_done(&self, so_far: String) {
        if let Some(bar) = &self.overall {
            bar.inc(1);
            bar.set_message(so_far);
        }
    }

    /// The batch's tally as its requests end, between prompts done: `so_far` as for `prompt_done`.
    pub fn so_far(&self, so_far: String) {
        if let Some(bar) = &self.overall {
            bar.set_message(so_far);
        }
    }

    /// Runs `print` with the bars out of the way, so lines never mix with them.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.multi.suspend(print)
    }

    /// Runs `print`, which writes to standard output, with the bars out of its way: where
    /// standard output is the terminal, as [`Progress::suspend`]; else the bars are kept
    /// off a while after it (see [`KeptOff`]).
    pub fn beside_stdout<R>(&self, print: impl FnOnce() -> R) -> R {
        let Some(kept_off) = &self.kept_off else { return self.multi.suspend(print) };
        let mut state = kept_off.state();
        if state.until.is_none() {
            let _ = self.multi.clear();
            self.multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        let printed = print();
        state.until = Some(Instant::now() + KEPT_OFF);
        kept_off.wake.notify_one();
        printed
    }

    pub fn clear(&self) {
        if let Some(bar) = &self.overall {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(kept_off) = &self.kept_off {
            kept_off.state().over = true;
            kept_off.wake.notify_one();
        }
    }
}

/// What a download or decode tells progress as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tick {
    /// The image will be about this many bytes (from `Content-Length`, or the base64's length).
    Expected(u64),
    /// This many more bytes were written.
    Written(u64),
}

/// However narrow the terminal, a spinner gives its prompt this many columns.
const PROMPT_AT_LEAST: usize = 24;

/// A prompt on one line: control characters (line breaks) are spaces.
fn one_line(prompt: &str) -> String {
    prompt.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The terminal's width, as the bars are drawn on it (80 where it cannot be told).
fn columns() -> usize {
    usize::from(Term::stderr().size().1)
}

/// `prompt · ` as a spinner line that also holds `rest` and `around` more columns names it
/// (in a batch; else nothing): in the room `columns` leave, at least [`PROMPT_AT_LEAST`].
fn named(prompt: Option<&str>, rest: &str, around: usize, columns: usize) -> String {
    let Some(prompt) = prompt else { return String::new() };
    let used = console::measure_text_width(rest) + around + usize::from(SLACK);
    format!("{} · ", shortened(prompt, columns.saturating_sub(used).max(PROMPT_AT_LEAST)))
}

/// A prompt in `room` columns at most: a longer one loses its middle to `…`, keeping its
/// start and its end, for prompts that differ only at the end (a template's rightmost
/// choice varies fastest) still to look different.
fn shortened(prompt: &str, room: usize) -> String {
    let chars: Vec<char> = prompt.chars().collect();
    let width = |c: &char| console::measure_text_width(c.encode_utf8(&mut [0; 4]));
    if chars.iter().map(width).sum::<usize>() <= room {
        return prompt.to_string();
    }
    // The columns on either side of the `…`, the start taking the odd one.
    let kept = room.saturating_sub(1);
    let taken = |room: usize, chars: &mut dyn Iterator<Item = &char>| {
        let mut used = 0;
        chars
            .take_while(|c| {
                used += width(c);
                used <= room
            })
            .count()
    };
    let head = taken(kept - kept / 2, &mut chars.iter());
    let tail = taken(kept / 2, &mut chars.iter().rev());
    let head: String = chars[..head].iter().collect();
    let tail: String = chars[chars.len() - tail..].iter().collect();
    format!("{}…{}", head.trim_end(), tail.trim_start())
}

/// The line of one request; does nothing when progress is off.
#[derive(Debug, Default)]
pub struct Task {
    bar: Option<ProgressBar>,
    /// The prompt on one line, in a batch.
    prompt: Option<String>,
    images: usize,
    /// How many of the images have told their size.
    sized: AtomicUsize,
}

impl Task {
    /// The answer is in: from now on the line counts bytes downloaded, timed from now
    /// (not from when the request was sent, which would make the rate look slow).
    pub fn downloading(&mut self, images: usize) {
        self.images = images;
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_length(0);
            bar.set_style(style("{spinner:.green} {msg} · {binary_bytes} · {binary_bytes_per_sec}"));
            let rest = format!("downloading {images} image{}", plural(images as u64));
            // The spinner, the separators and the figures once every size is known.
            let around = "⠋  ·  · 999.99 KiB/999.99 KiB · 100% · 999.99 KiB/s · 59s left".chars().count();
            let named = named(self.prompt.as_deref(), &rest, around, columns());
            bar.set_message(format!("{named}{rest}"));
        }
    }

    pub fn tick(&self, tick: Tick) {
        let Some(bar) = &self.bar else { return };
        match tick {
            Tick::Written(bytes) => bar.inc(bytes),
            Tick::Expected(bytes) => {
                bar.inc_length(bytes);
                // Once every image has told its size, the total, share and time left mean something.
                if self.sized.fetch_add(1, Ordering::Relaxed) + 1 == self.images {
                    bar.set_style(style(
                        "{spinner:.green} {msg} · {binary_bytes}/{binary_total_bytes} · {percent}% · \
                         {binary_bytes_per_sec} · {eta} left",
                    ));
                }
            }
        }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The line of one video task; does nothing when progress is off.
#[derive(Debug, Default)]
pub struct VideoLine {
    bar: Option<ProgressBar>,
    label: String,
}

impl VideoLine {
    /// The task's state as the service last said, and its progress figure if it gave one.
    pub fn state(&self, state: &str, progress: Option<&str>) {
        if let Some(bar) = &self.bar {
            let progress = progress.map(|p| format!(" · {p}")).unwrap_or_default();
            bar.set_message(format!("{} · {state}{progress}", self.label));
        }
    }

    /// The clip is ready: from now on the line counts bytes downloaded, timed from now.
    pub fn downloading(&self) {
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_length(0);
            bar.set_style(style("{spinner:.green} {msg} · {binary_bytes} · {binary_bytes_per_sec}"));
            bar.set_message(format!("{} · downloading the video", self.label));
        }
    }

    pub fn tick(&self, tick: Tick) {
        let Some(bar) = &self.bar else { return };
        match tick {
            Tick::Written(bytes) => bar.inc(bytes),
            Tick::Expected(bytes) => {
                bar.inc_length(bytes);
                bar.set_style(style(
                    "{spinner:.green} {msg} · {binary_bytes}/{binary_total_bytes} · {percent}% · {eta} left",
                ));
            }
        }
    }
}

impl Drop for VideoLine {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spinners_name_prompts_in_their_room_cut_in_the_middle() {
        assert_eq!(shortened("red panda", 24), "red panda");
        assert_eq!(shortened("a lighthouse at dusk, in the style of Turner", 24), "a lighthouse…e of Turner");
        assert_eq!(one_line("line\nbreak"), "line break");
        // Prompts a template makes, alike but for their end, stay apart.
        let snow = shortened("a very long prompt about a fox in the snow", 24);
        let rain = shortened("a very long prompt about a fox in the rain", 24);
        assert_ne!(snow, rain);
        assert_eq!(snow, "a very long…in the snow");
        // Columns, not characters: a wide character takes two.
        let wide = shortened(&"日".repeat(30), 24);
        assert_eq!(console::measure_text_width(&wide), 23, "{wide}");
        assert_eq!(shortened("abcdef", 1), "…");
    }

    #[test]
    fn a_prompt_has_the_room_the_terminal_leaves_and_never_less_than_24_columns() {
        // 80 columns less the rest, the 10 around, and the 2 kept free at the edge leave 38
        // for the prompt, then ` · `.
        let long = "x".repeat(200);
        assert_eq!(console::measure_text_width(&named(Some(&long), &"r".repeat(30), 10, 80)), 38 + 3);
        assert_eq!(console::measure_text_width(&named(Some(&long), &"r".repeat(30), 10, 120)), 78 + 3);
        assert_eq!(console::measure_text_width(&named(Some(&long), &"r".repeat(79), 10, 80)), PROMPT_AT_LEAST + 3);
        assert_eq!(named(None, "rest", 10, 80), "");
    }
}

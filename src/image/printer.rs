//! A run's results as they come: paths on stdout the moment files land, each prompt's
//! errors (a failure shared by many requests shown once) and JSON line when it is done,
//! and the summary and outcome at the end. A prompt's result is dropped once printed:
//! only totals are kept, so a batch of any length costs the same memory.

use std::collections::{BTreeMap, HashMap};

use crate::api::Answer;
use crate::catalogue::bill::Bill;
use crate::catalogue::money;
use crate::error::{Error, Kind, Tag, clean};
use crate::image::queue::Prompt;
use crate::image::report::{self, PromptResult, SavedImage, Unsaved};
use crate::image::save::Landed;
use crate::image::session::Session;
use crate::interrupt;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;

/// Why a request brought no answer.
pub enum Failed {
    /// It was sent (or tried) and failed.
    Sent(Error),
    /// It was not sent, because this failure of another request stopped the run.
    NotSent(Error),
}

/// An answer (its images already taken out to be saved), how many images it held,
/// how many of them (or of a resume's downloads) were saved, and those that could not be.
pub struct Answered {
    pub answer: Answer,
    pub returned: u64,
    pub saved: u64,
    pub unsaved: Vec<Unsaved>,
}

/// What a prompt of the run is expected to bring of one model: images asked for, over
/// how many requests (or resumed downloads).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    pub images: u64,
    pub requests: u64,
}

pub struct Printer<'a> {
    session: &'a Session<'a>,
    stdout: Stdout,
    /// What each prompt is expected to bring of each model, asked at its first event.
    expected: Box<dyn Fn(usize, usize) -> Expected + 'a>,
    /// The prompts (of each model, in a matrix) with requests still out, each with how
    /// many: a prompt's result is printed and dropped when its last request is over.
    open: HashMap<Item, (PromptResult, u64)>,
    /// Failures already printed, by all they say but their request ids, with how many
    /// requests met each: a failure shared by many requests shows once.
    shown: HashMap<String, Shown>,
    /// Failures in the order first printed, to say at the end how many met each.
    shown_order: Vec<String>,
    /// Requests not sent after a failure stopped the run.
    not_sent: u64,
    /// `--open`: the saved files, shown once the run is over.
    to_open: Vec<std::path::PathBuf>,
    /// Totals over the prompts done so far.
    images_so_far: u64,
    asked_so_far: u64,
    /// What each model of the run cost so far, in the order of the models.
    bills_so_far: Vec<Bill>,
    /// The failure of the first prompt (in the batch's order) that did not get every
    /// image: with the totals, it decides the exit code.
    first_failure: Option<(Item, Kind)>,
    /// A charge unlike the list price was said: once a run is enough.
    charge_noted: bool,
    /// Each open prompt's blocks of numbers, by their first: a path waits for the ones
    /// numbered before it, so that a prompt's paths print in order.
    blocks: HashMap<Item, BTreeMap<u64, Block>>,
    /// The batch bar's figures: the images saved and the bills (one a model) of the
    /// requests over so far, the same set for both (a prompt's are known request by
    /// request, not only once it is done; counting images as their paths print would count
    /// some whose cost is not).
    bar_images: u64,
    bar_bills: Vec<Bill>,
}

/// A prompt as one model is asked it: the prompt's place and the model's, which a run's
/// results are kept and printed by.
type Item = (usize, usize);

fn item(prompt: &Prompt) -> Item {
    (prompt.index, prompt.model)
}

/// The numbers one request's images were given, and which have landed (`None`: lost).
struct Block {
    next: u64,
    end: u64,
    landed: BTreeMap<u64, Option<SavedImage>>,
}

/// A failure printed once, and what the closing line says of the requests that met it
/// again.
struct Shown {
    /// Requests that met it, the first included.
    count: u64,
    /// Who met it first: `prompt 3`, or nothing for a run of one prompt.
    first: String,
    /// What it said, to name it in the closing line when several failures were printed.
    text: String,
    /// Each request that met it may have been carried out and billed.
    maybe_billed: bool,
}

impl<'a> Printer<'a> {
    /// `expected(p, m)` says what prompt `p` is to bring of the run's model `m`; it is asked
    /// once, at their first event.
    pub fn new(session: &'a Session<'a>, expected: impl Fn(usize, usize) -> Expected + 'a) -> Self {
        let settings = session.settings;
        Self {
            session,
            stdout: Stdout::default(),
            expected: Box::new(expected),
            open: HashMap::new(),
            shown: HashMap::new(),
            shown_order: Vec::new(),
            not_sent: 0,
            to_open: Vec::new(),
            images_so_far: 0,
            asked_so_far: 0,
            bills_so_far: settings.models.iter().map(|m| Bill::new(m.model.row.price)).collect(),
            first_failure: None,
            charge_noted: false,
            blocks: HashMap::new(),
            bar_images: 0,
            bar_bills: settings.models.iter().map(|m| Bill::new(m.model.row.price)).collect(),
        }
    }

    /// The result of `prompt` so far, begun at its first event.
    fn result(&mut self, prompt: &Prompt) -> &mut (PromptResult, u64) {
        let (expected, model) = (&self.expected, &self.session.settings.models[prompt.model].model);
        self.open.entry(item(prompt)).or_insert_with(|| {
            let Expected { images, requests } = expected(prompt.index, prompt.model);
            (PromptResult::new(prompt.text.to_string(), images, model.row.price), requests)
        })
    }

    /// The same printer, writing what it prints on stdout to `stdout` instead (`wan mcp`).
    pub fn printing_to(mut self, stdout: Stdout) -> Self {
        self.stdout = stdout;
        self
    }

    /// A line on stdout, with the progress bars out of its way when both share a terminal.
    fn emit(&mut self, line: &str) -> Result<(), Error> {
        self.session.ui.beside_stdout(|| self.stdout.line(line))
    }

    /// A request's block of numbers, or one of its images saved or lost: what is now in
    /// order is shown.
    pub fn landed(&mut self, prompt: &Prompt, landed: Landed) -> Result<(), Error> {
        let blocks = self.blocks.entry(item(prompt)).or_default();
        let (number, image) = match landed {
            Landed::Reserved { first, count } => {
                blocks.insert(first, Block { next: first, end: first.saturating_add(count), landed: BTreeMap::new() });
                return Ok(());
            }
            Landed::Saved(image) => (image.number, Some(image)),
            Landed::Lost { number } => (Some(number), None),
        };
        let block = number.and_then(|n| blocks.range_mut(..=n).next_back().map(|(_, b)| b).filter(|b| n < b.end));
        match (block, number) {
            (Some(block), Some(number)) => {
                block.landed.insert(number, image);
                self.release(prompt, false)
            }
            // Not of a block (a file a killed run left in place): nothing to wait for.
            _ => image.map_or(Ok(()), |image| self.saved(prompt, image)),
        }
    }

    /// Shows the prompt's images that are in order: the lowest block's, from its next
    /// number on, while they are there; a block whose every number has landed makes way
    /// for the next. `all` (the prompt is over) shows whatever is held, in order.
    fn release(&mut self, prompt: &Prompt, all: bool) -> Result<(), Error> {
        loop {
            let Some(blocks) = self.blocks.get_mut(&item(prompt)) else { return Ok(()) };
            let Some(mut entry) = blocks.first_entry() else { return Ok(()) };
            let block = entry.get_mut();
            let ready = match all {
                true => block.landed.pop_first().map(|(_, image)| image),
                false => block.landed.remove(&block.next),
            };
            match ready {
                Some(image) => {
                    block.next += 1;
                    if let Some(image) = image {
                        self.saved(prompt, image)?;
                    }
                }
                None if all || block.next >= block.end => {
                    entry.remove();
                }
                None => return Ok(()),
            }
        }
    }

    fn saved(&mut self, prompt: &Prompt, image: SavedImage) -> Result<(), Error> {
        let settings = self.session.settings;
        if settings.to_stdout {
            self.stdout.copy_file(&image.path)?;
        } else if !settings.json {
            self.emit(&image.path.display().to_string())?;
        }
        if settings.open && !settings.to_stdout {
            self.to_open.push(image.path.clone());
        }
        if let Some(protocol) = settings.preview.filter(|_| !settings.to_stdout) {
            let shown = image.path.display().to_string();
            self.session.ui.raw(&crate::term::preview::render(protocol, &image.path, image.format.extension(), &shown));
        }
        self.result(prompt).0.images.push(image);
        Ok(())
    }

    /// Says, once a run, that the service charged a request more than a cent off its list
    /// price: the catalogue has said both per image and per request for the Wan models,
    /// and this is how a user finds out which.
    fn note_an_unlike_charge(&mut self, model: usize, answered: &Answered) {
        let mut bill = Bill::new(self.session.settings.models[model].model.row.price);
        bill.add_answer(answered.returned, answered.answer.reported_price, answered.answer.charged);
        // Offline, nothing is charged by design: no news.
        if self.charge_noted || !bill.charge_differs() || self.session.settings.offline {
            return;
        }
        self.charge_noted = true;
        let (Some(charged), Some(listed)) = (bill.charged(), bill.listed()) else { return };
        let n = answered.returned;
        let per_request = if charged < listed { ": billed per request?" } else { "" };
        self.session.ui.warn(&format!(
            "note: the service charged {} for {n} image{} (list price {}){per_request}",
            money::format_usd(charged),
            plural(n),
            money::format_usd(listed)
        ));
    }

    /// A request (or a resumed download) of `prompt` is over; after its last one, the
    /// prompt's result is printed and dropped.
    pub fn finished(&mut self, prompt: &Prompt, outcome: Result<Answered, Failed>) -> Result<(), Error> {
        if let Ok(answered) = &outcome {
            self.note_an_unlike_charge(prompt.model, answered);
            self.bar_images += answered.saved;
            let bill = &mut self.bar_bills[prompt.model];
            bill.add_answer(answered.returned, answered.answer.reported_price, answered.answer.charged);
        }
        let (result, left) = self.result(prompt);
        *left = left.saturating_sub(1);
        let done = *left == 0;
        let not_sent = Self::record(result, outcome);
        self.not_sent += not_sent;
        if done {
            // Whatever is still held (a save that never said how it ended) goes now.
            self.release(prompt, true)?;
            self.blocks.remove(&item(prompt));
        }
        match done.then(|| self.open.remove(&item(prompt))).flatten() {
            Some((result, _)) => self.prompt_done(item(prompt), result),
            None => {
                if let Some(progress) = self.session.ui.progress() {
                    progress.so_far(self.tally());
                }
                Ok(())
            }
        }
    }

    /// Adds a request's outcome to its prompt's result; 1 if it was not sent.
    fn record(result: &mut PromptResult, outcome: Result<Answered, Failed>) -> u64 {
        match outcome {
            Ok(Answered { answer, returned, unsaved, .. }) => {
                result.bill.add_answer(returned, answer.reported_price, answer.charged);
                result.request_ids.extend(answer.request_id.clone());
                if let Some(usage) = &answer.usage {
                    result.add_usage(usage);
                }
                result.unsaved.extend(unsaved);
                result.errors.extend(answer.cut);
            }
            Err(Failed::Sent(error)) => result.errors.push(error),
            Err(Failed::NotSent(root)) => {
                result.not_sent += 1;
                result.stopped_by.get_or_insert(root);
                return 1;
            }
        }
        0
    }

    fn prompt_done(&mut self, (index, model): Item, result: PromptResult) -> Result<(), Error> {
        let session = self.session;
        let ui = &session.ui;
        let settings = session.settings;
        let prompts = &settings.prompts;
        let model_name = &settings.models[model].model.name;
        // Numbered as in the file, whatever the shard.
        let number = prompts.several().then(|| format!("prompt {}", prompts.number(index)));
        // In a matrix, which model each message is of.
        let of = settings.is_matrix().then_some(model_name.as_str());
        let label = match (number.as_ref(), of) {
            (Some(number), None) => format!("{number} ({:?}): ", result.prompt),
            (Some(number), Some(model)) => format!("{number} ({:?}) on {model}: ", result.prompt),
            (None, Some(model)) => format!("{model}: "),
            (None, None) => String::new(),
        };
        let number = match of {
            Some(model) => Some(format!("{} on {model}", number.unwrap_or_else(|| "the prompt".to_string()))),
            None => number,
        };
        for error in &result.errors {
            // Only failures alike in all they say (the request id aside) are one.
            let signature = format!("{:?} {:?} {:?}", error.signature(), error.hint, error.tag);
            let maybe_billed = error.tag == Tag::MaybeBilled;
            match self.shown.get_mut(&signature) {
                Some(shown) => {
                    shown.count += 1;
                    // Said once, but a prompt whose request may have been billed is named:
                    // it is the user's to check in the console.
                    if maybe_billed && number.is_some() {
                        let id = error.api.request_id.as_deref().map(|id| format!(" (request id {})", clean(id)));
                        ui.warn(&format!(
                            "{label}the same error as {}{}: it may have been billed",
                            shown.first,
                            id.unwrap_or_default()
                        ));
                    }
                }
                None => {
                    let shown = Shown {
                        count: 1,
                        first: number.clone().unwrap_or_default(),
                        text: short(&error.to_string()),
                        maybe_billed,
                    };
                    self.shown.insert(signature.clone(), shown);
                    self.shown_order.push(signature);
                    ui.error(&Error { message: format!("{label}{}", error.message), ..error.clone() });
                }
            }
        }
        for unsaved in &result.unsaved {
            let mut shown = Error {
                message: format!("{label}image not saved: {}", unsaved.error.message),
                ..unsaved.error.clone()
            };
            if let Some(url) = &unsaved.url {
                let hint = match (&unsaved.error.hint, session.journal.run_id()) {
                    (Some(hint), _) => format!("{hint}: {}", clean(url)),
                    (None, Some(run)) => {
                        format!("it is paid for; `wan resume {run}` fetches it while the link lives: {}", clean(url))
                    }
                    (None, None) => format!("it is paid for; fetch it while the link lives: {}", clean(url)),
                };
                shown = shown.with_hint(hint);
            }
            ui.error(&shown);
            if let Some(url) = &unsaved.url {
                interrupt::settled(url);
            }
        }
        if result.errors.is_empty()
            && result.unsaved.is_empty()
            && let Some(Error { message, .. }) = result.failure()
        {
            // A prompt never sent because the run had stopped is counted in the closing
            // line, not named one by one: a bad key would otherwise print a line for each
            // of 100,000 prompts. `-v` still names them; `--json` has a line for each.
            let never_sent = result.stopped_by.is_some() && result.bill.count == 0;
            match never_sent {
                true => ui.verbose(&format!("{label}{message}")),
                false => ui.warn(&format!("warning: {label}{message}")),
            }
        }
        if result.bill.count > result.asked {
            let (returned, asked) = (result.bill.count, result.asked);
            ui.warn(&format!(
                "warning: {label}the service returned {returned} images for the {asked} asked for ({} extra); \
                 all are saved, since all were billed",
                returned - asked
            ));
        }
        if settings.json {
            let line = result.to_json(model_name, session.journal.run_id()).to_string();
            self.emit(&line)?;
        }
        if let Some(failure) = result.failure()
            && self.first_failure.is_none_or(|(first, _)| (index, model) < first)
        {
            self.first_failure = Some(((index, model), failure.kind));
        }
        self.images_so_far += result.images.len() as u64;
        self.asked_so_far += result.asked;
        self.bills_so_far[model].absorb(&result.bill);
        if let Some(progress) = ui.progress() {
            progress.prompt_done(self.tally());
        }
        Ok(())
    }

    /// The batch bar's words: the images saved by the requests over so far, and what those
    /// requests cost.
    fn tally(&self) -> String {
        let cost =
            crate::catalogue::bill::sum(&self.bar_bills).map_or_else(|| "cost unknown".to_string(), money::format_usd);
        let images = self.bar_images;
        format!("{images} image{} · {cost}", plural(images))
    }

    /// Says how many requests each failure met, prints the summary; the outcome decides
    /// the exit code.
    pub fn close(self) -> Outcome {
        let ui = &self.session.ui;
        let mut counts = Vec::new();
        // "The same error" reads as the one printed last: said so only when it is, else
        // each failure met again is named.
        let one_shown = self.shown_order.len() == 1;
        for signature in &self.shown_order {
            let shown = &self.shown[signature];
            let again = shown.count - 1;
            if again == 0 {
                continue;
            }
            let which = match (one_shown, shown.first.as_str()) {
                (true, _) => "the same error".to_string(),
                (false, "") => format!("the error \"{}\"", shown.text),
                (false, first) => format!("the error of {first} (\"{}\")", shown.text),
            };
            let billed = match (shown.maybe_billed, again) {
                (false, _) => "",
                (true, 1) => ", which may have been billed",
                (true, _) => ", each of which may have been billed",
            };
            counts.push(format!("{which} met {again} more request{}{billed}", plural(again)));
        }
        if self.not_sent > 0 {
            counts.push(format!("{} request{} not sent after it", self.not_sent, plural(self.not_sent)));
        }
        if !counts.is_empty() {
            ui.warn(&counts.join("; "));
        }
        let billed: u64 = self.bills_so_far.iter().map(|bill| bill.count).sum();
        if billed > 0 || self.images_so_far > 0 {
            let settings = self.session.settings;
            let folder = match settings.to_stdout {
                true => "standard output".to_string(),
                false => self.session.out.describe(),
            };
            let (saved, asked) = (self.images_so_far, self.asked_so_far);
            let models = settings.image_models();
            let bills: Vec<(&str, &Bill)> =
                models.iter().map(|model| model.name.as_str()).zip(&self.bills_so_far).collect();
            ui.summary(&report::summary_line(saved, asked, &bills, &folder));
        } else if let Some(progress) = ui.progress() {
            progress.clear();
        }
        let outcome = Outcome::of_run(self.images_so_far, self.first_failure.map(|(_, kind)| kind).into_iter());
        let state = if outcome == Outcome::Success { "done" } else { "partial" };
        self.session.journal.end_run(ui, state);
        if !self.to_open.is_empty() {
            crate::image::open::open_all(ui, &self.to_open);
        }
        outcome
    }
}

/// A failure as the closing line names it: its first line, cut to 80 characters.
fn short(text: &str) -> String {
    let one_line = clean(text);
    match one_line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

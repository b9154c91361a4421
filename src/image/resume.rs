//! `wan resume`: finish a run the journal knows. Fetch every image that was paid for and
//! not saved while its link lives, report those that cannot be had any more, and send the
//! requests that were planned and never sent, or that the service failed (billing
//! nothing). A request sent and never answered is not
//! sent again (it may have been billed) unless `--resend-unknown`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::api::response::ImageData;
use crate::api::route::Route;
use crate::api::{Answer, ApiSettings};
use crate::catalogue::ImageModel;
use crate::catalogue::bill::Bill;
use crate::config::env::Env;
use crate::error::{Error, Kind, Tag};
use crate::files::digest::{sha256_hex, sha256_of_file};
use crate::files::format::ImageFormat;
use crate::files::mask;
use crate::files::output::OutputDir;
use crate::files::prompts::{Prompts, Spool};
use crate::files::reference::{self, LocalImage, Reference};
use crate::image::plan::{Plan, Planned};
use crate::image::printer::{Answered, Expected, Printer};
use crate::image::queue::Prompt;
use crate::image::recorder;
use crate::image::report::{SavedImage, Unsaved};
use crate::image::run::{self, Event};
use crate::image::save::{self, Batch, Landed};
use crate::image::session::Session;
use crate::image::settings::{ModelRun, Settings, names_used};
use crate::journal::Journal;
use crate::journal::queries::{self, PendingImage, Placing, RequestRow, RunRow};
use crate::journal::recorder::Recorder;
use crate::outcome::Outcome;
use crate::term::text::plural;
use crate::term::ui::{Display, Ui};

/// What a run has left, worked out from its records.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Paid images to fetch, by the request that made them.
    pub to_fetch: BTreeMap<i64, Vec<PendingImage>>,
    /// Paid images that cannot be had: expired links, base64 gone with its process.
    pub lost: Vec<PendingImage>,
    /// Requests never sent.
    pub to_send: Vec<Planned>,
    /// Requests sent and never answered: they may have been billed.
    pub unknown: Vec<RequestRow>,
    /// Requests of a run whose record is incomplete that are not on record: they may
    /// have been sent, and billed, after the journal failed.
    pub unrecorded: Vec<Planned>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.lost.is_empty() && self.unknown.is_empty() && self.nothing_to_do()
    }

    /// Nothing to fetch or send, nor a record to warn of, whatever was lost or is of
    /// unknown outcome.
    fn nothing_to_do(&self) -> bool {
        self.to_fetch.is_empty() && self.to_send.is_empty() && self.unrecorded.is_empty()
    }

    /// Whether a resume would only say again what an earlier one said: images lost for
    /// good (`gone`: a link that expired at the run and at a resume, base64 lost with its
    /// process), requests of unknown outcome a resume reported and left unsent, or
    /// nothing at all. Such a run is no longer `wan resume`'s default.
    pub fn reported_before(&self) -> bool {
        self.nothing_to_do()
            && self.lost.iter().all(|image| image.state == "gone")
            && self.unknown.iter().all(|request| request.reported)
    }
}

/// What `run` has left, from its records in `conn`.
pub fn leftovers(conn: &rusqlite::Connection, run: &RunRow, resend_unknown: bool) -> Result<Leftovers, Error> {
    let recorded = queries::recorded(conn, &run.id)?;
    let mut sorting = Sorting::new(run, recorded.unsaved, resend_unknown);
    queries::each_request(conn, &run.id, |request| sorting.request(request))?;
    Ok(sorting.finish())
}

/// What is left, found as the run's requests are read one at a time and set against its
/// plan, both in order: only what is left is held, never every request of the run.
pub struct Sorting {
    plan: Plan,
    /// The first request of the plan not yet met.
    next: u64,
    resend_unknown: bool,
    /// The journal failed while the run went on: what is not on record may have been sent.
    incomplete: bool,
    left: Leftovers,
}

impl Sorting {
    pub fn new(run: &RunRow, unsaved: Vec<PendingImage>, resend_unknown: bool) -> Self {
        let mut left = Leftovers::default();
        for image in unsaved {
            // A link that answered as expired once is tried again: links come back (a
            // CDN's hiccup); only one that fails at a resume too is lost (`gone`).
            // One being moved into place when the run ended is looked for first, whatever
            // its source. The links of a run made offline died with the emulator inside
            // the process that made it.
            if image.state == "placing" {
                left.to_fetch.entry(image.request).or_default().push(image);
            } else if image.source == "base64" || image.state == "gone" || run.offline {
                left.lost.push(image);
            } else {
                left.to_fetch.entry(image.request).or_default().push(image);
            }
        }
        let plan = plan_of(run);
        // Offline, nothing is billed: a request of unknown outcome costs nothing to send again.
        let resend_unknown = resend_unknown || run.offline;
        Self { plan, next: 0, resend_unknown, incomplete: run.incomplete, left }
    }

    /// The planned requests before `key` were never sent.
    fn unsent_before(&mut self, key: Option<(u64, u64)>) {
        while let Some(planned) = self.plan.get(self.next)
            && key.is_none_or(|key| (planned.prompt as u64, planned.chunk) < key)
        {
            match self.incomplete && !self.resend_unknown {
                true => self.left.unrecorded.push(planned),
                false => self.left.to_send.push(planned),
            }
            self.next += 1;
        }
    }

    /// One recorded request, in order.
    pub fn request(&mut self, request: RequestRow) {
        let key = (request.prompt, request.chunk);
        self.unsent_before(Some(key));
        if self.plan.get(self.next).is_some_and(|planned| (planned.prompt as u64, planned.chunk) == key) {
            self.next += 1;
        }
        let model = self.plan.at(request.prompt as usize, request.chunk).map_or(0, |planned| planned.model);
        let again = Planned { prompt: request.prompt as usize, chunk: request.chunk, n: request.n, model };
        // The service answered that it failed (a refused key, a 4xx, a 5xx, a 429) or was
        // not reached: it returned no images and billed none, so it is sent again, unless
        // the failure says it was billed.
        if request.state == "failed" && !billed(&request) {
            self.left.to_send.push(again);
        }
        if matches!(request.state.as_str(), "sent" | "unknown") {
            if self.resend_unknown {
                self.left.to_send.push(again);
            } else {
                self.left.unknown.push(request);
            }
        }
    }

    pub fn finish(mut self) -> Leftovers {
        self.unsent_before(None);
        // In order already; the dispatch reads the prompts in this order.
        self.left.to_send.sort_by_key(|r| (r.prompt, r.chunk));
        self.left
    }
}

/// The models of a run as it recorded them: each name, images per request and body
/// fields; a matrix's from its `models` record, a run of one model's from its own columns.
pub fn models_of(run: &RunRow) -> Vec<ModelRun> {
    let one = || {
        let extra: Map<String, Value> = serde_json::from_str(&run.extra).unwrap_or_default();
        vec![ModelRun { model: ImageModel::named(run.model.clone()), per_request: run.per_request, extra }]
    };
    run.models.as_deref().and_then(recorder::models_of).filter(|models| !models.is_empty()).unwrap_or_else(one)
}

/// The requests `run` planned, in order, as it planned them.
fn plan_of(run: &RunRow) -> Plan {
    let prompts = usize::try_from(run.prompts).unwrap_or(usize::MAX);
    Plan::matrix(prompts, run.count, models_of(run).iter().map(|m| m.per_request).collect())
}

/// A failed request that was billed all the same: the service says it completed it before
/// (`request_already_completed`: its images cannot be fetched again). Sending it again
/// would be refused again, at best; it is the one failure a resume leaves as it is.
fn billed(request: &RequestRow) -> bool {
    request.code.as_deref() == Some("request_already_completed")
}

/// What `wan resume` was asked, as a run of images reads it.
#[derive(Debug)]
pub struct Options {
    /// Send again the requests whose outcome is unknown (they may be paid twice).
    pub resend_unknown: bool,
    pub dry_run: bool,
    pub json: bool,
    pub display: Display,
    pub jobs: usize,
    pub rpm: Option<u32>,
    pub retries: u32,
    pub timeout: Duration,
    pub download_timeout: Duration,
    /// `--base-url` (else `AISA_BASE_URL`), over the one the run recorded.
    pub base_url: Option<String>,
}

/// Finishes `run`, read from the journal in `dir` (open as `conn`).
pub fn resume(
    conn: rusqlite::Connection,
    dir: &Path,
    run: RunRow,
    args: &Options,
    env: &Env,
) -> Result<Outcome, Error> {
    let recorded = queries::recorded(&conn, &run.id)?;
    let mut sorting = Sorting::new(&run, recorded.unsaved, args.resend_unknown);
    queries::each_request(&conn, &run.id, |request| sorting.request(request))?;
    let left = sorting.finish();
    let (references, mask) = (recorded.references, recorded.mask);
    let ui = Ui::new(args.display, 0);
    if left.is_empty() {
        eprintln!("wan: run {}: nothing left to do", run.id);
        return Ok(Outcome::Success);
    }
    for request in &left.unknown {
        ui.warn(&format!(
            "request {} of prompt {} (request id {}) was sent and never answered: it may have been billed; \
             not sent again (`wan resume {} --resend-unknown` sends it)",
            request.chunk + 1,
            number(&run, request.prompt as usize),
            request.request_id.as_deref().unwrap_or("unknown"),
            run.id
        ));
    }
    if !left.unrecorded.is_empty() {
        let n = left.unrecorded.len() as u64;
        ui.warn(&format!(
            "run {id}'s record is incomplete (the journal failed while it ran): {n} planned request{} may have \
             been sent and billed with no record of it; not sent (`wan resume {id} --resend-unknown` sends them)",
            plural(n),
            id = run.id
        ));
    }
    if args.dry_run {
        return dry_run(&conn, &run, &left);
    }
    // Said: the next bare `wan resume` passes the run by for them (`wan resume RUN` and
    // `--resend-unknown` still take it up). Best effort: unsaid, they are said again.
    let unknown: Vec<i64> = left.unknown.iter().filter(|r| !r.reported).map(|r| r.id).collect();
    if !unknown.is_empty() {
        let _ = crate::journal::requests_reported(&conn, &unknown);
    }
    let prompts = recorded_prompts(&conn, &run)?;
    drop(conn);
    let inputs = Inputs { references: &references, mask: mask.as_ref() };
    let settings = settings_of(&run, prompts, inputs, args, env, !left.to_send.is_empty())?;
    if !left.to_send.is_empty() && !settings.to_stdout {
        // What a run could not name, its resume cannot either: said before sending.
        let suffixes = crate::image::settings::suffixes(&settings.image_models());
        let uses = names_used(&settings.prompts, settings.name.as_deref(), settings.count, suffixes);
        OutputDir::new(settings.out.clone()).check_names(uses)?;
    }
    let journal = Journal::start(dir)?;
    journal.run_resumed(&run.id)?;
    let run_id = run.id.clone();
    let session =
        Session::recording(&settings, move |_, _, _| Recorder::of(journal, recorder::WITHOUT).for_run(run_id))?;
    let unknown_left = !left.unknown.is_empty() || !left.unrecorded.is_empty();
    let Leftovers { to_fetch, lost, to_send, .. } = left;
    let printer = Printer::new(&session, expected(&settings.plan(), &to_fetch, &lost, &to_send));
    let outcome = run::send(&session, &to_send, printer, |events| fetch_all(&session, to_fetch, lost, events))?;
    if !settings.to_stdout {
        remove_dead_parts(dir, &run, &session.out.absolute());
    }
    if !unknown_left {
        // What this resume did went well; the run is done only if every prompt has its
        // images (a request the service says it billed before, and cannot give again, is
        // a reason, not an image).
        if outcome == Outcome::Success && !has_every_image(dir, &run.id) {
            session.journal.end_run(&session.ui, "partial");
        }
        return Ok(outcome);
    }
    // Requests of unknown outcome left alone: the run is not done, whatever was fetched.
    session.journal.end_run(&session.ui, "partial");
    Ok(match outcome {
        Outcome::Success => Outcome::Failed(Kind::Partial),
        other => other,
    })
}

/// Removes the part files (`.wan-RUN-*.part`) the run's killed process left in its folder:
/// downloads this resume has redone. This process holds the run's lock, and its own
/// downloads are over, so none is in use; a part file the journal still names for an
/// image not saved (one that was being moved into place) is kept.
fn remove_dead_parts(dir: &Path, run: &RunRow, folder: &Path) {
    let keep = crate::journal::open(dir).and_then(|conn| queries::unsaved_parts(&conn, &run.id));
    // A journal that cannot say which to keep: none is removed.
    if let Ok(keep) = keep {
        let keep: Vec<PathBuf> = keep.into_iter().map(PathBuf::from).collect();
        crate::files::output::remove_parts_of_run(folder, &run.id, &keep);
    }
}

/// Whether the journal has as many images saved for the run as it asked for (a journal
/// that cannot be read says yes: the resume's own outcome stands).
fn has_every_image(dir: &Path, run: &str) -> bool {
    let found = crate::journal::open(dir).ok().and_then(|conn| queries::find_run(&conn, run).ok().flatten());
    found.is_none_or(|row| {
        let asked = row.prompts.saturating_mul(u64::from(row.count)).saturating_mul(row.model_names().len() as u64);
        row.saved >= asked
    })
}

/// How many of the prompts a dry run would send it names; the rest it counts.
const PROMPTS_NAMED: usize = 3;

/// The prompts `to_send` would send, the first few by number and text, then how many more:
/// `prompt 2 ("a fox"), prompt 3 ("a cat"), prompt 4 ("a dog") and 1,997 more`.
fn prompts_to_send(conn: &rusqlite::Connection, run: &RunRow, to_send: &[Planned]) -> Result<String, Error> {
    let mut prompts: Vec<usize> = to_send.iter().map(|r| r.prompt).collect();
    prompts.dedup();
    let mut named = Vec::new();
    for &prompt in prompts.iter().take(PROMPTS_NAMED) {
        let text = queries::prompt_at(conn, &run.id, prompt as u64)?.unwrap_or_default();
        let one_line: String =
            crate::error::clean(&text).chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let shown = match one_line.char_indices().nth(40) {
            Some((at, _)) => format!("{}…", &one_line[..at]),
            None => one_line,
        };
        named.push(format!("prompt {} ({shown:?})", number(run, prompt)));
    }
    let more = prompts.len().saturating_sub(PROMPTS_NAMED) as u64;
    Ok(match more {
        0 => named.join(", "),
        n => format!("{} and {} more", named.join(", "), crate::term::text::thousands(n)),
    })
}

/// What finishing the run would do and cost; nothing is done.
fn dry_run(conn: &rusqlite::Connection, run: &RunRow, left: &Leftovers) -> Result<Outcome, Error> {
    let mut out = crate::term::stdout::Stdout::default();
    let fetch: usize = left.to_fetch.values().map(Vec::len).sum();
    if fetch > 0 {
        out.line(&format!(
            "would fetch {fetch} image{} paid for in run {} (no new cost)",
            plural(fetch as u64),
            run.id
        ))?;
    }
    if !left.lost.is_empty() {
        let n = left.lost.len() as u64;
        out.line(&match run.offline {
            true => {
                format!("cannot fetch {n} image{} drawn offline by a wan that has ended (none was billed)", plural(n))
            }
            false => format!("cannot fetch {n} paid image{}: link expired, or base64 lost with its process", plural(n)),
        })?;
    }
    if !left.to_send.is_empty() {
        let models = models_of(run);
        let mut bills: Vec<Bill> = models.iter().map(|m| Bill::new(m.model.row.price)).collect();
        for request in &left.to_send {
            bills[request.model].count += u64::from(request.n);
            bills[request.model].answers += 1;
        }
        // The price per image the run was recorded with wins over today's table.
        if let Some(price) = run.price {
            bills[0].price = crate::catalogue::Price::PerImage(price);
        }
        let n = left.to_send.len() as u64;
        let cost = match bills.as_slice() {
            [bill] => format!("{} · {}", run.model, bill.describe()),
            _ => {
                let named: Vec<(&str, &Bill)> = models.iter().map(|m| m.model.name.as_str()).zip(&bills).collect();
                format!("{} models · {}", models.len(), crate::catalogue::bill::describe_each(&named))
            }
        };
        out.line(&format!("would send {n} request{} · {cost}", plural(n)))?;
        out.line(&format!("  for {}", prompts_to_send(conn, run, &left.to_send)?))?;
    }
    if !left.unknown.is_empty() {
        let n = left.unknown.len() as u64;
        out.line(&format!("would not send again {n} request{} of unknown outcome (may have been billed)", plural(n)))?;
    }
    if !left.unrecorded.is_empty() {
        let n = left.unrecorded.len() as u64;
        out.line(&format!("would not send {n} planned request{}: the run's record is incomplete", plural(n)))?;
    }
    Ok(Outcome::Success)
}

/// The run's prompts read back from the journal into a temporary file, one row at a time.
fn recorded_prompts(conn: &rusqlite::Connection, run: &RunRow) -> Result<Prompts, Error> {
    let mut spool = Spool::new()?;
    queries::each_prompt(conn, &run.id, |prompt| spool.push(prompt))?;
    // The batch a shard came from held at least up to its last prompt's number.
    let total = match (run.shard, run.prompts) {
        (Some(shard), kept @ 1..) => shard.number(kept as usize - 1),
        _ => run.prompts,
    };
    spool.finish(total, run.shard)
}

/// The number of the run's prompt at `index`, as in its file (whatever the shard).
fn number(run: &RunRow, index: usize) -> u64 {
    run.shard.map_or(index as u64 + 1, |shard| shard.number(index))
}

/// The files a run read besides its prompts, as its record has them: the references and the mask.
struct Inputs<'a> {
    references: &'a [(String, Option<String>)],
    mask: Option<&'a (String, String)>,
}

/// The run's own settings, from its record; the key only where something is sent.
fn settings_of(
    run: &RunRow,
    prompts: Prompts,
    inputs: Inputs,
    args: &Options,
    env: &Env,
    sending: bool,
) -> Result<Settings, Error> {
    // Fetching paid images needs no key; sending does.
    let key = if sending { Some(crate::config::api_key::for_command(env)?) } else { None };
    let base = match args.base_url.clone().or_else(|| env.base_url.clone()) {
        Some(given) => crate::config::api_key::base_url_for_command(Some(given), env)?,
        None => crate::config::base_url::base_url(&run.base_url)?,
    };
    if run.out_dir == "-" && args.json {
        return Err(Error::usage("this run wrote its image to standard output (-o -); --json cannot go there too"));
    }
    if run.out_dir == "-" && env.stdout_is_terminal {
        return Err(Error::usage("this run wrote its image to standard output (-o -), which is now a terminal")
            .with_hint(format!("redirect it: wan resume {} > image.png", run.id)));
    }
    let references = if sending { reload(inputs.references)? } else { Vec::new() };
    let mask = match inputs.mask.filter(|_| sending) {
        Some((source, sha256)) => Some(reload_mask(source, sha256)?),
        None => None,
    };
    Ok(Settings {
        prompts,
        references,
        mask,
        models: models_of(run),
        count: run.count,
        // A run made with `-o -` wrote to standard output: its resume does too.
        out: (run.out_dir != "-").then(|| as_typed(Path::new(&run.out_dir))).flatten(),
        to_stdout: run.out_dir == "-",
        name: run.stem.clone(),
        api: ApiSettings {
            base,
            key,
            timeout: args.timeout,
            retries: args.retries,
            route: match run.route.as_str() {
                "chat" => Route::Chat,
                "images" => Route::Images,
                "gemini" => Route::Gemini,
                _ => Route::Auto,
            },
        },
        download_timeout: args.download_timeout,
        jobs: args.jobs,
        rpm: args.rpm,
        json: args.json,
        dry_run: false,
        quote: false,
        display: args.display,
        state_dir: env.state_dir.clone(),
        journal: true,
        // Late files are saved as the run saved its others: a run that kept the prompt
        // out of its files keeps it out of these too.
        metadata: run.metadata,
        prompt_in_file: run.prompt_in_file,
        open: false,
        // The run's own limit was checked when it ran; a resume sends within no new one.
        max_cost: None,
        offline: run.offline,
        preview: None,
    })
}

/// The run's folder (kept absolute) as a run would have printed it from here: relative
/// to the current folder when it is in it (`out/`; `None` for the folder itself, whose
/// files print as bare names), else absolute.
fn as_typed(folder: &Path) -> Option<PathBuf> {
    let here = std::env::current_dir().ok();
    match here.as_deref().and_then(|here| folder.strip_prefix(here).ok()) {
        Some(inside) if inside.as_os_str().is_empty() => None,
        Some(inside) => Some(inside.to_path_buf()),
        None => Some(folder.to_path_buf()),
    }
}

/// The run's references, read again and checked to be the same bytes as before.
fn reload(references: &[(String, Option<String>)]) -> Result<Vec<Reference>, Error> {
    references
        .iter()
        .map(|(source, sha256)| {
            if sha256.is_none() {
                return Ok(Reference::Url(source.clone()));
            }
            if source == "-" {
                return Err(Error::usage("a reference of this run came from standard input; it cannot be read again"));
            }
            let loaded = reference::load_all(std::slice::from_ref(source), &mut std::io::empty())?;
            let Some(Reference::Local(image)) = loaded.into_iter().next() else {
                return Err(Error::usage(format!("reference image {source} is no longer a local file")));
            };
            if Some(sha256_hex(&image.bytes)) != *sha256 {
                return Err(Error::usage(format!("reference image {source} has changed since the run")));
            }
            Ok(Reference::local(image))
        })
        .collect()
}

/// The run's mask, read again and checked to be the same bytes as before.
fn reload_mask(source: &str, sha256: &str) -> Result<LocalImage, Error> {
    let mask = mask::load(Path::new(source))?;
    if sha256_hex(&mask.bytes) != sha256 {
        return Err(Error::usage(format!("mask {source} has changed since the run")));
    }
    Ok(mask)
}

/// What each prompt is to bring of each model: the images to fetch, lost and to send.
/// The requests to send are sorted by prompt, so a prompt's are found by bisection, not
/// kept apart.
fn expected<'a>(
    plan: &Plan,
    to_fetch: &BTreeMap<i64, Vec<PendingImage>>,
    lost: &[PendingImage],
    to_send: &'a [Planned],
) -> impl Fn(usize, usize) -> Expected + use<'a> {
    let mut fetching: BTreeMap<(usize, usize), Expected> = BTreeMap::new();
    let mut add = |image: &PendingImage, images: u64| {
        let key = (image.prompt as usize, model_of(plan, image));
        let expected = fetching.entry(key).or_insert(Expected { images: 0, requests: 0 });
        expected.images += images;
        expected.requests += 1;
    };
    for images in to_fetch.values() {
        add(&images[0], images.len() as u64);
    }
    for image in lost {
        add(image, 1);
    }
    move |prompt, model| {
        let mut expected = fetching.get(&(prompt, model)).copied().unwrap_or(Expected { images: 0, requests: 0 });
        let first = to_send.partition_point(|r| r.prompt < prompt);
        for request in to_send[first..].iter().take_while(|r| r.prompt == prompt).filter(|r| r.model == model) {
            expected.images += u64::from(request.n);
            expected.requests += 1;
        }
        expected
    }
}

/// Which of the run's models made `image`, as its request's place in the plan says.
fn model_of(plan: &Plan, image: &PendingImage) -> usize {
    plan.at(image.prompt as usize, image.chunk).map_or(0, |planned| planned.model)
}

/// Fetches every paid image still to be had, a request's images at once; reports the
/// ones that cannot be had.
fn fetch_all(
    session: &Session,
    to_fetch: BTreeMap<i64, Vec<PendingImage>>,
    lost: Vec<PendingImage>,
    events: &SyncSender<Event>,
) {
    for image in lost {
        // Reported now, lost for good: no later resume takes the run up for it unasked.
        if image.state != "gone" {
            session.journal.write(&session.ui, |journal| {
                journal.image_gone(image.id);
                Ok(())
            });
        }
        let model = model_of(&session.settings.plan(), &image);
        let prompt = Prompt { index: image.prompt as usize, model, text: image.prompt_text.into() };
        let error = match image.source.as_str() {
            _ if session.settings.offline => Error::new(
                Kind::Other,
                "drawn offline by the emulator inside a wan that has ended; nothing was billed, nothing to fetch",
            )
            .with_hint("make it again: the same prompt with --offline draws the same picture"),
            "base64" => base64_lost(),
            _ => Error::new(Kind::Other, "the link has expired; this paid image cannot be fetched any more")
                .with_hint("the link was")
                .tagged(Tag::LinkExpired),
        };
        let url = (image.source != "base64").then_some(image.source);
        let unsaved = vec![Unsaved { url, error }];
        let _ = events.send(Event::Finished { prompt, result: Box::new(Ok(nothing_billed(None, 0, unsaved))) });
    }
    // Every request's images at once (the download slots bound them): the links are dying.
    std::thread::scope(|scope| {
        for images in to_fetch.into_values() {
            let events = events.clone();
            scope.spawn(move || fetch_request(session, images, &events));
        }
    });
}

/// Fetches the images of one request, as a run would have saved them; an image the run
/// was moving into place when it ended is taken where it is, not fetched again.
fn fetch_request(session: &Session, images: Vec<PendingImage>, events: &SyncSender<Event>) {
    let settings = session.settings;
    let model = model_of(&settings.plan(), &images[0]);
    let prompt = Prompt { index: images[0].prompt as usize, model, text: images[0].prompt_text.as_str().into() };
    let request_id = images[0].request_id.clone();
    let mut lost = Vec::new();
    // Taken where the run left them: saved as much as those fetched.
    let mut in_place_count = 0;
    let images: Vec<PendingImage> = images
        .into_iter()
        .filter(|image| {
            let Some(placing) = &image.placing else { return true };
            if let Some(saved) = in_place(placing, &image.source) {
                session.journal.write(&session.ui, |journal| journal.image_saved(image.id, placing.saved.clone()));
                let _ = events.send(Event::Landed { prompt: prompt.clone(), landed: Landed::Saved(saved) });
                in_place_count += 1;
                return false;
            }
            if image.source == "base64" {
                lost.push(Unsaved { url: None, error: base64_lost() });
                return false;
            }
            true
        })
        .collect();
    if images.is_empty() {
        let _ = events
            .send(Event::Finished { prompt, result: Box::new(Ok(nothing_billed(request_id, in_place_count, lost))) });
        return;
    }
    let stem = settings.stem_for(&prompt.text, model);
    let rows = Some(images.iter().map(|i| i.id).collect());
    let batch = Batch { stem: &stem, prompt: &prompt.text, model, rows };
    // Taken as the answer gave it: a link of a scheme wan does not fetch stays unfetched.
    let data = images
        .into_iter()
        .map(|i| match ImageData::classify(i.source.clone()) {
            Some(ImageData::Unfetchable(url)) => ImageData::Unfetchable(url),
            _ => ImageData::Url(i.source),
        })
        .collect::<Vec<_>>();
    let mut task = session.ui.task(None, &settings.models[model].model.name, data.len() as u32);
    task.downloading(data.len());
    let on_saved = |image| {
        let _ = events.send(Event::Landed { prompt: prompt.clone(), landed: image });
    };
    let fetched = data.len() as u64;
    let mut unsaved = save::save_all(session, &batch, data, &task, &on_saved);
    let saved = in_place_count + fetched.saturating_sub(unsaved.len() as u64);
    unsaved.extend(lost);
    let _ = events.send(Event::Finished { prompt, result: Box::new(Ok(nothing_billed(request_id, saved, unsaved))) });
}

/// The image a run was moving into place: the file where it was to go, if it is whole
/// there (the size and SHA-256 recorded before the move), else its temporary file, moved
/// there now (never over another file).
fn in_place(placing: &Placing, source: &str) -> Option<SavedImage> {
    let saved = &placing.saved;
    let (path, format) = (Path::new(&saved.path), ImageFormat::from_extension(saved.format)?);
    let whole = |file: &Path| {
        std::fs::metadata(file).is_ok_and(|m| m.len() == saved.bytes)
            && sha256_of_file(file).is_ok_and(|sha| sha == saved.sha256)
    };
    if !whole(path) {
        let part = Path::new(placing.part.as_deref()?);
        if !whole(part) || std::fs::hard_link(part, path).is_err() {
            return None;
        }
        let _ = std::fs::remove_file(part);
    }
    let url = (source != "base64").then(|| source.to_string());
    Some(SavedImage {
        path: path.to_path_buf(),
        number: None,
        bytes: saved.bytes,
        format,
        source: if url.is_some() { "url" } else { "base64" },
        url,
    })
}

fn base64_lost() -> Error {
    Error::new(Kind::Other, "paid for, but its base64 data was lost with the process that had it")
}

/// A resumed download: its images were billed by the run that asked for them, not now.
fn nothing_billed(request_id: Option<String>, saved: u64, unsaved: Vec<Unsaved>) -> Answered {
    Answered {
        answer: Answer {
            images: Vec::new(),
            usage: None,
            request_id,
            reported_price: None,
            charged: None,
            quote: None,
            cut: None,
        },
        returned: 0,
        saved,
        unsaved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorts a run's records into what is left to do: `requests` in the order of their
    /// prompts and chunks, as the journal gives them.
    fn leftovers(
        run: &RunRow,
        requests: impl IntoIterator<Item = RequestRow>,
        unsaved: Vec<PendingImage>,
        resend_unknown: bool,
    ) -> Leftovers {
        let mut sorting = Sorting::new(run, unsaved, resend_unknown);
        requests.into_iter().for_each(|request| sorting.request(request));
        sorting.finish()
    }

    fn run_row(count: u32) -> RunRow {
        RunRow {
            id: "r".into(),
            count,
            per_request: 4,
            prompts: 3,
            price: Some(30_000),
            state: "interrupted".into(),
            ..RunRow::example()
        }
    }

    fn request(id: i64, prompt: u64, chunk: u64, state: &str) -> RequestRow {
        RequestRow {
            id,
            prompt,
            chunk,
            n: 4,
            state: state.into(),
            request_id: Some(format!("req_{id}")),
            status: None,
            code: None,
            reported: false,
        }
    }

    fn image(id: i64, prompt: u64, source: &str, state: &str, request: i64) -> PendingImage {
        PendingImage {
            id,
            request,
            prompt,
            chunk: 0,
            position: 0,
            prompt_text: format!("prompt {prompt}"),
            source: source.into(),
            state: state.into(),
            request_id: Some(format!("req_{request}")),
            placing: None,
        }
    }

    #[test]
    fn sends_only_what_was_never_sent_and_keeps_unknowns_apart() {
        let requests = || [request(1, 0, 0, "answered"), request(2, 0, 1, "answered"), request(3, 1, 0, "sent")];
        let unsaved = || {
            vec![
                image(10, 0, "https://h/1.png", "pending", 1),
                image(11, 0, "base64", "pending", 2),
                image(12, 0, "https://h/3.png", "gone", 2),
                image(13, 0, "https://h/4.png", "expired", 2),
            ]
        };
        // -n 5: two requests a prompt (4 and 1)
        let left = leftovers(&run_row(5), requests(), unsaved(), false);
        let sent: Vec<(usize, u64, u32)> = left.to_send.iter().map(|r| (r.prompt, r.chunk, r.n)).collect();
        assert_eq!(sent, [(1, 1, 1), (2, 0, 4), (2, 1, 1)]);
        assert_eq!(left.unknown.len(), 1);
        assert_eq!(left.to_fetch.values().flatten().count(), 2, "expired once is tried again");
        assert_eq!(left.lost.len(), 2);
        let resend = leftovers(&run_row(5), requests(), unsaved(), true);
        assert!(resend.unknown.is_empty());
        let sent: Vec<(usize, u64)> = resend.to_send.iter().map(|r| (r.prompt, r.chunk)).collect();
        assert_eq!(sent, [(1, 0), (1, 1), (2, 0), (2, 1)], "in the order of their prompts");
    }

    #[test]
    fn a_run_whose_record_is_incomplete_sends_nothing_off_the_record_unless_told() {
        let mut run = run_row(4);
        run.incomplete = true;
        // Prompt 0 on record (answered); prompts 1 and 2 not: they may have been sent.
        let left = leftovers(&run, [request(1, 0, 0, "answered")], Vec::new(), false);
        assert!(left.to_send.is_empty());
        assert_eq!(left.unrecorded.iter().map(|r| r.prompt).collect::<Vec<_>>(), [1, 2]);
        let told = leftovers(&run, [request(1, 0, 0, "answered")], Vec::new(), true);
        assert_eq!(told.to_send.iter().map(|r| r.prompt).collect::<Vec<_>>(), [1, 2]);
        assert!(told.unrecorded.is_empty());
    }

    #[test]
    fn every_failure_that_billed_nothing_is_sent_again_in_its_place() {
        let failed = |id: i64, prompt: u64, status: u16, code: Option<&str>| {
            let mut failed = request(id, prompt, 0, "failed");
            failed.status = Some(status);
            failed.code = code.map(String::from);
            failed
        };
        let mut run = run_row(1);
        run.prompts = 6;
        let requests = [
            request(1, 0, 0, "answered"),
            failed(2, 1, 503, None),
            failed(3, 2, 401, Some("invalid_api_key")),
            failed(4, 3, 404, Some("model_route_not_supported")),
            failed(5, 4, 409, Some("request_already_completed")),
            failed(6, 5, 429, Some("quota_exceeded")),
        ];
        let left = leftovers(&run, requests, Vec::new(), false);
        let sent: Vec<(usize, u64)> = left.to_send.iter().map(|r| (r.prompt, r.chunk)).collect();
        assert_eq!(sent, [(1, 0), (2, 0), (3, 0), (5, 0)], "all but the one the service says it billed");
    }

    #[test]
    fn a_run_left_with_only_what_a_resume_reported_is_reported_before() {
        let mut run = run_row(1);
        run.prompts = 2;
        let mut unknown = request(2, 1, 0, "unknown");
        let left = |unknown: &RequestRow, lost: Vec<PendingImage>| {
            leftovers(&run, [request(1, 0, 0, "answered"), unknown.clone()], lost, false)
        };
        assert!(!left(&unknown, vec![]).reported_before(), "not said yet");
        unknown.reported = true;
        assert!(left(&unknown, vec![]).reported_before());
        assert!(!left(&unknown, vec![]).is_empty(), "`wan resume RUN` says it again");
        assert!(left(&unknown, vec![image(9, 0, "https://h/1.png", "gone", 1)]).reported_before());
        assert!(!left(&unknown, vec![image(9, 0, "https://h/1.png", "pending", 1)]).reported_before());
    }

    #[test]
    fn a_finished_run_has_nothing_left() {
        let mut run = run_row(4);
        run.prompts = 1;
        assert!(leftovers(&run, [request(1, 0, 0, "answered")], Vec::new(), false).is_empty());
    }

    #[test]
    fn a_large_run_s_leftovers_come_from_one_pass_over_its_requests() {
        let mut run = run_row(1);
        run.prompts = 100_000;
        // Every other prompt was sent.
        let left = leftovers(&run, (0..100_000).step_by(2).map(|p| request(p as i64, p, 0, "answered")), vec![], false);
        assert_eq!(left.to_send.len(), 50_000);
        assert!(left.to_send.iter().enumerate().all(|(i, r)| r.prompt == 2 * i + 1));
    }

    #[test]
    fn a_shard_s_prompts_are_numbered_as_in_its_file() {
        let mut run = run_row(1);
        assert_eq!(number(&run, 2), 3);
        run.shard = Some(crate::shard::Shard { k: 2, n: 4 });
        assert_eq!((number(&run, 0), number(&run, 2)), (2, 10));
    }

    #[test]
    fn each_prompt_expects_what_is_left_of_it() {
        let to_send =
            [Planned { prompt: 1, chunk: 1, n: 2, model: 0 }, Planned { prompt: 3, chunk: 0, n: 4, model: 0 }];
        let mut to_fetch = BTreeMap::new();
        to_fetch.insert(
            7,
            vec![image(1, 1, "https://h/a.png", "pending", 7), image(2, 1, "https://h/b.png", "pending", 7)],
        );
        let lost = [image(3, 3, "base64", "pending", 8)];
        let expected = expected(&Plan::new(4, 6, 4), &to_fetch, &lost, &to_send);
        assert_eq!(expected(1, 0), Expected { images: 4, requests: 2 });
        assert_eq!(expected(3, 0), Expected { images: 5, requests: 2 });
        assert_eq!(expected(2, 0), Expected { images: 0, requests: 0 });
    }
}

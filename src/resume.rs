//! `wan resume`: finish a run the journal knows. Fetch every image that was paid for and
//! not saved while its link lives, report those that cannot be had any more, and send the
//! requests that were planned and never sent. A request sent and never answered is not
//! sent again (it may have been billed) unless `--resend-unknown`.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::api::response::ImageData;
use crate::api::route::Route;
use crate::api::{Answer, ApiSettings};
use crate::cli::ResumeArgs;
use crate::cost::Bill;
use crate::error::{Error, Kind, Tag};
use crate::journal::queries::{self, PendingImage, Recorded, RequestRow, RunRow};
use crate::journal::{self, Journal};
use crate::outcome::Outcome;
use crate::plan::{Plan, Planned};
use crate::printer::{Answered, Printer};
use crate::recorder::{Recorder, sha256_hex};
use crate::reference::{self, Reference};
use crate::report::{Unsaved, plural};
use crate::run::{self, Event};
use crate::save::{self, Batch};
use crate::session::Session;
use crate::settings::{self, Env, Settings};
use crate::ui::{Display, Ui};

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
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.to_fetch.is_empty() && self.lost.is_empty() && self.to_send.is_empty() && self.unknown.is_empty()
    }
}

/// Sorts a run's records into what is left to do.
pub fn leftovers(run: &RunRow, recorded: &Recorded, resend_unknown: bool) -> Leftovers {
    let mut left = Leftovers::default();
    for image in &recorded.unsaved {
        if image.source == "base64" || image.state == "expired" {
            left.lost.push(image.clone());
        } else {
            left.to_fetch.entry(image.request).or_default().push(image.clone());
        }
    }
    let sent: HashSet<(u64, u64)> = recorded.requests.iter().map(|r| (r.prompt, r.chunk)).collect();
    let plan = Plan::new(recorded.prompts.len(), run.count, run.per_request);
    for i in 0..plan.len() {
        let Some(request) = plan.get(i) else { break };
        if !sent.contains(&(request.prompt as u64, request.chunk)) {
            left.to_send.push(request);
        }
    }
    for request in &recorded.requests {
        // The service answered that it failed, for a reason that may pass (a 5xx, a 429,
        // no connection): it returned no images and billed none, so it is sent again.
        if request.state == "failed" && may_pass(request) {
            left.to_send.push(Planned { prompt: request.prompt as usize, chunk: request.chunk, n: request.n });
        }
        if matches!(request.state.as_str(), "sent" | "unknown") {
            if resend_unknown {
                left.to_send.push(Planned { prompt: request.prompt as usize, chunk: request.chunk, n: request.n });
            } else {
                left.unknown.push(request.clone());
            }
        }
    }
    left.to_send.sort_by_key(|r| (r.prompt, r.chunk));
    left
}

/// A failure worth sending again: the service failed, or asked for patience, or was not
/// reached; never a refusal (4xx) or a code that says it is for good.
fn may_pass(request: &RequestRow) -> bool {
    let permanent = matches!(request.code.as_deref(), Some("model_not_found" | "quota_exceeded"));
    let transient = match request.status {
        None => true,
        Some(status) => crate::api::retry::is_retryable_status(status),
    };
    transient && !permanent
}

pub fn run(args: ResumeArgs, env: &Env) -> Result<Outcome, Error> {
    let journal_error = |e: journal::JournalError| Error::new(Kind::Other, format!("cannot read the journal: {e}"));
    let Some(dir) = env.state_dir.clone() else {
        return Err(Error::new(Kind::Other, "no state folder: set WAN_STATE_DIR, XDG_STATE_HOME or HOME"));
    };
    let conn = journal::open(&dir).map_err(journal_error)?;
    let run = match &args.run {
        Some(prefix) => queries::find_run(&conn, prefix).map_err(Error::usage)?.ok_or_else(|| {
            Error::usage(format!("no run {prefix:?} in the journal")).with_hint("`wan history` lists the runs")
        })?,
        None => match queries::latest_unfinished(&conn).map_err(journal_error)? {
            Some(run) => run,
            None => {
                eprintln!("wan: nothing to resume: every run in the journal finished");
                return Ok(Outcome::Success);
            }
        },
    };
    if run.state == "running" {
        return Err(Error::usage(format!("run {} is still running in another wan process", run.id)));
    }
    if run.command == "video" {
        return crate::video::resume(&run, &args, env);
    }
    let recorded = queries::recorded(&conn, &run.id).map_err(journal_error)?;
    drop(conn);
    let left = leftovers(&run, &recorded, args.resend_unknown);
    let ui = Ui::new(display(&args, env), 0);
    if left.is_empty() {
        eprintln!("wan: run {}: nothing left to do", run.id);
        return Ok(Outcome::Success);
    }
    for request in &left.unknown {
        ui.warn(&format!(
            "request {} of prompt {} (request id {}) was sent and never answered: it may have been billed; \
             not sent again (`wan resume {} --resend-unknown` sends it)",
            request.chunk + 1,
            request.prompt + 1,
            request.request_id.as_deref().unwrap_or("unknown"),
            run.id
        ));
    }
    if args.dry_run {
        return dry_run(&run, &left);
    }
    let settings = settings_of(&run, &recorded, &args, env, !left.to_send.is_empty())?;
    let journal = Journal::start(&dir).map_err(journal_error)?;
    journal.run_resumed(&run.id).map_err(journal_error)?;
    crate::interrupt::flush_on_interrupt(&journal);
    let run_id = run.id.clone();
    let session = Session::recording(&settings, move |_, _, _| Recorder::resuming(journal, run_id))?;
    let printer = printer_for(&session, &left);
    let unknown_left = !left.unknown.is_empty();
    let Leftovers { to_fetch, lost, to_send, .. } = left;
    let outcome = run::send(&session, &to_send, printer, |events| fetch_all(&session, to_fetch, lost, events))?;
    if !unknown_left {
        return Ok(outcome);
    }
    // Requests of unknown outcome left alone: the run is not done, whatever was fetched.
    session.journal.write(&session.ui, |journal, run| journal.run_ended(run, "partial"));
    Ok(match outcome {
        Outcome::Success => Outcome::Failed(Kind::Partial),
        other => other,
    })
}

fn display(args: &ResumeArgs, env: &Env) -> Display {
    let terminal = env.stderr_is_terminal;
    Display {
        quiet: args.quiet,
        verbose: args.verbose,
        progress: terminal && !args.quiet,
        color: terminal && !env.no_color,
    }
}

/// What finishing the run would do and cost; nothing is done.
fn dry_run(run: &RunRow, left: &Leftovers) -> Result<Outcome, Error> {
    let mut out = crate::report::Stdout::default();
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
        out.line(&format!("cannot fetch {n} paid image{}: link expired, or base64 lost with its process", plural(n)))?;
    }
    if !left.to_send.is_empty() {
        let images: u64 = left.to_send.iter().map(|r| u64::from(r.n)).sum();
        let n = left.to_send.len() as u64;
        let mut bill = Bill::estimate(&run.model, images, n);
        // The price per image the run was recorded with wins over today's table.
        if let Some(price) = run.price {
            bill.price = crate::catalogue::Price::PerImage(price);
        }
        out.line(&format!("would send {n} request{} · {} · {}", plural(n), run.model, bill.describe()))?;
    }
    if !left.unknown.is_empty() {
        let n = left.unknown.len() as u64;
        out.line(&format!("would not send again {n} request{} of unknown outcome (may have been billed)", plural(n)))?;
    }
    Ok(Outcome::Success)
}

/// The run's own settings, from its record; the key only where something is sent.
fn settings_of(
    run: &RunRow,
    recorded: &Recorded,
    args: &ResumeArgs,
    env: &Env,
    sending: bool,
) -> Result<Settings, Error> {
    // Fetching paid images needs no key; sending does.
    let key = if sending { Some(crate::api_key::for_command(env)?) } else { None };
    let base = match args.base_url.clone().or_else(|| env.base_url.clone()) {
        Some(given) => crate::api_key::base_url_for_command(Some(given), env)?,
        None => settings::base_url(&run.base_url)?,
    };
    if run.out_dir == "-" && args.json {
        return Err(Error::usage("this run wrote its image to standard output (-o -); --json cannot go there too"));
    }
    let references = if sending { reload(&recorded.references)? } else { Vec::new() };
    let extra: Map<String, Value> = serde_json::from_str(&run.extra).unwrap_or_default();
    Ok(Settings {
        prompts: recorded.prompts.clone(),
        references,
        model: run.model.clone(),
        count: run.count,
        per_request: run.per_request,
        // A run made with `-o -` wrote to standard output: its resume does too.
        out: (run.out_dir != "-").then(|| PathBuf::from(&run.out_dir)),
        to_stdout: run.out_dir == "-",
        name: run.stem.clone(),
        extra,
        api: ApiSettings {
            base,
            key,
            timeout: Duration::from_secs(args.timeout),
            retries: args.retries,
            route: match run.route.as_str() {
                "chat" => Route::Chat,
                "images" => Route::Images,
                "gemini" => Route::Gemini,
                _ => Route::Auto,
            },
        },
        download_timeout: Duration::from_secs(args.download_timeout),
        jobs: args.jobs,
        rpm: args.rpm,
        json: args.json,
        dry_run: false,
        display: display(args, env),
        state_dir: env.state_dir.clone(),
        journal: true,
        metadata: true,
        open: false,
    })
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

/// The printer, expecting per prompt the images to fetch, lost and to send.
fn printer_for<'a>(session: &'a Session<'a>, left: &Leftovers) -> Printer<'a> {
    let prompts = session.settings.prompts.len();
    let (mut asked, mut pending) = (vec![0u64; prompts], vec![0u64; prompts]);
    for images in left.to_fetch.values() {
        let prompt = images[0].prompt as usize;
        asked[prompt] += images.len() as u64;
        pending[prompt] += 1;
    }
    for image in &left.lost {
        asked[image.prompt as usize] += 1;
        pending[image.prompt as usize] += 1;
    }
    for request in &left.to_send {
        asked[request.prompt] += u64::from(request.n);
        pending[request.prompt] += 1;
    }
    Printer::new(session, asked, pending)
}

/// Fetches every paid image still to be had, a request's images at once; reports the
/// ones that cannot be had.
fn fetch_all(
    session: &Session,
    to_fetch: BTreeMap<i64, Vec<PendingImage>>,
    lost: Vec<PendingImage>,
    events: &Sender<Event>,
) {
    for image in lost {
        let prompt = image.prompt as usize;
        let error = match image.source.as_str() {
            "base64" => Error::new(Kind::Other, "paid for, but its base64 data was lost with the process that had it"),
            _ => Error::new(Kind::Other, "the link has expired; this paid image cannot be fetched any more")
                .with_hint("the link was")
                .tagged(Tag::LinkExpired),
        };
        let url = (image.source != "base64").then_some(image.source);
        let unsaved = vec![Unsaved { url, error }];
        let _ = events.send(Event::Finished { prompt, result: Ok(nothing_billed(None, unsaved)) });
    }
    // Every request's images at once (the download slots bound them): the links are dying.
    std::thread::scope(|scope| {
        for images in to_fetch.into_values() {
            let events = events.clone();
            scope.spawn(move || fetch_request(session, images, &events));
        }
    });
}

/// Fetches the images of one request, as a run would have saved them.
fn fetch_request(session: &Session, images: Vec<PendingImage>, events: &Sender<Event>) {
    let settings = session.settings;
    let prompt = images[0].prompt as usize;
    let prompt_text = &settings.prompts[prompt];
    let stem = settings.stem_for(prompt_text);
    let request_id = images[0].request_id.clone();
    let rows = Some(images.iter().map(|i| i.id).collect());
    let batch = Batch { stem: &stem, prompt: prompt_text, request_id: request_id.as_deref(), rows };
    let data = images.into_iter().map(|i| ImageData::Url(i.source)).collect::<Vec<_>>();
    let mut task = session.ui.task(None, &settings.model, data.len() as u32);
    task.downloading(data.len());
    let on_saved = |image| {
        let _ = events.send(Event::Saved { prompt, image });
    };
    let unsaved = save::save_all(session, &batch, data, &task, &on_saved);
    let _ = events.send(Event::Finished { prompt, result: Ok(nothing_billed(request_id, unsaved)) });
}

/// A resumed download: its images were billed by the run that asked for them, not now.
fn nothing_billed(request_id: Option<String>, unsaved: Vec<Unsaved>) -> Answered {
    Answered {
        answer: Answer { images: Vec::new(), usage: None, request_id, reported_price: None },
        returned: 0,
        unsaved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_row(count: u32) -> RunRow {
        RunRow {
            id: "r".into(),
            started: String::new(),
            command: "generate".into(),
            model: "wan2.7-image".into(),
            route: "auto".into(),
            base_url: "http://h/v1".into(),
            out_dir: "/o".into(),
            stem: None,
            count,
            per_request: 4,
            prompts: 3,
            extra: "{}".into(),
            price: Some(30_000),
            state: "interrupted".into(),
            saved: 0,
            returned: 0,
            cost: 0,
            unpriced: 0,
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
        }
    }

    fn image(id: i64, prompt: u64, source: &str, state: &str, request: i64) -> PendingImage {
        PendingImage {
            id,
            request,
            prompt,
            position: 0,
            source: source.into(),
            state: state.into(),
            request_id: Some(format!("req_{request}")),
        }
    }

    #[test]
    fn sends_only_what_was_never_sent_and_keeps_unknowns_apart() {
        let recorded = Recorded {
            prompts: vec!["a".into(), "b".into(), "c".into()],
            references: Vec::new(),
            requests: vec![request(1, 0, 0, "answered"), request(2, 0, 1, "answered"), request(3, 1, 0, "sent")],
            unsaved: vec![
                image(10, 0, "https://h/1.png", "pending", 1),
                image(11, 0, "base64", "pending", 2),
                image(12, 0, "https://h/3.png", "expired", 2),
            ],
        };
        // -n 5: two requests a prompt (4 and 1)
        let left = leftovers(&run_row(5), &recorded, false);
        let sent: Vec<(usize, u64, u32)> = left.to_send.iter().map(|r| (r.prompt, r.chunk, r.n)).collect();
        assert_eq!(sent, [(1, 1, 1), (2, 0, 4), (2, 1, 1)]);
        assert_eq!(left.unknown.len(), 1);
        assert_eq!(left.to_fetch.values().flatten().count(), 1);
        assert_eq!(left.lost.len(), 2);
        let resend = leftovers(&run_row(5), &recorded, true);
        assert!(resend.unknown.is_empty());
        assert!(resend.to_send.iter().any(|r| (r.prompt, r.chunk) == (1, 0)));
    }

    #[test]
    fn a_finished_run_has_nothing_left() {
        let recorded = Recorded {
            prompts: vec!["a".into()],
            references: Vec::new(),
            requests: vec![request(1, 0, 0, "answered")],
            unsaved: Vec::new(),
        };
        let mut run = run_row(4);
        run.prompts = 1;
        assert!(leftovers(&run, &recorded, false).is_empty());
    }
}

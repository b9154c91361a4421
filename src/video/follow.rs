//! Waiting for a task: a look every `--poll` seconds (never sooner, a little later at
//! random), looks that fail taken again with backoff, each look told to the spinner and
//! the journal, the clip saved the moment it is ready; a timeout, a failure at the
//! service or a lost link each said with what to do next.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::Url;

use super::client::{LookFailed, not_known};
use super::download;
use super::report::Ended;
use super::task::{State, Task};
use super::{Ctx, recorded, short_id};
use crate::catalogue::money::Micros;
use crate::error::{ApiCode, ApiDetail, Error, Kind, Tag, clean};
use crate::files::output::OutputDir;
use crate::interrupt;
use crate::journal::ImageSaved;
use crate::journal::lock::{self, Held};
use crate::journal::video::RouteKind;
use crate::retry::{self, Policy};
use crate::term::progress::VideoLine;

/// A task to follow, and where its clip goes.
#[derive(Debug)]
pub struct Tracked {
    pub id: String,
    /// The service it is followed at: the one it was made at, unless `--base-url`.
    pub base: Url,
    /// Where it was made, when that is not `base`: a 404 there is no word of the task,
    /// and does not close it.
    pub made_at: Option<String>,
    pub route: RouteKind,
    pub model: Option<String>,
    /// The folder as the user named it (`None`: the current one).
    pub out: Option<PathBuf>,
    pub stem: String,
    pub run_id: Option<String>,
    /// A look already taken (by the create, or by the lookup of an unknown id): the next
    /// waits one interval; without one, the first look is at once.
    pub first: Option<Task>,
    pub price: Option<Micros>,
}

/// `--poll`, never less, and up to a fifth more at random: many clients waiting on one
/// service spread out instead of looking in step.
fn interval(poll: Duration) -> Duration {
    poll.mul_f64(1.0 + 0.2 * retry::jitter())
}

/// Follows a task to its end, or to the end of `--wait-timeout`.
pub fn follow(ctx: &Ctx, tracked: Tracked) -> Ended {
    let id = tracked.id.clone();
    let _following = interrupt::following_video(&id);
    let model = tracked.model.clone().unwrap_or_else(|| "model unknown".to_string());
    let line = ctx.ui.video(format!("{} · {model}", short_id(&id)));
    let mut ended = Ended::new(&id, tracked.model.clone());
    ended.reported = tracked.price;
    let deadline = Instant::now() + ctx.follow.wait_timeout;
    // One process follows a task at a time; another waits, then finds it saved.
    let _claim = match claim(ctx, &id, &line, deadline) {
        Ok(claim) => claim,
        Err(over) => return *over,
    };
    let mut status = "queued".to_string();
    let mut next = match &tracked.first {
        Some(task) => {
            line.state(&task.status, task.progress.as_deref());
            status.clone_from(&task.status);
            if task.state != State::Running {
                return settle(ctx, &tracked, task.clone(), ended, &line);
            }
            interval(ctx.follow.poll)
        }
        None => Duration::ZERO,
    };
    let mut failures = 0;
    loop {
        let now = Instant::now();
        let last = now + next >= deadline;
        std::thread::sleep(if last { deadline.saturating_duration_since(now) } else { next });
        match ctx.client.look(&tracked.base, tracked.route, &id) {
            Ok(look) => {
                failures = 0;
                ended.reported = look.price.or(ended.reported);
                let task = look.task;
                line.state(&task.status, task.progress.as_deref());
                status.clone_from(&task.status);
                ctx.journal.write(ctx.ui, |journal| {
                    journal.video_task_seen(&id, task.status.clone(), task.progress.clone());
                    Ok(())
                });
                if task.state != State::Running {
                    return settle(ctx, &tracked, task, ended, &line);
                }
                next = interval(ctx.follow.poll);
            }
            Err(LookFailed::Transient { error, delay }) => {
                // Looks are free GETs: taken again, however many fail, until the deadline.
                let backoff = Policy::api(u32::MAX).backoff(failures, retry::jitter());
                failures += 1;
                next = interval(ctx.follow.poll).max(delay.unwrap_or(backoff).min(retry::MAX_WAIT));
                ctx.ui.note(&format!("{error}; looking again in {:.0} s", next.as_secs_f64().ceil()));
            }
            Err(LookFailed::NotFound { error, .. }) => return unknown_here(ctx, &tracked, ended, Some(error), None),
            Err(LookFailed::Permanent(error)) => return ended.failed("running", error),
        }
        if last || Instant::now() >= deadline {
            let waited = ctx.follow.wait_timeout.as_secs();
            let error = Error::new(
                Kind::Pending,
                format!(
                    "video task {id} is not finished after {waited} s of waiting (the service says {})",
                    clean(&status)
                ),
            )
            .with_hint(format!("it goes on at the service; pick it up with: wan video wait {id}"));
            return ended.failed("running", error);
        }
    }
}

/// The task's lock, taken before anything is looked at or saved: two `wan video wait`
/// (or an agent's `video_status` while the user waits) would otherwise both save the clip.
/// While another process holds it, this one waits; when it is let go, the journal says
/// whether the clip was saved meanwhile (then that is the end), or the task is followed
/// here. `None` without a state folder to keep locks in.
fn claim(ctx: &Ctx, id: &str, line: &VideoLine, deadline: Instant) -> Result<Option<Held>, Box<Ended>> {
    let Some(dir) = ctx.follow.state_dir.as_deref() else { return Ok(None) };
    let path = lock::path(dir, "task", id);
    let mut told = false;
    loop {
        match lock::try_take(&path, "following it") {
            Ok(Ok(held)) if told => return saved_meanwhile(ctx, id).map_or(Ok(Some(held)), |e| Err(Box::new(e))),
            Ok(Ok(held)) => return Ok(Some(held)),
            // A lock that cannot be kept (a read-only state folder) does not stop the wait.
            Err(_) => return Ok(None),
            Ok(Err(holder)) => {
                if !told {
                    ctx.ui.note(&format!("video task {id} is taken by {holder}; waiting for it"));
                    line.state("followed by another wan", None);
                    told = true;
                }
                if Instant::now() >= deadline {
                    let error = Error::new(Kind::Pending, format!("video task {id} is being followed by another wan"))
                        .with_hint(format!("it saves the clip; `wan video wait {id}` afterwards prints where"));
                    return Err(Box::new(Ended::new(id, None).failed("running", error)));
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// The task as another process left it, where that process saved its clip.
fn saved_meanwhile(ctx: &Ctx, id: &str) -> Option<Ended> {
    let conn = recorded::read_journal(ctx.follow.state_dir.as_ref());
    let row = recorded::recorded(conn.as_ref(), id)?;
    let path = row.path.as_deref().filter(|p| row.state == "saved" && std::path::Path::new(p).exists())?;
    ctx.ui.note(&format!("video task {id} was saved by the other wan"));
    let ended = Ended { reported: row.price, url: row.url.clone(), ..Ended::new(id, row.model.clone()) };
    Some(Ended { state: "saved", path: Some(PathBuf::from(path)), before: true, ..ended })
}

/// A task that is no longer running: saved, or said why not.
fn settle(ctx: &Ctx, tracked: &Tracked, task: Task, ended: Ended, line: &VideoLine) -> Ended {
    let id = &tracked.id;
    match task.state {
        State::Completed => save(ctx, tracked, task, ended, line),
        State::Failed | State::Cancelled => {
            let (state, what) = match task.state {
                State::Failed => ("failed", "failed"),
                _ => ("cancelled", "was cancelled"),
            };
            let detail = ApiDetail {
                status: None,
                code: task.code.as_deref().map(|c| ApiCode::parse(&crate::error::redact(c))),
                message: task.message.as_deref().map(crate::error::redact),
                request_id: None,
                retryable: None,
            };
            let error = Error::new(Kind::Rejected, format!("video task {id} {what} at the service")).with_api(detail);
            ctx.journal.write(ctx.ui, |journal| {
                journal.video_ended(id, state, Some(task.status.clone()), error.to_string());
                Ok(())
            });
            ended.failed(state, error)
        }
        State::Unknown => unknown_here(ctx, tracked, ended, None, Some(task.status)),
        State::Running => unreachable!("settle takes only tasks that stopped running"),
    }
}

/// The service it was followed at knows no such task. Where the task was made, that
/// closes it (`unknown`); another host's word says nothing of it, and the task stays open
/// for `wan video wait` and `wan resume` to follow where it was made.
fn unknown_here(ctx: &Ctx, tracked: &Tracked, ended: Ended, refused: Option<Error>, status: Option<String>) -> Ended {
    let id = &tracked.id;
    let error = not_known(id, refused);
    let Some(made_at) = &tracked.made_at else {
        ctx.journal.write(ctx.ui, |journal| {
            journal.video_ended(id, "unknown", status, error.to_string());
            Ok(())
        });
        return ended.failed("unknown", error);
    };
    let host = tracked.base.host_str().unwrap_or("the API").to_string();
    let error = Error {
        message: format!("the service at {host} knows no video task {id}; it was made at {}", clean(made_at)),
        hint: Some(format!("without --base-url, `wan video wait {id}` follows it where it was made")),
        ..error
    };
    ended.failed("unknown", error)
}

/// Downloads the clip at once: its link lives for hours, not days.
fn save(ctx: &Ctx, tracked: &Tracked, task: Task, mut ended: Ended, line: &VideoLine) -> Ended {
    let id = &tracked.id;
    let Some(url) = task.url else {
        let error = Error::new(
            Kind::Other,
            format!("video task {id} is {}, but the answer holds no video URL", clean(&task.status)),
        )
        .with_hint(format!(
            "`wan video status {id} --json` shows what the service says; `wan video wait {id}` tries again"
        ));
        ctx.journal.write(ctx.ui, |journal| {
            journal.video_ended(id, "completed", Some(task.status.clone()), error.to_string());
            Ok(())
        });
        return ended.failed("completed", error);
    };
    ended.url = Some(url.clone());
    // On disk before the download starts: a crash now leaves the link to fetch.
    ctx.journal.write(ctx.ui, |journal| journal.video_clip_ready(id, url.clone(), ended.reported));
    interrupt::downloading(&url);
    line.downloading();
    let out = OutputDir::new(tracked.out.clone());
    let result = out.create().and_then(|()| {
        download::save(ctx.http, &url, ctx.follow.download_timeout, &out, &tracked.stem, &|t| line.tick(t))
    });
    match result {
        Ok(clip) => {
            let saved = ImageSaved {
                path: clip.absolute.display().to_string(),
                bytes: clip.bytes,
                format: clip.format.extension(),
                sha256: clip.sha256.clone(),
            };
            ctx.journal.write(ctx.ui, |journal| journal.video_saved(id, saved));
            if let Some(run) = &tracked.run_id {
                ctx.journal.write(ctx.ui, |journal| journal.run_ended(run, "done"));
            }
            interrupt::settled(&url);
            ended.state = "saved";
            ended.path = Some(clip.path);
            ended.format = Some(clip.format);
            ended.bytes = Some(clip.bytes);
            ended
        }
        Err(error) => {
            let expired = error.tag == Tag::LinkExpired;
            let state = if expired { "expired" } else { "completed" };
            ctx.journal.write(ctx.ui, |journal| {
                journal.video_ended(id, state, Some(task.status.clone()), error.to_string());
                Ok(())
            });
            // Cleaned, never shortened: the user must be able to fetch it.
            let hint = if expired {
                format!("the link was: {}", clean(&url))
            } else {
                format!("it is paid for; fetch it while the link lives: {}", clean(&url))
            };
            let error = Error {
                kind: Kind::Partial,
                message: format!("video task {id}'s video was not saved: {}", error.message),
                ..error
            }
            .with_hint(hint);
            interrupt::settled(&url);
            ended.failed(state, error)
        }
    }
}

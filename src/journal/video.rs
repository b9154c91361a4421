//! Video tasks in the journal: each recorded the moment the service names it, its last
//! known state after every look, its clip as an image row of the create once ready.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Journal, JournalError, now};
use crate::error::redact;

/// The route a task was created on, and is looked at on: the gateway's
/// `/video/generations`, or the DashScope route of the service's April docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RouteKind {
    /// The route tried first.
    #[default]
    Gateway,
    DashScope,
}

impl RouteKind {
    /// Its name in the journal and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Gateway => "gateway",
            Self::DashScope => "dashscope",
        }
    }

    /// The route of a stored name; `None` for a name no route has.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Gateway, Self::DashScope].into_iter().find(|route| route.name() == name)
    }
}

/// A task as it is first recorded.
#[derive(Clone, Debug, Default)]
pub struct NewTask {
    pub id: String,
    pub run_id: Option<String>,
    /// The create's request row, to mark answered in the same transaction.
    pub request: Option<i64>,
    pub request_id: Option<String>,
    pub route: RouteKind,
    pub base_url: String,
    pub model: Option<String>,
    pub prompt: Option<String>,
    pub out_dir: Option<String>,
    pub stem: Option<String>,
    pub status: Option<String>,
    pub price: Option<u64>,
}

/// A task as the journal knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: String,
    pub run_id: Option<String>,
    pub route: RouteKind,
    pub base_url: String,
    pub model: Option<String>,
    pub prompt: Option<String>,
    /// `running`, `completed`, `saved`, `failed`, `cancelled`, `expired` or `unknown`.
    pub state: String,
    pub status: Option<String>,
    pub progress: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub out_dir: Option<String>,
    pub stem: Option<String>,
    pub price: Option<u64>,
    pub error: Option<String>,
    pub created: String,
    pub updated: String,
    /// Made by a run that went to the emulator inside `wan` (`--offline`).
    pub offline: bool,
}

impl TaskRow {
    /// Whether nothing more can come of it: saved, or ended at the service without a clip.
    pub fn is_over(&self) -> bool {
        matches!(self.state.as_str(), "saved" | "failed" | "cancelled" | "unknown")
    }
}

const COLUMNS: &str = "id, run_id, route, base_url, model, prompt, state, status, progress, url, path, out_dir,
    stem, price, error, created, updated,
    coalesce((SELECT offline FROM runs WHERE runs.id = video_tasks.run_id), 0)";

fn task_row(row: &Row) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: row.get(0)?,
        run_id: row.get(1)?,
        route: {
            // A route no version of wan wrote is a damaged record, not the gateway's.
            let name: String = row.get(2)?;
            RouteKind::parse(&name).ok_or_else(|| {
                let why = format!("video task with an unknown route {:?}", crate::error::clean(&name));
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, why.into())
            })?
        },
        base_url: row.get(3)?,
        model: row.get(4)?,
        prompt: row.get(5)?,
        state: row.get(6)?,
        status: row.get(7)?,
        progress: row.get(8)?,
        url: row.get(9)?,
        path: row.get(10)?,
        out_dir: row.get(11)?,
        stem: row.get(12)?,
        price: row.get::<_, Option<i64>>(13)?.map(|p| p as u64),
        error: row.get(14)?,
        created: row.get(15)?,
        updated: row.get(16)?,
        offline: row.get(17)?,
    })
}

/// Every text from the service or the user is kept without the key: servers echo it.
fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| redact(&t))
}

impl Journal {
    /// Records a task the moment its id is known, before anything else happens, and
    /// marks its create answered. A task already there (met again by `wan video wait`)
    /// keeps its row and its run.
    pub fn video_task_created(&self, task: NewTask) -> Result<(), JournalError> {
        self.now(move |tx| {
            let at = now();
            let known: Option<i64> =
                tx.query_row("SELECT 1 FROM video_tasks WHERE id = ?1", [&task.id], |r| r.get(0)).optional()?;
            if known.is_some() {
                return tx
                    .execute(
                        "UPDATE video_tasks SET route = ?2, updated = ?3 WHERE id = ?1",
                        params![task.id, task.route.name(), at],
                    )
                    .map(|_| ());
            }
            tx.execute(
                "INSERT INTO video_tasks (id, run_id, request, route, base_url, model, prompt, state, status,
                    out_dir, stem, price, created, updated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9, ?10, ?11, ?12, ?12)",
                params![
                    task.id,
                    task.run_id,
                    task.request,
                    task.route.name(),
                    redact(&task.base_url),
                    task.model,
                    clean(task.prompt),
                    clean(task.status),
                    task.out_dir,
                    task.stem,
                    task.price.map(|p| p as i64),
                    at,
                ],
            )?;
            if let Some(request) = task.request {
                tx.execute(
                    "UPDATE requests SET state = 'answered', status = 200, request_id = ?2, returned = 0, price = ?3
                     WHERE id = ?1",
                    params![request, clean(task.request_id), task.price.map(|p| p as i64)],
                )?;
            }
            Ok(())
        })
    }

    /// What one look at the task found, while it runs; batched with the next write.
    pub fn video_task_seen(&self, id: &str, status: String, progress: Option<String>) {
        let id = id.to_string();
        self.later(move |tx| {
            tx.execute(
                "UPDATE video_tasks SET status = ?2, progress = ?3, updated = ?4
                 WHERE id = ?1 AND state IN ('running', 'unknown')",
                params![id, redact(&status), clean(progress), now()],
            )
            .map(|_| ())
        });
    }

    /// The clip is ready at `url`: recorded before its download starts. Where the task
    /// came from a run, its create now returned one clip (billed), an image row of
    /// that request; returns that row.
    pub fn video_clip_ready(&self, id: &str, url: String, price: Option<u64>) -> Result<Option<i64>, JournalError> {
        let id = id.to_string();
        self.now(move |tx| {
            let url = redact(&url);
            tx.execute(
                "UPDATE video_tasks SET state = 'completed', status = coalesce(status, 'completed'), url = ?2,
                    price = coalesce(?3, price), error = NULL, updated = ?4
                 WHERE id = ?1 AND state != 'saved'",
                params![id, url, price.map(|p| p as i64), now()],
            )?;
            let (request, image): (Option<i64>, Option<i64>) = tx
                .query_row("SELECT request, image FROM video_tasks WHERE id = ?1", [&id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?
                .unwrap_or((None, None));
            let Some(request) = request else { return Ok(None) };
            tx.execute(
                "UPDATE requests SET returned = 1, price = coalesce(?2, price) WHERE id = ?1",
                params![request, price.map(|p| p as i64)],
            )?;
            if let Some(image) = image {
                // A link signed anew since the last look replaces the old one.
                tx.execute("UPDATE images SET source = ?2 WHERE id = ?1 AND state != 'saved'", params![image, url])?;
                return Ok(Some(image));
            }
            tx.execute(
                "INSERT INTO images (request, position, source, state) VALUES (?1, 0, ?2, 'pending')",
                params![request, url],
            )?;
            let image = tx.last_insert_rowid();
            tx.execute("UPDATE video_tasks SET image = ?2 WHERE id = ?1", params![id, image])?;
            Ok(Some(image))
        })
    }

    /// The clip is in place; on disk before the run reports it.
    pub fn video_saved(&self, id: &str, saved: super::ImageSaved) -> Result<(), JournalError> {
        let id = id.to_string();
        self.now(move |tx| {
            let at = now();
            tx.execute(
                "UPDATE video_tasks SET state = 'saved', path = ?2, error = NULL, updated = ?3 WHERE id = ?1",
                params![id, saved.path, at],
            )?;
            tx.execute(
                "UPDATE images SET state = 'saved', path = ?2, bytes = ?3, format = ?4, sha256 = ?5, saved_at = ?6,
                    message = NULL
                 WHERE id = (SELECT image FROM video_tasks WHERE id = ?1)",
                params![id, saved.path, saved.bytes as i64, saved.format, saved.sha256, at],
            )
            .map(|_| ())
        })
    }

    /// The task ended without a saved clip: `failed`, `cancelled` (at the service),
    /// `expired` (its link died), `unknown` (the service knows it no more), or `completed`
    /// still (the download failed, the link may live).
    pub fn video_ended(&self, id: &str, state: &'static str, status: Option<String>, error: String) {
        let id = id.to_string();
        self.later(move |tx| {
            let error = redact(&error);
            tx.execute(
                "UPDATE video_tasks SET state = ?2, status = coalesce(?3, status), error = ?4, updated = ?5
                 WHERE id = ?1 AND state != 'saved'",
                params![id, state, clean(status), error, now()],
            )?;
            if matches!(state, "expired" | "completed") {
                let image_state = if state == "expired" { "expired" } else { "failed" };
                tx.execute(
                    "UPDATE images SET state = ?2, message = ?3
                     WHERE id = (SELECT image FROM video_tasks WHERE id = ?1) AND state != 'saved'",
                    params![id, image_state, error],
                )?;
            }
            Ok(())
        });
    }
}

/// The task with this id, if the journal knows it.
pub fn task(conn: &Connection, id: &str) -> Result<Option<TaskRow>, JournalError> {
    let sql = format!("SELECT {COLUMNS} FROM video_tasks WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], task_row).optional()?)
}

/// The newest tasks first, at most `limit`.
pub fn tasks(conn: &Connection, limit: u64) -> Result<Vec<TaskRow>, JournalError> {
    let sql = format!("SELECT {COLUMNS} FROM video_tasks ORDER BY created DESC, rowid DESC LIMIT ?1");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([limit as i64], task_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The tasks a run created.
pub fn tasks_of_run(conn: &Connection, run: &str) -> Result<Vec<TaskRow>, JournalError> {
    let sql = format!("SELECT {COLUMNS} FROM video_tasks WHERE run_id = ?1 ORDER BY created");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([run], task_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether this journal has the video tables yet (one written by an older `wan` may not).
pub fn has_tasks_table(conn: &Connection) -> bool {
    conn.query_row("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'video_tasks'", [], |_| Ok(()))
        .optional()
        .is_ok_and(|found| found.is_some())
}

#[cfg(test)]
mod tests {
    use super::super::{ImageSaved, RunRecord, open, queries};
    use super::*;

    fn video_run(journal: &Journal) -> String {
        journal
            .begin_run(RunRecord {
                command: "video",
                model: "wan2.7-t2v".into(),
                route: "gateway",
                base_url: "http://h/v1".into(),
                out_dir: "/out".into(),
                stem: None,
                count: 1,
                per_request: 1,
                prompts: super::super::PromptsRecord::one("a fox".into()),
                extra: "{}".into(),
                price: None,
                references: Vec::new(),
                mask: None,
                offline: false,
                metadata: true,
                prompt_in_file: true,
                models: None,
            })
            .unwrap()
    }

    #[test]
    fn a_task_is_recorded_then_its_clip_counts_as_the_runs_one_image() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let run = video_run(&journal);
        let request = journal.request_sent(&run, 0, 0, 1, "wan2.7-t2v").unwrap();
        let new = NewTask {
            id: "video_task_1".into(),
            run_id: Some(run.clone()),
            request: Some(request),
            request_id: Some("req_1".into()),
            route: RouteKind::Gateway,
            base_url: "http://h/v1".into(),
            model: Some("wan2.7-t2v".into()),
            prompt: Some("a fox".into()),
            out_dir: Some("/out".into()),
            stem: Some("a-fox".into()),
            status: Some("queued".into()),
            price: None,
        };
        journal.video_task_created(new.clone()).unwrap();
        journal.video_task_seen("video_task_1", "in_progress".into(), Some("40%".into()));
        journal.flush().unwrap();
        let conn = open(dir.path()).unwrap();
        let row = task(&conn, "video_task_1").unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.status.as_deref()), ("running", Some("in_progress")));
        assert_eq!(row.progress.as_deref(), Some("40%"));
        assert_eq!(queries::runs(&conn, 5).unwrap()[0].returned, 0, "nothing billed while it runs");

        let image = journal.video_clip_ready("video_task_1", "https://cdn/v.mp4".into(), Some(1_836_000)).unwrap();
        assert!(image.is_some());
        // a second look (a later `wan video wait`) keeps the same row
        assert_eq!(journal.video_clip_ready("video_task_1", "https://cdn/v2.mp4".into(), None).unwrap(), image);
        let saved = ImageSaved { path: "/out/a-fox-001.mp4".into(), bytes: 9, format: "mp4", sha256: "beef".into() };
        journal.video_saved("video_task_1", saved).unwrap();
        // recording it again changes nothing of what was done
        journal.video_task_created(new).unwrap();
        journal.flush().unwrap();

        let row = task(&conn, "video_task_1").unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.path.as_deref()), ("saved", Some("/out/a-fox-001.mp4")));
        assert!(row.is_over());
        let history = &queries::runs(&conn, 5).unwrap()[0];
        assert_eq!((history.saved, history.returned, history.cost), (1, 1, 1_836_000));
        assert_eq!(queries::origin(&conn, "beef").unwrap().unwrap().prompt, "a fox");
        assert_eq!(tasks_of_run(&conn, &run).unwrap().len(), 1);
        assert!(has_tasks_table(&conn));
    }

    #[test]
    fn tasks_are_listed_newest_first_and_endings_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        for id in ["a", "b"] {
            let new = NewTask {
                id: id.into(),
                route: RouteKind::DashScope,
                base_url: "http://h/v1".into(),
                ..NewTask::default()
            };
            journal.video_task_created(new).unwrap();
        }
        journal.video_ended("a", "failed", Some("FAILED".into()), "InvalidParameter: Field required".into());
        journal.flush().unwrap();
        let conn = open(dir.path()).unwrap();
        let all = tasks(&conn, 10).unwrap();
        assert_eq!(all.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        let failed = &all[1];
        assert_eq!((failed.state.as_str(), failed.status.as_deref()), ("failed", Some("FAILED")));
        assert!(failed.is_over() && !all[0].is_over());
        assert_eq!(task(&conn, "zzz").unwrap(), None);
    }

    #[test]
    fn a_stored_route_no_wan_wrote_is_an_error_not_the_gateway() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let new = NewTask { id: "t".into(), route: RouteKind::DashScope, ..NewTask::default() };
        journal.video_task_created(new).unwrap();
        journal.flush().unwrap();
        let conn = open(dir.path()).unwrap();
        assert_eq!(task(&conn, "t").unwrap().map(|t| t.route), Some(RouteKind::DashScope));
        conn.execute("UPDATE video_tasks SET route = 'carrier-pigeon' WHERE id = 't'", []).unwrap();
        let error = task(&conn, "t").unwrap_err().to_string();
        assert!(error.contains("unknown route \"carrier-pigeon\""), "{error}");
    }
}

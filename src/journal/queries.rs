//! Reading the journal: past runs, what was spent, where a file came from, and what a
//! run left to do.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{ImageSaved, JournalError};
use crate::shard::Shard;

/// A run as `wan history` and `wan resume` see it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub id: String,
    pub started: String,
    pub command: String,
    pub model: String,
    pub route: String,
    pub base_url: String,
    pub out_dir: String,
    pub stem: Option<String>,
    pub count: u32,
    pub per_request: u32,
    pub prompts: u64,
    pub extra: String,
    pub price: Option<u64>,
    /// `running` (and alive), `done`, `partial`, or `interrupted` (which a dead
    /// `running` run is).
    pub state: String,
    /// Images saved, images the service returned (billed).
    pub saved: u64,
    pub returned: u64,
    /// What the billed images cost, where known (what the service charged where it said,
    /// else the list or reported price); and how many are of unknown price.
    pub cost: u64,
    pub unpriced: u64,
    /// `--shard K/N`: the share of its batch the run had.
    pub shard: Option<Shard>,
    /// The journal failed while the run went on: it may have sent requests that are not
    /// on record, and spent more than is counted.
    pub incomplete: bool,
    /// Answered requests, and how many of them said what they charged.
    pub answered: u64,
    pub charged: u64,
    /// Made against the emulator inside `wan` (`--offline`): nothing was billed.
    pub offline: bool,
    /// The first prompt (what a person knows a run by); `None` for a run recorded without one.
    pub first_prompt: Option<String>,
    /// Requests sent and never answered: they may have been billed.
    pub unanswered: u64,
    /// Video tasks of the run still running at the service, and how many of them have no
    /// price yet (they will be billed, at a price not known).
    pub tasks_running: u64,
    pub tasks_unpriced: u64,
    /// The run labelled its files, and put the prompt in the label.
    pub metadata: bool,
    pub prompt_in_file: bool,
    /// A matrix's models as the journal keeps them (`schema_v9.sql`); `None` for a run of one model.
    pub models: Option<String>,
}

impl RunRow {
    /// A run of one prompt that has done nothing yet, for tests to build on.
    #[cfg(test)]
    pub fn example() -> Self {
        Self {
            id: "0123456789ab".into(),
            started: String::new(),
            command: "generate".into(),
            model: "wan2.7-image".into(),
            route: "auto".into(),
            base_url: "http://h/v1".into(),
            out_dir: "/o".into(),
            stem: None,
            count: 1,
            per_request: 1,
            prompts: 1,
            extra: "{}".into(),
            price: None,
            state: "done".into(),
            saved: 0,
            returned: 0,
            cost: 0,
            unpriced: 0,
            shard: None,
            incomplete: false,
            answered: 0,
            charged: 0,
            offline: false,
            first_prompt: None,
            unanswered: 0,
            tasks_running: 0,
            tasks_unpriced: 0,
            metadata: true,
            prompt_in_file: true,
            models: None,
        }
    }

    /// The run's models: its one, or a matrix's in the order named.
    pub fn model_names(&self) -> Vec<&str> {
        match self.models {
            Some(_) => self.model.split(',').collect(),
            None => vec![self.model.as_str()],
        }
    }

    /// Where the cost comes from: `charged` (every answer said), `list` (none did), or both.
    pub fn cost_source(&self) -> &'static str {
        match (self.charged, self.answered) {
            (0, _) => "list",
            (charged, answered) if charged == answered => "charged",
            _ => "charged and list",
        }
    }
}

const RUN_COLUMNS: &str = "r.id, r.started, r.command, r.model, r.route, r.base_url, r.out_dir, r.stem, r.count,
    r.per_request, r.prompts, r.extra, r.price, r.state, r.pid,
    (SELECT count(*) FROM images i JOIN requests q ON i.request = q.id WHERE q.run_id = r.id AND i.state = 'saved'),
    (SELECT coalesce(sum(q.returned), 0) FROM requests q WHERE q.run_id = r.id),
    (SELECT coalesce(sum(coalesce(q.charged, q.price, r.price * q.returned)), 0) FROM requests q WHERE q.run_id = r.id),
    (SELECT coalesce(sum(q.returned), 0) FROM requests q
        WHERE q.run_id = r.id AND q.charged IS NULL AND q.price IS NULL AND r.price IS NULL),
    r.shard, r.record,
    (SELECT count(*) FROM requests q WHERE q.run_id = r.id AND q.returned IS NOT NULL AND q.charged IS NOT NULL),
    (SELECT count(*) FROM requests q WHERE q.run_id = r.id AND q.returned IS NOT NULL),
    r.offline,
    (SELECT p.prompt FROM prompts p WHERE p.run_id = r.id ORDER BY p.position LIMIT 1),
    (SELECT count(*) FROM requests q WHERE q.run_id = r.id AND q.state IN ('sent', 'unknown')),
    (SELECT count(*) FROM video_tasks t WHERE t.run_id = r.id AND t.state = 'running'),
    (SELECT count(*) FROM video_tasks t WHERE t.run_id = r.id AND t.state = 'running' AND t.price IS NULL
        AND r.price IS NULL),
    r.metadata, r.prompt_in_file, r.models";

/// A run row read from `conn`, whose locks are beside it.
fn run_row(conn: &Connection) -> impl Fn(&Row) -> rusqlite::Result<RunRow> + '_ {
    move |row| {
        let id: String = row.get(0)?;
        let state: String = row.get(13)?;
        let pid: i64 = row.get(14)?;
        // `recording`: its prompts were being written, and nothing had been sent.
        let incomplete = row.get::<_, Option<String>>(20)?.as_deref() == Some("incomplete")
            || state_dir(conn).is_some_and(|dir| super::incomplete_marker(&dir, &id).exists());
        let state = match state.as_str() {
            "running" | "recording" if is_alive(conn, &id, pid) => "running".to_string(),
            "running" => "interrupted".to_string(),
            // Unless the journal failed as it was recorded, and the run went on without it.
            "recording" if incomplete => "interrupted".to_string(),
            "recording" => NOT_STARTED.to_string(),
            _ => state,
        };
        read_run(row, id, state, incomplete)
    }
}

fn read_run(row: &Row, id: String, state: String, incomplete: bool) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id,
        incomplete,
        started: row.get(1)?,
        command: row.get(2)?,
        model: row.get(3)?,
        route: row.get(4)?,
        base_url: row.get(5)?,
        out_dir: row.get(6)?,
        stem: row.get(7)?,
        count: row.get(8)?,
        per_request: row.get(9)?,
        prompts: row.get::<_, i64>(10)? as u64,
        extra: row.get(11)?,
        price: row.get::<_, Option<i64>>(12)?.map(|p| p as u64),
        state,
        saved: row.get::<_, i64>(15)? as u64,
        returned: row.get::<_, i64>(16)? as u64,
        cost: row.get::<_, i64>(17)? as u64,
        unpriced: row.get::<_, i64>(18)? as u64,
        shard: row.get::<_, Option<String>>(19)?.and_then(|shard| Shard::parse(&shard).ok()),
        charged: row.get::<_, i64>(21)? as u64,
        answered: row.get::<_, i64>(22)? as u64,
        offline: row.get(23)?,
        first_prompt: row.get(24)?,
        unanswered: row.get::<_, i64>(25)? as u64,
        tasks_running: row.get::<_, i64>(26)? as u64,
        tasks_unpriced: row.get::<_, i64>(27)? as u64,
        metadata: row.get(28)?,
        prompt_in_file: row.get(29)?,
        models: row.get(30)?,
    })
}

/// Whether a `running` run is still worked on: its lock is held (the kernel lets it go
/// when the process ends, whatever its PID). A run recorded before locks has none: then
/// whether its PID is there, and where that cannot be told (no /proc), alive, so that a
/// run is never called interrupted wrongly.
fn is_alive(conn: &Connection, id: &str, pid: i64) -> bool {
    if let Some(held) = state_dir(conn).and_then(|dir| super::lock::is_held(&super::lock::path(&dir, "run", id))) {
        return held;
    }
    let proc = std::path::Path::new("/proc");
    !proc.exists() || proc.join(pid.to_string()).exists()
}

/// The state folder the journal `conn` reads is in (beside it are the locks and markers).
fn state_dir(conn: &Connection) -> Option<std::path::PathBuf> {
    conn.path().and_then(|db| std::path::Path::new(db).parent().map(std::path::Path::to_path_buf))
}

/// Whether a `wan resume` holds the run's lock.
fn being_resumed(conn: &Connection, id: &str) -> bool {
    state_dir(conn)
        .and_then(|dir| super::lock::holder(&super::lock::path(&dir, "run", id)))
        .is_some_and(|h| h.doing == RESUMING)
}

/// A run stopped while its prompts were recorded: nothing of it was sent.
pub const NOT_STARTED: &str = "not started";

/// What a `wan resume` writes in the lock of the run it works on.
pub const RESUMING: &str = "resuming it";

/// The newest runs first, at most `limit`.
pub fn runs(conn: &Connection, limit: u64) -> Result<Vec<RunRow>, JournalError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs r ORDER BY r.started DESC, r.rowid DESC LIMIT ?1");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([limit as i64], run_row(conn))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The run with this id or unique id prefix.
pub fn find_run(conn: &Connection, prefix: &str) -> Result<Option<RunRow>, String> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.id LIKE ?1 || '%' ORDER BY r.started DESC LIMIT 2");
    let found: Vec<RunRow> = conn
        .prepare(&sql)
        .and_then(|mut s| s.query_map([prefix], run_row(conn))?.collect())
        .map_err(|e| e.to_string())?;
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.into_iter().next()),
        _ => Err(format!("{prefix:?} is the start of more than one run's id; give more of it")),
    }
}

/// The latest run that did not finish (interrupted, partial, or running no more) and of
/// which `worth` says a resume has something to do; or one being resumed by another
/// process (which the caller then says, rather than pass it by).
pub fn latest_unfinished(
    conn: &Connection,
    mut worth: impl FnMut(&RunRow) -> bool,
) -> Result<Option<RunRow>, JournalError> {
    let sql = format!("SELECT {RUN_COLUMNS} FROM runs r WHERE r.state != 'done' ORDER BY r.started DESC, r.rowid DESC");
    let mut statement = conn.prepare(&sql)?;
    let mut rows = statement.query_map([], run_row(conn))?;
    for row in rows.by_ref() {
        let row = row?;
        if row.state == NOT_STARTED {
            continue;
        }
        if being_resumed(conn, &row.id) || (row.state != "running" && worth(&row)) {
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// The text of prompt `position` of `run`.
pub fn prompt_at(conn: &Connection, run: &str, position: u64) -> Result<Option<String>, JournalError> {
    Ok(conn
        .query_row(
            "SELECT prompt FROM prompts WHERE run_id = ?1 AND position = ?2",
            params![run, position as i64],
            |row| row.get(0),
        )
        .optional()?)
}

/// What was billed, one row per answered request: when, by which model, how many
/// images, and at what price (`None`: unknown).
#[derive(Clone, Debug, PartialEq)]
pub struct Spent {
    pub at: String,
    pub model: String,
    pub images: u64,
    pub cost: Option<u64>,
    /// The cost is what the service said it charged (else a list or reported price).
    pub charged: bool,
    /// A video run's clip, not images.
    pub video: bool,
}

/// Every answered request sent within [since, until) (RFC 3339 strings), offline runs
/// aside: the emulator inside `wan` bills nothing.
pub fn spent(conn: &Connection, since: &str, until: &str) -> Result<Vec<Spent>, JournalError> {
    let mut statement = conn.prepare(
        "SELECT q.sent_at, coalesce(q.model, r.model), q.returned, coalesce(q.charged, q.price, r.price * q.returned), q.charged IS NOT NULL,
                r.command = 'video'
         FROM requests q JOIN runs r ON q.run_id = r.id
         WHERE q.returned IS NOT NULL AND q.sent_at >= ?1 AND q.sent_at < ?2 AND r.offline = 0
         ORDER BY q.sent_at",
    )?;
    let rows = statement.query_map([since, until], |row| {
        Ok(Spent {
            at: row.get(0)?,
            model: row.get(1)?,
            images: row.get::<_, i64>(2)? as u64,
            cost: row.get::<_, Option<i64>>(3)?.map(|c| c as u64),
            charged: row.get(4)?,
            video: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many runs started within [since, until), not offline, went to a server on this
/// machine (a loopback base URL: `wan emulator`, most likely, or a local proxy): counted,
/// since a proxy may pass them on to the service, but worth saying.
pub fn local_runs(conn: &Connection, since: &str, until: &str) -> Result<u64, JournalError> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM runs WHERE offline = 0 AND started >= ?1 AND started < ?2
            AND (base_url GLOB 'http*://127.*' OR base_url GLOB 'http*://localhost[:/]*'
                 OR base_url GLOB 'http*://localhost' OR base_url GLOB 'http*://[[]::1]*')",
        [since, until],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// How many runs started within [since, until) were made offline (and left out of costs).
pub fn offline_runs(conn: &Connection, since: &str, until: &str) -> Result<u64, JournalError> {
    let count: i64 = conn.query_row(
        "SELECT count(*) FROM runs WHERE offline = 1 AND started >= ?1 AND started < ?2",
        [since, until],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// The runs started within [since, until) whose record is incomplete: the journal failed
/// while they went on, so they may have spent more than it counts.
pub fn incomplete_runs(conn: &Connection, since: &str, until: &str) -> Result<Vec<String>, JournalError> {
    let dir = state_dir(conn);
    let mut statement =
        conn.prepare("SELECT id, record FROM runs WHERE started >= ?1 AND started < ?2 ORDER BY started")?;
    let rows =
        statement.query_map([since, until], |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?)))?;
    let mut incomplete = Vec::new();
    for row in rows {
        let (id, record) = row?;
        let marked = dir.as_ref().is_some_and(|dir| super::incomplete_marker(dir, &id).exists());
        if record.as_deref() == Some("incomplete") || marked {
            incomplete.push(id);
        }
    }
    Ok(incomplete)
}

/// Where a saved image came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub run: String,
    pub path: String,
    pub prompt: String,
    pub model: String,
    pub route: String,
    pub request_id: Option<String>,
    pub saved_at: Option<String>,
    /// Per image, micro-dollars: the reported price shared out, else the list price.
    pub price: Option<u64>,
    pub references: Vec<(String, Option<String>)>,
    /// `(source, sha256)` of its run's mask (`wan edit --mask`), if it had one.
    pub mask: Option<(String, String)>,
    /// `--shard K/N` of its run, if it had one.
    pub shard: Option<Shard>,
    /// The number of its prompt in the run's batch (from 1), as in the file whatever the shard.
    pub prompt_number: u64,
    /// Drawn by the emulator inside `wan --offline`: nothing was billed.
    pub offline: bool,
    /// Written to standard output (`-o -`): `path` was a stage that is gone.
    pub to_stdout: bool,
}

/// The journal's record of the file whose SHA-256 is `sha256`, if any.
pub fn origin(conn: &Connection, sha256: &str) -> Result<Option<Origin>, JournalError> {
    let found = conn
        .query_row(
            "SELECT r.id, i.path, p.prompt, coalesce(q.model, r.model), r.route, q.request_id, i.saved_at,
                    coalesce(q.price / nullif(q.returned, 0), r.price), q.prompt, r.shard, r.offline, r.out_dir = '-'
             FROM images i JOIN requests q ON i.request = q.id JOIN runs r ON q.run_id = r.id
             JOIN prompts p ON p.run_id = r.id AND p.position = q.prompt
             WHERE i.sha256 = ?1 ORDER BY i.saved_at DESC LIMIT 1",
            [sha256],
            |row| {
                let shard = row.get::<_, Option<String>>(9)?.and_then(|shard| Shard::parse(&shard).ok());
                let position = row.get::<_, i64>(8)? as usize;
                Ok(Origin {
                    run: row.get(0)?,
                    path: row.get(1)?,
                    prompt: row.get(2)?,
                    model: row.get(3)?,
                    route: row.get(4)?,
                    request_id: row.get(5)?,
                    saved_at: row.get(6)?,
                    price: row.get::<_, Option<i64>>(7)?.map(|p| p as u64),
                    references: Vec::new(),
                    mask: None,
                    shard,
                    prompt_number: shard.map_or(position as u64 + 1, |shard| shard.number(position)),
                    offline: row.get(10)?,
                    to_stdout: row.get(11)?,
                })
            },
        )
        .optional()?;
    let Some(mut origin) = found else { return Ok(None) };
    let mut refs = conn.prepare("SELECT source, sha256 FROM refs WHERE run_id = ?1 ORDER BY position")?;
    origin.references =
        refs.query_map([&origin.run], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    origin.mask = mask(conn, &origin.run)?;
    Ok(Some(origin))
}

/// The mask a run was given (`wan edit --mask`): where it was read and its SHA-256.
fn mask(conn: &Connection, run: &str) -> Result<Option<(String, String)>, JournalError> {
    let found = conn.query_row("SELECT mask, mask_sha256 FROM runs WHERE id = ?1", [run], |row| {
        Ok(row.get::<_, Option<String>>(0)?.zip(row.get::<_, Option<String>>(1)?))
    });
    Ok(found.optional()?.flatten())
}

/// A request a run recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub prompt: u64,
    pub chunk: u64,
    pub n: u32,
    /// `sent` (no answer recorded), `answered`, `failed`, `unknown`.
    pub state: String,
    pub request_id: Option<String>,
    /// For a failed request: the answer's HTTP status (none: no answer) and API code.
    pub status: Option<u16>,
    pub code: Option<String>,
    /// Sent and never answered, and a resume has said so (and left it unsent).
    pub reported: bool,
}

/// An image that was paid for and not saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingImage {
    pub id: i64,
    /// The request row that made it, and that request's prompt and chunk.
    pub request: i64,
    pub prompt: u64,
    pub chunk: u64,
    pub position: u64,
    /// The text of its prompt.
    pub prompt_text: String,
    /// The URL, or `base64` (gone with the process that had it).
    pub source: String,
    pub state: String,
    pub request_id: Option<String>,
    /// Where it was being moved, while `placing`.
    pub placing: Option<Placing>,
}

/// An image that was being moved into place when its run ended: the file it was to be,
/// and the temporary file it was in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placing {
    pub saved: ImageSaved,
    pub part: Option<String>,
}

/// What a run has on record for `wan resume`, apart from its prompts and requests,
/// which are read a row at a time ([`each_prompt`], [`each_request`]).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub references: Vec<(String, Option<String>)>,
    /// The mask of an edit, where it had one.
    pub mask: Option<(String, String)>,
    /// The images paid for and not saved.
    pub unsaved: Vec<PendingImage>,
}

pub fn recorded(conn: &Connection, run: &str) -> Result<Recorded, JournalError> {
    let references = conn
        .prepare("SELECT source, sha256 FROM refs WHERE run_id = ?1 ORDER BY position")?
        .query_map([run], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let unsaved = conn
        .prepare(
            "SELECT i.id, i.request, q.prompt, i.position, p.prompt, i.source, i.state, q.request_id,
                i.path, i.bytes, i.format, i.sha256, i.part, q.chunk
             FROM images i JOIN requests q ON i.request = q.id
             JOIN prompts p ON p.run_id = q.run_id AND p.position = q.prompt
             WHERE q.run_id = ?1 AND i.state != 'saved' ORDER BY q.prompt, q.chunk, i.position",
        )?
        .query_map(params![run], |row| {
            Ok(PendingImage {
                id: row.get(0)?,
                request: row.get(1)?,
                prompt: row.get::<_, i64>(2)? as u64,
                chunk: row.get::<_, i64>(13)? as u64,
                position: row.get::<_, i64>(3)? as u64,
                prompt_text: row.get(4)?,
                source: row.get(5)?,
                state: row.get(6)?,
                request_id: row.get(7)?,
                placing: placing(row)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Recorded { references, mask: mask(conn, run)?, unsaved })
}

/// The part files the journal names for the run's images not saved (each was being moved
/// into place when its process ended): a resume takes them where they are.
pub fn unsaved_parts(conn: &Connection, run: &str) -> Result<Vec<String>, JournalError> {
    let mut statement = conn.prepare(
        "SELECT i.part FROM images i JOIN requests q ON i.request = q.id
         WHERE q.run_id = ?1 AND i.part IS NOT NULL AND i.state != 'saved'",
    )?;
    let rows = statement.query_map([run], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The columns 8 to 12 of an image being placed: its path, bytes, format, SHA-256, part file.
fn placing(row: &Row) -> rusqlite::Result<Option<Placing>> {
    let (Some(path), Some(bytes), Some(format), Some(sha256)) = (
        row.get::<_, Option<String>>(8)?,
        row.get::<_, Option<i64>>(9)?,
        row.get::<_, Option<String>>(10)?,
        row.get(11)?,
    ) else {
        return Ok(None);
    };
    // The format as written (`png`, `jpg`…), kept as the static text ImageSaved holds.
    let format = ["png", "jpg", "webp", "gif", "bmp", "mp4", "mov", "webm"].into_iter().find(|f| *f == format);
    Ok(format.map(|format| Placing {
        saved: ImageSaved { path, bytes: bytes as u64, format, sha256 },
        part: row.get(12).ok().flatten(),
    }))
}

/// Calls `each` with the run's prompts in order, one row at a time: a resume of a batch of
/// any length holds one prompt.
pub fn each_prompt<E: From<JournalError>>(
    conn: &Connection,
    run: &str,
    mut each: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut statement =
        conn.prepare("SELECT prompt FROM prompts WHERE run_id = ?1 ORDER BY position").map_err(JournalError::from)?;
    let mut rows = statement.query([run]).map_err(JournalError::from)?;
    while let Some(row) = rows.next().map_err(JournalError::from)? {
        let prompt: String = row.get(0).map_err(JournalError::from)?;
        each(&prompt)?;
    }
    Ok(())
}

/// Every request of a run, for a run of few (a video run has one).
pub fn requests(conn: &Connection, run: &str) -> Result<Vec<RequestRow>, JournalError> {
    let mut requests = Vec::new();
    each_request(conn, run, |request| requests.push(request))?;
    Ok(requests)
}

/// Calls `each` with the run's requests in the order of their prompts and chunks, one
/// row at a time.
pub fn each_request(conn: &Connection, run: &str, mut each: impl FnMut(RequestRow)) -> Result<(), JournalError> {
    let mut statement = conn.prepare(
        "SELECT id, prompt, chunk, n, state, request_id, status, code, reported IS NOT NULL FROM requests
         WHERE run_id = ?1 ORDER BY prompt, chunk",
    )?;
    let rows = statement.query_map([run], |row| {
        Ok(RequestRow {
            id: row.get(0)?,
            prompt: row.get::<_, i64>(1)? as u64,
            chunk: row.get::<_, i64>(2)? as u64,
            n: row.get(3)?,
            state: row.get(4)?,
            request_id: row.get(5)?,
            status: row.get(6)?,
            code: row.get(7)?,
            reported: row.get(8)?,
        })
    })?;
    for row in rows {
        each(row?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{ImageSaved, Journal, RunRecord, open};
    use super::*;

    fn record_run(journal: &Journal, price: Option<u64>) -> String {
        journal
            .begin_run(RunRecord {
                command: "generate",
                model: "wan2.7-image".into(),
                route: "auto",
                base_url: "http://h/v1".into(),
                out_dir: "/out".into(),
                stem: None,
                count: 4,
                per_request: 4,
                prompts: super::super::PromptsRecord::one("red panda".into()),
                extra: "{}".into(),
                price,
                references: vec![("/a.png".into(), Some("aa".into()))],
                mask: None,
                offline: false,
                metadata: true,
                prompt_in_file: true,
                models: None,
            })
            .unwrap()
    }

    #[test]
    fn history_cost_origin_and_leftovers_come_from_the_same_records() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let run = record_run(&journal, Some(30_000));
        let request = journal.request_sent(&run, 0, 0, 4, "wan2.7-image").unwrap();
        let images = journal
            .request_answered(
                request,
                Some("req_1".into()),
                None,
                None,
                vec!["https://h/1.png".into(), "https://h/2.png".into()],
            )
            .unwrap();
        let saved =
            ImageSaved { path: "/out/red-panda-001.png".into(), bytes: 9, format: "png", sha256: "f00d".into() };
        journal.image_saved(images[0], saved).unwrap();
        journal.flush().unwrap();
        let conn = open(dir.path()).unwrap();

        let history = runs(&conn, 20).unwrap();
        assert_eq!(history.len(), 1);
        let row = &history[0];
        assert_eq!((row.saved, row.returned, row.cost, row.unpriced), (1, 2, 60_000, 0));
        assert_eq!(row.state, "running", "this process is alive");
        assert_eq!(find_run(&conn, &run[..4]).unwrap().unwrap().id, run);
        assert_eq!(find_run(&conn, "zzzz").unwrap(), None);

        let spent = spent(&conn, "2000-01-01", "9999-01-01").unwrap();
        assert_eq!(
            spent,
            vec![Spent {
                at: spent[0].at.clone(),
                model: "wan2.7-image".into(),
                images: 2,
                cost: Some(60_000),
                charged: false,
                video: false
            }]
        );

        let found = origin(&conn, "f00d").unwrap().unwrap();
        assert_eq!(
            (found.prompt.as_str(), found.price, found.request_id.as_deref()),
            ("red panda", Some(30_000), Some("req_1"))
        );
        assert_eq!(found.references, vec![("/a.png".to_string(), Some("aa".to_string()))]);
        assert_eq!(origin(&conn, "beef").unwrap(), None);

        let left = recorded(&conn, &run).unwrap();
        let mut prompts = Vec::new();
        each_prompt::<JournalError>(&conn, &run, |p| {
            prompts.push(p.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(prompts, ["red panda"]);
        assert_eq!(requests(&conn, &run).unwrap().len(), 1);
        assert_eq!(left.unsaved.len(), 1);
        assert_eq!(
            (left.unsaved[0].source.as_str(), left.unsaved[0].prompt_text.as_str()),
            ("https://h/2.png", "red panda")
        );
    }

    #[test]
    fn a_reported_price_wins_and_an_unknown_one_is_counted_apart() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let priced = record_run(&journal, Some(30_000));
        let request = journal.request_sent(&priced, 0, 0, 4, "wan2.7-image").unwrap();
        journal.request_answered(request, None, Some(100_000), None, vec!["base64".into(); 4]).unwrap();
        let unknown = record_run(&journal, None);
        let request = journal.request_sent(&unknown, 0, 0, 4, "wan2.7-image").unwrap();
        journal.request_answered(request, None, None, None, vec!["base64".into(); 3]).unwrap();
        let conn = open(dir.path()).unwrap();
        let spent = spent(&conn, "2000", "9999").unwrap();
        let costs: Vec<Option<u64>> = spent.iter().map(|s| s.cost).collect();
        assert_eq!(costs, [Some(100_000), None]);
        let history = runs(&conn, 20).unwrap();
        let by_id = |id: &str| history.iter().find(|r| r.id == id).unwrap().clone();
        assert_eq!((by_id(&unknown).cost, by_id(&unknown).unpriced), (0, 3));
    }
}

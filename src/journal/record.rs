//! What a run writes into the journal, step by step, in the order the promise needs:
//! the run before its first request, a request before it is sent, an answer's images
//! before their downloads, each saved image once its file is in place.

use std::hash::{BuildHasher, Hasher};

use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError};
use crate::error::redact;
use crate::shard::Shard;

/// A run as it starts.
#[derive(Debug)]
pub struct RunRecord {
    pub command: &'static str,
    pub model: String,
    pub route: &'static str,
    pub base_url: String,
    /// Absolute.
    pub out_dir: String,
    pub stem: Option<String>,
    pub count: u32,
    pub per_request: u32,
    pub prompts: PromptsRecord,
    /// The size and `--param` fields, as JSON.
    pub extra: String,
    pub price: Option<u64>,
    /// `(source, sha256)` of each reference.
    pub references: Vec<(String, Option<String>)>,
    /// `(source, sha256)` of the mask of an edit (`--mask`), if it had one.
    pub mask: Option<(String, String)>,
    /// Made against the emulator inside `wan` (`--offline`): nothing billed.
    pub offline: bool,
    /// Each file labelled (not `--no-metadata`), and with the prompt in its label (not
    /// `--no-prompt-in-file`): a resume saves the run's late files the same way.
    pub metadata: bool,
    pub prompt_in_file: bool,
    /// A matrix's models, as JSON (see `schema_v9.sql`); `None` for a run of one model.
    pub models: Option<String>,
}

/// A run's prompts as the journal takes them: how many, the shard they are (with
/// `--shard`), and each read as it is written, so that a batch is never held whole.
pub struct PromptsRecord {
    pub len: usize,
    pub shard: Option<Shard>,
    pub each: Box<dyn Iterator<Item = Result<String, String>> + Send>,
}

impl PromptsRecord {
    /// A run of one prompt.
    pub fn one(prompt: String) -> Self {
        Self { len: 1, shard: None, each: Box::new(std::iter::once(Ok(prompt))) }
    }
}

impl std::fmt::Debug for PromptsRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptsRecord").field("len", &self.len).field("shard", &self.shard).finish_non_exhaustive()
    }
}

/// A file in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSaved {
    /// Absolute.
    pub path: String,
    pub bytes: u64,
    pub format: &'static str,
    pub sha256: String,
}

/// Now, as RFC 3339 in UTC.
pub fn now() -> String {
    crate::journal::when::stamp(jiff::Timestamp::now())
}

/// The Idempotency-Key of a run's request: derived from the run and the request's place
/// in it (its prompt and its chunk of that prompt's images), never drawn at random, so
/// that the same request sent again (`wan resume --resend-unknown`, or a request a failed
/// journal holds no record of) carries the same key, and a gateway that honours keys
/// refuses to bill it twice. A video run's create is its request 0 of prompt 0.
pub fn idempotency_key(run: &str, prompt: usize, chunk: u64) -> String {
    format!("wan-{run}-{prompt}-{chunk}")
}

/// Prompts written in one transaction of `begin_run`: tens of milliseconds of the lock.
const PROMPTS_A_COMMIT: usize = 10_000;

/// A new run's id: twelve hex digits that two runs started at once on one machine will
/// not share (the time mixed with the process's random keys).
pub fn new_run_id() -> String {
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let nanos = jiff::Timestamp::now().as_nanosecond() as u64;
    format!("{:012x}", (random ^ nanos.rotate_left(17)) & 0xffff_ffff_ffff)
}

/// The state of a request row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Failed,
    /// Sent, and no answer came: it may have been carried out and billed.
    Unknown,
}

impl Journal {
    /// Records the run `id` and its prompts, streamed from their file; nothing is sent
    /// before this returns. The prompts go in transactions of `PROMPTS_A_COMMIT`, so that
    /// a batch of millions never holds the write lock for seconds (another `wan` waits on
    /// it no longer than a commit); meanwhile the run is `recording`, which no resume
    /// takes up (nothing was sent), and it is `running` once all are in.
    pub fn record_run(&self, id: &str, run: RunRecord) -> Result<(), JournalError> {
        let RunRecord { prompts, references, .. } = run;
        let (len, shard) = (prompts.len, prompts.shard);
        let key = id.to_string();
        self.now(move |tx| {
            tx.execute(
                "INSERT INTO runs (id, started, pid, command, model, route, base_url, out_dir, stem, count,
                    per_request, prompts, extra, price, state, shard, offline, metadata, prompt_in_file, mask,
                    mask_sha256, models)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'recording', ?15, ?16, ?17, ?18,
                    ?19, ?20, ?21)",
                params![
                    key,
                    now(),
                    std::process::id(),
                    run.command,
                    run.model,
                    run.route,
                    redact(&run.base_url),
                    run.out_dir,
                    run.stem,
                    run.count,
                    run.per_request,
                    len as i64,
                    redact(&run.extra),
                    run.price.map(|p| p as i64),
                    shard.map(|shard| shard.to_string()),
                    run.offline,
                    run.metadata,
                    run.prompt_in_file,
                    run.mask.as_ref().map(|(source, _)| redact(source)),
                    run.mask.as_ref().map(|(_, sha256)| sha256),
                    run.models.as_deref().map(redact),
                ],
            )?;
            let mut reference =
                tx.prepare("INSERT INTO refs (run_id, position, source, sha256) VALUES (?1, ?2, ?3, ?4)")?;
            for (position, (source, sha)) in references.iter().enumerate() {
                reference.execute(params![key, position as i64, redact(source), sha])?;
            }
            Ok(())
        })?;
        let mut each = prompts.each;
        let mut written = 0;
        loop {
            let key = id.to_string();
            let (rest, count) = self.now(move |tx| {
                let mut prompt = tx.prepare("INSERT INTO prompts (run_id, position, prompt) VALUES (?1, ?2, ?3)")?;
                let mut count = 0;
                for text in each.by_ref().take(PROMPTS_A_COMMIT) {
                    // A prompt that cannot be read back fails the record, and the journal
                    // goes off with one warning; the run itself then meets the same failure.
                    let text = text.map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                    prompt.execute(params![key, (written + count) as i64, redact(&text)])?;
                    count += 1;
                }
                drop(prompt);
                Ok((each, count))
            })?;
            each = rest;
            written += count;
            if count < PROMPTS_A_COMMIT {
                break;
            }
        }
        let key = id.to_string();
        self.now(move |tx| tx.execute("UPDATE runs SET state = 'running' WHERE id = ?1", [key]).map(|_| ()))
    }

    /// Records a new run (see [`Journal::record_run`]); returns its id.
    #[cfg(test)]
    pub fn begin_run(&self, run: RunRecord) -> Result<String, JournalError> {
        let id = new_run_id();
        self.record_run(&id, run)?;
        Ok(id)
    }

    /// Marks a request to `model` `sent`, with the Idempotency-Key it goes with, before it
    /// is sent; returns its row.
    pub fn request_sent(&self, run: &str, prompt: usize, chunk: u64, n: u32, model: &str) -> Result<i64, JournalError> {
        let run = run.to_string();
        let model = model.to_string();
        let key = idempotency_key(&run, prompt, chunk);
        self.now(move |tx| {
            // A resumed request keeps its row.
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM requests WHERE run_id = ?1 AND prompt = ?2 AND chunk = ?3",
                    params![run, prompt as i64, chunk as i64],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = existing {
                tx.execute(
                    "UPDATE requests SET state = 'sent', sent_at = ?2, idempotency_key = ?3, reported = NULL
                     WHERE id = ?1",
                    params![id, now(), key],
                )?;
                return Ok(id);
            }
            tx.execute(
                "INSERT INTO requests (run_id, prompt, chunk, n, state, sent_at, idempotency_key, model)
                 VALUES (?1, ?2, ?3, ?4, 'sent', ?5, ?6, ?7)",
                params![run, prompt as i64, chunk as i64, n, now(), key, model],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Records an answer and its images (URLs, or "base64") before the downloads start;
    /// returns the image rows, in order.
    pub fn request_answered(
        &self,
        request: i64,
        request_id: Option<String>,
        price: Option<u64>,
        charged: Option<u64>,
        sources: Vec<String>,
    ) -> Result<Vec<i64>, JournalError> {
        self.now(move |tx| {
            tx.execute(
                "UPDATE requests SET state = 'answered', status = 200, request_id = ?2, returned = ?3, price = ?4,
                    charged = ?5
                 WHERE id = ?1",
                params![
                    request,
                    request_id.map(|id| redact(&id)),
                    sources.len() as i64,
                    price.map(|p| p as i64),
                    charged.map(|c| c.min(i64::MAX as u64) as i64)
                ],
            )?;
            let mut insert =
                tx.prepare("INSERT INTO images (request, position, source, state) VALUES (?1, ?2, ?3, 'pending')")?;
            sources
                .iter()
                .enumerate()
                .map(|(position, source)| {
                    // A link that carries the key is kept without it: the journal never holds the key.
                    insert.execute(params![request, position as i64, redact(source)])?;
                    Ok(tx.last_insert_rowid())
                })
                .collect()
        })
    }

    /// Records a request that brought no images.
    pub fn request_ended(
        &self,
        request: i64,
        ended: Ended,
        status: Option<u16>,
        code: Option<String>,
        message: String,
        request_id: Option<String>,
    ) {
        let state = match ended {
            Ended::Failed => "failed",
            Ended::Unknown => "unknown",
        };
        self.later(move |tx| {
            tx.execute(
                "UPDATE requests SET state = ?2, status = ?3, code = ?4, message = ?5, request_id = ?6 WHERE id = ?1",
                params![
                    request,
                    state,
                    status,
                    code.map(|c| redact(&c)),
                    redact(&message),
                    request_id.map(|id| redact(&id))
                ],
            )
            .map(|_| ())
        });
    }

    /// An image is in place: its path, size, format and SHA-256. On disk before the
    /// run reports it.
    pub fn image_saved(&self, image: i64, saved: ImageSaved) -> Result<(), JournalError> {
        self.now(move |tx| {
            tx.execute(
                "UPDATE images SET state = 'saved', path = ?2, bytes = ?3, format = ?4, sha256 = ?5, saved_at = ?6,
                    message = NULL
                 WHERE id = ?1",
                params![image, saved.path, saved.bytes as i64, saved.format, saved.sha256, now()],
            )
            .map(|_| ())
        })
    }

    /// An image about to be moved into place: where it goes, what it is, and the
    /// temporary file it is in now. On disk before the move, so that a run killed between
    /// the move and [`Journal::image_placed`] leaves an image `wan resume` finds.
    pub fn image_placing(&self, image: i64, saved: ImageSaved, part: String) -> Result<(), JournalError> {
        self.now(move |tx| {
            tx.execute(
                "UPDATE images SET state = 'placing', path = ?2, bytes = ?3, format = ?4, sha256 = ?5, part = ?6
                 WHERE id = ?1",
                params![image, saved.path, saved.bytes as i64, saved.format, saved.sha256, part],
            )
            .map(|_| ())
        })
    }

    /// The image [`Journal::image_placing`] announced is in place. Batched with the next
    /// commit: lost to a crash, it leaves `placing`, which a resume settles.
    pub fn image_placed(&self, image: i64) {
        self.later(move |tx| {
            tx.execute(
                "UPDATE images SET state = 'saved', part = NULL, saved_at = ?2, message = NULL WHERE id = ?1",
                params![image, now()],
            )
            .map(|_| ())
        });
    }

    /// An image that could not be saved; `expired` when its link answered as expired
    /// ones do. A link that expires twice (at the run, then at a resume) is `gone`: no
    /// resume tries it again.
    pub fn image_failed(&self, image: i64, expired: bool, message: String) {
        let state = if expired { "expired" } else { "failed" };
        self.later(move |tx| {
            tx.execute(
                "UPDATE images SET message = ?3,
                    state = CASE WHEN ?2 = 'expired' AND state IN ('expired', 'gone') THEN 'gone' ELSE ?2 END
                 WHERE id = ?1",
                params![image, state, redact(&message)],
            )
            .map(|_| ())
        });
    }

    /// A paid image a resume reported as lost for good (its base64 died with the process
    /// that had it): `gone`, as a link that expired twice is, so that no later resume
    /// takes the run up for it again unasked.
    pub fn image_gone(&self, image: i64) {
        self.later(move |tx| {
            tx.execute("UPDATE images SET state = 'gone' WHERE id = ?1 AND state != 'saved'", params![image])
                .map(|_| ())
        });
    }

    /// The run is over: `done`, `partial` or `interrupted`.
    pub fn run_ended(&self, run: &str, state: &'static str) -> Result<(), JournalError> {
        let run = run.to_string();
        self.now(move |tx| {
            tx.execute("UPDATE runs SET state = ?2, finished = ?3 WHERE id = ?1", params![run, state, now()])
                .map(|_| ())
        })
    }

    /// A run taken up again by `wan resume`: running, in this process.
    pub fn run_resumed(&self, run: &str) -> Result<(), JournalError> {
        let run = run.to_string();
        self.now(move |tx| {
            tx.execute(
                "UPDATE runs SET state = 'running', pid = ?2, finished = NULL WHERE id = ?1",
                params![run, std::process::id()],
            )
            .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunRecord {
        RunRecord {
            command: "generate",
            model: "wan2.7-image".into(),
            route: "auto",
            base_url: "http://127.0.0.1/v1".into(),
            out_dir: "/tmp/out".into(),
            stem: None,
            count: 2,
            per_request: 4,
            prompts: PromptsRecord {
                len: 2,
                shard: None,
                each: Box::new(["red panda", "sea otter"].into_iter().map(|p| Ok(p.to_string()))),
            },
            extra: "{}".into(),
            price: Some(30_000),
            references: vec![("/tmp/a.png".into(), Some("ab".repeat(32)))],
            mask: None,
            offline: false,
            metadata: true,
            prompt_in_file: true,
            models: None,
        }
    }

    #[test]
    fn a_run_is_recorded_step_by_step() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let id = journal.begin_run(run()).unwrap();
        assert_eq!(id.len(), 12);
        let request = journal.request_sent(&id, 1, 0, 2, "wan2.7-image").unwrap();
        let images = journal
            .request_answered(
                request,
                Some("req_1".into()),
                None,
                None,
                vec!["https://h/a.png".into(), "base64".into()],
            )
            .unwrap();
        assert_eq!(images.len(), 2);
        let saved =
            ImageSaved { path: "/tmp/out/sea-otter-001.png".into(), bytes: 10, format: "png", sha256: "cd".repeat(32) };
        journal.image_saved(images[0], saved).unwrap();
        journal.image_failed(images[1], false, "not valid base64".into());
        journal.run_ended(&id, "partial").unwrap();
        let conn = super::super::open(dir.path()).unwrap();
        let states: Vec<String> = conn
            .prepare("SELECT state FROM images ORDER BY position")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(states, ["saved", "failed"]);
        let (state, prompts): (String, i64) = conn
            .query_row("SELECT state, prompts FROM runs WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((state.as_str(), prompts), ("partial", 2));
        // sending the same request again (a resume) keeps its row
        assert_eq!(journal.request_sent(&id, 1, 0, 2, "wan2.7-image").unwrap(), request);
    }

    #[test]
    fn a_shard_s_prompts_are_streamed_in_with_the_shard() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        // Shard 2/5 of a batch of 10,000 (`files::prompts` picks them), read as written.
        let shard = Some(crate::shard::Shard { k: 2, n: 5 });
        let each = Box::new((0..2_000).map(|i| Ok(format!("p{}", 5 * i + 2))));
        let id = journal.begin_run(RunRecord { prompts: PromptsRecord { len: 2_000, shard, each }, ..run() }).unwrap();
        let conn = super::super::open(dir.path()).unwrap();
        let (count, recorded): (i64, String) = conn
            .query_row("SELECT prompts, shard FROM runs WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((count, recorded.as_str()), (2_000, "2/5"));
        let prompts: Vec<String> = conn
            .prepare("SELECT prompt FROM prompts WHERE run_id = ?1 ORDER BY position")
            .unwrap()
            .query_map([&id], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(prompts.len(), 2_000);
        assert!(prompts.iter().enumerate().all(|(i, p)| *p == format!("p{}", 5 * i + 2)));
    }

    #[test]
    fn a_link_expired_twice_is_gone_and_a_placed_image_is_saved() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let id = journal.begin_run(run()).unwrap();
        let request = journal.request_sent(&id, 0, 0, 2, "wan2.7-image").unwrap();
        let images =
            journal.request_answered(request, None, None, None, vec!["https://h/1".into(), "https://h/2".into()]);
        let images = images.unwrap();
        let states = || -> Vec<String> {
            journal.flush().unwrap();
            let conn = super::super::open(dir.path()).unwrap();
            let mut query = conn.prepare("SELECT state FROM images ORDER BY position").unwrap();
            query.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        journal.image_failed(images[0], true, "HTTP 404".into());
        let saved = ImageSaved { path: "/o/a-001.png".into(), bytes: 1, format: "png", sha256: "ab".repeat(32) };
        journal.image_placing(images[1], saved, "/o/.wan-x.part".into()).unwrap();
        assert_eq!(states(), ["expired", "placing"]);
        // At a resume: the link expired again; the image is in place.
        journal.image_failed(images[0], true, "HTTP 404".into());
        journal.image_placed(images[1]);
        assert_eq!(states(), ["gone", "saved"]);
    }

    #[test]
    fn a_long_batch_is_recorded_a_commit_at_a_time_and_is_running_once_all_are_in() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let len = PROMPTS_A_COMMIT * 2 + 5;
        let each = Box::new((0..len).map(|i| Ok(format!("p{i}"))));
        let id = journal.begin_run(RunRecord { prompts: PromptsRecord { len, shard: None, each }, ..run() }).unwrap();
        let conn = super::super::open(dir.path()).unwrap();
        let state: String = conn.query_row("SELECT state FROM runs WHERE id = ?1", [&id], |r| r.get(0)).unwrap();
        assert_eq!(state, "running");
        let (count, last): (i64, String) = conn
            .query_row(
                "SELECT count(*), max(position) || ':' || (SELECT prompt FROM prompts WHERE position = ?2)
                        FROM prompts WHERE run_id = ?1",
                params![id, (len - 1) as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((count as usize, last), (len, format!("{}:p{}", len - 1, len - 1)));
    }

    #[test]
    fn run_ids_differ() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_run_id()).collect();
        assert_eq!(ids.len(), 1000);
    }
}

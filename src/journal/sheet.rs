//! Reading a run for its contact sheet (`wan gallery`): each prompt with its requests and
//! their images, in order, one prompt at a time, so that a batch of any length costs the
//! memory of its largest prompt.

use rusqlite::Connection;

use super::JournalError;

/// A request of the run, as the sheet shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRequest {
    pub id: i64,
    pub chunk: u64,
    /// Images asked of it.
    pub n: u32,
    /// `sent` (no answer yet), `answered`, `failed`, `unknown`.
    pub state: String,
    /// For a failed request: the answer's HTTP status, API code and message (server text).
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// Images the answer held (each billed).
    pub returned: Option<u64>,
    /// What it cost, micro-dollars, as `wan history` counts it: what the service said it
    /// charged, else the price it reported, else the list price times the images; `None`: unknown.
    pub cost: Option<u64>,
    /// The model it was sent to (a matrix's runs have several; older rows, the run's).
    pub model: String,
}

/// An image an answer held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetImage {
    /// Its place in the answer, from 0.
    pub position: u64,
    /// The URL it was fetched from, or `base64`.
    pub source: String,
    /// `pending`, `placing`, `saved`, `failed`, `expired`, `gone`.
    pub state: String,
    /// Absolute, once saved (or being placed).
    pub path: Option<String>,
    /// `png`, `jpg`… (`mp4` for a video run's clip), once saved.
    pub format: Option<String>,
}

/// A request and the images it returned (none for one that failed or is not answered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetEntry {
    pub request: SheetRequest,
    pub images: Vec<SheetImage>,
}

/// A prompt of the run: its position (from 0), its text, and its requests in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetPrompt {
    pub position: u64,
    pub text: String,
    pub requests: Vec<SheetEntry>,
}

/// Calls `each` with the prompts of `run` in order, each with its requests and images; a
/// prompt none of whose requests were sent comes with none.
pub fn each_prompt<E: From<JournalError>>(
    conn: &Connection,
    run: &str,
    mut each: impl FnMut(SheetPrompt) -> Result<(), E>,
) -> Result<(), E> {
    // Ordered by the keys of the prompts' and requests' indexes, so SQLite walks them in
    // order rather than sorting the whole run; the images of a request are sorted here.
    let mut statement = conn
        .prepare(
            "SELECT p.position, p.prompt,
                    q.id, q.chunk, q.n, q.state, q.status, q.code, q.message, q.returned,
                    coalesce(q.charged, q.price, r.price * q.returned),
                    i.position, i.source, i.state, i.path, i.format, coalesce(q.model, r.model)
             FROM prompts p JOIN runs r ON r.id = p.run_id
             LEFT JOIN requests q ON q.run_id = p.run_id AND q.prompt = p.position
             LEFT JOIN images i ON i.request = q.id
             WHERE p.run_id = ?1
             ORDER BY p.position, q.chunk",
        )
        .map_err(JournalError::from)?;
    let mut rows = statement.query([run]).map_err(JournalError::from)?;
    let mut current: Option<SheetPrompt> = None;
    while let Some(row) = rows.next().map_err(JournalError::from)? {
        let position = row.get::<_, i64>(0).map_err(JournalError::from)? as u64;
        if current.as_ref().is_some_and(|prompt| prompt.position != position) {
            each(finished(current.take().expect("checked")))?;
        }
        let prompt = match &mut current {
            Some(prompt) => prompt,
            None => current.insert(SheetPrompt {
                position,
                text: row.get(1).map_err(JournalError::from)?,
                requests: Vec::new(),
            }),
        };
        read_row(row, prompt).map_err(JournalError::from)?;
    }
    if let Some(prompt) = current {
        each(finished(prompt))?;
    }
    Ok(())
}

/// Adds a row's request (if it is a new one) and image (if any) to `prompt`.
fn read_row(row: &rusqlite::Row, prompt: &mut SheetPrompt) -> rusqlite::Result<()> {
    let Some(id) = row.get::<_, Option<i64>>(2)? else { return Ok(()) };
    if prompt.requests.last().is_none_or(|entry| entry.request.id != id) {
        let request = SheetRequest {
            id,
            chunk: row.get::<_, i64>(3)? as u64,
            n: row.get(4)?,
            state: row.get(5)?,
            status: row.get(6)?,
            code: row.get(7)?,
            message: row.get(8)?,
            returned: row.get::<_, Option<i64>>(9)?.map(|n| n as u64),
            cost: row.get::<_, Option<i64>>(10)?.map(|c| c as u64),
            model: row.get(16)?,
        };
        prompt.requests.push(SheetEntry { request, images: Vec::new() });
    }
    let Some(position) = row.get::<_, Option<i64>>(11)? else { return Ok(()) };
    let image = SheetImage {
        position: position as u64,
        source: row.get(12)?,
        state: row.get(13)?,
        path: row.get(14)?,
        format: row.get(15)?,
    };
    prompt.requests.last_mut().expect("pushed above").images.push(image);
    Ok(())
}

/// The prompt with each request's images in the order the answer held them.
fn finished(mut prompt: SheetPrompt) -> SheetPrompt {
    for entry in &mut prompt.requests {
        entry.images.sort_by_key(|image| image.position);
    }
    prompt
}

#[cfg(test)]
mod tests {
    use super::super::{ImageSaved, Journal, PromptsRecord, RunRecord, open};
    use super::*;

    #[test]
    fn prompts_come_in_order_with_their_requests_and_images_and_the_unsent_ones_bare() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::start(dir.path()).unwrap();
        let prompts = ["a fox", "an owl", "a cat"].map(|p| Ok(p.to_string()));
        let run = journal
            .begin_run(RunRecord {
                command: "generate",
                model: "wan2.7-image".into(),
                route: "auto",
                base_url: "http://h/v1".into(),
                out_dir: "/out".into(),
                stem: None,
                count: 4,
                per_request: 2,
                prompts: PromptsRecord { len: 3, shard: None, each: Box::new(prompts.into_iter()) },
                extra: "{}".into(),
                price: Some(30_000),
                references: Vec::new(),
                mask: None,
                offline: false,
                metadata: true,
                prompt_in_file: true,
                models: None,
            })
            .unwrap();
        // prompt 0: two requests, the second answered first; prompt 1: one failed; prompt 2: none
        let first = journal.request_sent(&run, 0, 0, 2, "wan2.7-image").unwrap();
        let second = journal.request_sent(&run, 0, 1, 2, "wan2.7-image").unwrap();
        let later = journal.request_answered(second, None, Some(50_000), None, vec!["https://h/3".into()]).unwrap();
        let images =
            journal.request_answered(first, None, None, None, vec!["https://h/1".into(), "base64".into()]).unwrap();
        let saved = |path: &str| ImageSaved { path: path.into(), bytes: 9, format: "png", sha256: path.into() };
        journal.image_saved(images[1], saved("/out/a-fox-002.png")).unwrap();
        journal.image_saved(later[0], saved("/out/a-fox-003.png")).unwrap();
        let failed = journal.request_sent(&run, 1, 0, 2, "wan2.7-image").unwrap();
        journal.request_ended(failed, super::super::Ended::Failed, Some(400), Some("bad".into()), "no".into(), None);
        journal.flush().unwrap();

        let conn = open(dir.path()).unwrap();
        let mut seen = Vec::new();
        each_prompt::<JournalError>(&conn, &run, |prompt| {
            seen.push(prompt);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen.iter().map(|p| (p.position, p.text.as_str())).collect::<Vec<_>>(),
            [(0, "a fox"), (1, "an owl"), (2, "a cat")]
        );
        let fox = &seen[0].requests;
        assert_eq!(
            fox.iter().map(|e| (e.request.chunk, e.request.cost)).collect::<Vec<_>>(),
            [(0, Some(60_000)), (1, Some(50_000))]
        );
        let first: Vec<_> =
            fox[0].images.iter().map(|i| (i.source.as_str(), i.state.as_str(), i.path.clone())).collect();
        assert_eq!(
            first,
            [("https://h/1", "pending", None), ("base64", "saved", Some("/out/a-fox-002.png".to_string()))]
        );
        let owl = &seen[1].requests[0];
        assert_eq!((owl.request.state.as_str(), owl.request.status, owl.images.len()), ("failed", Some(400), 0));
        assert_eq!(owl.request.cost, None, "a failed request returned nothing and cost nothing known");
        assert!(seen[2].requests.is_empty());
    }
}

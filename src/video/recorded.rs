//! A task as the journal recorded it, for a command that takes tasks up by id.

use std::path::PathBuf;

use rusqlite::Connection;

use crate::journal;
use crate::journal::video::{self as records, TaskRow};

/// The journal to read, if there is one with the video tables.
pub fn read_journal(state_dir: Option<&PathBuf>) -> Option<Connection> {
    let conn = journal::open_to_read(state_dir?).ok()??;
    records::has_tasks_table(&conn).then_some(conn)
}

pub fn recorded(conn: Option<&Connection>, id: &str) -> Option<TaskRow> {
    conn.and_then(|conn| records::task(conn, id).ok().flatten())
}

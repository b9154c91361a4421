//! Locks held for a process's life: the kernel drops them when the process ends, however
//! it ends, so whether a run or a task is being worked on is known whatever its PID was
//! (PID 1 in every container, a PID reused after a reboot). A lock file holds its
//! holder's PID, for messages only.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A lock this process holds until it is dropped (or the process ends).
#[derive(Debug)]
pub struct Held {
    _file: File,
}

/// Who holds a lock, as it wrote itself down: its PID and what it does (`running it`,
/// `resuming it`, `following it`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub doing: String,
}

impl std::fmt::Display for Holder {
    /// `process 4242, resuming it`, or `another wan` where it wrote nothing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.pid, self.doing.is_empty()) {
            (Some(pid), false) => write!(f, "process {pid}, {}", self.doing),
            (Some(pid), true) => write!(f, "process {pid}"),
            (None, _) => f.write_str("another wan"),
        }
    }
}

/// The lock at `path` (made, with its folder, if missing), noting `doing` in it, or
/// who holds it.
pub fn try_take(path: &Path, doing: &str) -> io::Result<Result<Held, Holder>> {
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder)?;
    }
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            write!(file, "{}\n{doing}\n", std::process::id())?;
            Ok(Ok(Held { _file: file }))
        }
        Err(TryLockError::WouldBlock) => Ok(Err(holder_in(file))),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Who holds the lock at `path`, if a live process does.
pub fn holder(path: &Path) -> Option<Holder> {
    is_held(path)?.then(|| File::open(path).ok().map(holder_in)).flatten()
}

/// What the holder of a lock wrote in it.
fn holder_in(file: File) -> Holder {
    let mut text = String::new();
    let _ = file.take(256).read_to_string(&mut text);
    let mut lines = text.lines();
    let pid = lines.next().and_then(|pid| pid.trim().parse().ok());
    let doing = crate::error::clean(lines.next().unwrap_or_default().trim());
    Holder { pid, doing }
}

/// Whether a live process holds the lock at `path`; `None` when there is no lock file
/// (a run recorded before locks, or never started).
pub fn is_held(path: &Path) -> Option<bool> {
    let file = File::open(path).ok()?;
    // A shared lock is enough to learn: it is refused only while someone holds it.
    match file.try_lock_shared() {
        Ok(()) => Some(false),
        Err(TryLockError::WouldBlock) => Some(true),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Where the lock of a run (`run`) or a video task (`task`) lives in the state folder.
pub fn path(state_dir: &Path, kind: &str, id: &str) -> PathBuf {
    // Ids are the journal's own (hex) or checked task ids; anything else is made safe.
    let safe: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    state_dir.join("locks").join(format!("{kind}-{safe}.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_held_until_dropped_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "run", "abc");
        assert_eq!(is_held(&path), None, "no file yet");
        let held = try_take(&path, "resuming it").unwrap().unwrap();
        assert_eq!(is_held(&path), Some(true));
        assert_eq!(holder(&path).map(|h| h.doing), Some("resuming it".to_string()));
        // Another open file description is refused, as another process would be.
        let holder = try_take(&path, "running it").unwrap().unwrap_err();
        assert_eq!(holder.to_string(), format!("process {}, resuming it", std::process::id()));
        drop(held);
        assert_eq!(is_held(&path), Some(false));
        assert!(try_take(&path, "running it").unwrap().is_ok());
    }

    #[test]
    fn ids_cannot_leave_the_locks_folder() {
        let dir = Path::new("/state");
        assert_eq!(path(dir, "task", "../../etc/passwd"), Path::new("/state/locks/task-.._.._etc_passwd.lock"));
    }
}

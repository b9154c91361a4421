//! `--open`: the saved files shown in the system's viewer when the run ends (`open` on macOS,
//! `xdg-open` elsewhere); a viewer that is missing or fails is a warning, never a failure.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::term::ui::Ui;

/// Files opened at most: `-n 200 --open` should not bury the desktop under 200 windows.
pub const MAX_OPENED: usize = 20;

/// How long the launchers are waited for, to report one that failed. `xdg-open` returns
/// once the viewer is started, but without a desktop it may run the viewer itself and
/// return only when it is closed: past this it is left running, and `wan` ends.
const LAUNCH_WAIT: Duration = Duration::from_secs(5);

/// The launcher, and whether it takes many files at once (`xdg-open` takes one).
fn launcher() -> (&'static str, bool) {
    if cfg!(target_os = "macos") { ("open", true) } else { ("xdg-open", false) }
}

/// Opens `paths` (the first [`MAX_OPENED`]), saying on stderr what could not be opened.
pub fn open_all(ui: &Ui, paths: &[PathBuf]) {
    if paths.is_empty() {
        return;
    }
    if paths.len() > MAX_OPENED {
        ui.warn(&format!(
            "warning: --open opens the first {MAX_OPENED} of the {} files saved; the others are saved all the same",
            paths.len()
        ));
    }
    let paths: Vec<PathBuf> = paths.iter().take(MAX_OPENED).map(|p| not_an_option(p)).collect();
    let (program, many_at_once) = launcher();
    let groups: Vec<&[PathBuf]> = if many_at_once { vec![&paths] } else { paths.chunks(1).collect() };
    let mut started: Vec<(String, Child)> = Vec::new();
    for group in groups {
        let named = group.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ");
        // Standard output stays `wan`'s own (paths or JSON for a pipe); a viewer's chatter
        // on standard error would bury the summary line.
        let spawned =
            Command::new(program).args(group).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        match spawned {
            Ok(child) => started.push((named, child)),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                ui.warn(&format!(
                    "warning: --open: {program} was not found, so nothing was opened; the files are saved"
                ));
                return;
            }
            Err(e) => ui.warn(&format!("warning: --open: cannot start {program} for {named}: {e}")),
        }
    }
    let deadline = Instant::now() + LAUNCH_WAIT;
    while !started.is_empty() && Instant::now() < deadline {
        started.retain_mut(|(named, child)| match child.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) if status.success() => false,
            Ok(Some(status)) => {
                ui.warn(&format!("warning: --open: {program} could not open {named} ({status})"));
                false
            }
            Err(_) => false,
        });
        if !started.is_empty() {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A relative path that starts with `-` (a `--name` can make one) read as a path, not
/// as an option of the launcher.
fn not_an_option(path: &Path) -> PathBuf {
    if path.to_string_lossy().starts_with('-') { Path::new(".").join(path) } else { path.to_path_buf() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_like_an_option_is_made_a_path() {
        assert_eq!(not_an_option(Path::new("-x-001.png")), Path::new("./-x-001.png"));
        assert_eq!(not_an_option(Path::new("out/a-001.png")), Path::new("out/a-001.png"));
    }
}

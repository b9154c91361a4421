//! `wan gallery`: the run found in the journal (named, else the latest), the page's place
//! chosen and checked, the page written there (or to standard output), its path printed,
//! and shown with `--open`.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use crate::cli::GalleryArgs;
use crate::commands::history::{named_run, open_journal, state_text};
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::gallery::{self, Sheet, Written};
use crate::interrupt;
use crate::journal::queries::{self, RunRow};
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::{plural, them, thousands};
use crate::term::ui::{Display, Ui};

pub fn run(args: GalleryArgs, env: &Env) -> Result<Outcome, Error> {
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    if to_stdout && args.open {
        return Err(Error::usage("--open shows a page written to a file; -o - writes it to standard output")
            .with_hint("leave out -o - (the page goes in the run's folder), or give -o FILE"));
    }
    let out = args.out.map(|out| env.dirs.expand_home_path(out)).transpose()?;
    let Some(conn) = open_journal(env)? else { return Err(no_runs()) };
    let run = match &args.run {
        Some(prefix) => named_run(&conn, prefix)?,
        None => queries::runs(&conn, 1)?.into_iter().next().ok_or_else(no_runs)?,
    };
    let here = std::env::current_dir().map_err(|e| Error::io("cannot read the current folder", &e))?;
    let ui = Ui::new(Display { color: env.stderr_is_terminal && !env.no_color, ..Display::default() }, 0);
    let state = state_text(&run);
    let written = match out.filter(|_| !to_stdout) {
        None if to_stdout => {
            let sheet = Sheet { run: &run, from: here, state };
            gallery::write(&conn, &sheet, &mut BufWriter::new(Stdout::default()))?
        }
        out => {
            let place = place(out, &run, &here)?;
            refuse_other(&place)?;
            let written = write_file(&conn, &run, &place, state)?;
            Stdout::default().line(&place.shown.display().to_string())?;
            if args.open {
                crate::image::open::open_all(&ui, std::slice::from_ref(&place.shown));
            }
            written
        }
    };
    say(&ui, &run, &written);
    Ok(Outcome::Success)
}

fn no_runs() -> Error {
    Error::new(Kind::Other, "no runs in the journal yet: a gallery shows a run's images")
        .with_hint("make one first, e.g. wan generate \"red panda\" -n 4 --offline")
}

/// Where the page goes: `path` (absolute) and how it is printed.
#[derive(Debug, PartialEq, Eq)]
struct Place {
    path: PathBuf,
    shown: PathBuf,
}

/// `-o FILE` as given; `-o DIR` (a folder there, or a path ending in `/`) and no `-o` (the
/// run's folder) hold the page as `gallery-RUN.html`, one a run, so galleries of the runs
/// that share a folder do not replace each other.
fn place(out: Option<PathBuf>, run: &RunRow, here: &Path) -> Result<Place, Error> {
    let name = format!("gallery-{}.html", run.id);
    let shown = match out {
        Some(out) if here.join(&out).is_dir() || out.as_os_str().to_string_lossy().ends_with('/') => out.join(name),
        Some(out) => out,
        None => {
            // A run made with `-o -` kept no folder: its page goes in the current one.
            let folder = if run.out_dir == "-" { here.to_path_buf() } else { PathBuf::from(&run.out_dir) };
            if !folder.is_dir() {
                return Err(Error::usage(format!(
                    "run {}'s folder {} is not there any more",
                    run.id,
                    folder.display()
                ))
                .with_hint("-o FILE writes the page elsewhere (its images will show as missing)"));
            }
            as_typed(&folder.join(name), here)
        }
    };
    Ok(Place { path: gallery::normalised(&here.join(&shown)), shown })
}

/// A path in or under the current folder as a person would type it from here; any other
/// absolute.
fn as_typed(path: &Path, here: &Path) -> PathBuf {
    path.strip_prefix(here).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

/// A file that is there and is not a page `wan gallery` wrote is not overwritten.
fn refuse_other(place: &Place) -> Result<(), Error> {
    let shown = place.shown.display();
    if place.path.is_dir() {
        return Err(Error::usage(format!("{shown} is a folder")).with_hint("-o FOLDER/ puts the page in it"));
    }
    let Ok(file) = File::open(&place.path) else { return Ok(()) };
    let mut start = Vec::with_capacity(gallery::GENERATOR_WITHIN);
    file.take(gallery::GENERATOR_WITHIN as u64)
        .read_to_end(&mut start)
        .map_err(|e| Error::usage(format!("cannot read {shown}: {e}")))?;
    if gallery::is_a_gallery(&start) {
        return Ok(());
    }
    Err(Error::usage(format!("{shown} is there and is not a page wan gallery wrote; it is left as it is"))
        .with_hint("give -o another file, or remove that one first"))
}

/// Writes the page beside where it goes, then moves it into place: a page cut short (a
/// full disk, an interrupt) never replaces a whole one.
fn write_file(conn: &rusqlite::Connection, run: &RunRow, place: &Place, state: String) -> Result<Written, Error> {
    let folder = place.path.parent().unwrap_or(Path::new("/")).to_path_buf();
    std::fs::create_dir_all(&folder)
        .map_err(|e| Error::usage(format!("cannot create the folder {}: {e}", folder.display())))?;
    interrupt::install();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".wan-").suffix(".part");
    // A page is no secret: the umask decides its mode (0644 under 022), as for any file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut temp = interrupt::create_temp(|| builder.tempfile_in(&folder))
        .map_err(|e| Error::io(format_args!("cannot write in {}", folder.display()), &e))?;
    let sheet = Sheet { run, from: folder.clone(), state };
    let written = gallery::write(conn, &sheet, &mut BufWriter::new(temp.as_file_mut()))?;
    interrupt::replace_with_temp(temp, &place.path)
        .map_err(|e| Error::io(format_args!("cannot write {}", place.shown.display()), &e.error))?;
    Ok(written)
}

/// What a person should know of the page on standard error.
fn say(ui: &Ui, run: &RunRow, written: &Written) {
    if run.state == "running" {
        ui.warn(&format!("run {} is still running: the page shows what it saved so far", run.id));
    }
    if written.images == 0 {
        ui.warn(&format!("run {} holds no images: the page says what became of its prompts", run.id));
    } else if written.missing > 0 {
        ui.warn(&format!(
            "{} of the run's {} image{} could not be shown; the page marks {} missing",
            thousands(written.missing),
            thousands(written.images),
            plural(written.images),
            them(written.missing)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(out_dir: &str) -> RunRow {
        RunRow {
            id: "3f2a00000000".into(),
            model: "m".into(),
            base_url: String::new(),
            out_dir: out_dir.into(),
            ..RunRow::example()
        }
    }

    #[test]
    fn the_page_goes_in_the_run_s_folder_else_where_out_says() {
        let here = tempfile::tempdir().unwrap();
        let here = here.path();
        std::fs::create_dir(here.join("out")).unwrap();
        let run = run_in(&here.join("out").display().to_string());
        let name = "gallery-3f2a00000000.html";
        let at = |out: Option<&str>| place(out.map(PathBuf::from), &run, here).unwrap();
        assert_eq!(at(None), Place { path: here.join("out").join(name), shown: Path::new("out").join(name) });
        assert_eq!(at(Some("out")).shown, Path::new("out").join(name), "an existing folder holds it");
        assert_eq!(at(Some("new/")).shown, Path::new("new/").join(name), "so does a path ending in /");
        assert_eq!(
            at(Some("pages/../sheet.html")),
            Place { path: here.join("sheet.html"), shown: PathBuf::from("pages/../sheet.html") }
        );
        let elsewhere = run_in("/nowhere/at/all");
        let err = place(None, &elsewhere, here).unwrap_err();
        assert_eq!(err.kind, Kind::Usage);
        assert!(err.to_string().contains("/nowhere/at/all is not there any more"), "{err}");
    }
}

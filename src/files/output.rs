//! Output files: the stem, the numbering, and writing each file whole without ever overwriting one.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use tempfile::{NamedTempFile, TempPath};

use crate::error::{Error, Kind};
use crate::files::format::ImageFormat;
use crate::interrupt;

const MAX_SLUG: usize = 40;
/// The longest file name most filesystems take (NAME_MAX on Linux and macOS), in bytes.
const NAME_MAX: usize = 255;
/// What `file_name` adds to a stem at least: `-NNN.webp` (`webp` and `webm` are the longest extensions).
const NAME_TAIL: usize = "-001.webp".len();
/// The widest extension a saved file gets, with its dot.
const WIDEST_EXTENSION: usize = ".webp".len();
/// The longest path the system takes (PATH_MAX on Linux; macOS's is 1024, checked there).
const PATH_MAX: usize = if cfg!(target_os = "macos") { 1024 } else { 4096 };
/// Files older than this named `.wan-*.part` were left by a run that was killed
/// (SIGKILL leaves no chance to clean up); no live download sits this long.
const STALE_PART: Duration = Duration::from_secs(24 * 60 * 60);

/// A file stem from a prompt: lower-case ASCII letters and digits, every other run of
/// characters one `-`, at most 40 characters cut at a `-` where possible; `image` if empty.
pub fn slug(prompt: &str) -> String {
    let mut slug = String::new();
    for c in prompt.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    if slug.len() > MAX_SLUG {
        let cut_at_dash = slug.as_bytes()[MAX_SLUG] == b'-';
        let head = &slug[..MAX_SLUG];
        let end = match head.rfind('-') {
            _ if cut_at_dash => MAX_SLUG,
            Some(dash) if dash > 0 => dash,
            _ => MAX_SLUG,
        };
        slug.truncate(end);
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "image".to_string() } else { slug.to_string() }
}

/// A model's name as the end of a file stem in a matrix (`-m A,B`): lower-case ASCII
/// letters, digits, `.` and `_` kept (`wan2.7-image` stays itself), every other run of
/// characters one `-`, no `-` or `.` at either end (a name given with `-m` may hold a
/// `/`, and names never leave the folder), at most 40 characters; `model` if empty.
pub fn model_tag(model: &str) -> String {
    let mut tag = String::new();
    for c in model.chars().take(MAX_SLUG) {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            tag.push(c.to_ascii_lowercase());
        } else if !tag.ends_with('-') {
            tag.push('-');
        }
    }
    let tag = tag.trim_matches(['-', '.']);
    if tag.is_empty() { "model".to_string() } else { tag.to_string() }
}

/// Checks a `--name` stem: it must name a file inside the output folder, nothing else.
pub fn validate_stem(stem: &str) -> Result<(), Error> {
    let reason = if stem.is_empty() {
        "is empty"
    } else if stem.contains(['/', '\\']) {
        "holds a path separator; names never leave the output folder"
    } else if stem.contains('\0') {
        "holds a NUL character"
    } else if stem.chars().any(char::is_control) {
        // A line break would split the path over two lines of stdout, and scripts read lines.
        "holds a control character (a line break?)"
    } else if stem.chars().all(|c| c == '.') {
        "is only dots"
    } else {
        return check_stem_fits(stem);
    };
    Err(Error::usage(format!("--name {stem:?} {reason}")))
}

/// Refuses a stem too long for `STEM-NNN.EXT` to be a file name, before anything is
/// sent: otherwise the images are made and billed, and then cannot be saved.
pub fn check_stem_fits(stem: &str) -> Result<(), Error> {
    let longest = stem.len() + NAME_TAIL;
    if longest <= NAME_MAX {
        return Ok(());
    }
    Err(Error::usage(format!(
        "--name is {} bytes long: with \"-NNN.webp\" that is {longest} bytes, over the {NAME_MAX}-byte limit of a file name",
        stem.len()
    ))
    .with_hint(format!("use a --name of at most {} bytes", NAME_MAX - NAME_TAIL)))
}

/// What a saved file is, as far as its name goes: images and videos alike.
pub trait FileKind: Copy {
    fn file_extension(self) -> &'static str;
}

impl FileKind for ImageFormat {
    fn file_extension(self) -> &'static str {
        self.extension()
    }
}

/// `STEM-NNN.EXT`, with three digits at least.
pub fn file_name(stem: &str, number: u64, format: impl FileKind) -> String {
    format!("{stem}-{number:03}.{}", format.file_extension())
}

/// Every `(STEM, NNN)` a file name stands for: `STEM-NNN` or `STEM-NNN.anything`, for
/// each `-` followed by digits that end the name or meet a `.` (`a-1.b-2.png` is number
/// 1 of `a` and number 2 of `a-1.b`, as a scan for either stem would read it). A number
/// too large for a `u64` counts as `u64::MAX`, so numbering never restarts below a
/// file that is there.
fn numbered(name: &str) -> impl Iterator<Item = (&str, u64)> {
    name.match_indices('-').filter_map(move |(dash, _)| {
        let rest = &name[dash + 1..];
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let (digits, tail) = rest.split_at(digits_end);
        if digits.is_empty() || !(tail.is_empty() || tail.starts_with('.')) {
            return None;
        }
        // All ASCII digits and not empty, so the only failure is overflow.
        Some((&name[..dash], digits.parse::<u64>().unwrap_or(u64::MAX)))
    })
}

/// The highest `NNN` among files named `STEM-NNN` or `STEM-NNN.anything` in `dir`.
fn highest_number(dir: &Path, stem: &str) -> io::Result<u64> {
    let mut highest = 0;
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(stem) {
            continue;
        }
        for (_, number) in numbered(name).filter(|(s, _)| *s == stem) {
            highest = highest.max(number);
        }
    }
    Ok(highest)
}

/// The numbers of a run's output folder, per stem: what one scan of the folder found,
/// kept up to date as names are claimed. A folder of 100,000 files is listed once per
/// run, not once per new stem (which made a large batch quadratic: issue 14).
#[derive(Debug, Default)]
struct Numbering {
    /// Whether the folder has been scanned; until then nothing is known.
    scanned: bool,
    /// Per stem, the next number to hand out: one past the highest in the folder or
    /// handed out; `u64::MAX` once a file holds the highest number there is.
    next: HashMap<String, u64>,
}

impl Numbering {
    /// Notes that `number` of `stem` is taken.
    fn taken(&mut self, stem: &str, number: u64) {
        let after = number.saturating_add(1);
        match self.next.get_mut(stem) {
            Some(next) => *next = (*next).max(after),
            None => {
                self.next.insert(stem.to_string(), after);
            }
        }
    }

    fn next(&self, stem: &str) -> u64 {
        self.next.get(stem).copied().unwrap_or(1)
    }
}

/// The output folder: hands out numbers per stem and moves finished files into place.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    /// The folder as the user named it, for printed paths; `None` for the default (`.`).
    shown: Option<PathBuf>,
    numbering: Mutex<Numbering>,
    /// The folder is there (it was, or the first file made it).
    made: std::sync::atomic::AtomicBool,
    /// The journal's id of the run writing here, in its part files' names
    /// (`.wan-RUN-XXXXXX.part`): a resume of the run, which holds its lock, knows those of
    /// a killed process for its own and removes them.
    run: Option<String>,
}

impl OutputDir {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir: dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            shown: dir,
            numbering: Mutex::new(Numbering::default()),
            made: std::sync::atomic::AtomicBool::new(false),
            run: None,
        }
    }

    /// Names this folder's part files after the run `run` (see [`remove_parts_of_run`]).
    pub fn for_run(mut self, run: Option<&str>) -> Self {
        self.run = run.map(String::from);
        self
    }

    /// Fails early, before anything is sent, if the folder cannot hold files. A folder
    /// that is not there yet is fine (`create` makes it); nothing is created here.
    pub fn check(&self) -> Result<(), Error> {
        match fs::metadata(&self.dir) {
            Ok(meta) if !meta.is_dir() => {
                Err(Error::usage(format!("output path {} exists and is not a directory", self.dir.display())))
            }
            Ok(_) => self.probe(),
            Err(_) => Ok(()),
        }
    }

    /// Refuses, before anything is sent, a run whose files could not be named in this
    /// folder as it is now: each `(stem, count)` use needs `count` numbers after the highest
    /// there, a name within NAME_MAX with the digits those numbers take (and the widest
    /// extension), and a path within PATH_MAX. Judged on the folder, not on assumptions:
    /// otherwise the images are made and billed, and then cannot be saved.
    pub fn check_names(&self, uses: impl IntoIterator<Item = Result<(String, u64), Error>>) -> Result<(), Error> {
        let mut numbering = Numbering::default();
        if self.dir.is_dir() {
            self.scan(&mut numbering, false).map_err(|e| self.cannot_list(&e))?;
        }
        let folder = self.absolute().as_os_str().len();
        // Numbers named so far, whatever their stem.
        let mut named = 0u64;
        for used in uses {
            let (stem, count) = used?;
            let stem = stem.as_str();
            named = named.saturating_add(count);
            // A stem the folder holds is numbered after its highest there, use after use. One
            // it does not hold is not remembered (a template of a million prompts would be a
            // million stems): its last number is at most the count of all those named so far.
            let held = numbering.next.get(stem).copied();
            let last = match held {
                Some(next) => next.checked_add(count.saturating_sub(1)).filter(|_| next < u64::MAX),
                None => Some(named),
            };
            let Some(last) = last else {
                return Err(Error::usage(format!(
                    "no file number is left for {stem:?} in {}: a file there holds the highest one",
                    self.describe()
                ))
                .with_hint("use another --name or output folder"));
            };
            let name = stem.len() + 1 + last.to_string().len().max(3) + WIDEST_EXTENSION;
            if name > NAME_MAX {
                return Err(Error::usage(format!(
                    "the files of {stem:?} would take {} digits in {} ({}): {name} bytes, over the {NAME_MAX}-byte limit of a file name",
                    last.to_string().len(),
                    self.describe(),
                    file_name("STEM", last, ImageFormat::Webp),
                ))
                .with_hint("use a shorter --name, or another output folder"));
            }
            if folder + 1 + name > PATH_MAX {
                return Err(Error::usage(format!(
                    "the output folder's path and a file name in it would be {} bytes, over the {PATH_MAX}-byte limit of a path",
                    folder + 1 + name
                ))
                .with_hint("use an output folder with a shorter path"));
            }
            // The next use of the same stem takes the numbers after.
            if held.is_some() {
                numbering.taken(stem, last);
            }
        }
        Ok(())
    }

    /// Creates the folder and its parents if missing, makes sure files can be written
    /// in it, and reads it once: what killed runs left is cleared, and the numbers
    /// taken are noted; all before anything is sent.
    /// Readies the folder for a run, before anything is sent: one that is there is proved
    /// writable and read for its numbers (and its stale temporary files); one that is not
    /// is left to be made by the first file that lands (a run that saves nothing leaves no
    /// empty folder), once the folder it would be made in is proved writable.
    pub fn create(&self) -> Result<(), Error> {
        if !self.dir.is_dir() {
            return self.check_makeable();
        }
        self.made.store(true, std::sync::atomic::Ordering::Relaxed);
        self.probe()?;
        let mut numbering = self.numbering.lock().expect("numbering lock poisoned");
        self.scan(&mut numbering, true).map_err(|e| self.cannot_list(&e))
    }

    /// The nearest folder above that is there must be one, and writable: the folder is
    /// made there later, after images were billed.
    fn check_makeable(&self) -> Result<(), Error> {
        let absolute = self.absolute();
        let there = absolute.ancestors().skip(1).find(|a| fs::symlink_metadata(a).is_ok());
        let Some(there) = there else { return Ok(()) };
        if !there.is_dir() {
            return Err(Error::usage(format!(
                "cannot create output folder {}: {} is not a directory",
                self.dir.display(),
                there.display()
            )));
        }
        OutputDir::new(Some(there.to_path_buf())).probe().map_err(|_| {
            Error::usage(format!(
                "cannot create output folder {}: {} is not writable",
                self.dir.display(),
                there.display()
            ))
        })
    }

    /// Makes the folder, at the first file.
    fn make(&self) -> Result<(), Error> {
        if self.made.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format_args!("cannot create output folder {}", self.dir.display()), &e))?;
        self.made.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Creates and removes a file in the folder. Permission bits cannot tell: root
    /// writes in a 0555 folder, nobody writes on a read-only mount, and ACLs exist.
    /// Finding out only when saving would be after the images were billed.
    pub fn probe(&self) -> Result<(), Error> {
        // A `.part` suffix, so that a probe left by a killed run is cleared as stale.
        let probe = tempfile::Builder::new().prefix(".wan-probe-").suffix(".part").tempfile_in(&self.dir);
        match probe.and_then(NamedTempFile::close) {
            Ok(()) => Ok(()),
            Err(e) => Err(Error::usage(format!("output folder {} is not writable: {e}", self.dir.display()))),
        }
    }

    /// Lists the folder once: notes the highest number of every stem there, and, with
    /// `tidy`, removes `.wan-*.part` files over a day old (temporary files of runs
    /// killed with SIGKILL, which leaves no chance to clean up). Nothing else is
    /// touched, and a file that cannot be removed is left as it is.
    fn scan(&self, numbering: &mut Numbering, tidy: bool) -> io::Result<()> {
        let now = SystemTime::now();
        let entries = match fs::read_dir(&self.dir) {
            // Not made yet: no numbers taken.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                numbering.scanned = true;
                return Ok(());
            }
            listed => listed?,
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(".wan-") && name.ends_with(".part") {
                if tidy {
                    remove_if_stale(&entry, now);
                }
                continue;
            }
            for (stem, number) in numbered(name) {
                numbering.taken(stem, number);
            }
        }
        numbering.scanned = true;
        Ok(())
    }

    /// The folder for the summary line: `out/`, or `./` for the current directory.
    pub fn describe(&self) -> String {
        let shown = self.shown.as_deref().unwrap_or(Path::new(".")).display().to_string();
        if shown.ends_with('/') { shown } else { format!("{shown}/") }
    }

    /// The folder as an absolute path, as the journal keeps it.
    pub fn absolute(&self) -> PathBuf {
        std::path::absolute(&self.dir).unwrap_or_else(|_| self.dir.clone())
    }

    /// The path printed for a saved file: `DIR/NAME` as the user named `DIR`.
    pub fn shown_path(&self, name: &str) -> PathBuf {
        match &self.shown {
            Some(dir) => dir.join(name),
            None => PathBuf::from(name),
        }
    }

    /// Reserves `count` consecutive numbers for `stem`, after any file already there.
    pub fn reserve(&self, stem: &str, count: u64) -> Result<u64, Error> {
        let mut numbering = self.numbering.lock().expect("numbering lock poisoned");
        if !numbering.scanned {
            self.scan(&mut numbering, false).map_err(|e| self.cannot_list(&e))?;
        }
        let first = numbering.next(stem);
        // The number after the last one handed out must exist too: the caller counts
        // `first..` and the next reservation starts there.
        let after = first.checked_add(count).filter(|_| first < u64::MAX).ok_or_else(|| self.numbers_used_up(stem))?;
        numbering.next.insert(stem.to_string(), after);
        Ok(first)
    }

    fn cannot_list(&self, e: &io::Error) -> Error {
        Error::io(format_args!("cannot list {}", self.dir.display()), e)
    }

    /// Wrapping to 000 would go backwards, under files already there.
    fn numbers_used_up(&self, stem: &str) -> Error {
        // In the message, not a hint: the run's own hint for an unsaved image replaces it.
        Error::new(
            Kind::Other,
            format!("no file number is left for {stem:?} in {}; use another --name or output folder", self.describe()),
        )
    }

    /// A new temporary file beside the final ones, hidden and removed if the run stops.
    pub fn begin(&self) -> Result<PartFile, Error> {
        self.make()?;
        let mut builder = tempfile::Builder::new();
        let prefix = match &self.run {
            Some(run) => format!(".wan-{run}-"),
            None => ".wan-".to_string(),
        };
        builder.prefix(&prefix).suffix(".part");
        // The file keeps its mode when moved into place, and tempfile's 0600 is for
        // secrets: ask for 0666 as any program writing a file does, so the umask
        // decides (0644 under 022). tempfile passes the mode to open(2), which applies
        // the umask.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        interrupt::create_temp(|| builder.tempfile_in(&self.dir))
            .map(|file| PartFile { file })
            .map_err(|e| Error::io(format_args!("cannot write in {}", self.dir.display()), &e))
    }

    /// Moves a finished file to `STEM-NNN.EXT`; if another process took that name
    /// meanwhile, takes the next free number instead. Never overwrites. Before each move,
    /// `announce` hears where it goes (absolute) and where the file is now, so that the
    /// journal has both on disk first. Returns the path as printed and as an absolute path.
    pub fn commit(
        &self,
        part: PartFile,
        stem: &str,
        mut number: u64,
        format: impl FileKind,
        announce: &mut dyn FnMut(&Path, &Path),
    ) -> Result<(PathBuf, PathBuf), Error> {
        let mut file = part.file;
        file.as_file_mut()
            .sync_all()
            .map_err(|e| Error::io(format_args!("cannot write in {}", self.dir.display()), &e))?;
        loop {
            let name = file_name(stem, number, format);
            announce(&self.absolute().join(&name), file.path());
            match interrupt::persist_temp(file, &self.dir.join(&name)) {
                Ok(()) => return Ok((self.shown_path(&name), self.absolute().join(&name))),
                Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                    file = e.file;
                    number = self.reserve_after_clash(stem)?;
                }
                Err(e) => {
                    let shown = self.shown_path(&name);
                    return Err(Error::io(format_args!("cannot save {}", shown.display()), &e.error));
                }
            }
        }
    }

    /// Another writer took a name this run was handed: the folder is read again for
    /// that stem only (the index of every other stem stands), and the next free number
    /// after what is there now is taken.
    fn reserve_after_clash(&self, stem: &str) -> Result<u64, Error> {
        let highest = highest_number(&self.dir, stem).map_err(|e| self.cannot_list(&e))?;
        let mut numbering = self.numbering.lock().expect("numbering lock poisoned");
        numbering.taken(stem, highest);
        let number = numbering.next(stem);
        let after = number.checked_add(1).ok_or_else(|| self.numbers_used_up(stem))?;
        numbering.next.insert(stem.to_string(), after);
        Ok(number)
    }
}

/// Removes a `.wan-*.part` file over a day old; not followed: a symlink or folder of
/// that name is not ours.
fn remove_if_stale(entry: &fs::DirEntry, now: SystemTime) {
    let Ok(meta) = entry.metadata() else { return };
    let old = meta.modified().ok().and_then(|m| now.duration_since(m).ok()).is_some_and(|age| age > STALE_PART);
    if meta.is_file() && old {
        let _ = fs::remove_file(entry.path());
    }
}

/// Removes from `dir` the part files of the run `run` (`.wan-RUN-XXXXXX.part`) but those
/// in `keep`: downloads its killed process left unfinished. Only for a caller that holds
/// the run's lock, after its own downloads are over: no live process writes such a file
/// then. Not followed: a symlink or folder of that name is not ours. Returns how many.
pub fn remove_parts_of_run(dir: &Path, run: &str, keep: &[PathBuf]) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let prefix = format!(".wan-{run}-");
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name.to_str().is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".part"));
        let path = entry.path();
        if ours
            && entry.file_type().is_ok_and(|t| t.is_file())
            && !keep.contains(&path)
            && fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// A file being written beside its final name.
#[derive(Debug)]
pub struct PartFile {
    file: NamedTempFile,
}

impl Write for PartFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl PartFile {
    /// Starts over, for a download that is tried again.
    pub fn rewind(&mut self) -> io::Result<()> {
        use std::io::Seek;
        let file = self.file.as_file_mut();
        file.set_len(0)?;
        file.rewind()
    }

    /// Closes the file and leaves it where it is (still removed if dropped): the
    /// images an answer streamed to files wait for their names without holding a
    /// file open each.
    pub fn park(self) -> ParkedPart {
        ParkedPart { path: self.file.into_temp_path() }
    }
}

/// A part file closed until more is added to it.
#[derive(Debug)]
pub struct ParkedPart {
    path: TempPath,
}

impl ParkedPart {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file again, to add to its end.
    pub fn reopen(self) -> io::Result<PartFile> {
        let file = fs::OpenOptions::new().append(true).open(&self.path)?;
        Ok(PartFile { file: NamedTempFile::from_parts(file, self.path) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_s_tag_keeps_its_name_and_never_leaves_the_folder() {
        assert_eq!(model_tag("wan2.7-image"), "wan2.7-image");
        assert_eq!(model_tag("seedream-4-5-251128"), "seedream-4-5-251128");
        assert_eq!(model_tag("vendor/My Model"), "vendor-my-model");
        assert_eq!(model_tag("../x"), "x");
        assert_eq!(model_tag("..."), "model");
        assert_eq!(model_tag(&"a".repeat(100)).len(), MAX_SLUG);
    }

    #[test]
    fn slug_keeps_ascii_letters_and_digits() {
        assert_eq!(slug("A cute red panda, ultra-detailed!"), "a-cute-red-panda-ultra-detailed");
        assert_eq!(slug("  --Hello__World 2--  "), "hello-world-2");
        assert_eq!(slug("Café crème"), "caf-cr-me");
    }

    #[test]
    fn slug_is_image_when_nothing_is_left() {
        assert_eq!(slug("日本語"), "image");
        assert_eq!(slug("!!!"), "image");
    }

    #[test]
    fn slug_is_cut_at_a_dash_within_forty_characters() {
        let s = slug("the quick brown fox jumps over the lazy dog and keeps running");
        assert_eq!(s, "the-quick-brown-fox-jumps-over-the-lazy");
        assert!(s.len() <= 40);
        let one_word = slug(&"a".repeat(50));
        assert_eq!(one_word.len(), 40);
        // the 41st character is a dash: the first 40 are whole words
        assert_eq!(slug(&format!("{} b", "a".repeat(40))), "a".repeat(40));
    }

    #[test]
    fn stems_that_would_leave_the_folder_are_refused() {
        for bad in ["", "a/b", "a\\b", "..", ".", "...", "a\0b", "a\nb", "a\tb"] {
            assert!(validate_stem(bad).is_err(), "{bad:?}");
        }
        for good in ["cat", ".hidden", "a.b", "v1..2"] {
            assert!(validate_stem(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn stems_too_long_for_a_file_name_are_refused() {
        // 246 + "-001.webp" = 255 bytes, the most a file name can be
        assert!(validate_stem(&"a".repeat(246)).is_ok());
        let err = validate_stem(&"a".repeat(247)).unwrap_err();
        assert_eq!(err.kind, Kind::Usage);
        assert!(err.to_string().contains("255-byte limit"), "{err}");
        // bytes, not characters: 83 × the 3-byte "€" is 249 bytes
        assert!(check_stem_fits(&"\u{20ac}".repeat(83)).is_err());
        // the limit is the filesystem's own
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(file_name(&"a".repeat(246), 1, ImageFormat::Webp)), b"x").unwrap();
        assert!(fs::write(dir.path().join(file_name(&"a".repeat(247), 1, ImageFormat::Webp)), b"x").is_err());
    }

    #[test]
    fn names_are_judged_on_the_folder_and_on_the_counts_of_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let long = "a".repeat(246);
        let uses = |list: &[(&str, u64)]| list.iter().map(|(stem, n)| Ok((stem.to_string(), *n))).collect::<Vec<_>>();
        // A stem the folder does not hold: its uses add up (999 numbers fit in three digits).
        assert!(out.check_names(uses(&[(&long, 500), (&long, 499)])).is_ok());
        let err = out.check_names(uses(&[(&long, 500), ("b", 1), (&long, 500)])).unwrap_err();
        assert!(err.to_string().contains("would take 4 digits"), "{err}");
        // One it holds is numbered after its highest there, use after use.
        fs::write(dir.path().join(format!("cat-{}.png", u64::MAX - 2)), b"x").unwrap();
        assert!(out.check_names(uses(&[("cat", 1), ("dog", 5)])).is_ok());
        let err = out.check_names(uses(&[("cat", 1), ("dog", 5), ("cat", 1)])).unwrap_err();
        assert!(err.to_string().contains("no file number is left for \"cat\""), "{err}");
    }

    #[test]
    fn numbering_stops_with_an_error_instead_of_wrapping() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(format!("cat-{}.png", u64::MAX)), b"x").unwrap();
        fs::write(dir.path().join("dog-99999999999999999999999.png"), b"x").unwrap();
        fs::write(dir.path().join(format!("owl-{}.png", u64::MAX - 2)), b"x").unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        for stem in ["cat", "dog"] {
            let err = out.reserve(stem, 1).unwrap_err();
            assert_eq!(err.kind, Kind::Other);
            let text = err.to_string();
            assert!(text.contains(stem) && text.contains(&out.describe()), "{text}");
            assert!(text.contains("another --name"), "{text}");
        }
        // u64::MAX - 1 is left, and one number after it to count to
        assert_eq!(out.reserve("owl", 1).unwrap(), u64::MAX - 1);
        assert!(out.reserve("owl", 1).is_err());
        let fresh = OutputDir::new(Some(dir.path().to_path_buf()));
        assert!(fresh.reserve("owl", 2).is_err(), "two numbers do not fit");
        // a clash at the top does not wrap either
        fresh.numbering.lock().unwrap().next.insert("owl".into(), u64::MAX);
        assert!(fresh.reserve_after_clash("owl").is_err());
    }

    #[test]
    fn probe_refuses_a_folder_that_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        out.probe().unwrap();
        assert!(fs::read_dir(dir.path()).unwrap().next().is_none(), "the probe leaves nothing behind");
        // a folder that is not there cannot be written in; `check` does not create it
        let missing = OutputDir::new(Some(dir.path().join("not-yet")));
        assert_eq!(missing.probe().unwrap_err().kind, Kind::Usage);
        missing.check().unwrap();
        assert!(!dir.path().join("not-yet").exists());
        // nor does `create`: the first file does
        missing.create().unwrap();
        assert!(!dir.path().join("not-yet").exists(), "no folder until a file lands");
        missing.begin().unwrap();
        assert!(dir.path().join("not-yet").is_dir());
        // a folder that could not be made is refused before anything is sent
        fs::write(dir.path().join("a-file"), b"x").unwrap();
        let under_a_file = OutputDir::new(Some(dir.path().join("a-file/sub")));
        assert!(under_a_file.create().unwrap_err().message.contains("is not a directory"));
    }

    #[test]
    fn stale_part_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let day_and_more = SystemTime::now() - STALE_PART - Duration::from_secs(60);
        let names = [".wan-old.part", ".wan-new.part", "cat-001.png", ".wan-old.txt", "wan-old.part", ".other.part"];
        for name in names {
            fs::write(dir.path().join(name), b"x").unwrap();
            if name != ".wan-new.part" {
                fs::File::options()
                    .write(true)
                    .open(dir.path().join(name))
                    .unwrap()
                    .set_modified(day_and_more)
                    .unwrap();
            }
        }
        fs::create_dir(dir.path().join(".wan-folder.part")).unwrap();
        OutputDir::new(Some(dir.path().to_path_buf())).create().unwrap();
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            [".other.part", ".wan-folder.part", ".wan-new.part", ".wan-old.txt", "cat-001.png", "wan-old.part"]
        );
    }

    #[test]
    fn a_run_s_part_files_carry_its_id_and_only_they_are_removed_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf())).for_run(Some("0123456789ab"));
        let part = out.begin().unwrap().park();
        let name = part.path().file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with(".wan-0123456789ab-") && name.ends_with(".part"), "{name}");
        let kept = dir.path().join(".wan-0123456789ab-kept.part");
        for other in [".wan-ba9876543210-x.part", ".wan-x.part", ".wan-0123456789ab-x.txt"] {
            fs::write(dir.path().join(other), b"x").unwrap();
        }
        fs::write(&kept, b"x").unwrap();
        fs::create_dir(dir.path().join(".wan-0123456789ab-dir.part")).unwrap();
        assert_eq!(remove_parts_of_run(dir.path(), "0123456789ab", std::slice::from_ref(&kept)), 1);
        assert!(!part.path().exists());
        let mut left: Vec<String> =
            fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".wan-0123456789ab-dir.part",
                ".wan-0123456789ab-kept.part",
                ".wan-0123456789ab-x.txt",
                ".wan-ba9876543210-x.part",
                ".wan-x.part"
            ]
        );
        let plain = OutputDir::new(Some(dir.path().to_path_buf())).begin().unwrap().park();
        assert!(plain.path().file_name().unwrap().to_str().unwrap().starts_with(".wan-"));
    }

    #[test]
    fn file_names_have_three_digits_at_least() {
        assert_eq!(file_name("cat", 7, ImageFormat::Png), "cat-007.png");
        assert_eq!(file_name("cat", 1234, ImageFormat::Jpeg), "cat-1234.jpg");
    }

    #[test]
    fn numbering_continues_after_the_highest_for_that_stem_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["cat-001.png", "cat-009.jpg", "cat-010", "cat-big-050.png", "dog-099.png", "cat-x.png"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(highest_number(dir.path(), "cat").unwrap(), 10);
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        assert_eq!(out.reserve("cat", 4).unwrap(), 11);
        assert_eq!(out.reserve("cat", 1).unwrap(), 15);
        assert_eq!(out.reserve("bird", 1).unwrap(), 1);
    }

    #[test]
    fn a_name_stands_for_each_stem_a_scan_for_it_would_read() {
        fn all(name: &str) -> Vec<(&str, u64)> {
            numbered(name).collect()
        }
        assert_eq!(all("cat-007.png"), [("cat", 7)]);
        assert_eq!(all("cat-010"), [("cat", 10)]);
        assert_eq!(all("cat-big-050.png"), [("cat-big", 50)]);
        assert_eq!(all("a-1.b-2.png"), [("a", 1), ("a-1.b", 2)]);
        assert_eq!(all("prompt-12-001.png"), [("prompt-12", 1)]);
        assert_eq!(all(&format!("owl-{}0.png", u64::MAX)), [("owl", u64::MAX)]);
        for none in ["cat.png", "cat-.png", "cat-x.png", "cat-01x.png", "-", "cat-"] {
            assert_eq!(all(none), [], "{none}");
        }
        // "-007" is number 7 of the empty stem, which no --name or slug can be
        assert_eq!(all("-007.png"), [("", 7)]);
    }

    #[test]
    fn one_scan_numbers_every_stem_and_reservations_keep_it_up_to_date() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["cat-003.png", "dog-001.jpg", "dog-012.webp", "owl-2.png", "readme.txt", ".wan-x-9.part"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        out.create().unwrap();
        // A file another writer adds after the scan is not seen by the index...
        fs::write(dir.path().join("bird-005.png"), b"x").unwrap();
        assert_eq!(out.reserve("cat", 2).unwrap(), 4);
        assert_eq!(out.reserve("dog", 1).unwrap(), 13);
        assert_eq!(out.reserve("owl", 1).unwrap(), 3);
        assert_eq!(out.reserve("cat", 1).unwrap(), 6);
        assert_eq!(out.reserve("bird", 1).unwrap(), 1, "the folder was read once, before bird-005 was there");
        assert_eq!(out.reserve(".wan-x", 1).unwrap(), 1, "part files hold no numbers");
        // ...and bird-001 does not clash with it, so nothing is overwritten either way.
        let mut part = out.begin().unwrap();
        part.write_all(b"ours").unwrap();
        assert_eq!(
            out.commit(part, "bird", 1, ImageFormat::Png, &mut |_, _| {}).unwrap().0,
            dir.path().join("bird-001.png")
        );
    }

    #[test]
    fn a_clash_with_another_writer_rescans_that_stem_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("dog-002.png"), b"x").unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        out.create().unwrap();
        let cat = out.reserve("cat", 1).unwrap();
        // Another `wan` writes into the same folder meanwhile: cat-001 to cat-004, dog-009.
        for name in ["cat-001.png", "cat-004.jpg", "dog-009.png"] {
            fs::write(dir.path().join(name), b"theirs").unwrap();
        }
        let mut part = out.begin().unwrap();
        part.write_all(b"ours").unwrap();
        let (saved, _) = out.commit(part, "cat", cat, ImageFormat::Png, &mut |_, _| {}).unwrap();
        assert_eq!(saved, dir.path().join("cat-005.png"), "the next number after theirs");
        assert_eq!(fs::read(dir.path().join("cat-001.png")).unwrap(), b"theirs");
        assert_eq!(out.reserve("cat", 1).unwrap(), 6, "the index moved past the rescanned stem");
        assert_eq!(out.reserve("dog", 1).unwrap(), 3, "other stems keep what the one scan found");
    }

    #[test]
    fn commit_takes_the_next_number_instead_of_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(Some(dir.path().to_path_buf()));
        let first = out.reserve("cat", 1).unwrap();
        // another process takes cat-001.png after our numbers were handed out
        fs::write(dir.path().join("cat-001.png"), b"theirs").unwrap();
        let mut part = out.begin().unwrap();
        part.write_all(b"ours").unwrap();
        let (path, _) = out.commit(part, "cat", first, ImageFormat::Png, &mut |_, _| {}).unwrap();
        assert_eq!(path, dir.path().join("cat-002.png"));
        assert_eq!(fs::read(dir.path().join("cat-001.png")).unwrap(), b"theirs");
        assert_eq!(fs::read(&path).unwrap(), b"ours");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn shown_paths_keep_the_folder_as_given() {
        let out = OutputDir::new(Some(PathBuf::from("out/")));
        assert_eq!(out.shown_path("a-001.png"), PathBuf::from("out/a-001.png"));
        assert_eq!(out.describe(), "out/");
        let here = OutputDir::new(None);
        assert_eq!(here.shown_path("a-001.png"), PathBuf::from("a-001.png"));
        assert_eq!(here.describe(), "./");
    }
}

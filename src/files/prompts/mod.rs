//! The prompts of a run, read as they are needed: one from the command line or standard
//! input, or a batch checked whole first and then read back a line at a time; each may be
//! a template, whose prompts are made one at a time as they are read.

pub mod template;
pub mod vars;

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Kind};
use crate::shard::Shard;

use template::{Expansion, Template};
use vars::Vars;

/// The longest prompt taken, in bytes: far past what any model reads, and a bound on
/// what a prompt from a pipe or a batch line can make `wan` hold.
pub const MAX_PROMPT_BYTES: usize = 64 * 1024;

pub fn read_prompt_from_stdin(stdin: &mut dyn Read) -> Result<String, Error> {
    let mut bytes = Vec::new();
    stdin
        .take(MAX_PROMPT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::usage(format!("cannot read the prompt from standard input: {e}")))?;
    if bytes.len() > MAX_PROMPT_BYTES {
        return Err(too_long_prompt());
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::usage("the prompt on standard input is not UTF-8 text"))?;
    Ok(strip_bom(text.trim_end_matches(['\n', '\r'])).to_string())
}

fn too_long_prompt() -> Error {
    Error::usage(format!("the prompt is longer than {} KiB", MAX_PROMPT_BYTES / 1024))
}

pub fn checked_prompt(prompt: String) -> Result<String, Error> {
    if prompt.trim().is_empty() {
        return Err(Error::usage("the prompt is empty"));
    }
    if !has_text(&prompt) {
        return Err(Error::usage("the prompt holds no text, only control characters"));
    }
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(too_long_prompt());
    }
    Ok(prompt)
}

/// The prompts of a run. A batch is never held: its prompts are checked as the file is
/// read, those of this shard are written to an unnamed temporary file (gone with the
/// process, however it ends), and read back one line at a time as requests need them.
/// So 100,000 prompts cost a disk file, not memory; and a bad line stops the run before
/// anything is sent, as it always did. Cloning shares the same prompts.
#[derive(Clone, Debug)]
pub struct Prompts {
    kept: Kept,
    len: usize,
    /// Prompts in the batch before `--shard` took its share.
    pub total: u64,
    pub shard: Option<Shard>,
    /// Some prompt was a template with a choice: the run's prompts are its expansions.
    expanded: bool,
}

#[derive(Clone, Debug)]
enum Kept {
    One(Arc<str>),
    /// One prompt per line. Readers keep their own offsets and seek under the lock, so
    /// any number of them may read at once.
    Spooled(Arc<Mutex<File>>),
    /// One template, whose prompts are made as they are read.
    Template(Arc<Template>),
    /// Templates, one per line after the number (in the batch) of its first prompt, so
    /// that a shard's reader knows which of its prompts are its own.
    Templates {
        file: Arc<Mutex<File>>,
        vars: Arc<Vars>,
    },
}

impl Prompts {
    /// The one prompt of a run that has no batch. With `--shard` it counts as a batch of
    /// one: shard 1/N has it, the others are empty.
    pub fn one(prompt: String, shard: Option<Shard>) -> Self {
        let len = usize::from(shard.is_none_or(|s| s.keeps(1)));
        Self { kept: Kept::One(prompt.into()), len, total: 1, shard, expanded: false }
    }

    /// One prompt read as a template: its prompts are every combination of its choices,
    /// counted now and made as they are read. A template with no choice is its one prompt.
    pub fn template(prompt: &str, vars: &Arc<Vars>, shard: Option<Shard>) -> Result<Self, Error> {
        let template = Template::parse(prompt, vars).map_err(|fault| fault.error(prompt, "", 0))?;
        if !template.varies() {
            return Ok(Self::one(template.nth(0), shard));
        }
        let total = template.count();
        let len = shard.map_or(total, |s| s.kept_of(1, total));
        Ok(Self { kept: Kept::Template(Arc::new(template)), len: as_len(len)?, total, shard, expanded: true })
    }

    /// A batch whose every line is read as a template (see [`Prompts::batch`] and
    /// [`Prompts::template`]): checked whole and counted now, each line's prompts made as
    /// they are read, numbered through the batch in order.
    pub fn templates(
        reader: impl BufRead,
        source: &str,
        vars: &Arc<Vars>,
        shard: Option<Shard>,
    ) -> Result<Self, Error> {
        let mut spool = Spool::new()?;
        let (mut total, mut len, mut expanded) = (0u64, 0u64, false);
        each_prompt(reader, source, |line, at| {
            let place = || format!("line {} of {source}: ", at.number);
            let template = Template::parse(line, vars).map_err(|fault| fault.error(line, &place(), at.indent))?;
            let (first, count) = (total + 1, template.count());
            total = total.checked_add(count).ok_or_else(|| {
                Error::usage(format!("{}the batch makes more prompts than can be counted ({})", place(), u64::MAX))
            })?;
            expanded |= template.varies();
            let kept = shard.map_or(count, |s| s.kept_of(first, count));
            len += kept;
            match kept {
                0 => Ok(()),
                _ => spool.push(&format!("{first} {line}")),
            }
        })?;
        if total == 0 {
            return Err(Error::usage(format!("{source} holds no prompts")));
        }
        let file = spool.into_file()?;
        Ok(Self { kept: Kept::Templates { file, vars: Arc::clone(vars) }, len: as_len(len)?, total, shard, expanded })
    }

    /// A batch: one prompt per line, read line by line (never more than a line's limit
    /// at once); blank lines and lines starting with `#` skipped, a leading byte-order
    /// mark too. With `shard`, only its share is kept.
    pub fn batch(reader: impl BufRead, source: &str, shard: Option<Shard>) -> Result<Self, Error> {
        let mut spool = Spool::new()?;
        let mut total = 0u64;
        each_prompt(reader, source, |prompt, _| {
            total += 1;
            match shard.is_none_or(|s| s.keeps(total)) {
                true => spool.push(prompt),
                false => Ok(()),
            }
        })?;
        if total == 0 {
            return Err(Error::usage(format!("{source} holds no prompts")));
        }
        spool.finish(total, shard)
    }

    /// How many prompts the run has (this shard's, with `--shard`).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether messages should say which prompt they are about: the batch had more than one.
    pub fn several(&self) -> bool {
        self.total > 1
    }

    /// Whether a template's choices made the prompts (so a dry run lists them).
    pub fn expanded(&self) -> bool {
        self.expanded
    }

    /// The number of the prompt at `index` (from 0) in the whole batch, counting the
    /// prompts kept from 1: what a user finds in the file, whatever the shard.
    pub fn number(&self, index: usize) -> u64 {
        match self.shard {
            Some(shard) => shard.number(index),
            None => index as u64 + 1,
        }
    }

    /// The prompts in order, each read when asked for. The reader owns what it needs, so
    /// it may go to another thread (the journal's writer).
    pub fn iter(&self) -> PromptIter {
        let reader = |file: &Arc<Mutex<File>>| Lines {
            reader: BufReader::with_capacity(1 << 16, Shared { file: Arc::clone(file), offset: 0 }),
            line: Vec::with_capacity(256),
        };
        match &self.kept {
            Kept::One(prompt) => PromptIter::One((self.len > 0).then(|| Arc::clone(prompt))),
            Kept::Spooled(file) => PromptIter::Spooled(reader(file)),
            Kept::Template(template) => PromptIter::Template(Expansion::new(Arc::clone(template), 1, self.shard)),
            Kept::Templates { file, vars } => {
                PromptIter::Templates { lines: reader(file), vars: Arc::clone(vars), shard: self.shard, current: None }
            }
        }
    }
}

/// A count of prompts as the run holds it (a template's may be past what a 32-bit
/// machine can index).
fn as_len(count: u64) -> Result<usize, Error> {
    usize::try_from(count).map_err(|_| Error::usage(format!("{count} prompts are more than this machine can count")))
}

/// How a run reads its prompts: as templates, `{NAME}` taking the values of `--var`, or
/// as written (`--no-template`).
#[derive(Clone, Debug)]
pub enum Reading {
    AsWritten,
    Templates(Arc<Vars>),
}

impl Reading {
    /// Templates unless `as_written`, with the values of each `NAME=FILE` of `vars`.
    pub fn new(as_written: bool, vars: &[String]) -> Result<Self, Error> {
        match as_written {
            true => Ok(Self::AsWritten),
            false => Ok(Self::Templates(Arc::new(Vars::load(vars)?))),
        }
    }

    /// The prompts of one prompt, checked.
    pub fn one(&self, prompt: String, shard: Option<Shard>) -> Result<Prompts, Error> {
        match self {
            Self::AsWritten => Ok(Prompts::one(prompt, shard)),
            Self::Templates(vars) => Prompts::template(&prompt, vars, shard),
        }
    }

    /// The prompts of a batch, checked whole.
    pub fn batch(&self, reader: impl BufRead, source: &str, shard: Option<Shard>) -> Result<Prompts, Error> {
        match self {
            Self::AsWritten => Prompts::batch(reader, source, shard),
            Self::Templates(vars) => Prompts::templates(reader, source, vars, shard),
        }
    }

    /// Once every prompt is read: each `--var` was named by one.
    pub fn check_all_used(&self) -> Result<(), Error> {
        match self {
            Self::AsWritten => Ok(()),
            Self::Templates(vars) => vars.check_all_used(),
        }
    }
}

/// Prompts being written to their temporary file, already checked.
pub struct Spool {
    out: BufWriter<File>,
    len: usize,
}

impl Spool {
    pub fn new() -> Result<Self, Error> {
        let file = tempfile::tempfile().map_err(spool_failed)?;
        Ok(Self { out: BufWriter::with_capacity(1 << 16, file), len: 0 })
    }

    /// Adds one prompt: a checked one, holding no line break.
    pub fn push(&mut self, prompt: &str) -> Result<(), Error> {
        debug_assert!(!prompt.contains('\n'));
        self.out.write_all(prompt.as_bytes()).and_then(|()| self.out.write_all(b"\n")).map_err(spool_failed)?;
        self.len += 1;
        Ok(())
    }

    /// The prompts written, as a run's: `total` in the batch, of which these are `shard`'s.
    pub fn finish(self, total: u64, shard: Option<Shard>) -> Result<Prompts, Error> {
        let len = self.len;
        let file = self.into_file()?;
        Ok(Prompts { kept: Kept::Spooled(file), len, total, shard, expanded: false })
    }

    fn into_file(self) -> Result<Arc<Mutex<File>>, Error> {
        let file = self.out.into_inner().map_err(|e| spool_failed(e.into_error()))?;
        Ok(Arc::new(Mutex::new(file)))
    }
}

fn spool_failed(e: io::Error) -> Error {
    Error::io("cannot keep the prompts in a temporary file", &e)
}

/// The prompts of a run one at a time; `Err` only if the temporary file cannot be read back.
#[derive(Debug)]
pub enum PromptIter {
    One(Option<Arc<str>>),
    Spooled(Lines),
    Template(Expansion),
    Templates { lines: Lines, vars: Arc<Vars>, shard: Option<Shard>, current: Option<Expansion> },
}

impl Iterator for PromptIter {
    type Item = Result<Arc<str>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::One(prompt) => prompt.take().map(Ok),
            Self::Spooled(lines) => lines.next().map(|line| line.map(Arc::from)),
            Self::Template(expansion) => expansion.next().map(|prompt| Ok(prompt.into())),
            Self::Templates { lines, vars, shard, current } => loop {
                if let Some(prompt) = current.as_mut().and_then(Iterator::next) {
                    return Some(Ok(prompt.into()));
                }
                let line = match lines.next()? {
                    Ok(line) => line,
                    Err(error) => return Some(Err(error)),
                };
                // Written by `Prompts::templates` as `FIRST TEMPLATE`, the template checked.
                let parsed = line.split_once(' ').and_then(|(first, template)| {
                    Some((first.parse::<u64>().ok()?, Template::parse(template, vars).ok()?))
                });
                let Some((first, template)) = parsed else { return Some(Err(spool_damaged())) };
                *current = Some(Expansion::new(Arc::new(template), first, *shard));
            },
        }
    }
}

/// The lines of the temporary file, read back in order.
#[derive(Debug)]
pub struct Lines {
    reader: BufReader<Shared>,
    line: Vec<u8>,
}

impl Lines {
    fn next(&mut self) -> Option<Result<&str, Error>> {
        self.line.clear();
        match self.reader.read_until(b'\n', &mut self.line) {
            Ok(0) => None,
            Ok(_) => {
                self.line.pop();
                // Written as checked UTF-8 by `Spool::push`.
                Some(std::str::from_utf8(&self.line).map_err(|_| spool_damaged()))
            }
            Err(e) => Some(Err(Error::io("cannot read the prompts back", &e))),
        }
    }
}

fn spool_damaged() -> Error {
    Error::new(Kind::Other, "the temporary file of prompts was changed while the run read it")
}

/// A reader of the shared temporary file with an offset of its own.
#[derive(Debug)]
pub struct Shared {
    file: Arc<Mutex<File>>,
    offset: u64,
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.seek(SeekFrom::Start(self.offset))?;
        let n = file.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Where a prompt of a batch stands, for messages that point into it.
#[derive(Clone, Copy, Debug)]
struct Place {
    /// Its line, from 1.
    number: usize,
    /// The characters before it on its line (its indentation).
    indent: usize,
}

/// Calls `keep` with each prompt of a batch in order, checking every line: too long
/// or not UTF-8 is a usage error naming the line.
fn each_prompt(
    mut reader: impl BufRead,
    source: &str,
    mut keep: impl FnMut(&str, Place) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let limit = MAX_PROMPT_BYTES as u64 + 2;
        let read = reader
            .by_ref()
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::usage(format!("cannot read prompts from {source}: {e}")))?;
        if read == 0 {
            break;
        }
        // The line break (`\n` or `\r\n`) is no part of the prompt; a last line has none.
        let text_bytes = line.strip_suffix(b"\n").map_or(&line[..], |l| l.strip_suffix(b"\r").unwrap_or(l)).len();
        if text_bytes > MAX_PROMPT_BYTES {
            return Err(Error::usage(format!(
                "line {number} of {source} is longer than a prompt can be ({} KiB)",
                MAX_PROMPT_BYTES / 1024
            )));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| Error::usage(format!("line {number} of {source} is not UTF-8 text")))?;
        let text = if number == 1 { strip_bom(text) } else { text };
        let prompt = text.trim();
        if prompt.is_empty() || prompt.starts_with('#') {
            continue;
        }
        if !has_text(prompt) {
            return Err(Error::usage(format!("line {number} of {source} holds no text, only control characters")));
        }
        let indent = text[..text.len() - text.trim_start().len()].chars().count();
        keep(prompt, Place { number, indent })?;
    }
    Ok(())
}

/// Whether a prompt has something to read: a NUL or an escape alone is no prompt, and
/// would be sent (and billed) for nothing.
fn has_text(prompt: &str) -> bool {
    prompt.chars().any(|c| !c.is_whitespace() && !c.is_control())
}

/// Editors on Windows start UTF-8 files with a byte-order mark; it is no part of a prompt.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(text: &str) -> Result<Vec<String>, Error> {
        sharded(text, None)
    }

    fn sharded(text: &str, shard: Option<Shard>) -> Result<Vec<String>, Error> {
        all(&Prompts::batch(text.as_bytes(), "prompts.txt", shard)?)
    }

    fn all(prompts: &Prompts) -> Result<Vec<String>, Error> {
        prompts.iter().map(|p| p.map(|p| p.to_string())).collect()
    }

    #[test]
    fn batch_files_skip_blank_and_comment_lines() {
        let text = "# a comment\nred panda\n\n   \n  # indented comment\n  a lighthouse  \r\nlast";
        assert_eq!(batch(text).unwrap(), ["red panda", "a lighthouse", "last"]);
        let prompts = Prompts::batch(text.as_bytes(), "p", None).unwrap();
        assert_eq!((prompts.len(), prompts.total), (3, 3));
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_the_first_prompt() {
        assert_eq!(batch("\u{feff}# comment\r\nred panda\r\n").unwrap(), ["red panda"]);
        assert_eq!(batch("\u{feff}red panda").unwrap(), ["red panda"]);
    }

    #[test]
    fn endless_input_is_refused_not_held() {
        let endless = BufReader::new(io::repeat(b'a'));
        let err = Prompts::batch(endless, "/dev/zero", None).unwrap_err();
        assert!(err.to_string().contains("line 1 of /dev/zero is longer than a prompt can be"), "{err}");
        let err = Prompts::batch(&b"ok\n\xff\xfe\n"[..], "p.txt", None).unwrap_err();
        assert!(err.to_string().contains("line 2 of p.txt is not UTF-8"), "{err}");
        assert_eq!(err.kind, Kind::Usage);
    }

    #[test]
    fn a_bad_last_line_fails_the_whole_batch() {
        let text: String = (0..10_000).map(|i| format!("prompt {i}\n")).collect();
        let err = Prompts::batch(format!("{text}\u{fffd}\n").as_bytes(), "p.txt", None).map(|_| ());
        assert!(err.is_ok(), "a replacement character is text");
        let mut bytes = text.clone().into_bytes();
        bytes.extend_from_slice(b"caf\xe9");
        let err = Prompts::batch(&bytes[..], "p.txt", None).unwrap_err();
        assert!(err.to_string().contains("line 10001 of p.txt is not UTF-8"), "{err}");
        for last in [format!("{}\n", "x".repeat(MAX_PROMPT_BYTES + 1)), "x".repeat(MAX_PROMPT_BYTES + 1)] {
            let err = Prompts::batch(format!("{text}{last}").as_bytes(), "p.txt", None).unwrap_err();
            assert!(err.to_string().contains("line 10001 of p.txt is longer"), "{err}");
        }
        let longest = format!("{text}{}\r\n", "x".repeat(MAX_PROMPT_BYTES));
        assert_eq!(Prompts::batch(longest.as_bytes(), "p.txt", None).unwrap().len(), 10_001);
    }

    #[test]
    fn a_file_without_prompts_is_a_usage_error() {
        let err = batch("# only a comment\n\n").unwrap_err();
        assert_eq!((err.kind, err.to_string()), (Kind::Usage, "prompts.txt holds no prompts".to_string()));
    }

    #[test]
    fn readers_keep_their_own_place() {
        let prompts = Prompts::batch("a\nb\nc\n".as_bytes(), "p", None).unwrap();
        let (mut one, mut two) = (prompts.iter(), prompts.clone().iter());
        assert_eq!(&*one.next().unwrap().unwrap(), "a");
        assert_eq!(&*one.next().unwrap().unwrap(), "b");
        assert_eq!(&*two.next().unwrap().unwrap(), "a");
        assert_eq!(&*one.next().unwrap().unwrap(), "c");
        assert!(one.next().is_none());
        assert_eq!(two.map(|p| p.unwrap().to_string()).collect::<Vec<_>>(), ["b", "c"]);
    }

    #[test]
    fn a_large_batch_is_read_back_in_order_with_its_longest_lines() {
        let long = "x".repeat(MAX_PROMPT_BYTES);
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("prompt {i}\n"));
            if i == 2500 {
                text.push_str(&long);
                text.push('\n');
            }
        }
        let read = batch(&text).unwrap();
        assert_eq!(read.len(), 5001);
        assert_eq!(read[2501], long);
        assert_eq!(read[5000], "prompt 4999");
    }

    #[test]
    fn shards_take_every_nth_kept_prompt_and_together_take_all_once() {
        // Comments and blank lines are not counted: numbers are among the prompts kept.
        let text = "# header\np1\np2\n\np3\np4\n# note\np5\np6\np7\n";
        let shard = |k, n| sharded(text, Some(Shard { k, n })).unwrap();
        assert_eq!(shard(1, 3), ["p1", "p4", "p7"]);
        assert_eq!(shard(2, 3), ["p2", "p5"]);
        assert_eq!(shard(3, 3), ["p3", "p6"]);
        let second = Prompts::batch(text.as_bytes(), "p", Some(Shard { k: 2, n: 3 })).unwrap();
        assert_eq!((second.number(0), second.number(1)), (2, 5), "p2 and p5");
        assert_eq!(Prompts::batch(text.as_bytes(), "p", None).unwrap().number(4), 5);
        assert_eq!(shard(1, 1), batch(text).unwrap());
        let mut all: Vec<String> = (1..=4).flat_map(|k| shard(k, 4)).collect();
        all.sort();
        assert_eq!(all, batch(text).unwrap());
        // More machines than prompts: some shards are empty, which is no error.
        let prompts = Prompts::batch(text.as_bytes(), "p", Some(Shard { k: 9, n: 10 })).unwrap();
        assert_eq!((prompts.len(), prompts.total), (0, 7));
        assert!(prompts.iter().next().is_none());
    }

    #[test]
    fn one_prompt_is_a_batch_of_one_to_a_shard() {
        let first = Prompts::one("red panda".into(), Some(Shard { k: 1, n: 3 }));
        assert_eq!(all(&first).unwrap(), ["red panda"]);
        let second = Prompts::one("red panda".into(), Some(Shard { k: 2, n: 3 }));
        assert!(second.is_empty());
        assert!(second.iter().next().is_none());
        assert_eq!(all(&Prompts::one("x".into(), None)).unwrap(), ["x"]);
    }

    fn templates() -> Reading {
        Reading::Templates(Arc::default())
    }

    fn expanded(text: &str, shard: Option<Shard>) -> Result<Vec<String>, Error> {
        all(&templates().batch(text.as_bytes(), "p.txt", shard)?)
    }

    #[test]
    fn each_line_of_a_batch_may_be_a_template_its_prompts_numbered_through_the_batch() {
        let text = "# colours\nplain\n{red|blue} fox\n\n  {a|b}{1|2}\n";
        assert_eq!(expanded(text, None).unwrap(), ["plain", "red fox", "blue fox", "a1", "a2", "b1", "b2"]);
        let prompts = templates().batch(text.as_bytes(), "p", None).unwrap();
        assert_eq!((prompts.len(), prompts.total, prompts.expanded()), (7, 7, true));
        // A shard takes the prompts by their numbers, whichever line made them.
        let shard = |k, n| expanded(text, Some(Shard { k, n })).unwrap();
        assert_eq!(shard(1, 3), ["plain", "a1", "b2"]);
        assert_eq!(shard(2, 3), ["red fox", "a2"]);
        assert_eq!(shard(3, 3), ["blue fox", "b1"]);
        let second = templates().batch(text.as_bytes(), "p", Some(Shard { k: 2, n: 3 })).unwrap();
        assert_eq!((second.len(), second.total, second.number(1)), (2, 7, 5));
        // As written, the same file is three prompts, braces and all.
        let written = Reading::AsWritten.batch(text.as_bytes(), "p", None).unwrap();
        assert_eq!(all(&written).unwrap(), ["plain", "{red|blue} fox", "{a|b}{1|2}"]);
        assert!(!written.expanded());
        // Without a choice, a template is its one prompt, its braces made single.
        let plain = templates().batch("{{\"a\": 1}}\n".as_bytes(), "p", None).unwrap();
        assert_eq!((all(&plain).unwrap(), plain.expanded()), (vec![r#"{"a": 1}"#.to_string()], false));
    }

    #[test]
    fn a_bad_template_line_names_its_line_and_its_column_there() {
        let err = expanded("ok\n\t  a {b|c\n", None).unwrap_err();
        assert_eq!(err.kind, Kind::Usage);
        assert_eq!(err.to_string(), r#"line 2 of p.txt: the template's brace at column 6 is never closed: "a {b|c""#);
        // Two lines of 2^63 prompts each: the batch's count would pass what a u64 holds.
        let half = "{a|b}".repeat(63);
        let err = expanded(&format!("{half}\n{half}\n"), None).unwrap_err();
        assert!(
            err.to_string().starts_with("line 2 of p.txt: the batch makes more prompts than can be counted"),
            "{err}"
        );
    }

    #[test]
    fn one_template_is_counted_at_once_and_its_prompts_made_as_read() {
        let one = |text: &str, shard| templates().one(text.to_string(), shard).unwrap();
        let colours = one("a {red|blue|green} fox", None);
        assert_eq!((colours.len(), colours.total, colours.several()), (3, 3, true));
        assert_eq!(all(&colours).unwrap(), ["a red fox", "a blue fox", "a green fox"]);
        assert_eq!(all(&one("{a|b|c|d}", Some(Shard { k: 2, n: 3 }))).unwrap(), ["b"]);
        assert_eq!(all(&Reading::AsWritten.one("{a|b}".into(), None).unwrap()).unwrap(), ["{a|b}"]);
        assert_eq!(all(&one("{{a|b}}", None)).unwrap(), ["{a|b}"]);
        // 10^18 prompts: counted, and the first two made, without the others.
        let digit = "{0|1|2|3|4|5|6|7|8|9}";
        let huge = one(&format!("n{}", digit.repeat(18)), None);
        assert_eq!(huge.total, 1_000_000_000_000_000_000);
        let first: Vec<String> = huge.iter().take(2).map(|p| p.unwrap().to_string()).collect();
        assert_eq!(first, [format!("n{}", "0".repeat(18)), format!("n{}1", "0".repeat(17))]);
        let err = templates().one("{a||b}".into(), None).unwrap_err();
        assert!(err.to_string().contains("column 1 hold an empty alternative"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_no_part_of_a_piped_prompt() {
        let mut stdin = std::io::Cursor::new("\u{feff}a lighthouse\n");
        assert_eq!(read_prompt_from_stdin(&mut stdin).unwrap(), "a lighthouse");
    }

    #[test]
    fn endless_standard_input_is_refused_not_held() {
        let err = read_prompt_from_stdin(&mut std::io::repeat(0)).unwrap_err();
        assert!(err.to_string().contains("longer than 64 KiB"), "{err}");
    }

    #[test]
    fn empty_prompts_are_refused() {
        assert!(checked_prompt("  \n\t".into()).is_err());
        assert!(checked_prompt("x".into()).is_ok());
        for nothing in ["\0", "\u{1b}", " \0\u{7f} ", "\u{1b}[2J"] {
            let refused = checked_prompt(nothing.into());
            // `\u{1b}[2J` holds `[2J`: text, if odd; only a prompt of nothing but controls is refused.
            assert_eq!(refused.is_err(), nothing != "\u{1b}[2J", "{nothing:?}");
        }
        let batch = batch("a fox\n\0\nan owl\n").unwrap_err().to_string();
        assert_eq!(batch, "line 2 of prompts.txt holds no text, only control characters");
    }

    #[test]
    fn stdin_prompts_lose_only_the_trailing_newline() {
        let mut stdin = std::io::Cursor::new("  a red panda \n");
        assert_eq!(read_prompt_from_stdin(&mut stdin).unwrap(), "  a red panda ");
    }
}

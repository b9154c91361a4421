//! The prompts of a run, read as they are needed: one from the command line or standard
//! input, or a batch checked whole first and then read back a line at a time.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use crate::error::{Error, Kind};
use crate::settings::MAX_PROMPT_BYTES;

/// `--shard K/N`: the prompts whose number among those kept (counting from 1) is K
/// modulo N, so that N machines share one prompt file without a word between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    /// `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let whole = |t: &str| t.trim().parse::<u64>().ok().filter(|_| t.trim().bytes().all(|b| b.is_ascii_digit()));
        match text.split_once('/').and_then(|(k, n)| Some((whole(k)?, whole(n)?))) {
            Some((k, n)) if (1..=n).contains(&k) => Ok(Self { k, n }),
            _ => Err("must be K/N with 1 ≤ K ≤ N, e.g. 2/8 for the second of eight machines".to_string()),
        }
    }

    /// Whether the prompt numbered `number` (from 1, among the prompts kept) is this shard's.
    pub fn keeps(&self, number: u64) -> bool {
        number % self.n == self.k % self.n
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The prompts of a run. A batch is never held: its prompts are checked as the file is
/// read, those of this shard are written to an unnamed temporary file (gone with the
/// process, however it ends), and read back one line at a time as requests need them.
/// So 100,000 prompts cost a disk file, not memory; and a bad line stops the run
/// before anything is sent, as it always did.
#[derive(Debug)]
pub struct Prompts {
    kept: Kept,
    len: usize,
    /// Prompts in the batch before `--shard` took its share.
    pub total: u64,
    pub shard: Option<Shard>,
}

#[derive(Debug)]
enum Kept {
    Held(Vec<String>),
    /// One prompt per line. Readers keep their own offsets and seek under the lock, so
    /// any number of them may read at once.
    Spooled(Mutex<File>),
}

impl Prompts {
    /// The one prompt of a run that has no batch.
    pub fn one(prompt: String) -> Self {
        Self { kept: Kept::Held(vec![prompt]), len: 1, total: 1, shard: None }
    }

    /// A batch: one prompt per line, read line by line (never more than a line's limit
    /// at once); blank lines and lines starting with `#` skipped, a leading byte-order
    /// mark too. With `shard`, only its share is kept.
    pub fn batch(reader: impl BufRead, source: &str, shard: Option<Shard>) -> Result<Self, Error> {
        let spool_failed = |e: io::Error| Error::io("cannot keep the prompts in a temporary file", &e);
        let mut spool = tempfile::tempfile().map_err(spool_failed)?;
        let (mut total, mut len) = (0u64, 0usize);
        {
            let mut out = BufWriter::with_capacity(1 << 16, &mut spool);
            each_prompt(reader, source, |prompt| {
                total += 1;
                if shard.is_none_or(|s| s.keeps(total)) {
                    len += 1;
                    out.write_all(prompt.as_bytes()).and_then(|()| out.write_all(b"\n")).map_err(spool_failed)?;
                }
                Ok(())
            })?;
            out.flush().map_err(spool_failed)?;
        }
        if total == 0 {
            return Err(Error::usage(format!("{source} holds no prompts")));
        }
        Ok(Self { kept: Kept::Spooled(Mutex::new(spool)), len, total, shard })
    }

    /// How many prompts the run has (this shard's, with `--shard`).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of the prompt at `index` (from 0) in the whole batch, counting the
    /// prompts kept from 1: what a user finds in the file, whatever the shard.
    pub fn number(&self, index: usize) -> u64 {
        let index = index as u64;
        match self.shard {
            Some(Shard { k, n }) => index.saturating_mul(n).saturating_add(k),
            None => index + 1,
        }
    }

    /// The prompts in order, each read when asked for.
    pub fn iter(&self) -> PromptIter<'_> {
        match &self.kept {
            Kept::Held(prompts) => PromptIter::Held(prompts.iter()),
            Kept::Spooled(file) => {
                let line = Vec::with_capacity(256);
                PromptIter::Spooled { reader: BufReader::with_capacity(1 << 16, Shared { file, offset: 0 }), line }
            }
        }
    }
}

/// The prompts of a run one at a time; `Err` only if the temporary file cannot be read back.
#[derive(Debug)]
pub enum PromptIter<'a> {
    Held(std::slice::Iter<'a, String>),
    Spooled { reader: BufReader<Shared<'a>>, line: Vec<u8> },
}

impl Iterator for PromptIter<'_> {
    type Item = Result<String, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Held(prompts) => prompts.next().cloned().map(Ok),
            Self::Spooled { reader, line } => {
                line.clear();
                match reader.read_until(b'\n', line) {
                    Ok(0) => None,
                    Ok(_) => {
                        line.pop();
                        // Written as checked UTF-8 by `batch`.
                        Some(String::from_utf8(std::mem::take(line)).map_err(|_| spool_damaged()))
                    }
                    Err(e) => Some(Err(Error::io("cannot read the prompts back", &e))),
                }
            }
        }
    }
}

fn spool_damaged() -> Error {
    Error::new(Kind::Other, "the temporary file of prompts was changed while the run read it")
}

/// A reader of the shared temporary file with an offset of its own.
#[derive(Debug)]
pub struct Shared<'a> {
    file: &'a Mutex<File>,
    offset: u64,
}

impl Read for Shared<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.seek(SeekFrom::Start(self.offset))?;
        let n = file.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// Calls `keep` with each prompt of a batch in order, checking every line: too long
/// or not UTF-8 is a usage error naming the line.
fn each_prompt(
    mut reader: impl BufRead,
    source: &str,
    mut keep: impl FnMut(&str) -> Result<(), Error>,
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
        if read as u64 == limit && !line.ends_with(b"\n") {
            return Err(Error::usage(format!(
                "line {number} of {source} is longer than a prompt can be ({} KiB)",
                MAX_PROMPT_BYTES / 1024
            )));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| Error::usage(format!("line {number} of {source} is not UTF-8 text")))?;
        let text = if number == 1 { strip_bom(text) } else { text };
        let prompt = text.trim();
        if !prompt.is_empty() && !prompt.starts_with('#') {
            keep(prompt)?;
        }
    }
    Ok(())
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
        Prompts::batch(text.as_bytes(), "prompts.txt", shard)?.iter().collect()
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
    fn a_file_without_prompts_is_a_usage_error() {
        let err = batch("# only a comment\n\n").unwrap_err();
        assert_eq!((err.kind, err.to_string()), (Kind::Usage, "prompts.txt holds no prompts".to_string()));
    }

    #[test]
    fn readers_keep_their_own_place() {
        let prompts = Prompts::batch("a\nb\nc\n".as_bytes(), "p", None).unwrap();
        let (mut one, mut two) = (prompts.iter(), prompts.iter());
        assert_eq!(one.next().unwrap().unwrap(), "a");
        assert_eq!(one.next().unwrap().unwrap(), "b");
        assert_eq!(two.next().unwrap().unwrap(), "a");
        assert_eq!(one.next().unwrap().unwrap(), "c");
        assert!(one.next().is_none());
        assert_eq!(two.collect::<Result<Vec<_>, _>>().unwrap(), ["b", "c"]);
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
    fn shards_parse_as_k_of_n() {
        assert_eq!(Shard::parse("1/1"), Ok(Shard { k: 1, n: 1 }));
        assert_eq!(Shard::parse("3/8"), Ok(Shard { k: 3, n: 8 }));
        assert_eq!(Shard::parse("8/8").unwrap().to_string(), "8/8");
        for bad in ["0/4", "5/4", "1/0", "0/0", "1", "a/b", "-1/4", "+1/4", "1/4/2", "", "/", "1.5/4"] {
            assert!(Shard::parse(bad).is_err(), "{bad:?}");
        }
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
}

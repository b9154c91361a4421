//! `--var NAME=FILE`: the values a template's `{NAME}` takes, one a line of FILE.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;

/// The largest file of values read: its values are held for the whole run (a template's
/// prompts are made from them as they are needed), so it is bounded.
pub const MAX_VAR_FILE_BYTES: usize = 1024 * 1024;

/// The variables of a run, each with its values in the order of its file.
#[derive(Debug, Default)]
pub struct Vars {
    vars: Vec<Var>,
}

#[derive(Debug)]
struct Var {
    name: String,
    /// `NAME=FILE` as given, for messages.
    given: String,
    values: Arc<[String]>,
    /// A template named it: one given and never named is a mistake, said before sending.
    used: AtomicBool,
}

impl Vars {
    /// Reads each `NAME=FILE`: a file of one value a line, read as a batch file is (blank
    /// lines and lines starting with `#` skipped, each line trimmed); a name given twice, a
    /// file missing, empty or over [`MAX_VAR_FILE_BYTES`] is a usage error.
    pub fn load(args: &[String]) -> Result<Self, Error> {
        let mut vars: Vec<Var> = Vec::new();
        for given in args {
            let Some((name, file)) = given.split_once('=') else {
                return Err(Error::usage(format!("--var {given:?} is not NAME=FILE"))
                    .with_hint("--var city=cities.txt gives {city} in the prompt the lines of cities.txt"));
            };
            if !is_name(name) {
                return Err(Error::usage(format!(
                    "--var {given:?}: a variable's name is letters, digits, `_` and `-`, starting with a letter or `_`"
                )));
            }
            if vars.iter().any(|var| var.name == name) {
                return Err(Error::usage(format!("--var {name} is given twice")));
            }
            let values = read_values(given, file)?;
            vars.push(Var { name: name.to_string(), given: given.clone(), values, used: AtomicBool::new(false) });
        }
        Ok(Self { vars })
    }

    /// The values of `name`, if it was given (it is then used).
    pub fn values(&self, name: &str) -> Option<Arc<[String]>> {
        let var = self.vars.iter().find(|var| var.name == name)?;
        var.used.store(true, Ordering::Relaxed);
        Some(Arc::clone(&var.values))
    }

    /// A variable given and named by no prompt: a misspelt name in the prompt or the flag,
    /// which would otherwise go unnoticed (and be paid for) until the images come back.
    pub fn check_all_used(&self) -> Result<(), Error> {
        match self.vars.iter().find(|var| !var.used.load(Ordering::Relaxed)) {
            Some(var) => {
                Err(Error::usage(format!("--var {} is not used: no prompt names {{{}}}", var.given, var.name))
                    .with_hint(format!(
                        "put {{{}}} in the prompt where its values go, or leave the --var out",
                        var.name
                    )))
            }
            None => Ok(()),
        }
    }
}

/// A variable's name: what `--var` takes and `{NAME}` names.
pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn read_values(given: &str, file: &str) -> Result<Arc<[String]>, Error> {
    let cannot = |why: &dyn std::fmt::Display| Error::usage(format!("--var {given}: cannot read {file}: {why}"));
    match file {
        "" => return Err(Error::usage(format!("--var {given} names no file"))),
        // Standard input is the prompt's (or the batch's); and a pipe read here could not be read again.
        "-" => return Err(Error::usage(format!("--var {given}: values are read from a file, not standard input"))),
        _ => {}
    }
    let opened = std::fs::File::open(file).map_err(|e| cannot(&e))?;
    if opened.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(cannot(&"it is a directory"));
    }
    let mut bytes = Vec::new();
    opened.take(MAX_VAR_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| cannot(&e))?;
    if bytes.len() > MAX_VAR_FILE_BYTES {
        return Err(Error::usage(format!(
            "--var {given}: {file} is larger than {} MiB, the most a file of values may be",
            MAX_VAR_FILE_BYTES / (1024 * 1024)
        ))
        .with_hint("its values are held for the whole run; a batch file (-f) of whole prompts has no such limit"));
    }
    let mut values = Vec::new();
    super::each_prompt(&bytes[..], file, |value, _| {
        values.push(value.to_string());
        Ok(())
    })?;
    if values.is_empty() {
        return Err(Error::usage(format!("--var {given}: {file} holds no values"))
            .with_hint("one value a line; blank lines and lines starting with # are skipped"));
    }
    Ok(values.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    #[test]
    fn values_are_the_lines_of_the_file_as_a_batch_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let cities = file(&dir, "cities.txt", "\u{feff}# where\nParis\n\n  Lagos \r\n#not this\nKyoto".as_bytes());
        let vars = Vars::load(&[format!("city={cities}")]).unwrap();
        assert_eq!(&*vars.values("city").unwrap(), ["Paris", "Lagos", "Kyoto"]);
        assert!(vars.values("town").is_none());
        vars.check_all_used().unwrap();
    }

    #[test]
    fn a_variable_no_prompt_names_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let colours = file(&dir, "c.txt", b"red\n");
        let vars = Vars::load(&[format!("colour={colours}")]).unwrap();
        let error = vars.check_all_used().unwrap_err();
        assert_eq!(error.to_string(), format!("--var colour={colours} is not used: no prompt names {{colour}}"));
    }

    #[test]
    fn bad_flags_and_files_are_usage_errors_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let ok = file(&dir, "ok.txt", b"a\n");
        let empty = file(&dir, "empty.txt", b"# nothing\n\n");
        let big = file(&dir, "big.txt", &vec![b'a'; MAX_VAR_FILE_BYTES + 1]);
        let binary = file(&dir, "bin.txt", b"a\n\xff\n");
        let missing = dir.path().join("missing.txt").display().to_string();
        let folder = dir.path().display().to_string();
        let cases = [
            (vec!["city".to_string()], "is not NAME=FILE".to_string()),
            (vec![format!("1city={ok}")], "a variable's name is letters".to_string()),
            (vec![format!("a b={ok}")], "a variable's name is letters".to_string()),
            (vec![format!("c={ok}"), format!("c={ok}")], "--var c is given twice".to_string()),
            (vec!["c=".to_string()], "names no file".to_string()),
            (vec!["c=-".to_string()], "not standard input".to_string()),
            (vec![format!("c={empty}")], format!("{empty} holds no values")),
            (vec![format!("c={big}")], "is larger than 1 MiB".to_string()),
            (vec![format!("c={binary}")], format!("line 2 of {binary} is not UTF-8")),
            (vec![format!("c={missing}")], format!("cannot read {missing}")),
            (vec![format!("c={folder}")], "it is a directory".to_string()),
        ];
        for (args, needle) in cases {
            let error = Vars::load(&args).unwrap_err();
            assert_eq!(error.kind, Kind::Usage, "{args:?}");
            assert!(error.to_string().contains(&needle), "{args:?}: {error}");
        }
        let exactly = file(&dir, "max.txt", &b"value78\n".repeat(MAX_VAR_FILE_BYTES / 8));
        assert_eq!(Vars::load(&[format!("c={exactly}")]).unwrap().values("c").unwrap().len(), MAX_VAR_FILE_BYTES / 8);
    }

    #[test]
    fn names_are_identifiers() {
        for good in ["city", "_x", "a-b", "Style2"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "2x", "-a", "a b", "é", "a|b", "a.b"] {
            assert!(!is_name(bad), "{bad}");
        }
    }
}

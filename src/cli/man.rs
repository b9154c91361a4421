//! The man pages in `man/` (`wan.1`, and `wan-SUBCOMMAND.1` for each subcommand), written
//! from the clap interface by clap_mangen, and a test that fails when they drift from it.
//!
//! A test rather than a `wan man` command: the pages are committed, so the binary need not
//! carry a generator that nobody runs. `WAN_UPDATE_MAN=1 cargo test man_pages` rewrites them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::Cli;

/// Every page, by file name, as clap_mangen writes it, mended where its roff reads wrong.
fn pages() -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().expect("a temporary folder");
    let command = Cli::command();
    clap_mangen::generate_to(command.clone(), out.path()).expect("the pages are written");
    let repeated = repeated_positionals(&command, "wan");
    read_pages(out.path())
        .into_iter()
        .map(|(name, page)| {
            let page = String::from_utf8(page).expect("a page is UTF-8");
            let names = repeated.get(name.trim_end_matches(".1")).map_or(&[][..], Vec::as_slice);
            (name, mended(&page, names).into_bytes())
        })
        .collect()
}

/// Each page's positionals that take several values (`wan-video-wait` → `TASK`), by page
/// name: clap_mangen shows them as `<TASK>`, one, where `--help` says `<TASK>...`.
fn repeated_positionals(command: &clap::Command, page: &str) -> BTreeMap<String, Vec<String>> {
    let mut found = BTreeMap::new();
    let names: Vec<String> = command
        .get_positionals()
        .filter(|arg| arg.get_num_args().is_some_and(|range| range.max_values() > 1))
        .filter_map(|arg| arg.get_value_names().and_then(|names| names.first()).map(|name| name.to_string()))
        .collect();
    found.insert(page.to_string(), names);
    for sub in command.get_subcommands() {
        found.extend(repeated_positionals(sub, &format!("{page}-{}", sub.get_name())));
    }
    found
}

/// The page with its after-help text (examples, variables, exit codes: columns) set as
/// written rather than filled into ragged prose, and each repeated positional shown so.
fn mended(page: &str, repeated: &[String]) -> String {
    let mut page = match page.split_once(".SH EXTRA\n") {
        Some((before, after)) => {
            let (extra, rest) = match after.find("\n.SH ") {
                Some(end) => after.split_at(end + 1),
                None => (after, ""),
            };
            format!("{before}.SH EXTRA\n.nf\n{}\n.fi\n{rest}", extra.trim_end_matches('\n'))
        }
        None => page.to_string(),
    };
    for name in repeated {
        for (open, close) in [("<", ">"), ("[", "]")] {
            let one = format!("{open}\\fI{name}\\fR{close}");
            page = page.replace(&one, &format!("{one}..."));
        }
    }
    page
}

fn read_pages(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "1"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, fs::read(&path).expect("a readable page"))
        })
        .collect()
}

#[test]
fn committed_man_pages_match_the_interface() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let made = pages();
    assert!(made.contains_key("wan.1") && made.contains_key("wan-generate.1"), "{:?}", made.keys());
    if std::env::var_os("WAN_UPDATE_MAN").is_some() {
        fs::create_dir_all(&folder).expect("man/ can be made");
        for stale in read_pages(&folder).keys().filter(|name| !made.contains_key(*name)) {
            fs::remove_file(folder.join(stale)).expect("a stale page can be removed");
        }
        for (name, page) in &made {
            fs::write(folder.join(name), page).expect("a page can be written");
        }
    }
    let committed = read_pages(&folder);
    let names = |pages: &BTreeMap<String, Vec<u8>>| pages.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&committed), names(&made), "man/ is stale: run WAN_UPDATE_MAN=1 cargo test man_pages");
    for (name, page) in &made {
        assert!(committed[name] == *page, "man/{name} is stale: run WAN_UPDATE_MAN=1 cargo test man_pages");
    }
}

#[test]
fn examples_and_tables_are_set_as_written_and_repeated_arguments_say_so() {
    let made = pages();
    let page = |name: &str| String::from_utf8(made[name].clone()).unwrap();
    let generate = page("wan-generate.1");
    let extra = generate.split_once(".SH EXTRA\n").expect("the after-help section").1;
    assert!(extra.starts_with(".nf\n") && extra.contains("\n.fi\n"), "no-fill around the columns: {extra}");
    assert!(page("wan-video-wait.1").contains("<\\fITASK\\fR>..."));
    assert!(page("wan-edit.1").contains("<\\fIIMAGE\\fR>... <\\fIPROMPT\\fR> "), "{}", page("wan-edit.1"));
    assert!(!page("wan-edit.1").contains("<\\fIPROMPT\\fR>..."), "a single argument stays single");
}

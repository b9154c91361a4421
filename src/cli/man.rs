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

/// Every page, by file name, as clap_mangen writes it.
fn pages() -> BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().expect("a temporary folder");
    clap_mangen::generate_to(Cli::command(), out.path()).expect("the pages are written");
    read_pages(out.path())
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

//! The test cases: a module per command, then a module per promise that holds across them.

// The commands, one module each, named as on the command line (`models` holds the catalogue it lists).
mod balance;
mod completions;
mod config;
mod cost;
mod doctor;
mod edit;
mod emulator;
mod gallery;
mod generate;
mod history;
mod info;
mod mcp;
mod models;
mod offline;
mod regen;
mod resume;
mod skill;
mod video;

// The promises that hold across the commands: what a run costs, how it fails and recovers, the
// key kept safe, what each file says of itself, a matrix of models, the files and output it
// leaves, the route it takes, how it scales, the prompts a template makes, the shape asked of
// each model, and an edit's mask.
mod aspect;
mod billing;
mod errors;
mod faults;
mod key_safety;
mod labels;
mod mask;
mod matrix;
mod output;
mod progress;
mod routes;
mod scale;
mod templates;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// A file or folder in `tests/cases/` that no `mod` line above names is not compiled: its
/// tests would silently never run (jj's `test_no_forgotten_test_files` keeps the same watch).
#[test]
fn every_file_in_cases_is_a_module_of_the_binary() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let list = fs::read_to_string(cases.join("mod.rs")).unwrap();
    let declared: BTreeSet<&str> =
        list.lines().filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';')).collect();
    let mut forgotten = Vec::new();
    for entry in fs::read_dir(&cases).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let module = if entry.path().is_dir() { Some(name.as_str()) } else { name.strip_suffix(".rs") };
        if module.is_some_and(|module| module != "mod" && !declared.contains(module)) {
            forgotten.push(name);
        }
    }
    forgotten.sort();
    assert!(
        forgotten.is_empty(),
        "tests/cases/ holds {forgotten:?}, which tests/cases/mod.rs does not declare, so its tests never run: \
         add `mod NAME;` to the list there"
    );
}

//! `wan completions` and `--help`: committed scripts match the binary and suggest values; each help has examples.

use std::fs;

use crate::support::*;

const SHELLS: [(&str, &str); 5] =
    [("bash", "wan.bash"), ("zsh", "_wan"), ("fish", "wan.fish"), ("powershell", "_wan.ps1"), ("elvish", "wan.elv")];

/// Fails when a committed completion script differs from what the binary prints.
/// `WAN_UPDATE_COMPLETIONS=1 cargo test completions` rewrites them instead.
#[test]
fn committed_completions_match_the_binary() {
    let sb = Sandbox::new();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in SHELLS {
        let out = sb.wan().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(stdout_of(&out).contains("generate"), "{shell}");
        let path = folder.join(file);
        if std::env::var_os("WAN_UPDATE_COMPLETIONS").is_some() {
            fs::write(&path, &out.stdout).unwrap();
        }
        let committed = fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run WAN_UPDATE_COMPLETIONS=1 cargo test completions"
        );
    }
}

#[test]
fn every_help_has_examples_environment_and_exit_codes() {
    let sb = Sandbox::new();
    for args in [vec!["--help"], vec!["generate", "--help"], vec!["edit", "--help"]] {
        let help = stdout_of(&sb.wan().args(&args).output().unwrap());
        for needle in ["Examples:", "AISA_API_KEY", "Exit codes:", "7    partial"] {
            assert!(help.contains(needle), "{args:?} lacks {needle:?}");
        }
    }
    assert_eq!(help_exit_codes(&sb), readme_exit_codes(), "--help and the README must give the same exit codes");
    for args in [["models", "--help"], ["completions", "--help"]] {
        assert!(stdout_of(&sb.wan().args(args).output().unwrap()).contains("Examples:"), "{args:?}");
    }
}

/// The exit-code table of `wan --help`, as (code, meaning) pairs.
fn help_exit_codes(sb: &Sandbox) -> Vec<(String, String)> {
    let help = stdout_of(&sb.wan().arg("--help").output().unwrap());
    let table = help.split("Exit codes:\n").nth(1).unwrap();
    table
        .lines()
        .take_while(|line| line.starts_with("  "))
        .map(|line| {
            let (code, meaning) = line.trim().split_once(' ').unwrap();
            (code.to_string(), meaning.trim().to_string())
        })
        .collect()
}

/// The README's exit-code table, with its code formatting dropped.
fn readme_exit_codes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme.split("## Exit codes").nth(1).unwrap().split("\n## ").next().unwrap();
    table
        .lines()
        .filter(|line| line.starts_with("| ") && line.as_bytes().get(2).is_some_and(u8::is_ascii_digit))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            (cells[0].trim_start_matches("| ").to_string(), cells[1].trim_end_matches(" |").replace('`', ""))
        })
        .collect()
}

#[test]
fn completions_suggest_models_folders_and_sizes_without_refusing_others() {
    let sb = Sandbox::new();
    let bash = stdout_of(&sb.wan().args(["completions", "zsh"]).output().unwrap());
    assert!(bash.contains("wan2.7-image-pro"), "models are offered");
    assert!(bash.contains("1024x1024"), "sizes are offered");
    assert!(bash.contains("_files -/"), "-o offers folders only");
    let other =
        sb.wan().args(["generate", "x", "-m", "my-own-model", "--size", "640x480", "--dry-run"]).output().unwrap();
    assert_eq!(other.status.code(), Some(0), "{}", stderr_of(&other));
    assert!(stdout_of(&other).contains("\"my-own-model\""));
}

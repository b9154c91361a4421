//! `wan completions` and `--help`: committed scripts match the binary and suggest values; each help has examples.

use crate::support::*;

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

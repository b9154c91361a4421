//! `wan` on a terminal: run under util-linux's `script`, which gives it a pseudo-terminal
//! for standard input, output and error, and copies what it wrote (both streams, as a
//! terminal shows them) to its own standard output. Where `script` is missing, the caller
//! skips and says so.

use std::process::{Command, Output};

/// `wan ARGS` on a terminal, with `base` as `wan`'s environment (already scrubbed); `None`
/// where there is no `script` to make one.
pub fn on_terminal(base: &Command, args: &[&str]) -> Option<Output> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux's `script` is not installed, so no terminal can be made");
        return None;
    }
    let quoted: Vec<String> = std::iter::once(base.get_program().to_string_lossy().into_owned())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
        .collect();
    let mut script = Command::new("script");
    script.args(["-qec", &quoted.join(" "), "/dev/null"]).env_clear();
    for (key, value) in base.get_envs() {
        if let Some(value) = value {
            script.env(key, value);
        }
    }
    if let Some(dir) = base.get_current_dir() {
        script.current_dir(dir);
    }
    Some(script.output().unwrap())
}

//! What the process environment offers, read once, so that it can be faked in tests.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::paths::Dirs;

/// What the process environment offers, read once so it can be faked in tests.
/// No `Debug`: it holds the key.
#[derive(Default)]
pub struct Env {
    pub api_key: Option<String>,
    pub model: Option<String>,
    /// `AISA_BASE_URL`.
    pub base_url: Option<String>,
    /// `WAN_ROUTE`.
    pub route: Option<String>,
    /// Where the config file and the state folder are.
    pub dirs: Dirs,
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` set and not empty, or `TERM=dumb`.
    pub no_color: bool,
    /// The state folder (`dirs.state_dir()`), where the journal and remembered routes live.
    pub state_dir: Option<PathBuf>,
    /// `WAN_JOURNAL=off` (or `0`, `false`, `no`).
    pub journal_off: bool,
    /// `WAN_OFFLINE` as set; checked where the offline setting is decided.
    pub offline_var: Option<String>,
    /// The emulator inside `wan` is running, and `base_url` and `api_key` point at it.
    pub offline: bool,
}

impl Env {
    pub fn from_process() -> Self {
        let dirs = Dirs::from_process();
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Self {
            // Read as bytes would lose nothing, but a key that is not Unicode is no key:
            // `ApiKey::new` refuses what is not printable ASCII anyway.
            api_key: std::env::var_os("AISA_API_KEY")
                .map(|v| v.to_string_lossy().into_owned())
                .filter(|v| !v.trim().is_empty()),
            model: var("WAN_MODEL"),
            base_url: var("AISA_BASE_URL"),
            route: var("WAN_ROUTE"),
            state_dir: dirs.state_dir(),
            dirs,
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some() || std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            journal_off: var("WAN_JOURNAL").is_some_and(|v| matches!(v.trim(), "off" | "0" | "false" | "no")),
            offline_var: var("WAN_OFFLINE"),
            offline: false,
        }
    }
}

//! Where `wan` keeps what it learns between runs: `$WAN_STATE_DIR`, else
//! `$XDG_STATE_HOME/wan`, else `~/.local/state/wan` (the XDG base-directory rule; a few
//! lines rather than a crate, since the contract names the exact order).

use std::path::PathBuf;

/// The state folder, if the environment names one (it need not exist yet).
pub fn dir() -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    dir_from(var("WAN_STATE_DIR"), var("XDG_STATE_HOME"), var("HOME"))
}

pub fn dir_from(wan: Option<PathBuf>, xdg: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    // XDG says a relative path in its variables is invalid and to be ignored.
    wan.or_else(|| xdg.filter(|x| x.is_absolute()).map(|x| x.join("wan")))
        .or_else(|| home.map(|h| h.join(".local/state/wan")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_contract_order() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(dir_from(p("/w"), p("/x"), p("/h")), p("/w"));
        assert_eq!(dir_from(None, p("/x"), p("/h")), p("/x/wan"));
        assert_eq!(dir_from(None, p("rel"), p("/h")), p("/h/.local/state/wan"));
        assert_eq!(dir_from(None, None, p("/h")), p("/h/.local/state/wan"));
        assert_eq!(dir_from(None, None, None), None);
    }
}

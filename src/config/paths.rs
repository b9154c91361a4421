//! Where `wan`'s own files live: the config file and the state folder, from `WAN_CONFIG` and
//! `WAN_STATE_DIR`, the XDG variables or `HOME`; and `~/` in a path from the config file.

use std::path::PathBuf;

use crate::error::Error;

/// The variables that say where `wan`'s files go, read once with the rest of the environment.
#[derive(Clone, Debug, Default)]
pub struct Dirs {
    /// `WAN_CONFIG`: the config file itself.
    pub config: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    /// `WAN_STATE_DIR`: the state folder itself.
    pub state: Option<PathBuf>,
    pub xdg_state_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
}

impl Dirs {
    pub fn from_process() -> Self {
        // Only `HOME`, never the password database: a test (or a user) that clears the
        // environment must not have `wan` read a real home's config behind its back.
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Self {
            config: var("WAN_CONFIG"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            state: var("WAN_STATE_DIR"),
            xdg_state_home: var("XDG_STATE_HOME"),
            home: var("HOME"),
        }
    }

    /// `$WAN_CONFIG`, else `$XDG_CONFIG_HOME/wan/config.toml`, else `~/.config/wan/config.toml`;
    /// `None` when none of them is set.
    pub fn config_file(&self) -> Option<PathBuf> {
        if let Some(path) = &self.config {
            return Some(path.clone());
        }
        Some(self.xdg_or_home(&self.xdg_config_home, ".config")?.join("wan").join("config.toml"))
    }

    /// `$WAN_STATE_DIR`, else `$XDG_STATE_HOME/wan`, else `~/.local/state/wan`.
    pub fn state_dir(&self) -> Option<PathBuf> {
        if let Some(path) = &self.state {
            return Some(path.clone());
        }
        Some(self.xdg_or_home(&self.xdg_state_home, ".local/state")?.join("wan"))
    }

    /// The XDG folder where it is set and absolute (the XDG spec says a relative one is
    /// to be ignored), else the usual folder under the home.
    fn xdg_or_home(&self, xdg: &Option<PathBuf>, under_home: &str) -> Option<PathBuf> {
        match xdg {
            Some(dir) if dir.is_absolute() => Some(dir.clone()),
            _ => Some(self.home.as_ref()?.join(under_home)),
        }
    }

    /// A path written in the config file, taken as a flag is: relative to the current
    /// folder, except that a leading `~/` (or a lone `~`) is the home folder, as a shell
    /// would have made it.
    pub fn expand_home(&self, text: &str) -> Result<PathBuf, Error> {
        let rest = match text.strip_prefix('~') {
            Some("") => "",
            Some(rest) if rest.starts_with('/') => rest.trim_start_matches('/'),
            // `~user/…` is not expanded: that needs the password database.
            _ => return Ok(PathBuf::from(text)),
        };
        let home =
            self.home.as_deref().ok_or_else(|| Error::usage(format!("{text:?} starts with ~ but HOME is not set")))?;
        Ok(if rest.is_empty() { home.to_path_buf() } else { home.join(rest) })
    }

    /// `-o '~/x'` (quoted, so the shell left the `~`) as the config file's `out` and
    /// `wan mcp --out` take it: the home folder, not a folder named `~`.
    pub fn expand_home_path(&self, path: PathBuf) -> Result<PathBuf, Error> {
        match path.to_str() {
            Some(text) if text.starts_with('~') => self.expand_home(text),
            _ => Ok(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn dirs(home: Option<&str>) -> Dirs {
        Dirs { home: home.map(PathBuf::from), ..Dirs::default() }
    }

    #[test]
    fn the_config_file_is_wan_config_else_xdg_else_home() {
        let mut d = dirs(Some("/home/u"));
        assert_eq!(d.config_file().unwrap(), Path::new("/home/u/.config/wan/config.toml"));
        d.xdg_config_home = Some("relative/ignored".into());
        assert_eq!(d.config_file().unwrap(), Path::new("/home/u/.config/wan/config.toml"));
        d.xdg_config_home = Some("/xdg".into());
        assert_eq!(d.config_file().unwrap(), Path::new("/xdg/wan/config.toml"));
        d.config = Some("my.toml".into());
        assert_eq!(d.config_file().unwrap(), Path::new("my.toml"));
        assert_eq!(dirs(None).config_file(), None);
    }

    #[test]
    fn the_state_dir_is_wan_state_dir_else_xdg_else_home() {
        let mut d = dirs(Some("/home/u"));
        assert_eq!(d.state_dir().unwrap(), Path::new("/home/u/.local/state/wan"));
        d.xdg_state_home = Some("/xdg/state".into());
        assert_eq!(d.state_dir().unwrap(), Path::new("/xdg/state/wan"));
        d.state = Some("/var/wan".into());
        assert_eq!(d.state_dir().unwrap(), Path::new("/var/wan"));
        assert_eq!(dirs(None).state_dir(), None);
    }

    #[test]
    fn only_a_leading_tilde_slash_is_the_home() {
        let d = dirs(Some("/home/u"));
        assert_eq!(d.expand_home("~/Pictures/wan").unwrap(), Path::new("/home/u/Pictures/wan"));
        assert_eq!(d.expand_home("~").unwrap(), Path::new("/home/u"));
        assert_eq!(d.expand_home("out/~/x").unwrap(), Path::new("out/~/x"));
        assert_eq!(d.expand_home("~bob/x").unwrap(), Path::new("~bob/x"));
        assert_eq!(d.expand_home("/abs").unwrap(), Path::new("/abs"));
        assert!(dirs(None).expand_home("~/x").is_err());
    }
}

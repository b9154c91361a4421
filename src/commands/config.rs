//! `wan config path` and `wan config show`: where the config file is, and each setting in
//! force with where it came from; the key only as set or not, never run, never shown.

use crate::cli::ConfigAction;
use crate::config::env::Env;
use crate::config::precedence::{self, Flags, KeySource, Resolved, Source};
use crate::config::{self, Config};
use crate::error::Error;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

pub fn run(action: ConfigAction, env: &Env) -> Result<Outcome, Error> {
    let mut stdout = Stdout::default();
    match action {
        ConfigAction::Path => {
            let path = env.dirs.config_file().ok_or_else(no_path)?;
            // Its folder is made (not the file), so that `$EDITOR "$(wan config path)"`
            // can save on a fresh machine; a folder that cannot be made is only a warning,
            // since the path is still the answer.
            if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty())
                && let Err(e) = std::fs::create_dir_all(folder)
            {
                eprintln!("wan: warning: cannot make the config file's folder {}: {e}", folder.display());
            }
            stdout.line(&path.display().to_string())?;
        }
        ConfigAction::Show => {
            let config = config::load(&env.dirs)?;
            let chosen = precedence::resolve(&Flags::default(), env, &config.values)?;
            for line in show(&config, &chosen) {
                stdout.line(&line)?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn no_path() -> Error {
    Error::usage("no config file: none of WAN_CONFIG, XDG_CONFIG_HOME and HOME is set")
        .with_hint("export WAN_CONFIG=/path/to/config.toml")
}

/// The lines of `wan config show`: the file, then one row per key as `SETTING VALUE SOURCE`.
fn show(config: &Config, chosen: &Resolved) -> Vec<String> {
    let file = match (&config.path, config.found) {
        (Some(path), true) => format!("config file: {}", path.display()),
        (Some(path), false) => format!("config file: {} (not there: nothing is set by it)", path.display()),
        (None, _) => "config file: none (no WAN_CONFIG, XDG_CONFIG_HOME or HOME)".to_string(),
    };
    let text = |value: &dyn std::fmt::Display, source: &Source| (value.to_string(), source.to_string());
    let command = match &config.values.api_key_command {
        Some(command) => text(&command.value, &command.source),
        None => ("none".to_string(), Source::Default.to_string()),
    };
    // What the key is, never: the command is not run here, and the variable's value not read.
    let key = match &chosen.key {
        KeySource::Env => ("set".to_string(), Source::Env("AISA_API_KEY").to_string()),
        KeySource::Command(command) => {
            ("set by api_key_command (not run here)".to_string(), command.source.to_string())
        }
        KeySource::Missing => ("not set".to_string(), "-".to_string()),
    };
    let route = chosen.route.value.name();
    let rows = [
        ("model", text(&chosen.model.value, &chosen.model.source)),
        (
            "out",
            text(
                &chosen
                    .out
                    .value
                    .as_deref()
                    .map_or_else(|| ". (the current folder)".into(), |p| p.display().to_string()),
                &chosen.out.source,
            ),
        ),
        ("route", text(&route, &chosen.route.source)),
        ("jobs", text(&chosen.jobs.value, &chosen.jobs.source)),
        ("retries", text(&chosen.retries.value, &chosen.retries.source)),
        ("timeout", text(&chosen.timeout.value, &chosen.timeout.source)),
        ("download_timeout", text(&chosen.download_timeout.value, &chosen.download_timeout.source)),
        ("metadata", text(&chosen.metadata.value, &chosen.metadata.source)),
        ("prompt_in_file", text(&chosen.prompt_in_file.value, &chosen.prompt_in_file.source)),
        ("max_cost", text(&chosen.max_cost.value.as_deref().unwrap_or("none"), &chosen.max_cost.source)),
        ("base_url", text(&chosen.base_url.value, &chosen.base_url.source)),
        ("offline", text(&chosen.offline.value, &chosen.offline.source)),
        ("api_key_command", command),
        ("api key", key),
    ];
    let width = rows.iter().map(|(_, (value, _))| value.chars().count()).max().unwrap_or(0).max("VALUE".len());
    let mut lines = vec![file, format!("{:<16}  {:<width$}  SOURCE", "SETTING", "VALUE")];
    lines.extend(rows.iter().map(|(name, (value, source))| format!("{name:<16}  {value:<width$}  {source}")));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileValues;
    use crate::config::precedence::Sourced;

    #[test]
    fn every_key_shows_with_its_source_and_the_key_never_does() {
        let env = Env { api_key: Some("SECRET-KEY".into()), model: Some("env-model".into()), ..Env::default() };
        let values = FileValues {
            jobs: Some(Sourced { value: 8, source: Source::File { line: 2 } }),
            api_key_command: Some(Sourced { value: "pass show aisa".into(), source: Source::File { line: 3 } }),
            ..FileValues::default()
        };
        let config = Config { path: Some("/c/config.toml".into()), found: true, values };
        let chosen = precedence::resolve(&Flags::default(), &env, &config.values).unwrap();
        let lines = show(&config, &chosen);
        let text = lines.join("\n");
        assert!(!text.contains("SECRET"), "{text}");
        assert_eq!(lines[0], "config file: /c/config.toml");
        let row = |name: &str| {
            let line = lines.iter().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
            line.split_whitespace().skip(name.split(' ').count()).collect::<Vec<_>>().join(" ")
        };
        assert_eq!(row("model"), "env-model env WAN_MODEL");
        assert_eq!(row("jobs"), "8 file, line 2");
        assert_eq!(row("retries"), "2 default");
        assert_eq!(row("api_key_command"), "pass show aisa file, line 3");
        assert_eq!(row("api key"), "set env AISA_API_KEY");
        for key in config::KEYS {
            row(key);
        }
    }
}

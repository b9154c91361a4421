//! `--offline` (`WAN_OFFLINE=1`, `offline = true`): the emulator started inside this
//! process, and the command pointed at it, with one line on stderr saying so.

use clap::{Args, FromArgMatches};

use crate::cli::emulator::EmulatorArgs;
use crate::config::env::Env;
use crate::config::precedence::{self, Flags};
use crate::emulator;
use crate::error::Error;

/// What the emulator inside `wan` is sent for a key: it takes any, and the user's own
/// key stays where it is.
const KEY: &str = "offline";

/// Goes offline when the settings say so (see `precedence::goes_offline`). A config
/// file that cannot be read is taken as saying nothing here: the command reads it again
/// and reports it (`wan doctor` among its checks) before anything is sent.
pub fn apply(offline: bool, base_url: Option<&str>, env: &mut Env) -> Result<(), Error> {
    let values = crate::config::load(&env.dirs).map(|config| config.values).unwrap_or_default();
    let flags = Flags { offline, base_url: base_url.map(str::to_string), ..Flags::default() };
    if precedence::goes_offline(&flags, env, &values)? {
        start(env)?;
    }
    Ok(())
}

/// Whether the settings alone (`--offline` aside) ask for offline: `WAN_OFFLINE`, or the
/// config file's `offline`.
pub fn asked(offline: bool, env: &Env) -> Result<bool, Error> {
    let config = crate::config::load(&env.dirs)?;
    Ok(precedence::offline(offline, env, &config.values)?.value)
}

/// Starts the emulator inside `wan` on a free loopback port, with `wan emulator`'s
/// defaults, and points `env` at it: its base URL, a key it takes, and `offline` set
/// so that the journal marks what is made. Its video tasks are kept in the state
/// folder, so that `wan video wait --offline` can follow one a `--no-wait` left.
pub fn start(env: &mut Env) -> Result<(), Error> {
    if env.offline {
        return Ok(());
    }
    let tasks = env.state_dir.as_ref().map(|dir| dir.join("offline").join("videos"));
    let options = emulator::Options { free: true, ..crate::commands::emulator::options(defaults()) };
    let base = emulator::start_inside(options, tasks)?;
    env.base_url = Some(base);
    env.api_key = Some(KEY.to_string());
    env.offline = true;
    eprintln!(
        "wan: offline: nothing is sent to the service and nothing is billed; \
         the pictures are drawn on this machine by wan's emulator"
    );
    Ok(())
}

/// `wan emulator`'s options with nothing given: its defaults, as its help states them.
fn defaults() -> EmulatorArgs {
    let command = EmulatorArgs::augment_args(clap::Command::new("emulator"));
    let matches = command.try_get_matches_from(["emulator"]).expect("the emulator's defaults parse");
    EmulatorArgs::from_arg_matches(&matches).expect("the emulator's defaults are its arguments")
}

//! `wan video`: `create`, `wait`, `status` and `list`, one file each.

pub mod create;
pub mod list;
pub mod settings;
pub mod status;
pub mod wait;

use crate::cli::video::VideoCommand;
use crate::config::env::Env;
use crate::error::Error;
use crate::outcome::Outcome;

pub fn run(command: VideoCommand, env: &mut Env) -> Result<Outcome, Error> {
    crate::interrupt::install();
    match command {
        VideoCommand::Create(args) => create::run(args, env, &mut std::io::stdin().lock()),
        VideoCommand::Wait(args) => {
            offline_as_made(&args.tasks, env)?;
            wait::run(args, env)
        }
        VideoCommand::Status(args) => {
            offline_as_made(&args.tasks, env)?;
            status::run(args, env)
        }
        VideoCommand::List { json, limit } => list::run(env, json, limit),
    }
}

/// Tasks made offline are followed offline, by the emulator inside this `wan` (which
/// reads what the one before it kept); tasks made by the service never are, since the
/// emulator does not know them. Tasks of both kinds at once are two commands.
fn offline_as_made(ids: &[String], env: &mut Env) -> Result<(), Error> {
    let conn = crate::video::recorded::read_journal(env.state_dir.as_ref());
    let made: Vec<(String, bool)> = ids
        .iter()
        .filter_map(|id| crate::video::recorded::recorded(conn.as_ref(), id))
        .map(|task| (task.id, task.offline))
        .collect();
    let offline = made.iter().filter(|(_, offline)| *offline).count();
    if offline > 0 && offline < made.len() {
        return Err(Error::usage("some of these tasks were made offline and some by the service: give them apart"));
    }
    if offline > 0 {
        return crate::commands::offline::start(env);
    }
    match made.first() {
        Some((id, _)) if env.offline => {
            Err(Error::usage(format!("task {id} was made by the service: the emulator inside wan does not know it"))
                .with_hint("leave out --offline (and WAN_OFFLINE, or the config file's offline)"))
        }
        _ => Ok(()),
    }
}

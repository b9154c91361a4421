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

pub fn run(command: VideoCommand, env: &Env) -> Result<Outcome, Error> {
    crate::interrupt::install();
    match command {
        VideoCommand::Create(args) => create::run(args, env, &mut std::io::stdin().lock()),
        VideoCommand::Wait(args) => wait::run(args, env),
        VideoCommand::Status(args) => status::run(args, env),
        VideoCommand::List { json, limit } => list::run(env, json, limit),
    }
}

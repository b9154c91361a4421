//! `wan`: parse the arguments, run the command, print any error, exit with its documented code.

mod api;
mod catalogue;
mod cli;
mod commands;
mod config;
mod emulator;
mod error;
mod files;
mod image;
mod interrupt;
mod journal;
mod mcp;
mod outcome;
mod retry;
mod shard;
mod term;
mod video;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::Error;
use image::settings::Env;
use outcome::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = dispatch(cli).unwrap_or_else(|error| {
        term::ui::Ui::default().error(&error);
        Outcome::Failed(error.kind)
    });
    outcome.into()
}

fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    let env = Env::from_process();
    // Locked only where read: `wan mcp` reads the protocol from stdin on another thread.
    let settings = match cli.command {
        Command::Generate(args) => image::settings::generate(args, &env, &mut std::io::stdin().lock())?,
        Command::Edit(args) => image::settings::edit(args, &env, &mut std::io::stdin().lock())?,
        Command::Models { json } => return commands::models::print(json).map(|_| Outcome::Success),
        Command::Config { action } => return commands::config::run(action, &env).map(|()| Outcome::Success),
        Command::Doctor => return commands::doctor::run(&env),
        Command::Mcp(args) => return mcp::serve(args, env),
        Command::Skill => return commands::skill::print().map(|()| Outcome::Success),
        Command::Completions { shell } => return commands::completions::print(shell).map(|_| Outcome::Success),
        Command::Emulator(args) => return emulator::run(args).map(|_| Outcome::Success),
        Command::Resume(args) => {
            interrupt::install();
            return image::resume::run(args, &env);
        }
        Command::History { json, limit } => return commands::history::print(&env, limit, json),
        Command::Cost(args) => return commands::cost::print(&env, &args),
        Command::Info { files, json } => return commands::info::print(&env, &files, json),
        Command::Balance { json, base_url } => return commands::balance::print(&env, base_url, json),
        Command::Video { command } => {
            interrupt::install();
            return video::run(command, &env, &mut std::io::stdin().lock());
        }
    };
    if settings.dry_run {
        return image::dry_run::print(&settings);
    }
    interrupt::install();
    image::run::run(&settings)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_interface_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

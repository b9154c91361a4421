//! `wan`: parse the arguments, run the command, print any error, exit with its documented code.

mod api;
mod api_key;
mod balance;
mod catalogue;
mod cli;
mod completions;
mod config;
mod config_command;
mod cost;
mod dispatch;
mod doctor;
mod dry_run;
mod emulator;
mod error;
mod fetch;
mod format;
mod history;
mod info;
mod interrupt;
mod journal;
mod limits;
#[cfg(test)]
mod man;
mod mcp;
mod models;
mod open;
mod open_files;
mod outcome;
mod output;
mod pace;
mod paths;
mod plan;
mod precedence;
mod printer;
mod progress;
mod prompts;
mod provenance;
mod recorder;
mod reference;
mod report;
mod resume;
mod run;
mod save;
mod session;
mod settings;
mod skill;
mod spend;
mod suggest;
mod ui;
mod video;
mod when;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::Error;
use outcome::Outcome;
use settings::Env;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = dispatch(cli).unwrap_or_else(|error| {
        ui::Ui::default().error(&error);
        Outcome::Failed(error.kind)
    });
    outcome.into()
}

fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    let env = Env::from_process();
    // Locked only where read: `wan mcp` reads the protocol from stdin on another thread.
    let settings = match cli.command {
        Command::Generate(args) => settings::generate(args, &env, &mut std::io::stdin().lock())?,
        Command::Edit(args) => settings::edit(args, &env, &mut std::io::stdin().lock())?,
        Command::Models { json } => return models::print(json).map(|_| Outcome::Success),
        Command::Config { action } => return config_command::run(action, &env).map(|()| Outcome::Success),
        Command::Doctor => return doctor::run(&env),
        Command::Mcp(args) => return mcp::serve(args, env),
        Command::Skill => return skill::print().map(|()| Outcome::Success),
        Command::Completions { shell } => return completions::print(shell).map(|_| Outcome::Success),
        Command::Emulator(args) => return emulator::run(args).map(|_| Outcome::Success),
        Command::Resume(args) => {
            interrupt::install();
            return resume::run(args, &env);
        }
        Command::History { json, limit } => return history::print(&env, limit, json),
        Command::Cost(args) => return spend::print(&env, &args),
        Command::Info { files, json } => return info::print(&env, &files, json),
        Command::Balance { json, base_url } => return balance::print(&env, base_url, json),
        Command::Video { command } => {
            interrupt::install();
            return video::run(command, &env, &mut std::io::stdin().lock());
        }
    };
    if settings.dry_run {
        return dry_run::print(&settings);
    }
    interrupt::install();
    run::run(&settings)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_interface_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

//! `wan`: parse the arguments, run the command, print any error, exit with its documented code.

mod api;
mod cli;
mod completions;
mod cost;
mod dispatch;
mod dry_run;
mod emulator;
mod error;
mod fetch;
mod format;
mod interrupt;
mod models;
mod open_files;
mod outcome;
mod output;
mod pace;
mod plan;
mod printer;
mod progress;
mod prompts;
mod reference;
mod report;
mod run;
mod save;
mod session;
mod settings;
mod state;
mod suggest;
mod ui;

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
    let stdin = &mut std::io::stdin().lock();
    let settings = match cli.command {
        Command::Generate(args) => settings::generate(args, &env, stdin)?,
        Command::Edit(args) => settings::edit(args, &env, stdin)?,
        Command::Models { json } => return models::print(json).map(|_| Outcome::Success),
        Command::Completions { shell } => return completions::print(shell).map(|_| Outcome::Success),
        Command::Emulator(args) => return emulator::run(args).map(|_| Outcome::Success),
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

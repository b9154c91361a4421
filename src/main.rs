//! `wan`: parse the arguments, run the command, print any error, exit with its documented code.

mod api;
mod cli;
mod completions;
mod cost;
mod dry_run;
mod emulator;
mod error;
mod fetch;
mod format;
mod interrupt;
mod models;
mod output;
mod progress;
mod reference;
mod report;
mod run;
mod settings;
mod ui;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::Error;
use settings::Env;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            ui::Ui::default().error(&error);
            ExitCode::from(error.kind.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<u8, Error> {
    let env = Env::from_process();
    let stdin = &mut std::io::stdin().lock();
    let settings = match cli.command {
        Command::Generate(args) => settings::generate(args, &env, stdin)?,
        Command::Edit(args) => settings::edit(args, &env, stdin)?,
        Command::Models { json } => return models::print(json),
        Command::Completions { shell } => return completions::print(shell),
        Command::Emulator(args) => return emulator::run(args),
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

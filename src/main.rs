//! `wan`: parse the arguments, run the command, print any error, exit with its documented code.

mod api;
mod catalogue;
mod cli;
mod commands;
mod config;
mod emulator;
mod error;
mod files;
mod gallery;
mod image;
mod interrupt;
mod journal;
#[cfg(test)]
mod layers;
mod mcp;
mod outcome;
mod retry;
mod shard;
mod term;
mod video;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use config::env::Env;
use error::Error;
use outcome::Outcome;
use term::ui::Ui;

fn main() -> ExitCode {
    interrupt::survive_file_size_limit();
    let cli = Cli::try_parse().unwrap_or_else(|e| match cli::forgot_the_edit_prompt(&e) {
        // clap would say the images are missing: it took the one image for the prompt.
        true => {
            let env = Env::from_process();
            let color = env.stderr_is_terminal && !env.no_color;
            let error = Error::usage("the prompt is missing: wan edit takes the images, then what to do with them")
                .with_hint("wan edit picture.png \"make it Van Gogh\"");
            Ui::new(term::ui::Display { color, ..Default::default() }, 0).error(&error);
            std::process::exit(2)
        }
        false => e.exit(),
    });
    let outcome = run(cli).unwrap_or_else(|error| {
        // Red on a terminal, as every other error is: a usage or config error too.
        let env = Env::from_process();
        let color = env.stderr_is_terminal && !env.no_color;
        Ui::new(term::ui::Display { color, ..Default::default() }, 0).error(&error);
        Outcome::Failed(error.kind)
    });
    outcome.into()
}

/// The one routing match: each subcommand to its file in `commands/`, and `wan mcp` to
/// the MCP server, a front end of its own over the commands and the engines. A command
/// that reaches the service meets the emulator inside `wan` instead where `--offline`
/// (or its variable, or the config file) says so.
fn run(cli: Cli) -> Result<Outcome, Error> {
    let mut env = Env::from_process();
    if let Some((offline, base_url)) = cli.command.offline_flags() {
        commands::offline::apply(offline, base_url, &mut env)?;
    }
    match cli.command {
        Command::Generate(args) => commands::generate::generate(args, &env),
        Command::Edit(args) => commands::generate::edit(args, &env),
        Command::Models { json } => commands::models::run(json),
        Command::Resume(args) => commands::resume::run(args, &mut env),
        Command::Regen(args) => commands::regen::run(args, &mut env),
        Command::History { json, limit } => commands::history::run(&env, limit, json),
        Command::Gallery(args) => commands::gallery::run(args, &env),
        Command::Cost(args) => commands::cost::run(&env, &args),
        Command::Info { files, json } => commands::info::run(&env, &files, json),
        Command::Balance { json, base_url, .. } => commands::balance::run(&env, base_url, json),
        Command::Video { command } => commands::video::run(command, &mut env),
        Command::Emulator(args) => commands::emulator::run(args),
        Command::Config { action } => commands::config::run(action, &env),
        Command::Doctor { .. } => commands::doctor::run(&env),
        Command::Mcp(args) => mcp::serve(args, env),
        Command::Skill => commands::skill::run(),
        Command::Completions { shell } => commands::completions::run(shell),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_interface_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

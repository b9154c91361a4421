//! `wan completions SHELL`: the completion script clap_complete writes for the interface.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Error;
use crate::outcome::Outcome;

pub fn run(shell: Shell) -> Result<Outcome, Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wan", &mut script);
    let mut stdout = crate::term::stdout::Stdout::default();
    stdout.write_all(&script)?;
    Ok(Outcome::Success)
}

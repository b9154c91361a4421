//! `wan resume`: the run to finish found in the journal, then handed to the engine that
//! made it (images, or a video task).

use std::time::Duration;

use crate::cli::run::ResumeArgs;
use crate::commands::history::named_run;
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::image;
use crate::journal::queries::RunRow;
use crate::journal::{self, lock, queries};
use crate::outcome::Outcome;
use crate::term::text::plural;
use crate::term::ui::Display;
use crate::video;

pub fn run(args: ResumeArgs, env: &mut Env) -> Result<Outcome, Error> {
    crate::interrupt::install();
    let Some(dir) = env.state_dir.clone() else {
        return Err(Error::new(Kind::Other, "no state folder: set WAN_STATE_DIR, XDG_STATE_HOME or HOME"));
    };
    let conn = journal::open(&dir)?;
    let run = match &args.run {
        Some(prefix) => named_run(&conn, prefix)?,
        // The latest run a resume has something to do for: one whose only leftovers are
        // images an earlier resume reported lost (links expired twice) is passed by, or
        // `wan resume` would end with exit 7 on it every time and never reach the next.
        None => {
            let mut passed = Vec::new();
            let found = queries::latest_unfinished(&conn, |run| match run.command.as_str() {
                "video" => video::resume::has_work(&conn, run).unwrap_or(true),
                _ => image::resume::leftovers(&conn, run, args.resend_unknown).map_or(true, |left| {
                    let (lost, unknown) = (left.lost.len() as u64, left.unknown.len() as u64);
                    if left.reported_before() && lost + unknown > 0 {
                        passed.push((run.id.clone(), lost, unknown));
                    }
                    !left.reported_before()
                }),
            })?;
            for (id, lost, unknown) in &passed {
                eprintln!("wan: run {id}: passed by: {}", passed_by(id, *lost, *unknown));
            }
            match found {
                Some(run) => run,
                None => {
                    eprintln!("wan: nothing to resume: no run in the journal has anything left to do");
                    return Ok(Outcome::Success);
                }
            }
        }
    };
    if run.state == queries::NOT_STARTED {
        eprintln!("wan: run {} was stopped while its prompts were recorded, before anything was sent", run.id);
        return Ok(Outcome::Success);
    }
    // Taken before anything else (the key, a look at the service): of two `wan resume`
    // of one run, one does the work and the other is told at once.
    let _claim = match lock::try_take(&lock::path(&dir, "run", &run.id), queries::RESUMING) {
        Ok(Ok(held)) => Some(held),
        Ok(Err(holder)) => {
            return Err(Error::usage(format!("run {} is being worked on by {holder}", run.id))
                .with_hint("wait for it to end; `wan history` shows how the run stands"));
        }
        // A lock that cannot be made (a read-only state folder) leaves the PID check.
        Err(_) => None,
    };
    // Free, and still `running`: a run recorded before locks, whose process is there.
    if run.state == "running" {
        return Err(Error::usage(format!("run {} is still running in another wan process", run.id)));
    }
    offline(&run, &args, env)?;
    let env = &*env;
    let display = display(&args, env);
    if run.command == "video" {
        drop(conn);
        let options = video::resume::Options {
            dry_run: args.dry_run,
            json: args.json,
            display,
            timeout: Duration::from_secs(args.timeout),
            retries: args.retries,
            download_timeout: Duration::from_secs(args.download_timeout),
            base_url: args.base_url,
        };
        return video::resume::resume(&run, &options, env);
    }
    let options = image::resume::Options {
        resend_unknown: args.resend_unknown,
        dry_run: args.dry_run,
        json: args.json,
        display,
        jobs: args.jobs,
        rpm: args.rpm,
        retries: args.retries,
        timeout: Duration::from_secs(args.timeout),
        download_timeout: Duration::from_secs(args.download_timeout),
        base_url: args.base_url,
    };
    image::resume::resume(conn, &dir, run, &options, env)
}

/// Why a run is passed by: what an earlier resume said of it, and how to take it up.
fn passed_by(id: &str, lost: u64, unknown: u64) -> String {
    let mut said = Vec::new();
    if lost > 0 {
        said.push(format!("its {lost} paid image{} cannot be fetched any more", plural(lost)));
    }
    if unknown > 0 {
        let (were, them) = if unknown == 1 { ("was", "it") } else { ("were", "them") };
        said.push(format!(
            "its {unknown} request{} of unknown outcome (may have been billed) {were} not sent again",
            plural(unknown)
        ));
        return format!(
            "{}, as a resume said before (`wan resume {id}` says it again; `wan resume {id} --resend-unknown` \
             sends {them})",
            said.join(", and ")
        );
    }
    format!("{}, as a resume said before (`wan resume {id}` says it again)", said.join(", and "))
}

/// A run made offline is finished offline, by the emulator inside this `wan`: its
/// prompts must not reach the service, to be billed. A run made by the service is never
/// finished offline: its paid images are there, and its rest is the service's to make.
fn offline(run: &RunRow, args: &ResumeArgs, env: &mut Env) -> Result<(), Error> {
    if run.offline {
        if args.base_url.is_some() {
            return Err(Error::usage(format!(
                "run {} was made offline; its prompts are not sent to --base-url",
                run.id
            ))
            .with_hint("`wan resume` finishes it offline, at no cost"));
        }
        return crate::commands::offline::start(env);
    }
    if crate::commands::offline::asked(args.offline, env)? {
        return Err(Error::usage(format!(
            "run {} was made by the service: finishing it offline would fill it with pictures drawn here",
            run.id
        ))
        .with_hint(match args.offline {
            true => "leave out --offline".to_string(),
            false => {
                format!("WAN_OFFLINE=0 wan resume {} (WAN_OFFLINE or the config file's offline asks for it)", run.id)
            }
        }));
    }
    Ok(())
}

fn display(args: &ResumeArgs, env: &Env) -> Display {
    let terminal = env.stderr_is_terminal;
    Display {
        quiet: args.quiet,
        verbose: args.verbose,
        progress: terminal && !args.quiet,
        color: terminal && !env.no_color,
        stdout_is_terminal: env.stdout_is_terminal,
    }
}

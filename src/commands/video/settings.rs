//! `wan video`'s arguments read into the video engine's checked settings: every usage
//! error found here, before anything is sent.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::api::ApiKey;
use crate::catalogue::video::{self, Family};
use crate::cli::video::{CreateArgs, ServiceArgs, WaitOptions};
use crate::config;
use crate::config::env::Env;
use crate::config::precedence::{self, Flags, Resolved, Source};
use crate::error::Error;
use crate::files::output::{self, OutputDir};
use crate::files::prompts::{checked_prompt, read_prompt_from_stdin};
use crate::term::ui::Display;
use crate::video::body::{self, RESERVED_PARAMS};
use crate::video::media::{self, MediaType};
use crate::video::settings::{
    Create, DEFAULT_DOWNLOAD_TIMEOUT, DEFAULT_DURATION, DEFAULT_RESOLUTION, Follow, Service, check_max_cost,
};

pub fn create(args: CreateArgs, env: &Env, stdin: &mut dyn Read) -> Result<Create, Error> {
    let prompt_from_stdin = matches!(args.prompt.as_deref(), None | Some("-"));
    let prompt = match args.prompt.as_deref() {
        Some(p) if p != "-" => checked_prompt(p.to_string())?,
        _ if env.stdin_is_terminal => {
            return Err(Error::usage("no prompt given")
                .with_hint("wan video create \"a red panda rolls down a hill\", or pipe the prompt in"));
        }
        _ => checked_prompt(read_prompt_from_stdin(stdin)?)?,
    };
    let dash = args.image.as_deref() == Some("-")
        || args.last_frame.as_deref() == Some("-")
        || args.media.iter().any(|m| m.ends_with("=-"));
    if dash && (prompt_from_stdin || env.stdin_is_terminal) {
        return Err(Error::usage("standard input cannot hold both the prompt and a media item").with_hint(
            "give the prompt as an argument, and pipe the file in: cat face.png | wan video create \"…\" --image -",
        ));
    }
    let media = media::load(args.image.as_deref(), args.last_frame.as_deref(), &args.media, stdin)?;
    let first_frame = media.iter().any(|m| m.kind == MediaType::FirstFrame);
    let model = match args.model {
        Some(model) if model.trim().is_empty() => return Err(Error::usage("--model is empty")),
        Some(model) => model,
        None if first_frame => video::IMAGE_TO_VIDEO.to_string(),
        None => video::TEXT_TO_VIDEO.to_string(),
    };
    if video::needs_first_frame(&model) && !first_frame {
        return Err(Error::usage(format!("{model} makes a video from a first frame, and none was given")).with_hint(
            "add --image FILE|URL (or --media first_frame=…); without it the service takes the task, \
                        fails it a minute later, and may bill it",
        ));
    }
    if let Some(kind) = body::unsupported(&model, &media) {
        return Err(Error::usage(format!("{model}'s body has no place for a {}", kind.name())));
    }
    let (resolution, duration) = match video::family(&model) {
        Family::Wan => {
            let duration = args.duration.unwrap_or(DEFAULT_DURATION);
            // Checked here, not left to the service: it may take the task and fail it a
            // minute later, or cut the clip, and bill it either way.
            if let Some(lengths) = video::durations(&model).filter(|lengths| !lengths.allows(duration)) {
                return Err(Error::usage(format!(
                    "--duration {duration} is not a length {model} makes: it takes {}",
                    lengths.describe()
                ))
                .with_hint("`wan models` lists each video model's lengths"));
            }
            (Some(args.resolution.map_or(DEFAULT_RESOLUTION, |r| r.name())), Some(duration))
        }
        Family::Seedance if args.resolution.is_some() || args.duration.is_some() => {
            return Err(Error::usage(format!(
                "{model}'s body (content parts) has no resolution or duration of its own"
            ))
            .with_hint("send them as the vendor names them, e.g. --param resolution=720p --param duration=5"));
        }
        Family::Seedance => (None, None),
    };
    let params = params(&args.params)?;
    let (chosen, config_path) = resolved(&args.service, &args.wait, args.max_cost.clone(), env)?;
    if let Some(limit) = &chosen.max_cost.value {
        let name = if chosen.max_cost.source == Source::Flag { "--max-cost" } else { "the config file's max_cost" };
        check_max_cost(limit, name, &model)?;
    }
    let follow = follow(&args.wait, &chosen, env, args.dry_run)?;
    if let Some(out) = &follow.out {
        OutputDir::new(Some(out.clone())).check()?;
    }
    let key = if args.dry_run {
        None
    } else {
        Some(crate::config::api_key::obtain(&chosen.key, env, config_path.as_deref())?)
    };
    Ok(Create {
        prompt,
        model,
        media,
        resolution,
        duration,
        params,
        no_wait: args.no_wait,
        dry_run: args.dry_run,
        service: service(&args.service, &chosen, key, env),
        follow,
        offline: env.offline,
    })
}

/// `wan video wait` and `status`: the key is always needed.
pub fn following(service_args: &ServiceArgs, wait: &WaitOptions, env: &Env) -> Result<(Service, Follow), Error> {
    let (chosen, config_path) = resolved(service_args, wait, None, env)?;
    let follow = follow(wait, &chosen, env, false)?;
    let key = crate::config::api_key::obtain(&chosen.key, env, config_path.as_deref())?;
    Ok((service(service_args, &chosen, Some(key), env), follow))
}

fn resolved(
    service: &ServiceArgs,
    wait: &WaitOptions,
    max_cost: Option<String>,
    env: &Env,
) -> Result<(Resolved, Option<PathBuf>), Error> {
    let config = config::load(&env.dirs)?;
    // The image settings (model, route, jobs) are no video's: only these are taken.
    let flags = Flags {
        out: wait.out.clone(),
        retries: service.retries,
        timeout: service.timeout,
        download_timeout: wait.download_timeout,
        max_cost,
        base_url: service.base_url.clone(),
        ..Flags::default()
    };
    Ok((precedence::resolve(&flags, env, &config.values)?, config.path))
}

fn service(args: &ServiceArgs, chosen: &Resolved, key: Option<ApiKey>, env: &Env) -> Service {
    Service {
        base: chosen.base_url.value.clone(),
        // Offline, the base URL is the emulator inside this `wan`, which took up the tasks
        // the one before it kept: they are followed there, whatever port they were made at.
        base_given: args.base_url.is_some() || env.offline,
        key,
        timeout: Duration::from_secs(chosen.timeout.value),
        retries: chosen.retries.value,
        verbose: args.verbose,
    }
}

fn follow(wait: &WaitOptions, chosen: &Resolved, env: &Env, dry_run: bool) -> Result<Follow, Error> {
    if let Some(name) = &wait.name {
        output::validate_stem(name)?;
    }
    if chosen.out.value.as_deref() == Some(std::path::Path::new("-")) {
        return Err(Error::usage("-o - is for one image; a video is saved in a folder"));
    }
    let download_timeout = match chosen.download_timeout.source {
        Source::Default => DEFAULT_DOWNLOAD_TIMEOUT,
        _ => chosen.download_timeout.value,
    };
    let terminal = env.stderr_is_terminal;
    Ok(Follow {
        out: chosen.out.value.clone().map(|dir| env.dirs.expand_home_path(dir)).transpose()?,
        out_given: wait.out.is_some(),
        name: wait.name.clone(),
        poll: Duration::from_secs(wait.poll),
        wait_timeout: Duration::from_secs(wait.wait_timeout),
        download_timeout: Duration::from_secs(download_timeout),
        json: wait.json,
        display: Display {
            quiet: wait.quiet,
            verbose: false,
            progress: terminal && !wait.quiet && !dry_run,
            color: terminal && !env.no_color,
            stdout_is_terminal: env.stdout_is_terminal,
        },
        state_dir: env.state_dir.clone(),
        journal: !wait.no_journal && !env.journal_off,
    })
}

/// `--param KEY=VALUE`: VALUE as JSON where it parses, else a string.
fn params(params: &[String]) -> Result<Map<String, Value>, Error> {
    let mut fields = Map::new();
    for param in params {
        let Some((key, value)) = param.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Error::usage(format!("--param {param:?} is not KEY=VALUE")));
        };
        let key = key.trim();
        if RESERVED_PARAMS.contains(&key) {
            return Err(Error::usage(format!("--param {key}=… would replace a field wan sets itself"))
                .with_hint("use --resolution, --duration, --image or --media for those"));
        }
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        fields.insert(key.to_string(), value);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_go_as_json_and_reserved_keys_are_refused() {
        let fields = params(&["seed=42".into(), "watermark=false".into(), "shot_type=multi".into()]).unwrap();
        assert_eq!(Value::Object(fields), serde_json::json!({"seed": 42, "watermark": false, "shot_type": "multi"}));
        for bad in ["duration=10", "resolution=1080P", "input={}", "novalue", "=1"] {
            assert!(params(&[bad.into()]).is_err(), "{bad}");
        }
    }
}

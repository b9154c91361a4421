//! `wan skill`: the agent skill (SKILL.md, the open format of agentskills.io) that teaches
//! coding agents to use `wan` safely. Its models and exit codes are written from the same
//! sources as `wan models` and `--help`, so `skills/wan/SKILL.md` is checked for drift.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Error;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;

const TEMPLATE: &str = r#"---
name: wan
description: Make and edit images with AIsa's image models (Wan 2.7 and others) using the `wan` command-line tool, which checks the cost before sending, saves every paid image as a numbered file that never overwrites another, and reports results as JSON. Use it when the user asks to generate, draw, render or edit an image, picture, illustration, icon or logo, to finish an interrupted image run, or to know what images cost or what is left on their AIsa balance.
license: MIT
compatibility: Needs the `wan` binary on PATH and an AIsa API key in AISA_API_KEY (or an api_key_command in wan's config file).
---

# Making images with `wan`

`wan` sends a prompt (and reference images) to AIsa's image models, downloads the
images at once and saves them as `DIR/STEM-NNN.EXT`. Every image costs money, so check
the price first and always set a ceiling.

## Before spending

- `wan doctor` checks the set-up (key, service, folders) and exits 0 when all is well.
- `wan models` lists the models and their prices; it is free and needs no key.
- `--dry-run` prints the request that would be sent and what it would cost; it sends
  nothing and needs no key. Use it when unsure what a command will do.
- `--max-cost USD` refuses (exit 2) before anything is sent when the run could cost more
  than USD, or when the model's price is unknown. Put it on every paid command, set to
  what the user agreed to spend.
- `--offline` runs a command against an emulator inside `wan`: no key, nothing sent or
  billed, real files of pictures drawn locally. Use it to try a command or a script, never
  to make what the user asked for (its pictures are placeholders).

Models this `wan` knows (others are sent as given, at an unknown price):

{{MODELS}}

## Making and editing images

```sh
wan generate "a red panda, watercolour" -n 2 -o images --json --max-cost 0.50
wan edit photo.png "make it Van Gogh" -o images --json --max-cost 0.50
wan generate -f prompts.txt -o images --json --max-cost 2.00   # one prompt per line
```

- Always pass `--json`: standard output then holds one JSON object per prompt and
  nothing else. Read the results from it, not from the text on standard error.
- `-o DIR` is created if missing; `--name STEM` names the files (`STEM-001.png`, …),
  else they are named from the prompt. A file is never overwritten.
- `-n N` is the number of images per prompt; each one is billed. `--pro` or `-m MODEL`
  chooses the model.
- `wan edit` takes reference images first (paths or http(s) URLs; PNG, JPEG, WebP or
  BMP; at most {{REFERENCES}}), then the instruction, last.
- A prompt is a template: `{a|b}` makes a prompt of each alternative, in every
  combination (`"a {red|blue} {fox|owl}"` is 4 prompts, each billed); `--dry-run` lists
  them and their price. A prompt whose braces are its own (JSON, code) needs
  `--no-template` (or each of its braces doubled).
- `--aspect 16:9` (or `1:1`, `3:2`, `9:16`…) asks for a shape; `wan` sends each model
  the size or ratio it takes, and refuses (exit 2) a shape the model cannot make.
- `wan edit … -m gpt-image-2 --mask mask.png` edits only where the mask (a PNG with
  alpha, the size of the first image) is transparent; other models take no mask.

Each JSON line has `prompt`, `model`, `images` (each with `path`, `bytes`, `format`,
`source`, `url`), `cost` (`per_image`, `count`, `total`, `currency`), `request_ids`,
`usage`, `run` (the journal's id of the run), `unsaved` (images paid for but not saved:
`url`, `message`) and `error` (`null`, or `kind`, `status`, `code`, `message`,
`request_id`). Show the user the saved paths and the cost.

- To show the user a run's images at once, `wan gallery` writes an HTML contact sheet of
  the latest run (`wan gallery RUN` for another) beside its images, each with its prompt
  and cost, and prints the page's path; it costs nothing and needs no key.

## Exit codes

| code | meaning |
|---|---|
{{EXIT_CODES}}

## When something goes wrong

- Do not simply run a paid command again after a failure: a request that timed out may
  have been made and billed. `wan history` lists the runs; `wan resume` (or `wan resume
  RUN`) finishes the latest unfinished one: it downloads the images that were paid for
  and not saved while their links live, and sends only what was never sent. `wan resume
  --dry-run` says what it would do first.
- Exit 7 (partial): some images were saved, some not. Report the saved paths, then run
  `wan resume` for the rest.
- Exit 5 (rate limited): wait, then try once more; do not loop. For a batch, `wan
  resume --rpm N` (N requests a minute: 60 on AIsa's free tier, 30 for Gemini models)
  sends what was not sent, paced under the limit.
- Exit 2: the command itself is wrong (or over `--max-cost`); nothing was sent. Read
  the message, fix the command.
- `wan cost --since today` sums what was spent; `wan balance` shows what is left.

## The API key

Never print, echo, log or write the key, and never ask the user to paste it into the
conversation: do not run `echo $AISA_API_KEY`, `env` or `printenv`, and do not put the
key on a command line or in a file. `wan` reads it itself and never prints it. When the
key is missing (exit 3), tell the user to set AISA_API_KEY in their own shell, or to set
`api_key_command` in wan's config file (`wan config path` shows where it is); until then,
`--offline` shows how a command behaves.

## As an MCP server

When the `wan` MCP server is connected (tools `generate_image`, `edit_image`,
`list_models`, `balance`), prefer its tools: they run the same code under the same
guards, refuse a call that could cost more than the server's per-call limit, and save
under the folder the user chose.
"#;

/// The skill, with the models, reference limits and exit codes of this build.
pub fn text() -> String {
    let filled = [("{{MODELS}}", models()), ("{{REFERENCES}}", references()), ("{{EXIT_CODES}}", exit_codes())];
    filled.iter().fold(TEMPLATE.to_string(), |text, (slot, value)| text.replacen(slot, value, 1))
}

/// `9 for wan2.7-image and wan2.7-image-pro, 16 for gpt-image-2, …; seedream-… cannot edit`,
/// from the catalogue: each limit once, with the models it is theirs.
fn references() -> String {
    let mut limits: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut cannot = Vec::new();
    for model in crate::catalogue::MODELS {
        match model.max_references {
            0 => cannot.push(model.name),
            n => match limits.iter_mut().find(|(limit, _)| *limit == n) {
                Some((_, names)) => names.push(model.name),
                None => limits.push((n, vec![model.name])),
            },
        }
    }
    let and = |names: &[&str]| match names {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [rest @ .., last] => {
            format!("{} and `{last}`", rest.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))
        }
    };
    let mut text = limits.iter().map(|(n, names)| format!("{n} for {}", and(names))).collect::<Vec<_>>().join(", ");
    if !cannot.is_empty() {
        text.push_str(&format!("; {} cannot edit", and(&cannot)));
    }
    text
}

pub fn run() -> Result<Outcome, Error> {
    Stdout::default().write_all(text().as_bytes())?;
    Ok(Outcome::Success)
}

/// `- `wan2.7-image`: $0.030 per image; fast, general-purpose …`, from `wan models --json`.
fn models() -> String {
    crate::commands::models::as_json()
        .iter()
        .map(|model| {
            let name = model["model"].as_str().unwrap_or_default();
            let price = model["price_text"].as_str().unwrap_or("price unknown");
            format!("- `{name}`: {price}; {}", model["purpose"].as_str().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The exit-code table of `wan --help`, as Markdown rows.
fn exit_codes() -> String {
    let help = Cli::command().get_after_long_help().map(ToString::to_string).unwrap_or_default();
    let table = help.split("Exit codes:\n").nth(1).unwrap_or_default();
    table
        .lines()
        .filter_map(|line| line.trim().split_once(' '))
        .map(|(code, meaning)| format!("| {code} | {} |", meaning.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_parts_are_filled_in() {
        let text = text();
        assert!(!text.contains("{{"), "a placeholder is left");
        assert!(text.contains("| 0 | every image asked for was saved |"));
        assert!(text.contains("| 130 | interrupted"));
        assert!(text.contains("- `wan2.7-image`: $0.030 per image; "));
        // the reference limits come from the catalogue: not one 9 for every model
        assert!(text.contains("at most 9 for `wan2.7-image` and `wan2.7-image-pro`, 16 for `gpt-image-2`,"), "{text}");
        assert!(text.contains("14 for `gemini-3-pro-image-preview`"), "{text}");
        assert!(text.contains("`seedream-5-0-260128` and `seedream-4-5-251128` cannot edit"), "{text}");
    }
}

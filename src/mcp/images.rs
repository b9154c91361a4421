//! `generate_image` and `edit_image`: a tool call made into the command line the CLI would
//! parse, then run by the CLI's own settings and run code with its stdout captured.
//!
//! Going through clap (rather than filling `RunArgs` by hand) keeps one definition of every
//! check and default: a tool call is refused exactly where `wan generate` would refuse it.

use std::ffi::OsString;
use std::path::Path;

use clap::Parser;
use serde_json::Value;

use crate::cli::{Cli, Command};
use crate::commands::generate;
use crate::error::Error;
use crate::image::settings::Settings;
use crate::outcome::Outcome;
use crate::term::stdout::{Capture, Stdout};

use super::Context;
use super::params::{EditImage, GenerateImage};

/// What a run of a tool call left: how it ended, and its `--json` object(s).
pub struct Ran {
    pub outcome: Outcome,
    pub results: Vec<Value>,
}

pub fn generate(context: &Context, params: GenerateImage) -> Result<Ran, Error> {
    refuse_stdin("prompt", &params.prompt)?;
    let out = context.root.inside(params.out_dir.as_deref())?;
    let mut argv = flags("generate", &out, params.n, params.model, params.name, params.template);
    if let Some(size) = params.size {
        argv.push(format!("--size={size}").into());
    }
    if let Some(aspect) = params.aspect {
        argv.push(format!("--aspect={aspect}").into());
    }
    argv.push("--".into());
    argv.push(params.prompt.into());
    run(context, argv)
}

pub fn edit(context: &Context, params: EditImage) -> Result<Ran, Error> {
    refuse_stdin("prompt", &params.prompt)?;
    for image in &params.images {
        refuse_stdin("image", image)?;
        refuse_special_file(image)?;
    }
    if let Some(mask) = &params.mask {
        refuse_special_file(mask)?;
    }
    let out = context.root.inside(params.out_dir.as_deref())?;
    let mut argv = flags("edit", &out, params.n, params.model, params.name, params.template);
    if let Some(mask) = params.mask {
        let mut flag = OsString::from("--mask=");
        flag.push(mask);
        argv.push(flag);
    }
    argv.push("--".into());
    argv.extend(params.images.into_iter().map(OsString::from));
    argv.push(params.prompt.into());
    run(context, argv)
}

/// `-` means standard input to the CLI; here standard input is the protocol.
fn refuse_stdin(field: &str, value: &str) -> Result<(), Error> {
    match value {
        "-" => {
            Err(Error::usage(format!("{field} \"-\" would mean standard input, which carries the MCP protocol here"))
                .with_hint("give a file path, a URL or the text itself"))
        }
        _ => Ok(()),
    }
}

/// A reference a tool call may read is a regular file, and not the server's own standard
/// input under another name (`/dev/stdin`, `/proc/self/fd/0`, a file `wan mcp` was started
/// on): reading a pipe, a device or the protocol would hang the call and swallow the
/// requests after it. URLs are the CLI's to check.
fn refuse_special_file(image: &str) -> Result<(), Error> {
    if image.contains("://") {
        return Ok(());
    }
    // A path that is not there is the CLI's to name as missing.
    let Ok(meta) = std::fs::metadata(image) else { return Ok(()) };
    let refuse = |what: &str| {
        Err(Error::usage(format!(
            "image {:?} is {what}; a tool call reads regular files only",
            crate::error::clean(image)
        ))
        .with_hint("give the path of an image file, or a URL"))
    };
    if !meta.is_file() {
        return refuse("not a regular file (a pipe, a device, a socket or a folder)");
    }
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::MetadataExt;
        let stdin = std::io::stdin().as_fd().try_clone_to_owned().map(std::fs::File::from);
        if stdin.and_then(|file| file.metadata()).is_ok_and(|own| (own.dev(), own.ino()) == (meta.dev(), meta.ino())) {
            return refuse("the server's own standard input, which carries the MCP protocol");
        }
    }
    Ok(())
}

/// The flags every image call has: JSON results, no progress or summary (standard error
/// is the server's log), and the checked folder; the prompt as written unless the call
/// asks for a template (an agent's prompt may hold braces of code or JSON). Each value is
/// joined to its flag with `=`, so no value can be read as another flag.
fn flags(
    command: &str,
    out: &Path,
    n: u32,
    model: Option<String>,
    name: Option<String>,
    template: bool,
) -> Vec<OsString> {
    let mut out_flag = OsString::from("--out=");
    out_flag.push(out.as_os_str());
    let mut argv: Vec<OsString> =
        vec!["wan".into(), command.into(), "--json".into(), "--quiet".into(), out_flag, format!("--count={n}").into()];
    if !template {
        argv.push("--no-template".into());
    }
    if let Some(model) = model {
        argv.push(format!("--model={model}").into());
    }
    if let Some(name) = name {
        argv.push(format!("--name={name}").into());
    }
    argv
}

/// Parses `argv` as the CLI does, checks the cost guard, and runs it.
fn run(context: &Context, argv: Vec<OsString>) -> Result<Ran, Error> {
    let settings = parse(context, argv)?;
    settings.check_cost_limit(&context.max_cost_per_call, "--max-cost-per-call").map_err(|error| {
        error.with_hint("ask for fewer images (n), or have the user start `wan mcp` with a higher --max-cost-per-call")
    })?;
    let capture = Capture::default();
    let outcome = crate::image::run::run_printing_to(&settings, Stdout::capturing(capture.clone()))?;
    let results = capture
        .text()
        .lines()
        .map(|line| serde_json::from_str(line).map_err(|e| Error::new(crate::error::Kind::Other, e.to_string())))
        .collect::<Result<_, _>>()?;
    Ok(Ran { outcome, results })
}

fn parse(context: &Context, argv: Vec<OsString>) -> Result<Settings, Error> {
    let cli = Cli::try_parse_from(argv).map_err(|e| Error::usage(clap_message(&e.to_string())))?;
    // Nothing is read from standard input: it is the protocol's.
    let stdin = &mut std::io::empty();
    match cli.command {
        Command::Generate(args) => generate::generate_settings(args, &context.env, stdin),
        Command::Edit(args) => generate::edit_settings(args, &context.env, stdin),
        _ => unreachable!("only generate and edit are built here"),
    }
}

/// clap's first line, naming the tool's fields rather than the flags they became.
fn clap_message(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    let line = line.strip_prefix("error: ").unwrap_or(line);
    [
        ("'--count <N>'", "n"),
        ("'--model <NAME>'", "model"),
        ("'--size <WxH>'", "size"),
        ("'--aspect <W:H>'", "aspect"),
        ("'--name <STEM>'", "name"),
    ]
    .iter()
    .fold(line.to_string(), |text, (flag, field)| text.replace(flag, field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_joined_to_their_flags_so_none_reads_as_a_flag() {
        let argv = flags("generate", Path::new("/o"), 2, Some("--pro".into()), Some("-x".into()), false);
        let argv: Vec<_> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            argv,
            [
                "wan",
                "generate",
                "--json",
                "--quiet",
                "--out=/o",
                "--count=2",
                "--no-template",
                "--model=--pro",
                "--name=-x"
            ]
        );
        let parsed = Cli::try_parse_from([argv, vec!["--".into(), "--help".into()]].concat()).unwrap();
        let Command::Generate(args) = parsed.command else { panic!("not generate") };
        assert_eq!(args.prompt.as_deref(), Some("--help"));
        assert_eq!(args.run.model, ["--pro"]);
        assert!(!args.run.pro);
    }

    #[test]
    fn clap_errors_name_the_tool_fields() {
        let err = Cli::try_parse_from(["wan", "generate", "--size=big", "--", "p"]).unwrap_err();
        let message = clap_message(&err.to_string());
        assert!(message.starts_with("invalid value 'big' for size: must be WIDTHxHEIGHT"), "{message}");
        let err = Cli::try_parse_from(["wan", "generate", "--count=0", "--", "p"]).unwrap_err();
        assert!(clap_message(&err.to_string()).contains("for n: must be a whole number, 1 or more"));
    }

    #[test]
    fn standard_input_is_never_read() {
        assert!(refuse_stdin("image", "-").is_err());
        assert!(refuse_stdin("image", "a.png").is_ok());
    }
}

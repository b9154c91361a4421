//! The command-line interface as clap types and help text; no I/O, no decisions.

#[macro_use]
mod help;
pub mod emulator;
pub mod run;
pub mod values;
pub mod video;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use emulator::EmulatorArgs;
use run::{EditArgs, GenerateArgs, RegenArgs, ResumeArgs};
use values::{at_least_one, usd_limit};

#[derive(Debug, Parser)]
#[command(
    name = "wan",
    version,
    about = "Make images with the image models served by AIsa (Wan 2.7 by default)",
    long_about = "Make images with the image models served by AIsa: Wan 2.7 by default, Seedream, \
        gpt-image and Gemini (see `wan models`).\n\n\
        Saves every image it is paid for, prints the saved paths on standard output \
        and the cost on standard error.",
    after_help = "Examples:\n  \
        wan generate \"red panda\" -n 2 -o out/\n  \
        wan edit ref.jpg \"make it Van Gogh\" --pro\n  \
        wan models\n\n\
        No key yet? Add --offline: the service is played inside wan, at no cost (`wan emulator` serves other programs).",
    after_long_help = concat!(
        "Examples:\n  wan generate \"red panda\" -n 2 -o out/\n  wan edit ref.jpg \"make it Van Gogh\" --pro\n  wan models\n\n",
        "No key yet? Add --offline: the service is played inside wan, at no cost (`wan emulator` serves other programs).\n\n",
        env_and_exit!()
    ),
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make images from a text prompt
    #[command(after_help = generate_examples!(),
              after_long_help = concat!(generate_examples!(), "\n\n", env_and_exit!()))]
    Generate(GenerateArgs),
    /// Make images from reference images and an instruction
    #[command(after_help = edit_examples!(),
              after_long_help = concat!(edit_examples!(), "\n\n", env_and_exit!()))]
    Edit(EditArgs),
    /// Make an image again: the request that made FILE (model, prompt, size, seed, fields,
    /// references), sent again into its folder
    #[command(after_help = "Examples:\n  \
        wan regen out/red-panda-001.png            one more, as out/red-panda-002.png\n  \
        wan regen out/red-panda-001.png -n 4 --dry-run\n  \
        wan regen a.png b.jpg -o again/\n\n\
        The request comes from each FILE's label, else from the journal's record of it (found by\n\
        its SHA-256). References are found where they were read and must be unchanged (same\n\
        SHA-256); a changed or missing one is exit 2, naming it, and nothing is sent.")]
    Regen(RegenArgs),
    /// List the models: their routes, prices, images per request, edit limits and size rules
    #[command(after_help = "Examples:\n  wan models\n  wan models --json | jq -r .model")]
    Models {
        /// Print one JSON object per model instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Finish what an interrupted or partial run left: fetch its paid images, send what was never sent
    #[command(after_help = "Examples:\n  \
        wan resume                    the latest run that did not finish\n  \
        wan resume 3f2a --dry-run     what finishing run 3f2a… would do and cost\n  \
        wan resume --resend-unknown   also send again requests whose outcome is unknown (may pay twice)")]
    Resume(ResumeArgs),
    /// Past runs from the journal, newest first
    #[command(after_help = "Examples:\n  wan history\n  wan history --limit 5 --json | jq -r .id")]
    History {
        /// Print one JSON object per run instead of a table
        #[arg(long)]
        json: bool,
        /// How many runs at most
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one::<u64>)]
        limit: u64,
    },
    /// A contact sheet of a run: one HTML page of its images, with their prompts, models and costs
    #[command(after_help = "Examples:\n  \
        wan gallery                   the latest run, as gallery-RUN.html in its folder\n  \
        wan gallery 3f2a --open       run 3f2a…, shown in the browser\n  \
        wan gallery -o sheets/        into another folder (the images linked from there)\n  \
        wan gallery -o - > page.html  the images linked from the current folder\n\n\
        The page runs no script and fetches nothing from the network: it links each image by its\n\
        path from the page, so it shows them as long as the two keep their places.")]
    Gallery(GalleryArgs),
    /// What was spent, from the journal (this machine's runs only)
    #[command(after_help = "Examples:\n  wan cost\n  wan cost --since 7d --by day\n  \
        wan cost --since 2026-11-01 --until 2026-12-01 --by model --json")]
    Cost(CostArgs),
    /// Where an image came from: its label (XMP), its Content Credentials, the journal's record
    #[command(after_help = "Examples:\n  wan info out/red-panda-001.png\n  wan info *.png --json")]
    Info {
        /// Files to look up (found by their SHA-256, so moved or renamed files are known)
        #[arg(value_name = "FILE", required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        /// Print one JSON object per file
        #[arg(long)]
        json: bool,
    },
    /// The account's balance, from the service
    #[command(after_help = "Examples:\n  wan balance\n  wan balance --json | jq .available_usd")]
    Balance {
        /// Print a JSON object instead of text
        #[arg(long)]
        json: bool,
        /// The API base URL [env: AISA_BASE_URL] [default: the config file's, else https://api.aisa.one/v1]
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Ask the emulator inside wan instead (a play balance) [env: WAN_OFFLINE]
        #[arg(long)]
        offline: bool,
    },
    /// Make videos through the service's asynchronous tasks: create, wait, status, list
    #[command(after_help = crate::cli::video::VIDEO_EXAMPLES)]
    Video {
        #[command(subcommand)]
        command: crate::cli::video::VideoCommand,
    },
    /// Run a local, offline stand-in for the AIsa endpoint, with fault injection
    #[command(after_help = emulator_examples!(), after_long_help = emulator_examples!())]
    Emulator(EmulatorArgs),
    /// Show where the config file is, or the settings in force and where each came from
    #[command(after_help = "Examples:\n  \
        wan config path\n  \
        $EDITOR \"$(wan config path)\"\n  \
        wan config show")]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Check the set-up, one line per check: config, key, service, folders
    #[command(after_help = "Examples:\n  \
        wan doctor\n  \
        wan doctor && wan generate \"a red panda\" --open\n\n\
        Exit 0 when every check holds, else the exit code (see wan --help) of the first that fails.")]
    Doctor {
        /// Check the set-up for --offline: the emulator inside wan stands for the service [env: WAN_OFFLINE]
        #[arg(long)]
        offline: bool,
    },
    /// Serve image tools to coding agents: an MCP server on standard input and output
    #[command(after_help = mcp_examples!(), after_long_help = mcp_examples!())]
    Mcp(McpArgs),
    /// Print the agent skill (SKILL.md) that teaches coding agents to use wan
    #[command(after_help = "Examples:\n  \
        wan skill\n  \
        mkdir -p ~/.claude/skills/wan && wan skill > ~/.claude/skills/wan/SKILL.md")]
    Skill,
    /// Print a shell completion script
    #[command(after_help = "Examples:\n  \
        wan completions bash > ~/.local/share/bash-completion/completions/wan\n  \
        wan completions zsh > ~/.zfunc/_wan\n  \
        wan completions fish > ~/.config/fish/completions/wan.fish")]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `wan mcp`: where files go, and the guards every tool call meets.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Folder every tool writes under, created if missing (a leading `~/` is the home
    /// folder); a call's `out_dir` is taken inside it and may not leave it [default: the
    /// current folder]
    #[arg(short, long = "out", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,

    /// Refuse, before sending, a call that could cost more than this many US dollars
    /// (or whose price is unknown)
    #[arg(long, value_name = "USD", default_value = "0.50", value_parser = usd_limit)]
    pub max_cost_per_call: String,

    /// Offer the video tools (create_video, video_status): a video's price is not known
    /// before it is made, so they are off unless asked for
    #[arg(long)]
    pub allow_video: bool,

    /// Serve every tool from the emulator inside wan: no key needed, nothing sent off this
    /// machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]
    #[arg(long)]
    pub offline: bool,
}

/// `wan edit picture.png` with the prompt forgotten: clap takes the one value for the prompt
/// and says the images are missing; the user forgot the prompt.
pub fn forgot_the_edit_prompt(error: &clap::Error) -> bool {
    use clap::error::{ContextKind, ContextValue};
    let missing = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::Strings(args)) => args.as_slice() == ["<IMAGE>..."],
        _ => false,
    };
    let usage = error.get(ContextKind::Usage).is_some_and(|u| u.to_string().contains("wan edit"));
    error.kind() == clap::error::ErrorKind::MissingRequiredArgument && missing && usage
}

impl Command {
    /// A command that reaches the service, and may play it inside `wan` instead: its
    /// `--offline` and `--base-url`. `None` for the rest, and for `resume`, which goes
    /// offline by the run it finishes.
    pub fn offline_flags(&self) -> Option<(bool, Option<&str>)> {
        use crate::cli::video::VideoCommand;
        fn service(s: &crate::cli::video::ServiceArgs) -> Option<(bool, Option<&str>)> {
            Some((s.offline, s.base_url.as_deref()))
        }
        match self {
            Self::Generate(args) => Some((args.run.offline, args.run.base_url.as_deref())),
            Self::Edit(args) => Some((args.run.offline, args.run.base_url.as_deref())),
            Self::Regen(args) => Some((args.offline, args.base_url.as_deref())),
            Self::Balance { offline, base_url, .. } => Some((*offline, base_url.as_deref())),
            Self::Doctor { offline } => Some((*offline, None)),
            Self::Mcp(args) => Some((args.offline, None)),
            Self::Video { command } => match command {
                VideoCommand::Create(args) => service(&args.service),
                VideoCommand::Wait(args) => service(&args.service),
                VideoCommand::Status(args) => service(&args.service),
                VideoCommand::List { .. } => None,
            },
            Self::Models { .. }
            | Self::Resume(_)
            | Self::History { .. }
            | Self::Gallery(_)
            | Self::Cost(_)
            | Self::Info { .. }
            | Self::Emulator(_)
            | Self::Config { .. }
            | Self::Skill
            | Self::Completions { .. } => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path (it may not exist yet)
    Path,
    /// Print each setting a run without flags would use, and where it came from (env, file, default)
    Show,
}

/// `wan gallery`: which run, and where its page goes.
#[derive(Debug, Args)]
pub struct GalleryArgs {
    /// The run's id, or a unique start of it [default: the latest run]
    #[arg(value_name = "RUN")]
    pub run: Option<String>,

    /// Where to write the page: a file (a page written before is replaced, anything else is
    /// refused), a folder (the page goes in it as gallery-RUN.html), or - for standard
    /// output, with the images linked from the current folder [default: gallery-RUN.html in
    /// the run's folder]
    #[arg(short, long = "out", value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,

    /// Show the page in the system's browser once it is written (xdg-open; open on macOS)
    #[arg(long)]
    pub open: bool,
}

/// `wan cost`: which span, and how to group it.
#[derive(Debug, Args)]
pub struct CostArgs {
    /// From when: a date (2026-11-01), `today`, or a span back from now (7d, 24h)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Until when (not included), in the same forms [default: now]
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Group the sums by day (local time) or by model
    #[arg(long, value_enum, value_name = "WHAT")]
    pub by: Option<CostGroup>,

    /// Set the journal's total beside what the service says the account was charged over
    /// the same span (GET /usage); needs the key
    #[arg(long, conflicts_with = "by")]
    pub reconcile: bool,

    /// The API base URL, as for generate (with --reconcile)
    #[arg(long, value_name = "URL", requires = "reconcile")]
    pub base_url: Option<String>,

    /// Print a JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CostGroup {
    Day,
    Model,
}

#[cfg(test)]
mod man;

//! The command-line interface as clap types and help text; no I/O, no decisions.

pub mod video;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The environment and exit-code table, shown by every `--help`.
macro_rules! env_and_exit {
    () => {
        "\
Environment:
  AISA_API_KEY    the API key (required to send anything; never printed)
  AISA_BASE_URL   the API base URL, as --base-url
  WAN_MODEL       the model, as --model
  WAN_ROUTE       the route, as --route
  WAN_CONFIG      the config file (default ~/.config/wan/config.toml; see wan config)
  NO_COLOR        turns colour off

Exit codes:
  0    every image asked for was saved
  1    anything else: local I/O failure, an answer that is not what the API documents
  2    usage or bad local input (clap's errors included); nothing was sent
  3    authentication: no key, 401, 403
  4    the API rejected the request: 400, 404, 422, model_not_found
  5    rate limited: 429 after the retries ran out, or a spending cap (quota_exceeded)
  6    the service or the network failed: 5xx after retries, connection errors, timeouts
  7    partial: images were paid for that were not all saved (also when none could be saved)
  8    not finished yet: a video task still running when --wait-timeout ran out
  130  interrupted (Ctrl-C, SIGTERM or SIGHUP)"
    };
}
pub(crate) use env_and_exit;

macro_rules! generate_examples {
    () => {
        "\
Examples:
  wan generate \"red panda\"                      one image, saved as red-panda-001.png
  wan generate \"red panda\" -n 8 -o out/ --pro   eight images with the pro model
  echo \"a lighthouse at dusk\" | wan generate    the prompt from standard input
  wan generate -f prompts.txt -n 2 --json       a batch: one prompt per line, JSON Lines out
  wan generate -f prompts.txt --shard 2/4       this machine's quarter of the batch
  wan generate \"red panda\" -n 12 --dry-run      show the requests and their cost; send nothing
  wan generate \"red panda\" -n 20 --max-cost 0.50  refuse if it would cost more than $0.50
  wan generate -f prompts.txt -j 16 --rpm 600   a batch at the key's 600 requests a minute"
    };
}

macro_rules! edit_examples {
    () => {
        "\
Examples:
  wan edit ref.jpg \"make it Van Gogh\" --pro
  wan edit a.png b.png \"put the cat from the first on the sofa of the second\"
  wan edit https://example.com/room.jpg \"paint the walls green\" -o out/
  cat photo.png | wan edit - \"remove the background\" --json

Reference images: PNG, JPEG, WebP or BMP, at most 20 MB and 240 to 8000 px a side, at
most 9; a local file is sent as a data URI, a URL as given. The prompt comes last."
    };
}

macro_rules! emulator_examples {
    () => {
        "\
Examples:
  wan emulator --port 8787
  AISA_BASE_URL=http://127.0.0.1:8787/v1 AISA_API_KEY=test wan generate \"red panda\"
  wan emulator --port 0 --moved-to-images --base64      a free port, the later service
  wan emulator --error-429 0.3 --drop 0.05 --seed 42    repeatable faults for tests
  wan emulator --port 0 --rpm 600                       a budget of 600 requests a minute, then 429

The first line on stdout is the base URL it listens on; one line per request goes to stderr."
    };
}

macro_rules! mcp_examples {
    () => {
        "\
Examples:
  claude mcp add --scope user wan -- wan mcp --out ~/Pictures/wan
  wan mcp --out images --max-cost-per-call 0.25

Tools: generate_image, edit_image, list_models, balance; create_video and video_status
with --allow-video. Files go under --out, each call's cost is checked before anything is
sent, and calls are recorded in the journal as runs of the CLI are. Standard output
carries only the protocol; logs go to standard error."
    };
}

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
        No key yet? `wan emulator` plays the service offline, at no cost: see `wan emulator --help`.",
    after_long_help = concat!(
        "Examples:\n  wan generate \"red panda\" -n 2 -o out/\n  wan edit ref.jpg \"make it Van Gogh\" --pro\n  wan models\n\n",
        "No key yet? `wan emulator` plays the service offline, at no cost: see `wan emulator --help`.\n\n",
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
    /// What was spent, from the journal (this machine's runs only)
    #[command(after_help = "Examples:\n  wan cost\n  wan cost --since 7d --by day\n  \
        wan cost --since 2026-11-01 --until 2026-12-01 --by model --json")]
    Cost(CostArgs),
    /// Where an image came from: its provenance chunk and the journal's record
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
    Doctor,
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
}

/// An amount in US dollars as `--max-cost` takes it (`0.50`, `$5`), kept as written.
fn usd_limit(text: &str) -> Result<String, String> {
    match crate::catalogue::money::parse_limit_usd(text) {
        Some(_) => Ok(text.to_string()),
        None => Err("must be an amount in US dollars, e.g. 0.50".to_string()),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path (it may not exist yet)
    Path,
    /// Print each setting a run without flags would use, and where it came from (env, file, default)
    Show,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The prompt; with none, or `-`, it is read from standard input
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped
    #[arg(short, long, value_name = "FILE", conflicts_with = "prompt")]
    pub file: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Reference images: paths, `-` for standard input, or http(s) URLs (as many as the model
    /// takes: 9 for Wan, 16 for gpt-image, 14 for Gemini; PNG, JPEG, WebP or BMP, at most 20 MB
    /// and 240 to 8000 px a side)
    #[arg(value_name = "IMAGE", required = true, num_args = 1..)]
    pub images: Vec<String>,

    /// What to do with them
    #[arg(value_name = "PROMPT")]
    pub prompt: String,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RouteArg {
    /// Chat first; the images route where the service has moved the model
    Auto,
    /// Only POST /chat/completions
    Chat,
    /// Only POST /images/generations and /images/edits
    Images,
    /// Only POST /models/{model}:generateContent (or /v1beta/…), one image per request
    Gemini,
}

/// Options shared by `generate` and `edit`. Those the config file may set have no clap
/// default, so that settings can tell a flag from a default (`[default: …]` is in the
/// help text instead).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How many images (split into requests of at most the model's images per request)
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 1, value_parser = at_least_one::<u32>)]
    pub count: u32,

    /// Only the prompts numbered K modulo N, counting the prompts kept from 1: this
    /// machine's share of a batch spread over N (one prompt alone is shard 1/N's)
    #[arg(long, value_name = "K/N", value_parser = crate::shard::Shard::parse)]
    pub shard: Option<crate::shard::Shard>,

    /// The model to use [env: WAN_MODEL] [default: wan2.7-image]
    #[arg(short, long, value_name = "NAME", value_parser = Suggested::models(), hide_possible_values = true)]
    pub model: Option<String>,

    /// Use wan2.7-image-pro ($0.075 per image instead of $0.030)
    #[arg(long)]
    pub pro: bool,

    /// Folder for the images, created if missing; `-` writes the one image to standard
    /// output [default: the current folder]
    #[arg(short, long = "out", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,

    /// File name stem, instead of one made from the prompt
    #[arg(long, value_name = "STEM")]
    pub name: Option<String>,

    /// Print one JSON object per prompt on standard output instead of paths
    #[arg(long)]
    pub json: bool,

    /// No progress, retry notices or summary line; errors and warnings still print
    #[arg(short, long)]
    pub quiet: bool,

    /// Print each request and answer (method, URL, status, request id, timings)
    #[arg(short, long)]
    pub verbose: bool,

    /// The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Seconds to wait for one API answer [default: 300]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u64>)]
    pub timeout: Option<u64>,

    /// Seconds to wait for one image download [default: 120]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u64>)]
    pub download_timeout: Option<u64>,

    /// Where to send requests: the model's own route (auto; for Wan, chat first and the images
    /// route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]
    #[arg(long, value_enum, value_name = "ROUTE")]
    pub route: Option<RouteArg>,

    /// Retries of a request that never connected or that the service answered with
    /// 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Requests in flight at once, across the whole run [default: 4]
    #[arg(short, long, value_name = "N", value_parser = at_least_one::<usize>)]
    pub jobs: Option<usize>,

    /// Start at most N requests a minute, across all jobs (the key's rate limit); without
    /// it, the service's rate-limit headers and 429s pace the run
    #[arg(long, value_name = "N", value_parser = at_least_one::<u32>)]
    pub rpm: Option<u32>,

    /// Image size, sent as the `size` field (`auto` for gpt-image); checked against the
    /// model's rule (see `wan models`)
    #[arg(long, value_name = "WxH", value_parser = Suggested::sizes(), hide_possible_values = true)]
    pub size: Option<SizeArg>,

    /// Another field for the request body; VALUE is JSON where it parses, else a string
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// Print the request body (or bodies) and the cost; send nothing; no key needed
    #[arg(long)]
    pub dry_run: bool,

    /// Refuse to send anything if the run would cost more than this many US dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<String>,

    /// Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed
    #[arg(long)]
    pub no_journal: bool,

    /// Write the bytes exactly as served: no provenance chunk in PNGs
    #[arg(long)]
    pub no_metadata: bool,

    /// Open the saved files in the system's image viewer when the run ends
    #[arg(long)]
    pub open: bool,
}

/// `wan resume`: which run, and how.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run's id, or a unique start of it [default: the latest run that did not finish]
    #[arg(value_name = "RUN")]
    pub run: Option<String>,

    /// Also send requests that were sent and never answered (they may have been billed)
    #[arg(long)]
    pub resend_unknown: bool,

    /// Say what would be done and what it would cost; do nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Print one JSON object per prompt on standard output instead of paths
    #[arg(long)]
    pub json: bool,

    /// No progress, retry notices or summary line; errors and warnings still print
    #[arg(short, long)]
    pub quiet: bool,

    /// Print each request and answer
    #[arg(short, long)]
    pub verbose: bool,

    /// Requests in flight at once
    #[arg(short, long, value_name = "N", default_value_t = 4, value_parser = at_least_one::<usize>)]
    pub jobs: usize,

    /// Start at most N requests a minute, across all jobs (the key's rate limit)
    #[arg(long, value_name = "N", value_parser = at_least_one::<u32>)]
    pub rpm: Option<u32>,

    /// Retries of a request that never connected or that the service answered with 408, 429 or 5xx
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub retries: u32,

    /// Seconds to wait for one API answer
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = at_least_one::<u64>)]
    pub timeout: u64,

    /// Seconds to wait for one image download
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = at_least_one::<u64>)]
    pub download_timeout: u64,

    /// The API base URL [env: AISA_BASE_URL] [default: the run's own]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
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

    /// Print a JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CostGroup {
    Day,
    Model,
}

/// A value with suggestions for shell completion that still takes any value: the models
/// of the catalogue (the service serves others too), the common sizes.
#[derive(Clone)]
pub struct Suggested<T> {
    names: fn() -> Vec<&'static str>,
    parse: fn(&str) -> Result<T, String>,
}

/// Sizes every Wan model takes, square and the usual landscape and portrait ones.
const COMMON_SIZES: &[&str] = &["1024x1024", "1280x720", "720x1280", "1536x1024", "1024x1536", "2048x2048"];

impl Suggested<String> {
    fn models() -> Self {
        Self { names: crate::catalogue::names, parse: |text| Ok(text.to_string()) }
    }

    pub fn video_models() -> Self {
        Self { names: || crate::catalogue::video::MODEL_NAMES.to_vec(), parse: |text| Ok(text.to_string()) }
    }
}

impl Suggested<SizeArg> {
    fn sizes() -> Self {
        Self { names: || COMMON_SIZES.to_vec(), parse: parse_size_arg }
    }
}

impl<T: Clone + Send + Sync + 'static> clap::builder::TypedValueParser for Suggested<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        (self.parse)(&text).map_err(|why| {
            let arg = arg.map_or_else(|| "the value".to_string(), |a| a.to_string());
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value '{text}' for '{arg}': {why}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new((self.names)().into_iter().map(clap::builder::PossibleValue::new)))
    }
}

/// A whole number of 1 or more, with a message that says so.
pub fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(text: &str) -> Result<T, String> {
    let text = text.trim();
    match text.parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        // All digits and still no number: it is too large for the type, not malformed.
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Err("is a whole number too large to take".to_string())
        }
        _ => Err("must be a whole number, 1 or more".to_string()),
    }
}

/// A `WIDTHxHEIGHT` image size, each side 1 or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// `--size`: `WxH`, or `auto` (which only gpt-image models take).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeArg {
    Auto,
    Exact(Size),
}

impl std::fmt::Display for SizeArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Exact(size) => size.fmt(f),
        }
    }
}

fn parse_size_arg(text: &str) -> Result<SizeArg, String> {
    if text.eq_ignore_ascii_case("auto") {
        return Ok(SizeArg::Auto);
    }
    parse_size(text).map(SizeArg::Exact).map_err(|why| format!("{why}, or auto"))
}

pub fn parse_size(text: &str) -> Result<Size, String> {
    let side = |n: &str| n.parse::<u32>().ok().filter(|&v| v > 0 && n.bytes().all(|b| b.is_ascii_digit()));
    text.split_once(['x', 'X'])
        .and_then(|(w, h)| Some(Size { width: side(w)?, height: side(h)? }))
        .ok_or_else(|| "must be WIDTHxHEIGHT, e.g. 1024x1024".to_string())
}

/// `wan emulator`: where to listen, which service to play, and which faults to inject.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,

    /// Port to listen on; 0 picks a free one
    #[arg(short, long, default_value_t = 8787)]
    pub port: u16,

    /// Refuse any bearer key but this one (by default any key is taken; a missing one is a 401)
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,

    /// Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported
    #[arg(long)]
    pub moved_to_images: bool,

    /// Answer the Wan models with base64 images instead of URLs (the others answer in
    /// their own form: Seedream URLs, gpt-image and Gemini base64)
    #[arg(long)]
    pub base64: bool,

    /// Scramble every pixel, so images hardly compress (large answers, for size tests)
    #[arg(long)]
    pub noise: bool,

    /// Size of the images drawn, unless a request asks for one (within the model's limits)
    #[arg(long, value_name = "WxH", default_value = "1024x1024", value_parser = parse_size)]
    pub size: Size,

    /// The account's balance at start, in US dollars: `GET /v1/credits/balance` shows it
    /// going down by the list price of what is made
    #[arg(long, value_name = "USD", default_value = "100")]
    pub balance: String,

    /// Seconds an image URL lives; then it answers 403 as an expired CDN link does
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub url_ttl: u64,

    /// Milliseconds added before every API answer
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,

    /// Milliseconds added before every image download
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub download_latency: u64,

    /// Share of API requests answered 429 with Retry-After (0 to 1)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub error_429: f64,

    /// Seconds in the Retry-After of those 429s
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u64,

    /// Share of API requests answered 500 or 503 (0 to 1)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub error_5xx: f64,

    /// Share of API requests whose connection is dropped after the request is read (0 to 1)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub drop: f64,

    /// Share of image downloads cut short halfway (0 to 1)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub cut_downloads: f64,

    /// Download speed in bytes per second (0: as fast as possible)
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub slow_downloads: u64,

    /// Seed for the faults: the same seed and order of requests give the same faults
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Milliseconds a video task takes: queued, then in progress, then completed
    #[arg(long, value_name = "MS", default_value_t = 4000)]
    pub video_ms: u64,

    /// Share of video tasks that fail at the end (0 to 1)
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub video_fail: f64,

    /// Size of the clips drawn (small: the frames are encoded as the task completes)
    #[arg(long, value_name = "WxH", default_value = "320x180", value_parser = parse_size)]
    pub video_size: Size,

    /// Answer /v1/video/generations with a plain 404, as the April service did: only the
    /// DashScope task route serves video
    #[arg(long)]
    pub no_video_gateway: bool,

    /// Allow N image requests a minute, a second's worth at once; past that, 429 with
    /// Retry-After. The x-ratelimit-* headers then say what is left (without it nothing
    /// is limited and they are not sent)
    #[arg(long, value_name = "N", value_parser = at_least_one::<u64>)]
    pub rpm: Option<u64>,
}

#[cfg(test)]
mod man;

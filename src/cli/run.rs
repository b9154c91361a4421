//! The interface of a run: `generate` and `edit` with the options they share, and `resume`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::values::{SizeArg, Suggested, at_least_one};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The prompt, a template ({a|b} makes a prompt of each alternative; {{ }} are
    /// braces); with none, or `-`, it is read from standard input
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// A batch: one prompt (or template) per line (`-` for standard input); blank and `#`
    /// lines skipped
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

    /// What to do with them: a template, as for generate ({a|b} makes a prompt of each)
    #[arg(value_name = "PROMPT")]
    pub prompt: String,

    /// A mask for the first image, for the models whose API takes one (gpt-image): a PNG
    /// of the same size with an alpha channel, transparent where the image is to change
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub mask: Option<PathBuf>,

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

    /// The values {NAME} takes in a template: the lines of FILE (blank and `#` lines
    /// skipped; at most 1 MiB); repeatable, one per name
    #[arg(long = "var", value_name = "NAME=FILE", conflicts_with = "no_template", value_hint = clap::ValueHint::Other)]
    pub vars: Vec<String>,

    /// Send the prompts as written: `{`, `|` and `}` are text, not a template of choices
    /// ({a|b}) and variables ({NAME})
    #[arg(long)]
    pub no_template: bool,

    /// Only the prompts numbered K modulo N, counting the prompts kept from 1: this
    /// machine's share of a batch spread over N (one prompt alone is shard 1/N's)
    #[arg(long, value_name = "K/N", value_parser = crate::shard::Shard::parse)]
    pub shard: Option<crate::shard::Shard>,

    /// The model to use [env: WAN_MODEL] [default: the config file's `model`, else wan2.7-image]
    ///
    /// Several (`-m A,B` or `-m A -m B`) are a matrix: each prompt to each model, the model
    /// in each file's name.
    #[arg(short, long, value_name = "NAME", value_delimiter = ',', value_parser = Suggested::models(), hide_possible_values = true)]
    pub model: Vec<String>,

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

    /// Play the service inside wan: no key needed, nothing sent off this machine, nothing
    /// billed; the pictures are drawn locally [env: WAN_OFFLINE]
    #[arg(long)]
    pub offline: bool,

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

    /// The picture's shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way:
    /// a size of that shape within its rules, or Gemini's aspectRatio; refused where the
    /// model has none of that shape
    #[arg(long, value_name = "W:H", conflicts_with = "size", value_parser = Suggested::aspects(), hide_possible_values = true)]
    pub aspect: Option<crate::catalogue::aspect::Aspect>,

    /// Another field for the request body; VALUE is JSON where it parses, else a string
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// The seed, for the models whose API takes one (`wan models` says which): sent as the
    /// body's `seed` (Gemini: in generationConfig) and written into each file's label, so
    /// that `wan regen` sends it again
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=2_147_483_647))]
    pub seed: Option<u32>,

    /// Print the request body (or bodies) and the cost; send nothing; no key needed
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: ask the service to price each distinct request (a quote, not run
    /// or billed) and show its estimate beside the list price; needs the key
    #[arg(long, requires = "dry_run")]
    pub quote: bool,

    /// Refuse to send anything if the run would cost more than this many US dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<String>,

    /// Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed
    #[arg(long)]
    pub no_journal: bool,

    /// Write the bytes exactly as served: no label (XMP) in the files
    #[arg(long)]
    pub no_metadata: bool,

    /// Leave the prompt out of each file's label (it stays in the journal)
    #[arg(long)]
    pub no_prompt_in_file: bool,

    /// Open the saved files in the system's image viewer when the run ends
    #[arg(long)]
    pub open: bool,

    /// Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images
    /// where the terminal has them, a line otherwise; on standard error, never on a pipe)
    #[arg(long)]
    pub preview: bool,
}

/// `wan regen`: the files whose requests to send again, and how.
#[derive(Debug, Args)]
pub struct RegenArgs {
    /// Images wan made: each one's label (else the journal's record, found by its SHA-256)
    /// says the request that made it
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,

    /// How many images of each (split into requests as for generate)
    #[arg(short = 'n', long = "count", value_name = "N", default_value_t = 1, value_parser = at_least_one::<u32>)]
    pub count: u32,

    /// Folder for the new images, created if missing [default: each FILE's own folder]
    #[arg(short, long = "out", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,

    /// Print the request body (or bodies) and the cost; send nothing; no key needed
    #[arg(long)]
    pub dry_run: bool,

    /// Refuse to send anything if all the FILEs' requests together would cost more than this many US dollars
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<String>,

    /// Print one JSON object per FILE on standard output instead of paths
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

    /// Play the service inside wan: no key needed, nothing sent off this machine, nothing
    /// billed; the pictures are drawn locally [env: WAN_OFFLINE]
    #[arg(long)]
    pub offline: bool,

    /// Seconds to wait for one API answer [default: 300]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u64>)]
    pub timeout: Option<u64>,

    /// Seconds to wait for one image download [default: 120]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u64>)]
    pub download_timeout: Option<u64>,

    /// Retries of a request that never connected or that the service answered with
    /// 408, 429 or 5xx (0 disables) [default: 2]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Requests in flight at once [default: 4]
    #[arg(short, long, value_name = "N", value_parser = at_least_one::<usize>)]
    pub jobs: Option<usize>,

    /// Keep no record of this run in the journal (also WAN_JOURNAL=off)
    #[arg(long)]
    pub no_journal: bool,

    /// Write the bytes exactly as served: no label (XMP) in the files
    #[arg(long)]
    pub no_metadata: bool,

    /// Leave the prompt out of each file's label (it stays in the journal)
    #[arg(long)]
    pub no_prompt_in_file: bool,

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

    /// The API base URL [env: AISA_BASE_URL, not for a video task, which is followed where
    /// it was made] [default: the run's own]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Finish a run made with --offline inside wan again (such a run always is; a run made
    /// by the service never is) [env: WAN_OFFLINE]
    #[arg(long)]
    pub offline: bool,
}

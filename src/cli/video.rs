//! `wan video`'s interface as clap types and help text; no I/O, no decisions.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::values::{Suggested, at_least_one};

pub const VIDEO_EXAMPLES: &str = "\
Examples:
  wan video create \"a red panda rolls down a grassy hill\"      text to video; waits, saves the clip
  wan video create \"she turns and smiles\" --image face.png    image to video (wan2.7-i2v)
  wan video create \"waves at dusk\" --no-wait                  print the task id, exit at once
  wan video wait video_task_1a2b3c                            pick a task up again, save its clip
  wan video status video_task_1a2b3c --json                   one look; nothing saved
  wan video list                                              the tasks this machine started";

macro_rules! create_examples {
    () => {
        "\
Examples:
  wan video create \"a red panda rolls down a grassy hill\" -o clips/
  wan video create \"she turns and smiles\" --image face.png --duration 10 --resolution 1080P
  wan video create \"morning in the city\" --image https://example.com/a.jpg --last-frame b.png
  wan video create \"he sings\" --image face.png --media driving_audio=song.mp3
  echo \"a lighthouse at dusk\" | wan video create --no-wait
  wan video create \"a fox\" --dry-run                    show the request; send nothing

Waiting: wan looks at the task every --poll seconds, shows its state, the service's progress
and the time waited, and saves the clip the moment it is ready. Ctrl-C or --wait-timeout
stops waiting, not the task: `wan video wait ID` picks it up (exit 130, or 8).
Cost: the service bills each clip (dollars, not cents); its price is not in wan's catalogue,
so it shows as unknown unless the service reports one, and --max-cost refuses."
    };
}

/// `wan video …`.
#[derive(Debug, Subcommand)]
pub enum VideoCommand {
    /// Start a video task (text or image to video), wait for it and save the clip
    #[command(after_help = create_examples!(),
              after_long_help = concat!(create_examples!(), "\n\n", env_and_exit!()))]
    Create(CreateArgs),
    /// Follow tasks to the end and save their videos
    #[command(
        mut_arg("out", |arg| arg.help(
            "Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]"
        )),
        mut_arg("name", |arg| arg.help("File name stem [default: the stem recorded for each task, else one made from its prompt]")),
        mut_arg("base_url", |arg| arg.help(
            "Follow the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]"
        )),
        after_help = "Examples:\n  \
        wan video wait video_task_1a2b3c\n  \
        wan video wait ID1 ID2 -o clips/ --json\n\n\
        The folder and file stem are those the journal recorded for the task, unless -o or --name say.",
              after_long_help = concat!("Examples:\n  wan video wait video_task_1a2b3c\n  \
        wan video wait ID1 ID2 -o clips/ --json\n\n\
        The folder and file stem are those the journal recorded for the task, unless -o or --name say.\n\n",
        env_and_exit!()))]
    Wait(WaitArgs),
    /// One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)
    #[command(
        mut_arg("base_url", |arg| arg.help(
            "Look at the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]"
        )),
        after_help = "Examples:\n  wan video status video_task_1a2b3c\n  wan video status ID --json | jq -r .state"
    )]
    Status(StatusArgs),
    /// The video tasks this machine started, newest first, with their last known state
    #[command(
        after_help = "Examples:\n  wan video list\n  wan video list --json | jq -r 'select(.state != \"saved\") | .id'"
    )]
    List {
        /// Print one JSON object per task instead of a table
        #[arg(long)]
        json: bool,
        /// How many tasks at most
        #[arg(long, value_name = "N", default_value_t = 20, value_parser = at_least_one::<u64>)]
        limit: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Resolution {
    #[value(name = "720P")]
    P720,
    #[value(name = "1080P")]
    P1080,
}

impl Resolution {
    pub fn name(self) -> &'static str {
        match self {
            Self::P720 => "720P",
            Self::P1080 => "1080P",
        }
    }
}

/// Options for reaching the service, shared by every `wan video` command that sends.
#[derive(Debug, Args)]
pub struct ServiceArgs {
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

    /// Retries of a create that never connected or met the cap of tasks per key (429);
    /// never of one that may have been carried out [default: 2]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Print each request and answer (method, URL, status, request id, timings)
    #[arg(short, long)]
    pub verbose: bool,
}

/// How `wan` waits for a task and where it saves the clip.
#[derive(Debug, Args)]
pub struct WaitOptions {
    /// Folder for the video, created if missing [default: the current folder]
    #[arg(short, long = "out", value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub out: Option<PathBuf>,

    /// File name stem, instead of one made from the prompt
    #[arg(long, value_name = "STEM")]
    pub name: Option<String>,

    /// Seconds between looks at the task, at least 2 (a little jitter is added)
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = at_least_two)]
    pub poll: u64,

    /// Seconds to wait for the task to end; then exit 8 (the task goes on at the service)
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = at_least_one::<u64>)]
    pub wait_timeout: u64,

    /// Seconds one download of the video may take [default: 600]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u64>)]
    pub download_timeout: Option<u64>,

    /// Print one JSON object per task on standard output instead of paths
    #[arg(long)]
    pub json: bool,

    /// No progress or summary line; errors and warnings still print
    #[arg(short, long)]
    pub quiet: bool,

    /// Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then
    #[arg(long)]
    pub no_journal: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The prompt; with none, or `-`, it is read from standard input
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// The first frame: an image file (sent as a data URI) or an http(s) URL
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// The last frame: an image file or an http(s) URL
    #[arg(long, value_name = "REF")]
    pub last_frame: Option<String>,

    /// Another media item, repeatable: TYPE is first_frame, last_frame, driving_audio or
    /// first_clip, REF a file (sent as a data URI) or an http(s) URL
    #[arg(long, value_name = "TYPE=REF")]
    pub media: Vec<String>,

    /// The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]
    #[arg(short, long, value_name = "NAME", value_parser = Suggested::video_models(), hide_possible_values = true)]
    pub model: Option<String>,

    /// The resolution [default: 720P]
    #[arg(long, value_enum, ignore_case = true, value_name = "RES")]
    pub resolution: Option<Resolution>,

    /// The clip's length in seconds, one the model makes (`wan models` lists them: Wan 2.7
    /// takes 2 to 15) [default: 5]
    #[arg(long, value_name = "SECS", value_parser = at_least_one::<u32>)]
    pub duration: Option<u32>,

    /// Another field for the body's `parameters` (Seedance: the body itself); VALUE is
    /// JSON where it parses, else a string
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// Print the task id on standard output and exit at once; `wan video wait ID` saves the clip later
    #[arg(long)]
    pub no_wait: bool,

    /// Print the request body and what it would cost; send nothing; no key needed
    #[arg(long)]
    pub dry_run: bool,

    /// Refuse to send anything if the video could cost more than this many US dollars
    /// (video prices are not in wan's catalogue, so this refuses unless the catalogue has one)
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<String>,

    #[command(flatten)]
    pub wait: WaitOptions,

    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Task ids, as `wan video create --no-wait` or `wan video list` print them
    #[arg(value_name = "TASK", required = true, num_args = 1..)]
    pub tasks: Vec<String>,

    #[command(flatten)]
    pub wait: WaitOptions,

    #[command(flatten)]
    pub service: ServiceArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Task ids
    #[arg(value_name = "TASK", required = true, num_args = 1..)]
    pub tasks: Vec<String>,

    /// Print one JSON object per task instead of a line
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `--poll`: a look every 2 seconds at most often; the service advises every 3 to 5 s, and
/// a task takes a minute or two, so faster looks only spend its rate limit.
fn at_least_two(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if n >= 2 => Ok(n),
        _ => Err("must be a whole number of seconds, 2 or more".to_string()),
    }
}

//! The help text every command shares: the environment and exit codes, and each command's examples.

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
  WAN_OFFLINE     1 plays the service inside wan, as --offline
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

macro_rules! generate_examples {
    () => {
        "\
Examples:
  wan generate \"red panda\"                      one image, saved as red-panda-001.png
  wan generate \"red panda\" -n 8 -o out/ --pro   eight images with the pro model
  echo \"a lighthouse at dusk\" | wan generate    the prompt from standard input
  wan generate -f prompts.txt -n 2 --json       a batch: one prompt per line, JSON Lines out
  wan generate -f prompts.txt --shard 2/4       this machine's quarter of the batch
  wan generate \"a {red|blue} {fox|owl}\" --dry-run   a template: its 4 prompts listed, not sent
  wan generate \"red panda\" -n 12 --dry-run      show the requests and their cost; send nothing
  wan generate \"red panda\" -n 20 --max-cost 0.50  refuse if it would cost more than $0.50
  wan generate -f prompts.txt -j 16 --rpm 600   a batch at the key's 600 requests a minute
  wan generate \"a harbour\" --aspect 16:9        a 16:9 picture, asked of the model its own way"
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
  wan edit room.png \"a window here\" -m gpt-image-2 --mask mask.png

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

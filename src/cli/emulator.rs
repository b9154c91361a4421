//! `wan emulator`'s interface: where to listen, which service to play, which faults to inject.

use clap::{Args, ValueEnum};

use super::values::at_least_one;
use crate::catalogue::size::{Size, parse_size};

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

    /// Serve Gemini on /v1beta/models/… only: /v1/models/{model}:generateContent answers a
    /// plain 404, to exercise a client's move to /v1beta
    #[arg(long)]
    pub gemini_v1beta_only: bool,

    /// Answer Gemini in snake_case (inline_data, mime_type), as AIsa's OpenAPI file names
    /// the fields, instead of Google's camelCase (inlineData, mimeType)
    #[arg(long)]
    pub gemini_snake_case: bool,

    /// Also take the key from x-goog-api-key, as Google's SDKs send it (AIsa documents only
    /// Authorization: Bearer)
    #[arg(long)]
    pub goog_api_key: bool,

    /// Charge the Wan models their list price per request instead of per image (the
    /// catalogue page has said both), in the balance, the usage and
    /// x-aisa-customer-cost-micros-usd
    #[arg(long)]
    pub bill_per_request: bool,

    /// Remember each Idempotency-Key for the emulator's run (a repeat of a completed
    /// request is a 409, not billed); off plays a service that ignores the header
    #[arg(long, value_name = "on|off", default_value = "on")]
    pub idempotency: Switch,

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

/// A feature of the emulated service, played or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

//! `wan emulator`: its arguments handed to the offline service, which checks them and serves.

use crate::cli::emulator::{EmulatorArgs, Switch};
use crate::emulator::{self, Options};
use crate::error::Error;
use crate::outcome::Outcome;

pub fn run(args: EmulatorArgs) -> Result<Outcome, Error> {
    emulator::run(options(args))?;
    Ok(Outcome::Success)
}

/// The options as the emulator takes them.
pub fn options(args: EmulatorArgs) -> Options {
    let EmulatorArgs {
        host,
        port,
        api_key,
        moved_to_images,
        gemini_v1beta_only,
        gemini_snake_case,
        goog_api_key,
        bill_per_request,
        idempotency,
        base64,
        noise,
        size,
        balance,
        url_ttl,
        latency,
        download_latency,
        error_429,
        retry_after,
        error_5xx,
        drop,
        cut_downloads,
        slow_downloads,
        seed,
        video_ms,
        video_fail,
        video_size,
        no_video_gateway,
        rpm,
    } = args;
    Options {
        host,
        port,
        api_key,
        moved_to_images,
        gemini_v1beta_only,
        gemini_snake_case,
        goog_api_key,
        bill_per_request,
        free: false,
        idempotency: idempotency == Switch::On,
        base64,
        noise,
        size,
        balance,
        url_ttl,
        latency,
        download_latency,
        error_429,
        retry_after,
        error_5xx,
        drop,
        cut_downloads,
        slow_downloads,
        seed,
        video_ms,
        video_fail,
        video_size,
        no_video_gateway,
        rpm,
    }
}

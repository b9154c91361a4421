//! `wan emulator`: an offline stand-in for the AIsa endpoint, with fault injection.
//!
//! It runs on tokio and hyper, the stack reqwest already builds for the client, so the
//! emulator adds a server to the binary but no second HTTP stack.

mod account;
mod answers;
mod billing;
mod body;
mod clip;
mod draw;
mod faults;
mod limit;
mod multipart;
mod pictures;
mod reply;
mod requests;
mod service;
mod store;
mod video;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::catalogue::size::Size;
use crate::error::{Error, Kind};
use faults::Faults;
use service::{Config, Logs, State};

/// `wan emulator`'s options as given (see `wan emulator --help`), checked by `run`.
#[derive(Debug)]
pub struct Options {
    pub host: std::net::IpAddr,
    pub port: u16,
    pub api_key: Option<String>,
    pub moved_to_images: bool,
    pub gemini_v1beta_only: bool,
    pub gemini_snake_case: bool,
    pub goog_api_key: bool,
    pub bill_per_request: bool,
    /// Charge nothing (for the emulator inside `wan --offline`; no flag of `wan emulator`).
    pub free: bool,
    pub idempotency: bool,
    pub base64: bool,
    pub noise: bool,
    pub size: Size,
    pub balance: String,
    pub url_ttl: u64,
    pub latency: u64,
    pub download_latency: u64,
    pub error_429: f64,
    pub retry_after: u64,
    pub error_5xx: f64,
    pub drop: f64,
    pub cut_downloads: f64,
    pub slow_downloads: u64,
    pub seed: Option<u64>,
    pub video_ms: u64,
    pub video_fail: f64,
    pub video_size: Size,
    pub no_video_gateway: bool,
    pub rpm: Option<u64>,
}

pub fn run(args: Options) -> Result<(), Error> {
    let addr = SocketAddr::new(args.host, args.port);
    let state = Arc::new(state(args, Logs::Stderr, None)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the emulator", &e))?;
    runtime.block_on(serve(addr, state))
}

/// The emulator inside `wan` for `--offline`: on a free loopback port, silent, served
/// by a thread of its own that ends with the process. Its video tasks are kept in
/// `tasks` (when given), so that a later `wan` can follow a task this one made.
/// Returns the base URL.
pub fn start_inside(args: Options, tasks: Option<PathBuf>) -> Result<String, Error> {
    let state = Arc::new(state(args, Logs::Off, tasks)?);
    let cannot = |e: std::io::Error| Error::io("cannot start the emulator inside wan", &e);
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).map_err(cannot)?;
    listener.set_nonblocking(true).map_err(cannot)?;
    let bound = listener.local_addr().map_err(cannot)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("wan-offline")
        .enable_all()
        .build()
        .map_err(cannot)?;
    std::thread::Builder::new()
        .name("wan-offline".into())
        .spawn(move || {
            runtime.block_on(async move {
                // A listener that cannot join the runtime serves nothing: the client then
                // meets a refused connection and says so.
                if let Ok(listener) = TcpListener::from_std(listener) {
                    accept(listener, state, std::future::pending()).await;
                }
            });
        })
        .map_err(cannot)?;
    Ok(format!("http://{bound}/v1"))
}

/// The service's state from the options, checked.
fn state(args: Options, logs: Logs, tasks: Option<PathBuf>) -> Result<State, Error> {
    let rate = |name: &str, value: f64| {
        if (0.0..=1.0).contains(&value) {
            Ok(value)
        } else {
            Err(Error::usage(format!("--{name} {value} is not a share from 0 to 1")))
        }
    };
    let faults = Faults {
        seed: args.seed.unwrap_or_else(|| crate::retry::jitter().to_bits()),
        latency: Duration::from_millis(args.latency),
        download_latency: Duration::from_millis(args.download_latency),
        rate_429: rate("error-429", args.error_429)?,
        retry_after: args.retry_after,
        rate_5xx: rate("error-5xx", args.error_5xx)?,
        rate_drop: rate("drop", args.drop)?,
        rate_cut: rate("cut-downloads", args.cut_downloads)?,
        slow_downloads: args.slow_downloads,
    };
    if args.size.width > requests::MAX_SIDE || args.size.height > requests::MAX_SIDE {
        return Err(Error::usage(format!("--size: the emulator draws at most {} px a side", requests::MAX_SIDE)));
    }
    let balance = crate::catalogue::money::parse_limit_usd(&args.balance)
        .ok_or_else(|| Error::usage(format!("--balance {:?} is not an amount in US dollars", args.balance)))?;
    let config = Config {
        moved_to_images: args.moved_to_images,
        gemini_v1beta_only: args.gemini_v1beta_only,
        gemini_snake_case: args.gemini_snake_case,
        goog_api_key: args.goog_api_key,
        bill_per_request: args.bill_per_request,
        free: args.free,
        idempotency: args.idempotency,
        base64: args.base64,
        noise: args.noise,
        size: (args.size.width, args.size.height),
        api_key: args.api_key,
        balance,
        video: video::VideoConfig {
            duration: Duration::from_millis(args.video_ms),
            fail: rate("video-fail", args.video_fail)?,
            gateway: !args.no_video_gateway,
            size: video_size(args.video_size)?,
            seed: faults.seed,
            kept_in: tasks,
        },
        faults,
        rpm: args.rpm,
        logs,
    };
    Ok(State::new(config, Duration::from_secs(args.url_ttl)))
}

/// Clip frames are drawn and encoded at every first look at a finished task: kept small.
fn video_size(size: Size) -> Result<(u16, u16), Error> {
    let even = |n: u32| n.is_multiple_of(2);
    match (u16::try_from(size.width), u16::try_from(size.height)) {
        (Ok(w), Ok(h)) if w <= 1920 && h <= 1080 && even(size.width) && even(size.height) => Ok((w, h)),
        _ => Err(Error::usage("--video-size: the emulator draws clips of at most 1920x1080, with even sides")),
    }
}

async fn serve(addr: SocketAddr, state: Arc<State>) -> Result<(), Error> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        let error = Error::new(Kind::Other, format!("cannot listen on {addr}: {e}"));
        match e.kind() {
            // Another emulator (or anything) holds the port: say how to take a free one.
            std::io::ErrorKind::AddrInUse => {
                error.with_hint("--port 0 takes a free port, and the first line printed is the base URL to use")
            }
            _ => error,
        }
    })?;
    let bound = listener.local_addr().map_err(|e| Error::io("cannot read the bound address", &e))?;
    // Before the URL is printed: a script that reads it and at once sends SIGINT must
    // meet the handler, not the default action that kills the emulator mid-line.
    let stop = shutdown().map_err(|e| Error::io("cannot listen for Ctrl-C and SIGTERM", &e))?;
    // The first line on stdout is the base URL, for scripts to read.
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "http://{bound}/v1").and_then(|()| stdout.flush());
    drop(stdout);
    eprintln!("wan emulator: listening on http://{bound}/v1 (Ctrl-C to stop)");

    accept(listener, state, stop).await;
    eprintln!("wan emulator: stopped");
    Ok(())
}

/// Serves each connection `listener` accepts until `stop` is ready.
async fn accept(listener: TcpListener, state: Arc<State>, stop: impl Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { state.handle(request).await }
                    });
                    // A dropped or broken connection ends here; nothing else to do.
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            () = &mut stop => break,
        }
    }
}

/// Ctrl-C or SIGTERM. The handlers are installed by this call, not when the future
/// is first polled (as `tokio::signal::ctrl_c` does on Unix).
#[cfg(unix)]
fn shutdown() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

//! `wan mcp`: a Model Context Protocol server on standard input and output, so coding
//! agents make images with the CLI's own code, under its guards. Standard output carries
//! only JSON-RPC; everything else goes to standard error.

mod folder;
mod images;
mod lines;
mod params;
mod reply;
mod server;
mod video;

use rmcp::ServiceExt;

use crate::cli::McpArgs;
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::outcome::Outcome;
use crate::term::ui::Ui;

/// What every tool call shares: the environment read at start, and the guards.
pub struct Context {
    pub env: Env,
    pub root: folder::Root,
    /// `--max-cost-per-call`, as written (checked when parsed).
    pub max_cost_per_call: String,
    pub allow_video: bool,
}

/// Serves until the client closes standard input. A bad tool call is a tool error, never
/// the end of the server; only a broken transport ends it early.
pub fn serve(args: McpArgs, env: Env) -> Result<Outcome, Error> {
    // Agents start the server from a JSON or TOML config, with no shell to expand `~/`.
    let out = match args.out.as_deref().map(|p| p.to_str()) {
        Some(Some(text)) => Some(env.dirs.expand_home(text)?),
        _ => args.out,
    };
    let root = folder::Root::new(out.as_deref())?;
    let context = Context { env, root, max_cost_per_call: args.max_cost_per_call, allow_video: args.allow_video };
    // A stopped server still removes the temporary files of downloads in flight.
    crate::interrupt::install();
    Ui::default().note(&format!(
        "mcp: serving on standard input and output; files under {}, at most {} per call, video {}",
        context.root.path().display(),
        crate::catalogue::money::parse_limit_usd(&context.max_cost_per_call)
            .map_or_else(String::new, crate::catalogue::money::format_usd),
        if context.allow_video { "on" } else { "off" },
    ));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(Kind::Other, format!("cannot start the server: {e}")))?;
    runtime.block_on(async {
        // A line that is not JSON is answered (-32700) before the SDK, which would drop it.
        let lines = lines::checked(tokio::io::BufReader::new(tokio::io::stdin()), tokio::io::stdout());
        let running = server::Server::new(context)
            .serve((lines.read, lines.write))
            .await
            .map_err(|e| Error::new(Kind::Other, format!("the MCP session did not start: {e}")))?;
        running.waiting().await.map_err(|e| Error::new(Kind::Other, format!("the MCP server stopped: {e}")))?;
        // Every answer the session wrote is on standard output before the process ends.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), lines.writer).await;
        Ok::<(), Error>(())
    })?;
    // Dropping the runtime waits for the calls still running on blocking threads: images
    // being paid for are saved even when the client has gone.
    drop(runtime);
    Ok(Outcome::Success)
}

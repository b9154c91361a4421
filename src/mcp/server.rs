//! The MCP server: the tools, their descriptions, and the video switch. Each tool's work
//! runs on a blocking thread, off the async runtime (the HTTP client is a blocking one).

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde_json::json;

use crate::catalogue::money;
use crate::error::{Error, Kind};

use super::params::{CreateVideo, EditImage, GenerateImage, VideoStatus};
use super::{Context, images, reply, video};

/// The tools that only `--allow-video` offers.
const VIDEO_TOOLS: [&str; 2] = ["create_video", "video_status"];

#[derive(Clone)]
pub struct Server {
    context: Arc<Context>,
    tool_router: ToolRouter<Self>,
}

#[tool_router]
impl Server {
    pub fn new(context: Context) -> Self {
        let mut tool_router = Self::tool_router();
        if !context.allow_video {
            for name in VIDEO_TOOLS {
                tool_router.remove_route(name);
            }
        }
        // The limit is the user's, known only now: the agent reads it where it chooses `n`.
        let limit = money::parse_limit_usd(&context.max_cost_per_call).map_or_else(String::new, money::format_usd);
        for name in ["generate_image", "edit_image"] {
            if let Some(route) = tool_router.map.get_mut(name) {
                let told = route.attr.description.as_deref().unwrap_or_default();
                let told = format!("{told} This server refuses a call that could cost more than {limit}.");
                route.attr.description = Some(told.into());
            }
        }
        Self { context: Arc::new(context), tool_router }
    }

    #[tool(
        description = "Make images from a text prompt with AIsa's image models (Wan 2.7 by default) and save them \
            under the server's output folder, never overwriting a file. Costs money: each image is billed \
            (list_models gives the prices); nothing is sent if the call could cost more than the server's \
            per-call limit. Returns the saved paths, a resource link per file, and the fields of \
            `wan generate --json` as structured content.",
        annotations(
            title = "Generate image",
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = true
        )
    )]
    async fn generate_image(&self, Parameters(params): Parameters<GenerateImage>) -> CallToolResult {
        let context = Arc::clone(&self.context);
        blocking(move || images::generate(&context, params).map(|ran| reply::of_run(ran.outcome, ran.results))).await
    }

    #[tool(
        description = "Make images from reference images (local paths or URLs) and an instruction, e.g. \
            \"make it Van Gogh\", and save them under the server's output folder. Costs money: each image \
            made is billed; nothing is sent if the call could cost more than the server's per-call limit. \
            Returns the saved paths, a resource link per file, and the fields of `wan edit --json`.",
        annotations(title = "Edit image", read_only_hint = false, destructive_hint = false, open_world_hint = true)
    )]
    async fn edit_image(&self, Parameters(params): Parameters<EditImage>) -> CallToolResult {
        let context = Arc::clone(&self.context);
        blocking(move || images::edit(&context, params).map(|ran| reply::of_run(ran.outcome, ran.results))).await
    }

    #[tool(
        description = "The models wan knows: name, list price in USD (per image or per request; some are billed by tokens) and what each is for. Free; sends nothing.",
        annotations(title = "List models", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_models(&self) -> CallToolResult {
        let models = crate::commands::models::as_json();
        let text = models
            .iter()
            .map(|m| {
                let price = m["price_text"].as_str().unwrap_or("price unknown");
                format!("{}: {price}; {}", m["model"].as_str().unwrap_or("?"), m["purpose"].as_str().unwrap_or(""))
            })
            .collect::<Vec<_>>()
            .join("\n");
        reply::of_value(text, json!({ "models": models }))
    }

    #[tool(
        description = "The AIsa account's available balance in USD, and the key's remaining allowance where it \
            has one, from the service. Free.",
        annotations(title = "Balance", read_only_hint = true, open_world_hint = true)
    )]
    async fn balance(&self) -> CallToolResult {
        let context = Arc::clone(&self.context);
        blocking(move || {
            let balance = crate::commands::balance::lookup(&context.env, None)?;
            let text = format!("available: {} {}", money::format_usd(balance.available), balance.currency);
            Ok(reply::of_value(text, crate::commands::balance::to_json(&balance)))
        })
        .await
    }

    #[tool(
        description = "Start a video from a prompt (and optionally a first frame, a local path or URL): returns \
            the task id at once, as `wan video create --no-wait` does; call video_status with it later (a clip \
            takes a minute or two). Costs money; the price is not known in advance.",
        annotations(title = "Create video", read_only_hint = false, destructive_hint = false, open_world_hint = true)
    )]
    async fn create_video(&self, Parameters(params): Parameters<CreateVideo>) -> CallToolResult {
        let context = Arc::clone(&self.context);
        blocking(move || video::create(&context, params).map(|ran| reply::of_task(ran.outcome, ran.results))).await
    }

    #[tool(
        description = "One look at a video task create_video started; when it is done, the video is saved under \
            the server's output folder and its path returned (with a resource link); while it runs, its state.",
        annotations(title = "Video status", read_only_hint = false, destructive_hint = false, open_world_hint = true)
    )]
    async fn video_status(&self, Parameters(params): Parameters<VideoStatus>) -> CallToolResult {
        let context = Arc::clone(&self.context);
        blocking(move || video::status(&context, params).map(|ran| reply::of_task(ran.outcome, ran.results))).await
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        let context = &self.context;
        let limit = money::parse_limit_usd(&context.max_cost_per_call).map_or_else(String::new, money::format_usd);
        let instructions = format!(
            "wan makes images with AIsa's image models and saves them under {root}. Every image costs money: \
             a call that could cost more than {limit} is refused before anything is sent, so ask for fewer \
             images or tell the user to raise --max-cost-per-call. out_dir is a folder inside {root}. Each \
             result lists the saved paths; its structured content has the fields of `wan generate --json`. \
             Calls are recorded in wan's journal: `wan history` and `wan resume` in a terminal see them.{video}",
            root = context.root.path().display(),
            video = match context.allow_video {
                true => " Video tools are on: a video's price is not known before it is made.",
                false => "",
            },
        );
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("wan", env!("CARGO_PKG_VERSION")))
            .with_instructions(instructions)
    }

    /// A video tool called without `--allow-video` is told so, as a tool error the agent
    /// reads; the router would only say "tool not found".
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if !self.context.allow_video && VIDEO_TOOLS.contains(&request.name.as_ref()) {
            let error = Error::usage(format!("{} is off: this server was started without --allow-video", request.name))
                .with_hint("video prices are not known in advance; the user can restart `wan mcp --allow-video`");
            return Ok(reply::of_error(&error).into());
        }
        self.tool_router.call(ToolCallContext::new(self, request, context)).await
    }
}

/// Runs `work` on a blocking thread and makes any failure a tool error: a call that
/// fails, even by a panic, leaves the server serving.
async fn blocking(work: impl FnOnce() -> Result<CallToolResult, Error> + Send + 'static) -> CallToolResult {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(result)) => result,
        Ok(Err(error)) => reply::of_error(&error),
        Err(failed) => reply::of_error(&Error::new(Kind::Other, format!("the call failed inside wan: {failed}"))),
    }
}

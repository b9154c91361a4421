//! `wan mcp` spoken to by a real MCP client (the rmcp SDK's): `wan mcp` runs as a child
//! over stdio; its tools, their schemas, saved files and results, every refusal with
//! nothing sent, an API error as a tool error, and a server that lives on after each.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use rmcp::model::{CallToolRequestParams, CallToolResult, Tool};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::support::jsonrpc::{RawMcp, result_text};
use crate::support::*;

/// A `wan mcp` child and the client speaking to it; `stop` ends both and returns what
/// the server wrote on standard error.
struct Mcp {
    runtime: tokio::runtime::Runtime,
    client: Option<RunningService<RoleClient, ()>>,
    stderr: Option<tokio::task::JoinHandle<String>>,
}

impl Mcp {
    /// `wan mcp ARGS` in the sandbox, with its journal in `state/`.
    fn start(sb: &Sandbox, args: &[&str]) -> Self {
        Self::start_with(sb, args, &[])
    }

    fn start_with(sb: &Sandbox, args: &[&str], env: &[(&str, &std::path::Path)]) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let mut command = sb.wan_process();
        command.env("WAN_STATE_DIR", sb.path("state")).arg("mcp").args(args);
        command.envs(env.iter().copied());
        let (client, stderr) = runtime.block_on(async {
            let (transport, stderr) = TokioChildProcess::builder(tokio::process::Command::from(command))
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stderr = stderr.unwrap();
            let stderr = tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text).await;
                text
            });
            (().serve(transport).await.expect("the MCP session starts"), stderr)
        });
        Self { runtime, client: Some(client), stderr: Some(stderr) }
    }

    fn client(&self) -> &RunningService<RoleClient, ()> {
        self.client.as_ref().unwrap()
    }

    fn tools(&self) -> Vec<Tool> {
        self.runtime.block_on(self.client().list_all_tools()).unwrap()
    }

    fn call(&self, tool: &'static str, arguments: Value) -> CallToolResult {
        let Value::Object(arguments) = arguments else { panic!("arguments are an object") };
        let params = CallToolRequestParams::new(tool).with_arguments(arguments);
        self.runtime.block_on(self.client().call_tool(params)).unwrap_or_else(|e| panic!("{tool}: {e}"))
    }

    fn stop(mut self) -> String {
        let client = self.client.take().unwrap();
        let stderr = self.stderr.take().unwrap();
        self.runtime.block_on(async {
            client.cancel().await.unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(30), stderr).await.unwrap().unwrap()
        })
    }
}

fn text_of(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text()).map(|t| t.text.clone()).collect::<Vec<_>>().join("\n")
}

fn structured(result: &CallToolResult) -> &Value {
    result.structured_content.as_ref().expect("structured content")
}

/// A refusal: a tool error of kind `usage` whose message holds `needle`.
fn assert_refused(result: &CallToolResult, needle: &str) {
    assert_eq!(result.is_error, Some(true), "{}", text_of(result));
    let error = &structured(result)["error"];
    assert_eq!(error["kind"], "usage", "{error}");
    assert!(error["message"].as_str().unwrap().contains(needle), "{needle:?} not in {error}");
    assert!(text_of(result).contains(needle));
}

fn schema_of<'a>(tools: &'a [Tool], name: &str) -> &'a serde_json::Map<String, Value> {
    &tools.iter().find(|t| t.name == name).unwrap_or_else(|| panic!("no tool {name}")).input_schema
}

#[test]
fn the_server_offers_its_tools_each_field_described() {
    let sb = Sandbox::new();
    let mcp = Mcp::start(&sb, &["--out", "out", "--max-cost-per-call", "0.25"]);
    let info = mcp.client().peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "wan");
    let instructions = info.instructions.clone().unwrap();
    let out = std::fs::canonicalize(sb.path("out")).unwrap();
    assert!(instructions.contains(&out.display().to_string()), "{instructions}");
    assert!(instructions.contains("$0.250"), "{instructions}");

    let tools = mcp.tools();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["balance", "edit_image", "generate_image", "list_models"]);
    let generate = schema_of(&tools, "generate_image");
    assert_eq!(generate["required"], json!(["prompt"]));
    assert_eq!(generate["additionalProperties"], false);
    let fields = generate["properties"].as_object().unwrap();
    let keys: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(keys, ["prompt", "n", "model", "size", "aspect", "out_dir", "name", "template"]);
    for (name, field) in fields {
        assert!(field["description"].as_str().is_some_and(|d| d.len() > 20), "{name} is not described");
    }
    assert_eq!(fields["n"]["minimum"], 1);
    assert_eq!(fields["n"]["default"], 1);
    assert_eq!(fields["prompt"]["minLength"], 1);
    let edit = schema_of(&tools, "edit_image");
    assert_eq!(edit["required"], json!(["images", "prompt"]));
    assert_eq!(edit["properties"]["images"]["maxItems"], 16, "the catalogue's largest edit");
    let edit_keys: Vec<&str> = edit["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(edit_keys, ["images", "prompt", "n", "model", "mask", "out_dir", "name", "template"]);
    let generate_tool = tools.iter().find(|t| t.name == "generate_image").unwrap();
    assert!(generate_tool.description.as_deref().unwrap().contains("could cost more than $0.250"));
    mcp.stop();

    // `~/` is the home folder, as a shell would have made it: agents' configs have no shell
    let mcp = Mcp::start_with(&sb, &["--allow-video", "--out", "~/pictures"], &[("HOME", &sb.path("home"))]);
    assert!(std::fs::canonicalize(sb.path("home/pictures")).unwrap().is_dir());
    let tools = mcp.tools();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["balance", "create_video", "edit_image", "generate_image", "list_models", "video_status"]);
    assert_eq!(schema_of(&tools, "video_status")["required"], json!(["task_id"]));
    let create = schema_of(&tools, "create_video");
    assert_eq!(create["required"], json!(["prompt"]));
    let resolution = serde_json::to_string(&create["properties"]["resolution"]).unwrap();
    assert!(resolution.contains("720P") && resolution.contains("1080P"), "{resolution}");
    mcp.stop();
}

#[test]
fn aspect_and_mask_go_on_the_wire_as_the_cli_sends_them() {
    let mut sb = Sandbox::new();
    sb.image("/a.png", &png(1));
    let chat = sb.chat_when(json!({"size": "1280x720"}), &chat_answer(&[sb.url("/a.png")]), 1);
    let room = png_sized(300, 300, 3);
    // A PNG header of colour type 6 (RGBA), the size of the room: what the checks read.
    let mut mask = png_sized(300, 300, 4);
    mask[25] = 6;
    std::fs::write(sb.path("room.png"), &room).unwrap();
    std::fs::write(sb.path("mask.png"), &mask).unwrap();
    let sent = mask.clone();
    let edits = sb
        .server
        .mock("POST", "/v1/images/edits")
        .match_request(move |req| {
            let body = req.body().unwrap();
            let head = b"name=\"mask\"; filename=\"mask.png\"\r\nContent-Type: image/png\r\n\r\n";
            let at = body.windows(head.len()).position(|w| w == head);
            at.is_some_and(|at| body[at + head.len()..].starts_with(&sent))
        })
        .with_body(json!({"data": [{"b64_json": base64_of(&png(2))}]}).to_string())
        .expect(1)
        .create();
    let mcp = Mcp::start(&sb, &["--out", "out"]);
    let wide = mcp.call("generate_image", json!({"prompt": "a harbour", "aspect": "16:9"}));
    assert_eq!(wide.is_error, Some(false), "{}", text_of(&wide));
    let masked = mcp.call(
        "edit_image",
        json!({"images": ["room.png"], "prompt": "a window", "model": "gpt-image-2", "mask": "mask.png"}),
    );
    assert_eq!(masked.is_error, Some(false), "{}", text_of(&masked));
    mcp.stop();
    chat.assert();
    edits.assert();
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn generate_saves_under_out_and_answers_paths_json_fields_and_links() {
    let mut sb = Sandbox::new();
    let api = sb.chat_when(json!({"n": 2}), &chat_answer(&[sb.url("/a.png"), sb.url("/b.png")]), 1);
    sb.image("/a.png", &png(1));
    sb.image("/b.png", &png(2));
    let mcp = Mcp::start(&sb, &["--out", "out"]);

    let result =
        mcp.call("generate_image", json!({"prompt": "red panda", "n": 2, "out_dir": "pandas/red", "name": "panda"}));

    assert_eq!(result.is_error, Some(false), "{}", text_of(&result));
    api.assert();
    let folder = std::fs::canonicalize(sb.path("out")).unwrap().join("pandas/red");
    assert_eq!(read(&folder.join("panda-001.png")), png(1));
    assert_eq!(read(&folder.join("panda-002.png")), png(2));
    let json = structured(&result);
    assert_eq!(json["prompt"], "red panda");
    assert_eq!(json["model"], "wan2.7-image");
    assert_eq!(
        json["cost"],
        json!({"per_image": 0.03, "per_request": null, "unit": "image", "count": 2, "requests": 1, "total": 0.06, "currency": "USD"})
    );
    assert_eq!(json["error"], Value::Null);
    assert_eq!(json["unsaved"], json!([]));
    let run = json["run"].as_str().expect("the call is a run in the journal").to_string();
    let mut paths: Vec<&str> = json["images"].as_array().unwrap().iter().map(|i| i["path"].as_str().unwrap()).collect();
    paths.sort();
    let expected: Vec<String> =
        ["panda-001.png", "panda-002.png"].iter().map(|n| folder.join(n).display().to_string()).collect();
    assert_eq!(paths, expected);
    let text = text_of(&result);
    assert!(text.contains("saved 2 images") && text.contains("2 × $0.030 = $0.060"), "{text}");
    assert!(expected.iter().all(|p| text.contains(p.as_str())), "{text}");
    let mut links: Vec<_> = result.content.iter().filter_map(|c| c.as_resource_link()).collect();
    links.sort_by(|a, b| a.uri.cmp(&b.uri));
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].uri, format!("file://{}", expected[0]));
    assert_eq!(links[0].name, "panda-001.png");
    assert_eq!(links[0].mime_type.as_deref(), Some("image/png"));
    assert_eq!(links[0].size, Some(std::fs::metadata(&expected[0]).unwrap().len()));

    let stderr = mcp.stop();
    assert!(stderr.contains("mcp: serving on standard input and output"), "{stderr}");
    assert!(!stderr.contains(KEY) && !serde_json::to_string(&result).unwrap().contains(KEY));
    // the journal has the call as a run, as it has CLI runs
    let history = sb.wan().env("WAN_STATE_DIR", sb.path("state")).args(["history", "--json"]).output().unwrap();
    let line: Value = serde_json::from_str(stdout_of(&history).lines().next().unwrap()).unwrap();
    assert_eq!(line["id"], run);
    assert_eq!(line["command"], "generate");
    assert_eq!(line["state"], "done");
}

#[test]
fn a_prompt_is_sent_as_written_unless_the_call_asks_for_a_template() {
    let mut sb = Sandbox::new();
    let chat = |sb: &mut Sandbox, text: &str, image: &str| {
        let answer = chat_answer(&[sb.url(image)]);
        sb.server
            .mock("POST", "/v1/chat/completions")
            .match_body(mockito::Matcher::Regex(regex_escape(&format!("\"text\":\"{text}\""))))
            .with_body(answer.to_string())
            .expect(1)
            .create()
    };
    let written = chat(&mut sb, "a {red|blue} fox", "/w.png");
    let red = chat(&mut sb, "a red fox", "/r.png");
    let blue = chat(&mut sb, "a blue fox", "/b.png");
    for (path, tag) in [("/w.png", 1), ("/r.png", 2), ("/b.png", 3)] {
        sb.image(path, &png(tag));
    }
    let mcp = Mcp::start(&sb, &["--out", "out"]);

    let as_written = mcp.call("generate_image", json!({"prompt": "a {red|blue} fox", "name": "written"}));
    assert_eq!(as_written.is_error, Some(false), "{}", text_of(&as_written));
    written.assert();
    let expanded = mcp.call("generate_image", json!({"prompt": "a {red|blue} fox", "template": true}));
    assert_eq!(expanded.is_error, Some(false), "{}", text_of(&expanded));
    red.assert();
    blue.assert();
    let results = structured(&expanded)["results"].as_array().unwrap();
    let mut prompts: Vec<&str> = results.iter().map(|r| r["prompt"].as_str().unwrap()).collect();
    prompts.sort();
    assert_eq!(prompts, ["a blue fox", "a red fox"]);
    assert_refused(&mcp.call("generate_image", json!({"prompt": "a {red|", "template": true})), "never closed");
    mcp.stop();
    let out = std::fs::canonicalize(sb.path("out")).unwrap();
    assert_eq!(read(&out.join("a-red-fox-001.png")), png(2));
    assert_eq!(read(&out.join("written-001.png")), png(1));
}

/// `text` as a regular expression matching itself.
fn regex_escape(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

#[test]
fn edit_sends_the_references_and_saves_the_result() {
    let mut sb = Sandbox::new();
    std::fs::write(sb.path("ref.png"), png(7)).unwrap();
    let api = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(mockito::Matcher::Regex("data:image/png;base64,".into()))
        .with_body(chat_answer(&[sb.url("/e.png")]).to_string())
        .expect(1)
        .create();
    sb.image("/e.png", &png(3));
    let mcp = Mcp::start(&sb, &[]);

    let result = mcp.call("edit_image", json!({"images": ["ref.png"], "prompt": "make it blue"}));

    assert_eq!(result.is_error, Some(false), "{}", text_of(&result));
    api.assert();
    assert_eq!(read(&sb.path("make-it-blue-001.png")), png(3));
    assert_eq!(structured(&result)["images"][0]["format"], "png");
    mcp.stop();
}

#[test]
fn every_refusal_is_a_tool_error_with_nothing_sent_and_the_server_lives_on() {
    let mut sb = Sandbox::new();
    let chat = sb.server.mock("POST", mockito::Matcher::Any).expect(0).create();
    std::fs::create_dir_all(sb.path("out")).unwrap();
    std::fs::create_dir_all(sb.path("outside")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(sb.path("outside"), sb.path("out/escape")).unwrap();
    let mcp = Mcp::start(&sb, &["--out", "out"]);

    // the cost guard: 20 × $0.030 is over the default $0.50, and an unknown price is refused
    assert_refused(&mcp.call("generate_image", json!({"prompt": "cat", "n": 20})), "more than --max-cost-per-call");
    assert_refused(
        &mcp.call("generate_image", json!({"prompt": "cat", "model": "mystery-model"})),
        "the price of mystery-model is unknown",
    );
    // out_dir stays inside --out
    assert_refused(&mcp.call("generate_image", json!({"prompt": "cat", "out_dir": "../outside"})), "`..`");
    assert_refused(&mcp.call("generate_image", json!({"prompt": "cat", "out_dir": "/tmp"})), "is absolute");
    #[cfg(unix)]
    assert_refused(
        &mcp.call("edit_image", json!({"images": ["a.png"], "prompt": "x", "out_dir": "escape/x"})),
        "symbolic link",
    );
    // video only with --allow-video
    let video = mcp.call("create_video", json!({"prompt": "waves"}));
    assert_refused(&video, "without --allow-video");
    assert_refused(&mcp.call("video_status", json!({"task_id": "video_task_1"})), "without --allow-video");
    // standard input is the protocol's; the CLI's own checks hold
    assert_refused(&mcp.call("edit_image", json!({"images": ["-"], "prompt": "x"})), "standard input");
    assert_refused(
        &mcp.call("generate_image", json!({"prompt": "cat", "size": "big"})),
        "invalid value 'big' for size",
    );
    assert_refused(&mcp.call("generate_image", json!({"prompt": "cat", "name": "../x"})), "--name");
    assert_refused(
        &mcp.call("generate_image", json!({"prompt": "cat", "aspect": "16:9", "size": "1024x1024"})),
        "the argument size cannot be used with aspect",
    );
    assert_refused(
        &mcp.call("generate_image", json!({"prompt": "cat", "model": "gpt-image-2", "aspect": "4:1"})),
        "--aspect 4:1 does not suit gpt-image-2",
    );
    assert_refused(
        &mcp.call("edit_image", json!({"images": ["a.png"], "prompt": "x", "mask": "m.png"})),
        "wan2.7-image takes no mask",
    );
    assert_refused(&mcp.call("edit_image", json!({"images": ["missing.png"], "prompt": "x"})), "missing.png");
    // arguments that do not fit the schema are a tool error too
    let misspelt = mcp.call("generate_image", json!({"prompt": "cat", "count": 2}));
    assert_eq!(misspelt.is_error, Some(true));
    assert!(text_of(&misspelt).contains("count"), "{}", text_of(&misspelt));

    let models = mcp.call("list_models", json!({}));
    assert_eq!(models.is_error, Some(false));
    assert_eq!(structured(&models)["models"][0]["model"], "wan2.7-image");
    mcp.stop();
    chat.assert();
    assert!(std::fs::read_dir(sb.path("outside")).unwrap().next().is_none(), "nothing written outside --out");
    assert_eq!(sb.files("out"), ["escape"], "nothing written for a refused call");
}

#[test]
fn video_tools_start_a_task_at_once_and_save_its_clip_when_done() {
    let emulator = crate::support::emulator::Emulator::start(&["--video-ms", "300"]);
    let sb = Sandbox::new();
    let base = std::path::PathBuf::from(&emulator.base);
    let mcp = Mcp::start_with(&sb, &["--allow-video", "--out", "clips"], &[("AISA_BASE_URL", base.as_path())]);
    let created = mcp.call("create_video", json!({"prompt": "waves at night", "duration": 2}));
    assert_eq!(created.is_error, Some(false), "{}", text_of(&created));
    let task = structured(&created)["id"].as_str().expect("the task id, at once").to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let done = loop {
        let status = mcp.call("video_status", json!({"task_id": task}));
        assert_eq!(status.is_error, Some(false), "{}", text_of(&status));
        if structured(&status)["path"].is_string() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "the task never finished: {}", text_of(&status));
    };
    let path = structured(&done)["path"].as_str().unwrap().to_string();
    let clip = std::fs::read(&path).unwrap();
    assert_eq!(&clip[4..8], b"ftyp", "a video file");
    assert!(std::path::Path::new(&path).starts_with(std::fs::canonicalize(sb.path("clips")).unwrap()));
    mcp.stop();
}

/// `wan mcp --offline`: the video tools run `wan video` as a child process, which the
/// emulator inside the server does not reach; the child goes offline too, so a service (and
/// a key) in the environment sees nothing, and the task made offline is followed offline.
#[test]
fn video_tools_of_an_offline_server_stay_offline() {
    let service = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let base = std::path::PathBuf::from(&service.base);
    let key = std::path::PathBuf::from("sk-a-real-looking-key");
    let env = [("AISA_BASE_URL", base.as_path()), ("AISA_API_KEY", key.as_path())];
    let mcp = Mcp::start_with(&sb, &["--offline", "--allow-video", "--out", "clips"], &env);
    let created = mcp.call("create_video", json!({"prompt": "waves at night", "duration": 2}));
    assert_eq!(created.is_error, Some(false), "{}", text_of(&created));
    let task = structured(&created)["id"].as_str().expect("the task id, at once").to_string();
    let status = mcp.call("video_status", json!({"task_id": task}));
    assert_eq!(status.is_error, Some(false), "{}", text_of(&status));
    mcp.stop();
    assert_eq!(service.requests_to("/", 1), Vec::<String>::new(), "the service in the environment saw nothing");
}

#[test]
fn an_api_error_is_a_tool_error_with_the_cli_message_and_the_server_lives_on() {
    let mut sb = Sandbox::new();
    let refused = sb
        .server
        .mock("POST", "/v1/chat/completions")
        .match_body(mockito::Matcher::Regex("forbidden thing".into()))
        .with_status(400)
        .with_body(
            json!({"error": {"type": "invalid_request_error", "code": "data_inspection_failed",
                   "message": "the prompt was refused", "request_id": "req_bad"}})
            .to_string(),
        )
        .expect(1)
        .create();
    let fine = sb.chat_when(json!({"n": 1}), &chat_answer(&[sb.url("/ok.png")]), 1);
    sb.image("/ok.png", &png(5));
    let mcp = Mcp::start(&sb, &[]);

    let failed = mcp.call("generate_image", json!({"prompt": "a forbidden thing"}));

    assert_eq!(failed.is_error, Some(true));
    let error = &structured(&failed)["error"];
    assert_eq!(error["kind"], "rejected");
    assert_eq!(error["status"], 400);
    assert_eq!(error["code"], "data_inspection_failed");
    assert_eq!(error["request_id"], "req_bad");
    assert!(error["message"].as_str().unwrap().contains("the prompt was refused"), "{error}");
    assert!(text_of(&failed).contains("error (rejected)"), "{}", text_of(&failed));
    refused.assert();

    let after = mcp.call("generate_image", json!({"prompt": "a lighthouse"}));
    assert_eq!(after.is_error, Some(false), "{}", text_of(&after));
    fine.assert();
    mcp.stop();
}

#[test]
fn images_paid_for_and_not_saved_make_a_tool_error_that_keeps_what_was_saved() {
    let mut sb = Sandbox::new();
    sb.chat_when(json!({"n": 2}), &chat_answer(&[sb.url("/good.png"), sb.url("/gone.png")]), 1);
    sb.image("/good.png", &png(1));
    sb.server.mock("GET", "/gone.png").with_status(404).create();
    let mcp = Mcp::start(&sb, &[]);

    let result = mcp.call("generate_image", json!({"prompt": "two cats", "n": 2}));

    assert_eq!(result.is_error, Some(true));
    let json = structured(&result);
    assert_eq!(json["error"]["kind"], "partial");
    assert_eq!(json["images"].as_array().unwrap().len(), 1);
    assert_eq!(json["unsaved"][0]["url"], sb.url("/gone.png"));
    assert_eq!(result.content.iter().filter(|c| c.as_resource_link().is_some()).count(), 1);
    let text = text_of(&result);
    assert!(text.contains("error (partial)") && text.contains(&sb.url("/gone.png")), "{text}");
    assert!(text.contains("wan resume"), "{text}");
    mcp.stop();
}

#[test]
fn a_key_echoed_by_the_service_never_reaches_a_result() {
    let mut sb = Sandbox::new();
    sb.server
        .mock("POST", "/v1/chat/completions")
        .with_status(401)
        .with_body(json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}}).to_string())
        .create();
    let mcp = Mcp::start(&sb, &[]);
    let result = mcp.call("generate_image", json!({"prompt": "cat"}));
    assert_eq!(result.is_error, Some(true));
    assert_eq!(structured(&result)["error"]["kind"], "auth");
    let whole = serde_json::to_string(&result).unwrap();
    assert!(whole.contains("Incorrect API key provided") && !whole.contains(KEY), "{whole}");
    assert!(!mcp.stop().contains(KEY));
}

#[test]
fn balance_answers_from_the_service() {
    let mut sb = Sandbox::new();
    let balance = sb
        .server
        .mock("GET", "/v1/credits/balance")
        .match_header("authorization", format!("Bearer {KEY}").as_str())
        .with_body(json!({"currency": "USD", "available_balance_micros_usd": 1_950_000}).to_string())
        .expect(1)
        .create();
    let mcp = Mcp::start(&sb, &[]);
    let result = mcp.call("balance", json!({}));
    assert_eq!(result.is_error, Some(false), "{}", text_of(&result));
    assert_eq!(structured(&result)["available_usd"], 1.95);
    assert!(text_of(&result).contains("$1.950"));
    mcp.stop();
    balance.assert();
}

/// Standard output is the protocol's alone: every line a JSON-RPC message, even around
/// a saved image, a refusal and an API error, and the process ends cleanly at EOF.
#[test]
fn standard_output_carries_nothing_but_json_rpc() {
    let mut sb = Sandbox::new();
    sb.chat_when(json!({"n": 1}), &chat_answer(&[sb.url("/p.png")]), 1);
    sb.image("/p.png", &png(4));
    let mut child = sb
        .wan_process()
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = |message: Value| writeln!(stdin, "{message}").unwrap();
    let mut answer = |id: u64| -> Value {
        let line = lines.next().expect("an answer").unwrap();
        let message: Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON on stdout: {line:?}"));
        assert_eq!(message["jsonrpc"], "2.0", "{line}");
        assert_eq!(message["id"], id, "{line}");
        message
    };
    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}));
    answer(1);
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let call = |id: u64, name: &str, arguments: Value| json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}});
    send(call(2, "generate_image", json!({"prompt": "a pier"})));
    assert_eq!(answer(2)["result"]["isError"], false);
    send(call(3, "generate_image", json!({"prompt": "a pier", "n": 100})));
    assert_eq!(answer(3)["result"]["isError"], true);
    send(call(4, "no_such_tool", json!({})));
    assert!(answer(4).get("error").is_some(), "an unknown tool is a protocol error");
    drop(stdin);
    assert!(lines.next().is_none(), "nothing more on stdout after the answers");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!stderr.contains(KEY), "{stderr}");
    assert!(sb.path("a-pier-001.png").exists());
}

// ---- What other people's MCP clients meet (issue 27) ----

/// `wan mcp --allow-video --out clips` against an emulator, over the raw client.
fn raw_video_server(sb: &Sandbox, emulator: &crate::support::emulator::Emulator) -> RawMcp {
    let mut command = sb.wan_process();
    command.env("WAN_STATE_DIR", sb.path("state")).env("AISA_BASE_URL", &emulator.base).args([
        "mcp",
        "--allow-video",
        "--out",
        "clips",
    ]);
    RawMcp::start(command)
}

#[test]
fn a_failed_video_call_carries_the_cli_s_message_kind_and_hint() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let mut mcp = raw_video_server(&sb, &emulator);
    let result = mcp.call("create_video", json!({"prompt": "she smiles", "model": "wan2.7-i2v"}));
    assert_eq!(result["isError"], true, "{result}");
    let text = result_text(&result);
    assert!(text.contains("error (usage): wan2.7-i2v makes a video from a first frame"), "{text}");
    assert!(text.contains("hint: add --image"), "{text}");
    let structured = &result["structuredContent"];
    assert_eq!(structured["error"]["kind"], "usage", "{structured}");
    assert!(structured["hint"].as_str().unwrap().contains("--image"), "{structured}");
    assert!(!text.contains("see the server's log"), "{text}");
    // a value clap refuses in the child is told too
    let result = mcp.call("create_video", json!({"prompt": "waves", "duration": 0}));
    assert_eq!(result["isError"], true, "{result}");
    assert!(result_text(&result).contains("duration"), "{}", result_text(&result));
    mcp.stop();
    assert!(emulator.requests_to("/v1/video", 0).is_empty(), "nothing sent");
}

#[test]
fn a_running_video_is_not_logged_as_an_error_and_a_saved_one_is_linked_as_video_mp4() {
    let emulator = crate::support::emulator::Emulator::start(&["--video-ms", "2500", "--video-size", "32x18"]);
    let sb = Sandbox::new();
    let mut mcp = raw_video_server(&sb, &emulator);
    let created = mcp.call("create_video", json!({"prompt": "waves at night", "duration": 2}));
    assert_eq!(created["isError"], false, "{created}");
    let task = created["structuredContent"]["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut running = 0;
    let done = loop {
        let status = mcp.call("video_status", json!({"task_id": task}));
        assert_eq!(status["isError"], false, "{status}");
        if status["structuredContent"]["path"].is_string() {
            break status;
        }
        assert_eq!(status["structuredContent"]["state"], "running", "{status}");
        // A task still running is no error: not in the text, not in the structured content.
        let text = result_text(&status);
        assert!(text.starts_with(&format!("task {task}")), "{text}");
        assert!(!text.contains("error"), "{text}");
        assert!(text.contains("still running"), "{text}");
        assert!(status["structuredContent"]["error"].is_null(), "{status}");
        running += 1;
        assert!(std::time::Instant::now() < deadline, "the task never finished");
    };
    assert!(running > 0, "the task was seen running");
    let link = done["content"].as_array().unwrap().iter().find(|c| c["type"] == "resource_link").expect("a link");
    assert_eq!(link["mimeType"], "video/mp4", "{link}");
    assert!(link["uri"].as_str().unwrap().ends_with(".mp4"), "{link}");
    let stderr = mcp.stop();
    assert!(!stderr.contains("error"), "a running task is no error:\n{stderr}");
}

#[test]
fn video_status_of_an_unknown_task_leaves_out_the_model_it_does_not_know() {
    let emulator = crate::support::emulator::Emulator::start(&[]);
    let sb = Sandbox::new();
    let mut mcp = raw_video_server(&sb, &emulator);
    let result = mcp.call("video_status", json!({"task_id": "video_task_unheard_of"}));
    assert_eq!(result["isError"], true, "{result}");
    let text = result_text(&result);
    assert!(text.starts_with("task video_task_unheard_of · "), "{text}");
    assert!(!text.contains(" ·  · ") && !text.contains("·  "), "an empty field: {text}");
    mcp.stop();
}

/// Optional fields are declared by their own type, and a client that sends numbers as
/// strings (MCP Inspector 0.15 did) is served as one that sends numbers.
#[test]
fn optional_numbers_are_declared_plainly_and_taken_as_numbers_or_numeric_strings() {
    let emulator = crate::support::emulator::Emulator::start(&["--video-ms", "60000"]);
    let sb = Sandbox::new();
    let mut mcp = raw_video_server(&sb, &emulator);
    let tools = mcp.tools();
    for tool in &tools {
        let properties = tool["inputSchema"]["properties"].as_object().unwrap();
        let required = tool["inputSchema"]["required"].as_array().cloned().unwrap_or_default();
        for (name, field) in properties {
            if required.contains(&json!(name)) {
                continue;
            }
            assert!(!field.to_string().contains("null"), "{}.{name} admits null: {field}", tool["name"]);
            assert!(field["type"].is_string(), "{}.{name} has one type: {field}", tool["name"]);
        }
    }
    let create = tools.iter().find(|t| t["name"] == "create_video").unwrap();
    assert_eq!(create["inputSchema"]["properties"]["duration"]["type"], "integer");
    for duration in [json!(2), json!("2")] {
        let result = mcp.call("create_video", json!({"prompt": "waves", "duration": duration}));
        assert_eq!(result["isError"], false, "duration {duration}: {result}");
    }
    let bad = mcp.call("create_video", json!({"prompt": "waves", "duration": "two"}));
    assert_eq!(bad["isError"], true, "{bad}");
    assert!(result_text(&bad).contains("whole number"), "{}", result_text(&bad));
    mcp.stop();
    let creates = emulator.requests_to("/v1/video/generations", 2);
    assert_eq!(creates.len(), 2, "{creates:?}");

    // `n` alike, on the image tools
    let mut sb = Sandbox::new();
    let api = sb.chat_when(json!({"n": 2}), &chat_answer(&[sb.url("/a.png"), sb.url("/b.png")]), 2);
    sb.image("/a.png", &png(1));
    sb.image("/b.png", &png(2));
    let mut command = sb.wan_process();
    command.env("WAN_STATE_DIR", sb.path("state")).arg("mcp");
    let mut mcp = RawMcp::start(command);
    for n in [json!(2), json!("2")] {
        let result = mcp.call("generate_image", json!({"prompt": "two cats", "n": n}));
        assert_eq!(result["isError"], false, "n {n}: {result}");
    }
    mcp.stop();
    api.assert();
}

#[test]
fn a_reference_that_is_the_server_s_own_input_or_no_regular_file_is_refused_and_the_server_goes_on() {
    let mut sb = Sandbox::new();
    let api = sb.chat(&chat_answer(&[sb.url("/a.png")]));
    sb.image("/a.png", &png(1));
    let mut command = sb.wan_process();
    command.env("WAN_STATE_DIR", sb.path("state")).arg("mcp");
    let mut mcp = RawMcp::start(command);
    for special in ["/dev/stdin", "/proc/self/fd/0", "/dev/zero", "."] {
        let result = mcp.call("edit_image", json!({"images": [special], "prompt": "make it blue"}));
        assert_eq!(result["isError"], true, "{special}: {result}");
        let text = result_text(&result);
        assert!(text.contains("regular file") || text.contains("standard input"), "{special}: {text}");
    }
    // Every request after them is answered, the paid one included.
    let result = mcp.call("generate_image", json!({"prompt": "a cat"}));
    assert_eq!(result["isError"], false, "{result}");
    mcp.stop();
    api.assert();
}

/// Issue 28: a line that is not JSON was dropped without a word, and the client waited for
/// an answer that never came. JSON-RPC answers it with a parse error, and serving goes on.
#[test]
fn a_line_that_is_not_json_gets_json_rpc_s_parse_error_and_the_server_goes_on() {
    let sb = Sandbox::new();
    let mut command = sb.wan_process();
    command.arg("mcp");
    let mut mcp = RawMcp::start(command);
    for garbage in ["this is not JSON", r#"{"jsonrpc": "2.0", "id": 7, "method":"#, "\u{1b}[31m"] {
        let answer = mcp.send_line(garbage);
        assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
        assert_eq!(answer["error"]["code"], -32700, "{garbage:?}: {answer}");
        assert!(answer["id"].is_null(), "{answer}");
    }
    // still serving, in order
    assert!(mcp.tools().iter().any(|tool| tool["name"] == "list_models"));
    let models = mcp.call("list_models", json!({}));
    assert_eq!(models["isError"], false, "{models}");
    let stderr = mcp.stop();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

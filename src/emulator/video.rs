//! The emulator's video tasks, on both routes: tasks that go queued → in progress →
//! completed over `--video-ms`, a share that fail (`--video-fail`), the cap of three in
//! flight per key (429 with `Retry-After`), an image-to-video task without a first frame
//! taken and then failed a little later with `InvalidParameter` (as the service does),
//! and clips served from links that expire after `--url-ttl`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use super::clip;
use super::draw::mix;
use super::store::{Lookup, Store};
use crate::catalogue::video::{MediaFields, media_fields, needs_first_frame};

/// Tasks in flight per key, past which a create is refused (aisa-api.md §8).
pub const MAX_IN_FLIGHT: usize = 3;
const GATEWAY: &str = "/v1/video/generations";
const DASHSCOPE_CREATE: &str = "/apis/v1/services/aigc/video-generation/video-synthesis";
const DASHSCOPE_TASKS: &str = "/apis/v1/services/aigc/tasks/";
/// Where in its life a failing task fails: an i2v task without a frame a little after
/// it starts, any other at the end.
const EARLY_FAILURE: f64 = 0.2;
/// The longest clip the emulator draws, in seconds.
const MAX_SECONDS: u32 = 15;

#[derive(Clone, Debug)]
pub struct VideoConfig {
    /// How long a task takes, from create to completed.
    pub duration: Duration,
    /// Share of tasks that fail (0 to 1).
    pub fail: f64,
    /// Whether `/v1/video/generations` exists; without it, only the DashScope route does.
    pub gateway: bool,
    pub size: (u16, u16),
    pub seed: u64,
    /// A folder where each task is kept as it is made, so that an emulator started later
    /// (the next `wan --offline`) can answer for it; `None` keeps tasks in memory only.
    pub kept_in: Option<PathBuf>,
}

/// Whether a request is one of the video task routes.
pub fn is_api(method: &Method, path: &str) -> bool {
    match *method {
        Method::POST => path == GATEWAY || path == DASHSCOPE_CREATE,
        Method::GET => path.starts_with("/v1/video/generations/") || path.starts_with(DASHSCOPE_TASKS),
        _ => false,
    }
}

/// An answer from the video routes; the service adds the common headers.
#[derive(Debug)]
pub enum Answer {
    Json {
        status: StatusCode,
        body: Value,
        retry_after: Option<u64>,
        note: String,
    },
    /// A plain-text 404: the path does not exist.
    NotFound,
}

impl Answer {
    fn json(status: StatusCode, body: Value, note: String) -> Self {
        Self::Json { status, body, retry_after: None, note }
    }
}

/// One video call, as the service read it.
#[derive(Debug)]
pub struct Call<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub body: &'a [u8],
    pub key: &'a str,
    pub dashscope_async: bool,
    pub request_id: &'a str,
    pub origin: &'a str,
}

#[derive(Clone, Debug)]
enum Fate {
    Succeed,
    Fail { code: &'static str, message: String, at: f64 },
}

#[derive(Debug)]
struct Task {
    key: String,
    model: String,
    prompt: String,
    seconds: u32,
    created: Instant,
    created_unix: u64,
    fate: Fate,
    /// The clip's name in the store, once drawn.
    clip: Option<String>,
}

enum Phase {
    Queued,
    Running(u32),
    Completed,
    Failed { code: &'static str, message: String },
}

#[derive(Debug)]
pub struct Videos {
    config: VideoConfig,
    tasks: Mutex<HashMap<String, Task>>,
    clips: Store,
    made: AtomicU64,
}

/// The fields a create asks for, from either route's body.
struct Asked {
    model: String,
    prompt: String,
    seconds: u32,
    first_frame: bool,
}

impl Videos {
    pub fn new(config: VideoConfig, url_ttl: Duration) -> Self {
        Self { config, tasks: Mutex::new(HashMap::new()), clips: Store::new(url_ttl), made: AtomicU64::new(0) }
    }

    fn phase(&self, task: &Task, now: Instant) -> Phase {
        let total = self.config.duration.as_secs_f64().max(0.001);
        let share = now.duration_since(task.created).as_secs_f64() / total;
        if let Fate::Fail { code, message, at } = &task.fate
            && share >= *at
        {
            return Phase::Failed { code, message: message.clone() };
        }
        match share {
            s if s >= 1.0 => Phase::Completed,
            s if s < 0.2 => Phase::Queued,
            s => Phase::Running((s * 100.0) as u32),
        }
    }

    /// When a task stops counting against its key's cap.
    fn ends_at(&self, task: &Task) -> Instant {
        let at = match task.fate {
            Fate::Fail { at, .. } => at.min(1.0),
            Fate::Succeed => 1.0,
        };
        task.created + self.config.duration.mul_f64(at)
    }

    pub async fn answer(&self, call: Call<'_>) -> Answer {
        let dashscope = call.path.starts_with("/apis/");
        if !dashscope && !self.config.gateway {
            return Answer::NotFound;
        }
        match *call.method {
            Method::POST => self.create(&call, dashscope),
            _ => {
                let id = call.path.rsplit('/').next().unwrap_or_default();
                self.look(id, &call, dashscope).await
            }
        }
    }

    fn error(&self, dashscope: bool, status: StatusCode, code: &str, message: &str, call: &Call) -> Answer {
        let body = if dashscope {
            json!({"code": code, "message": message, "request_id": call.request_id})
        } else {
            let kind =
                if status == StatusCode::TOO_MANY_REQUESTS { "rate_limit_error" } else { "invalid_request_error" };
            json!({"error": {"type": kind, "code": code, "message": message, "request_id": call.request_id}})
        };
        Answer::json(status, body, code.to_string())
    }

    fn create(&self, call: &Call, dashscope: bool) -> Answer {
        if dashscope && !call.dashscope_async {
            let message = "current user api does not support synchronous calls";
            return self.error(true, StatusCode::FORBIDDEN, "AccessDenied", message, call);
        }
        let asked = match read_create(call.body, dashscope) {
            Ok(asked) => asked,
            Err((code, message)) => return self.error(dashscope, StatusCode::BAD_REQUEST, code, &message, call),
        };
        if !crate::catalogue::video::MODEL_NAMES.contains(&asked.model.as_str()) {
            let message = format!("model {} not found for this workspace", asked.model);
            return self.error(dashscope, StatusCode::INTERNAL_SERVER_ERROR, "model_not_found", &message, call);
        }
        // Wan 2.6's image to video refuses a create without its `img_url` at once, as the
        // April docs' create errors say ("input param is required"); only Wan 2.7's
        // `input.media` is taken and failed later.
        if media_fields(&asked.model) == MediaFields::Named && needs_first_frame(&asked.model) && !asked.first_frame {
            let message = "input param is required: input.img_url (the first frame)";
            return self.error(dashscope, StatusCode::INTERNAL_SERVER_ERROR, "InvalidParameter", message, call);
        }
        let now = Instant::now();
        let mut tasks = self.tasks.lock().expect("video tasks lock");
        let in_flight: Vec<Instant> =
            tasks.values().filter(|t| t.key == call.key).map(|t| self.ends_at(t)).filter(|&end| end > now).collect();
        if in_flight.len() >= MAX_IN_FLIGHT {
            let first_free = in_flight.iter().min().copied().unwrap_or(now);
            let wait = first_free.saturating_duration_since(now).as_secs_f64().ceil().max(1.0) as u64;
            let code = if dashscope { "Throttling.RateQuota" } else { "rate_limit_exceeded" };
            let message = format!("at most {MAX_IN_FLIGHT} video tasks may run at once per key");
            let Answer::Json { status, body, note, .. } =
                self.error(dashscope, StatusCode::TOO_MANY_REQUESTS, code, &message, call)
            else {
                unreachable!("errors are JSON")
            };
            return Answer::Json { status, body, retry_after: Some(wait), note };
        }
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        let roll = mix(self.config.seed ^ mix(n) ^ 0x000f_1de0) >> 11;
        let fate = if needs_first_frame(&asked.model) && !asked.first_frame {
            Fate::Fail { code: "InvalidParameter", message: "Field required: input.media".into(), at: EARLY_FAILURE }
        } else if (roll as f64 / (1u64 << 53) as f64) < self.config.fail {
            let message = "The video could not be generated (the emulator's --video-fail)".to_string();
            Fate::Fail { code: "InternalError.Algo", message, at: 1.0 }
        } else {
            Fate::Succeed
        };
        let bits = mix(self.config.seed ^ n.wrapping_mul(0x9e37));
        let id = if dashscope {
            let hex = format!("{bits:016x}{:016x}", mix(bits));
            format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
        } else {
            format!("video_task_{bits:016x}")
        };
        let created_unix = super::answers::now_secs();
        let note = format!("model {} · task {id}", asked.model);
        let model = asked.model.clone();
        let task = Task {
            key: call.key.to_string(),
            model: asked.model,
            prompt: asked.prompt,
            seconds: asked.seconds,
            created: now,
            created_unix,
            fate,
            clip: None,
        };
        if let Some(folder) = &self.config.kept_in {
            kept::keep(folder, &id, &task);
        }
        tasks.insert(id.clone(), task);
        let body = if dashscope {
            json!({"output": {"task_id": id, "task_status": "PENDING"}, "request_id": call.request_id})
        } else {
            json!({"id": id, "object": "video", "status": "queued", "model": model, "created_at": created_unix,
                   "progress": "0%"})
        };
        Answer::json(StatusCode::OK, body, note)
    }

    async fn look(&self, id: &str, call: &Call<'_>, dashscope: bool) -> Answer {
        let now = Instant::now();
        let found = {
            let mut tasks = self.tasks.lock().expect("video tasks lock");
            if !tasks.contains_key(id)
                && let Some(task) = self.config.kept_in.as_deref().and_then(|folder| kept::read(folder, id))
            {
                tasks.insert(id.to_string(), task);
            }
            tasks.get(id).map(|t| {
                (self.phase(t, now), t.model.clone(), t.prompt.clone(), t.seconds, t.created_unix, t.clip.clone())
            })
        };
        let Some((phase, model, prompt, seconds, created, clip)) = found else {
            if dashscope {
                let body = json!({"output": {"task_id": id, "task_status": "UNKNOWN"}, "request_id": call.request_id});
                return Answer::json(StatusCode::OK, body, "unknown task".into());
            }
            let message = format!("task {id} not found");
            return self.error(false, StatusCode::NOT_FOUND, "task_not_found", &message, call);
        };
        let url = match (&phase, clip) {
            (Phase::Completed, Some(name)) => Some(self.url(call.origin, &name)),
            (Phase::Completed, None) => Some(self.draw(id, &prompt, seconds, call.origin).await),
            _ => None,
        };
        let (status, dashscope_status, progress) = match &phase {
            Phase::Queued => ("queued", "PENDING", 0),
            Phase::Running(p) => ("in_progress", "RUNNING", *p),
            Phase::Completed => ("completed", "SUCCEEDED", 100),
            Phase::Failed { .. } => ("failed", "FAILED", 100),
        };
        let mut output = json!({"task_id": id, "task_status": dashscope_status, "submit_time": created});
        if let Some(url) = &url {
            output["video_url"] = json!(url);
        }
        if let Phase::Failed { code, message } = &phase {
            output["code"] = json!(code);
            output["message"] = json!(message);
        }
        let note = format!("task {id} {status}");
        if dashscope {
            let mut body = json!({"output": output, "request_id": call.request_id});
            if url.is_some() {
                body["usage"] = json!({"duration": seconds, "output_video_duration": seconds, "video_count": 1});
            }
            return Answer::json(StatusCode::OK, body, note);
        }
        let mut body = json!({"id": id, "object": "video", "status": status, "model": model, "created_at": created,
                              "progress": format!("{progress}%")});
        if url.is_some() {
            body["completed_at"] = json!(super::answers::now_secs());
            body["result"] = json!({"output": output, "usage": {"duration": seconds, "video_count": 1}});
        }
        if let Phase::Failed { code, message } = &phase {
            body["error"] = json!({"code": code, "message": message});
            body["result"] = json!({"output": output});
        }
        Answer::json(StatusCode::OK, body, note)
    }

    fn url(&self, origin: &str, name: &str) -> String {
        format!("{origin}/videos/{name}.mp4")
    }

    /// Draws the clip the first time its task is seen completed; its link lives from then.
    async fn draw(&self, id: &str, prompt: &str, seconds: u32, origin: &str) -> String {
        let (width, height) = self.config.size;
        let text = prompt.to_string();
        let movie = tokio::task::spawn_blocking(move || Bytes::from(clip::clip(&text, width, height, seconds)))
            .await
            .expect("drawing does not panic");
        let mut tasks = self.tasks.lock().expect("video tasks lock");
        let Some(task) = tasks.get_mut(id) else { return self.url(origin, id) };
        // Two looks at once may both draw; the first one kept is served.
        let name = task
            .clip
            .get_or_insert_with(|| format!("{:016x}", mix(self.config.seed ^ super::draw::fnv1a(id.as_bytes()))));
        if !matches!(self.clips.get(name), Lookup::Found(_)) {
            self.clips.put(name.clone(), movie);
        }
        self.url(origin, name)
    }

    /// A clip by the path of its link.
    pub fn clip(&self, path: &str) -> Lookup {
        let name = path.rsplit('/').next().unwrap_or_default().trim_end_matches(".mp4");
        self.clips.get(name)
    }
}

/// Tasks kept on disk, one small JSON file each, for the emulator inside `wan --offline`:
/// one process makes a task (`wan video create --offline --no-wait`), a later one follows
/// it, and the clip is drawn again from what was kept.
mod kept {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::{Fate, Task};

    /// A kept task is a few hundred bytes; this bounds what a stray file can make us read.
    const MAX_BYTES: u64 = 64 * 1024;

    /// Task ids are the emulator's own (hex, `-`, `_`); anything else is no file name.
    fn file(folder: &Path, id: &str) -> Option<std::path::PathBuf> {
        let fine =
            !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        fine.then(|| folder.join(format!("{id}.json")))
    }

    /// Writes the task; one that cannot be kept is served from memory as before.
    pub fn keep(folder: &Path, id: &str, task: &Task) {
        let Some(path) = file(folder, id) else { return };
        let fate = match &task.fate {
            Fate::Succeed => json!(null),
            Fate::Fail { code, message, at } => json!({"code": code, "message": message, "at": at}),
        };
        let body = json!({"key": task.key, "model": task.model, "prompt": task.prompt, "seconds": task.seconds,
                          "created": task.created_unix, "fate": fate});
        let _ = std::fs::create_dir_all(folder).and_then(|()| std::fs::write(path, body.to_string()));
    }

    /// The task as kept, its age counted from the time it was made.
    pub fn read(folder: &Path, id: &str) -> Option<Task> {
        use std::io::Read;
        let mut text = String::new();
        std::fs::File::open(file(folder, id)?).ok()?.take(MAX_BYTES).read_to_string(&mut text).ok()?;
        let kept: Value = serde_json::from_str(&text).ok()?;
        let created_unix = kept["created"].as_u64()?;
        let age = super::super::answers::now_secs().saturating_sub(created_unix);
        let fate = match &kept["fate"] {
            Value::Null => Fate::Succeed,
            fail => Fate::Fail {
                // The codes are the emulator's own; a file that names another is not ours.
                code: ["InvalidParameter", "InternalError.Algo"].into_iter().find(|c| fail["code"] == *c)?,
                message: fail["message"].as_str()?.to_string(),
                at: fail["at"].as_f64()?,
            },
        };
        Some(Task {
            key: kept["key"].as_str()?.to_string(),
            model: kept["model"].as_str()?.to_string(),
            prompt: kept["prompt"].as_str()?.to_string(),
            seconds: u32::try_from(kept["seconds"].as_u64()?).ok()?,
            created: Instant::now().checked_sub(Duration::from_secs(age)).unwrap_or_else(Instant::now),
            created_unix,
            fate,
            clip: None,
        })
    }
}

/// The create's model, prompt, duration and whether it has a first frame, from the
/// gateway's Wan or Seedance body or from the DashScope one; or the 400 to answer.
fn read_create(body: &[u8], dashscope: bool) -> Result<Asked, (&'static str, String)> {
    let request: Value =
        serde_json::from_slice(body).map_err(|_| ("json_parse_error", "The body is not valid JSON".to_string()))?;
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .ok_or(("missing_parameter", "model is required".to_string()))?
        .to_string();
    let invalid = |message: &str| ("InvalidParameter", message.to_string());
    if !dashscope && let Some(content) = request.get("content") {
        let parts = content.as_array().ok_or_else(|| invalid("content must be an array of parts"))?;
        let prompt: String = parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        let first_frame = parts.iter().any(|p| p.get("type").and_then(Value::as_str) == Some("image_url"));
        let seconds = request.get("duration").and_then(Value::as_u64).map_or(5, |d| d as u32);
        if prompt.trim().is_empty() {
            return Err(invalid("a text part with the prompt is required"));
        }
        return Ok(Asked { model, prompt, seconds: seconds.clamp(1, MAX_SECONDS), first_frame });
    }
    let input = request.get("input").ok_or_else(|| invalid("Field required: input"))?;
    let prompt = input.get("prompt").and_then(Value::as_str).unwrap_or_default().to_string();
    if prompt.trim().is_empty() {
        return Err(invalid("prompt must contain words"));
    }
    // Wan 2.6 takes its first frame as `input.img_url`; the rest as an `input.media` item.
    let first_frame = match media_fields(&model) {
        MediaFields::Named => input.get("img_url").and_then(Value::as_str).is_some_and(|url| !url.trim().is_empty()),
        MediaFields::List => {
            let media = input.get("media").and_then(Value::as_array).cloned().unwrap_or_default();
            media.iter().any(|m| match m {
                Value::String(url) => !url.is_empty(),
                item => item.get("type").and_then(Value::as_str) == Some("first_frame"),
            })
        }
    };
    let parameters = request.get("parameters").cloned().unwrap_or(json!({}));
    if let Some(resolution) = parameters.get("resolution") {
        let fine = resolution.as_str().is_some_and(|r| matches!(r.to_ascii_uppercase().as_str(), "720P" | "1080P"));
        if !fine {
            return Err(invalid("parameters.resolution must be 720P or 1080P"));
        }
    }
    let seconds = match parameters.get("duration") {
        None => 5,
        Some(d) => d
            .as_u64()
            .filter(|d| (1..=u64::from(MAX_SECONDS)).contains(d))
            .ok_or_else(|| invalid("parameters.duration must be a whole number of seconds from 1 to 15"))?
            as u32,
    };
    Ok(Asked { model, prompt, seconds, first_frame })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_routes_bodies_and_refuses_bad_ones() {
        let wan = br#"{"model":"wan2.7-i2v","input":{"prompt":"a fox","media":[{"type":"first_frame","url":"u"}]},
                      "parameters":{"resolution":"720P","duration":10}}"#;
        let asked = read_create(wan, false).unwrap();
        assert_eq!((asked.seconds, asked.first_frame), (10, true));
        let dash = br#"{"model":"wan2.7-i2v","input":{"prompt":"a fox","media":["https://h/f.png"]}}"#;
        assert!(read_create(dash, true).unwrap().first_frame);
        let april = br#"{"model":"wan2.6-i2v","input":{"prompt":"a fox","img_url":"https://h/f.png"}}"#;
        assert!(read_create(april, true).unwrap().first_frame, "img_url is Wan 2.6's first frame");
        let media_only = br#"{"model":"wan2.6-i2v","input":{"prompt":"a fox","media":["https://h/f.png"]}}"#;
        assert!(!read_create(media_only, true).unwrap().first_frame, "Wan 2.6 has no input.media");
        let seedance = br#"{"model":"dreamina-seedance-2-5","content":[{"type":"text","text":"a fox"}]}"#;
        assert!(!read_create(seedance, false).unwrap().first_frame);
        for bad in [
            &br#"{"model":"m","input":{"prompt":"  "}}"#[..],
            br#"{"model":"m","input":{"prompt":"x"},"parameters":{"duration":99}}"#,
            br#"{"model":"m","input":{"prompt":"x"},"parameters":{"resolution":"4K"}}"#,
            br#"{"input":{"prompt":"x"}}"#,
            b"not json",
        ] {
            assert!(read_create(bad, false).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}

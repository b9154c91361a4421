//! Routes as adapters: each turns a job into a request and reads its answer, behind one
//! small interface, so the sending, retrying, fallback and saving code never knows
//! which route it speaks. Chat is the route of the seed documents; the images route is
//! where the service's later docs moved the Wan models
//! (https://aisa.one/docs/api-reference/chat/image-generation) and where Seedream and
//! gpt-image live; the Gemini route is Google's `generateContent`.

mod chat;
mod gemini;
mod images;
pub mod memory;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use serde_json::Value;

use super::ApiSettings;
use super::request::Job;
use super::response::{Images, Unreadable};
use crate::catalogue::Routes;
use crate::error::Error;
use crate::files::reference::LocalImage;
use memory::RouteMemory;

/// What one request sends.
pub enum Payload<'a> {
    /// Shared, so a retry does not copy a body that may carry megabytes of data URIs.
    Json(Bytes),
    /// The OpenAI-style multipart form: text fields, then one `image[]` part per file, then
    /// the `mask` where there is one (its bytes shared, not copied).
    Form { fields: Vec<(String, String)>, files: &'a [LocalImage], mask: Option<LocalImage> },
}

/// The reference images as files, for a route that uploads them; made once per run.
pub type Uploads<'a> = &'a dyn Fn() -> Result<&'a [LocalImage], Error>;

/// One route's side of a request: where it goes, what it carries, how to read the answer.
pub trait Adapter: Sync {
    /// The path after the base URL.
    fn path(&self, job: &Job) -> String;
    /// Where the request goes: the path after the base URL, unless the route lives
    /// elsewhere on the host.
    fn url(&self, api: &ApiSettings, job: &Job) -> String {
        api.url(&self.path(job))
    }
    /// The body of the request for `job`.
    fn payload<'a>(&self, job: &Job, uploads: Uploads<'a>) -> Result<Payload<'a>, Error>;
    /// The body as `--dry-run` shows it: JSON, or the form described field by field.
    fn preview(&self, job: &Job) -> Value;
    /// Reads a successful answer as it streams in.
    fn read(&self, body: &mut dyn Read) -> Result<Images, Unreadable>;
}

/// What the user asked for with `--route` / `WAN_ROUTE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The model's own route from the catalogue: for Wan, chat first and the images
    /// route once the service says the model moved.
    Auto,
    Chat,
    Images,
    Gemini,
}

impl Route {
    /// Whether requests go to the Gemini route, whose requests make one image each and
    /// take no `size`.
    pub fn is_gemini(self, routes: Routes) -> bool {
        self == Self::Gemini || (self == Self::Auto && routes == Routes::Gemini)
    }
}

impl Route {
    /// Every route `--route` takes, in the order the help lists them.
    pub const ALL: [Self; 4] = [Self::Auto, Self::Chat, Self::Images, Self::Gemini];

    /// The route of a name as `--route`, `WAN_ROUTE` and the config file give it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|route| route.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Chat => "chat",
            Self::Images => "images",
            Self::Gemini => "gemini",
        }
    }
}

/// One endpoint family a request can go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Images,
    /// `{base}/models/{model}:generateContent`, the seed documents' path.
    Gemini,
    /// `/v1beta/models/{model}:generateContent` on the same host, the later docs' path.
    GeminiBeta,
}

impl Endpoint {
    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            Self::Chat => &chat::Chat,
            Self::Images => &images::ImagesRoute,
            Self::Gemini => &gemini::GEMINI,
            Self::GeminiBeta => &gemini::GEMINI_BETA,
        }
    }
}

/// The route of a run's model, and what it learned on the way: shared by all its requests.
#[derive(Debug)]
pub struct RouteState {
    chosen: Route,
    /// The model's routes in the catalogue, which `auto` follows.
    routes: Routes,
    moved: AtomicBool,
    /// The move was remembered from an earlier run, not learned in this one.
    remembered: AtomicBool,
    /// The remembered move was forgotten in this run, its route having refused: a request
    /// sent there before that (one in flight at once with the first refused) follows too.
    forgotten: AtomicBool,
    /// Held while a refusal is weighed, so that of two requests refused at once one
    /// forgets and the other sees it done, never half done.
    forgetting: std::sync::Mutex<()>,
    memory: Option<RouteMemory>,
    /// The Gemini route's `/models/…` did not exist and `/v1beta/models/…` is used.
    beta: AtomicBool,
}

impl RouteState {
    pub fn new(chosen: Route, routes: Routes) -> Self {
        Self::remembering(chosen, routes, None)
    }

    /// Starts where an earlier run learned the service serves the model, where `memory`
    /// has it: with `auto` and a model that starts on chat, the images route; on the
    /// Gemini route, `/v1beta`.
    pub fn remembering(chosen: Route, routes: Routes, memory: Option<RouteMemory>) -> Self {
        let learns_images = chosen == Route::Auto && routes == Routes::ChatThenImages;
        let learns_beta = chosen.is_gemini(routes);
        let memory = memory.filter(|_| learns_images || learns_beta);
        let recalled = memory.as_ref().and_then(|m| m.recall(SystemTime::now()));
        let images = learns_images && recalled == Some(Endpoint::Images);
        let beta = learns_beta && recalled == Some(Endpoint::GeminiBeta);
        Self {
            chosen,
            routes,
            moved: AtomicBool::new(images),
            remembered: AtomicBool::new(images || beta),
            forgotten: AtomicBool::new(false),
            forgetting: std::sync::Mutex::new(()),
            memory,
            beta: AtomicBool::new(beta),
        }
    }

    /// Where the next request goes: the catalogue's route for `auto`; once a fallback
    /// has happened, straight to where it led.
    pub fn first(&self) -> Endpoint {
        let gemini = || if self.beta.load(Ordering::Relaxed) { Endpoint::GeminiBeta } else { Endpoint::Gemini };
        match (self.chosen, self.routes) {
            (Route::Chat, _) => Endpoint::Chat,
            (Route::Images, _) | (Route::Auto, Routes::Images) => Endpoint::Images,
            (Route::Gemini, _) | (Route::Auto, Routes::Gemini) => gemini(),
            (Route::Auto, Routes::ChatThenImages) if self.moved.load(Ordering::Relaxed) => Endpoint::Images,
            (Route::Auto, Routes::ChatThenImages) => Endpoint::Chat,
        }
    }

    /// Where a job goes after `from` said the model moved, if `--route` allows it.
    pub fn fallback(&self, from: Endpoint) -> Option<Endpoint> {
        (self.chosen == Route::Auto && from == Endpoint::Chat).then_some(Endpoint::Images)
    }

    /// Remembers, for the rest of the run and the next ones, that the Gemini route lives
    /// under `/v1beta`; true the first time, to say so once.
    pub fn mark_beta(&self) -> bool {
        let first = !self.beta.swap(true, Ordering::Relaxed);
        if first && let Some(memory) = &self.memory {
            memory.store(Some(Endpoint::GeminiBeta), SystemTime::now());
        }
        first
    }

    /// Remembers that the service moved, for this run and the next ones; true the first
    /// time, to say so once.
    pub fn mark_moved(&self) -> bool {
        let first = !self.moved.swap(true, Ordering::Relaxed);
        if first && let Some(memory) = &self.memory {
            memory.store(Some(Endpoint::Images), SystemTime::now());
        }
        first
    }

    /// When the route remembered from an earlier run refuses the model (the images
    /// route), or is not there (`/v1beta`), forgets it and says where to go instead (chat,
    /// or the Gemini route's first path, once more), and whether this is the first request
    /// to find out (to say so once); `None` if nothing was remembered. Every request sent
    /// to the remembered route is told, not only the first: those in flight at once meet
    /// the same refusal, and each follows (issue: `-n 8` saved 4).
    pub fn forget_remembered(&self, refused: Endpoint) -> Option<(Endpoint, bool)> {
        let (flag, instead) = match refused {
            Endpoint::Images => (&self.moved, Endpoint::Chat),
            Endpoint::GeminiBeta => (&self.beta, Endpoint::Gemini),
            Endpoint::Chat | Endpoint::Gemini => return None,
        };
        let _weighing = self.forgetting.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if flag.load(Ordering::Relaxed) && self.remembered.swap(false, Ordering::Relaxed) {
            flag.store(false, Ordering::Relaxed);
            self.forgotten.store(true, Ordering::Relaxed);
            if let Some(memory) = &self.memory {
                memory.store(None, SystemTime::now());
            }
            return Some((instead, true));
        }
        // Forgotten by another request, and not learned again since: this one was sent
        // to the remembered route before that.
        (self.forgotten.load(Ordering::Relaxed) && !flag.load(Ordering::Relaxed)).then_some((instead, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_switches_once_and_stays_switched() {
        let routes = RouteState::new(Route::Auto, Routes::ChatThenImages);
        assert_eq!(routes.first(), Endpoint::Chat);
        assert_eq!(routes.fallback(Endpoint::Chat), Some(Endpoint::Images));
        assert!(routes.mark_moved());
        assert!(!routes.mark_moved());
        assert_eq!(routes.first(), Endpoint::Images);
        assert_eq!(routes.fallback(Endpoint::Images), None);
        let wan = Routes::ChatThenImages;
        assert_eq!(RouteState::new(Route::Chat, wan).first(), Endpoint::Chat);
        assert_eq!(RouteState::new(Route::Chat, wan).fallback(Endpoint::Chat), None);
        assert_eq!(RouteState::new(Route::Images, wan).first(), Endpoint::Images);
    }

    #[test]
    fn auto_takes_the_catalogue_s_route_and_an_explicit_route_wins() {
        assert_eq!(RouteState::new(Route::Auto, Routes::Images).first(), Endpoint::Images);
        assert_eq!(RouteState::new(Route::Auto, Routes::Gemini).first(), Endpoint::Gemini);
        assert_eq!(RouteState::new(Route::Gemini, Routes::ChatThenImages).first(), Endpoint::Gemini);
        assert_eq!(RouteState::new(Route::Chat, Routes::Gemini).first(), Endpoint::Chat);
        assert!(Route::Auto.is_gemini(Routes::Gemini));
        assert!(Route::Gemini.is_gemini(Routes::Images));
        assert!(!Route::Images.is_gemini(Routes::Gemini));
    }

    #[test]
    fn the_gemini_route_moves_to_v1beta_once_for_the_run() {
        let routes = RouteState::new(Route::Auto, Routes::Gemini);
        assert_eq!(routes.first(), Endpoint::Gemini);
        assert!(routes.mark_beta());
        assert!(!routes.mark_beta());
        assert_eq!(routes.first(), Endpoint::GeminiBeta);
        assert_eq!(routes.fallback(Endpoint::GeminiBeta), None);
        let explicit = RouteState::new(Route::Gemini, Routes::ChatThenImages);
        explicit.mark_beta();
        assert_eq!(explicit.first(), Endpoint::GeminiBeta);
    }

    #[test]
    fn a_remembered_v1beta_is_used_then_forgotten_when_it_is_not_there() {
        let dir = tempfile::tempdir().unwrap();
        let memory = || Some(RouteMemory::new(dir.path().to_path_buf(), "http://h/v1", "gemini-x"));
        let first_run = RouteState::remembering(Route::Auto, Routes::Gemini, memory());
        assert_eq!(first_run.first(), Endpoint::Gemini);
        assert!(first_run.mark_beta());
        let next_run = RouteState::remembering(Route::Auto, Routes::Gemini, memory());
        assert_eq!(next_run.first(), Endpoint::GeminiBeta);
        assert_eq!(
            RouteState::remembering(Route::Gemini, Routes::ChatThenImages, memory()).first(),
            Endpoint::GeminiBeta
        );
        assert_eq!(next_run.forget_remembered(Endpoint::Images), None, "nothing of the images route was remembered");
        assert_eq!(next_run.forget_remembered(Endpoint::GeminiBeta), Some((Endpoint::Gemini, true)));
        assert_eq!(next_run.first(), Endpoint::Gemini);
        assert_eq!(RouteState::remembering(Route::Auto, Routes::Gemini, memory()).first(), Endpoint::Gemini);
        // a move learned in this run is not "remembered": it is not forgotten on a 404
        assert_eq!(first_run.forget_remembered(Endpoint::GeminiBeta), None);
    }

    #[test]
    fn requests_refused_at_once_by_a_remembered_route_all_follow_and_one_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let memory = || Some(RouteMemory::new(dir.path().to_path_buf(), "http://h/v1", "m"));
        RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory()).mark_moved();
        for _ in 0..50 {
            RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory()).mark_moved();
            let routes = RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory());
            assert_eq!(routes.first(), Endpoint::Images);
            let start = std::sync::Barrier::new(8);
            let told: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            routes.forget_remembered(Endpoint::Images)
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(told.iter().all(|t| t.is_some_and(|(to, _)| to == Endpoint::Chat)), "{told:?}");
            assert_eq!(told.iter().filter(|t| t.is_some_and(|(_, first)| first)).count(), 1, "{told:?}");
        }
    }

    #[test]
    fn a_remembered_move_is_used_then_forgotten_when_refused() {
        let dir = tempfile::tempdir().unwrap();
        let memory = || Some(RouteMemory::new(dir.path().to_path_buf(), "http://h/v1", "m"));
        let first_run = RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory());
        assert_eq!(first_run.first(), Endpoint::Chat);
        assert!(first_run.mark_moved());
        let next_run = RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory());
        assert_eq!(next_run.first(), Endpoint::Images);
        assert!(!next_run.mark_moved(), "no notice for a remembered move");
        assert_eq!(next_run.forget_remembered(Endpoint::Images), Some((Endpoint::Chat, true)));
        assert_eq!(next_run.first(), Endpoint::Chat);
        // a request sent there at the same time follows too, without a second notice
        assert_eq!(next_run.forget_remembered(Endpoint::Images), Some((Endpoint::Chat, false)));
        assert_eq!(RouteState::remembering(Route::Auto, Routes::ChatThenImages, memory()).first(), Endpoint::Chat);
        // but a move this run learns again is its own: not forgotten on a refusal
        assert!(next_run.mark_moved());
        assert_eq!(next_run.forget_remembered(Endpoint::Images), None);
        // an explicit --route ignores the memory
        first_run.mark_moved();
        assert_eq!(RouteState::remembering(Route::Chat, Routes::ChatThenImages, memory()).first(), Endpoint::Chat);
    }
}

//! Which endpoint a job goes to: the seeds' chat route, or the images route where the
//! service has moved the Wan models (reference §0, §4, §5).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;
use crate::reference::LocalImage;

/// What the user asked for with `--route` / `WAN_ROUTE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Chat first; the images route once the service says the model moved.
    Auto,
    Chat,
    Images,
}

/// One endpoint a request can go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Images,
}

impl Endpoint {
    /// The path after the base URL; `edit` on the images route has its own.
    pub fn path(self, editing: bool) -> &'static str {
        match (self, editing) {
            (Self::Chat, _) => "chat/completions",
            (Self::Images, false) => "images/generations",
            (Self::Images, true) => "images/edits",
        }
    }
}

/// The route of a run, and what it learned on the way: shared by all its requests.
#[derive(Debug)]
pub struct Routes {
    chosen: Route,
    moved: AtomicBool,
    /// Reference images as files for the images route's form, made once per run
    /// (URL references are downloaded for it).
    uploads: OnceLock<Result<Vec<LocalImage>, Error>>,
}

impl Routes {
    pub fn new(chosen: Route) -> Self {
        Self { chosen, moved: AtomicBool::new(false), uploads: OnceLock::new() }
    }

    /// Where the next request goes: once a fallback has happened, straight to images.
    pub fn first(&self) -> Endpoint {
        match self.chosen {
            Route::Chat => Endpoint::Chat,
            Route::Images => Endpoint::Images,
            Route::Auto if self.moved.load(Ordering::Relaxed) => Endpoint::Images,
            Route::Auto => Endpoint::Chat,
        }
    }

    /// Whether a chat answer saying "moved" may send the job to the images route.
    pub fn may_fall_back(&self) -> bool {
        self.chosen == Route::Auto
    }

    /// Remembers that the service moved; true the first time, to say so once.
    pub fn mark_moved(&self) -> bool {
        !self.moved.swap(true, Ordering::Relaxed)
    }

    pub fn uploads(&self, make: impl FnOnce() -> Result<Vec<LocalImage>, Error>) -> Result<&[LocalImage], Error> {
        self.uploads.get_or_init(make).as_deref().map_err(Clone::clone)
    }
}

/// A 400 or 404 from the chat route saying the model is served on the images route:
/// the code `model_route_not_supported`, or a body that names that route.
pub fn says_moved(status: u16, code: Option<&str>, body: &[u8]) -> bool {
    if !matches!(status, 400 | 404) {
        return false;
    }
    if code == Some("model_route_not_supported") {
        return true;
    }
    let text = String::from_utf8_lossy(body);
    text.contains("model_route_not_supported") || text.contains("images/generations") || text.contains("images/edits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_moved_answers_only() {
        assert!(says_moved(400, Some("model_route_not_supported"), b"{}"));
        assert!(says_moved(404, None, br#"{"error":{"message":"use POST /v1/images/generations"}}"#));
        assert!(!says_moved(400, Some("invalid_parameter_error"), b"Input should be a valid list"));
        assert!(!says_moved(500, Some("model_route_not_supported"), b""));
        assert!(!says_moved(401, None, b"see /v1/images/generations"));
    }

    #[test]
    fn auto_switches_once_and_stays_switched() {
        let routes = Routes::new(Route::Auto);
        assert_eq!(routes.first(), Endpoint::Chat);
        assert!(routes.mark_moved());
        assert!(!routes.mark_moved());
        assert_eq!(routes.first(), Endpoint::Images);
        assert_eq!(Routes::new(Route::Chat).first(), Endpoint::Chat);
        assert!(!Routes::new(Route::Images).may_fall_back());
    }

    #[test]
    fn paths_follow_the_route_and_the_command() {
        assert_eq!(Endpoint::Chat.path(true), "chat/completions");
        assert_eq!(Endpoint::Images.path(false), "images/generations");
        assert_eq!(Endpoint::Images.path(true), "images/edits");
    }
}

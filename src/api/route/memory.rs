//! What a run learned of where the service serves a model, remembered between runs per
//! base URL and model, with the time it was learned: that `auto` found Wan moved to the
//! images route, or that the Gemini route lives under `/v1beta`. The next runs go
//! straight there, without the refused request or the notice, and check again after 7
//! days or when that route refuses.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::Endpoint;

/// How long a learned route is trusted before chat is tried again.
pub const TRUSTED_FOR: Duration = Duration::from_secs(7 * 24 * 3600);
/// The file is tiny; anything larger is not ours and is ignored.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Learned {
    route: String,
    /// Seconds since the Unix epoch.
    learned: u64,
}

/// One base URL and model's entry in `routes.json` in the state folder.
#[derive(Clone, Debug)]
pub struct RouteMemory {
    file: PathBuf,
    key: String,
}

impl RouteMemory {
    pub fn new(state_dir: PathBuf, base: &str, model: &str) -> Self {
        Self { file: state_dir.join("routes.json"), key: format!("{} {model}", base.trim_end_matches('/')) }
    }

    fn read_all(&self) -> BTreeMap<String, Learned> {
        let fits = fs::metadata(&self.file).is_ok_and(|m| m.len() <= MAX_FILE_BYTES);
        fits.then(|| fs::read(&self.file).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The route learned for this base URL and model, unless it is older than 7 days.
    pub fn recall(&self, now: SystemTime) -> Option<Endpoint> {
        let learned = self.read_all().remove(&self.key)?;
        let at = UNIX_EPOCH + Duration::from_secs(learned.learned);
        if !now.duration_since(at).is_ok_and(|age| age < TRUSTED_FOR) {
            return None;
        }
        [Endpoint::Images, Endpoint::GeminiBeta].into_iter().find(|e| name(*e) == Some(learned.route.as_str()))
    }

    /// Remembers `route` (or forgets, with `None`). Best effort: a state folder that
    /// cannot be written costs one refused request next time, nothing more.
    pub fn store(&self, route: Option<Endpoint>, now: SystemTime) {
        let mut all = self.read_all();
        match route.and_then(name) {
            Some(route) => {
                let learned = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
                all.insert(self.key.clone(), Learned { route: route.into(), learned });
            }
            None => {
                all.remove(&self.key);
            }
        }
        let _ = self.write(&all);
    }

    /// Written beside and moved into place, so a reader never sees half a file.
    fn write(&self, all: &BTreeMap<String, Learned>) -> std::io::Result<()> {
        let dir = self.file.parent().unwrap_or(std::path::Path::new("."));
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        temp.write_all(&serde_json::to_vec_pretty(all).map_err(std::io::Error::other)?)?;
        temp.persist(&self.file).map(|_| ()).map_err(|e| e.error)
    }
}

/// The name a learned route is kept under; only a move is worth remembering.
fn name(route: Endpoint) -> Option<&'static str> {
    match route {
        Endpoint::Images => Some("images"),
        Endpoint::GeminiBeta => Some("gemini-v1beta"),
        Endpoint::Chat | Endpoint::Gemini => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_base_and_model_and_forgets_after_seven_days() {
        let dir = tempfile::tempdir().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let memory = RouteMemory::new(dir.path().to_path_buf(), "https://api.aisa.one/v1/", "wan2.7-image");
        assert_eq!(memory.recall(now), None);
        memory.store(Some(Endpoint::Images), now);
        assert_eq!(memory.recall(now + Duration::from_secs(3600)), Some(Endpoint::Images));
        assert_eq!(memory.recall(now + TRUSTED_FOR), None);
        let other_model = RouteMemory::new(dir.path().to_path_buf(), "https://api.aisa.one/v1", "wan2.7-image-pro");
        assert_eq!(other_model.recall(now), None);
        let same = RouteMemory::new(dir.path().to_path_buf(), "https://api.aisa.one/v1", "wan2.7-image");
        assert_eq!(same.recall(now), Some(Endpoint::Images));
        memory.store(None, now);
        assert_eq!(same.recall(now), None);
    }

    #[test]
    fn the_gemini_route_s_move_to_v1beta_is_remembered_too() {
        let dir = tempfile::tempdir().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let memory = RouteMemory::new(dir.path().to_path_buf(), "http://h/v1", "gemini-3-pro-image-preview");
        memory.store(Some(Endpoint::GeminiBeta), now);
        assert_eq!(memory.recall(now), Some(Endpoint::GeminiBeta));
        assert_eq!(memory.recall(now + TRUSTED_FOR), None);
        memory.store(Some(Endpoint::Gemini), now);
        assert_eq!(memory.recall(now), None, "the first route is no move to remember");
    }

    #[test]
    fn a_broken_file_is_no_memory() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("routes.json"), b"{not json").unwrap();
        let memory = RouteMemory::new(dir.path().to_path_buf(), "b", "m");
        assert_eq!(memory.recall(SystemTime::now()), None);
        memory.store(Some(Endpoint::Images), SystemTime::now());
        assert_eq!(memory.recall(SystemTime::now()), Some(Endpoint::Images));
    }
}

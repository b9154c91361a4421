//! The images the emulator has made, served at URLs of its own until they expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// What a download finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(Bytes),
    Expired,
    Missing,
}

#[derive(Debug)]
pub struct Store {
    ttl: Duration,
    images: Mutex<HashMap<String, (Instant, Bytes)>>,
}

impl Store {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, images: Mutex::new(HashMap::new()) }
    }

    /// Keeps an image under `id`, and forgets those long expired so memory stays bounded.
    pub fn put(&self, id: String, png: Bytes) {
        let now = Instant::now();
        let mut images = self.images.lock().expect("image store lock");
        // Expired images still answer 403 (not 404) for a while, as a CDN's signed URLs do.
        let keep_for = self.ttl + Duration::from_secs(600);
        images.retain(|_, (made, _)| now.duration_since(*made) < keep_for);
        images.insert(id, (now, png));
    }

    pub fn get(&self, id: &str) -> Lookup {
        match self.images.lock().expect("image store lock").get(id) {
            None => Lookup::Missing,
            Some((made, _)) if made.elapsed() >= self.ttl => Lookup::Expired,
            Some((_, png)) => Lookup::Found(png.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_found_until_they_expire() {
        let store = Store::new(Duration::from_secs(60));
        store.put("a".into(), Bytes::from_static(b"png"));
        assert_eq!(store.get("a"), Lookup::Found(Bytes::from_static(b"png")));
        assert_eq!(store.get("b"), Lookup::Missing);
        let expired = Store::new(Duration::ZERO);
        expired.put("a".into(), Bytes::from_static(b"png"));
        assert_eq!(expired.get("a"), Lookup::Expired);
    }
}

//! The images the emulator has made, served at URLs of its own until they expire.

use std::collections::{HashMap, VecDeque};
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
    images: Mutex<Images>,
}

#[derive(Debug, Default)]
struct Images {
    by_id: HashMap<String, (Instant, Bytes)>,
    /// Ids in the order they were made, so the oldest are found without a look at the
    /// rest: a batch of 100,000 images costs a put each, not a sweep of all each.
    made: VecDeque<(Instant, String)>,
}

impl Store {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, images: Mutex::new(Images::default()) }
    }

    /// Keeps an image under `id`, and forgets those long expired so memory stays bounded.
    pub fn put(&self, id: String, png: Bytes) {
        self.put_at(id, png, Instant::now());
    }

    fn put_at(&self, id: String, png: Bytes, now: Instant) {
        let mut images = self.images.lock().expect("image store lock");
        // Expired images still answer 403 (not 404) for a while, as a CDN's signed URLs do.
        let keep_for = self.ttl + Duration::from_secs(600);
        while let Some((made, _)) = images.made.front()
            && now.duration_since(*made) >= keep_for
        {
            if let Some((_, old)) = images.made.pop_front() {
                images.by_id.remove(&old);
            }
        }
        images.made.push_back((now, id.clone()));
        images.by_id.insert(id, (now, png));
    }

    pub fn get(&self, id: &str) -> Lookup {
        match self.images.lock().expect("image store lock").by_id.get(id) {
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

    #[test]
    fn images_long_expired_are_forgotten_oldest_first() {
        let store = Store::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let png = Bytes::from_static(b"png");
        store.put_at("old".into(), png.clone(), t0);
        store.put_at("newer".into(), png.clone(), t0 + Duration::from_secs(100));
        // Ten minutes past the TTL of "old" (not yet of "newer"): only "old" is forgotten.
        store.put_at("new".into(), png, t0 + Duration::from_secs(60 + 600));
        assert_eq!(store.get("old"), Lookup::Missing);
        assert_ne!(store.get("newer"), Lookup::Missing);
        let images = store.images.lock().unwrap();
        assert_eq!((images.by_id.len(), images.made.len()), (2, 2));
    }
}

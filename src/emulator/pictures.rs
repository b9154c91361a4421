//! Which pictures a request gets, and each drawn once: a prompt's pictures are numbered by
//! a counter of its own, and rendered pictures are cached by (prompt, index, size).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bytes::Bytes;

use super::draw::{self, fnv1a};

/// A prompt's sequence repeats after this many pictures: the cache can then serve a big
/// batch of one prompt, which would otherwise be drawn picture by picture.
pub const CYCLE: u64 = 64;
/// Rendered pictures kept at most, in bytes; the oldest go first.
const CACHE_BYTES: usize = 256 << 20;
/// Prompts whose counters are kept; past it they all start again (memory stays bounded
/// under a batch of millions of distinct prompts).
const MAX_PROMPTS: usize = 1 << 20;

/// (hash of the prompt, index, width, height). The hash, not the prompt, so a long
/// prompt costs the cache nothing; two prompts of one 64-bit hash would share pictures.
type Key = (u64, u32, u32, u32);

#[derive(Debug)]
pub struct Pictures {
    noise: bool,
    counters: Mutex<HashMap<u64, u64>>,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    pictures: HashMap<Key, Bytes>,
    order: VecDeque<Key>,
    bytes: usize,
}

impl Pictures {
    pub fn new(noise: bool) -> Self {
        Self { noise, counters: Mutex::new(HashMap::new()), cache: Mutex::new(Cache::default()) }
    }

    /// The indices of the next `n` pictures of `prompt`: the requests of one run (and of
    /// the runs after it) get pictures that follow on, not the same ones again.
    pub fn take(&self, prompt: &str, n: u32) -> Vec<u32> {
        let mut counters = self.counters.lock().expect("counters lock");
        if counters.len() >= MAX_PROMPTS {
            counters.clear();
        }
        let next = counters.entry(fnv1a(prompt.as_bytes())).or_insert(0);
        let first = *next;
        *next += u64::from(n);
        (0..u64::from(n)).map(|i| ((first + i) % CYCLE) as u32).collect()
    }

    /// Picture `index` of `prompt` at `width`×`height`, and whether it came from the cache.
    pub fn picture(&self, prompt: &str, index: u32, (width, height): (u32, u32)) -> (Bytes, bool) {
        let key = (fnv1a(prompt.as_bytes()), index, width, height);
        if let Some(png) = self.cache.lock().expect("cache lock").pictures.get(&key) {
            return (png.clone(), true);
        }
        // Drawn outside the lock: two requests for one picture may both draw it, but
        // other pictures are never kept waiting.
        let png = Bytes::from(draw::picture(prompt, index, width, height, self.noise));
        self.cache.lock().expect("cache lock").insert(key, png.clone());
        (png, false)
    }
}

impl Cache {
    fn insert(&mut self, key: Key, png: Bytes) {
        if png.len() > CACHE_BYTES || self.pictures.contains_key(&key) {
            return;
        }
        while self.bytes + png.len() > CACHE_BYTES {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(gone) = self.pictures.remove(&oldest) {
                self.bytes -= gone.len();
            }
        }
        self.bytes += png.len();
        self.order.push_back(key);
        self.pictures.insert(key, png);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_for_a_prompt_gets_the_next_pictures() {
        let pictures = Pictures::new(false);
        assert_eq!(pictures.take("red panda", 4), [0, 1, 2, 3]);
        assert_eq!(pictures.take("red panda", 2), [4, 5]);
        assert_eq!(pictures.take("whale", 1), [0], "each prompt counts for itself");
        let again = Pictures::new(false);
        assert_eq!(again.take("red panda", 6), [0, 1, 2, 3, 4, 5], "the same sequence in a new emulator");
        pictures.take("red panda", 58);
        assert_eq!(pictures.take("red panda", 2), [0, 1], "it repeats after {CYCLE}");
    }

    #[test]
    fn a_picture_is_drawn_once_per_prompt_index_and_size() {
        let pictures = Pictures::new(false);
        let (first, cached) = pictures.picture("x", 0, (32, 32));
        assert!(!cached);
        let (again, cached) = pictures.picture("x", 0, (32, 32));
        assert!(cached);
        assert_eq!(first.as_ptr(), again.as_ptr(), "the very same bytes");
        assert!(!pictures.picture("x", 1, (32, 32)).1);
        assert!(!pictures.picture("x", 0, (32, 16)).1);
        assert!(!pictures.picture("y", 0, (32, 32)).1);
    }

    #[test]
    fn the_cache_drops_the_oldest_past_its_size() {
        let mut cache = Cache::default();
        let big = Bytes::from(vec![0u8; CACHE_BYTES / 2 + 1]);
        cache.insert((1, 0, 1, 1), big.clone());
        cache.insert((2, 0, 1, 1), big);
        assert!(!cache.pictures.contains_key(&(1, 0, 1, 1)));
        assert!(cache.pictures.contains_key(&(2, 0, 1, 1)));
        assert_eq!(cache.bytes, CACHE_BYTES / 2 + 1);
    }
}

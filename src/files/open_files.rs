//! How many downloads may be open at once: each holds a connection and a file, and a
//! run that opens more than the process may loses images it paid for ("too many open
//! files"). The budget comes from the open-file limit, raised as far as allowed.

use std::sync::{Condvar, Mutex};

/// Descriptors kept free for what is not counted: standard streams, the HTTP client's
/// runtime, the journal, libraries.
const RESERVED: u64 = 64;

/// How a run may spend its open files: API requests in flight, and downloads open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Requests in flight at once (`--jobs`, lowered where the limit is too small).
    pub jobs: usize,
    /// Downloads (a connection and a file each) open at once.
    pub downloads: usize,
}

impl Budget {
    /// Each request in flight holds one connection, and one file while a base64 image
    /// streams from its answer into it; each download a connection and a file.
    /// Connections are pooled, so the peak is requests plus downloads at once.
    pub fn within(limit: u64, jobs: usize) -> Self {
        let usable = usize::try_from(limit.saturating_sub(RESERVED)).unwrap_or(usize::MAX).max(3);
        let jobs = jobs.min(usable / 3).max(1);
        let downloads = (usable.saturating_sub(2 * jobs) / 2).max(1);
        Self { jobs, downloads }
    }

    /// The budget of this process: its soft limit raised to the hard one first.
    pub fn of_process(jobs: usize) -> Self {
        Self::within(raised_limit(), jobs)
    }
}

#[cfg(unix)]
fn raised_limit() -> u64 {
    // Failing to raise keeps the limit there is; failing to read it assumes the usual 1024.
    rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft))
        .unwrap_or(1024)
}

#[cfg(not(unix))]
fn raised_limit() -> u64 {
    // Windows' C runtime allows 8,192 open files; sockets are not counted against it.
    8192
}

/// A counting semaphore: downloads wait here for a free slot rather than fail.
#[derive(Debug)]
pub struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    pub fn new(count: usize) -> Self {
        Self { free: Mutex::new(count.max(1)), freed: Condvar::new() }
    }

    /// Waits for a slot; it is given back when the returned guard is dropped.
    pub fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

#[derive(Debug)]
pub struct Slot<'a>(&'a Slots);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn the_budget_leaves_room_for_every_request_and_download() {
        for (limit, jobs) in [(256, 32), (1024, 300), (256, 300), (64, 4), (0, 4), (1_048_576, 4)] {
            let budget = Budget::within(limit, jobs);
            assert!(budget.jobs >= 1 && budget.downloads >= 1, "{limit} {jobs}: {budget:?}");
            assert!(budget.jobs <= jobs);
            if limit > RESERVED + 3 {
                let used = (2 * budget.jobs + 2 * budget.downloads) as u64;
                assert!(used <= limit - RESERVED, "{limit} {jobs}: {budget:?}");
            }
        }
        assert_eq!(Budget::within(256, 32), Budget { jobs: 32, downloads: 64 });
        // -j 300 cannot hold 300 connections in 256 files: it is lowered
        assert_eq!(Budget::within(256, 300).jobs, 64);
    }

    #[test]
    fn slots_never_let_more_than_their_count_through() {
        let slots = Arc::new(Slots::new(3));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (slots, inside, most) = (slots.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    let _slot = slots.take();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert_eq!(*slots.free.lock().unwrap(), 3);
    }
}

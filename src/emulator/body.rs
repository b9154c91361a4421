//! Response bodies: whole, or paced and cut short, for slow and broken downloads.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

const CHUNK: usize = 16 * 1024;

/// A body that announces its full length, sends it in chunks with pauses between them,
/// and, when cut, fails halfway so the connection closes short of that length.
#[derive(Debug)]
pub struct Paced {
    data: Bytes,
    sent: usize,
    /// Where sending stops; short of `data.len()` when the download is cut.
    stop_at: usize,
    pause: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Set once the part before a cut has had time to reach the client.
    cut_flushed: bool,
}

impl Paced {
    pub fn full(data: impl Into<Bytes>) -> Self {
        let data = data.into();
        Self { stop_at: data.len(), data, sent: 0, pause: Duration::ZERO, sleep: None, cut_flushed: false }
    }

    /// Waits `first` before the first byte, then sends `bytes_per_sec` (0: at once),
    /// and stops halfway if `cut`.
    pub fn download(data: Bytes, first: Duration, bytes_per_sec: u64, cut: bool) -> Self {
        let stop_at = if cut { data.len() / 2 } else { data.len() };
        let pause = match bytes_per_sec {
            0 => Duration::ZERO,
            rate => Duration::from_secs_f64(CHUNK as f64 / rate as f64),
        };
        let sleep = (!first.is_zero()).then(|| Box::pin(tokio::time::sleep(first)));
        Self { data, sent: 0, stop_at, pause, sleep, cut_flushed: false }
    }
}

impl Body for Paced {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(sleep) = &mut this.sleep {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        if this.sent >= this.stop_at {
            if this.stop_at == this.data.len() {
                return Poll::Ready(None);
            }
            // Let what was sent reach the client first, so it sees a body cut short
            // rather than a connection closed before any answer.
            if !this.cut_flushed {
                this.cut_flushed = true;
                this.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_millis(50))));
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            return Poll::Ready(Some(Err(io::Error::other("download cut short on purpose"))));
        }
        let end = (this.sent + CHUNK).min(this.stop_at);
        let frame = this.data.slice(this.sent..end);
        this.sent = end;
        if !this.pause.is_zero() {
            this.sleep = Some(Box::pin(tokio::time::sleep(this.pause)));
        }
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

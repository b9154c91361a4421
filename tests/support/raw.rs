//! A tiny HTTP server over loopback that misbehaves on purpose, for faults mockito
//! cannot produce: dropped connections, silence, bodies cut short, endless bodies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// What the server does with one connection, after reading its request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Closes the connection without a word.
    Drop,
    /// Answers this status with an empty JSON error body.
    Status(u16),
    /// Keeps the connection open and says nothing, for this long.
    Silence(Duration),
    /// Answers 200 with `body` whole.
    Serve(Vec<u8>),
    /// Waits this long, then answers 200 with `body` whole.
    Late(Duration, Vec<u8>),
    /// Promises `body` in Content-Length, sends only the first `sent` bytes, closes.
    CutShort { body: Vec<u8>, sent: usize },
    /// No Content-Length: sends the first `sent` bytes of `body`, then closes.
    CutShortUndelimited { body: Vec<u8>, sent: usize },
    /// Sends `head`, then zeros until the client goes away.
    Endless { head: Vec<u8> },
    /// Sends the first `sent` bytes of `body` (with a Content-Length), then stalls.
    Stall { body: Vec<u8>, sent: usize, for_: Duration },
    /// Answers `status` with JSON: `head`, `pad` bytes of `a`, then `tail`, without a
    /// Content-Length. Tells `padded` once the padding is out, and how many bytes of
    /// it the client took (`written`) when the connection ends.
    Padded { status: u16, head: Vec<u8>, pad: u64, tail: Vec<u8>, padded: std::sync::mpsc::Sender<u64> },
}

/// Plays `faults` in order, one per connection; the last one repeats.
pub struct RawServer {
    pub port: u16,
    requests: Arc<AtomicUsize>,
}

impl RawServer {
    pub fn start(faults: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(faults));
        let counter = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (faults, counter) = (Arc::clone(&faults), Arc::clone(&counter));
                thread::spawn(move || serve(stream, &faults, &counter));
            }
        });
        Self { port, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How many whole requests the server has read.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request (head and announced body); `false` if the client went away first.
fn read_request(stream: &TcpStream) -> bool {
    let mut reader = BufReader::new(stream);
    let mut content_length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; content_length];
    reader.read_exact(&mut body).is_ok()
}

fn serve(stream: TcpStream, faults: &Mutex<Vec<Fault>>, counter: &AtomicUsize) {
    if !read_request(&stream) {
        return;
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let fault = {
        let mut faults = faults.lock().unwrap();
        if faults.len() > 1 { faults.remove(0) } else { faults[0].clone() }
    };
    let mut out = stream;
    let head = |len: Option<usize>| match len {
        Some(len) => {
            format!("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
        }
        None => "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n".to_string(),
    };
    let _ = match fault {
        Fault::Drop => Ok(()),
        Fault::Status(status) => {
            let body = r#"{"error":{"message":"failed"}}"#;
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            out.write_all(head.as_bytes()).and_then(|()| out.write_all(body.as_bytes()))
        }
        Fault::Silence(time) => {
            thread::sleep(time);
            Ok(())
        }
        Fault::Serve(body) => out.write_all(head(Some(body.len())).as_bytes()).and_then(|()| out.write_all(&body)),
        Fault::CutShort { body, sent } => {
            out.write_all(head(Some(body.len())).as_bytes()).and_then(|()| out.write_all(&body[..sent]))
        }
        Fault::CutShortUndelimited { body, sent } => {
            out.write_all(head(None).as_bytes()).and_then(|()| out.write_all(&body[..sent]))
        }
        Fault::Endless { head: first } => {
            let zeros = vec![0u8; 1 << 20];
            out.write_all(head(None).as_bytes()).and_then(|()| out.write_all(&first)).and_then(|()| {
                loop {
                    out.write_all(&zeros)?;
                }
            })
        }
        Fault::Padded { status, head: first, pad, tail, padded } => {
            let chunk = vec![b'a'; 1 << 16];
            let mut written = 0u64;
            let head = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
            let mut result = out.write_all(head.as_bytes()).and_then(|()| out.write_all(&first));
            while result.is_ok() && written < pad {
                let n = chunk.len().min((pad - written) as usize);
                result = out.write_all(&chunk[..n]);
                if result.is_ok() {
                    written += n as u64;
                }
            }
            let _ = padded.send(written);
            result.and_then(|()| out.write_all(&tail))
        }
        Fault::Late(wait, body) => {
            thread::sleep(wait);
            out.write_all(head(Some(body.len())).as_bytes()).and_then(|()| out.write_all(&body))
        }
        Fault::Stall { body, sent, for_ } => {
            let r = out.write_all(head(Some(body.len())).as_bytes()).and_then(|()| out.write_all(&body[..sent]));
            let _ = out.flush();
            thread::sleep(for_);
            r
        }
    };
    let _ = out.flush();
}

/// Answers every request with `answer`, but holds each until `width` requests are in
/// flight at once, or all `total` have arrived (the tail of a run), or 10 s pass; and
/// records the most ever in flight. A client that keeps `width` requests going shows
/// exactly `width` and never waits; one that sends more shows more.
pub struct GateServer {
    pub port: u16,
    state: Arc<(Mutex<Gate>, Condvar)>,
}

#[derive(Default)]
struct Gate {
    in_flight: usize,
    most: usize,
    arrived: usize,
}

impl GateServer {
    pub fn start(width: usize, total: usize, answer: Vec<u8>) -> Self {
        Self::start_with_status(width, total, 200, answer)
    }

    /// The same, answering `status` instead of 200.
    pub fn start_with_status(width: usize, total: usize, status: u16, answer: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new((Mutex::new(Gate::default()), Condvar::new()));
        let shared = Arc::clone(&state);
        let answer = Arc::new(answer);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (state, answer) = (Arc::clone(&shared), Arc::clone(&answer));
                thread::spawn(move || {
                    if !read_request(&stream) {
                        return;
                    }
                    let (lock, arrived) = &*state;
                    {
                        let mut gate = lock.lock().unwrap();
                        gate.in_flight += 1;
                        gate.arrived += 1;
                        gate.most = gate.most.max(gate.in_flight);
                        arrived.notify_all();
                        let _unused = arrived
                            .wait_timeout_while(gate, Duration::from_secs(10), |g| {
                                g.in_flight < width && g.arrived < total
                            })
                            .unwrap();
                    }
                    let head = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        answer.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(&answer));
                    let _ = stream.flush();
                    let mut gate = lock.lock().unwrap();
                    gate.in_flight -= 1;
                });
            }
        });
        Self { port, state }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// (the most requests ever in flight at once, requests received)
    pub fn observed(&self) -> (usize, usize) {
        let gate = self.state.0.lock().unwrap();
        (gate.most, gate.arrived)
    }
}

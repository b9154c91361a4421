//! A loopback HTTP server that records when each request arrived and answers as a test
//! script says, request by request: for pacing, where what matters is the time between.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// What the server answers to one request.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Held this long before the answer is sent.
    pub delay: Duration,
}

impl Answer {
    pub fn ok(body: String) -> Self {
        Self { status: 200, headers: Vec::new(), body, delay: Duration::ZERO }
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// One request as it arrived, and when its answer left.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub path: String,
    pub at: Instant,
    pub wall: SystemTime,
    pub answered: Option<Instant>,
}

type Script = dyn Fn(usize) -> Answer + Send + Sync;

pub struct RecordingServer {
    pub port: u16,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
}

impl RecordingServer {
    /// Answers the `n`-th request to arrive (from 0) with `script(n)`.
    pub fn start(script: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let (log, script): (_, Arc<Script>) = (Arc::clone(&arrivals), Arc::new(script));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, script) = (Arc::clone(&log), Arc::clone(&script));
                thread::spawn(move || serve(stream, &log, &*script));
            }
        });
        Self { port, arrivals }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The requests so far, in the order they arrived.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }
}

/// Serves requests on one connection until the client closes it.
fn serve(stream: TcpStream, log: &Mutex<Vec<Arrival>>, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    while let Some(path) = read_request(&mut reader) {
        let seq = {
            let mut log = log.lock().unwrap();
            log.push(Arrival { path, at: Instant::now(), wall: SystemTime::now(), answered: None });
            log.len() - 1
        };
        let answer = script(seq);
        thread::sleep(answer.delay);
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            answer.status,
            answer.body.len()
        );
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        log.lock().unwrap()[seq].answered = Some(Instant::now());
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(answer.body.as_bytes())).is_err() {
            return;
        }
    }
}

/// Reads one request's head and body; its path, or `None` once the client is gone.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let path = first.split(' ').nth(1)?.to_string();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(path)
}

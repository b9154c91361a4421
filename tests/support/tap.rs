//! A tap on the wire: a loopback HTTP server that records every request it is sent
//! (method, path, body) and passes it on to another server (the emulator), answering with
//! what that server answered. To see the very bytes `wan` sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Tapped {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Tapped {
    /// The value of the header `name` (lower case), if the request had it.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

pub struct Tap {
    port: u16,
    seen: Arc<Mutex<Vec<Tapped>>>,
}

impl Tap {
    /// Passes everything on to `target` (a base URL such as `http://127.0.0.1:PORT/v1`; its
    /// path is replaced by each request's own).
    pub fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let origin = target.trim_end_matches('/').trim_end_matches("/v1").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (log, origin) = (Arc::clone(&log), origin.clone());
                thread::spawn(move || relay(stream, &origin, &log));
            }
        });
        Self { port, seen }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The requests so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Tapped> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves requests on one connection until the client closes it.
fn relay(stream: TcpStream, origin: &str, log: &Mutex<Vec<Tapped>>) {
    let client = super::http();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    while let Some(request) = read_request(&mut reader) {
        log.lock().unwrap().push(request.clone());
        let headers = request.headers.clone();
        let mut forward = client.request(request.method.parse().unwrap(), format!("{origin}{}", request.path));
        for (name, value) in headers {
            if !matches!(name.as_str(), "host" | "content-length" | "connection") {
                forward = forward.header(name, value);
            }
        }
        let answer = forward.body(request.body).send().unwrap();
        let status = answer.status().as_u16();
        let content_type =
            answer.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let request_id =
            answer.headers().get("x-request-id").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let body = answer.bytes().unwrap();
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\nx-request-id: {request_id}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(&body)).is_err() {
            return;
        }
    }
}

/// Reads one request: its method, path, headers and body; `None` once the client is gone.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Tapped> {
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut parts = first.split(' ');
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let (mut length, mut headers) = (0, Vec::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let (name, value) = line.trim_end().split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.push((name, value));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Tapped { method, path, headers, body })
}

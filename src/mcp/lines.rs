//! The protocol's lines, checked before the SDK reads them: a line that is not JSON is
//! answered with JSON-RPC's parse error (-32700, id null), as the JSON-RPC 2.0 spec asks
//! (https://www.jsonrpc.org/specification#error_object), and the server goes on serving.
//! rmcp 3.9 drops such a line without a word (its `transport/async_rw.rs`), which leaves a
//! client waiting for an answer that never comes.
//!
//! Standard input is read here, line by line: JSON goes on to the SDK through a pipe in
//! memory, anything else gets its error. Everything the SDK writes comes back through
//! another pipe, and one writer puts it and the errors on standard output a whole line at
//! a time, so the two never interleave.

use serde::de::IgnoredAny;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The longest line read, as rmcp's own limit: a longer one is dropped, and answered as
/// not JSON.
const MAX_LINE: usize = 16 << 20;
/// The pipes' buffers: a message is written through in pieces of this size.
const PIPE: usize = 64 << 10;

/// JSON-RPC's answer to a line that is not JSON.
pub fn parse_error() -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error: the line is not JSON"}})
        .to_string()
}

/// Whether `line` is JSON (the SDK says whether it is a message), after the byte-order
/// mark and carriage return rmcp also forgives.
fn is_json(line: &[u8]) -> bool {
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    serde_json::from_slice::<IgnoredAny>(line).is_ok()
}

/// The SDK's side of the standard streams (what it reads, where it writes), and the task
/// that writes standard output, which ends once the SDK's side is closed and every line
/// is out.
pub struct Checked {
    pub read: DuplexStream,
    pub write: DuplexStream,
    pub writer: JoinHandle<()>,
}

/// Checks the lines of `input` and writes to `output`, for the SDK.
pub fn checked(
    input: impl AsyncBufRead + Unpin + Send + 'static,
    output: impl AsyncWrite + Unpin + Send + 'static,
) -> Checked {
    let (mut to_sdk, read) = tokio::io::duplex(PIPE);
    let (write, from_sdk) = tokio::io::duplex(PIPE);
    let (errors, mut refused) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        let mut input = input;
        loop {
            let (line, whole) = match read_line(&mut input).await {
                Ok(Some(read)) => read,
                // The end of input (or input that cannot be read) ends the session.
                Ok(None) | Err(_) => break,
            };
            let trimmed = line.strip_suffix(b"\r").unwrap_or(&line);
            if whole && trimmed.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if whole && is_json(trimmed) {
                let sent = async {
                    to_sdk.write_all(trimmed).await?;
                    to_sdk.write_all(b"\n").await
                };
                if sent.await.is_err() {
                    break;
                }
            } else if errors.send(parse_error()).is_err() {
                break;
            }
        }
        // Dropping `to_sdk` is the SDK's end of input.
    });
    let writer = tokio::spawn(async move {
        let mut output = output;
        let mut from_sdk = BufReader::new(from_sdk).lines();
        let (mut sdk_open, mut errors_open) = (true, true);
        while sdk_open || errors_open {
            let line = tokio::select! {
                line = from_sdk.next_line(), if sdk_open => match line {
                    Ok(Some(line)) => line,
                    _ => { sdk_open = false; continue; }
                },
                error = refused.recv(), if errors_open => match error {
                    Some(error) => error,
                    None => { errors_open = false; continue; }
                },
            };
            let written = async {
                output.write_all(line.as_bytes()).await?;
                output.write_all(b"\n").await?;
                output.flush().await
            };
            if written.await.is_err() {
                break;
            }
        }
    });
    Checked { read, write, writer }
}

/// One line of `input` without its `\n`, and whether it was read whole (a line longer
/// than [`MAX_LINE`] is read to its end and dropped); `None` at the end of input.
async fn read_line(input: &mut (impl AsyncBufRead + Unpin)) -> std::io::Result<Option<(Vec<u8>, bool)>> {
    let mut line = Vec::new();
    let mut whole = true;
    loop {
        let buffer = input.fill_buf().await?;
        if buffer.is_empty() {
            return Ok((!line.is_empty() || !whole).then_some((line, whole)));
        }
        let (taken, end) = match buffer.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (buffer.len(), false),
        };
        let piece = &buffer[..if end { taken - 1 } else { taken }];
        if whole && line.len() + piece.len() <= MAX_LINE {
            line.extend_from_slice(piece);
        } else {
            whole = false;
            line.clear();
        }
        input.consume(taken);
        if end {
            return Ok(Some((line, whole)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_are_not_json_are_told_apart() {
        assert!(is_json(br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#));
        assert!(is_json(b"\xef\xbb\xbf{}"));
        assert!(is_json(b"[1, 2]"), "JSON that is no message is the SDK's to refuse");
        for bad in [&b"hello"[..], b"{\"jsonrpc\":", b"\xff\xfe", b"{} {}"] {
            assert!(!is_json(bad), "{}", String::from_utf8_lossy(bad));
        }
        let error: serde_json::Value = serde_json::from_str(&parse_error()).unwrap();
        assert_eq!((error["id"].clone(), error["error"]["code"].clone()), (serde_json::Value::Null, (-32700).into()));
    }

    #[test]
    fn lines_are_read_whole_and_overlong_ones_dropped() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let text = format!("a\r\n{}\nb", "x".repeat(MAX_LINE + 1));
            let mut input = BufReader::with_capacity(1024, text.as_bytes());
            assert_eq!(read_line(&mut input).await.unwrap(), Some((b"a\r".to_vec(), true)));
            assert_eq!(read_line(&mut input).await.unwrap(), Some((Vec::new(), false)));
            assert_eq!(read_line(&mut input).await.unwrap(), Some((b"b".to_vec(), true)));
            assert_eq!(read_line(&mut input).await.unwrap(), None);
        });
    }
}

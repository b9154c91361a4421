//! Standard output, where results go: a closed reader is no failure, and `wan mcp` keeps it for itself.

use std::io::{self, Write};

use crate::error::Error;

/// Standard output for results. A reader that went away (`| head -1`) is no
/// failure: the images are still saved, only the printing stops.
#[derive(Debug, Default)]
pub struct Stdout {
    closed: bool,
    /// Where the output goes instead, when it is kept for the caller.
    capture: Option<Capture>,
}

/// What a run would have printed on standard output, kept for its caller instead:
/// `wan mcp` runs the CLI's own code, but its standard output carries the protocol.
#[derive(Clone, Debug, Default)]
pub struct Capture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl Stdout {
    /// Output that goes to `capture` rather than to the process's standard output.
    pub fn capturing(capture: Capture) -> Self {
        Self { closed: false, capture: Some(capture) }
    }

    /// Whether the reader went away: what is still to print can be left unmade.
    pub fn closed(&self) -> bool {
        self.closed
    }

    pub fn line(&mut self, text: &str) -> Result<(), Error> {
        self.write_all(format!("{text}\n").as_bytes())
    }

    /// Copies a whole saved file to standard output (`-o -`), then removes it.
    pub fn copy_file(&mut self, path: &std::path::Path) -> Result<(), Error> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|e| Error::io("cannot read the saved image", &e))?;
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut chunk).map_err(|e| Error::io("cannot read the saved image", &e))?;
            if n == 0 {
                break;
            }
            self.write_all(&chunk[..n])?;
        }
        let _ = std::fs::remove_file(path);
        Ok(())
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.closed {
            return Ok(());
        }
        if let Some(capture) = &self.capture {
            capture.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
            return Ok(());
        }
        let mut out = io::stdout().lock();
        match out.write_all(bytes).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(Error::io("cannot write to standard output", &e)),
        }
    }
}

/// For writers that take any `Write` (a page written to `-o -`): a closed reader is still
/// no failure.
impl Write for Stdout {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

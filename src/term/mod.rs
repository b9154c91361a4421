//! The terminal: what `wan` says on standard error, and its progress.

pub mod preview;
pub mod progress;
pub mod stdout;
pub mod text;
pub mod ui;

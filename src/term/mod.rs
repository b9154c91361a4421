//! The terminal: what `wan` says on standard error, and its progress.

pub mod progress;
pub mod ui;

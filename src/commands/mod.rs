//! One module per subcommand: each turns its arguments into settings and runs the engine.

pub mod balance;
pub mod completions;
pub mod config;
pub mod cost;
pub mod doctor;
pub mod emulator;
pub mod gallery;
pub mod generate;
pub mod history;
pub mod info;
pub mod models;
pub mod offline;
pub mod regen;
pub mod resume;
pub mod skill;
pub mod video;

//! The test cases: a module per command, then a module per promise that holds across them.

// The commands, one module each, named as on the command line (`models` holds the catalogue it lists).
mod balance;
mod completions;
mod config;
mod cost;
mod doctor;
mod edit;
mod emulator;
mod generate;
mod history;
mod info;
mod mcp;
mod models;
mod resume;
mod skill;
mod video;

// The promises that hold across the commands: what a run costs, how it fails and recovers, the
// key kept safe, the files and output it leaves, the route it takes, and how it scales.
mod billing;
mod errors;
mod faults;
mod key_safety;
mod output;
mod routes;
mod scale;

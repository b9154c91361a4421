//! The test cases, one module per area of the contract.

mod balance;
mod billing;
mod completions;
mod config;
mod cost;
mod doctor;
mod edit;
mod emulator;
mod errors;
mod faults;
mod generate;
mod history;
mod info;
mod key_safety;
mod mcp;
mod models;
mod output;
mod resume;
mod routes;
mod scale;
mod skill;
mod video;

//! The test cases, one module per area of the contract.

mod attacks;
mod bench;
mod blobs;
mod config;
mod doctor;
mod edit;
mod emulator;
mod errors;
mod faults;
mod first_hour;
mod generate;
mod hardening;
mod key_safety;
mod mcp;
mod models;
mod output;
mod pace;
mod resume;
mod routes;
mod scale;
mod scripting;
mod skill;
mod video;

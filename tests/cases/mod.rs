//! The test cases, one module per area of the contract.

mod attacks;
mod bench;
mod blobs;
mod catalogue;
mod config;
mod edit;
mod emulator;
mod errors;
mod first_hour;
mod generate;
mod hardening;
mod journal;
mod mcp;
mod output;
mod pace;
mod reliability;
mod routes;
mod safety;
mod scale;
mod scripting;
mod skill;
mod video;

//! The test cases, one module per area of the contract.

mod attacks;
mod bench;
mod edit;
mod emulator;
mod errors;
mod first_hour;
mod generate;
mod hardening;
mod output;
mod reliability;
mod routes;
mod safety;
mod scale;
mod scripting;

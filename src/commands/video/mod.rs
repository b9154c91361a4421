//! `wan video create`, `wait`, `status` and `list`.

pub mod create;
pub mod wait;

//! Black-box tests of the `wan` binary: one test binary, cases in `cases/`, helpers in `support/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod support;

//! How a run ended, as the contract's exit codes: the one decision every command's
//! result comes down to, made here and tested without processes.

use std::process::ExitCode;

use crate::error::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done: exit 0.
    Success,
    /// The run ended with a failure of this kind.
    Failed(Kind),
}

impl Outcome {
    /// A run that saved `saved` images and met `failures` (the failure of each prompt
    /// that did not get every image, in order): success when none failed; partial (7)
    /// when some images were saved; else the first failure's own kind.
    pub fn of_run(saved: u64, mut failures: impl Iterator<Item = Kind>) -> Self {
        match failures.next() {
            None => Self::Success,
            Some(_) if saved > 0 => Self::Failed(Kind::Partial),
            Some(first) => Self::Failed(first),
        }
    }

    pub fn exit_code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failed(kind) => kind.exit_code(),
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        ExitCode::from(outcome.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_with_no_failure_succeeds() {
        assert_eq!(Outcome::of_run(4, std::iter::empty()), Outcome::Success);
        assert_eq!(Outcome::Success.exit_code(), 0);
    }

    #[test]
    fn a_failure_after_some_images_is_partial() {
        assert_eq!(Outcome::of_run(3, [Kind::Service].into_iter()).exit_code(), 7);
        assert_eq!(Outcome::of_run(1, [Kind::Auth, Kind::Rejected].into_iter()).exit_code(), 7);
    }

    #[test]
    fn a_failure_with_nothing_saved_keeps_its_own_code() {
        assert_eq!(Outcome::of_run(0, [Kind::Auth].into_iter()).exit_code(), 3);
        assert_eq!(Outcome::of_run(0, [Kind::RateLimited, Kind::Auth].into_iter()).exit_code(), 5);
        // paid images none of which could be saved are partial too
        assert_eq!(Outcome::of_run(0, [Kind::Partial].into_iter()).exit_code(), 7);
    }
}

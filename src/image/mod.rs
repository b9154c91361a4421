//! The `generate` and `edit` engine: settings, the plan, the workers, saving, printing, the journal, resume.

pub mod dry_run;
pub mod limits;
pub mod open;
pub mod plan;
pub mod printer;
pub mod queue;
pub mod quote;
pub mod recorder;
pub mod report;
pub mod resume;
pub mod run;
pub mod save;
pub mod session;
pub mod settings;

//! Files in and out: fetching images, naming and writing outputs, formats, provenance, references, prompts.

pub mod digest;
pub mod fetch;
pub mod format;
pub mod open_files;
pub mod output;
pub mod prompts;
pub mod provenance;
pub mod reference;
pub mod video_format;

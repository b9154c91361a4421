//! Files in and out: fetching images, naming and writing outputs, formats, the label each
//! image carries (written as it streams, read back), C2PA, references and masks, prompts.

pub mod c2pa;
pub mod digest;
pub mod fetch;
pub mod format;
pub mod label;
pub mod mask;
pub mod open_files;
pub mod output;
pub mod prompts;
pub mod provenance;
pub mod reference;
pub mod stamp;
pub mod video_format;

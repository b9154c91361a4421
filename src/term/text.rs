//! Small helpers for the words `wan` prints.

/// `s` for a count that is not one: `1 image`, `2 images`.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

//! "Did you mean …?": the known name nearest to a mistyped one.

/// A name this long that starts a known one is that name with its end left off
/// (`gemini-3-pro-image` for `gemini-3-pro-image-preview`); a shorter one (`wan`, `gpt`)
/// starts too many to mean one.
const MIN_PREFIX: usize = 5;

/// The known name `name` most likely means: the shortest that starts with it (the end
/// left off), else the closest by edit distance, if close enough to be a typo of it (at
/// most a third of its length, and at least 2, apart); `name` itself counts.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name = name.to_ascii_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if name.chars().count() >= MIN_PREFIX
        && let Some(longer) = candidates
            .iter()
            .filter(|candidate| candidate.to_ascii_lowercase().starts_with(&name))
            .min_by_key(|candidate| candidate.len())
    {
        return Some(longer);
    }
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|candidate| (distance(&name, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODELS: [&str; 2] = ["wan2.7-image", "wan2.7-image-pro"];

    #[test]
    fn typos_find_the_model_meant() {
        assert_eq!(nearest("wan2.7-imag", MODELS), Some("wan2.7-image"));
        assert_eq!(nearest("wan-2.7-image", MODELS), Some("wan2.7-image"));
        assert_eq!(nearest("WAN2.7-IMAGE-PRO", MODELS), Some("wan2.7-image-pro"));
        assert_eq!(nearest("wan2.7-image", MODELS), Some("wan2.7-image"));
    }

    #[test]
    fn a_name_with_its_end_left_off_finds_the_model_it_starts() {
        let models = crate::catalogue::MODELS.iter().map(|m| m.name);
        assert_eq!(nearest("gemini-3-pro-image", models.clone()), Some("gemini-3-pro-image-preview"));
        assert_eq!(nearest("GPT-IMAGE", models.clone()), Some("gpt-image-2"));
        assert_eq!(nearest("wan2.7-image-p", models.clone()), Some("wan2.7-image-pro"));
        assert_eq!(nearest("wan2.7-imag", models.clone()), Some("wan2.7-image"));
        // too short to mean one model
        assert_eq!(nearest("gem", models), None);
    }

    #[test]
    fn unrelated_names_find_nothing() {
        assert_eq!(nearest("dall-e-3", MODELS), None);
        assert_eq!(nearest("x", MODELS), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
    }
}

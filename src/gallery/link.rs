//! Where the page finds each file: its path relative to the page's folder (`../` and all),
//! percent-encoded for an `src` or `href`, so the page and its images move together.

use std::path::{Component, Path, PathBuf};

/// `path` with `.` and `..` taken away as a browser takes them from a URL: by the letters,
/// not by following links on disk.
pub fn normalised(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` above the root is the root, as it is for a file URL.
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// `to` as a path from the folder `from`, both absolute: `a.png`, `out/a.png`, `../a.png`.
/// Where the two share no root (two drives), `to` itself.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let (from, to) = (normalised(from), normalised(to));
    let (mut from_parts, mut to_parts) = (from.components().peekable(), to.components().peekable());
    if from_parts.peek() != to_parts.peek() {
        return to;
    }
    while from_parts.peek().is_some() && from_parts.peek() == to_parts.peek() {
        from_parts.next();
        to_parts.next();
    }
    let mut out: PathBuf = from_parts.map(|_| Component::ParentDir).collect();
    out.extend(to_parts);
    out
}

/// A relative path as a URL path: each part percent-encoded (all but letters, digits and
/// `-._~`), joined by `/`. A `:` in a name is encoded too, so `a:b.png` is never taken
/// for a URL with a scheme, nor `#` and `?` for a fragment or a query.
pub fn url_path(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|part| match part {
            Component::ParentDir => "..".to_string(),
            Component::RootDir => String::new(),
            other => encode(&other.as_os_str().to_string_lossy()),
        })
        .collect();
    let joined = parts.join("/");
    // The root's empty part and the first name would join as `/name`; an absolute path
    // keeps its one leading slash.
    if path.has_root() && !joined.starts_with('/') { format!("/{joined}") } else { joined }
}

fn encode(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for byte in part.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_found_from_the_page_s_folder_up_and_down() {
        let r = |from: &str, to: &str| relative(Path::new(from), Path::new(to));
        assert_eq!(r("/w/out", "/w/out/a.png"), Path::new("a.png"));
        assert_eq!(r("/w", "/w/out/a.png"), Path::new("out/a.png"));
        assert_eq!(r("/w/pages/x", "/w/out/a.png"), Path::new("../../out/a.png"));
        assert_eq!(r("/", "/a.png"), Path::new("a.png"));
        assert_eq!(r("/w/./pages/../out", "/w/out/./a.png"), Path::new("a.png"));
        assert_eq!(r("/w/outer", "/w/out/a.png"), Path::new("../out/a.png"), "whole names compared, not letters");
    }

    #[test]
    fn dots_go_by_the_letters_and_never_above_the_root() {
        assert_eq!(normalised(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(normalised(Path::new("/../a")), Path::new("/a"));
        assert_eq!(normalised(Path::new("../a")), Path::new("../a"));
    }

    #[test]
    fn every_name_is_percent_encoded_and_nothing_reads_as_a_scheme_query_or_fragment() {
        assert_eq!(url_path(Path::new("../out/red panda-001.png")), "../out/red%20panda-001.png");
        assert_eq!(url_path(Path::new("a:b.png")), "a%3Ab.png");
        assert_eq!(url_path(Path::new("#1?x=&y\"<>.png")), "%231%3Fx%3D%26y%22%3C%3E.png");
        assert_eq!(url_path(Path::new("café-001.png")), "caf%C3%A9-001.png");
        assert_eq!(url_path(Path::new("100%.png")), "100%25.png");
        assert_eq!(url_path(Path::new("/srv/a b.png")), "/srv/a%20b.png");
    }
}

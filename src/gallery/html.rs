//! The page's HTML: text made safe to set in it, and its fixed parts (the head with its
//! style and its policy, no script; the end).

use crate::error::clean;

/// What the page's head says it was made by: `wan gallery` overwrites a file that says
/// so within its first bytes ([`is_a_gallery`]), and nothing else.
const GENERATOR: &str = r#"<meta name="generator" content="wan gallery">"#;

/// How far into a file [`GENERATOR`] is looked for: it is in the head's first lines.
pub const GENERATOR_WITHIN: usize = 512;

/// Text from the journal (a prompt, a file name, a model, a server's URL or message) set
/// in the page: the key redacted and control characters made spaces (as anything a
/// server said is before it is shown), then `&<>"'` escaped, so that it is text in an
/// element or an attribute and never markup.
pub fn text(raw: &str) -> String {
    escape(&clean(raw))
}

/// `&<>"'` as entities.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `chars` characters, with `…` where it was cut.
pub fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// Whether `start` (a file's first [`GENERATOR_WITHIN`] bytes) is a page `wan gallery` wrote.
pub fn is_a_gallery(start: &[u8]) -> bool {
    start.windows(GENERATOR.len()).any(|w| w == GENERATOR.as_bytes())
}

/// The page up to its body's content: the title is escaped text.
pub fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{GENERATOR}\n{POLICY}\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
    )
}

pub const TAIL: &str = "</body>\n</html>\n";

/// Nothing runs and nothing is fetched from the network: images and clips from files
/// beside the page (or from the server that serves it), the style from the page itself.
/// Even a prompt that escaped its escaping could load nothing and run nothing.
const POLICY: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
    img-src 'self' file:; media-src 'self' file:; style-src 'unsafe-inline'\">";

/// Thumbnails in a grid of columns 160 to 240 px wide, whatever the images' sizes; the
/// page follows the system's light or dark scheme.
const STYLE: &str = "\
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 1.5rem; line-height: 1.4; }
h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.run dt { opacity: .65; }
dl.run dd { margin: 0; overflow-wrap: anywhere; }
.offline { background: #fd3; color: #000; padding: 0 .4rem; border-radius: .2rem; }
section.prompt { margin-top: 1.5rem; border-top: 1px solid #8886; padding-top: .5rem; }
h2 { font-size: 1.05rem; font-weight: 600; white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; }
h2 .number { opacity: .6; font-weight: normal; margin-right: .4rem; }
h3 { font-size: .9rem; font-family: ui-monospace, monospace; font-weight: normal; margin: .6rem 0 .3rem; }
h3 .sum { opacity: .65; margin-left: .6rem; font-family: system-ui, sans-serif; }
.sheet { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 240px)); gap: .8rem; }
figure { margin: 0; }
figure img, figure video { display: block; width: 100%; height: auto; max-height: 320px; object-fit: contain; background: #8882; }
.hole { aspect-ratio: 1; display: flex; align-items: center; justify-content: center; border: 2px dashed #c33; color: #c33; font-weight: 600; }
figcaption { font-size: .8rem; overflow-wrap: anywhere; margin-top: .2rem; }
figcaption .cost { float: right; margin-left: .4rem; }
figcaption .how, figcaption .why { display: block; opacity: .7; }
p.note { color: #c33; margin: .3rem 0; overflow-wrap: anywhere; }
footer { margin-top: 2rem; border-top: 1px solid #8886; padding-top: .5rem; font-size: .9rem; }
footer table { border-collapse: collapse; }
footer td, footer th { padding: .1rem .8rem .1rem 0; text-align: left; }
footer td.money { text-align: right; }
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_text_is_text_in_the_page_never_markup() {
        assert_eq!(text("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(text("a \"b\" & 'c'"), "a &quot;b&quot; &amp; &#39;c&#39;");
        assert_eq!(text("red\x1b[2Jpanda\n"), "red [2Jpanda", "control characters are spaces");
    }

    #[test]
    fn a_page_is_known_by_its_head_and_has_no_script() {
        let page = head("t");
        assert!(is_a_gallery(&page.as_bytes()[..GENERATOR_WITHIN.min(page.len())]));
        assert!(!is_a_gallery(b"<!DOCTYPE html><html><head><title>mine</title>"));
        assert!(!page.to_lowercase().contains("<script"));
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn text_is_cut_at_a_character_not_a_byte() {
        assert_eq!(cut("héllo", 2), "hé…");
        assert_eq!(cut("hé", 2), "hé");
    }
}

//! A prompt template: `{a|b|c}` choices and `{name}` variables, whose combinations are
//! numbered (the leftmost choice varying slowest) and each made from its number alone.

use std::sync::Arc;

use crate::error::Error;
use crate::shard::Shard;

use super::vars::{Vars, is_name};
use super::{MAX_PROMPT_BYTES, has_text};

/// What a template is made of: text as written (its `{{` and `}}` made single), or a
/// choice of one of several texts (the alternatives of `{a|b}`, or a variable's values).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Choice(Arc<[String]>),
}

/// A parsed template. Its prompts are never held: prompt `k` is worked out from `k` when
/// it is read (`nth`), so a template of a million combinations costs what one does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
    /// How many prompts: the product of the choices' sizes.
    count: u64,
}

impl Template {
    /// Reads `text` as a template, `{NAME}` taking the values of `vars`. A brace never
    /// closed or closing nothing, braces inside braces, an empty alternative, an unknown
    /// variable, a product of choices past counting, a prompt over the length a prompt may
    /// have or with no text: a [`Fault`] naming the column.
    pub fn parse(text: &str, vars: &Vars) -> Result<Self, Fault> {
        let chars: Vec<char> = text.chars().collect();
        let mut pieces = Vec::new();
        let mut written = String::new();
        let mut count: u64 = 1;
        let mut at = 0;
        while at < chars.len() {
            match (chars[at], chars.get(at + 1)) {
                ('{', Some('{')) | ('}', Some('}')) => {
                    written.push(chars[at]);
                    at += 2;
                }
                ('}', _) => return Err(Fault::at(at, What::ClosesNothing)),
                ('{', _) => {
                    let close = group_end(&chars, at)?;
                    let inside: String = chars[at + 1..close].iter().collect();
                    let choice = choice(&inside, at, vars)?;
                    count = count.checked_mul(choice.len() as u64).ok_or(Fault::at(at, What::TooMany))?;
                    if !written.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut written)));
                    }
                    pieces.push(Piece::Choice(choice));
                    at = close + 1;
                }
                (c, _) => {
                    written.push(c);
                    at += 1;
                }
            }
        }
        if !written.is_empty() {
            pieces.push(Piece::Text(written));
        }
        let template = Self { pieces, count };
        template.check_every_prompt()?;
        Ok(template)
    }

    /// How many prompts the template makes.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether it holds a choice, so that its prompts are more than its text made plain.
    pub fn varies(&self) -> bool {
        self.pieces.iter().any(|piece| matches!(piece, Piece::Choice(_)))
    }

    /// Prompt `k` (from 0, below [`Template::count`]): `k` read as a number whose digits
    /// are the choices' picks, the last choice the lowest digit, so that the leftmost
    /// choice varies slowest (`{a|b} {x|y}`: `a x`, `a y`, `b x`, `b y`).
    pub fn nth(&self, mut k: u64) -> String {
        debug_assert!(k < self.count, "prompt {k} of {}", self.count);
        let mut picks = vec![0; self.pieces.len()];
        for (pick, piece) in picks.iter_mut().zip(&self.pieces).rev() {
            if let Piece::Choice(alternatives) = piece {
                let size = alternatives.len() as u64;
                *pick = (k % size) as usize;
                k /= size;
            }
        }
        let mut prompt = String::new();
        for (pick, piece) in picks.into_iter().zip(&self.pieces) {
            prompt.push_str(match piece {
                Piece::Text(text) => text,
                Piece::Choice(alternatives) => &alternatives[pick],
            });
        }
        prompt
    }

    /// Each prompt must be one that could be sent: short enough, and with some text.
    /// Both are decided from the pieces, without making a prompt.
    fn check_every_prompt(&self) -> Result<(), Fault> {
        let longest = self.pieces.iter().fold(0usize, |sum, piece| {
            sum.saturating_add(match piece {
                Piece::Text(text) => text.len(),
                Piece::Choice(alternatives) => alternatives.iter().map(String::len).max().unwrap_or(0),
            })
        });
        if longest > MAX_PROMPT_BYTES {
            return Err(Fault { column: None, what: What::TooLong(longest) });
        }
        // A prompt with no text is one whose every piece has none: possible when no text
        // piece has any and every choice has an alternative without.
        let blank = self.pieces.iter().all(|piece| match piece {
            Piece::Text(text) => !has_text(text),
            Piece::Choice(alternatives) => alternatives.iter().any(|a| !has_text(a)),
        });
        if blank {
            return Err(Fault { column: None, what: What::Blank });
        }
        Ok(())
    }
}

/// Where the group opened at `open` closes: its first `}`.
fn group_end(chars: &[char], open: usize) -> Result<usize, Fault> {
    for (at, c) in chars.iter().enumerate().skip(open + 1) {
        match c {
            '}' => return Ok(at),
            '{' => return Err(Fault::at(at, What::Nested { open: open + 1 })),
            _ => {}
        }
    }
    Err(Fault::at(open, What::NeverClosed))
}

/// The choice a group (`inside` its braces, opened at `open`) stands for.
fn choice(inside: &str, open: usize, vars: &Vars) -> Result<Arc<[String]>, Fault> {
    let group = || format!("{{{inside}}}");
    if inside.contains('|') {
        let alternatives: Vec<String> = inside.split('|').map(String::from).collect();
        if alternatives.iter().any(String::is_empty) {
            return Err(Fault::at(open, What::EmptyAlternative(group())));
        }
        return Ok(alternatives.into());
    }
    if inside.is_empty() {
        return Err(Fault::at(open, What::Empty));
    }
    if !is_name(inside) {
        return Err(Fault::at(open, What::NotAChoice(group())));
    }
    vars.values(inside).ok_or_else(|| Fault::at(open, What::UnknownVariable(inside.to_string())))
}

/// The prompts of one template from the `first` number in its batch (from 1), only those
/// `shard` keeps: each made as it is read.
#[derive(Debug)]
pub struct Expansion {
    template: Arc<Template>,
    next: u64,
    step: u64,
}

impl Expansion {
    pub fn new(template: Arc<Template>, first: u64, shard: Option<Shard>) -> Self {
        let (next, step) = shard.map_or((0, 1), |shard| (shard.offset_from(first), shard.n));
        Self { template, next, step }
    }
}

impl Iterator for Expansion {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let k = self.next;
        if k >= self.template.count {
            return None;
        }
        self.next = k.saturating_add(self.step);
        Some(self.template.nth(k))
    }
}

/// What is wrong with a template, and where: the character (from 0) it is about.
#[derive(Debug, PartialEq, Eq)]
pub struct Fault {
    column: Option<usize>,
    what: What,
}

#[derive(Debug, PartialEq, Eq)]
enum What {
    NeverClosed,
    ClosesNothing,
    /// A `{` inside a group, opened at the column `open` (from 1).
    Nested {
        open: usize,
    },
    Empty,
    EmptyAlternative(String),
    NotAChoice(String),
    UnknownVariable(String),
    TooMany,
    TooLong(usize),
    Blank,
}

/// Said with every mistake of writing, which braces meant as text also make.
const ESCAPES: &str = "{{ and }} are literal braces; --no-template sends the prompt as written";

impl Fault {
    fn at(char_index: usize, what: What) -> Self {
        Self { column: Some(char_index), what }
    }

    /// The usage error for `template`: `place` says where it was (`line 3 of p.txt: `),
    /// `indent` how many characters stand before it on its line, so that the column is the
    /// one a reader counts there (from 1, in characters).
    pub fn error(self, template: &str, place: &str, indent: usize) -> Error {
        let column = self.column.map_or(0, |c| c + 1 + indent);
        let (what, hint) = match self.what {
            What::NeverClosed => (format!("the template's brace at column {column} is never closed"), ESCAPES.into()),
            What::ClosesNothing => (format!("the template's }} at column {column} closes no brace"), ESCAPES.into()),
            What::Nested { open } => (
                format!(
                    "the template's brace at column {column} is inside the braces opened at column {}: choices do not nest",
                    open + indent
                ),
                ESCAPES.into(),
            ),
            What::Empty => (format!("the template's braces at column {column} are empty"), ESCAPES.into()),
            What::EmptyAlternative(group) => (
                format!("the template's braces at column {column} hold an empty alternative: {group}"),
                format!("give every alternative some text; {ESCAPES}"),
            ),
            What::NotAChoice(group) => (
                format!(
                    "the template's braces at column {column} hold neither a choice of two or more ({{a|b}}) nor a variable's name: {group}"
                ),
                ESCAPES.into(),
            ),
            What::UnknownVariable(name) => (
                format!(
                    "the template's {{{name}}} at column {column} names no variable: no --var {name}=FILE was given"
                ),
                format!("--var {name}=FILE gives it the lines of FILE; {ESCAPES}"),
            ),
            What::TooMany => (
                format!(
                    "the template makes too many prompts to count: its choices up to column {column} make more than {}",
                    u64::MAX
                ),
                "split it into several templates".into(),
            ),
            What::TooLong(bytes) => (
                format!(
                    "the template's longest prompt would be {} KiB, longer than a prompt can be ({} KiB)",
                    bytes.div_ceil(1024),
                    MAX_PROMPT_BYTES / 1024
                ),
                "shorten the longest alternatives or values".into(),
            ),
            What::Blank => {
                ("some of the template's prompts would hold no text".into(), "give every alternative some text".into())
            }
        };
        Error::usage(format!("{place}{what}: {}", excerpt(template, self.column.unwrap_or(0)))).with_hint(hint)
    }
}

/// The template quoted for a message: whole when short, else the stretch around `at`.
fn excerpt(template: &str, at: usize) -> String {
    const SHOWN: usize = 80;
    let length = template.chars().count();
    if length <= SHOWN {
        return format!("{template:?}");
    }
    let start = at.saturating_sub(SHOWN / 2).min(length - SHOWN);
    let shown: String = template.chars().skip(start).take(SHOWN).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + SHOWN < length { "…" } else { "" };
    format!("{before}{shown:?}{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Template, Fault> {
        Template::parse(text, &Vars::default())
    }

    fn all(text: &str) -> Vec<String> {
        let template = parse(text).unwrap();
        (0..template.count()).map(|k| template.nth(k)).collect()
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().error(text, "", 0).to_string()
    }

    #[test]
    fn every_combination_the_leftmost_choice_varying_slowest() {
        let prompts = all("a {red|blue|golden} {fox|owl} in {snow|rain}");
        assert_eq!(prompts.len(), 12);
        assert_eq!(
            prompts,
            [
                "a red fox in snow",
                "a red fox in rain",
                "a red owl in snow",
                "a red owl in rain",
                "a blue fox in snow",
                "a blue fox in rain",
                "a blue owl in snow",
                "a blue owl in rain",
                "a golden fox in snow",
                "a golden fox in rain",
                "a golden owl in snow",
                "a golden owl in rain",
            ]
        );
        assert_eq!(all("{x|y}{1|2}"), ["x1", "x2", "y1", "y2"]);
        assert_eq!(all("{ spaced | as written }!"), [" spaced !", " as written !"]);
    }

    #[test]
    fn doubled_braces_are_literal_and_a_plain_prompt_is_one_prompt() {
        let json = parse(r#"a label saying {{"a": 1}} in {red|blue}"#).unwrap();
        assert_eq!(json.count(), 2);
        assert_eq!(json.nth(1), r#"a label saying {"a": 1} in blue"#);
        let plain = parse("a red panda | a bamboo grove").unwrap();
        assert!(!plain.varies());
        assert_eq!((plain.count(), plain.nth(0)), (1, "a red panda | a bamboo grove".to_string()));
        assert_eq!(all("{{}}{{{a|b}}}"), ["{}{a}", "{}{b}"]);
    }

    #[test]
    fn prompt_k_is_made_without_the_ones_before_it() {
        // Six choices of ten digits: a million prompts, of which only the asked one is made.
        let template = parse("n{0|1|2|3|4|5|6|7|8|9}{0|1|2|3|4|5|6|7|8|9}{0|1|2|3|4|5|6|7|8|9}{0|1|2|3|4|5|6|7|8|9}{0|1|2|3|4|5|6|7|8|9}{0|1|2|3|4|5|6|7|8|9}").unwrap();
        assert_eq!(template.count(), 1_000_000);
        let started = std::time::Instant::now();
        assert_eq!(template.nth(999_998), "n999998", "the 999,999th");
        assert_eq!(template.nth(0), "n000000");
        assert_eq!(template.nth(123_456), "n123456");
        assert!(started.elapsed() < std::time::Duration::from_millis(50), "{:?}", started.elapsed());
        let mixed = parse("{a|b|c}{x|y}{1|2|3|4}").unwrap();
        // 17 = 2×(2×4) + 0×4 + 1: c, x, 2
        assert_eq!(mixed.nth(17), "cx2");
    }

    #[test]
    fn a_product_past_counting_is_refused_at_the_choice_that_overflows() {
        let two = "{a|b}".repeat(63);
        assert_eq!(parse(&two).unwrap().count(), 1 << 63);
        let text = format!("{two}{{a|b}}");
        let error = message(&text);
        assert!(
            error.starts_with("the template makes too many prompts to count: its choices up to column 316"),
            "{error}"
        );
    }

    #[test]
    fn errors_name_the_column_in_characters_and_quote_the_template() {
        assert_eq!(
            message("a {red|blue fox"),
            r#"the template's brace at column 3 is never closed: "a {red|blue fox""#
        );
        assert_eq!(
            message("café {red|blue} fox}"),
            r#"the template's } at column 20 closes no brace: "café {red|blue} fox}""#
        );
        assert_eq!(
            message("{a|{b|c}}"),
            r#"the template's brace at column 4 is inside the braces opened at column 1: choices do not nest: "{a|{b|c}}""#
        );
        assert_eq!(
            message("x {a||b}"),
            r#"the template's braces at column 3 hold an empty alternative: {a||b}: "x {a||b}""#
        );
        assert_eq!(message("x {a|}"), r#"the template's braces at column 3 hold an empty alternative: {a|}: "x {a|}""#);
        assert_eq!(message("x {} y"), r#"the template's braces at column 3 are empty: "x {} y""#);
        assert_eq!(
            message("{city} at night"),
            r#"the template's {city} at column 1 names no variable: no --var city=FILE was given: "{city} at night""#
        );
        assert!(
            message("{a red fox}")
                .contains("neither a choice of two or more ({a|b}) nor a variable's name: {a red fox}")
        );
        let error = parse("a {b").unwrap_err().error("a {b", "line 3 of p.txt: ", 2);
        assert_eq!(error.to_string(), r#"line 3 of p.txt: the template's brace at column 5 is never closed: "a {b""#);
        assert!(error.hint.unwrap().contains("--no-template"));
        assert_eq!(error.kind, crate::error::Kind::Usage);
    }

    #[test]
    fn a_long_template_is_quoted_around_the_column() {
        let text = format!("{}{{open {}", "x".repeat(100), "y".repeat(100));
        let error = message(&text);
        assert!(error.contains("column 101 is never closed: …\""), "{error}");
        assert!(error.contains(&format!("{}{{open {}", "x".repeat(40), "y".repeat(34))), "{error}");
        assert!(error.ends_with("\"…"), "{error}");
    }

    #[test]
    fn every_prompt_must_be_one_that_can_be_sent() {
        let long = format!("{{a|{}}}", "x".repeat(MAX_PROMPT_BYTES + 1));
        assert!(message(&long).starts_with("the template's longest prompt would be 65 KiB"), "{}", message(&long));
        let fits = format!("{{a|{}}}", "x".repeat(MAX_PROMPT_BYTES - 2));
        assert_eq!(parse(&fits).unwrap().count(), 2);
        assert!(message("{ |a}{ |b}").starts_with("some of the template's prompts would hold no text"));
        assert_eq!(all("{ |a} x"), ["  x", "a x"]);
    }

    #[test]
    fn variables_take_the_values_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cities.txt");
        std::fs::write(&path, "Paris\nKyoto\n").unwrap();
        let vars = Vars::load(&[format!("city={}", path.display())]).unwrap();
        assert!(vars.check_all_used().is_err());
        let template = Template::parse("{day|night} in {city}", &vars).unwrap();
        let prompts: Vec<String> = (0..template.count()).map(|k| template.nth(k)).collect();
        assert_eq!(prompts, ["day in Paris", "day in Kyoto", "night in Paris", "night in Kyoto"]);
        vars.check_all_used().unwrap();
    }

    #[test]
    fn an_expansion_takes_its_shard_s_prompts_by_their_numbers_in_the_batch() {
        let template = Arc::new(parse("{a|b|c|d|e}").unwrap());
        let all: Vec<String> = Expansion::new(Arc::clone(&template), 1, None).collect();
        assert_eq!(all, ["a", "b", "c", "d", "e"]);
        // The template's prompts are numbers 4 to 8 of their batch; shard 2/3 keeps 5 and 8.
        let shard = Some(Shard { k: 2, n: 3 });
        assert_eq!(Expansion::new(Arc::clone(&template), 4, shard).collect::<Vec<_>>(), ["b", "e"]);
        assert_eq!(Expansion::new(template, 4, Some(Shard { k: 3, n: 3 })).collect::<Vec<_>>(), ["c"]);
    }
}

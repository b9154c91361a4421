//! Small helpers for the words `wan` prints.

/// `s` for a count that is not one: `1 image`, `2 images`.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The pronoun for a count: `it` for one, `them` for others.
pub fn them(n: u64) -> &'static str {
    if n == 1 { "it" } else { "them" }
}

/// A count with thousands separated: `1,999`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_separated() {
        assert_eq!(super::thousands(1_999), "1,999");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(0), "0");
    }
}

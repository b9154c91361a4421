//! Money in whole micro-dollars, so sums are exact: read from text, shown as dollars.

pub type Micros = u64;

/// Parses the `x-aisa-price-usd` header, such as `0.12`, to the nearest micro-dollar.
///
/// The header comes from the network, so any text must give an answer without a panic
/// or a wrap: plain decimals are read exactly (a float would lose digits past 2^53
/// micro-dollars), an exponent form (`1e300`) goes through `f64`, and an amount too
/// large for a `u64` is saturated at the top, so an absurd price shows as absurd.
/// `inf`, `NaN` and negative amounts are no price at all; `-0` is zero.
pub fn parse_usd(text: &str) -> Option<Micros> {
    let text = text.trim();
    let plain = text.strip_prefix('+').unwrap_or(text);
    match parse_decimal(plain, Rounding::Nearest) {
        Ok(micros) => Some(micros),
        Err(Decimal::TooLarge) => Some(Micros::MAX),
        Err(Decimal::NotPlain) => {
            let value: f64 = text.parse().ok()?;
            // `>= 0.0` lets `-0` through as zero; `as` saturates (an infinite product
            // too), so `1e300` gives the top.
            (value.is_finite() && value >= 0.0).then(|| (value * 1_000_000.0).round() as Micros)
        }
    }
}

/// Parses a `--max-cost` limit such as `0.12` or `$5`, exactly: digits with an optional
/// `.` (a leading `$` allowed), rounded DOWN to the micro-dollar. Rounding a float to
/// the nearest would let `0.0299999` admit a $0.030 run. Negatives, exponents, anything
/// else and amounts past `u64` micro-dollars are refused (`None`).
pub fn parse_limit_usd(text: &str) -> Option<Micros> {
    let text = text.trim();
    let text = text.strip_prefix('$').unwrap_or(text).trim_start();
    parse_decimal(text, Rounding::Down).ok()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rounding {
    Down,
    /// Half a micro-dollar and up rounds up.
    Nearest,
}

#[derive(Debug, PartialEq, Eq)]
enum Decimal {
    /// Not `DIGITS[.DIGITS]` (or `DIGITS.`, `.DIGITS`).
    NotPlain,
    /// Well formed, but more micro-dollars than a `u64` holds.
    TooLarge,
}

/// `DIGITS[.DIGITS]` in dollars to micro-dollars, with integer arithmetic only.
fn parse_decimal(text: &str, rounding: Rounding) -> Result<Micros, Decimal> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return Err(Decimal::NotPlain);
    }
    let mut micros: Micros = 0;
    for digit in whole.bytes() {
        micros =
            micros.checked_mul(10).and_then(|m| m.checked_add(Micros::from(digit - b'0'))).ok_or(Decimal::TooLarge)?;
    }
    micros = micros.checked_mul(1_000_000).ok_or(Decimal::TooLarge)?;
    let mut fraction_micros: Micros = 0;
    let mut scale = 100_000;
    for digit in fraction.bytes().take(6) {
        fraction_micros += Micros::from(digit - b'0') * scale;
        scale /= 10;
    }
    micros = micros.checked_add(fraction_micros).ok_or(Decimal::TooLarge)?;
    let round_up = rounding == Rounding::Nearest && fraction.as_bytes().get(6).is_some_and(|&d| d >= b'5');
    if round_up {
        micros = micros.checked_add(1).ok_or(Decimal::TooLarge)?;
    }
    Ok(micros)
}

pub fn to_usd(micros: Micros) -> f64 {
    micros as f64 / 1_000_000.0
}

/// `$0.030`: three decimals at least, more only where the amount needs them.
pub fn format_usd(micros: Micros) -> String {
    let whole = micros / 1_000_000;
    let fraction = format!("{:06}", micros % 1_000_000);
    let trimmed = fraction.trim_end_matches('0');
    let shown = if trimmed.len() < 3 { &fraction[..3] } else { trimmed };
    format!("${whole}.{shown}")
}

/// `0.03`, `1.2345`: an amount as a header takes it, a plain decimal of US dollars.
pub fn decimal_usd(micros: Micros) -> String {
    format_usd(micros).trim_start_matches('$').trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `count` images at `price` each, saturated at the top rather than wrapped.
pub fn cost_of(price: Micros, count: u64) -> Micros {
    price.saturating_mul(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dollars_with_three_decimals_at_least() {
        assert_eq!(format_usd(30_000), "$0.030");
        assert_eq!(format_usd(120_000), "$0.120");
        assert_eq!(format_usd(1_234_500), "$1.2345");
        assert_eq!(format_usd(0), "$0.000");
    }

    #[test]
    fn parses_decimal_prices() {
        assert_eq!(parse_usd(" 0.075 "), Some(75_000));
        assert_eq!(parse_usd("-1"), None);
        assert_eq!(parse_usd("free"), None);
        assert_eq!(parse_usd("0.0300005"), Some(30_001), "to the nearest micro-dollar");
        assert_eq!(parse_usd("0.0300004"), Some(30_000));
        assert_eq!(parse_usd("3e-2"), Some(30_000));
    }

    #[test]
    fn odd_header_prices_neither_panic_nor_wrap() {
        // a float would read this as 9223372036854775808
        assert_eq!(parse_usd("9223372036854.775807"), Some(9_223_372_036_854_775_807));
        for huge in ["1e300", "99999999999999999999999999", "18446744073709.551616"] {
            assert_eq!(parse_usd(huge), Some(Micros::MAX), "{huge}");
        }
        assert_eq!(parse_usd("18446744073709.551615"), Some(Micros::MAX));
        for none in ["inf", "-inf", "NaN", "1e400", "", ".", "-", "1.2.3", "0x10", "-0.5"] {
            assert_eq!(parse_usd(none), None, "{none}");
        }
        assert_eq!(parse_usd("-0"), Some(0));
    }

    #[test]
    fn limits_are_parsed_exactly_and_rounded_down() {
        let price = 30_000;
        // f64 rounding made this 30000 and let a $0.030 image through
        let under = parse_limit_usd("0.0299999").unwrap();
        assert_eq!(under, 29_999);
        assert!(cost_of(price, 1) > under, "0.0299999 refuses one $0.030 image");
        assert!(cost_of(price, 1) <= parse_limit_usd("0.03").unwrap(), "0.03 allows it");
        assert_eq!(parse_limit_usd("0.0300009"), Some(30_000));
        assert_eq!(parse_limit_usd(" $5 "), Some(5_000_000));
        assert_eq!(parse_limit_usd("$ 1.5"), Some(1_500_000));
        assert_eq!(parse_limit_usd(".5"), Some(500_000));
        assert_eq!(parse_limit_usd("2."), Some(2_000_000));
        assert_eq!(parse_limit_usd("18446744073709.551615"), Some(Micros::MAX));
        for bad in
            ["", "$", ".", "-1", "-0", "+1", "1e2", "inf", "NaN", "lots", "1.2.3", "1,5", "18446744073709.551616"]
        {
            assert_eq!(parse_limit_usd(bad), None, "{bad:?}");
        }
    }
}

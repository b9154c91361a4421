//! The cost arithmetic, in whole micro-dollars so sums are exact; the prices are the catalogue's.

use crate::catalogue::{self, Price};

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

/// `count` images at `price` each, saturated at the top rather than wrapped.
pub fn cost_of(price: Micros, count: u64) -> Micros {
    price.saturating_mul(count)
}

/// What a run (or one prompt of it) costs: counted from the images (or, for a model
/// priced per request, the answered requests) the service returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bill {
    pub price: Price,
    /// Images the service returned, and so billed.
    pub count: u64,
    /// Requests answered with images.
    pub answers: u64,
    priced_answers: u64,
    reported_sum: Micros,
}

impl Bill {
    pub fn new(model: &str) -> Self {
        Self { price: catalogue::profile(model).price, count: 0, answers: 0, priced_answers: 0, reported_sum: 0 }
    }

    /// What a plan of `requests` requests for `images` images would cost at list price.
    pub fn estimate(model: &str, images: u64, requests: u64) -> Self {
        Self { count: images, answers: requests, ..Self::new(model) }
    }

    /// Adds one answer's images and the price the service reported for it, if any.
    ///
    /// Every sum saturates: the reported price is the service's text, and a hostile or
    /// broken one (`9223372036854.775807` twice) must not wrap to a small figure.
    pub fn add_answer(&mut self, images: u64, reported: Option<Micros>) {
        self.count = self.count.saturating_add(images);
        self.answers = self.answers.saturating_add(1);
        if let Some(price) = reported {
            self.priced_answers = self.priced_answers.saturating_add(1);
            self.reported_sum = self.reported_sum.saturating_add(price);
        }
    }

    pub fn absorb(&mut self, other: &Bill) {
        self.count = self.count.saturating_add(other.count);
        self.answers = self.answers.saturating_add(other.answers);
        self.priced_answers = self.priced_answers.saturating_add(other.priced_answers);
        self.reported_sum = self.reported_sum.saturating_add(other.reported_sum);
    }

    /// The service's own figure, when every answer carried one.
    pub fn reported(&self) -> Option<Micros> {
        (self.answers > 0 && self.priced_answers == self.answers).then_some(self.reported_sum)
    }

    /// What the catalogue's list price makes of it: per image or per request.
    pub fn listed(&self) -> Option<Micros> {
        match self.price {
            Price::PerImage(price) => Some(cost_of(price, self.count)),
            Price::PerRequest(price) => Some(cost_of(price, self.answers)),
            Price::ByTokens | Price::Unknown => None,
        }
    }

    /// The total: the service's own figure where it gave one, else the list price's.
    pub fn total(&self) -> Option<Micros> {
        self.reported().or_else(|| self.listed())
    }

    /// How the list price makes the total: `4 × $0.030`, `2 requests × $0.035`.
    pub fn formula(&self) -> Option<String> {
        match self.price {
            Price::PerImage(price) => Some(format!("{} × {}", self.count, format_usd(price))),
            Price::PerRequest(price) => Some(format!(
                "{} request{} × {}",
                self.answers,
                crate::term::text::plural(self.answers),
                format_usd(price)
            )),
            Price::ByTokens | Price::Unknown => None,
        }
    }

    /// `4 × $0.030 = $0.120`, or the service's figure, or why the cost is unknown.
    pub fn describe(&self) -> String {
        match (self.reported(), self.formula(), self.listed()) {
            (Some(total), ..) => format!("{} (as reported by the service)", format_usd(total)),
            (None, Some(formula), Some(total)) => format!("{formula} = {}", format_usd(total)),
            _ if self.price == Price::ByTokens => "cost unknown (billed by tokens)".to_string(),
            _ => format!("{} × unknown price (cost unknown)", self.count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_come_from_the_catalogue() {
        assert_eq!(Bill::new("wan2.7-image").price, Price::PerImage(30_000));
        assert_eq!(Bill::new("wan2.7-image-pro").price, Price::PerImage(75_000));
        assert_eq!(Bill::new("something-else").price, Price::Unknown);
    }

    #[test]
    fn a_price_per_request_counts_requests_not_images() {
        let mut bill = Bill::new("seedream-5-0-260128");
        bill.add_answer(1, None);
        bill.add_answer(1, None);
        assert_eq!(bill.total(), Some(70_000));
        assert_eq!(bill.describe(), "2 requests × $0.035 = $0.070");
        // a request that returned more images than asked still costs one request
        bill.add_answer(3, None);
        assert_eq!(bill.describe(), "3 requests × $0.035 = $0.105");
        let mut one = Bill::new("seedream-5-0-260128");
        one.add_answer(1, None);
        assert_eq!(one.describe(), "1 request × $0.035 = $0.035");
        let per_image = Bill::estimate("seedream-4-5-251128", 3, 3);
        assert_eq!(per_image.describe(), "3 × $0.040 = $0.120");
    }

    #[test]
    fn a_model_billed_by_tokens_says_so() {
        let mut bill = Bill::new("gpt-image-2.5-flare");
        bill.add_answer(2, None);
        assert_eq!(bill.total(), None);
        assert_eq!(bill.describe(), "cost unknown (billed by tokens)");
        bill.add_answer(1, parse_usd("0.2"));
        assert_eq!(bill.total(), None, "not every answer was priced");
        let mut reported = Bill::new("gpt-image-2.5-flare");
        reported.add_answer(2, parse_usd("0.2"));
        assert_eq!(reported.describe(), "$0.200 (as reported by the service)");
    }

    #[test]
    fn formats_dollars_with_three_decimals_at_least() {
        assert_eq!(format_usd(30_000), "$0.030");
        assert_eq!(format_usd(120_000), "$0.120");
        assert_eq!(format_usd(1_234_500), "$1.2345");
        assert_eq!(format_usd(0), "$0.000");
    }

    #[test]
    fn describes_count_times_price() {
        let mut bill = Bill::new("wan2.7-image");
        bill.add_answer(4, None);
        assert_eq!(bill.describe(), "4 × $0.030 = $0.120");
        assert_eq!(bill.total(), Some(120_000));
    }

    #[test]
    fn an_unknown_model_has_an_unknown_cost() {
        let mut bill = Bill::new("my-model");
        bill.add_answer(2, None);
        assert_eq!(bill.total(), None);
        assert_eq!(bill.describe(), "2 × unknown price (cost unknown)");
    }

    #[test]
    fn reported_prices_are_used_only_when_every_answer_has_one() {
        let mut bill = Bill::new("wan2.7-image");
        bill.add_answer(4, parse_usd("0.12"));
        bill.add_answer(1, parse_usd("0.03"));
        assert_eq!(bill.total(), Some(150_000));
        assert_eq!(bill.describe(), "$0.150 (as reported by the service)");
        bill.add_answer(1, None);
        assert_eq!(bill.reported(), None);
        assert_eq!(bill.total(), Some(180_000));
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
    fn hostile_reported_prices_saturate_instead_of_wrapping() {
        let mut bill = Bill::new("wan2.7-image");
        let hostile = parse_usd("9223372036854.775807");
        bill.add_answer(1, hostile);
        bill.add_answer(1, hostile);
        // read as a float, each was 2^63 and the two wrapped to $0.000
        assert_eq!(bill.total(), Some(Micros::MAX - 1));
        bill.add_answer(1, hostile);
        assert_eq!(bill.total(), Some(Micros::MAX));
        assert_eq!(bill.describe(), "$18446744073709.551615 (as reported by the service)");
        let mut run = Bill::new("wan2.7-image");
        run.absorb(&bill);
        run.absorb(&bill);
        assert_eq!(run.total(), Some(Micros::MAX));
    }

    #[test]
    fn count_times_price_saturates() {
        let mut bill = Bill::new("wan2.7-image-pro");
        bill.add_answer(u64::MAX, None);
        bill.add_answer(5, None);
        assert_eq!(bill.count, u64::MAX);
        assert_eq!(bill.total(), Some(Micros::MAX));
        assert!(bill.describe().ends_with("= $18446744073709.551615"), "{}", bill.describe());
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

//! The price table and the cost arithmetic, in whole micro-dollars so sums are exact.

/// A model `wan` knows the price of.
#[derive(Debug)]
pub struct Model {
    pub name: &'static str,
    pub flag: &'static str,
    /// Price per image in micro-dollars (1 USD = 1,000,000).
    pub price: Micros,
    pub purpose: &'static str,
}

pub type Micros = u64;

pub const DEFAULT_MODEL: &str = "wan2.7-image";
pub const PRO_MODEL: &str = "wan2.7-image-pro";

/// Prices from the service's Wan 2.7 image page (seeds; reference §3).
pub const MODELS: &[Model] = &[
    Model {
        name: DEFAULT_MODEL,
        flag: "(default)",
        price: 30_000,
        purpose: "fast, general-purpose image generation and editing",
    },
    Model { name: PRO_MODEL, flag: "--pro", price: 75_000, purpose: "higher fidelity generation and editing" },
];

pub fn price_per_image(model: &str) -> Option<Micros> {
    MODELS.iter().find(|m| m.name == model).map(|m| m.price)
}

/// Parses a decimal dollar amount such as the `x-aisa-price-usd` header's `0.12`.
pub fn parse_usd(text: &str) -> Option<Micros> {
    let value: f64 = text.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * 1_000_000.0).round() as Micros)
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

/// What a run (or one prompt of it) costs: counted from images the service returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bill {
    pub per_image: Option<Micros>,
    /// Images the service returned, and so billed.
    pub count: u64,
    answers: u64,
    priced_answers: u64,
    reported_sum: Micros,
}

impl Bill {
    pub fn new(model: &str) -> Self {
        Self { per_image: price_per_image(model), ..Self::default() }
    }

    /// Adds one answer's images and the price the service reported for it, if any.
    pub fn add_answer(&mut self, images: u64, reported: Option<Micros>) {
        self.count += images;
        self.answers += 1;
        if let Some(price) = reported {
            self.priced_answers += 1;
            self.reported_sum += price;
        }
    }

    pub fn absorb(&mut self, other: &Bill) {
        self.count += other.count;
        self.answers += other.answers;
        self.priced_answers += other.priced_answers;
        self.reported_sum += other.reported_sum;
    }

    /// The service's own figure, when every answer carried one.
    pub fn reported(&self) -> Option<Micros> {
        (self.answers > 0 && self.priced_answers == self.answers).then_some(self.reported_sum)
    }

    /// The total: the service's own figure where it gave one, else count × price.
    pub fn total(&self) -> Option<Micros> {
        self.reported().or_else(|| self.per_image.map(|p| p * self.count))
    }

    /// `4 × $0.030 = $0.120`, or the service's figure, or `cost unknown`.
    pub fn describe(&self) -> String {
        match (self.reported(), self.per_image) {
            (Some(total), _) => format!("{} (as reported by the service)", format_usd(total)),
            (None, Some(price)) => {
                format!("{} × {} = {}", self.count, format_usd(price), format_usd(price * self.count))
            }
            (None, None) => format!("{} × unknown price (cost unknown)", self.count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_two_wan_prices() {
        assert_eq!(price_per_image("wan2.7-image"), Some(30_000));
        assert_eq!(price_per_image("wan2.7-image-pro"), Some(75_000));
        assert_eq!(price_per_image("something-else"), None);
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
    }
}

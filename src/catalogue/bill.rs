//! What a run costs, counted from what the service returned, at the catalogue's prices.

use super::Price;
use super::money::{Micros, cost_of, format_usd};
use crate::term::text::plural;

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
    /// Answers that said what they charged (`x-aisa-customer-cost-micros-usd`), and its sum.
    charged_answers: u64,
    charged_sum: Micros,
}

impl Bill {
    pub fn new(price: Price) -> Self {
        Self { price, count: 0, answers: 0, priced_answers: 0, reported_sum: 0, charged_answers: 0, charged_sum: 0 }
    }

    /// What a plan of `requests` requests for `images` images would cost at list price.
    pub fn estimate(price: Price, images: u64, requests: u64) -> Self {
        Self { count: images, answers: requests, ..Self::new(price) }
    }

    /// Adds one answer's images and the price the service reported for it, if any.
    ///
    /// Every sum saturates: the reported price is the service's text, and a hostile or
    /// broken one (`9223372036854.775807` twice) must not wrap to a small figure.
    ///
    /// `charged` is what the service said it charged for the answer, if it did.
    pub fn add_answer(&mut self, images: u64, reported: Option<Micros>, charged: Option<Micros>) {
        self.count = self.count.saturating_add(images);
        self.answers = self.answers.saturating_add(1);
        if let Some(price) = reported {
            self.priced_answers = self.priced_answers.saturating_add(1);
            self.reported_sum = self.reported_sum.saturating_add(price);
        }
        if let Some(charged) = charged {
            self.charged_answers = self.charged_answers.saturating_add(1);
            self.charged_sum = self.charged_sum.saturating_add(charged);
        }
    }

    pub fn absorb(&mut self, other: &Bill) {
        self.count = self.count.saturating_add(other.count);
        self.answers = self.answers.saturating_add(other.answers);
        self.priced_answers = self.priced_answers.saturating_add(other.priced_answers);
        self.reported_sum = self.reported_sum.saturating_add(other.reported_sum);
        self.charged_answers = self.charged_answers.saturating_add(other.charged_answers);
        self.charged_sum = self.charged_sum.saturating_add(other.charged_sum);
    }

    /// What the service said it charged, when every answer said.
    pub fn charged(&self) -> Option<Micros> {
        (self.answers > 0 && self.charged_answers == self.answers).then_some(self.charged_sum)
    }

    /// The charge differs from the list price by more than a cent: worth a word (the
    /// catalogue has said both per image and per request for the Wan models).
    pub fn charge_differs(&self) -> bool {
        matches!((self.charged(), self.listed()), (Some(charged), Some(listed)) if charged.abs_diff(listed) > 10_000)
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

    /// The total: what the service charged where it said, else the price it reported,
    /// else the list price's.
    pub fn total(&self) -> Option<Micros> {
        self.charged().or_else(|| self.reported()).or_else(|| self.listed())
    }

    /// How the list price makes the total: `4 × $0.030`, `2 requests × $0.035`.
    pub fn formula(&self) -> Option<String> {
        match self.price {
            Price::PerImage(price) => Some(format!("{} × {}", self.count, format_usd(price))),
            Price::PerRequest(price) => {
                Some(format!("{} request{} × {}", self.answers, plural(self.answers), format_usd(price)))
            }
            Price::ByTokens | Price::Unknown => None,
        }
    }

    /// `4 × $0.030 = $0.120`, or the service's figure, or why the cost is unknown.
    pub fn describe(&self) -> String {
        if let Some(charged) = self.charged() {
            return match (self.formula(), self.listed()) {
                (Some(formula), Some(listed)) if listed != charged => {
                    format!("charged {} (list {formula} = {})", format_usd(charged), format_usd(listed))
                }
                _ => format!("charged {}", format_usd(charged)),
            };
        }
        match (self.reported(), self.formula(), self.listed()) {
            (Some(total), ..) => format!("{} (as reported by the service)", format_usd(total)),
            (None, Some(formula), Some(total)) => format!("{formula} = {}", format_usd(total)),
            _ if self.price == Price::ByTokens => "cost unknown (billed by tokens)".to_string(),
            _ => format!("{} × unknown price (cost unknown)", self.count),
        }
    }
}

/// The total of several bills (a matrix's, one per model), when every one is known.
pub fn sum<'a>(bills: impl IntoIterator<Item = &'a Bill>) -> Option<Micros> {
    bills.into_iter().try_fold(0, |sum: Micros, bill| bill.total().map(|total| sum.saturating_add(total)))
}

/// A matrix's cost, model by model and in all: `$0.160 (wan2.7-image 2 × $0.030 = $0.060 ·
/// gpt-image-2 2 × $0.050 = $0.100)`; the total is `cost unknown` where some model's is.
pub fn describe_each(bills: &[(&str, &Bill)]) -> String {
    let total = sum(bills.iter().map(|(_, bill)| *bill)).map_or_else(|| "cost unknown".to_string(), format_usd);
    let each: Vec<String> = bills
        .iter()
        .map(|(model, bill)| match bill.count {
            0 => format!("{model} nothing billed"),
            _ => format!("{model} {}", bill.describe()),
        })
        .collect();
    format!("{total} ({})", each.join(" · "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::money::parse_usd;
    use crate::catalogue::profile;

    #[test]
    fn what_the_service_charged_wins_and_the_list_price_shows_where_it_differs() {
        let wan = || Bill::new(profile("wan2.7-image").price);
        let mut same = wan();
        same.add_answer(2, None, Some(60_000));
        assert_eq!((same.describe().as_str(), same.total()), ("charged $0.060", Some(60_000)));
        assert!(!same.charge_differs());
        let mut per_request = wan();
        per_request.add_answer(4, None, Some(30_000));
        assert_eq!(per_request.describe(), "charged $0.030 (list 4 × $0.030 = $0.120)");
        assert!(per_request.charge_differs());
        // One answer that did not say: the charge of the whole is unknown, not partial.
        per_request.add_answer(1, None, None);
        assert_eq!(per_request.charged(), None);
        assert_eq!(per_request.describe(), "5 × $0.030 = $0.150");
        let mut zero = wan();
        zero.add_answer(1, None, Some(0));
        assert_eq!(zero.describe(), "charged $0.000 (list 1 × $0.030 = $0.030)", "0 is a real zero");
    }

    #[test]
    fn prices_come_from_the_catalogue() {
        assert_eq!(Bill::new(profile("wan2.7-image").price).price, Price::PerImage(30_000));
        assert_eq!(Bill::new(profile("wan2.7-image-pro").price).price, Price::PerImage(75_000));
        assert_eq!(Bill::new(profile("something-else").price).price, Price::Unknown);
    }

    #[test]
    fn a_price_per_request_counts_requests_not_images() {
        let mut bill = Bill::new(profile("seedream-5-0-260128").price);
        bill.add_answer(1, None, None);
        bill.add_answer(1, None, None);
        assert_eq!(bill.total(), Some(70_000));
        assert_eq!(bill.describe(), "2 requests × $0.035 = $0.070");
        // a request that returned more images than asked still costs one request
        bill.add_answer(3, None, None);
        assert_eq!(bill.describe(), "3 requests × $0.035 = $0.105");
        let mut one = Bill::new(profile("seedream-5-0-260128").price);
        one.add_answer(1, None, None);
        assert_eq!(one.describe(), "1 request × $0.035 = $0.035");
        let per_image = Bill::estimate(profile("seedream-4-5-251128").price, 3, 3);
        assert_eq!(per_image.describe(), "3 × $0.040 = $0.120");
    }

    #[test]
    fn a_model_billed_by_tokens_says_so() {
        let mut bill = Bill::new(profile("gpt-image-2.5-flare").price);
        bill.add_answer(2, None, None);
        assert_eq!(bill.total(), None);
        assert_eq!(bill.describe(), "cost unknown (billed by tokens)");
        bill.add_answer(1, parse_usd("0.2"), None);
        assert_eq!(bill.total(), None, "not every answer was priced");
        let mut reported = Bill::new(profile("gpt-image-2.5-flare").price);
        reported.add_answer(2, parse_usd("0.2"), None);
        assert_eq!(reported.describe(), "$0.200 (as reported by the service)");
    }

    #[test]
    fn describes_count_times_price() {
        let mut bill = Bill::new(profile("wan2.7-image").price);
        bill.add_answer(4, None, None);
        assert_eq!(bill.describe(), "4 × $0.030 = $0.120");
        assert_eq!(bill.total(), Some(120_000));
    }

    #[test]
    fn an_unknown_model_has_an_unknown_cost() {
        let mut bill = Bill::new(profile("my-model").price);
        bill.add_answer(2, None, None);
        assert_eq!(bill.total(), None);
        assert_eq!(bill.describe(), "2 × unknown price (cost unknown)");
    }

    #[test]
    fn reported_prices_are_used_only_when_every_answer_has_one() {
        let mut bill = Bill::new(profile("wan2.7-image").price);
        bill.add_answer(4, parse_usd("0.12"), None);
        bill.add_answer(1, parse_usd("0.03"), None);
        assert_eq!(bill.total(), Some(150_000));
        assert_eq!(bill.describe(), "$0.150 (as reported by the service)");
        bill.add_answer(1, None, None);
        assert_eq!(bill.reported(), None);
        assert_eq!(bill.total(), Some(180_000));
    }

    #[test]
    fn hostile_reported_prices_saturate_instead_of_wrapping() {
        let mut bill = Bill::new(profile("wan2.7-image").price);
        let hostile = parse_usd("9223372036854.775807");
        bill.add_answer(1, hostile, None);
        bill.add_answer(1, hostile, None);
        // read as a float, each was 2^63 and the two wrapped to $0.000
        assert_eq!(bill.total(), Some(Micros::MAX - 1));
        bill.add_answer(1, hostile, None);
        assert_eq!(bill.total(), Some(Micros::MAX));
        assert_eq!(bill.describe(), "$18446744073709.551615 (as reported by the service)");
        let mut run = Bill::new(profile("wan2.7-image").price);
        run.absorb(&bill);
        run.absorb(&bill);
        assert_eq!(run.total(), Some(Micros::MAX));
    }

    #[test]
    fn a_matrix_is_described_model_by_model_and_summed() {
        let mut wan = Bill::new(profile("wan2.7-image").price);
        wan.add_answer(2, None, None);
        let mut seedream = Bill::new(profile("seedream-5-0-260128").price);
        seedream.add_answer(1, None, None);
        seedream.add_answer(1, None, None);
        let gpt = Bill::new(profile("gpt-image-2").price);
        let bills = [("wan2.7-image", &wan), ("seedream-5-0-260128", &seedream), ("gpt-image-2", &gpt)];
        assert_eq!(
            describe_each(&bills),
            "$0.130 (wan2.7-image 2 × $0.030 = $0.060 · seedream-5-0-260128 2 requests × $0.035 = $0.070 · \
             gpt-image-2 nothing billed)"
        );
        assert_eq!(sum([&wan, &seedream]), Some(130_000));
        let mut unknown = Bill::new(profile("mystery").price);
        unknown.add_answer(1, None, None);
        assert_eq!(sum([&wan, &unknown]), None);
        assert!(describe_each(&[("wan2.7-image", &wan), ("mystery", &unknown)]).starts_with("cost unknown (wan2.7"));
    }

    #[test]
    fn count_times_price_saturates() {
        let mut bill = Bill::new(profile("wan2.7-image-pro").price);
        bill.add_answer(u64::MAX, None, None);
        bill.add_answer(5, None, None);
        assert_eq!(bill.count, u64::MAX);
        assert_eq!(bill.total(), Some(Micros::MAX));
        assert!(bill.describe().ends_with("= $18446744073709.551615"), "{}", bill.describe());
    }
}

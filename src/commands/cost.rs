//! `wan cost`: what the journal says was billed, over a span, grouped by day or model.
//! It counts this machine's runs only.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use crate::api::account;
use crate::catalogue::money::{Micros, format_usd, to_usd};
use crate::cli::{CostArgs, CostGroup};
use crate::commands::history::open_journal;
use crate::config::env::Env;
use crate::error::{Error, Kind};
use crate::journal::queries::{self, Spent};
use crate::journal::when;
use crate::outcome::Outcome;
use crate::term::stdout::Stdout;
use crate::term::text::plural;

/// Sums of one group (or of all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sum {
    pub images: u64,
    /// Clips of video runs, counted apart from images.
    pub videos: u64,
    pub cost: Micros,
    /// Images whose price is unknown: counted, not priced.
    pub unpriced: u64,
    /// Videos whose price is unknown (every one, unless the service reported a price).
    pub unpriced_videos: u64,
    /// Of `cost`, what the service said it charged (the rest is at list or reported price).
    pub charged: Micros,
}

impl Sum {
    fn add(&mut self, spent: &Spent) {
        let (count, unpriced) = match spent.video {
            true => (&mut self.videos, &mut self.unpriced_videos),
            false => (&mut self.images, &mut self.unpriced),
        };
        *count += spent.images;
        match spent.cost {
            Some(cost) => {
                self.cost = self.cost.saturating_add(cost);
                if spent.charged {
                    self.charged = self.charged.saturating_add(cost);
                }
            }
            None => *unpriced += spent.images,
        }
    }

    /// `7 images and 1 video`, `1 video`, `0 images`.
    fn things(&self) -> String {
        let images = format!("{} image{}", self.images, plural(self.images));
        let videos = format!("{} video{}", self.videos, plural(self.videos));
        match (self.images, self.videos) {
            (_, 0) => images,
            (0, _) => videos,
            _ => format!("{images} and {videos}"),
        }
    }

    /// ` (2 of unknown price, not counted)`, naming videos where there are some.
    fn unknown(&self) -> String {
        let what = match (self.unpriced, self.unpriced_videos) {
            (0, 0) => return String::new(),
            (n, 0) if self.videos == 0 => format!("{n}"),
            (n, 0) => format!("{n} image{}", plural(n)),
            (0, v) => format!("{v} video{}", plural(v)),
            (n, v) => format!("{n} image{} and {v} video{}", plural(n), plural(v)),
        };
        format!(" ({what} of unknown price, not counted)")
    }
}

/// The total, and the sums by `group` (key order).
pub fn sums(rows: &[Spent], group: Option<CostGroup>) -> (Sum, BTreeMap<String, Sum>) {
    let mut total = Sum::default();
    let mut groups: BTreeMap<String, Sum> = BTreeMap::new();
    for row in rows {
        total.add(row);
        let key = match group {
            Some(CostGroup::Day) => when::local_day(&row.at),
            Some(CostGroup::Model) => row.model.clone(),
            None => continue,
        };
        groups.entry(key).or_default().add(row);
    }
    (total, groups)
}

pub fn run(env: &Env, args: &CostArgs) -> Result<Outcome, Error> {
    let now = Timestamp::now();
    let zone = TimeZone::system();
    let bound = |given: &Option<String>, default: Timestamp| -> Result<Timestamp, Error> {
        given.as_deref().map_or(Ok(default), |text| when::parse(text, now, &zone).map_err(Error::usage))
    };
    let since = bound(&args.since, Timestamp::UNIX_EPOCH)?;
    let until = bound(&args.until, now.checked_add(jiff::Span::new().seconds(1)).unwrap_or(now))?;
    if until <= since {
        // Without --until the span ends now: what is wrong is a --since in the future.
        return Err(match &args.until {
            Some(_) => Error::usage("--until is not after --since: the span holds no time"),
            None => Error::usage(format!(
                "--since {} is in the future: nothing can have been spent since then yet",
                args.since.as_deref().unwrap_or_default().trim()
            ))
            .with_hint("`--since today` counts from this morning; `--since 7d` the last 7 days"),
        });
    }
    let (rows, incomplete, offline, local) = match open_journal(env)? {
        Some(conn) => {
            let (since, until) = (when::stamp(since), when::stamp(until));
            (
                queries::spent(&conn, &since, &until)?,
                queries::incomplete_runs(&conn, &since, &until)?,
                queries::offline_runs(&conn, &since, &until)?,
                queries::local_runs(&conn, &since, &until)?,
            )
        }
        None => (Vec::new(), Vec::new(), 0, 0),
    };
    let (total, groups) = sums(&rows, args.by);
    let mut out = Stdout::default();
    if args.reconcile {
        return reconcile(env, args, (since, until), &total);
    }
    if args.json {
        let key = if args.by == Some(CostGroup::Day) { "day" } else { "model" };
        let by: Vec<_> = groups
            .iter()
            .map(|(k, s)| {
                json!({key: k, "images": s.images, "videos": s.videos, "cost": to_usd(s.cost),
                       "unpriced_images": s.unpriced, "unpriced_videos": s.unpriced_videos})
            })
            .collect();
        let line = json!({
            "since": args.since.as_ref().map(|_| when::stamp(since)),
            "until": when::stamp(until),
            "images": total.images,
            "videos": total.videos,
            "cost": to_usd(total.cost),
            "charged": to_usd(total.charged),
            "at_list_price": to_usd(total.cost.saturating_sub(total.charged)),
            "unpriced_images": total.unpriced,
            "unpriced_videos": total.unpriced_videos,
            "currency": "USD",
            "by": args.by.map(|_| by),
            "scope": "this machine's journal",
            "incomplete_runs": incomplete,
            "offline_runs": offline,
            "local_runs": local,
        });
        out.line(&line.to_string())?;
        return Ok(Outcome::Success);
    }
    if args.by.is_some() {
        let head = if args.by == Some(CostGroup::Day) { "DAY" } else { "MODEL" };
        out.line(&format!("{head:<26}  {:>7}  {:>7}  {:>12}", "IMAGES", "VIDEOS", "COST"))?;
        for (key, sum) in &groups {
            out.line(&format!("{key:<26}  {:>7}  {:>7}  {:>12}", sum.images, sum.videos, describe_cost(sum)))?;
        }
    }
    out.line(&format!(
        "{} on {}{}{} · from this machine's journal only",
        format_usd(total.cost),
        total.things(),
        total.unknown(),
        match (total.charged, total.cost) {
            (0, _) => String::new(),
            (charged, cost) if charged == cost => " · as the service charged".to_string(),
            (charged, _) => format!(" · {} as the service charged, the rest at list price", format_usd(charged)),
        }
    ))?;
    if offline > 0 {
        eprintln!(
            "wan: {offline} run{} made offline (--offline) left out: drawn on this machine, billed nothing",
            plural(offline)
        );
    }
    if local > 0 {
        eprintln!(
            "wan: {local} run{} counted went to a server on this machine (127.0.0.1 or localhost: \
             `wan emulator`?), which may have billed nothing",
            plural(local)
        );
    }
    if !incomplete.is_empty() {
        let n = incomplete.len() as u64;
        eprintln!(
            "wan: {n} run{} in this span ha{} an incomplete record (the journal failed while {} went on): \
             {} may have spent more than is counted ({})",
            plural(n),
            if n == 1 { "s" } else { "ve" },
            if n == 1 { "it" } else { "they" },
            if n == 1 { "it" } else { "they" },
            incomplete.join(", ")
        );
    }
    Ok(Outcome::Success)
}

/// `--reconcile`: the journal's total beside the service's charged total for the same span
/// (`GET {base}/usage?start_time=&end_time=`, UNIX seconds), and the difference.
fn reconcile(
    env: &Env,
    args: &CostArgs,
    (since, until): (Timestamp, Timestamp),
    journal: &Sum,
) -> Result<Outcome, Error> {
    let base = crate::config::api_key::base_url_for_command(args.base_url.clone(), env)?;
    let key = crate::config::api_key::for_command(env)?;
    let url = format!(
        "{}/usage?start_time={}&end_time={}",
        base.as_str().trim_end_matches('/'),
        since.as_second().max(0),
        until.as_second()
    );
    let usage = account::get_json(&url, &key, "the usage answer").map_err(|mut error| {
        if error.api.status == Some(404) {
            error.message = "the service has no usage route here (GET /usage)".into();
            error.hint = Some("the console shows the account's usage: https://console.aisa.one".into());
        }
        error
    })?;
    let totals = usage.get("totals");
    let charged = totals
        .and_then(|t| t.get("charged_micros_usd"))
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::new(Kind::Other, "the usage answer has no totals.charged_micros_usd"))?;
    let requests = totals.and_then(|t| t.get("requests")).and_then(Value::as_u64);
    let difference = i128::from(charged) - i128::from(journal.cost);
    let mut out = Stdout::default();
    if args.json {
        let line = json!({
            "since": args.since.as_ref().map(|_| when::stamp(since)),
            "until": when::stamp(until),
            "journal": to_usd(journal.cost),
            "service": to_usd(charged),
            "difference": difference as f64 / 1e6,
            "service_requests": requests,
            "journal_unpriced_images": journal.unpriced,
            "currency": "USD",
        });
        out.line(&line.to_string())?;
        return Ok(Outcome::Success);
    }
    out.line(&format!("journal:    {} · this machine's runs ({})", format_usd(journal.cost), journal.things()))?;
    let requests = requests.map(|n| format!(" ({n} request{})", plural(n))).unwrap_or_default();
    out.line(&format!("service:    {} · the account, every key and tool{requests}", format_usd(charged)))?;
    let gap = format_usd(difference.unsigned_abs().min(u128::from(u64::MAX)) as u64);
    out.line(&match difference.signum() {
        0 => "difference: none".to_string(),
        1 => format!("difference: {gap} more at the service"),
        _ => format!(
            "difference: {gap} less at the service than the journal counts (at list prices, where it did not say)"
        ),
    })?;
    eprintln!("wan: runs from other machines and other tools are in the service's figure only");
    Ok(Outcome::Success)
}

fn describe_cost(sum: &Sum) -> String {
    match sum.unpriced + sum.unpriced_videos {
        0 => format_usd(sum.cost),
        _ => format!("{}+?", format_usd(sum.cost)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spent(at: &str, model: &str, images: u64, cost: Option<u64>) -> Spent {
        Spent { at: at.into(), model: model.into(), images, cost, charged: false, video: model.ends_with("2v") }
    }

    #[test]
    fn sums_by_model_and_counts_unknown_prices_apart() {
        let rows = [
            spent("2026-11-01T10:00:00.000Z", "wan2.7-image", 4, Some(120_000)),
            spent("2026-11-02T10:00:00.000Z", "wan2.7-image-pro", 1, Some(75_000)),
            spent("2026-11-02T11:00:00.000Z", "mystery", 2, None),
        ];
        let (total, by_model) = sums(&rows, Some(CostGroup::Model));
        assert_eq!(total, Sum { images: 7, cost: 195_000, unpriced: 2, ..Sum::default() });
        assert_eq!(by_model["wan2.7-image"].cost, 120_000);
        assert_eq!(by_model["mystery"], Sum { images: 2, cost: 0, unpriced: 2, ..Sum::default() });
        let (_, none) = sums(&rows, None);
        assert!(none.is_empty());
    }

    #[test]
    fn videos_are_counted_as_videos_not_images() {
        let rows = [
            spent("2026-11-01T10:00:00.000Z", "wan2.7-image", 4, Some(120_000)),
            spent("2026-11-02T10:00:00.000Z", "wan2.7-t2v", 1, None),
        ];
        let (total, _) = sums(&rows, None);
        assert_eq!((total.images, total.videos, total.unpriced, total.unpriced_videos), (4, 1, 0, 1));
        assert_eq!(total.things(), "4 images and 1 video");
        assert_eq!(total.unknown(), " (1 video of unknown price, not counted)");
        let only_images = sums(&rows[..1], None).0;
        assert_eq!((only_images.things(), only_images.unknown()), ("4 images".to_string(), String::new()));
    }
}

//! `--shard K/N`: one machine's share of a batch, as a number pair every layer may hold.

/// `--shard K/N`: the prompts whose number among those kept (counting from 1) is K
/// modulo N, so that N machines share one prompt file without a word between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: u64,
    pub n: u64,
}

impl Shard {
    /// `K/N` with 1 ≤ K ≤ N, both plain decimal numbers.
    pub fn parse(text: &str) -> Result<Self, String> {
        let whole = |t: &str| t.parse::<u64>().ok().filter(|_| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()));
        match text.trim().split_once('/').and_then(|(k, n)| Some((whole(k.trim())?, whole(n.trim())?))) {
            Some((k, n)) if (1..=n).contains(&k) => Ok(Self { k, n }),
            _ => Err("must be K/N with 1 ≤ K ≤ N, e.g. 2/8 for the second of eight machines".to_string()),
        }
    }

    /// Whether the prompt numbered `number` (from 1, among the prompts kept) is this shard's.
    pub fn keeps(&self, number: u64) -> bool {
        number % self.n == self.k % self.n
    }

    /// How many of the `count` prompts numbered from `first` (from 1) this shard keeps: a
    /// template's share, counted without making its prompts.
    pub fn kept_of(&self, first: u64, count: u64) -> u64 {
        let up_to = |last: u64| if last >= self.k { (last - self.k) / self.n + 1 } else { 0 };
        match count {
            0 => 0,
            _ => up_to(first.saturating_add(count - 1)) - up_to(first.saturating_sub(1)),
        }
    }

    /// How far from the prompt numbered `first` the first one this shard keeps is.
    pub fn offset_from(&self, first: u64) -> u64 {
        (self.k % self.n + self.n - first % self.n) % self.n
    }

    /// The number in the whole batch (from 1) of this shard's prompt at `index` (from 0).
    pub fn number(&self, index: usize) -> u64 {
        (index as u64).saturating_mul(self.n).saturating_add(self.k)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!(Shard::parse("1/1"), Ok(Shard { k: 1, n: 1 }));
        assert_eq!(Shard::parse("3/8"), Ok(Shard { k: 3, n: 8 }));
        assert_eq!(Shard::parse(" 3 / 8 "), Ok(Shard { k: 3, n: 8 }));
        assert_eq!(Shard::parse("8/8").unwrap().to_string(), "8/8");
        for bad in ["0/4", "5/4", "1/0", "0/0", "1", "a/b", "-1/4", "+1/4", "1/4/2", "", "/", "1.5/4", "1/", "/4"] {
            assert!(Shard::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_run_of_numbers_is_shared_as_its_prompts_one_by_one_would_be() {
        for n in 1..=5 {
            for k in 1..=n {
                let shard = Shard { k, n };
                for first in 1..=12 {
                    for count in 0..=12 {
                        let kept: Vec<u64> = (first..first + count).filter(|&m| shard.keeps(m)).collect();
                        assert_eq!(shard.kept_of(first, count), kept.len() as u64, "{shard} {first}+{count}");
                        if let Some(&at) = kept.first() {
                            assert_eq!(first + shard.offset_from(first), at, "{shard} from {first}");
                        }
                    }
                }
            }
        }
        let last = Shard { k: 3, n: 4 };
        assert_eq!(last.kept_of(u64::MAX - 9, 10), 3, "MAX - 8, MAX - 4 and MAX");
    }
}

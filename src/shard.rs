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
}

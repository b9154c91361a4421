//! The requests a run will send, made lazily: request `i` is computed when a worker
//! asks for it, so `-n 4000000000` costs no memory (used by the run and the dry run);
//! the prompts themselves are read as they are needed (`dispatch`).

/// One API request of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub prompt: usize,
    /// Which request of its prompt, from 0.
    pub chunk: u64,
    pub n: u32,
}

/// Every prompt's count split into requests of at most `per_request` (the catalogue's
/// images per request for the model):
/// `max, max, …, remainder`, prompt after prompt.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    prompts: usize,
    count: u32,
    per_request: u32,
}

impl Plan {
    pub fn new(prompts: usize, count: u32, per_request: u32) -> Self {
        Self { prompts, count, per_request: per_request.max(1) }
    }

    pub fn per_request(&self) -> u32 {
        self.per_request
    }

    pub fn requests_per_prompt(&self) -> u64 {
        u64::from(self.count.div_ceil(self.per_request))
    }

    /// How many requests in all.
    pub fn len(&self) -> u64 {
        (self.prompts as u64).saturating_mul(self.requests_per_prompt())
    }

    /// How many images in all.
    pub fn images(&self) -> u64 {
        (self.prompts as u64).saturating_mul(u64::from(self.count))
    }

    /// Request `i`, in order, or `None` past the end.
    pub fn get(&self, i: u64) -> Option<Planned> {
        let per_prompt = self.requests_per_prompt();
        if per_prompt == 0 || i >= self.len() {
            return None;
        }
        let prompt = usize::try_from(i / per_prompt).ok()?;
        let chunk = i % per_prompt;
        let n = if chunk + 1 < per_prompt {
            self.per_request
        } else {
            self.count - self.per_request * (per_prompt as u32 - 1)
        };
        Some(Planned { prompt, chunk, n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's Wan limit.
    const MAX_PER_REQUEST: u32 = 4;

    fn counts(count: u32) -> Vec<u32> {
        split(count, MAX_PER_REQUEST)
    }

    fn split(count: u32, per_request: u32) -> Vec<u32> {
        let plan = Plan::new(1, count, per_request);
        (0..plan.len()).map(|i| plan.get(i).unwrap().n).collect()
    }

    #[test]
    fn splits_by_each_model_s_images_per_request() {
        let per_request = |model| crate::catalogue::profile(model).per_request;
        assert_eq!(split(23, per_request("gpt-image-2")), vec![10, 10, 3]);
        assert_eq!(split(3, per_request("seedream-5-0-260128")), vec![1, 1, 1]);
        assert_eq!(split(2, per_request("gemini-3-pro-image-preview")), vec![1, 1]);
        assert_eq!(split(6, per_request("wan2.7-image")), vec![4, 2]);
    }

    #[test]
    fn splits_counts_into_requests_of_at_most_four() {
        assert_eq!(counts(1), vec![1]);
        assert_eq!(counts(4), vec![4]);
        assert_eq!(counts(5), vec![4, 1]);
        assert_eq!(counts(10), vec![4, 4, 2]);
        assert_eq!(counts(12), vec![4, 4, 4]);
    }

    #[test]
    fn plans_every_prompt_in_order() {
        let plan = Plan::new(2, 5, MAX_PER_REQUEST);
        let planned: Vec<Planned> = (0..plan.len()).map(|i| plan.get(i).unwrap()).collect();
        assert_eq!(
            planned,
            vec![
                Planned { prompt: 0, chunk: 0, n: 4 },
                Planned { prompt: 0, chunk: 1, n: 1 },
                Planned { prompt: 1, chunk: 0, n: 4 },
                Planned { prompt: 1, chunk: 1, n: 1 },
            ]
        );
        assert_eq!(plan.get(4), None);
        assert_eq!(plan.images(), 10);
    }

    #[test]
    fn a_huge_count_is_planned_without_memory() {
        let plan = Plan::new(3, u32::MAX, MAX_PER_REQUEST);
        assert_eq!(plan.requests_per_prompt(), 1_073_741_824);
        assert_eq!(plan.len(), 3 * 1_073_741_824);
        assert_eq!(plan.images(), 3 * u64::from(u32::MAX));
        // u32::MAX = 4 × 1073741823 + 3
        assert_eq!(plan.get(1_073_741_823), Some(Planned { prompt: 0, chunk: 1_073_741_823, n: 3 }));
        assert_eq!(plan.get(plan.len() - 1), Some(Planned { prompt: 2, chunk: 1_073_741_823, n: 3 }));
        assert_eq!(plan.get(plan.len()), None);
    }
}

//! The requests a run will send, made lazily: request `i` is computed when a worker
//! asks for it, so `-n 4000000000` costs no memory (used by the run and the dry run);
//! the prompts themselves are read as they are needed (`dispatch`). A matrix (`-m A,B`)
//! asks each prompt of each model, prompt after prompt: nothing is held per item either.

/// One API request of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub prompt: usize,
    /// Which request of its prompt, from 0, counted across the models of a matrix (the
    /// first model's requests, then the next one's): with `prompt`, the request's place
    /// in the run, which its journal row and Idempotency-Key are keyed by.
    pub chunk: u64,
    pub n: u32,
    /// Which model of the run, from 0 (always 0 but in a matrix).
    pub model: usize,
}

/// Every prompt's count split, for each model, into requests of at most that model's
/// images per request (the catalogue's): `max, max, …, remainder`, model after model,
/// prompt after prompt.
#[derive(Clone, Debug)]
pub struct Plan {
    prompts: usize,
    count: u32,
    /// Each model's images per request, in the order the models were named.
    per_request: Vec<u32>,
}

impl Plan {
    /// The plan of a run of one model.
    #[cfg(test)]
    pub fn new(prompts: usize, count: u32, per_request: u32) -> Self {
        Self::matrix(prompts, count, vec![per_request])
    }

    /// The plan of a run of one or more models, each with its images per request.
    pub fn matrix(prompts: usize, count: u32, per_request: Vec<u32>) -> Self {
        let per_request = per_request.into_iter().map(|n| n.max(1)).collect();
        Self { prompts, count, per_request }
    }

    /// The images one request of `model` may ask for.
    pub fn per_request(&self, model: usize) -> u32 {
        self.per_request.get(model).copied().unwrap_or(1)
    }

    /// How many models each prompt goes to.
    pub fn models(&self) -> usize {
        self.per_request.len()
    }

    /// The requests one prompt takes of `model`.
    pub fn requests_of_model(&self, model: usize) -> u64 {
        u64::from(self.count.div_ceil(self.per_request(model)))
    }

    /// The chunk of a prompt that `model`'s first request is (its requests follow the
    /// earlier models').
    pub fn first_chunk(&self, model: usize) -> u64 {
        (0..model).map(|earlier| self.requests_of_model(earlier)).fold(0, u64::saturating_add)
    }

    /// The requests one prompt takes, of every model.
    pub fn requests_per_prompt(&self) -> u64 {
        (0..self.models()).map(|model| self.requests_of_model(model)).fold(0, u64::saturating_add)
    }

    /// How many requests in all.
    pub fn len(&self) -> u64 {
        (self.prompts as u64).saturating_mul(self.requests_per_prompt())
    }

    /// How many images in all.
    #[cfg(test)]
    pub fn images(&self) -> u64 {
        self.images_per_model().saturating_mul(self.models() as u64)
    }

    /// How many images of each model in all.
    pub fn images_per_model(&self) -> u64 {
        (self.prompts as u64).saturating_mul(u64::from(self.count))
    }

    /// How many requests of `model` in all.
    pub fn requests_in_all(&self, model: usize) -> u64 {
        (self.prompts as u64).saturating_mul(self.requests_of_model(model))
    }

    /// Request `i`, in order, or `None` past the end.
    pub fn get(&self, i: u64) -> Option<Planned> {
        let per_prompt = self.requests_per_prompt();
        if per_prompt == 0 || i >= self.len() {
            return None;
        }
        let prompt = usize::try_from(i / per_prompt).ok()?;
        self.at(prompt, i % per_prompt)
    }

    /// Request `chunk` of `prompt` (counted across the models), or `None` past the end.
    pub fn at(&self, prompt: usize, chunk: u64) -> Option<Planned> {
        let mut first = 0u64;
        for model in 0..self.models() {
            let requests = self.requests_of_model(model);
            if chunk < first + requests {
                let own = chunk - first;
                let per_request = self.per_request(model);
                let n = if own + 1 < requests { per_request } else { self.count - per_request * (requests as u32 - 1) };
                return Some(Planned { prompt, chunk, n, model });
            }
            first += requests;
        }
        None
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
                Planned { prompt: 0, chunk: 0, n: 4, model: 0 },
                Planned { prompt: 0, chunk: 1, n: 1, model: 0 },
                Planned { prompt: 1, chunk: 0, n: 4, model: 0 },
                Planned { prompt: 1, chunk: 1, n: 1, model: 0 },
            ]
        );
        assert_eq!(plan.get(4), None);
        assert_eq!(plan.images(), 10);
    }

    #[test]
    fn a_matrix_asks_each_prompt_of_each_model_in_turn() {
        // -n 5 of wan (4 a request), seedream (1) and gpt-image (10), two prompts
        let plan = Plan::matrix(2, 5, vec![4, 1, 10]);
        assert_eq!((plan.models(), plan.requests_per_prompt(), plan.len(), plan.images()), (3, 8, 16, 30));
        let planned: Vec<(usize, u64, usize, u32)> =
            (0..plan.len()).map(|i| plan.get(i).unwrap()).map(|r| (r.prompt, r.chunk, r.model, r.n)).collect();
        let one = |p| {
            [
                (p, 0, 0, 4),
                (p, 1, 0, 1),
                (p, 2, 1, 1),
                (p, 3, 1, 1),
                (p, 4, 1, 1),
                (p, 5, 1, 1),
                (p, 6, 1, 1),
                (p, 7, 2, 5),
            ]
        };
        assert_eq!(planned, [one(0), one(1)].concat());
        assert_eq!(plan.at(1, 7), plan.get(15));
        assert_eq!(plan.at(0, 8), None);
        assert_eq!((plan.first_chunk(0), plan.first_chunk(1), plan.first_chunk(2)), (0, 2, 7));
        assert_eq!((plan.requests_in_all(1), plan.images_per_model()), (10, 10));
    }

    #[test]
    fn a_huge_count_is_planned_without_memory() {
        let plan = Plan::new(3, u32::MAX, MAX_PER_REQUEST);
        assert_eq!(plan.requests_per_prompt(), 1_073_741_824);
        assert_eq!(plan.len(), 3 * 1_073_741_824);
        assert_eq!(plan.images(), 3 * u64::from(u32::MAX));
        // u32::MAX = 4 × 1073741823 + 3
        assert_eq!(plan.get(1_073_741_823), Some(Planned { prompt: 0, chunk: 1_073_741_823, n: 3, model: 0 }));
        assert_eq!(plan.get(plan.len() - 1), Some(Planned { prompt: 2, chunk: 1_073_741_823, n: 3, model: 0 }));
        assert_eq!(plan.get(plan.len()), None);
    }
}

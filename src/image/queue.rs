//! The requests of a run handed out in order, each with its prompt, which is read from
//! the batch when the first of its requests is handed out and dropped after the last.

use std::sync::{Arc, Mutex};

use crate::error::{Error, Kind};
use crate::files::prompts::{PromptIter, Prompts};
use crate::image::plan::Planned;

/// The requests a run sends, by index, in the order of their prompts: the whole plan,
/// or those a resume has left.
pub trait Requests: Sync {
    fn len(&self) -> u64;
    fn get(&self, i: u64) -> Option<Planned>;
}

impl Requests for crate::image::plan::Plan {
    fn len(&self) -> u64 {
        crate::image::plan::Plan::len(self)
    }

    fn get(&self, i: u64) -> Option<Planned> {
        crate::image::plan::Plan::get(self, i)
    }
}

impl Requests for Vec<Planned> {
    fn len(&self) -> u64 {
        self.len() as u64
    }

    fn get(&self, i: u64) -> Option<Planned> {
        self.as_slice().get(usize::try_from(i).ok()?).copied()
    }
}

/// A prompt of the run as one of its models is asked it: its place among the run's
/// prompts (from 0), the model's place among the run's (0 but in a matrix), and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub index: usize,
    pub model: usize,
    pub text: Arc<str>,
}

/// One request to send, and the prompt it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub planned: Planned,
    pub prompt: Prompt,
}

/// Hands out requests in order to any number of workers. Only the prompt of the request
/// handed out last is held, so a batch of any length costs the same memory.
pub struct Dispatch<'a> {
    requests: &'a dyn Requests,
    state: Mutex<State>,
}

struct State {
    next: u64,
    prompts: PromptIter,
    /// The prompt the next one read from `prompts` is.
    read: usize,
    current: Option<Prompt>,
    /// Set when the prompts could not be read back: nothing more is handed out.
    failed: Option<Error>,
}

impl<'a> Dispatch<'a> {
    pub fn new(requests: &'a dyn Requests, prompts: &Prompts) -> Self {
        let state = State { next: 0, prompts: prompts.iter(), read: 0, current: None, failed: None };
        Self { requests, state: Mutex::new(state) }
    }

    /// The next request, or `None` once all are handed out (or the prompts could not be
    /// read back; [`Dispatch::failure`] says why).
    pub fn next(&self) -> Option<Request> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.failed.is_some() {
            return None;
        }
        let planned = self.requests.get(state.next)?;
        // Requests come in the order of their prompts, so the prompt needed is the one
        // held or one after it (a resume skips the prompts it has nothing to send for).
        while state.current.as_ref().is_none_or(|p| p.index < planned.prompt) {
            match state.prompts.next() {
                Some(Ok(text)) => {
                    let index = state.read;
                    state.read += 1;
                    // Only the prompt a request needs is kept; those skipped are dropped.
                    if index == planned.prompt {
                        state.current = Some(Prompt { index, model: 0, text });
                    }
                }
                Some(Err(error)) => {
                    state.failed = Some(error);
                    return None;
                }
                None => {
                    state.failed = Some(Error::new(
                        Kind::Other,
                        "the temporary file of prompts ended early: it was changed while the run read it",
                    ));
                    return None;
                }
            }
        }
        let prompt = state.current.clone().filter(|p| p.index == planned.prompt);
        let Some(prompt) = prompt else {
            state.failed = Some(Error::new(Kind::Other, "the run's requests came out of the order of their prompts"));
            return None;
        };
        state.next += 1;
        Some(Request { planned, prompt: Prompt { model: planned.model, ..prompt } })
    }

    /// Why the dispatch stopped before the end of the requests, if it did.
    pub fn failure(&self) -> Option<Error> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).failed.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::plan::Plan;

    const PER_REQUEST: u32 = 4;

    fn all(dispatch: &Dispatch) -> Vec<(usize, String, u32)> {
        std::iter::from_fn(|| dispatch.next())
            .map(|r| (r.prompt.index, r.prompt.text.to_string(), r.planned.n))
            .collect()
    }

    fn batch(text: &str) -> Prompts {
        Prompts::batch(text.as_bytes(), "p", None).unwrap()
    }

    #[test]
    fn hands_out_every_request_with_its_prompt_in_order() {
        let prompts = batch("a\nb\nc\n");
        let plan = Plan::new(prompts.len(), 5, PER_REQUEST);
        let dispatch = Dispatch::new(&plan, &prompts);
        assert_eq!(
            all(&dispatch),
            [
                (0, "a".into(), 4),
                (0, "a".into(), 1),
                (1, "b".into(), 4),
                (1, "b".into(), 1),
                (2, "c".into(), 4),
                (2, "c".into(), 1)
            ]
        );
        assert!(dispatch.next().is_none());
        assert!(dispatch.failure().is_none());
    }

    #[test]
    fn a_matrix_hands_out_each_prompt_to_each_model_reading_the_prompt_once() {
        let prompts = batch("a\nb\n");
        let plan = Plan::matrix(prompts.len(), 2, vec![4, 1]);
        let dispatch = Dispatch::new(&plan, &prompts);
        let handed: Vec<(usize, usize, u32)> =
            std::iter::from_fn(|| dispatch.next()).map(|r| (r.prompt.index, r.prompt.model, r.planned.n)).collect();
        assert_eq!(handed, [(0, 0, 2), (0, 1, 1), (0, 1, 1), (1, 0, 2), (1, 1, 1), (1, 1, 1)]);
        assert!(dispatch.failure().is_none());
    }

    #[test]
    fn many_workers_get_each_request_once() {
        let text: String = (0..2000).map(|i| format!("prompt {i}\n")).collect();
        let prompts = batch(&text);
        let plan = Plan::new(prompts.len(), 6, PER_REQUEST);
        let dispatch = Dispatch::new(&plan, &prompts);
        let taken = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    while let Some(request) = dispatch.next() {
                        assert_eq!(*request.prompt.text, format!("prompt {}", request.prompt.index));
                        taken.lock().unwrap().push((request.prompt.index, request.planned.n));
                    }
                });
            }
        });
        let mut taken = taken.into_inner().unwrap();
        taken.sort();
        let expected: Vec<(usize, u32)> = (0..2000).flat_map(|i| [(i, 2), (i, 4)]).collect();
        assert_eq!(taken, expected);
    }

    #[test]
    fn a_resume_s_requests_skip_the_prompts_with_nothing_left() {
        let prompts = batch("a\nb\nc\nd\n");
        let left = vec![
            Planned { prompt: 1, chunk: 1, n: 1, model: 0 },
            Planned { prompt: 3, chunk: 0, n: 4, model: 0 },
            Planned { prompt: 3, chunk: 1, n: 1, model: 0 },
        ];
        let dispatch = Dispatch::new(&left, &prompts);
        assert_eq!(all(&dispatch), [(1, "b".into(), 1), (3, "d".into(), 4), (3, "d".into(), 1)]);
        assert!(dispatch.failure().is_none());
    }

    #[test]
    fn a_plan_longer_than_its_prompts_stops_with_a_failure() {
        let prompts = Prompts::one("only".into(), None);
        let plan = Plan::new(2, 1, PER_REQUEST);
        let dispatch = Dispatch::new(&plan, &prompts);
        assert_eq!(all(&dispatch), [(0, "only".into(), 1)]);
        assert!(dispatch.failure().unwrap().to_string().contains("ended early"));
    }
}

//! The requests of a run handed out in order, each with its prompt, which is read from
//! the batch when the first of its requests is handed out and dropped after the last.

use std::sync::{Arc, Mutex};

use crate::error::Error;
use crate::plan::{Plan, Planned};
use crate::prompts::{PromptIter, Prompts};

/// A prompt of the run: its place among the run's prompts (from 0), and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub index: usize,
    pub text: Arc<str>,
}

/// One request to send, and the prompt it is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub planned: Planned,
    pub prompt: Prompt,
}

/// Hands out the plan's requests in order to any number of workers. Only the prompt of
/// the request handed out last is held, so a batch of any length costs the same memory.
#[derive(Debug)]
pub struct Dispatch<'a> {
    plan: Plan,
    state: Mutex<State<'a>>,
}

#[derive(Debug)]
struct State<'a> {
    next: u64,
    prompts: PromptIter<'a>,
    current: Option<Prompt>,
    /// Set when the prompts could not be read back: nothing more is handed out.
    failed: Option<Error>,
}

impl<'a> Dispatch<'a> {
    pub fn new(plan: Plan, prompts: &'a Prompts) -> Self {
        Self { plan, state: Mutex::new(State { next: 0, prompts: prompts.iter(), current: None, failed: None }) }
    }

    /// The next request, or `None` once all are handed out (or the prompts could not be
    /// read back; [`Dispatch::failure`] says why).
    pub fn next(&self) -> Option<Request> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.failed.is_some() {
            return None;
        }
        let planned = self.plan.get(state.next)?;
        // Requests come prompt after prompt, so the prompt needed is the one held or
        // the one after it.
        while state.current.as_ref().is_none_or(|p| p.index < planned.prompt) {
            let index = state.current.as_ref().map_or(0, |p| p.index + 1);
            match state.prompts.next() {
                Some(Ok(text)) => state.current = Some(Prompt { index, text: text.into() }),
                Some(Err(error)) => {
                    state.failed = Some(error);
                    return None;
                }
                None => {
                    state.failed = Some(Error::new(
                        crate::error::Kind::Other,
                        "the temporary file of prompts ended early: it was changed while the run read it",
                    ));
                    return None;
                }
            }
        }
        state.next += 1;
        let prompt = state.current.clone()?;
        Some(Request { planned, prompt })
    }

    /// Why the dispatch stopped before the end of the plan, if it did.
    pub fn failure(&self) -> Option<Error> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).failed.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::MAX_PER_REQUEST;

    fn all(dispatch: &Dispatch) -> Vec<(usize, String, u32)> {
        std::iter::from_fn(|| dispatch.next())
            .map(|r| (r.prompt.index, r.prompt.text.to_string(), r.planned.n))
            .collect()
    }

    #[test]
    fn hands_out_every_request_with_its_prompt_in_order() {
        let prompts = Prompts::batch("a\nb\nc\n".as_bytes(), "p", None).unwrap();
        let dispatch = Dispatch::new(Plan::new(prompts.len(), 5, MAX_PER_REQUEST), &prompts);
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
    fn many_workers_get_each_request_once() {
        let text: String = (0..2000).map(|i| format!("prompt {i}\n")).collect();
        let prompts = Prompts::batch(text.as_bytes(), "p", None).unwrap();
        let dispatch = Dispatch::new(Plan::new(prompts.len(), 6, MAX_PER_REQUEST), &prompts);
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
    fn a_plan_longer_than_its_prompts_stops_with_a_failure() {
        let prompts = Prompts::one("only".into());
        let dispatch = Dispatch::new(Plan::new(2, 1, MAX_PER_REQUEST), &prompts);
        assert_eq!(all(&dispatch), [(0, "only".into(), 1)]);
        assert!(dispatch.failure().unwrap().to_string().contains("ended early"));
    }
}

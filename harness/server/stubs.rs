//! The scenario's `stubs`: canned answers evaluated in order before the built-in API. Each
//! stub counts, over the server's life and lock-free, the requests that meet every condition
//! of its `when` but `nth`; the first stub whose conditions hold, and whose `nth` is this count
//! if it has one, answers. A request answered by an earlier stub never reaches the later ones.
//! A stub with a `sequence` answers its kth request with step min(k, len).

use crate::scenario::{Stub, StubThen, StubWhen};
use crate::server::matcher::Matcher;
use crate::server::near_miss::{self, Miss};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Every stub of a scenario with its counts.
#[derive(Debug)]
pub struct Stubs {
    stubs: Vec<Arc<Counted>>,
    /// Whether a stub (or a step of its sequence) holds its answer back (`delay`).
    holds_answers: bool,
}

/// A stub and its counts.
#[derive(Debug)]
struct Counted {
    stub: Stub,
    /// Requests that met every condition but `nth`.
    met: AtomicU64,
    /// Requests it answered.
    answered: AtomicU64,
}

impl Counted {
    fn new(stub: &Stub) -> Counted {
        Counted {
            stub: stub.clone(),
            met: AtomicU64::new(0),
            answered: AtomicU64::new(0),
        }
    }
}

/// Which stub answers a request, if one does.
#[derive(Debug)]
pub enum Choice<'s> {
    /// A stub answers.
    Stub {
        /// Its position in the stub list (from 0).
        index: usize,
        /// What it answers: its `then`, or the step of its `sequence` for this request.
        then: &'s StubThen,
    },
    /// No stub answers.
    Unmatched(Unmatched),
}

impl<'s> Choice<'s> {
    /// The answer, when a stub answers.
    pub fn then(&self) -> Option<&'s StubThen> {
        match self {
            Choice::Stub { then, .. } => Some(then),
            Choice::Unmatched(_) => None,
        }
    }
}

/// What [`Stubs::explain`] needs to say why no stub answered: the stubs whose every
/// condition but `nth` held, each with the count the request reached there.
#[derive(Debug, Default)]
pub struct Unmatched {
    nth_counts: Vec<(usize, u64)>,
}

impl Stubs {
    /// The stubs, in order, none of them matched yet.
    pub fn new<'a>(stubs: impl IntoIterator<Item = &'a Stub>) -> Stubs {
        Stubs::of(
            stubs
                .into_iter()
                .map(|stub| Arc::new(Counted::new(stub)))
                .collect(),
        )
    }

    fn of(stubs: Vec<Arc<Counted>>) -> Stubs {
        let delayed = |then: &StubThen| then.delay.is_some_and(|d| d.latency.is_some());
        let holds_answers = stubs.iter().any(|counted| {
            let then = &counted.stub.then;
            delayed(then) || then.sequence.iter().any(delayed)
        });
        Stubs {
            stubs,
            holds_answers,
        }
    }

    /// Whether there is no stub at all.
    pub fn is_empty(&self) -> bool {
        self.stubs.is_empty()
    }

    /// Whether a stub (or a step of its sequence) holds its answer back: then a client that
    /// leaves meanwhile must not cut its request's work short.
    pub fn holds_answers(&self) -> bool {
        self.holds_answers
    }

    /// These stubs with `stub` inserted at position `at` (at the end when past it); the
    /// others keep their counts.
    pub fn with_inserted(&self, at: usize, stub: &Stub) -> Stubs {
        let mut stubs = self.stubs.clone();
        stubs.insert(at.min(stubs.len()), Arc::new(Counted::new(stub)));
        Stubs::of(stubs)
    }

    /// The stub that answers the request of `matcher`, counting the request in every stub it
    /// reaches whose conditions but `nth` it meets, and in the answering stub's answers.
    pub fn choose(&self, matcher: &Matcher<'_>) -> Choice<'_> {
        let mut unmatched = Unmatched::default();
        for (index, counted) in self.stubs.iter().enumerate() {
            let when = &counted.stub.when;
            if !matcher.matches(when) {
                continue;
            }
            let count = counted
                .met
                .fetch_add(1, Ordering::Relaxed)
                .saturating_add(1);
            if when.nth.is_some_and(|nth| nth != count) {
                unmatched.nth_counts.push((index, count));
                continue;
            }
            let answered = counted
                .answered
                .fetch_add(1, Ordering::Relaxed)
                .saturating_add(1);
            return Choice::Stub {
                index,
                then: step(&counted.stub.then, answered),
            };
        }
        Choice::Unmatched(unmatched)
    }

    /// Why no stub answered the request of `matcher` ([`Stubs::choose`] said `unmatched`),
    /// for a scenario that is `strict` or not.
    pub fn explain(&self, matcher: &Matcher<'_>, unmatched: &Unmatched, strict: bool) -> Miss {
        Miss {
            closest: near_miss::closest(self.whens(), matcher, &unmatched.nth_counts),
            strict,
        }
    }

    /// Every stub's `when`, in order.
    fn whens(&self) -> impl Iterator<Item = &StubWhen> {
        self.stubs.iter().map(|counted| &counted.stub.when)
    }
}

/// The answer to a stub's `answered`th request (from 1): `then` itself, or step
/// min(answered, len) of its sequence.
fn step(then: &StubThen, answered: u64) -> &StubThen {
    let sequence = &then.sequence;
    let index = usize::try_from(answered)
        .unwrap_or(usize::MAX)
        .min(sequence.len())
        .saturating_sub(1);
    sequence.get(index).unwrap_or(then)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::Request;
    use crate::oauth::store::TokenStore;
    use crate::scenario::ValueMatch;
    use crate::server::near_miss::{ClosestStub, FieldDiff};
    use crate::server::session_state::SessionStates;
    use crate::server::template::Fresh;
    use bytes::Bytes;
    use http::{HeaderMap, Method, StatusCode};
    use jiff::Timestamp;
    use std::sync::Arc;

    fn request(method: Method, target: &str) -> Request {
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
            None => (target.to_owned(), None),
        };
        Request {
            method,
            path,
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            origin: "http://127.0.0.1:1".to_owned(),
        }
    }

    fn stub(method: Option<Method>, path: &str, nth: Option<u64>, status: u16) -> Stub {
        Stub {
            when: StubWhen {
                method,
                path: path.to_owned(),
                query: Vec::new(),
                headers: Vec::new(),
                form: Vec::new(),
                session: None,
                nth,
            },
            then: StubThen {
                status: StatusCode::from_u16(status).ok(),
                headers: Vec::new(),
                body: None,
                passthrough: None,
                fault: None,
                delay: None,
                sequence: Vec::new(),
            },
        }
    }

    /// What a matcher reads besides the request.
    #[derive(Default)]
    struct Env {
        store: TokenStore,
        states: SessionStates,
        fresh: Fresh,
    }

    impl Env {
        async fn matcher<'a>(&'a self, request: &'a Request) -> Matcher<'a> {
            Matcher::read(
                request,
                &self.store,
                Timestamp::now(),
                &self.states,
                &self.fresh,
            )
            .await
        }

        /// The status the stubs answer `method target` with; `None` when none answers.
        async fn status(&self, stubs: &Stubs, method: Method, target: &str) -> Option<u16> {
            let request = request(method, target);
            let matcher = self.matcher(&request).await;
            stubs
                .choose(&matcher)
                .then()
                .and_then(|then| then.status)
                .map(|s| s.as_u16())
        }

        /// Why no stub answers `method target`.
        async fn miss(&self, stubs: &Stubs, method: Method, target: &str) -> Miss {
            let request = request(method, target);
            let matcher = self.matcher(&request).await;
            match stubs.choose(&matcher) {
                Choice::Unmatched(unmatched) => stubs.explain(&matcher, &unmatched, true),
                Choice::Stub { index, .. } => panic!("stub {index} answered {target}"),
            }
        }
    }

    #[tokio::test]
    async fn nth_counts_per_stub_and_the_first_answering_stub_wins() {
        let env = Env::default();
        let stubs = Stubs::new(&[
            stub(Some(Method::GET), "/a/", Some(2), 429),
            stub(None, "/a", None, 503),
        ]);
        // 1st GET: the nth stub counts it but does not answer; the catch-all does.
        assert_eq!(env.status(&stubs, Method::GET, "/a").await, Some(503));
        assert_eq!(env.status(&stubs, Method::GET, "/a/").await, Some(429));
        assert_eq!(env.status(&stubs, Method::GET, "/a/").await, Some(503));
        // Other methods never reach the first stub's count.
        assert_eq!(env.status(&stubs, Method::POST, "/a/").await, Some(503));
        assert_eq!(env.status(&stubs, Method::GET, "/b/").await, None);
    }

    #[tokio::test]
    async fn nth_counts_only_requests_that_meet_every_other_condition() {
        let env = Env::default();
        let mut carrier = stub(None, "/eob", Some(2), 429);
        carrier.when.query = vec![("type".into(), ValueMatch::Matches("carrier".into()))];
        let stubs = Stubs::new(&[carrier]);
        assert_eq!(
            env.status(&stubs, Method::GET, "/eob?type=carrier").await,
            None
        );
        assert_eq!(env.status(&stubs, Method::GET, "/eob?type=pde").await, None);
        assert_eq!(env.status(&stubs, Method::GET, "/eob").await, None);
        assert_eq!(
            env.status(&stubs, Method::GET, "/eob?type=carrier").await,
            Some(429)
        );
        assert_eq!(
            env.status(&stubs, Method::GET, "/eob?type=carrier").await,
            None
        );
    }

    fn sequence(statuses: &[u16]) -> Stub {
        let mut stub = stub(None, "/s", None, 200);
        stub.then.sequence = statuses
            .iter()
            .map(|status| StubThen {
                status: StatusCode::from_u16(*status).ok(),
                ..StubThen::default()
            })
            .collect();
        stub
    }

    #[tokio::test]
    async fn a_sequence_answers_its_steps_in_turn_and_repeats_the_last() {
        let env = Env::default();
        let stubs = Stubs::new(&[sequence(&[500, 502, 201])]);
        let mut answers = Vec::new();
        for _ in 0..5 {
            answers.push(env.status(&stubs, Method::GET, "/s").await);
        }
        assert_eq!(
            answers,
            [Some(500), Some(502), Some(201), Some(201), Some(201)]
        );
        // Requests the stub does not answer do not advance it.
        assert_eq!(env.status(&stubs, Method::GET, "/other").await, None);
        let again = Stubs::new(&[sequence(&[500, 502])]);
        assert_eq!(env.status(&again, Method::GET, "/s").await, Some(500));
    }

    #[test]
    fn steps_of_a_sequence() {
        let stub = sequence(&[500, 502]);
        let status = |k: u64| step(&stub.then, k).status.map(|s| s.as_u16());
        assert_eq!(status(1), Some(500));
        assert_eq!(status(2), Some(502));
        assert_eq!(status(u64::MAX), Some(502));
        // Without a sequence, the `then` itself.
        let plain = stub_plain();
        assert_eq!(step(&plain.then, 7).status.map(|s| s.as_u16()), Some(204));
    }

    fn stub_plain() -> Stub {
        stub(None, "/", None, 204)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_requests_each_get_their_own_step_and_count() {
        let steps: Vec<u16> = (200..264).collect();
        let stubs = Arc::new(Stubs::new(&[
            stub(None, "/s", Some(40), 299),
            sequence(&steps),
        ]));
        let env = Arc::new(Env::default());
        let tasks: Vec<_> = (0..steps.len() + 1)
            .map(|_| {
                let (stubs, env) = (Arc::clone(&stubs), Arc::clone(&env));
                tokio::spawn(async move { env.status(&stubs, Method::GET, "/s").await })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap().unwrap());
        }
        answers.sort_unstable();
        // Exactly one request was the 40th; the others took each step exactly once.
        let mut expected = steps.clone();
        expected.push(299);
        expected.sort_unstable();
        assert_eq!(answers, expected);
    }

    #[tokio::test]
    async fn a_miss_names_the_closest_stub_and_every_condition_it_misses() {
        let env = Env::default();
        let mut token = stub(Some(Method::POST), "/v2/o/token/", None, 500);
        token.when.form = vec![(
            "grant_type".into(),
            ValueMatch::Matches("refresh_token".into()),
        )];
        let mut eob = stub(
            Some(Method::GET),
            "/v2/fhir/ExplanationOfBenefit/",
            None,
            500,
        );
        eob.when.query = vec![("type".into(), ValueMatch::Matches("carrier".into()))];
        let stubs = Stubs::new(&[token, eob]);
        let miss = env
            .miss(
                &stubs,
                Method::GET,
                "/v2/fhir/ExplanationOfBenefitX/?type=pde",
            )
            .await;
        assert_eq!(
            miss,
            Miss {
                closest: Some(ClosestStub {
                    index: 1,
                    diffs: vec![
                        FieldDiff {
                            field: "path".into(),
                            expected: "/v2/fhir/ExplanationOfBenefit/".into(),
                            actual: Some("/v2/fhir/ExplanationOfBenefitX/".into()),
                        },
                        FieldDiff {
                            field: "query.type".into(),
                            expected: "carrier".into(),
                            actual: Some("pde".into()),
                        },
                    ],
                }),
                strict: true,
            }
        );
        assert_eq!(
            miss.to_string(),
            "closest stub: stubs[1], unmet: path, query.type"
        );
        // Ties go to the first stub.
        let tie = env.miss(&stubs, Method::PUT, "/nowhere").await;
        assert_eq!(tie.closest.map(|closest| closest.index), Some(0));
        let none = Stubs::new(&[]);
        let miss = env.miss(&none, Method::GET, "/").await;
        assert_eq!(miss.closest, None);
        assert_eq!(miss.to_string(), "no stub is defined");
    }

    #[tokio::test]
    async fn a_stub_missed_by_its_nth_alone_is_the_closest_with_the_count_reached() {
        let env = Env::default();
        let stubs = Stubs::new(&[
            stub(Some(Method::POST), "/y", None, 500),
            stub(None, "/x", Some(3), 500),
        ]);
        let miss = env.miss(&stubs, Method::GET, "/x").await;
        assert_eq!(
            miss.closest,
            Some(ClosestStub {
                index: 1,
                diffs: vec![FieldDiff {
                    field: "nth".into(),
                    expected: "3".into(),
                    actual: Some("1".into()),
                }],
            })
        );
    }
}

//! Whether and when a failed upstream attempt is retried.
//!
//! A route's [`RetryPolicy`] answers, after each failed try, with the wait
//! before the next one or the reason to stop. A retry needs all of: a
//! failure the route retries on (`connect`, `reset`, `timeout`, or a listed
//! 5xx status); a method the route allows (by default the idempotent ones,
//! RFC 9110 section 9.2.2); a request body that can be sent again (it never
//! went past the `body_buffer` bytes the proxy keeps); tries left; time
//! left before the overall `deadline` once the backoff is slept; and, last,
//! a token from the shared [`RetryBudget`], so a refused retry for any other
//! reason costs no budget. The proxy then sends the retry to a different
//! target when one is usable (it excludes the tried ones in
//! [`crate::balance::Balancer::pick`], and falls back to them if none is left).

use super::backoff::Backoff;
use super::budget::RetryBudget;
use super::{nanos, Nanos};
use crate::config::{Retry, RetryOn};

/// How an upstream try failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The connection could not be established (refused, unreachable,
    /// connect timeout).
    Connect,
    /// The connection was reset or closed before a whole response head.
    Reset,
    /// No response head within the per-try timeout.
    Timeout,
    /// A response with this status.
    Status(u16),
}

/// Why a failed request is not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The route does not retry this kind of failure.
    NotRetryable,
    /// The method is not one the route retries.
    Method,
    /// The body was streamed past the replay buffer.
    Body,
    /// Every attempt has been made.
    Attempts,
    /// The overall deadline would pass before the next try.
    Deadline,
    /// The shared retry budget is spent.
    Budget,
}

/// What the proxy knows about a request when one of its tries failed.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// Tries made so far, the failed one included (1 after the first).
    pub tries: u32,
    /// The request method.
    pub method: &'a [u8],
    /// Whether the whole body so far is still buffered (or there is none).
    pub body_replayable: bool,
    /// When the first try started.
    pub started: Nanos,
}

/// A route's retry rules, built from its `retry` table.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    attempts: u32,
    on: Box<[RetryOn]>,
    methods: Box<[Box<[u8]>]>,
    backoff: Backoff,
    per_try_timeout: Option<Nanos>,
    deadline: Option<Nanos>,
    body_buffer: u64,
}

impl RetryPolicy {
    /// The policy of a validated `retry` table.
    pub fn from_config(config: &Retry) -> RetryPolicy {
        RetryPolicy {
            attempts: config.attempts,
            on: config.on.clone().into_boxed_slice(),
            methods: config.methods.iter().map(|m| m.as_bytes().into()).collect(),
            backoff: Backoff::new(config.backoff, config.max_backoff),
            per_try_timeout: config.per_try_timeout.map(nanos),
            deadline: config.deadline.map(nanos),
            body_buffer: config.body_buffer,
        }
    }

    /// Tries in all, the first included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Bytes of request body the proxy keeps to be able to send it again.
    pub fn body_buffer(&self) -> u64 {
        self.body_buffer
    }

    /// Time one try may take to get a response head, if the route sets one
    /// (else the upstream's `response_timeout` applies).
    pub fn per_try_timeout(&self) -> Option<Nanos> {
        self.per_try_timeout
    }

    /// Time all tries together may take, if the route sets one.
    pub fn deadline(&self) -> Option<Nanos> {
        self.deadline
    }

    /// The backoff between tries.
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// Whether the route retries this kind of failure.
    pub fn retries_on(&self, failure: FailureKind) -> bool {
        self.on.iter().any(|on| {
            matches!(
                (on, failure),
                (RetryOn::Connect, FailureKind::Connect)
                    | (RetryOn::Reset, FailureKind::Reset)
                    | (RetryOn::Timeout, FailureKind::Timeout)
            ) || matches!((on, failure), (RetryOn::Status(a), FailureKind::Status(b)) if *a == b)
        })
    }

    /// Whether the route retries requests with this method.
    pub fn retries_method(&self, method: &[u8]) -> bool {
        self.methods.iter().any(|m| **m == *method)
    }

    /// After a failed try at `now`: the wait before the next try, or why
    /// there is none. Withdraws from `budget` (if any) only when everything
    /// else allows the retry. `random` feeds the backoff's jitter.
    pub fn next(
        &self,
        attempt: &Attempt<'_>,
        failure: FailureKind,
        budget: Option<&RetryBudget>,
        now: Nanos,
        random: u64,
    ) -> Result<Nanos, Stop> {
        if !self.retries_on(failure) {
            return Err(Stop::NotRetryable);
        }
        if !self.retries_method(attempt.method) {
            return Err(Stop::Method);
        }
        if !attempt.body_replayable {
            return Err(Stop::Body);
        }
        if attempt.tries >= self.attempts {
            return Err(Stop::Attempts);
        }
        let delay = self.backoff.delay(attempt.tries, random);
        if let Some(deadline) = self.deadline {
            if now.saturating_add(delay) >= attempt.started.saturating_add(deadline) {
                return Err(Stop::Deadline);
            }
        }
        if budget.is_some_and(|b| !b.try_withdraw(now)) {
            return Err(Stop::Budget);
        }
        Ok(delay)
    }
}

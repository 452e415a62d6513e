//! Exponential backoff with full jitter, capped.
//!
//! Before retry `n` (1 for the first retry) the proxy waits a uniformly
//! random time in `0..=min(max, base × 2^(n-1))` ("full jitter", from AWS's
//! "Exponential Backoff and Jitter"): the spread keeps retries of many
//! clients that failed together from arriving together again. The caller
//! passes the random number, so the function is pure and tests are exact.

use std::time::Duration;

use super::{nanos, Nanos};

/// Backoff parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base: Nanos,
    max: Nanos,
}

impl Backoff {
    /// Waits of up to `base × 2^(n-1)`, never more than `max`.
    pub fn new(base: Duration, max: Duration) -> Backoff {
        let base = nanos(base);
        Backoff {
            base,
            max: nanos(max).max(base),
        }
    }

    /// The upper bound of the wait before retry `retry` (1-based).
    pub fn ceiling(&self, retry: u32) -> Nanos {
        let doublings = retry.saturating_sub(1).min(63);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    /// The wait before retry `retry` (1-based), given a uniformly random
    /// `random`: `random` scaled onto `0..=ceiling(retry)`.
    pub fn delay(&self, retry: u32, random: u64) -> Nanos {
        let span = u128::from(self.ceiling(retry)) + 1;
        ((u128::from(random) * span) >> 64) as u64
    }
}

//! A retry budget shared by all shards: retries may be at most a fraction of
//! requests, plus a small floor (Finagle's `RetryBudget`, Envoy's
//! `retry_budget`).
//!
//! Every request deposits `ratio` of a token (0.2 for `budget = "20%"`);
//! every retry withdraws a whole one and is refused when the balance has
//! less. The balance decays exponentially with time constant [`BUDGET_TTL`],
//! so it holds about `ratio × (requests in the last TTL)`: what healthy
//! traffic earned long ago cannot pay for a retry storm now, and an idle
//! route's balance fades to nothing. Under that, a floor of
//! `min_retries_per_sec` (a GCRA limit with a one-second burst) lets a
//! quiet route still retry a little. Balance and decay stamp share one
//! atomic word, updated by compare-exchange, so a withdrawal is exact: `n`
//! tokens pay for exactly `n` retries however many shards race for them.
//!
//! ```text
//! balance (milli-tokens):40 | last update (units of 16.8 ms, wrapping):24
//! ```
//!
//! A deposit is a write to a cache line every shard shares; a shard may
//! batch them ([`RetryBudget::deposit`] takes a count). The stamp wraps
//! every 78 hours; a budget untouched that long may decay less than it
//! should, which the decay of its next few updates makes good.

use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::gcra::{Gcra, Limit};
use super::sync::{update, AtomicU64, Ordering};
use super::{nanos, Nanos};

/// Time constant of the balance's decay (Finagle's default TTL).
pub const BUDGET_TTL: Duration = Duration::from_secs(10);

const MILLI: u64 = 1000;
const STAMP_BITS: u32 = 24;
const STAMP_MASK: u64 = (1 << STAMP_BITS) - 1;
const STAMP_UNIT_SHIFT: u32 = 24;
const BALANCE_MAX: u64 = (1 << 40) - 1;

/// A retry budget: a decaying token balance plus a per-second floor.
#[derive(Debug)]
pub struct RetryBudget {
    word: CachePadded<AtomicU64>,
    /// Milli-tokens deposited per request.
    deposit: u64,
    floor: Option<Gcra>,
    ttl: f64,
}

impl RetryBudget {
    /// `ratio` of a token per request (clamped to `0..=1`), and
    /// `min_retries_per_sec` retries a second regardless (0: no floor).
    pub fn new(ratio: f64, min_retries_per_sec: u32) -> RetryBudget {
        let floor = (min_retries_per_sec > 0).then(|| {
            Gcra::new(Limit::new(
                min_retries_per_sec,
                Duration::from_secs(1),
                min_retries_per_sec,
            ))
        });
        RetryBudget {
            word: CachePadded::new(AtomicU64::new(0)),
            deposit: (ratio.clamp(0.0, 1.0) * MILLI as f64).round() as u64,
            floor,
            ttl: nanos(BUDGET_TTL) as f64,
        }
    }

    /// Credits `requests` requests (first attempts, not retries) at `now`.
    pub fn deposit(&self, now: Nanos, requests: u32) {
        let amount = self.deposit.saturating_mul(u64::from(requests));
        if amount == 0 {
            return;
        }
        self.update(now, |balance| Some(balance.saturating_add(amount)));
    }

    /// Takes one retry from the budget at `now`: from the balance if it
    /// holds a whole token, else from the floor. `false`: don't retry.
    pub fn try_withdraw(&self, now: Nanos) -> bool {
        let paid = self.update(now, |balance| balance.checked_sub(MILLI));
        paid || self.floor.as_ref().is_some_and(|f| f.check(now).allowed)
    }

    /// The balance in tokens at `now` (for metrics and tests).
    pub fn balance(&self, now: Nanos) -> f64 {
        let w = self.word.load(Ordering::Acquire);
        self.decayed(w, now) as f64 / MILLI as f64
    }

    /// Decays the balance to `now`, applies `change`, stores the result
    /// stamped `now`; `false` if `change` said no (or contention lasted).
    fn update(&self, now: Nanos, change: impl Fn(u64) -> Option<u64>) -> bool {
        let stamp = (now >> STAMP_UNIT_SHIFT) & STAMP_MASK;
        update(&self.word, false, |w| match change(self.decayed(w, now)) {
            Some(balance) => Ok((balance.min(BALANCE_MAX) << STAMP_BITS | stamp, true)),
            None => Err(false),
        })
    }

    /// The balance of word `w`, in milli-tokens, decayed to `now`.
    fn decayed(&self, w: u64, now: Nanos) -> u64 {
        let balance = w >> STAMP_BITS;
        let elapsed = ((now >> STAMP_UNIT_SHIFT).wrapping_sub(w) & STAMP_MASK) << STAMP_UNIT_SHIFT;
        if elapsed == 0 || balance == 0 {
            return balance;
        }
        (balance as f64 * (-(elapsed as f64) / self.ttl).exp()).round() as u64
    }
}

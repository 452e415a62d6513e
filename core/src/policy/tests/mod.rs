//! Unit tests of the policy state machines, with explicit times; property
//! and multi-threaded tests of the rate limiter are in [`props`].

use std::time::Duration;

mod backoff;
mod breaker;
mod budget;
mod carry;
mod concurrency;
mod gcra;
mod headers;
mod health;
mod props;
mod retry;
mod table;
mod target_state;

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

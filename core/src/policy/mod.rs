//! Traffic policies and the few facts every shard must share: rate limits,
//! concurrency limits, circuit breakers, retry budgets, target health.
//!
//! Shards share nothing on the request path except these facts, which must
//! hold for the whole gateway (DESIGN.md principle 2): how many requests a
//! client has made ([`Gcra`], [`RateTable`]), how many are in flight
//! ([`InFlight`]), whether a target is failing ([`Breaker`], [`ActiveHealth`],
//! [`Outlier`]), how many retries the fleet may still spend
//! ([`RetryBudget`]). Each is one lock-free atomic word (or one per key or
//! per target), padded to its own cache line, reached through the immutable
//! [`Policies`] in the config snapshot's `Arc`, and updated with bounded
//! compare-exchange loops: nothing blocks, nothing allocates per request.
//! The pure parts ([`Backoff`], [`RetryPolicy`], the header values in
//! [`headers`]) sit next to them.
//!
//! Nothing here reads a clock: every call takes `now` as [`Nanos`],
//! nanoseconds since an epoch the caller fixes once per process (say, an
//! `Instant` taken at startup), so every decision is reproducible in tests.
//! All shards must use the same epoch. Unit tests are in `tests/`; loom
//! model checks of the atomics in `loom.rs` (`--cfg loom`).

mod backoff;
mod breaker;
mod budget;
mod concurrency;
mod gcra;
pub mod headers;
mod health;
mod limiter;
mod outlier;
mod policies;
mod retry;
mod sync;
mod table;
mod target_state;

#[cfg(all(test, loom))]
mod loom;
#[cfg(all(test, not(loom)))]
mod tests;

use std::time::Duration;

pub use backoff::Backoff;
pub use breaker::{
    Breaker, BreakerState, Permit, Rejected, Transition, MAX_CONSECUTIVE_FAILURES,
    MAX_HALF_OPEN_PROBES, MAX_MIN_REQUESTS,
};
pub use budget::{RetryBudget, BUDGET_TTL};
pub use concurrency::{InFlight, InFlightGuard};
pub use gcra::{Decision, Gcra, Limit};
pub use headers::{retry_after_secs, PolicyHeader, RateLimitHeader};
pub use health::{is_healthy_status, ActiveHealth, HealthChange};
pub use limiter::RateLimiter;
pub use outlier::{Outlier, OutlierSettings, MAX_OUTLIER_STREAK};
pub use policies::{
    limiter_id, same_route_policies, same_upstream_state, Policies, RoutePolicies, GLOBAL_LIMITER,
};
pub use retry::{Attempt, FailureKind, RetryPolicy, Stop};
pub use table::{RateTable, MAX_BURST_WINDOW, SKEW_SLACK, WAYS};
pub use target_state::{Events, TargetState, UpstreamState};

/// Nanoseconds since the caller's process epoch: the time every policy takes.
pub type Nanos = u64;

/// A duration in [`Nanos`], saturating (at 584 years).
pub fn nanos(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

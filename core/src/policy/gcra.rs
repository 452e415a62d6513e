//! GCRA, the generic cell rate algorithm: a rate limit in one word.
//!
//! A [`Limit`] allows `quota` requests per `window` with bursts of up to
//! `burst` requests. GCRA (ITU-T I.371, the "virtual scheduling" form) keeps
//! a single number per key, the theoretical arrival time (TAT): when the
//! next request would be due if requests came exactly at the rate. A request
//! at `now` is admitted when `max(TAT, now) + T - now <= burst × T`, where
//! `T = window / quota` is the emission interval, and then pushes TAT to
//! `max(TAT, now) + T`. It is a token bucket of `burst` tokens refilled one
//! per `T`, without a refill timer, and it gives everything the RateLimit
//! headers need: how many requests are left now and when the bucket is full
//! again. In any interval of length `t`, at most `t / T + burst` requests are
//! admitted (`rate × t + burst`), for every arrival pattern.
//!
//! [`Gcra`] is one such key in one `AtomicU64` shared by every shard: a
//! check is one load plus, when admitted, one compare-exchange, so a limit
//! holds exactly for the whole process however requests spread over shards.
//! Many keys (one per client) live in [`super::table::RateTable`] instead.
//! Times are [`Nanos`] since the caller's epoch.

use std::time::Duration;

use crossbeam_utils::CachePadded;

use super::sync::{update, AtomicU64};
use super::{nanos, Nanos};
use crate::config::RateLimit;

/// The parameters of one rate limit: `quota` per `window`, bursts of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    quota: u32,
    window: Nanos,
    burst: u32,
    /// `T = window / quota`, rounded up so the limit never admits more than
    /// configured.
    emission: Nanos,
}

impl Limit {
    /// `quota` requests per `window`, bursts of up to `burst` at once.
    /// `quota` and `burst` below 1 count as 1; `burst × T` saturates.
    pub fn new(quota: u32, window: Duration, burst: u32) -> Limit {
        let quota = quota.max(1);
        let window = nanos(window).max(1);
        Limit {
            quota,
            window,
            burst: burst.max(1),
            emission: window.div_ceil(u64::from(quota)),
        }
    }

    /// The limit a validated `rate_limit` table describes.
    pub fn from_config(config: &RateLimit) -> Limit {
        Limit::new(config.rate.count, config.rate.per, config.burst)
    }

    /// Requests per window (the `q` of `RateLimit-Policy`).
    pub fn quota(&self) -> u32 {
        self.quota
    }

    /// The window in whole seconds, rounded up, at least 1 (the `w` of
    /// `RateLimit-Policy`).
    pub fn window_secs(&self) -> u64 {
        self.window.div_ceil(1_000_000_000).max(1)
    }

    /// Requests admitted at once after a quiet period.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// `T`: the time one request "costs", `window / quota`.
    pub fn emission_interval(&self) -> Nanos {
        self.emission
    }
}

/// The outcome of one rate-limit check, with what the response headers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on (otherwise: 429).
    pub allowed: bool,
    /// Requests that would still be admitted right now after this one
    /// (the `r` of the `RateLimit` header).
    pub remaining: u32,
    /// When rejected: time until a request would be admitted (`Retry-After`);
    /// 0 when allowed.
    pub retry_after: Nanos,
    /// Time until the whole burst is available again.
    pub reset_after: Nanos,
}

/// One GCRA step in any time unit: the decision and, when admitted, the new
/// TAT. `t` is the emission interval and `burst >= 1`.
pub(super) fn step(tat: u64, now: u64, t: u64, burst: u32) -> (Decision, Option<u64>) {
    let base = tat.max(now);
    let next = base.saturating_add(t);
    let window = t.saturating_mul(u64::from(burst));
    let used = next - now;
    if used <= window {
        let remaining = ((window - used) / t.max(1)).min(u64::from(u32::MAX)) as u32;
        let decision = Decision {
            allowed: true,
            remaining,
            retry_after: 0,
            reset_after: used,
        };
        (decision, Some(next))
    } else {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            retry_after: used - window,
            reset_after: base - now,
        };
        (decision, None)
    }
}

/// The answer when a CAS loop ran out of attempts: reject, as if the bucket
/// were empty, so contention can never admit more than the limit.
pub(super) fn contended(t: u64, burst: u32) -> Decision {
    Decision {
        allowed: false,
        remaining: 0,
        retry_after: t,
        reset_after: t.saturating_mul(u64::from(burst)),
    }
}

/// One rate-limited key shared by all shards: the TAT in one atomic word.
#[derive(Debug)]
pub struct Gcra {
    limit: Limit,
    /// Theoretical arrival time in nanoseconds; 0 means "full burst".
    tat: CachePadded<AtomicU64>,
}

impl Gcra {
    /// A key with a full burst available.
    pub fn new(limit: Limit) -> Gcra {
        Gcra {
            limit,
            tat: CachePadded::new(AtomicU64::new(0)),
        }
    }

    /// The limit this key enforces.
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Checks (and, when admitted, counts) one request at `now`.
    ///
    /// Lock-free: a rejection is one load; an admission is a load and a
    /// compare-exchange, retried while another shard's update lands in
    /// between (a bounded number of times, then rejected). The
    /// TAT is the only state and nothing else is published through it, but
    /// acquire/release keeps the reasoning simple at no cost on x86.
    pub fn check(&self, now: Nanos) -> Decision {
        let Limit {
            emission, burst, ..
        } = self.limit;
        update(&self.tat, contended(emission, burst), |tat| {
            let (decision, next) = step(tat, now, emission, burst);
            next.map(|next| (next, decision)).ok_or(decision)
        })
    }
}

//! Choosing the target of one try and reporting how the try went, through
//! the shared per-target state (breaker, health, outlier ejection).
//!
//! [`choose`] asks the shard's balancer for a target that is usable now
//! (healthy, not ejected, breaker closed or ready for a probe) and not yet
//! tried by this request, falls back to an already tried one when nothing
//! else is left, and takes the target's breaker permit (another shard may
//! have taken the last half-open probe: then it picks again). When no
//! target is usable at all the request fails at once with 503
//! ([`Failure::CircuitOpen`]), without touching the network. [`Outcome`]
//! closes the try: breaker and outlier bookkeeping, the balancer's
//! in-flight count and latency sample, and the log line and metrics of any
//! breaker transition or ejection.

use crate::metrics::ShardMetrics;
use ringgate_core::balance::Balancer;
use ringgate_core::policy::{Events, Nanos, Permit, UpstreamState};
use ringgate_core::status::Failure;
use std::net::SocketAddr;
use tracing::warn;

/// The upstream a request goes to, as this shard sees it.
pub struct UpstreamRef<'a> {
    /// Index in the config.
    pub index: usize,
    /// Its name, for logs.
    pub name: &'a str,
    /// This shard's balancer over its targets.
    pub balancer: &'a Balancer,
    /// The shared state of its targets.
    pub state: &'a UpstreamState,
    /// The request's view's metrics (indexed like `index`).
    pub metrics: &'a crate::metrics::ShardMetrics,
}

/// A target chosen for one try, with its breaker permit.
pub struct Chosen {
    /// Target index in the upstream.
    pub index: usize,
    permit: Permit,
    /// When the try started.
    pub started: Nanos,
}

/// Pick a target for a try of a request that already tried `tried`.
pub fn choose(
    up: &UpstreamRef<'_>,
    key: Option<&[u8]>,
    tried: &[usize],
    now: Nanos,
) -> Result<Chosen, Failure> {
    let (balancer, state) = (up.balancer, up.state);
    let mut refused: u64 = 0;
    let is_refused = |i: usize, refused: u64| i < 64 && refused & (1 << i) != 0;
    // Each round either returns or refuses one more target: bounded.
    for _ in 0..=state.len() {
        let fresh = balancer.pick(key, &|i| {
            !state.usable(i, now) || is_refused(i, refused) || tried.contains(&i)
        });
        let pick = fresh
            .or_else(|| balancer.pick(key, &|i| !state.usable(i, now) || is_refused(i, refused)));
        let Some(index) = pick else {
            break;
        };
        match state.allow(index, now) {
            Ok(permit) => {
                balancer.started(index);
                return Ok(Chosen {
                    index,
                    permit,
                    started: now,
                });
            }
            Err(_) if index < 64 => refused |= 1 << index,
            Err(_) => break,
        }
    }
    Err(if state.is_empty() {
        Failure::NoTarget
    } else {
        Failure::CircuitOpen
    })
}

/// How a try ended, as the breaker and outlier detection count it.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// A response that is not a server error.
    Success,
    /// A connect failure, reset, timeout or 5xx response.
    Failure,
    /// Neither: the client went away before the try had a verdict.
    Abandoned,
}

/// Close the try on `chosen` with `outcome` at `now`.
pub fn finish(
    up: &UpstreamRef<'_>,
    addr: SocketAddr,
    chosen: Chosen,
    outcome: Outcome,
    now: Nanos,
) {
    let (balancer, state) = (up.balancer, up.state);
    let Chosen {
        index,
        permit,
        started,
    } = chosen;
    balancer.finished(index);
    let events = match outcome {
        Outcome::Success => state.on_success(index, permit, now),
        Outcome::Failure => state.on_failure(index, permit, now),
        Outcome::Abandoned => {
            state.on_abandoned(index, permit);
            return;
        }
    };
    balancer.record_latency(index, now.saturating_sub(started), now);
    report(up.metrics, (up.index, up.name), addr, events);
}

fn report(metrics: &ShardMetrics, (ui, name): (usize, &str), target: SocketAddr, events: Events) {
    if let Some(t) = events.breaker {
        warn!(
            upstream = name,
            %target,
            from = t.from.as_str(),
            to = t.to.as_str(),
            "circuit breaker transition"
        );
        metrics.policy.breaker(ui, t);
    }
    if let Some(ns) = events.ejected_for {
        warn!(
            upstream = name,
            %target,
            ejected_for_ms = ns / 1_000_000,
            "target ejected after consecutive failures"
        );
        metrics.policy.ejected(ui);
    }
}

//! The shared state of an upstream's targets: breaker, active health,
//! outlier ejection and in-flight count per target, bundled so the proxy
//! asks one question per target, "usable now?", and reports one outcome per
//! request.
//!
//! An [`UpstreamState`] is built from a validated [`Upstream`] once per
//! config and shared by all shards in the snapshot's `Arc`; its targets are
//! in the config's order, so target `i` here is target `i` of the shard's
//! [`crate::balance::Balancer`]. The request path is:
//!
//! 1. `balancer.pick(key, &|i| !state.usable(i, now) || tried(i))`; `None`
//!    with [`UpstreamState::any_usable`] false means every target is open,
//!    ejected or unhealthy: answer 503 at once.
//! 2. [`UpstreamState::allow`] takes a breaker permit (it can still say no:
//!    another shard may have taken the last half-open probe; pick again).
//! 3. After the try, [`UpstreamState::on_success`] or
//!    [`UpstreamState::on_failure`] with the permit; log and count the
//!    returned [`Events`].

use crossbeam_utils::CachePadded;

use super::breaker::{Breaker, Permit, Rejected, Transition};
use super::concurrency::InFlight;
use super::health::{ActiveHealth, HealthChange};
use super::outlier::{Outlier, OutlierSettings};
use super::sync::{AtomicU32, Ordering};
use super::Nanos;
use crate::config::Upstream;

/// What one target's shared state holds.
#[derive(Debug)]
pub struct TargetState {
    /// The circuit breaker (never trips without `circuit_breaker`).
    pub breaker: Breaker,
    /// The active-check verdict (always healthy without `health_check`).
    pub health: ActiveHealth,
    /// Passive outlier ejection (never ejects without `outlier`).
    pub outlier: Outlier,
    in_flight: AtomicU32,
}

impl TargetState {
    /// Whether the balancer may pick this target at `now`: healthy, not
    /// ejected, breaker closed or ready for a probe. Loads only.
    pub fn usable(&self, now: Nanos) -> bool {
        self.health.is_healthy() && !self.outlier.is_ejected(now) && self.breaker.is_available(now)
    }

    /// Requests in flight to this target across all shards.
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Acquire)
    }
}

/// What happened to a target because of one outcome, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Events {
    /// The breaker changed state.
    pub breaker: Option<Transition>,
    /// The target was ejected for this long.
    pub ejected_for: Option<Nanos>,
}

/// Shared state of all targets of one upstream.
#[derive(Debug)]
pub struct UpstreamState {
    targets: Box<[CachePadded<TargetState>]>,
    outlier: Option<OutlierSettings>,
    /// Places for ejected targets.
    ejections: InFlight,
    in_flight: Option<InFlight>,
}

impl UpstreamState {
    /// Fresh state (breakers closed, targets healthy and in) for `upstream`.
    pub fn new(upstream: &Upstream) -> UpstreamState {
        let targets = upstream
            .targets
            .iter()
            .map(|_| {
                CachePadded::new(TargetState {
                    breaker: upstream
                        .circuit_breaker
                        .as_ref()
                        .map_or_else(Breaker::disabled, Breaker::new),
                    health: upstream
                        .health_check
                        .as_ref()
                        .map_or_else(|| ActiveHealth::with_thresholds(1, 1), ActiveHealth::new),
                    outlier: Outlier::new(),
                    in_flight: AtomicU32::new(0),
                })
            })
            .collect::<Box<[_]>>();
        let outlier = upstream.outlier.as_ref().map(OutlierSettings::new);
        let max_ejected = outlier.map_or(0, |o| o.max_ejected(targets.len()));
        UpstreamState {
            outlier,
            ejections: InFlight::new(max_ejected),
            in_flight: upstream
                .concurrency
                .as_ref()
                .map(|c| InFlight::new(c.max_in_flight)),
            targets,
        }
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no targets.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Target `i`'s state; `None` out of range.
    pub fn target(&self, i: usize) -> Option<&TargetState> {
        self.targets.get(i).map(|t| &**t)
    }

    /// The upstream-wide in-flight limit, if `concurrency` is set.
    pub fn in_flight_limit(&self) -> Option<&InFlight> {
        self.in_flight.as_ref()
    }

    /// Targets ejected (or holding an ejection place) now.
    pub fn ejected(&self) -> u32 {
        self.ejections.current()
    }

    /// The balancer's predicate: whether target `i` may be picked at `now`.
    pub fn usable(&self, i: usize, now: Nanos) -> bool {
        self.target(i).is_some_and(|t| t.usable(now))
    }

    /// Whether any target is usable at `now` (if not: 503 without trying).
    pub fn any_usable(&self, now: Nanos) -> bool {
        self.targets.iter().any(|t| t.usable(now))
    }

    /// Takes target `i`'s breaker permit for one try at `now` and counts the
    /// try in flight. Every `Ok` must end in [`UpstreamState::on_success`],
    /// [`UpstreamState::on_failure`] or [`UpstreamState::on_abandoned`].
    pub fn allow(&self, i: usize, now: Nanos) -> Result<Permit, Rejected> {
        let target = self.target(i).ok_or(Rejected { retry_after: 0 })?;
        let permit = target.breaker.allow(now)?;
        target.in_flight.fetch_add(1, Ordering::AcqRel);
        Ok(permit)
    }

    /// The try on target `i` succeeded (a response the route does not count
    /// as failure).
    pub fn on_success(&self, i: usize, permit: Permit, now: Nanos) -> Events {
        let Some(target) = self.target(i) else {
            return Events::default();
        };
        finished(target);
        if let Some(settings) = &self.outlier {
            target.outlier.on_success(now, settings);
        }
        Events {
            breaker: target.breaker.on_success(permit, now),
            ejected_for: None,
        }
    }

    /// The try on target `i` failed: connect failure, reset, timeout, or a
    /// 5xx. Trips the breaker and ejects the target as their rules say.
    pub fn on_failure(&self, i: usize, permit: Permit, now: Nanos) -> Events {
        let Some(target) = self.target(i) else {
            return Events::default();
        };
        finished(target);
        let breaker = target.breaker.on_failure(permit, now);
        let ejected_for = self
            .outlier
            .as_ref()
            .filter(|s| target.outlier.on_failure(now, s))
            .and_then(|s| self.eject(target, now, s));
        Events {
            breaker,
            ejected_for,
        }
    }

    /// The try on target `i` ended without a verdict (the client went away
    /// first): it leaves the in-flight count and counts for nothing else. An
    /// abandoned half-open probe is replaced after `open_for`.
    pub fn on_abandoned(&self, i: usize, permit: Permit) {
        let _ = permit;
        if let Some(target) = self.target(i) {
            finished(target);
        }
    }

    /// Records an active health check of target `i`.
    pub fn record_health(&self, i: usize, passed: bool) -> Option<HealthChange> {
        self.target(i)?.health.record(passed)
    }

    /// Ejects `target` if a place is free, after freeing the places of
    /// ejections that are over.
    fn eject(&self, target: &TargetState, now: Nanos, s: &OutlierSettings) -> Option<Nanos> {
        for t in self.targets.iter() {
            if t.outlier.release_if_over(now) {
                self.ejections.release();
            }
        }
        if !self.ejections.try_acquire() {
            return None;
        }
        let ejected = target.outlier.try_eject(now, s);
        if ejected.is_none() {
            self.ejections.release();
        }
        ejected
    }
}

fn finished(target: &TargetState) {
    let _ = target
        .in_flight
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
}

//! Power of two choices by peak-EWMA latency, as Finagle and Linkerd do it.
//!
//! Each target has a latency estimate, its *cost*, which decays toward zero
//! with time constant τ = [`DECAY`] between observations (so a target that
//! was slow once is tried again later). A response slower than the decayed
//! estimate replaces it at once (the "peak": a target that gets slow is
//! avoided at once); a faster one pulls the decayed estimate toward itself
//! with weight `1 - e^(-Δt/τ)`, Δt being the time since the last
//! observation.
//! Two distinct eligible targets are drawn at random and the one with the
//! lower `cost × (in_flight + 1) / weight` wins. Unobserved targets start
//! at [`DEFAULT_RTT`].
//!
//! State is per shard, in `Cell`s like the other balancers: each shard
//! learns from its own responses. The time used for decay when picking is
//! the latest `now` passed to [`PeakEwma::observe`], the shard's own clock
//! as far as this balancer knows; `pick` stays clock-free.

use std::cell::Cell;
use std::time::Duration;

use super::least_request::{draw, Draw};
use super::rng::Rng;

/// Time constant of the estimate's decay (Linkerd's default).
pub const DECAY: Duration = Duration::from_secs(10);
/// The estimate of a target never observed.
pub const DEFAULT_RTT: Duration = Duration::from_millis(30);

#[derive(Debug, Clone)]
pub(super) struct PeakEwma {
    /// Estimated latency in ns, as of `stamp`.
    cost: Box<[Cell<f64>]>,
    stamp: Box<[Cell<u64>]>,
    clock: Cell<u64>,
}

impl PeakEwma {
    pub(super) fn new(targets: usize) -> PeakEwma {
        PeakEwma {
            cost: (0..targets)
                .map(|_| Cell::new(DEFAULT_RTT.as_nanos() as f64))
                .collect(),
            stamp: (0..targets).map(|_| Cell::new(0)).collect(),
            clock: Cell::new(0),
        }
    }

    /// The estimate of `target` at `now`, decayed since its last update.
    pub(super) fn cost(&self, target: usize, now: u64) -> f64 {
        let (Some(cost), Some(stamp)) = (self.cost.get(target), self.stamp.get(target)) else {
            return 0.0;
        };
        cost.get() * decay(now.saturating_sub(stamp.get()))
    }

    /// A response from `target` took `rtt` ns, observed at `now` ns.
    pub(super) fn observe(&self, target: usize, rtt: u64, now: u64) {
        let (Some(cost), Some(stamp)) = (self.cost.get(target), self.stamp.get(target)) else {
            return;
        };
        let w = decay(now.saturating_sub(stamp.get()));
        let rtt = rtt as f64;
        let decayed = cost.get() * w;
        let next = if rtt > decayed {
            rtt
        } else {
            decayed * w + rtt * (1.0 - w)
        };
        cost.set(next);
        stamp.set(stamp.get().max(now));
        self.clock.set(self.clock.get().max(now));
    }

    pub(super) fn pick(
        &self,
        weights: &[u32],
        in_flight: &[Cell<u32>],
        rng: &Rng,
        excluded: &dyn Fn(usize) -> bool,
    ) -> Option<usize> {
        let (a, b) = match draw(weights.len(), rng, excluded)? {
            Draw::One(i) => return Some(i),
            Draw::Two(a, b) => (a, b),
        };
        let now = self.clock.get();
        let load = |i: usize| {
            let pending = f64::from(in_flight[i].get()) + 1.0;
            self.cost(i, now) * pending / f64::from(weights[i])
        };
        Some(if load(b) < load(a) { b } else { a })
    }
}

fn decay(elapsed: u64) -> f64 {
    (-(elapsed as f64) / DECAY.as_nanos() as f64).exp()
}

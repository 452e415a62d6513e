//! Load balancing: which target of an upstream gets the next request.
//!
//! A [`Balancer`] is per shard and per upstream: it keeps its state in
//! `Cell`s (it is `!Sync`) and is owned by one shard thread, so picking costs
//! no atomics. The proxy asks [`Balancer::pick`] for a target, passing a
//! predicate that excludes targets it must not use (open circuit breaker,
//! failed health check, already tried by this request), and brackets each
//! upstream request with [`Balancer::started`] and [`Balancer::finished`],
//! which least-request reads. Algorithms, one file each:
//! [`round_robin`] (smooth weighted, nginx), [`random`] (weighted),
//! [`least_request`] (power of two choices, Envoy), [`ewma`] (power of two
//! choices by peak-EWMA latency, Finagle/Linkerd; fed by
//! [`Balancer::record_latency`]) and [`ring`] (consistent hashing with
//! virtual nodes over the fixed [`hash`]).

mod ewma;
pub(crate) mod hash;
mod least_request;
mod random;
mod ring;
mod rng;
mod round_robin;
#[cfg(test)]
mod tests;

use std::cell::Cell;

use crate::config::{BalanceKind, Target};

pub use ewma::{DECAY as EWMA_DECAY, DEFAULT_RTT as EWMA_DEFAULT_RTT};
pub use ring::VNODES_PER_WEIGHT;

/// Picks targets of one upstream for one shard.
#[derive(Debug, Clone)]
pub struct Balancer {
    algorithm: Algorithm,
    weights: Box<[u32]>,
    in_flight: Box<[Cell<u32>]>,
    rng: rng::Rng,
}

#[derive(Debug, Clone)]
enum Algorithm {
    RoundRobin(round_robin::SmoothWrr),
    Random(random::WeightedRandom),
    LeastRequest,
    P2cEwma(ewma::PeakEwma),
    ConsistentHash {
        ring: ring::Ring,
        /// Used for requests without a hash key.
        fallback: round_robin::SmoothWrr,
    },
}

impl Balancer {
    /// A balancer over targets with these `weights` (a weight of 0 counts as
    /// 1). `seed` feeds the random choices of `random` and `least_request`;
    /// give each shard a different one. Consistent hashing ignores it and
    /// identifies target `i` by its index, so appending a target keeps the
    /// others' keys; prefer [`Balancer::for_targets`], which uses addresses.
    pub fn new(kind: &BalanceKind, weights: &[u32], seed: u64) -> Balancer {
        let ids: Vec<Vec<u8>> = (0..weights.len())
            .map(|i| format!("#{i}").into_bytes())
            .collect();
        Balancer::with_ids(kind, weights, &ids, seed)
    }

    /// A balancer over an upstream's `targets`. Consistent hashing places
    /// each target on the ring by its address, so removing or reordering
    /// targets in the config moves only the keys of the targets that changed.
    pub fn for_targets(kind: &BalanceKind, targets: &[Target], seed: u64) -> Balancer {
        let weights: Vec<u32> = targets.iter().map(|t| t.weight).collect();
        let ids: Vec<Vec<u8>> = targets
            .iter()
            .map(|t| t.addr.to_string().into_bytes())
            .collect();
        Balancer::with_ids(kind, &weights, &ids, seed)
    }

    fn with_ids(kind: &BalanceKind, weights: &[u32], ids: &[Vec<u8>], seed: u64) -> Balancer {
        let weights: Box<[u32]> = weights.iter().map(|&w| w.max(1)).collect();
        let algorithm = match kind {
            BalanceKind::RoundRobin => {
                Algorithm::RoundRobin(round_robin::SmoothWrr::new(weights.len()))
            }
            BalanceKind::Random => Algorithm::Random(random::WeightedRandom::new(&weights)),
            BalanceKind::LeastRequest => Algorithm::LeastRequest,
            BalanceKind::P2cEwma => Algorithm::P2cEwma(ewma::PeakEwma::new(weights.len())),
            BalanceKind::ConsistentHash(_) => Algorithm::ConsistentHash {
                ring: ring::Ring::new(ids, &weights),
                fallback: round_robin::SmoothWrr::new(weights.len()),
            },
        };
        Balancer {
            algorithm,
            in_flight: (0..weights.len()).map(|_| Cell::new(0)).collect(),
            weights,
            rng: rng::Rng::new(seed),
        }
    }

    /// Number of targets.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there are no targets (every pick is `None`).
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// Picks a target index, skipping those for which `excluded(i)` is true;
    /// `None` if all are excluded. `hash_key` is what consistent hashing
    /// hashes (the client IP or a header value); without one it falls back to
    /// round robin. Other algorithms ignore it.
    pub fn pick(&self, hash_key: Option<&[u8]>, excluded: &dyn Fn(usize) -> bool) -> Option<usize> {
        match &self.algorithm {
            Algorithm::RoundRobin(wrr) => wrr.pick(&self.weights, excluded),
            Algorithm::Random(random) => random.pick(&self.weights, &self.rng, excluded),
            Algorithm::LeastRequest => {
                least_request::pick(&self.weights, &self.in_flight, &self.rng, excluded)
            }
            Algorithm::P2cEwma(ewma) => {
                ewma.pick(&self.weights, &self.in_flight, &self.rng, excluded)
            }
            Algorithm::ConsistentHash { ring, fallback } => match hash_key {
                Some(key) => ring.pick(key, excluded),
                None => fallback.pick(&self.weights, excluded),
            },
        }
    }

    /// A request to `target` began. Out-of-range indices are ignored.
    pub fn started(&self, target: usize) {
        if let Some(count) = self.in_flight.get(target) {
            count.set(count.get().saturating_add(1));
        }
    }

    /// A request to `target` ended, however it ended.
    pub fn finished(&self, target: usize) {
        if let Some(count) = self.in_flight.get(target) {
            count.set(count.get().saturating_sub(1));
        }
    }

    /// A response from `target` took `rtt` ns and was observed at `now`
    /// (ns since the process epoch, as in [`crate::policy`]). `p2c_ewma`
    /// learns latencies from this (call it for every finished try, failed
    /// ones with the time until the failure); other algorithms ignore it.
    pub fn record_latency(&self, target: usize, rtt: u64, now: u64) {
        if let Algorithm::P2cEwma(ewma) = &self.algorithm {
            ewma.observe(target, rtt, now);
        }
    }

    /// The latency estimate of `target` in ns at `now` (`p2c_ewma` only;
    /// `None` for other algorithms), for metrics and tests.
    pub fn latency_estimate(&self, target: usize, now: u64) -> Option<f64> {
        match &self.algorithm {
            Algorithm::P2cEwma(ewma) => Some(ewma.cost(target, now)),
            _ => None,
        }
    }

    /// Requests to `target` in flight on this shard.
    pub fn in_flight(&self, target: usize) -> u32 {
        self.in_flight.get(target).map_or(0, Cell::get)
    }
}

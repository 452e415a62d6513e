//! A tiny per-balancer PRNG (SplitMix64) for random and least-request picks.
//!
//! Statistical quality is ample for spreading load and it costs a few
//! cycles; it is not for anything secret. Each shard seeds its balancers
//! differently so shards do not pick in lockstep.

use std::cell::Cell;

#[derive(Debug, Clone)]
pub(super) struct Rng(Cell<u64>);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(Cell::new(seed))
    }

    pub(super) fn next_u64(&self) -> u64 {
        let state = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(state);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; bias below 2^-32 for our n). `n > 0`.
    pub(super) fn below(&self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

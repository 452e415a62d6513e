//! Smooth weighted round robin, as nginx does it (`ngx_http_upstream_round_robin.c`).
//!
//! Each pick adds every eligible target's weight to its running score,
//! takes the highest score and subtracts the total from it. Weights 5, 1, 1
//! give `a a b a c a a`: heavy targets are interleaved rather than served in
//! bursts, and equal weights degenerate to plain rotation. Excluded targets
//! sit out of the round and keep their score.

use std::cell::Cell;

#[derive(Debug, Clone)]
pub(super) struct SmoothWrr {
    current: Box<[Cell<i64>]>,
}

impl SmoothWrr {
    pub(super) fn new(targets: usize) -> SmoothWrr {
        SmoothWrr {
            current: (0..targets).map(|_| Cell::new(0)).collect(),
        }
    }

    pub(super) fn pick(&self, weights: &[u32], excluded: &dyn Fn(usize) -> bool) -> Option<usize> {
        let mut total = 0i64;
        let mut best: Option<(usize, i64)> = None;
        for (i, (cell, &weight)) in self.current.iter().zip(weights).enumerate() {
            if excluded(i) {
                continue;
            }
            let weight = i64::from(weight);
            let score = cell.get() + weight;
            cell.set(score);
            total += weight;
            if best.is_none_or(|(_, top)| score > top) {
                best = Some((i, score));
            }
        }
        let (i, score) = best?;
        self.current[i].set(score - total);
        Some(i)
    }
}

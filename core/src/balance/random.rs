//! Weighted random choice.
//!
//! Cumulative weights make the common case (nothing excluded) one random
//! draw and a binary search; if the drawn target is excluded the draw is
//! redone over the eligible targets only, so exclusions never skew the
//! remaining targets' shares.

use super::rng::Rng;

#[derive(Debug, Clone)]
pub(super) struct WeightedRandom {
    /// `cumulative[i]` = sum of weights `0..=i`.
    cumulative: Box<[u64]>,
}

impl WeightedRandom {
    pub(super) fn new(weights: &[u32]) -> WeightedRandom {
        let cumulative = weights
            .iter()
            .scan(0u64, |sum, &w| {
                *sum += u64::from(w);
                Some(*sum)
            })
            .collect();
        WeightedRandom { cumulative }
    }

    pub(super) fn pick(
        &self,
        weights: &[u32],
        rng: &Rng,
        excluded: &dyn Fn(usize) -> bool,
    ) -> Option<usize> {
        let total = *self.cumulative.last()?;
        let r = rng.below(total);
        let i = self.cumulative.partition_point(|&c| c <= r);
        if !excluded(i) {
            return Some(i);
        }
        let eligible: u64 = (0..weights.len())
            .filter(|&i| !excluded(i))
            .map(|i| u64::from(weights[i]))
            .sum();
        if eligible == 0 {
            return None;
        }
        let mut r = rng.below(eligible);
        for (i, &w) in weights.iter().enumerate() {
            if excluded(i) {
                continue;
            }
            let w = u64::from(w);
            if r < w {
                return Some(i);
            }
            r -= w;
        }
        None
    }
}

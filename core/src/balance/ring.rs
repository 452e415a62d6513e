//! Consistent hashing on a ring of virtual nodes (Karger et al., ketama-style).
//!
//! Every target owns [`VNODES_PER_WEIGHT`] points per unit of weight, placed
//! by hashing the target's identity (its address, or its index when built
//! without addresses) with the point number. A key goes to the owner of the
//! first point at or after the key's hash. Adding or removing one target of
//! N moves only about 1/N of the keys, and because the hash is fixed
//! ([`super::hash`]) every shard and every restart maps a key the same way.
//! An excluded target's keys go to the next points on the ring, i.e. spread
//! over the others, and come back when it returns.

use super::hash::{hash64, Hasher};

/// Points per unit of weight: enough to keep shares within a few percent.
pub const VNODES_PER_WEIGHT: u32 = 160;
/// Cap on ring points, so big weights don't cost megabytes per shard.
const MAX_POINTS: u64 = 1 << 17;

#[derive(Debug, Clone)]
pub(super) struct Ring {
    /// `(point hash, target)`, sorted.
    points: Box<[(u64, u32)]>,
    targets: usize,
}

impl Ring {
    /// `ids[i]` is target `i`'s stable identity; `weights[i]` its weight.
    pub(super) fn new(ids: &[Vec<u8>], weights: &[u32]) -> Ring {
        let divisor = weights.iter().copied().fold(0, gcd).max(1);
        let units: Vec<u64> = weights.iter().map(|&w| u64::from(w / divisor)).collect();
        let total_units: u64 = units.iter().sum::<u64>().max(1);
        let per_unit = (MAX_POINTS / total_units).clamp(1, u64::from(VNODES_PER_WEIGHT));
        let mut points = Vec::with_capacity((total_units * per_unit) as usize);
        for (target, (id, &units)) in ids.iter().zip(&units).enumerate() {
            for vnode in 0..units * per_unit {
                let hash = Hasher::new()
                    .write(id)
                    .write(b"#")
                    .write(&vnode.to_le_bytes())
                    .finish();
                points.push((hash, target as u32));
            }
        }
        points.sort_unstable();
        Ring {
            points: points.into_boxed_slice(),
            targets: ids.len(),
        }
    }

    pub(super) fn pick(&self, key: &[u8], excluded: &dyn Fn(usize) -> bool) -> Option<usize> {
        if self.points.is_empty() {
            return None;
        }
        let hash = hash64(key);
        let start = self.points.partition_point(|&(h, _)| h < hash) % self.points.len();
        let owner = self.points[start].1 as usize;
        if !excluded(owner) {
            return Some(owner);
        }
        // Walk on only if someone is eligible, so the walk always ends early.
        if (0..self.targets).all(excluded) {
            return None;
        }
        self.points[start..]
            .iter()
            .chain(&self.points[..start])
            .map(|&(_, t)| t as usize)
            .find(|&t| !excluded(t))
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

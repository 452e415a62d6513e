//! Least request by the power of two choices, as Envoy does it.
//!
//! Two distinct eligible targets are drawn at random and the one with less
//! load wins, load being in-flight requests per unit of weight (compared as
//! `(in_flight_a + 1) * weight_b` against `(in_flight_b + 1) * weight_a`, so
//! with equal weights it is simply the in-flight count). A tie goes to the
//! heavier target, then to the first draw, which is random. Two random
//! choices avoid the herd that "always the global minimum" causes when many
//! shards see the same stale counts, at O(1) cost.

use std::cell::Cell;

use super::rng::Rng;

pub(super) fn pick(
    weights: &[u32],
    in_flight: &[Cell<u32>],
    rng: &Rng,
    excluded: &dyn Fn(usize) -> bool,
) -> Option<usize> {
    Some(match draw(weights.len(), rng, excluded)? {
        Draw::One(i) => i,
        Draw::Two(a, b) => better(a, b, weights, in_flight),
    })
}

/// What the power of two choices draws: two distinct eligible targets, or
/// the only eligible one.
pub(super) enum Draw {
    One(usize),
    Two(usize, usize),
}

/// Draws two distinct eligible targets of `0..n` uniformly; `None` if no
/// target is eligible. Shared with [`super::ewma`].
pub(super) fn draw(n: usize, rng: &Rng, excluded: &dyn Fn(usize) -> bool) -> Option<Draw> {
    match n {
        0 => return None,
        1 => return (!excluded(0)).then_some(Draw::One(0)),
        _ => {}
    }
    let (a, b) = two_distinct(rng, n);
    if !excluded(a) && !excluded(b) {
        return Some(Draw::Two(a, b));
    }
    // Slow path: draw among the eligible targets only.
    let eligible = (0..n).filter(|&i| !excluded(i)).count();
    match eligible {
        0 => None,
        1 => (0..n).find(|&i| !excluded(i)).map(Draw::One),
        _ => {
            let (a, b) = two_distinct(rng, eligible);
            let nth = |k: usize| (0..n).filter(|&i| !excluded(i)).nth(k);
            Some(Draw::Two(nth(a)?, nth(b)?))
        }
    }
}

/// Two different indices in `0..n`, uniformly; `n >= 2`.
fn two_distinct(rng: &Rng, n: usize) -> (usize, usize) {
    let a = rng.below(n as u64) as usize;
    let mut b = rng.below(n as u64 - 1) as usize;
    if b >= a {
        b += 1;
    }
    (a, b)
}

fn better(a: usize, b: usize, weights: &[u32], in_flight: &[Cell<u32>]) -> usize {
    let (wa, wb) = (u64::from(weights[a]), u64::from(weights[b]));
    let load_a = (u64::from(in_flight[a].get()) + 1) * wb;
    let load_b = (u64::from(in_flight[b].get()) + 1) * wa;
    match load_a.cmp(&load_b).then(wb.cmp(&wa)) {
        std::cmp::Ordering::Greater => b,
        _ => a,
    }
}

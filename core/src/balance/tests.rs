//! Distribution and exclusion tests of every balancing algorithm.

use super::*;
use crate::config::HashKey;

const NONE: &dyn Fn(usize) -> bool = &|_| false;

fn picks(b: &Balancer, n: usize, excluded: &dyn Fn(usize) -> bool) -> Vec<usize> {
    (0..n).map(|_| b.pick(None, excluded).unwrap()).collect()
}

fn counts(b: &Balancer, n: usize, excluded: &dyn Fn(usize) -> bool) -> Vec<usize> {
    let mut counts = vec![0; b.len()];
    for i in picks(b, n, excluded) {
        counts[i] += 1;
    }
    counts
}

fn share(count: usize, total: usize) -> f64 {
    count as f64 / total as f64
}

fn ch() -> BalanceKind {
    BalanceKind::ConsistentHash(HashKey::ClientIp)
}

#[test]
fn every_algorithm_handles_no_targets_and_all_excluded() {
    for kind in [
        BalanceKind::RoundRobin,
        BalanceKind::Random,
        BalanceKind::LeastRequest,
        BalanceKind::P2cEwma,
        ch(),
    ] {
        let empty = Balancer::new(&kind, &[], 1);
        assert!(empty.is_empty());
        assert_eq!(empty.pick(Some(b"k"), NONE), None, "{kind:?}");
        assert_eq!(empty.pick(None, NONE), None, "{kind:?}");
        let b = Balancer::new(&kind, &[1, 2, 3], 1);
        for key in [None, Some(&b"k"[..])] {
            assert_eq!(b.pick(key, &|_| true), None, "{kind:?}");
            assert_eq!(b.pick(key, &|i| i != 1), Some(1), "{kind:?}");
        }
        let single = Balancer::new(&kind, &[7], 1);
        assert_eq!(single.pick(Some(b"k"), NONE), Some(0), "{kind:?}");
    }
}

#[test]
fn round_robin_rotates_equal_weights() {
    let b = Balancer::new(&BalanceKind::RoundRobin, &[1, 1, 1], 0);
    assert_eq!(picks(&b, 7, NONE), [0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn round_robin_is_smooth() {
    let b = Balancer::new(&BalanceKind::RoundRobin, &[5, 1, 1], 0);
    // nginx's documented sequence for weights 5, 1, 1: a a b a c a a.
    let cycle = [0, 0, 1, 0, 2, 0, 0];
    assert_eq!(picks(&b, 14, NONE), [cycle, cycle].concat());
}

#[test]
fn round_robin_is_exactly_proportional_and_skips_excluded() {
    let b = Balancer::new(&BalanceKind::RoundRobin, &[3, 2, 5], 0);
    assert_eq!(counts(&b, 1000, NONE), [300, 200, 500]);
    let b = Balancer::new(&BalanceKind::RoundRobin, &[1, 1, 1], 0);
    assert_eq!(picks(&b, 4, &|i| i == 1), [0, 2, 0, 2]);
    // Weight 0 counts as 1 rather than starving or dividing by zero.
    let b = Balancer::new(&BalanceKind::RoundRobin, &[0, 1], 0);
    assert_eq!(counts(&b, 10, NONE), [5, 5]);
}

#[test]
fn random_follows_weights() {
    let b = Balancer::new(&BalanceKind::Random, &[1, 2, 7], 42);
    let n = 100_000;
    let c = counts(&b, n, NONE);
    for (count, want) in c.iter().zip([0.1, 0.2, 0.7]) {
        assert!((share(*count, n) - want).abs() < 0.01, "{c:?}");
    }
    // Excluding target 2 splits its share 1:2 between the others.
    let c = counts(&b, n, &|i| i == 2);
    assert_eq!(c[2], 0);
    assert!((share(c[0], n) - 1.0 / 3.0).abs() < 0.01, "{c:?}");
}

#[test]
fn random_is_reproducible_per_seed() {
    let kind = BalanceKind::Random;
    let w = [1; 16];
    let a = picks(&Balancer::new(&kind, &w, 7), 50, NONE);
    assert_eq!(a, picks(&Balancer::new(&kind, &w, 7), 50, NONE));
    assert_ne!(a, picks(&Balancer::new(&kind, &w, 8), 50, NONE));
}

#[test]
fn least_request_with_two_targets_takes_the_less_busy() {
    let b = Balancer::new(&BalanceKind::LeastRequest, &[1, 1], 3);
    b.started(0);
    b.started(0);
    b.started(1);
    for _ in 0..100 {
        assert_eq!(b.pick(None, NONE), Some(1));
    }
    b.finished(0);
    b.finished(0);
    assert_eq!(b.in_flight(0), 0);
    for _ in 0..100 {
        assert_eq!(b.pick(None, NONE), Some(0));
    }
    // Excluded targets are never chosen however idle they are.
    assert_eq!(b.pick(None, &|i| i == 0), Some(1));
    // Unbalanced bookkeeping saturates instead of wrapping.
    b.finished(0);
    b.finished(99);
    b.started(99);
    assert_eq!(b.in_flight(0), 0);
}

#[test]
fn least_request_weighs_load_by_weight() {
    let b = Balancer::new(&BalanceKind::LeastRequest, &[1, 3], 3);
    // (2+1)/1 = 3 against (5+1)/3 = 2: the heavier target is less loaded.
    (0..2).for_each(|_| b.started(0));
    (0..5).for_each(|_| b.started(1));
    assert_eq!(b.pick(None, NONE), Some(1));
    // Equal load per weight: the tie goes to the heavier target.
    let b = Balancer::new(&BalanceKind::LeastRequest, &[1, 3], 3);
    b.started(1);
    b.started(1);
    assert_eq!(b.pick(None, NONE), Some(1));
}

#[test]
fn least_request_balances_a_closed_loop() {
    // Each pick starts a request; the oldest finishes once 8 are in flight.
    let b = Balancer::new(&BalanceKind::LeastRequest, &[1; 4], 9);
    let mut live = std::collections::VecDeque::new();
    let mut c = [0usize; 4];
    for _ in 0..10_000 {
        let t = b.pick(None, &|i| i == 3).unwrap();
        b.started(t);
        c[t] += 1;
        live.push_back(t);
        if live.len() > 8 {
            b.finished(live.pop_front().unwrap());
        }
    }
    assert_eq!(c[3], 0);
    for &count in &c[..3] {
        assert!((share(count, 10_000) - 1.0 / 3.0).abs() < 0.05, "{c:?}");
    }
    let busiest = (0..4).map(|i| b.in_flight(i)).max().unwrap();
    assert!(busiest <= 4, "{busiest}");
}

#[test]
fn consistent_hash_is_stable_across_shards_and_restarts() {
    let w = [1; 5];
    let a = Balancer::new(&ch(), &w, 1);
    let b = Balancer::new(&ch(), &w, 999);
    for i in 0..1000 {
        let key = format!("10.0.{}.{}", i / 256, i % 256);
        let t = a.pick(Some(key.as_bytes()), NONE);
        assert_eq!(t, a.pick(Some(key.as_bytes()), NONE));
        assert_eq!(t, b.pick(Some(key.as_bytes()), NONE));
    }
}

#[test]
fn consistent_hash_spreads_keys_by_weight() {
    let n = 10_000;
    let key = |i: usize| format!("user-{i}");
    let even = Balancer::new(&ch(), &[1; 10], 0);
    let mut c = vec![0; 10];
    (0..n).for_each(|i| c[even.pick(Some(key(i).as_bytes()), NONE).unwrap()] += 1);
    for &count in &c {
        assert!((0.07..0.13).contains(&share(count, n)), "{c:?}");
    }
    let weighted = Balancer::new(&ch(), &[1, 3], 0);
    let heavy = (0..n)
        .filter(|&i| weighted.pick(Some(key(i).as_bytes()), NONE) == Some(1))
        .count();
    assert!((share(heavy, n) - 0.75).abs() < 0.05, "{heavy}");
    // Weights 100:300 are the same ring as 1:3.
    let scaled = Balancer::new(&ch(), &[100, 300], 0);
    assert!((0..500).all(|i| {
        let k = key(i);
        scaled.pick(Some(k.as_bytes()), NONE) == weighted.pick(Some(k.as_bytes()), NONE)
    }));
}

#[test]
fn consistent_hash_moves_few_keys_when_a_target_is_added() {
    let before = Balancer::new(&ch(), &[1; 10], 0);
    let after = Balancer::new(&ch(), &[1; 11], 0);
    let n = 10_000;
    let mut moved = 0;
    for i in 0..n {
        let key = format!("client-{i}");
        let (old, new) = (
            before.pick(Some(key.as_bytes()), NONE),
            after.pick(Some(key.as_bytes()), NONE),
        );
        if old != new {
            moved += 1;
            // Keys only ever move to the new target.
            assert_eq!(new, Some(10));
        }
    }
    let moved = share(moved, n);
    assert!((0.05..=0.15).contains(&moved), "{moved}");
}

#[test]
fn consistent_hash_excludes_by_walking_the_ring() {
    let b = Balancer::new(&ch(), &[1; 4], 0);
    let n = 4000;
    let mut reassigned = [0usize; 4];
    for i in 0..n {
        let key = format!("k{i}");
        let owner = b.pick(Some(key.as_bytes()), NONE).unwrap();
        let without_2 = b.pick(Some(key.as_bytes()), &|t| t == 2).unwrap();
        assert_ne!(without_2, 2);
        if owner != 2 {
            // Keys of healthy targets stay where they are.
            assert_eq!(without_2, owner);
        } else {
            reassigned[without_2] += 1;
            // And the displaced keys are stable too.
            assert_eq!(b.pick(Some(key.as_bytes()), &|t| t == 2), Some(without_2));
        }
    }
    // Target 2's keys spread over all the others, not onto one neighbour.
    assert!(
        reassigned.iter().enumerate().all(|(t, &c)| t == 2 || c > 0),
        "{reassigned:?}"
    );
}

#[test]
fn consistent_hash_without_a_key_round_robins() {
    let b = Balancer::new(&ch(), &[1, 1, 1], 0);
    assert_eq!(picks(&b, 6, NONE), [0, 1, 2, 0, 1, 2]);
}

#[test]
fn for_targets_places_targets_by_address() {
    let target = |port: u16, weight: u32| Target {
        addr: ([10, 0, 0, 1], port).into(),
        weight,
    };
    let abc = [target(1, 1), target(2, 1), target(3, 1)];
    let cba = [target(3, 1), target(2, 1), target(1, 1)];
    let b1 = Balancer::for_targets(&ch(), &abc, 0);
    let b2 = Balancer::for_targets(&ch(), &cba, 0);
    for i in 0..500 {
        let key = format!("k{i}");
        let t1 = b1.pick(Some(key.as_bytes()), NONE).unwrap();
        let t2 = b2.pick(Some(key.as_bytes()), NONE).unwrap();
        assert_eq!(abc[t1].addr, cba[t2].addr);
    }
    let rr = Balancer::for_targets(&BalanceKind::RoundRobin, &[target(1, 2), target(2, 1)], 0);
    assert_eq!(picks(&rr, 3, NONE), [0, 1, 0]);
}

#[test]
fn big_weights_stay_within_the_point_cap() {
    let b = Balancer::new(&ch(), &[1000, 999, 998, 997], 0);
    assert!(b.pick(Some(b"x"), NONE).is_some());
}

#[test]
fn consistent_hash_moves_only_the_removed_targets_keys() {
    let target = |port: u16| Target {
        addr: ([10, 0, 0, 1], port).into(),
        weight: 1,
    };
    let all: Vec<Target> = (1..=10).map(target).collect();
    let without_7: Vec<Target> = all.iter().copied().filter(|t| t.addr.port() != 7).collect();
    let before = Balancer::for_targets(&ch(), &all, 0);
    let after = Balancer::for_targets(&ch(), &without_7, 0);
    let n = 10_000;
    let mut moved = 0;
    for i in 0..n {
        let key = format!("client-{i}");
        let old = all[before.pick(Some(key.as_bytes()), NONE).unwrap()].addr;
        let new = without_7[after.pick(Some(key.as_bytes()), NONE).unwrap()].addr;
        if old != new {
            moved += 1;
            // Only the removed target's keys move.
            assert_eq!(old.port(), 7);
        } else {
            assert_ne!(old.port(), 7);
        }
    }
    // About 1/10 of the keys were on the removed target.
    let moved = share(moved, n);
    assert!((0.05..=0.15).contains(&moved), "{moved}");
}

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

#[test]
fn p2c_ewma_prefers_the_faster_target() {
    let b = Balancer::new(&BalanceKind::P2cEwma, &[1, 1], 5);
    b.record_latency(0, 50 * MS, SEC);
    b.record_latency(1, 5 * MS, SEC);
    assert!(picks(&b, 100, NONE).iter().all(|&t| t == 1));
    // Excluded targets are never chosen however fast they are.
    assert_eq!(b.pick(None, &|i| i == 1), Some(0));
}

#[test]
fn p2c_ewma_reacts_to_a_slow_response_at_once() {
    let b = Balancer::new(&BalanceKind::P2cEwma, &[1, 1], 5);
    b.record_latency(0, 10 * MS, SEC);
    b.record_latency(1, 5 * MS, SEC);
    assert_eq!(b.pick(None, NONE), Some(1));
    // The peak: one slow response replaces the estimate.
    b.record_latency(1, 80 * MS, SEC + MS);
    assert_eq!(b.latency_estimate(1, SEC + MS), Some(80.0 * MS as f64));
    assert!(picks(&b, 100, NONE).iter().all(|&t| t == 0));
}

#[test]
fn p2c_ewma_estimates_decay_and_blend() {
    let b = Balancer::new(&BalanceKind::P2cEwma, &[1, 1], 5);
    b.record_latency(1, 100 * MS, 0);
    b.record_latency(0, 50 * MS, 0);
    assert_eq!(b.pick(None, NONE), Some(0));
    // A minute later target 1's estimate has decayed to 100 ms × e^-6 and
    // the shard's clock (target 0's latest response) says so.
    b.record_latency(0, 50 * MS, 60 * SEC);
    let decayed = b.latency_estimate(1, 60 * SEC).unwrap();
    assert!(
        (decayed - 100.0 * MS as f64 * (-6.0f64).exp()).abs() < 1.0,
        "{decayed}"
    );
    assert_eq!(b.pick(None, NONE), Some(1));
    // A faster response pulls the decayed estimate toward itself.
    b.record_latency(1, 100 * MS, 100 * SEC);
    b.record_latency(1, 10 * MS, 110 * SEC);
    let blended = b.latency_estimate(1, 110 * SEC).unwrap() / MS as f64;
    assert!((10.0..36.8).contains(&blended), "{blended}");
    // Other algorithms keep no estimate.
    let rr = Balancer::new(&BalanceKind::RoundRobin, &[1, 1], 5);
    rr.record_latency(0, MS, SEC);
    assert_eq!(rr.latency_estimate(0, SEC), None);
}

#[test]
fn p2c_ewma_weighs_latency_by_in_flight_and_weight() {
    let b = Balancer::new(&BalanceKind::P2cEwma, &[1, 1], 5);
    b.record_latency(0, 10 * MS, SEC);
    b.record_latency(1, 10 * MS, SEC);
    (0..3).for_each(|_| b.started(0));
    assert_eq!(b.pick(None, NONE), Some(1));
    // Unobserved targets start at the default estimate (30 ms): a target
    // with weight 4 and that estimate beats one at 10 ms with weight 1.
    let w = Balancer::new(&BalanceKind::P2cEwma, &[1, 4], 5);
    w.record_latency(0, 10 * MS, SEC);
    assert_eq!(w.pick(None, NONE), Some(1));
}

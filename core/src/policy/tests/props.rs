//! The rate limiter's promise, checked over random arrivals and real
//! threads: in any interval `t`, at most `rate × t + burst` admissions, and
//! under overload exactly that many (±1), however shards interleave.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use proptest::prelude::*;

use super::MS;
use crate::policy::{Gcra, Limit, RateTable};

/// Asserts that every run of admissions fits the GCRA bound. `slack` is
/// the arrival-time quantum of the implementation (0 for [`Gcra`]).
fn assert_bounded(admitted: &[u64], quota: u32, window: u64, burst: u32, slack: u64) {
    for (i, &start) in admitted.iter().enumerate() {
        for (j, &end) in admitted.iter().enumerate().skip(i) {
            let n = (j - i + 1) as u128;
            // n <= (end - start) × quota / window + burst, in integers.
            let excess = n.saturating_sub(u128::from(burst)) * u128::from(window);
            let allowance = u128::from(end - start + slack) * u128::from(quota);
            assert!(
                excess <= allowance,
                "{n} admissions in {} ns (quota {quota}/{window} ns, burst {burst})",
                end - start
            );
        }
    }
}

fn arrivals() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::vec(0u64..50 * MS, 1..150).prop_map(|gaps| {
        gaps.iter()
            .scan(1_000 * MS, |t, gap| {
                *t += gap;
                Some(*t)
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn never_more_than_rate_times_t_plus_burst(
        quota in 1u32..200,
        window_secs in 1u64..5,
        burst in 1u32..20,
        times in arrivals(),
    ) {
        let window = window_secs * 1_000_000_000;
        let limit = Limit::new(quota, Duration::from_secs(window_secs), burst);
        let gcra = Gcra::new(limit);
        let admitted: Vec<u64> = times.iter().copied().filter(|&t| gcra.check(t).allowed).collect();
        assert_bounded(&admitted, quota, window, burst, 0);
        // The table sees arrival times in units of 1.024 µs.
        let table = RateTable::new(64, 5);
        let admitted: Vec<u64> = times
            .iter()
            .copied()
            .filter(|&t| table.check(&limit, 0, b"key", t).allowed)
            .collect();
        assert_bounded(&admitted, quota, window, burst, 1024);
    }

    #[test]
    fn gcra_admits_everything_that_keeps_to_the_rate(
        quota in 1u32..100,
        burst in 1u32..10,
        n in 1usize..200,
    ) {
        let limit = Limit::new(quota, Duration::from_secs(1), burst);
        let gcra = Gcra::new(limit);
        let table = RateTable::new(64, 5);
        // The table keeps T in whole units of 1.024 µs, rounded up.
        let table_t = limit.emission_interval().div_ceil(1024) * 1024;
        for k in 0..n as u64 {
            prop_assert!(gcra.check(1_000 * MS + k * limit.emission_interval()).allowed);
            prop_assert!(table.check(&limit, 0, b"paced", 1_000 * MS + k * table_t).allowed);
        }
    }
}

/// `threads` threads hammer one key; each request takes the next tick of
/// a shared simulated clock. Returns (admitted, first now, last now).
fn hammer(
    threads: usize,
    per_thread: u64,
    tick: u64,
    check: Arc<dyn Fn(u64) -> bool + Send + Sync>,
) -> (u64, u64, u64) {
    let clock = Arc::new(AtomicU64::new(0));
    let admitted = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (clock, admitted, check) = (clock.clone(), admitted.clone(), check.clone());
            thread::spawn(move || {
                for _ in 0..per_thread {
                    let now = clock.fetch_add(tick, Ordering::Relaxed) + tick;
                    if check(now) {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let last = clock.load(Ordering::Relaxed);
    (admitted.load(Ordering::Relaxed), tick, last)
}

#[test]
fn threads_hammering_one_key_get_exactly_the_allowance() {
    // 1000/s, burst 10: T = 1 ms; a request every 10 µs is 100× overload.
    let limit = Limit::new(1000, Duration::from_secs(1), 10);
    let gcra = Arc::new(Gcra::new(limit));
    let (admitted, first, last) = hammer(
        4,
        20_000,
        10_000,
        Arc::new(move |now| gcra.check(now).allowed),
    );
    let expected = 10 + (last - first) / limit.emission_interval();
    assert!(
        admitted.abs_diff(expected) <= 1,
        "admitted {admitted}, expected {expected}"
    );

    let table = Arc::new(RateTable::new(1024, 11));
    let (admitted, first, last) = hammer(
        4,
        20_000,
        10_000,
        Arc::new(move |now| table.check(&limit, 3, b"203.0.113.9", now).allowed),
    );
    let expected = 10 + (last - first) / limit.emission_interval();
    assert!(
        admitted.abs_diff(expected) <= 1,
        "table admitted {admitted}, expected {expected}"
    );
}

//! The keyed table: per-key GCRA, isolation, eviction, clock skew, wrap.

use super::{secs, MS, SEC};
use crate::policy::{Limit, RateTable};

const DAY: u64 = 86_400 * SEC;

#[test]
fn a_key_behaves_like_gcra_to_the_microsecond() {
    let table = RateTable::new(1024, 1);
    let limit = Limit::new(10, secs(1), 3);
    let t0 = 7 * SEC;
    for remaining in [2, 1, 0] {
        let d = table.check(&limit, 0, b"10.0.0.1", t0);
        assert!(d.allowed);
        assert_eq!(d.remaining, remaining);
    }
    let d = table.check(&limit, 0, b"10.0.0.1", t0);
    assert!(!d.allowed);
    // T is kept in whole units of 1.024 µs, rounded up.
    assert!(d.retry_after.abs_diff(100 * MS) < 2_048, "{d:?}");
    assert!(d.reset_after.abs_diff(300 * MS) < 4_096, "{d:?}");
    assert!(!table.check(&limit, 0, b"10.0.0.1", t0 + 99 * MS).allowed);
    assert!(table.check(&limit, 0, b"10.0.0.1", t0 + 101 * MS).allowed);
}

#[test]
fn keys_and_limiters_are_counted_apart() {
    let table = RateTable::new(1024, 1);
    let limit = Limit::new(1, secs(1), 1);
    assert!(table.check(&limit, 0, b"a", 0).allowed);
    assert!(!table.check(&limit, 0, b"a", 0).allowed);
    assert!(table.check(&limit, 0, b"b", 0).allowed);
    // The same key under another limiter is another key.
    assert!(table.check(&limit, 1, b"a", 0).allowed);
    assert_eq!(table.live_keys(0), 3);
    assert_eq!(table.live_keys(2 * SEC), 0);
}

#[test]
fn sizes_round_up_to_whole_buckets() {
    assert_eq!(RateTable::new(100, 0).slots(), 128);
    assert_eq!(RateTable::new(0, 0).slots(), 8);
    assert_eq!(RateTable::new(65_536, 0).slots(), 65_536);
}

/// A table of one bucket: every key competes for the same 8 slots.
fn one_bucket() -> RateTable {
    RateTable::new(8, 3)
}

#[test]
fn a_full_bucket_evicts_a_recovered_key_first() {
    let table = one_bucket();
    let slow = Limit::new(1, secs(10), 1);
    let fast = Limit::new(1000, secs(1), 1);
    for key in 0u8..7 {
        assert!(table.check(&slow, 0, &[key], 0).allowed);
    }
    assert!(table.check(&fast, 0, &[7], 0).allowed);
    // At 1 s key 7 has recovered (its TAT was 1 ms); keys 0..7 have not.
    assert!(table.check(&slow, 0, &[8], SEC).allowed);
    for key in 0u8..7 {
        assert!(!table.check(&slow, 0, &[key], SEC).allowed, "key {key}");
    }
}

#[test]
fn an_evicted_key_starts_over_with_a_fresh_burst() {
    let table = one_bucket();
    let limit = Limit::new(1, secs(10), 1);
    for key in 0u8..8 {
        assert!(table.check(&limit, 0, &[key], 0).allowed);
    }
    // Nothing has recovered: the stalest (all equal: the first) goes.
    assert!(table.check(&limit, 0, &[8], MS).allowed);
    let back = table.check(&limit, 0, &[0], 2 * MS);
    assert!(back.allowed, "evicted key 0 gets a fresh burst: {back:?}");
    // Its return evicted the next stalest, key 1. Limits get looser under
    // pressure, never tighter: every key still in the table is limited.
    let still_limited = (2u8..9)
        .filter(|&k| !table.check(&limit, 0, &[k], 3 * MS).allowed)
        .count();
    assert_eq!(still_limited, 7);
}

#[test]
fn a_reader_with_an_older_clock_does_not_see_a_fresh_key() {
    let table = RateTable::new(64, 9);
    let limit = Limit::new(1, secs(1), 1);
    assert!(table.check(&limit, 0, b"k", 10 * SEC).allowed);
    // The TAT (11 s) is further than the burst window (1 s) ahead of this
    // reader's 9.99 s; the skew slack keeps it limited.
    let d = table.check(&limit, 0, b"k", 10 * SEC - 10 * MS);
    assert!(!d.allowed);
    assert!(d.retry_after.abs_diff(SEC + 10 * MS) < 2_048, "{d:?}");
}

#[test]
fn a_key_back_after_weeks_is_fresh() {
    let table = RateTable::new(64, 9);
    let limit = Limit::new(1, secs(3600), 1);
    assert!(table.check(&limit, 0, b"k", DAY).allowed);
    assert!(!table.check(&limit, 0, b"k", DAY + 60 * SEC).allowed);
    for days in [20, 40, 60, 100] {
        assert!(
            table.check(&limit, 0, b"k", days * DAY).allowed,
            "{days} days"
        );
    }
}

//! Exponential backoff with full jitter.

use std::time::Duration;

use super::MS;
use crate::policy::Backoff;

#[test]
fn ceilings_double_up_to_the_cap() {
    let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(100));
    let ceilings: Vec<u64> = (1..=6).map(|n| b.ceiling(n) / MS).collect();
    assert_eq!(ceilings, [10, 20, 40, 80, 100, 100]);
    assert_eq!(b.ceiling(0), 10 * MS);
    assert_eq!(b.ceiling(u32::MAX), 100 * MS);
}

#[test]
fn delays_spread_over_zero_to_the_ceiling() {
    let b = Backoff::new(Duration::from_millis(10), Duration::from_secs(1));
    assert_eq!(b.delay(3, 0), 0);
    assert_eq!(b.delay(3, u64::MAX), 40 * MS);
    assert_eq!(b.delay(3, 1 << 63), 20 * MS);
    // A cap below the base is raised to the base.
    let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(1));
    assert_eq!(b.ceiling(5), 10 * MS);
}

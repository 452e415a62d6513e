//! GCRA on one key: burst, pacing, recovery, and the decision's numbers.

use super::{secs, MS, SEC};
use crate::policy::{Decision, Gcra, Limit};

fn allowed(remaining: u32, reset_after: u64) -> Decision {
    Decision {
        allowed: true,
        remaining,
        retry_after: 0,
        reset_after,
    }
}

#[test]
fn admits_the_burst_then_one_per_interval() {
    // 10/s, burst 3: T = 100 ms, a full bucket is 300 ms of credit.
    let gcra = Gcra::new(Limit::new(10, secs(1), 3));
    let t0 = 5 * SEC;
    assert_eq!(gcra.check(t0), allowed(2, 100 * MS));
    assert_eq!(gcra.check(t0), allowed(1, 200 * MS));
    assert_eq!(gcra.check(t0), allowed(0, 300 * MS));
    assert_eq!(
        gcra.check(t0),
        Decision {
            allowed: false,
            remaining: 0,
            retry_after: 100 * MS,
            reset_after: 300 * MS,
        }
    );
    // 40 ms later: still 60 ms to wait, and a rejection costs nothing.
    let d = gcra.check(t0 + 40 * MS);
    assert!(!d.allowed);
    assert_eq!(d.retry_after, 60 * MS);
    assert_eq!(gcra.check(t0 + 100 * MS), allowed(0, 300 * MS));
    assert!(!gcra.check(t0 + 150 * MS).allowed);
    assert!(gcra.check(t0 + 200 * MS).allowed);
}

#[test]
fn recovers_the_whole_burst_after_a_quiet_period() {
    let gcra = Gcra::new(Limit::new(10, secs(1), 3));
    for _ in 0..3 {
        assert!(gcra.check(0).allowed);
    }
    assert!(!gcra.check(0).allowed);
    // Idle far longer than the burst window: a full burst, not more.
    let later = 60 * SEC;
    assert_eq!(gcra.check(later).remaining, 2);
    assert!(gcra.check(later).allowed && gcra.check(later).allowed);
    assert!(!gcra.check(later).allowed);
}

#[test]
fn a_stale_clock_reading_never_admits_extra() {
    let gcra = Gcra::new(Limit::new(1, secs(1), 1));
    assert!(gcra.check(10 * SEC).allowed);
    // A shard whose `now` is a little older sees a TAT further ahead.
    let d = gcra.check(10 * SEC - MS);
    assert!(!d.allowed);
    assert_eq!(d.retry_after, SEC + MS);
}

#[test]
fn limit_numbers() {
    let l = Limit::new(6000, secs(60), 100);
    assert_eq!((l.quota(), l.window_secs(), l.burst()), (6000, 60, 100));
    assert_eq!(l.emission_interval(), 10 * MS);
    // T rounds up, so the limit never admits more than configured.
    assert_eq!(Limit::new(3, secs(1), 1).emission_interval(), 333_333_334);
    // Nonsense inputs are clamped rather than dividing by zero.
    let l = Limit::new(0, secs(0), 0);
    assert_eq!((l.quota(), l.burst(), l.window_secs()), (1, 1, 1));
}

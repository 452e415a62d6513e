//! Circuit breaker transitions with explicit times.

use std::time::Duration;

use super::{MS, SEC};
use crate::config::{CircuitBreaker, FailureRatio};
use crate::policy::{Breaker, BreakerState, Permit, Transition};

use BreakerState::{Closed, HalfOpen, Open};

fn t(from: BreakerState, to: BreakerState) -> Option<Transition> {
    Some(Transition { from, to })
}

fn consecutive(n: u32, probes: u32) -> Breaker {
    Breaker::new(&CircuitBreaker {
        consecutive_failures: Some(n),
        failure_ratio: None,
        open_for: Duration::from_secs(10),
        half_open_probes: probes,
    })
}

fn fail(b: &Breaker, now: u64) -> Option<Transition> {
    let permit = b.allow(now).unwrap();
    b.on_failure(permit, now)
}

fn succeed(b: &Breaker, now: u64) -> Option<Transition> {
    let permit = b.allow(now).unwrap();
    b.on_success(permit, now)
}

#[test]
fn trips_after_consecutive_failures_and_a_success_resets_the_count() {
    let b = consecutive(3, 1);
    assert_eq!(fail(&b, 0), None);
    assert_eq!(fail(&b, 0), None);
    assert_eq!(succeed(&b, 0), None);
    assert_eq!(fail(&b, MS), None);
    assert_eq!(fail(&b, MS), None);
    assert_eq!(fail(&b, 2 * MS), t(Closed, Open));
    assert_eq!(b.state(), Open);
    let rejected = b.allow(3 * SEC).unwrap_err();
    assert_eq!(rejected.retry_after, 10 * SEC + 2 * MS - 3 * SEC);
    assert!(!b.is_available(3 * SEC));
    assert!(b.is_available(10 * SEC + 2 * MS));
}

#[test]
fn half_open_probe_success_closes() {
    let b = consecutive(1, 1);
    assert_eq!(fail(&b, 0), t(Closed, Open));
    let probe = b.allow(10 * SEC).unwrap();
    assert!(probe.is_probe());
    assert_eq!(probe.transition(), t(Open, HalfOpen));
    // One probe at a time.
    assert!(b.allow(10 * SEC + MS).is_err());
    assert!(!b.is_available(10 * SEC + MS));
    assert_eq!(b.on_success(probe, 10 * SEC + 5 * MS), t(HalfOpen, Closed));
    let after = b.allow(10 * SEC + 6 * MS).unwrap();
    assert!(!after.is_probe());
    assert_eq!(b.state(), Closed);
}

#[test]
fn half_open_probe_failure_reopens_for_another_period() {
    let b = consecutive(1, 1);
    fail(&b, 0);
    let probe = b.allow(11 * SEC).unwrap();
    assert_eq!(b.on_failure(probe, 11 * SEC), t(HalfOpen, Open));
    assert_eq!(b.allow(20 * SEC).unwrap_err().retry_after, SEC);
    assert!(b.allow(21 * SEC).unwrap().is_probe());
}

#[test]
fn several_probes_must_all_succeed() {
    let b = consecutive(1, 2);
    fail(&b, 0);
    let first = b.allow(10 * SEC).unwrap();
    let second = b.allow(10 * SEC).unwrap();
    assert!(b.allow(10 * SEC).is_err());
    assert_eq!(b.on_success(first, 10 * SEC), None);
    assert_eq!(b.state(), HalfOpen);
    assert_eq!(b.on_success(second, 10 * SEC), t(HalfOpen, Closed));
}

#[test]
fn late_outcomes_of_ordinary_requests_are_ignored_while_not_closed() {
    let b = consecutive(1, 1);
    let early = b.allow(0).unwrap();
    let early_too = b.allow(0).unwrap();
    assert_eq!(fail(&b, 0), t(Closed, Open));
    // Started before the trip: neither closes nor re-opens anything.
    assert_eq!(b.on_success(early, MS), None);
    let probe = b.allow(10 * SEC).unwrap();
    assert_eq!(b.on_failure(early_too, 10 * SEC), None);
    assert_eq!(b.state(), HalfOpen);
    assert_eq!(b.on_success(probe, 10 * SEC), t(HalfOpen, Closed));
}

#[test]
fn a_probe_that_never_reports_back_does_not_wedge_half_open() {
    let b = consecutive(1, 1);
    fail(&b, 0);
    let _lost = b.allow(10 * SEC).unwrap();
    assert!(b.allow(15 * SEC).is_err());
    // A whole open period without a verdict: a new round of probes.
    let retry = b.allow(20 * SEC + MS).unwrap();
    assert!(retry.is_probe());
    assert_eq!(retry.transition(), None);
    assert_eq!(b.on_success(retry, 20 * SEC + 2 * MS), t(HalfOpen, Closed));
}

fn ratio(min_requests: u32) -> Breaker {
    Breaker::new(&CircuitBreaker {
        consecutive_failures: None,
        failure_ratio: Some(FailureRatio {
            ratio: 0.5,
            window: Duration::from_secs(10),
            min_requests,
        }),
        open_for: Duration::from_secs(5),
        half_open_probes: 1,
    })
}

#[test]
fn trips_on_the_failure_ratio_over_a_window() {
    let b = ratio(4);
    assert_eq!(succeed(&b, SEC), None);
    assert_eq!(fail(&b, SEC), None);
    assert_eq!(succeed(&b, 2 * SEC), None);
    // 2 failures of 4 outcomes = 50%.
    assert_eq!(fail(&b, 3 * SEC), t(Closed, Open));
}

#[test]
fn the_ratio_window_starts_over() {
    let b = ratio(4);
    fail(&b, SEC);
    fail(&b, 2 * SEC);
    fail(&b, 3 * SEC);
    // A new window (10 s .. 20 s): the three failures are forgotten.
    assert_eq!(succeed(&b, 11 * SEC), None);
    assert_eq!(fail(&b, 12 * SEC), None);
    assert_eq!(succeed(&b, 13 * SEC), None);
    assert_eq!(succeed(&b, 14 * SEC), None);
    // 2 of 5, then 3 of 6.
    assert_eq!(fail(&b, 15 * SEC), None);
    assert_eq!(fail(&b, 15 * SEC), t(Closed, Open));
}

#[test]
fn the_ratio_mode_ignores_consecutive_failures_unless_set() {
    let b = ratio(100);
    for i in 0..50 {
        assert_eq!(fail(&b, i * MS), None);
    }
    assert_eq!(b.state(), Closed);
}

#[test]
fn a_disabled_breaker_never_trips() {
    let b = Breaker::disabled();
    for _ in 0..1000 {
        assert_eq!(fail(&b, 0), None);
    }
    assert!(b.is_available(0));
    assert_eq!(b.on_failure(Permit::unguarded(), 0), None);
    assert_eq!(BreakerState::HalfOpen.as_str(), "half_open");
}

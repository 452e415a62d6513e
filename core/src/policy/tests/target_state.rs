//! Per-target state of an upstream: outlier ejection with its cap, breaker
//! events, in-flight counts, usability.

use super::{MS, SEC};
use crate::config::{load_str, Upstream};
use crate::policy::{BreakerState, Permit, UpstreamState};

fn upstream(extra: &str, targets: usize) -> Upstream {
    let list: Vec<String> = (0..targets)
        .map(|i| format!("\"127.0.0.1:{}\"", 9000 + i))
        .collect();
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstreams.u]\ntargets = [{}]\n{extra}\n",
        list.join(", ")
    );
    load_str(&text).unwrap().upstreams.remove(0)
}

const OUTLIER: &str =
    "outlier = { consecutive_failures = 2, base_ejection = \"10s\", max_ejection = \"25s\", max_ejection_percent = 50 }";

fn fail(state: &UpstreamState, i: usize, now: u64) -> Option<u64> {
    let permit = state.allow(i, now).unwrap();
    state.on_failure(i, permit, now).ejected_for
}

#[test]
fn consecutive_failures_eject_for_growing_times() {
    let state = UpstreamState::new(&upstream(OUTLIER, 4));
    assert_eq!(fail(&state, 0, 0), None);
    assert_eq!(fail(&state, 0, 0), Some(10 * SEC));
    assert!(!state.usable(0, 5 * SEC));
    assert!(state.usable(1, 5 * SEC));
    // Ejection ends are kept in units of 1.05 ms, rounded up.
    assert!(state.usable(0, 10 * SEC + 2 * MS));
    // Second ejection in a row: twice as long; third: capped at 25 s.
    fail(&state, 0, 11 * SEC);
    assert_eq!(fail(&state, 0, 11 * SEC), Some(20 * SEC));
    fail(&state, 0, 40 * SEC);
    assert_eq!(fail(&state, 0, 40 * SEC), Some(25 * SEC));
    assert_eq!(state.target(0).unwrap().outlier.ejections(), 3);
}

#[test]
fn a_success_ends_the_streak_and_a_long_good_run_forgives() {
    let state = UpstreamState::new(&upstream(OUTLIER, 4));
    fail(&state, 0, 0);
    let ok = state.allow(0, 0).unwrap();
    state.on_success(0, ok, 0);
    assert_eq!(fail(&state, 0, 0), None);
    assert_eq!(fail(&state, 0, 0), Some(10 * SEC));
    // In again at 10 s; after max_ejection (25 s) more, the count resets.
    let ok = state.allow(0, 36 * SEC).unwrap();
    state.on_success(0, ok, 36 * SEC);
    assert_eq!(state.target(0).unwrap().outlier.ejections(), 0);
    fail(&state, 0, 37 * SEC);
    assert_eq!(fail(&state, 0, 37 * SEC), Some(10 * SEC));
}

#[test]
fn at_most_the_percentage_is_ejected_at_once() {
    let state = UpstreamState::new(&upstream(OUTLIER, 4));
    for i in 0..3 {
        fail(&state, i, 0);
    }
    assert_eq!(fail(&state, 0, 0), Some(10 * SEC));
    assert_eq!(fail(&state, 1, 0), Some(10 * SEC));
    // 2 of 4 = 50% are out: target 2 stays in however it fails.
    assert_eq!(fail(&state, 2, 0), None);
    assert_eq!(fail(&state, 2, MS), None);
    assert!(state.usable(2, MS));
    assert_eq!(state.ejected(), 2);
    // Once the ejections are over, their places are given back.
    assert_eq!(fail(&state, 2, 10 * SEC + 2 * MS), Some(10 * SEC));
    assert_eq!(state.ejected(), 1);
}

#[test]
fn at_least_one_target_can_be_ejected() {
    let state = UpstreamState::new(&upstream(
        "outlier = { consecutive_failures = 1, max_ejection_percent = 10 }",
        2,
    ));
    assert_eq!(fail(&state, 0, 0), Some(30 * SEC));
    assert_eq!(fail(&state, 1, 0), None);
    let none = UpstreamState::new(&upstream(
        "outlier = { consecutive_failures = 1, max_ejection_percent = 0 }",
        2,
    ));
    assert_eq!(fail(&none, 0, 0), None);
}

#[test]
fn breaker_events_and_usability() {
    let state = UpstreamState::new(&upstream(
        "circuit_breaker = { consecutive_failures = 1, open_for = \"1s\" }",
        2,
    ));
    let abandoned = state.allow(0, 0).unwrap();
    let permit = state.allow(0, 0).unwrap();
    assert_eq!(state.target(0).unwrap().in_flight(), 2);
    state.on_abandoned(0, abandoned);
    assert_eq!(state.target(0).unwrap().in_flight(), 1);
    let events = state.on_failure(0, permit, 0);
    assert_eq!(events.breaker.map(|t| t.to), Some(BreakerState::Open));
    assert_eq!(events.ejected_for, None);
    assert_eq!(state.target(0).unwrap().in_flight(), 0);
    assert!(!state.usable(0, MS) && state.usable(1, MS));
    assert!(state.allow(0, MS).is_err());
    let permit = state.allow(1, 0).unwrap();
    state.on_failure(1, permit, 0);
    assert!(!state.any_usable(MS));
    assert!(state.any_usable(SEC));
    let probe = state.allow(0, SEC).unwrap();
    assert!(probe.is_probe());
    let events = state.on_success(0, probe, SEC);
    assert_eq!(events.breaker.map(|t| t.to), Some(BreakerState::Closed));
}

#[test]
fn defaults_never_exclude_and_health_is_recorded() {
    let state = UpstreamState::new(&upstream(
        "health_check = { healthy = 1, unhealthy = 1 }\nconcurrency = { max_in_flight = 5 }",
        2,
    ));
    for _ in 0..100 {
        fail(&state, 0, 0);
    }
    assert!(state.usable(0, 0));
    assert!(state.record_health(1, false).is_some());
    assert!(!state.usable(1, 0));
    assert!(state.any_usable(0));
    assert_eq!(state.in_flight_limit().map(|l| l.max()), Some(5));
    assert_eq!(state.len(), 2);
    assert!(!state.usable(7, 0));
    assert!(state.allow(7, 0).is_err());
    assert_eq!(
        state.on_failure(7, Permit::unguarded(), 0).ejected_for,
        None
    );
}

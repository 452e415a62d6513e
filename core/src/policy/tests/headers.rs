//! The RateLimit-Policy, RateLimit and Retry-After values.

use super::{secs, MS, SEC};
use crate::policy::{retry_after_secs, Decision, Limit, PolicyHeader, RateLimitHeader};

#[test]
fn policy_names_quota_and_window() {
    let per_sec = Limit::new(100, secs(1), 10);
    let h = PolicyHeader {
        name: "api",
        limit: &per_sec,
    };
    assert_eq!(h.to_string(), r#""api";q=100;w=1"#);
    let per_min = Limit::new(6000, secs(60), 6000);
    let h = PolicyHeader {
        name: "global",
        limit: &per_min,
    };
    assert_eq!(h.to_string(), r#""global";q=6000;w=60"#);
}

#[test]
fn names_are_sf_strings() {
    let limit = Limit::new(1, secs(1), 1);
    let h = PolicyHeader {
        name: "a\"b\\c é",
        limit: &limit,
    };
    assert_eq!(h.to_string(), r#""a\"b\\c ?";q=1;w=1"#);
}

#[test]
fn ratelimit_and_retry_after_round_up() {
    let admitted = Decision {
        allowed: true,
        remaining: 7,
        retry_after: 0,
        reset_after: 1_200 * MS,
    };
    let h = RateLimitHeader {
        name: "api",
        decision: &admitted,
    };
    assert_eq!(h.to_string(), r#""api";r=7;t=2"#);
    assert_eq!(retry_after_secs(&admitted), 0);

    let rejected = Decision {
        allowed: false,
        remaining: 0,
        retry_after: 300 * MS,
        reset_after: 5 * SEC,
    };
    let h = RateLimitHeader {
        name: "api",
        decision: &rejected,
    };
    // t equals Retry-After, so Retry-After never points before the end
    // of the effective window.
    assert_eq!(h.to_string(), r#""api";r=0;t=1"#);
    assert_eq!(retry_after_secs(&rejected), 1);
    let exact = Decision {
        retry_after: 2 * SEC,
        ..rejected
    };
    assert_eq!(retry_after_secs(&exact), 2);
    let tiny = Decision {
        retry_after: 1,
        ..rejected
    };
    assert_eq!(retry_after_secs(&tiny), 1);
}

//! Retry decisions: every reason to stop, and the delay when retrying.

use super::{MS, SEC};
use crate::config::load_str;
use crate::policy::{Attempt, FailureKind, RetryBudget, RetryPolicy, Stop};

fn policy(retry: &str) -> RetryPolicy {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstreams.u]\ntargets = [\"127.0.0.1:1\"]\n[[routes]]\nupstream = \"u\"\nretry = {{ {retry} }}\n"
    );
    RetryPolicy::from_config(load_str(&text).unwrap().routes[0].retry.as_ref().unwrap())
}

fn get(tries: u32) -> Attempt<'static> {
    Attempt {
        tries,
        method: b"GET",
        body_replayable: true,
        started: 0,
    }
}

#[test]
fn every_reason_to_stop() {
    let p =
        policy("attempts = 3, on = [\"connect\", \"503\"], backoff = \"10ms\", deadline = \"1s\"");
    let random = u64::MAX;
    assert_eq!(
        p.next(&get(1), FailureKind::Connect, None, MS, random),
        Ok(10 * MS)
    );
    assert_eq!(
        p.next(&get(2), FailureKind::Status(503), None, MS, random),
        Ok(20 * MS)
    );
    assert_eq!(
        p.next(&get(3), FailureKind::Connect, None, MS, random),
        Err(Stop::Attempts)
    );
    assert_eq!(
        p.next(&get(1), FailureKind::Status(502), None, MS, random),
        Err(Stop::NotRetryable)
    );
    assert_eq!(
        p.next(&get(1), FailureKind::Reset, None, MS, random),
        Err(Stop::NotRetryable)
    );
    let post = Attempt {
        method: b"POST",
        ..get(1)
    };
    assert_eq!(
        p.next(&post, FailureKind::Connect, None, MS, random),
        Err(Stop::Method)
    );
    let streamed = Attempt {
        body_replayable: false,
        ..get(1)
    };
    assert_eq!(
        p.next(&streamed, FailureKind::Connect, None, MS, random),
        Err(Stop::Body)
    );
    assert_eq!(
        p.next(&get(1), FailureKind::Connect, None, SEC - 5 * MS, random),
        Err(Stop::Deadline)
    );
}

#[test]
fn the_budget_is_asked_last() {
    let p = policy("attempts = 5");
    let budget = RetryBudget::new(0.5, 0);
    budget.deposit(0, 2);
    // A refusal for another reason costs no token.
    assert_eq!(
        p.next(&get(1), FailureKind::Status(500), Some(&budget), 0, 0),
        Err(Stop::NotRetryable)
    );
    assert_eq!(
        p.next(&get(1), FailureKind::Reset, Some(&budget), 0, 0),
        Ok(0)
    );
    assert_eq!(
        p.next(&get(2), FailureKind::Reset, Some(&budget), 0, 0),
        Err(Stop::Budget)
    );
}

#[test]
fn defaults_retry_idempotent_methods_on_connect_reset_and_gateway_errors() {
    let p = policy("");
    assert_eq!(p.attempts(), 2);
    assert_eq!(p.body_buffer(), 64 * 1024);
    assert_eq!((p.per_try_timeout(), p.deadline()), (None, None));
    assert_eq!(p.backoff().ceiling(1), 25 * MS);
    for kind in [
        FailureKind::Connect,
        FailureKind::Reset,
        FailureKind::Status(502),
        FailureKind::Status(503),
        FailureKind::Status(504),
    ] {
        assert!(p.retries_on(kind), "{kind:?}");
    }
    assert!(!p.retries_on(FailureKind::Timeout) && !p.retries_on(FailureKind::Status(500)));
    for m in ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"] {
        assert!(p.retries_method(m.as_bytes()), "{m}");
    }
    assert!(!p.retries_method(b"POST") && !p.retries_method(b"PATCH"));
}

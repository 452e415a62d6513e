//! loom model checks of the shared words: every interleaving of two or three
//! threads (within a preemption bound) on the real policy code, whose
//! atomics `sync.rs` switches to loom's under `--cfg loom`.
//!
//! Run with (about a minute from cold on 2 cores, 10 s of it exploring;
//! `--release` explores in 5 s but builds for 2.5 min under the workspace's
//! thin LTO):
//!
//! ```text
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=/work/tgt-tests/loom \
//!     cargo test -p ringgate-core --lib policy::loom
//! ```

use std::time::Duration;

use loom::sync::Arc;
use loom::thread;

use super::{
    Breaker, BreakerState, Gcra, InFlight, Limit, Permit, RateTable, RetryBudget, Transition,
};
use crate::config::CircuitBreaker;

/// Explores every interleaving with at most 3 preemptions (enough for the
/// races here: each thread does one CAS loop).
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// Runs `f` on `n` threads at once and returns their results.
fn race<S: Send + Sync + 'static, T: Send + 'static>(
    shared: &Arc<S>,
    n: usize,
    f: fn(&S) -> T,
) -> Vec<T> {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let shared = Arc::clone(shared);
            thread::spawn(move || f(&shared))
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn gcra_admits_exactly_the_burst_to_three_threads() {
    model(|| {
        let gcra = Arc::new(Gcra::new(Limit::new(1, Duration::from_secs(1), 2)));
        let admitted = race(&gcra, 3, |g| g.check(1_000).allowed);
        assert_eq!(admitted.iter().filter(|&&a| a).count(), 2);
        // The TAT moved by exactly two emission intervals.
        let next = gcra.check(1_000);
        assert!(!next.allowed);
        assert_eq!(next.retry_after, 1_000_000_000);
    });
}

#[test]
fn table_inserts_a_new_key_once_when_two_threads_race() {
    model(|| {
        let table = Arc::new(RateTable::new(8, 7));
        let admitted = race(&table, 2, |t| {
            let limit = Limit::new(1, Duration::from_secs(1), 1);
            t.check(&limit, 0, b"10.0.0.1", 5_000).allowed
        });
        assert_eq!(admitted.iter().filter(|&&a| a).count(), 1);
    });
}

#[test]
fn breaker_hands_out_at_most_n_probes() {
    model(|| {
        let breaker = Arc::new(Breaker::new(&CircuitBreaker {
            consecutive_failures: Some(1),
            failure_ratio: None,
            open_for: Duration::from_secs(1),
            half_open_probes: 2,
        }));
        let opened = breaker.on_failure(Permit::unguarded(), 0);
        assert_eq!(opened.map(|t| t.to), Some(BreakerState::Open));
        let permits = race(&breaker, 3, |b| b.allow(2_000_000_000).ok());
        let probes: Vec<Permit> = permits.into_iter().flatten().collect();
        assert_eq!(probes.len(), 2);
        assert!(probes.iter().all(Permit::is_probe));
        let half_opened = Transition {
            from: BreakerState::Open,
            to: BreakerState::HalfOpen,
        };
        let firsts = probes
            .iter()
            .filter(|p| p.transition() == Some(half_opened))
            .count();
        assert_eq!(firsts, 1);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
    });
}

#[test]
fn retry_budget_pays_exactly_its_balance() {
    model(|| {
        let budget = Arc::new(RetryBudget::new(1.0, 0));
        budget.deposit(0, 2);
        let paid = race(&budget, 3, |b| b.try_withdraw(0));
        assert_eq!(paid.iter().filter(|&&p| p).count(), 2);
        assert_eq!(budget.balance(0), 0.0);
    });
}

#[test]
fn in_flight_never_exceeds_its_maximum() {
    model(|| {
        let limit = Arc::new(InFlight::new(2));
        let taken = race(&limit, 3, InFlight::try_acquire);
        assert_eq!(taken.iter().filter(|&&t| t).count(), 2);
        assert_eq!(limit.current(), 2);
    });
}

//! Active health of one upstream target, as the health checker last saw it.
//!
//! One checker per process sends `GET path` to every target each `interval`
//! and reports each result here ([`ActiveHealth::record`]); every shard reads
//! the verdict with one load ([`ActiveHealth::is_healthy`]). A healthy target
//! turns unhealthy after `unhealthy` failed checks in a row and back after
//! `healthy` passed ones in a row, so one lost probe does not flap it.
//! Targets start healthy, so a fresh gateway serves before the first round
//! of checks completes. A check passes on a 2xx status within `timeout`
//! ([`is_healthy_status`]).
//!
//! ```text
//! unused:31 | unhealthy:1 | streak of results against the current verdict:32
//! ```

use crossbeam_utils::CachePadded;

use super::sync::{update, AtomicU64, Ordering};
use crate::config::HealthCheck;

const UNHEALTHY: u64 = 1 << 32;
const STREAK: u64 = u32::MAX as u64;

/// A change of verdict, to be logged and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthChange {
    /// The target passed `healthy` checks in a row.
    Healthy,
    /// The target failed `unhealthy` checks in a row.
    Unhealthy,
}

/// Whether a health-check response status counts as a pass.
pub fn is_healthy_status(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The active-check verdict on one target.
#[derive(Debug)]
pub struct ActiveHealth {
    word: CachePadded<AtomicU64>,
    healthy_after: u64,
    unhealthy_after: u64,
}

impl ActiveHealth {
    /// A healthy target checked with these thresholds.
    pub fn new(config: &HealthCheck) -> ActiveHealth {
        ActiveHealth::with_thresholds(config.healthy, config.unhealthy)
    }

    /// A healthy target that turns unhealthy after `unhealthy` failures in a
    /// row and healthy again after `healthy` passes (each at least 1).
    pub fn with_thresholds(healthy: u32, unhealthy: u32) -> ActiveHealth {
        ActiveHealth {
            word: CachePadded::new(AtomicU64::new(0)),
            healthy_after: u64::from(healthy.max(1)),
            unhealthy_after: u64::from(unhealthy.max(1)),
        }
    }

    /// The current verdict.
    pub fn is_healthy(&self) -> bool {
        self.word.load(Ordering::Acquire) & UNHEALTHY == 0
    }

    /// Records one check result; returns the change of verdict, if any.
    pub fn record(&self, passed: bool) -> Option<HealthChange> {
        update(&self.word, None, |w| {
            let healthy = w & UNHEALTHY == 0;
            if passed == healthy {
                return Ok((w & UNHEALTHY, None));
            }
            let streak = (w & STREAK) + 1;
            let threshold = if healthy {
                self.unhealthy_after
            } else {
                self.healthy_after
            };
            Ok(match (streak >= threshold, healthy) {
                (false, _) => ((w & UNHEALTHY) | streak, None),
                (true, true) => (UNHEALTHY, Some(HealthChange::Unhealthy)),
                (true, false) => (0, Some(HealthChange::Healthy)),
            })
        })
    }
}

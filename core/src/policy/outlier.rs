//! Passive outlier ejection: a target that fails `consecutive_failures`
//! requests in a row (connect failures and 5xx, as the proxy reports them)
//! is ejected, i.e. skipped by the balancer, for a while.
//!
//! The `k`-th ejection in a row lasts `min(base_ejection × k, max_ejection)`;
//! once a target has stayed in for `max_ejection` after its last ejection,
//! the count starts over. At most `max_ejection_percent` of an upstream's
//! targets (and at least one, unless the percentage is 0) are ejected at
//! once, so outlier detection cannot empty an upstream of a failing fleet:
//! an [`InFlight`] counter per upstream holds the places, taken with a
//! bounded compare-exchange before a target's word is marked ejected and
//! given back after its mark is cleared, so the count never undercounts the
//! marks. Expired marks are cleared lazily, when another ejection is
//! considered; until then they only hold a place, never a target out.
//!
//! Per-target word, shared by all shards:
//!
//! ```text
//! ejected:1 | ejections:7 | consecutive failures:16 | ejected until (units of 1.05 ms):40
//! ```

use crossbeam_utils::CachePadded;

#[cfg(doc)]
use super::concurrency::InFlight;
use super::sync::{update, AtomicU64, Ordering};
use super::{nanos, Nanos};
use crate::config::Outlier as OutlierConfig;

const EJECTED: u64 = 1 << 63;
const EJECTIONS_SHIFT: u32 = 56;
const EJECTIONS_MAX: u64 = 0x7F;
const CONSECUTIVE_SHIFT: u32 = 40;
const CONSECUTIVE_MAX: u64 = 0xFFFF;
const UNTIL_MASK: u64 = (1 << 40) - 1;
const UNIT_SHIFT: u32 = 20;

/// Largest `consecutive_failures` the word can count.
pub const MAX_OUTLIER_STREAK: u32 = CONSECUTIVE_MAX as u32;

/// The settings of an upstream's `outlier` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutlierSettings {
    consecutive: u64,
    base: Nanos,
    max: Nanos,
    max_percent: u32,
}

impl OutlierSettings {
    /// From a validated `outlier` table.
    pub fn new(config: &OutlierConfig) -> OutlierSettings {
        OutlierSettings {
            consecutive: u64::from(config.consecutive_failures).clamp(1, CONSECUTIVE_MAX),
            base: nanos(config.base_ejection),
            max: nanos(config.max_ejection).max(nanos(config.base_ejection)),
            max_percent: config.max_ejection_percent.min(100),
        }
    }

    /// How many of `targets` may be ejected at once.
    pub fn max_ejected(&self, targets: usize) -> u32 {
        if self.max_percent == 0 {
            return 0;
        }
        let n = targets.saturating_mul(self.max_percent as usize) / 100;
        u32::try_from(n).unwrap_or(u32::MAX).max(1)
    }
}

/// One target's outlier state.
#[derive(Debug, Default)]
pub struct Outlier {
    word: CachePadded<AtomicU64>,
}

impl Outlier {
    /// A target in service.
    pub fn new() -> Outlier {
        Outlier::default()
    }

    /// Whether the target is ejected at `now`.
    pub fn is_ejected(&self, now: Nanos) -> bool {
        let w = self.word.load(Ordering::Acquire);
        w & EJECTED != 0 && now < until(w)
    }

    /// Ejections in a row so far.
    pub fn ejections(&self) -> u32 {
        (self.word.load(Ordering::Acquire) >> EJECTIONS_SHIFT & EJECTIONS_MAX) as u32
    }

    /// A request succeeded: the failure streak ends (no write if there was
    /// none), and the ejection count starts over once the target has stayed
    /// in for `max_ejection`.
    pub fn on_success(&self, now: Nanos, settings: &OutlierSettings) {
        self.update(|w| {
            let ejections = w >> EJECTIONS_SHIFT & EJECTIONS_MAX;
            let forgiven = ejections > 0 && now >= until(w).saturating_add(settings.max);
            let mut next = w & !(CONSECUTIVE_MAX << CONSECUTIVE_SHIFT);
            if forgiven {
                next &= !(EJECTIONS_MAX << EJECTIONS_SHIFT);
            }
            Some(next)
        });
    }

    /// A request failed; `true` when the streak has reached the threshold
    /// and the target is not ejected, i.e. it should be ejected now.
    /// Failures of an ejected target (requests started before) don't count.
    pub(super) fn on_failure(&self, now: Nanos, settings: &OutlierSettings) -> bool {
        let mut reached = false;
        self.update(|w| {
            if w & EJECTED != 0 && now < until(w) {
                return None;
            }
            let streak = ((w >> CONSECUTIVE_SHIFT & CONSECUTIVE_MAX) + 1).min(CONSECUTIVE_MAX);
            reached = streak >= settings.consecutive;
            Some(w & !(CONSECUTIVE_MAX << CONSECUTIVE_SHIFT) | streak << CONSECUTIVE_SHIFT)
        });
        reached
    }

    /// Marks the target ejected if it is not and its streak still reaches
    /// the threshold; returns how long for. The caller holds a place.
    pub(super) fn try_eject(&self, now: Nanos, settings: &OutlierSettings) -> Option<Nanos> {
        let mut duration = None;
        self.update(|w| {
            let streak = w >> CONSECUTIVE_SHIFT & CONSECUTIVE_MAX;
            if w & EJECTED != 0 || streak < settings.consecutive {
                return None;
            }
            let ejections = ((w >> EJECTIONS_SHIFT & EJECTIONS_MAX) + 1).min(EJECTIONS_MAX);
            let length = settings.base.saturating_mul(ejections).min(settings.max);
            let end = now.saturating_add(length).div_ceil(1 << UNIT_SHIFT) & UNTIL_MASK;
            duration = Some(length);
            Some(EJECTED | ejections << EJECTIONS_SHIFT | end)
        })
        .then_some(())?;
        duration
    }

    /// Clears an ejection mark whose time is over; `true` if this call
    /// cleared it (the caller then gives the place back).
    pub(super) fn release_if_over(&self, now: Nanos) -> bool {
        self.update(|w| (w & EJECTED != 0 && now >= until(w)).then_some(w & !EJECTED))
    }

    /// Applies `change` (`None`: nothing to do) with a bounded CAS loop;
    /// `true` if a new word was stored.
    fn update(&self, mut change: impl FnMut(u64) -> Option<u64>) -> bool {
        update(&self.word, false, |w| match change(w) {
            Some(next) if next != w => Ok((next, true)),
            _ => Err(false),
        })
    }
}

fn until(w: u64) -> Nanos {
    (w & UNTIL_MASK) << UNIT_SHIFT
}

//! Concurrency limits: at most `max` requests in flight, counted across all
//! shards in one atomic.
//!
//! A route's or an upstream's [`InFlight`] is incremented only while below
//! its maximum (a bounded compare-exchange loop) and decremented when the
//! request ends; the upstream's outlier ejection counts ejected targets
//! with one too. Beyond the limit the proxy answers 503 at once or, when a
//! `queue_timeout` is configured, retries [`InFlight::try_acquire`] until
//! that time has passed (waiting is the proxy's business: nothing here
//! blocks). [`InFlight::guard`] gives an RAII [`InFlightGuard`] that borrows
//! the counter, so it can be held across `.await`s in the shard's task and
//! still release on every early return.

use crossbeam_utils::CachePadded;

use super::sync::{update, AtomicU64, Ordering};

/// An in-flight counter with a maximum.
#[derive(Debug)]
pub struct InFlight {
    count: CachePadded<AtomicU64>,
    max: u32,
}

impl InFlight {
    /// A counter admitting up to `max` requests at once.
    pub fn new(max: u32) -> InFlight {
        InFlight {
            count: CachePadded::new(AtomicU64::new(0)),
            max,
        }
    }

    /// The configured maximum.
    pub fn max(&self) -> u32 {
        self.max
    }

    /// Requests in flight now.
    pub fn current(&self) -> u32 {
        u32::try_from(self.count.load(Ordering::Acquire)).unwrap_or(u32::MAX)
    }

    /// Takes a place if fewer than `max` are in flight. Every `true` must be
    /// matched by one [`InFlight::release`].
    pub fn try_acquire(&self) -> bool {
        update(&self.count, false, |n| {
            if n < u64::from(self.max) {
                Ok((n + 1, true))
            } else {
                Err(false)
            }
        })
    }

    /// Gives a place back. An unmatched release saturates at 0 rather than
    /// wrap around and lock everyone out.
    pub fn release(&self) {
        update(&self.count, (), |n| Ok((n.saturating_sub(1), ())));
    }

    /// [`InFlight::try_acquire`] as a guard that releases when dropped.
    pub fn guard(&self) -> Option<InFlightGuard<'_>> {
        self.try_acquire().then_some(InFlightGuard(self))
    }
}

/// A place in an [`InFlight`], given back on drop.
#[derive(Debug)]
#[must_use = "dropping the guard releases the place at once"]
pub struct InFlightGuard<'a>(&'a InFlight);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

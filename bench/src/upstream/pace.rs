//! Slowing the origin down on purpose: `--delay` and `--stall-after/--stall`.
//!
//! A [`Pacer`] is per thread. Its delay is a plain sleep before each answer.
//! The stall is process-wide: a [`StallClock`] counts requests over all
//! threads with one `fetch_add` each, and the request that comes after the
//! N-th one sets the end of the freeze; until then every thread that is
//! about to answer anything sleeps until that instant. The freeze happens
//! once. Once a thread has seen it pass it stops reading the clock.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Stall;

/// The process-wide freeze: when it starts and until when it lasts.
#[derive(Debug)]
pub struct StallClock {
    stall: Stall,
    /// Nanoseconds since `epoch` at which the freeze ends; 0 until it began.
    until: AtomicU64,
    /// Requests seen so far, all threads.
    seen: AtomicU64,
    epoch: Instant,
}

impl StallClock {
    /// A clock that has not frozen yet.
    pub fn new(stall: Stall) -> StallClock {
        StallClock {
            stall,
            until: AtomicU64::new(0),
            seen: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Count one request about to be answered; returns how long to wait
    /// before answering it (`None`: answer now), and whether the freeze is
    /// known to be over for good.
    pub fn on_request(&self) -> (Option<Duration>, bool) {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        let now = self.now_ns();
        let duration = u64::try_from(self.stall.duration.as_nanos()).unwrap_or(u64::MAX);
        if n == self.stall.after.saturating_add(1) {
            // max(1): 0 means "not started", even for a zero-length stall.
            let until = now.saturating_add(duration).max(1);
            self.until.store(until, Ordering::Release);
            return (Some(self.stall.duration), false);
        }
        match self.until.load(Ordering::Acquire) {
            0 => (None, false),
            until if now < until => (Some(Duration::from_nanos(until - now)), false),
            _ => (None, true),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// One thread's pacing: the delay, and its view of the stall clock.
#[derive(Debug)]
pub struct Pacer {
    delay: Option<Duration>,
    stall: Option<Arc<StallClock>>,
    /// This thread saw the freeze end: no more clock reads.
    stall_over: Cell<bool>,
}

impl Pacer {
    /// A pacer with an optional per-request delay and the shared stall clock.
    pub fn new(delay: Option<Duration>, stall: Option<Arc<StallClock>>) -> Pacer {
        Pacer {
            delay,
            stall,
            stall_over: Cell::new(false),
        }
    }

    /// Whether answers may wait: if so, a connection flushes what it has
    /// before calling [`Pacer::pause`], so earlier answers are not held up.
    pub fn is_active(&self) -> bool {
        self.delay.is_some() || (self.stall.is_some() && !self.stall_over.get())
    }

    /// Wait as long as this request must before its answer.
    pub async fn pause(&self) {
        if let Some(clock) = self.stall.as_deref().filter(|_| !self.stall_over.get()) {
            let (wait, over) = clock.on_request();
            self.stall_over.set(over);
            if let Some(wait) = wait {
                monoio::time::sleep(wait).await;
            }
        }
        if let Some(delay) = self.delay {
            monoio::time::sleep(delay).await;
        }
    }
}

//! The pace of a request body: `server.min_body_rate` over every
//! `server.body_rate_window` of waiting.
//!
//! Only time spent waiting for the client counts (not time spent writing to
//! a slow upstream), so a client is never blamed for the upstream's
//! back-pressure. A window is judged when it ends: the bytes that arrived in
//! it must reach the rate. The judgement is turned into one deadline per
//! read (the moment the current window would fail if nothing more arrived),
//! so a read is never cancelled and restarted, and no byte can be lost to a
//! cancelled read.

use monoio::time::Instant;
use ringgate_core::config::MinBodyRate;
use std::time::Duration;

/// The waiting time and bytes of the current window.
#[derive(Debug)]
pub struct Pace {
    rate: MinBodyRate,
    /// Time spent waiting for bytes in the current window.
    waited: Duration,
    /// Bytes that arrived in the current window.
    bytes: u64,
}

impl Pace {
    /// A fresh window for a body that must keep to `rate`.
    pub fn new(rate: MinBodyRate) -> Pace {
        Pace {
            rate,
            waited: Duration::ZERO,
            bytes: 0,
        }
    }

    /// When the body is too slow if no byte arrives from `now` on: the end
    /// of the current window if it has not brought enough yet, else the end
    /// of the next one.
    pub fn deadline(&self, now: Instant) -> Instant {
        let window = self.rate.window;
        let left = window.saturating_sub(self.waited);
        if self.bytes >= self.rate.required(window) {
            now + left + window
        } else {
            now + left
        }
    }

    /// A read that waited `waited` brought `n` bytes (called only for reads
    /// that completed before [`Pace::deadline`]).
    pub fn record(&mut self, waited: Duration, n: usize) {
        self.waited += waited;
        let n = n as u64;
        if self.waited >= self.rate.window {
            // The window ended during this read, with enough bytes (else the
            // deadline would have fired): the new bytes open the next one.
            self.waited -= self.rate.window;
            self.bytes = n;
        } else {
            self.bytes += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace() -> Pace {
        Pace::new(MinBodyRate {
            bytes: 100,
            per: Duration::from_secs(1),
            window: Duration::from_secs(2),
        })
    }

    #[test]
    fn a_starved_window_fails_at_its_end() {
        let now = Instant::now();
        let mut p = pace();
        assert_eq!(p.deadline(now), now + Duration::from_secs(2));
        p.record(Duration::from_millis(500), 50);
        assert_eq!(p.deadline(now), now + Duration::from_millis(1500));
    }

    #[test]
    fn a_full_window_carries_over_into_the_next() {
        let now = Instant::now();
        let mut p = pace();
        p.record(Duration::from_millis(500), 200);
        // 200 bytes reach 100 B/s over the 2 s window: the deadline is the
        // end of the next window.
        assert_eq!(p.deadline(now), now + Duration::from_millis(3500));
        p.record(Duration::from_millis(1600), 10);
        assert_eq!(p.waited, Duration::from_millis(100));
        assert_eq!(p.bytes, 10);
        assert_eq!(p.deadline(now), now + Duration::from_millis(1900));
    }
}

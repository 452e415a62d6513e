//! Open-loop send schedules (as wrk2 does, with its coordinated-omission fix).
//!
//! With `--rate R` over `C` connections each connection sends at `R / C`
//! requests per second: request `k` of connection `j` is *intended* for
//! `t0 + j / R + k * C / R`, so the connections' sends interleave evenly
//! instead of bursting together. A connection that falls behind (a slow
//! response, a reconnect) sends late requests at once and keeps the
//! schedule; its latency is still measured from the intended time, so a
//! server stall shows up in the percentiles instead of being omitted.
//!
//! monoio's timers tick in whole milliseconds and round a deadline up to the
//! end of its millisecond, then park for whole ticks: a sleep wakes 0–2 ms
//! after the time asked for. So a sleeping connection asks to wake
//! [`EARLY`] before a request's intended time and the request goes out at
//! most that much early, instead of up to 2 ms late; latency is measured
//! from the earlier of the intended and the actual send time (see
//! [`Schedule::origin`]), so an early send never shortens it and timer
//! slack never inflates it.

use std::time::{Duration, Instant};

/// How far ahead of its intended time a request may go out (two timer
/// ticks: the most a monoio sleep overshoots).
pub const EARLY: Duration = Duration::from_millis(2);

/// The intended send times of one connection.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    /// Offset of request 0 from `start`, in nanoseconds.
    offset_ns: f64,
    /// Nanoseconds between two requests of this connection.
    period_ns: f64,
    /// Index of the next request.
    next: u64,
}

impl Schedule {
    /// Connection `conn` of `connections`, `rate` requests/s in total, from `start`.
    pub fn new(start: Instant, rate: f64, connections: usize, conn: usize) -> Schedule {
        let per_request_ns = 1e9 / rate;
        Schedule {
            start,
            offset_ns: per_request_ns * conn as f64,
            period_ns: per_request_ns * connections as f64,
            next: 0,
        }
    }

    /// The intended time of request `k`.
    pub fn at(&self, k: u64) -> Instant {
        let ns = self.offset_ns + self.period_ns * k as f64;
        self.start + Duration::from_nanos(ns as u64)
    }

    /// The intended time of the next request.
    pub fn peek(&self) -> Instant {
        self.at(self.next)
    }

    /// Take the next intended time.
    pub fn advance(&mut self) -> Instant {
        let t = self.peek();
        self.next += 1;
        t
    }

    /// Where latency of a request intended at `intended` and sent at `sent`
    /// is measured from: the intended time, unless the timer let it go out
    /// early (then the actual send, so an early send never shortens it).
    pub fn origin(intended: Instant, sent: Instant) -> Instant {
        intended.min(sent)
    }

    /// Generator lag of a send: how late it went out (zero if early).
    pub fn lag(intended: Instant, sent: Instant) -> Duration {
        sent.saturating_duration_since(intended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intended_times_follow_the_rate() {
        let t0 = Instant::now();
        // 1000 req/s over 4 connections: each sends every 4 ms, offset 1 ms apart.
        let mut s = Schedule::new(t0, 1000.0, 4, 2);
        assert_eq!(s.advance() - t0, Duration::from_millis(2));
        assert_eq!(s.advance() - t0, Duration::from_millis(6));
        assert_eq!(s.peek() - t0, Duration::from_millis(10));
        assert_eq!(s.at(250) - t0, Duration::from_millis(1002));
    }

    #[test]
    fn all_connections_together_send_evenly() {
        let t0 = Instant::now();
        let conns = 7;
        let mut times: Vec<Duration> = (0..conns)
            .flat_map(|c| {
                let s = Schedule::new(t0, 350.0, conns, c);
                (0..50).map(move |k| s.at(k) - t0)
            })
            .collect();
        times.sort();
        // 350 req/s: one every 2.857 ms, in total order.
        for (i, t) in times.iter().enumerate() {
            let want = i as f64 * 1e9 / 350.0;
            assert!((t.as_nanos() as f64 - want).abs() < 2.0, "{i}: {t:?}");
        }
        // One second holds exactly the rate's worth of intended sends.
        let in_first_second = times
            .iter()
            .filter(|t| **t < Duration::from_secs(1))
            .count();
        assert_eq!(in_first_second, 350);
    }

    #[test]
    fn latency_origin_and_lag() {
        let t = Instant::now();
        let late = t + Duration::from_millis(3);
        assert_eq!(Schedule::origin(t, late), t);
        assert_eq!(Schedule::lag(t, late), Duration::from_millis(3));
        assert_eq!(Schedule::origin(late, t), t);
        assert_eq!(Schedule::lag(late, t), Duration::ZERO);
    }
}

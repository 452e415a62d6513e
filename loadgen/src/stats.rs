//! Per-thread counters and HdrHistograms, merged on the main thread at the end.
//!
//! Every shard records into its own [`Stats`] (shared by its connection
//! tasks through an `Rc<RefCell<_>>`, never across threads); the main
//! thread adds them up with [`Stats::merge`]. Latencies are recorded in
//! microseconds in histograms covering 1 µs to 1 h with 3 significant digits.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Largest value a histogram tracks: one hour in microseconds.
pub const MAX_US: u64 = 3_600_000_000;
/// Status codes are counted in a flat table indexed by code (100..=999).
pub const STATUS_SLOTS: usize = 1000;

/// A fresh latency histogram (µs, 1 µs to 1 h, 3 significant digits).
pub fn histogram() -> Histogram<u64> {
    // The bounds are constants the crate accepts; this cannot fail.
    Histogram::new_with_bounds(1, MAX_US, 3).unwrap_or_else(|_| unreachable!())
}

/// Record a duration in microseconds (saturating at [`MAX_US`]).
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(MAX_US).min(MAX_US);
    h.saturating_record(us);
}

/// The kinds of failure ringload counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Connecting failed (refused, unreachable, timed out, TLS handshake failed).
    Connect,
    /// A read failed, or the peer closed before any byte of an awaited response.
    Read,
    /// Writing a request failed.
    Write,
    /// A request got no (complete) response within `--timeout`.
    Timeout,
    /// An unparseable response, a response nobody asked for, or a close mid-response.
    Protocol,
}

/// Error counts by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Errors {
    /// See [`ErrorClass::Connect`].
    pub connect: u64,
    /// See [`ErrorClass::Read`].
    pub read: u64,
    /// See [`ErrorClass::Write`].
    pub write: u64,
    /// See [`ErrorClass::Timeout`].
    pub timeout: u64,
    /// See [`ErrorClass::Protocol`].
    pub protocol: u64,
}

impl Errors {
    /// Count one error.
    pub fn add(&mut self, class: ErrorClass) {
        match class {
            ErrorClass::Connect => self.connect += 1,
            ErrorClass::Read => self.read += 1,
            ErrorClass::Write => self.write += 1,
            ErrorClass::Timeout => self.timeout += 1,
            ErrorClass::Protocol => self.protocol += 1,
        }
    }

    /// All errors.
    pub fn total(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout + self.protocol
    }

    /// Add another set of counts.
    pub fn merge(&mut self, o: &Errors) {
        self.connect += o.connect;
        self.read += o.read;
        self.write += o.write;
        self.timeout += o.timeout;
        self.protocol += o.protocol;
    }
}

/// What one thread measured (or the sum of all threads).
#[derive(Debug, Clone)]
pub struct Stats {
    /// Complete responses received.
    pub requests: u64,
    /// Requests written.
    pub sent: u64,
    /// Bytes read from sockets.
    pub bytes: u64,
    /// Responses by status code, indexed by code.
    pub status: Vec<u64>,
    /// Errors by class.
    pub errors: Errors,
    /// Latency (open loop: from the intended send time) of every response
    /// and of every timed-out request.
    pub latency: Histogram<u64>,
    /// Open loop only: latency from the actual send time.
    pub service: Option<Histogram<u64>>,
    /// Open loop only: actual minus intended send time of every request.
    pub lag: Option<Histogram<u64>>,
    /// Open loop only: the part of the lag that is the generator's own, in
    /// nanoseconds summed over all sends: how late a request went out after
    /// both its intended time and the moment its connection could take it
    /// (the rest of the lag is waiting for the server's earlier responses).
    pub own_lag_ns: u64,
}

impl Stats {
    /// Empty statistics; `open_loop` adds the service-time and lag histograms.
    pub fn new(open_loop: bool) -> Stats {
        Stats {
            requests: 0,
            sent: 0,
            bytes: 0,
            status: vec![0; STATUS_SLOTS],
            errors: Errors::default(),
            latency: histogram(),
            service: open_loop.then(histogram),
            lag: open_loop.then(histogram),
            own_lag_ns: 0,
        }
    }

    /// Count a complete response.
    #[inline]
    pub fn response(&mut self, status: u16, latency: Duration, service: Duration) {
        self.requests += 1;
        if let Some(slot) = self.status.get_mut(usize::from(status)) {
            *slot += 1;
        }
        record(&mut self.latency, latency);
        if let Some(h) = &mut self.service {
            record(h, service);
        }
    }

    /// Forget everything (after the warm-up), keeping the allocations.
    pub fn reset(&mut self) {
        self.requests = 0;
        self.sent = 0;
        self.bytes = 0;
        self.status.iter_mut().for_each(|s| *s = 0);
        self.errors = Errors::default();
        self.latency.reset();
        if let Some(h) = &mut self.service {
            h.reset();
        }
        if let Some(h) = &mut self.lag {
            h.reset();
        }
        self.own_lag_ns = 0;
    }

    /// Add another thread's statistics.
    pub fn merge(&mut self, o: &Stats) {
        self.requests += o.requests;
        self.sent += o.sent;
        self.bytes += o.bytes;
        for (a, b) in self.status.iter_mut().zip(&o.status) {
            *a += b;
        }
        self.errors.merge(&o.errors);
        merge_hist(&mut self.latency, &o.latency);
        merge_opt(&mut self.service, &o.service);
        merge_opt(&mut self.lag, &o.lag);
        self.own_lag_ns += o.own_lag_ns;
    }

    /// `(status, count)` for every status seen, ascending.
    pub fn status_counts(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.status
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(code, n)| (code as u16, *n))
    }
}

/// Add `b` into `a` (same bounds, so this cannot fail).
pub fn merge_hist(a: &mut Histogram<u64>, b: &Histogram<u64>) {
    let _ = a.add(b);
}

fn merge_opt(a: &mut Option<Histogram<u64>>, b: &Option<Histogram<u64>>) {
    match (a.as_mut(), b) {
        (Some(a), Some(b)) => merge_hist(a, b),
        (None, Some(b)) => *a = Some(b.clone()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn merging_threads_adds_counts_and_histograms() {
        let mut a = Stats::new(true);
        let mut b = Stats::new(true);
        for i in 1..=100 {
            a.response(200, ms(i), ms(1));
        }
        for i in 101..=200 {
            b.response(if i % 2 == 0 { 200 } else { 503 }, ms(i), ms(2));
        }
        a.errors.add(ErrorClass::Timeout);
        b.errors.add(ErrorClass::Connect);
        b.errors.add(ErrorClass::Connect);
        a.bytes = 10;
        b.bytes = 5;
        let mut total = Stats::new(true);
        total.merge(&a);
        total.merge(&b);
        assert_eq!(total.requests, 200);
        assert_eq!(total.bytes, 15);
        assert_eq!(total.latency.len(), 200);
        let statuses: Vec<_> = total.status_counts().collect();
        assert_eq!(statuses, vec![(200, 150), (503, 50)]);
        assert_eq!(statuses.iter().map(|s| s.1).sum::<u64>(), total.requests);
        assert_eq!(total.errors.timeout, 1);
        assert_eq!(total.errors.connect, 2);
        assert_eq!(total.errors.total(), 3);
        // The merged median is the median of all 200 values (100.5 ms), not of either thread.
        let p50 = total.latency.value_at_quantile(0.5);
        assert!((99_900..=100_600).contains(&p50), "{p50}");
        assert_eq!(
            total.latency.max(),
            total.latency.highest_equivalent(200_000)
        );
        assert_eq!(total.service.as_ref().map(|h| h.len()), Some(200));
    }

    #[test]
    fn merge_into_closed_loop_and_reset() {
        let mut total = Stats::new(false);
        let mut open = Stats::new(true);
        open.response(200, ms(5), ms(1));
        total.merge(&open);
        assert_eq!(total.service.as_ref().map(|h| h.len()), Some(1));
        open.reset();
        assert_eq!((open.requests, open.latency.len()), (0, 0));
        assert_eq!(open.status_counts().count(), 0);
    }

    #[test]
    fn extreme_values_saturate() {
        let mut h = histogram();
        record(&mut h, Duration::from_secs(100_000));
        record(&mut h, Duration::ZERO);
        assert_eq!(h.len(), 2);
        assert!(h.max() >= MAX_US);
    }
}

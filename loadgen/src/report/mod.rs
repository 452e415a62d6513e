//! The result of a run and its renderings.
//!
//! [`Summary`] is the merged outcome (totals, histograms, per-second
//! intervals, per-thread CPU use) plus the warnings ringload raises about
//! itself. [`text`] prints the wrk-like report, [`json`] the `--json` file
//! (schema in `loadgen/README.md`), [`hgrm`] the HdrHistogram percentile
//! distribution and [`hlog`] the interval log.

pub mod hgrm;
pub mod hlog;
pub mod json;
pub mod text;

use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::plan::Plan;
use crate::stats::Stats;

/// Warn when an open-loop run achieved less than this share of its target rate.
pub const RATE_WARN: f64 = 0.99;
/// Warn when the mean generator lag exceeds this (timers tick every 1 ms).
pub const LAG_WARN: Duration = Duration::from_millis(5);
/// Warn when a generator thread was on CPU more than this share of the time.
pub const BUSY_WARN: f64 = 0.95;

/// One reporting interval of the whole run (all threads merged).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IntervalSample {
    /// End of the interval, seconds since the measurement started.
    pub t_s: f64,
    /// Length of the interval in seconds (1, except perhaps the last).
    pub duration_s: f64,
    /// Responses completed in it.
    pub requests: u64,
    /// Errors in it.
    pub errors: u64,
    /// `requests / duration_s`.
    pub rps: f64,
    /// Median latency in it (µs).
    pub p50_us: u64,
    /// 90th percentile (µs).
    pub p90_us: u64,
    /// 99th percentile (µs).
    pub p99_us: u64,
    /// Largest latency (µs).
    pub max_us: u64,
}

/// One generator thread.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ThreadInfo {
    /// CPU it was pinned to.
    pub cpu: Option<usize>,
    /// On-CPU share of the measured time (0..1), if known.
    pub busy: Option<f64>,
}

/// Summary statistics of one histogram (µs).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub stdev: f64,
    /// Smallest.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 75th percentile.
    pub p75: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Largest.
    pub max: u64,
}

impl Percentiles {
    /// Read them off a histogram (all zero when it is empty).
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        let q = |q: f64| {
            if h.is_empty() {
                0
            } else {
                h.value_at_quantile(q)
            }
        };
        Percentiles {
            count: h.len(),
            mean: if h.is_empty() { 0.0 } else { h.mean() },
            stdev: if h.is_empty() { 0.0 } else { h.stdev() },
            min: if h.is_empty() { 0 } else { h.min() },
            p50: q(0.5),
            p75: q(0.75),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
            max: if h.is_empty() { 0 } else { h.max() },
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone)]
pub struct Summary {
    /// What ran.
    pub plan: Arc<Plan>,
    /// Totals of all threads.
    pub stats: Stats,
    /// Measured time (after the warm-up).
    pub duration: Duration,
    /// The run was stopped early (Ctrl-C, SIGTERM); `duration` is what it ran.
    pub interrupted: bool,
    /// Per-second samples.
    pub intervals: Vec<IntervalSample>,
    /// Per-thread pinning and CPU use.
    pub threads: Vec<ThreadInfo>,
    /// The I/O driver the threads ran on.
    pub driver: &'static str,
    /// Problems with the measurement itself.
    pub warnings: Vec<String>,
}

impl Summary {
    /// Build the summary and work out its warnings.
    pub fn new(
        plan: Arc<Plan>,
        stats: Stats,
        duration: Duration,
        intervals: Vec<IntervalSample>,
        threads: Vec<ThreadInfo>,
        driver: &'static str,
        interrupted: bool,
    ) -> Summary {
        let mut s = Summary {
            plan,
            stats,
            duration,
            interrupted,
            intervals,
            threads,
            driver,
            warnings: Vec::new(),
        };
        s.warnings = s.compute_warnings();
        s
    }

    /// Responses per second.
    pub fn rps(&self) -> f64 {
        per_second(self.stats.requests, self.duration)
    }

    /// Bytes read per second.
    pub fn bytes_per_s(&self) -> f64 {
        per_second(self.stats.bytes, self.duration)
    }

    fn compute_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(target) = self.plan.rate {
            let achieved = self.rps();
            // A run cut short by -n has no rate to hold.
            let by_count = self.plan.requests.is_some_and(|n| self.stats.sent >= n);
            if achieved < RATE_WARN * target && !by_count {
                w.push(format!(
                    "achieved {achieved:.0} req/s, {:.1}% of the target {target:.0} req/s: \
                     the server or the generator could not keep up",
                    100.0 * achieved / target
                ));
            }
            if let Some(lag) = &self.stats.lag {
                w.extend(self.lag_warning(lag));
            }
        }
        for (i, t) in self.threads.iter().enumerate() {
            if let Some(b) = t.busy.filter(|b| *b > BUSY_WARN) {
                w.push(format!(
                    "generator thread {i} was busy {:.0}% of the time: ringload itself may be \
                     the bottleneck; add threads (-t) on free CPUs",
                    100.0 * b
                ));
            }
            if t.cpu.is_none() {
                w.push(format!("generator thread {i} could not be pinned to a CPU"));
            }
        }
        w
    }
}

impl Summary {
    /// Open loop: a warning when requests went out late on average, saying
    /// whose fault it was. Late because the connection was still waiting
    /// for the server is the coordinated omission the corrected latency
    /// accounts for; late although the connection was free is the
    /// generator's own lag, and its numbers are then suspect.
    fn lag_warning(&self, lag: &Histogram<u64>) -> Option<String> {
        let sends = lag.len();
        if sends == 0 {
            return None;
        }
        let own_us = self.stats.own_lag_ns as f64 / 1e3 / sends as f64;
        let limit = LAG_WARN.as_micros() as f64;
        if own_us > limit {
            return Some(format!(
                "requests went out {} late on average on free connections: the generator \
                 lagged its schedule; add threads (-t) on free CPUs",
                text::fmt_us(own_us)
            ));
        }
        (lag.mean() > limit).then(|| {
            format!(
                "requests went out {} late on average (p99 {}) because their connections were \
                 still waiting for earlier responses: the server fell behind the schedule (the \
                 corrected latency includes the wait); more connections (-c) keep requests \
                 independent",
                text::fmt_us(lag.mean()),
                text::fmt_us(lag.value_at_quantile(0.99) as f64)
            )
        })
    }
}

fn per_second(n: u64, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s > 0.0 {
        n as f64 / s
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;

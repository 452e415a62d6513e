//! `--json`: the machine-readable report (schema in `loadgen/README.md`).
//!
//! Everything `ringload compare` needs is here: the totals, the latency
//! summaries and the per-second `intervals` samples that a statistical
//! comparison of two runs works on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{IntervalSample, Percentiles, Summary, ThreadInfo};
use crate::stats::Errors;

/// Version of the JSON layout; bumped on incompatible changes.
pub const SCHEMA: u32 = 1;

/// The JSON report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonReport {
    /// ringload's version.
    pub version: String,
    /// Layout version ([`SCHEMA`]).
    pub schema: u32,
    /// Complete responses (the sum of `status`).
    pub requests: u64,
    /// Requests written.
    pub sent: u64,
    /// Measured seconds (after the warm-up).
    pub duration_s: f64,
    /// Stopped early by Ctrl-C or SIGTERM (`duration_s` is what it ran).
    /// Added after schema 1; false when absent.
    #[serde(default)]
    pub interrupted: bool,
    /// `requests / duration_s`.
    pub rps: f64,
    /// Bytes read.
    pub bytes: u64,
    /// `bytes / duration_s`.
    pub bytes_per_s: f64,
    /// Latency (µs): from the intended send time in open loop, of every
    /// response and every timeout (`count = requests + errors.timeout`).
    pub latency_us: Percentiles,
    /// Responses by status code.
    pub status: BTreeMap<String, u64>,
    /// Errors by class.
    pub errors: Errors,
    /// Whether `--rate` was used.
    pub open_loop: bool,
    /// `--rate` (req/s in total).
    pub target_rate: Option<f64>,
    /// Open loop: latency from the actual send time (µs).
    pub service_time_us: Option<Percentiles>,
    /// Open loop: actual minus intended send time (µs).
    pub lag_us: Option<Percentiles>,
    /// Open loop: mean of the generator's own part of the lag (µs): how late
    /// requests went out after their connection was free to send them.
    pub generator_lag_mean_us: Option<f64>,
    /// Problems with the measurement itself.
    pub warnings: Vec<String>,
    /// One sample per second of the measured time.
    pub intervals: Vec<IntervalSample>,
    /// Per generator thread.
    pub threads: Vec<ThreadInfo>,
    /// The run's settings.
    pub config: JsonConfig,
    /// Latency by percentile, `[percentile (0..100), latency µs]`, log-spaced
    /// in `1/(1-p)` (5 points per decade, up to what the count supports) for
    /// `ringload compare --plot`. Added after schema 1; empty when absent.
    #[serde(default)]
    pub percentiles: Vec<(f64, u64)>,
}

/// The settings of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JsonConfig {
    /// Target URLs.
    pub urls: Vec<String>,
    /// Method.
    pub method: String,
    /// Connections in total.
    pub connections: usize,
    /// Threads.
    pub threads: usize,
    /// `-d` in seconds (null: `-n` only).
    pub duration_s: Option<f64>,
    /// `--warmup` in seconds.
    pub warmup_s: f64,
    /// `-n`.
    pub requests: Option<u64>,
    /// `-p`.
    pub pipeline: usize,
    /// `--timeout` in seconds.
    pub timeout_s: f64,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--no-keepalive`.
    pub keepalive: bool,
    /// The I/O driver used.
    pub driver: String,
}

impl JsonReport {
    /// Build from a summary.
    pub fn new(s: &Summary) -> JsonReport {
        let p = &s.plan;
        JsonReport {
            version: env!("CARGO_PKG_VERSION").to_string(),
            schema: SCHEMA,
            requests: s.stats.requests,
            sent: s.stats.sent,
            duration_s: s.duration.as_secs_f64(),
            interrupted: s.interrupted,
            rps: s.rps(),
            bytes: s.stats.bytes,
            bytes_per_s: s.bytes_per_s(),
            latency_us: Percentiles::of(&s.stats.latency),
            status: s
                .stats
                .status_counts()
                .map(|(c, n)| (c.to_string(), n))
                .collect(),
            errors: s.stats.errors,
            open_loop: p.rate.is_some(),
            target_rate: p.rate,
            service_time_us: s.stats.service.as_ref().map(Percentiles::of),
            lag_us: s.stats.lag.as_ref().map(Percentiles::of),
            generator_lag_mean_us: s
                .stats
                .lag
                .as_ref()
                .map(|h| s.stats.own_lag_ns as f64 / 1e3 / h.len().max(1) as f64),
            warnings: s.warnings.clone(),
            intervals: s.intervals.clone(),
            threads: s.threads.clone(),
            config: JsonConfig {
                urls: p.urls.clone(),
                method: p.method.clone(),
                connections: p.connections,
                threads: p.threads,
                duration_s: p.duration.map(|d| d.as_secs_f64()),
                warmup_s: p.warmup.as_secs_f64(),
                requests: p.requests,
                pipeline: p.pipeline,
                timeout_s: p.timeout.as_secs_f64(),
                rate: p.rate,
                keepalive: !p.no_keepalive,
                driver: s.driver.to_string(),
            },
            percentiles: percentile_curve(&s.stats.latency),
        }
    }

    /// Pretty-printed JSON text.
    pub fn to_string_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Points per decade of `1/(1-p)` in [`percentile_curve`].
pub const CURVE_STEPS: u32 = 5;

/// `[percentile, µs]` at `1/(1-p) = 10^(k/5)` for k = 0, 1, ... while
/// `1/(1-p)` does not exceed the count (at most 99.9999%), then 100% (max).
pub fn percentile_curve(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let limit = (h.len() as f64).clamp(10.0, 1e6);
    let mut out = Vec::new();
    for k in 0..=6 * CURVE_STEPS {
        let inv = 10f64.powf(f64::from(k) / f64::from(CURVE_STEPS));
        if inv > limit * 1.000_001 {
            break;
        }
        let q = 1.0 - 1.0 / inv;
        let pct = (q * 1e8).round() / 1e6;
        out.push((pct, h.value_at_quantile(q)));
    }
    out.push((100.0, h.max()));
    out
}

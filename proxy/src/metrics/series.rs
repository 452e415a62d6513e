//! One series of exchanges: answers counted by status class and a latency
//! histogram, written by one shard and summed over shards at scrape time.
//! Routes count whole requests with it, targets the upstream's response
//! time (request sent to response head).

use super::{bump, label_value, BUCKETS_US, CLASSES};
use crate::snapshot::Snapshot;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counters of one route or target on one shard.
#[derive(Debug, Default)]
pub struct Series {
    pub(super) by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl Series {
    /// Count one answer with `status` that took `elapsed`.
    pub fn record(&self, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(c) = self.by_class.get(class) {
            bump(c, 1);
        }
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US
            .iter()
            .position(|&b| us <= b)
            .unwrap_or(BUCKETS_US.len());
        if let Some(b) = self.buckets.get(bucket) {
            bump(b, 1);
        }
        bump(&self.sum_us, us);
        bump(&self.count, 1);
    }
}

fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

/// Write histogram `name{labels}` summed over the shards' `series`.
pub fn histogram<'a>(
    out: &mut String,
    name: &str,
    labels: &str,
    series: impl Iterator<Item = &'a Series> + Clone,
) {
    let mut cumulative = 0u64;
    for (b, bound) in BUCKETS_US.iter().enumerate() {
        cumulative += series
            .clone()
            .filter_map(|s| s.buckets.get(b))
            .map(load)
            .sum::<u64>();
        let le = *bound as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
    }
    let count: u64 = series.clone().map(|s| load(&s.count)).sum();
    let sum_us: u64 = series.map(|s| load(&s.sum_us)).sum();
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", sum_us as f64 / 1e6);
    let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
}

/// `ringgate_target_responses_total{upstream,target,class}` and the
/// `ringgate_target_response_seconds{upstream,target}` histogram, from
/// every shard's `[upstream][target]` series.
pub fn render_targets<'a>(
    out: &mut String,
    snapshot: &Snapshot,
    shards: impl Iterator<Item = &'a Vec<Vec<Arc<Series>>>> + Clone,
) {
    let cfg = &snapshot.config;
    let at = |u: usize, t: usize| {
        shards
            .clone()
            .filter_map(move |s| s.get(u)?.get(t))
            .map(|a| &**a)
    };
    out.push_str("# HELP ringgate_target_responses_total Responses relayed from each upstream target, by status class.\n");
    out.push_str("# TYPE ringgate_target_responses_total counter\n");
    for (u, up) in cfg.upstreams.iter().enumerate() {
        for (t, target) in up.targets.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let total: u64 = at(u, t).filter_map(|s| s.by_class.get(c)).map(load).sum();
                let _ = writeln!(
                    out,
                    "ringgate_target_responses_total{{upstream=\"{}\",target=\"{}\",class=\"{class}\"}} {total}",
                    label_value(&up.name),
                    target.addr
                );
            }
        }
    }
    out.push_str("# HELP ringgate_target_response_seconds Time from the request sent to a target to its response head.\n");
    out.push_str("# TYPE ringgate_target_response_seconds histogram\n");
    for (u, up) in cfg.upstreams.iter().enumerate() {
        for (t, target) in up.targets.iter().enumerate() {
            let labels = format!(
                "upstream=\"{}\",target=\"{}\"",
                label_value(&up.name),
                target.addr
            );
            histogram(out, "ringgate_target_response_seconds", &labels, at(u, t));
        }
    }
}

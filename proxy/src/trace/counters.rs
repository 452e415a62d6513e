//! Process-wide span export counters, written by the shards (a full
//! queue) and the exporter thread, read by `/metrics`:
//! `ringgate_spans_exported_total` and `ringgate_spans_dropped_total`.

use crate::snapshot::Snapshot;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

static EXPORTED: AtomicU64 = AtomicU64::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// `n` spans were accepted by the receiver.
pub fn exported(n: usize) {
    EXPORTED.fetch_add(n as u64, Ordering::Relaxed);
}

/// `n` spans were given up on (queue full, receiver down or refusing).
pub fn dropped(n: usize) {
    DROPPED.fetch_add(n as u64, Ordering::Relaxed);
}

/// (exported, dropped) so far.
pub fn totals() -> (u64, u64) {
    (
        EXPORTED.load(Ordering::Relaxed),
        DROPPED.load(Ordering::Relaxed),
    )
}

/// Append the counters in the Prometheus text format when spans are
/// exported.
pub fn render(out: &mut String, snapshot: &Snapshot) {
    let exporting = snapshot
        .config
        .server
        .tracing
        .as_ref()
        .is_some_and(|t| t.enabled && t.export.is_some());
    if !exporting {
        return;
    }
    let (exported, dropped) = totals();
    out.push_str("# HELP ringgate_spans_exported_total Spans accepted by the OTLP receiver.\n");
    out.push_str("# TYPE ringgate_spans_exported_total counter\n");
    let _ = writeln!(out, "ringgate_spans_exported_total {exported}");
    out.push_str("# HELP ringgate_spans_dropped_total Sampled spans not exported: queue full, receiver down or refusing.\n");
    out.push_str("# TYPE ringgate_spans_dropped_total counter\n");
    let _ = writeln!(out, "ringgate_spans_dropped_total {dropped}");
}

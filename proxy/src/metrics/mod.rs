//! Per-shard metrics, merged at scrape time.
//!
//! Each shard owns one [`ShardMetrics`] and is its only writer: counters are
//! `AtomicU64`s updated with a relaxed load and store (no read-modify-write,
//! no lock prefix, no contention), so the request path never waits on
//! another core. The admin thread reads every shard's counters and renders
//! the Prometheus text exposition format ([`render`]). The policies' counters
//! and the shared target state are in [`policy`].

pub mod policy;
pub mod tls;

use crate::snapshot::Snapshot;
use policy::{HealthStats, PolicyMetrics};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Latency histogram bucket bounds in microseconds (Prometheus `le` in seconds).
pub const BUCKETS_US: [u64; 16] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// Status classes counted: 1xx..5xx.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Add to a counter that only this shard writes.
#[inline]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// Counters of one route on one shard.
#[derive(Debug, Default)]
pub struct RouteMetrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

impl RouteMetrics {
    fn record(&self, status: u16, elapsed: Duration) {
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

/// Everything one shard counts.
#[derive(Debug)]
pub struct ShardMetrics {
    /// Shard index.
    pub shard: usize,
    /// Per route, in config order; the last entry is "no route matched".
    routes: Vec<RouteMetrics>,
    /// Open downstream connections.
    connections_open: AtomicU64,
    /// Connections accepted in total.
    connections_total: AtomicU64,
    /// Idle pooled upstream connections, per upstream.
    pool_idle: Vec<AtomicU64>,
    /// Upstream connections opened, per upstream.
    upstream_connects: Vec<AtomicU64>,
    /// What the policies did on this shard.
    pub policy: PolicyMetrics,
    /// Requests refused by the route's authentication, per route.
    auth_rejections: Vec<AtomicU64>,
    /// Connections by TLS mode and handshake outcomes.
    pub tls: tls::TlsMetrics,
}

impl ShardMetrics {
    /// Metrics for a shard serving `snapshot`.
    pub fn new(shard: usize, snapshot: &Snapshot) -> ShardMetrics {
        let routes = (0..=snapshot.config.routes.len())
            .map(|_| RouteMetrics::default())
            .collect();
        let ups = snapshot.config.upstreams.len();
        ShardMetrics {
            shard,
            routes,
            connections_open: AtomicU64::new(0),
            connections_total: AtomicU64::new(0),
            pool_idle: (0..ups).map(|_| AtomicU64::new(0)).collect(),
            upstream_connects: (0..ups).map(|_| AtomicU64::new(0)).collect(),
            policy: PolicyMetrics::new(snapshot),
            auth_rejections: (0..snapshot.config.routes.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            tls: tls::TlsMetrics::default(),
        }
    }

    /// A request ended with `status` after `elapsed`; `route` is None when no route matched.
    pub fn request(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        let index = route.unwrap_or(self.routes.len().saturating_sub(1));
        if let Some(r) = self.routes.get(index) {
            r.record(status, elapsed);
        }
    }

    /// A connection was accepted.
    pub fn connection_opened(&self) {
        bump(&self.connections_open, 1);
        bump(&self.connections_total, 1);
    }

    /// A connection closed.
    pub fn connection_closed(&self) {
        let open = &self.connections_open;
        open.store(
            open.load(Ordering::Relaxed).saturating_sub(1),
            Ordering::Relaxed,
        );
    }

    /// The pool of `upstream` now holds `idle` connections on this shard.
    pub fn pool_idle(&self, upstream: usize, idle: usize) {
        if let Some(g) = self.pool_idle.get(upstream) {
            g.store(idle as u64, Ordering::Relaxed);
        }
    }

    /// The authentication of `route` refused a request.
    pub fn auth_rejected(&self, route: usize) {
        if let Some(c) = self.auth_rejections.get(route) {
            bump(c, 1);
        }
    }

    /// A new connection to `upstream` was opened.
    pub fn upstream_connected(&self, upstream: usize) {
        if let Some(c) = self.upstream_connects.get(upstream) {
            bump(c, 1);
        }
    }
}

pub(crate) fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Render every shard's metrics in the Prometheus text format (version 0.0.4),
/// with the health checker's counters when it runs.
pub fn render(
    snapshot: &Snapshot,
    shards: &[Arc<ShardMetrics>],
    health: Option<&Arc<HealthStats>>,
) -> String {
    let mut out = String::with_capacity(8192);
    let cfg = &snapshot.config;
    let route_label = |i: usize| -> (String, String) {
        match cfg.routes.get(i) {
            Some(r) => {
                let up = cfg
                    .upstreams
                    .get(r.upstream)
                    .map(|u| u.name.as_str())
                    .unwrap_or("");
                (label_value(&r.name), label_value(up))
            }
            None => ("(none)".to_string(), String::new()),
        }
    };
    let nroutes = cfg.routes.len() + 1;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);

    out.push_str(
        "# HELP ringgate_requests_total Requests answered, by route, upstream and status class.\n",
    );
    out.push_str("# TYPE ringgate_requests_total counter\n");
    for i in 0..nroutes {
        let (route, upstream) = route_label(i);
        for (c, class) in CLASSES.iter().enumerate() {
            let total: u64 = shards
                .iter()
                .filter_map(|s| s.routes.get(i))
                .filter_map(|r| r.by_class.get(c))
                .map(load)
                .sum();
            let _ = writeln!(
                out,
                "ringgate_requests_total{{route=\"{route}\",upstream=\"{upstream}\",class=\"{class}\"}} {total}"
            );
        }
    }

    out.push_str("# HELP ringgate_request_duration_seconds Time from request head to end of response, by route.\n");
    out.push_str("# TYPE ringgate_request_duration_seconds histogram\n");
    for i in 0..nroutes {
        let (route, _) = route_label(i);
        let mut cumulative = 0u64;
        for (b, bound) in BUCKETS_US.iter().enumerate() {
            cumulative += shards
                .iter()
                .filter_map(|s| s.routes.get(i))
                .filter_map(|r| r.buckets.get(b))
                .map(load)
                .sum::<u64>();
            let le = *bound as f64 / 1e6;
            let _ = writeln!(
                out,
                "ringgate_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let count: u64 = shards
            .iter()
            .filter_map(|s| s.routes.get(i))
            .map(|r| load(&r.count))
            .sum();
        let sum_us: u64 = shards
            .iter()
            .filter_map(|s| s.routes.get(i))
            .map(|r| load(&r.sum_us))
            .sum();
        let _ = writeln!(
            out,
            "ringgate_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "ringgate_request_duration_seconds_sum{{route=\"{route}\"}} {}",
            sum_us as f64 / 1e6
        );
        let _ = writeln!(
            out,
            "ringgate_request_duration_seconds_count{{route=\"{route}\"}} {count}"
        );
    }

    out.push_str("# HELP ringgate_connections_open Open downstream connections, by shard.\n");
    out.push_str("# TYPE ringgate_connections_open gauge\n");
    for s in shards {
        let _ = writeln!(
            out,
            "ringgate_connections_open{{shard=\"{}\"}} {}",
            s.shard,
            load(&s.connections_open)
        );
    }
    out.push_str(
        "# HELP ringgate_connections_accepted_total Downstream connections accepted, by shard.\n",
    );
    out.push_str("# TYPE ringgate_connections_accepted_total counter\n");
    for s in shards {
        let _ = writeln!(
            out,
            "ringgate_connections_accepted_total{{shard=\"{}\"}} {}",
            s.shard,
            load(&s.connections_total)
        );
    }
    out.push_str("# HELP ringgate_pool_idle_connections Idle keep-alive upstream connections, by shard and upstream.\n");
    out.push_str("# TYPE ringgate_pool_idle_connections gauge\n");
    for s in shards {
        for (u, up) in cfg.upstreams.iter().enumerate() {
            let idle = s.pool_idle.get(u).map(load).unwrap_or(0);
            let _ = writeln!(
                out,
                "ringgate_pool_idle_connections{{shard=\"{}\",upstream=\"{}\"}} {idle}",
                s.shard,
                label_value(&up.name)
            );
        }
    }
    out.push_str("# HELP ringgate_upstream_connects_total Upstream connections opened, by shard and upstream.\n");
    out.push_str("# TYPE ringgate_upstream_connects_total counter\n");
    for s in shards {
        for (u, up) in cfg.upstreams.iter().enumerate() {
            let n = s.upstream_connects.get(u).map(load).unwrap_or(0);
            let _ = writeln!(
                out,
                "ringgate_upstream_connects_total{{shard=\"{}\",upstream=\"{}\"}} {n}",
                s.shard,
                label_value(&up.name)
            );
        }
    }
    let policies: Vec<&PolicyMetrics> = shards.iter().map(|s| &s.policy).collect();
    policy::render(&mut out, snapshot, &policies, health);
    render_auth(&mut out, snapshot, shards);
    tls::render(&mut out, shards);
    out
}

/// `ringgate_auth_rejections_total{route,auth}` for routes with authentication.
fn render_auth(out: &mut String, snapshot: &Snapshot, shards: &[Arc<ShardMetrics>]) {
    out.push_str("# HELP ringgate_auth_rejections_total Requests refused by a route's authentication (401, or the forward-auth service's answer), by route.\n");
    out.push_str("# TYPE ringgate_auth_rejections_total counter\n");
    for (i, route) in snapshot.config.routes.iter().enumerate() {
        let Some(auth) = route.auth.as_deref() else {
            continue;
        };
        let n: u64 = shards
            .iter()
            .filter_map(|s| s.auth_rejections.get(i))
            .map(|a| a.load(Ordering::Relaxed))
            .sum();
        let _ = writeln!(
            out,
            "ringgate_auth_rejections_total{{route=\"{}\",auth=\"{}\"}} {n}",
            label_value(&route.name),
            auth.kind_name()
        );
    }
}

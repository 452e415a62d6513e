//! Per-shard metrics, merged at scrape time.
//!
//! Each shard owns one [`ShardMetrics`] and is its only writer: counters are
//! `AtomicU64`s updated with a relaxed load and store (no read-modify-write,
//! no lock prefix, no contention), so the request path never waits on
//! another core. The admin thread reads every shard's counters and renders
//! the Prometheus text exposition format ([`render`]). The policies' counters
//! and the shared target state are in [`policy`]. A reload builds the next
//! [`ShardMetrics`] of each shard with [`ShardMetrics::carry_over`], which
//! keeps every series that still exists ([`carry`]).

pub mod carry;
pub mod policy;
pub mod series;
pub mod tls;

use crate::snapshot::Snapshot;
use policy::{HealthStats, PolicyMetrics};
use series::Series;
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
pub(crate) const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Add to a counter that only this shard writes.
#[inline]
pub(crate) fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// Bytes a connection moved: `[TRAFFIC_READ]` and `[TRAFFIC_WRITTEN]`.
pub type Traffic = [AtomicU64; 2];
/// The slot of bytes read in a [`Traffic`].
pub const TRAFFIC_READ: usize = 0;
/// The slot of bytes written in a [`Traffic`].
pub const TRAFFIC_WRITTEN: usize = 1;

/// Everything one shard counts for one config. Shard-wide counters
/// (connections, TLS) are shared by every config's metrics of the shard;
/// per-route, per-upstream and per-target ones by name ([`carry`]).
#[derive(Debug)]
pub struct ShardMetrics {
    /// Shard index.
    pub shard: usize,
    /// Per route, in config order; the last entry is "no route matched".
    routes: Vec<Arc<Series>>,
    /// Bytes read from and written to clients, per route (last: none).
    route_bytes: Vec<Arc<[AtomicU64; 2]>>,
    /// Responses relayed from each target: `[upstream][target]`.
    targets: Vec<Vec<Arc<Series>>>,
    /// Open downstream connections.
    connections_open: Arc<AtomicU64>,
    /// Connections accepted in total.
    connections_total: Arc<AtomicU64>,
    /// Idle pooled upstream connections: `[upstream][target]`.
    pool_idle: Vec<Vec<Arc<AtomicU64>>>,
    /// Bytes read from and written to each target (heads and bodies, as
    /// plaintext): `[upstream][target]`, bumped by the connection itself.
    target_bytes: Vec<Vec<Arc<Traffic>>>,
    /// Upstream connections opened, per upstream.
    upstream_connects: Vec<Arc<AtomicU64>>,
    /// What the policies did on this shard.
    pub policy: PolicyMetrics,
    /// Requests refused by the route's authentication, per route (last: none).
    auth_rejections: Vec<Arc<AtomicU64>>,
    /// Connections by TLS mode and handshake outcomes.
    pub tls: Arc<tls::TlsMetrics>,
    /// Requests refused by an `access` rule, per route; the last entry is
    /// `server.access` before routing.
    access_denials: Vec<Arc<AtomicU64>>,
}

impl ShardMetrics {
    /// Metrics for a shard serving `snapshot`.
    pub fn new(shard: usize, snapshot: &Snapshot) -> ShardMetrics {
        let cfg = &snapshot.config;
        let nroutes = cfg.routes.len() + 1;
        let ups = cfg.upstreams.len();
        ShardMetrics {
            shard,
            routes: carry::fresh(nroutes),
            route_bytes: carry::fresh(nroutes),
            targets: carry::fresh_targets(cfg),
            connections_open: Arc::default(),
            connections_total: Arc::default(),
            pool_idle: carry::fresh_targets(cfg),
            target_bytes: carry::fresh_targets(cfg),
            upstream_connects: carry::fresh(ups),
            policy: PolicyMetrics::new(snapshot),
            auth_rejections: carry::fresh(nroutes),
            tls: Arc::default(),
            access_denials: carry::fresh(nroutes),
        }
    }

    /// The metrics of this shard for `snapshot`, a reload of `old`: every
    /// series whose route, upstream or target still exists is shared with
    /// `self`, the rest start at zero.
    pub fn carry_over(&self, old: &Snapshot, snapshot: &Snapshot) -> ShardMetrics {
        let (was, cfg) = (&old.config, &snapshot.config);
        let (old_routes, routes) = (carry::route_keys(was), carry::route_keys(cfg));
        let (old_ups, ups) = (carry::upstream_keys(was), carry::upstream_keys(cfg));
        ShardMetrics {
            shard: self.shard,
            routes: carry::by_key(&self.routes, &old_routes, &routes),
            route_bytes: carry::by_key(&self.route_bytes, &old_routes, &routes),
            targets: carry::by_target(&self.targets, was, cfg),
            connections_open: Arc::clone(&self.connections_open),
            connections_total: Arc::clone(&self.connections_total),
            pool_idle: carry::by_target(&self.pool_idle, was, cfg),
            target_bytes: carry::by_target(&self.target_bytes, was, cfg),
            upstream_connects: carry::by_key(&self.upstream_connects, &old_ups, &ups),
            policy: self.policy.carry_over(old, snapshot),
            auth_rejections: carry::by_key(&self.auth_rejections, &old_routes, &routes),
            tls: Arc::clone(&self.tls),
            access_denials: carry::by_key(&self.access_denials, &old_routes, &routes),
        }
    }

    /// The byte counters of target `target` of upstream `upstream`, for its
    /// connections to bump as they read and write.
    pub fn target_traffic(&self, upstream: usize, target: usize) -> Option<Arc<Traffic>> {
        self.target_bytes
            .get(upstream)
            .and_then(|u| u.get(target))
            .map(Arc::clone)
    }

    /// A request ended with `status` after `elapsed`; `route` is None when no route matched.
    pub fn request(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        let index = route.unwrap_or(self.routes.len().saturating_sub(1));
        if let Some(r) = self.routes.get(index) {
            r.record(status, elapsed);
        }
    }

    /// A request of `route` (None: no route) moved these bytes to and
    /// from the client.
    pub fn request_bytes(&self, route: Option<usize>, bytes_in: u64, bytes_out: u64) {
        let index = route.unwrap_or(self.route_bytes.len().saturating_sub(1));
        if let Some([i, o]) = self.route_bytes.get(index).map(|a| &**a) {
            bump(i, bytes_in);
            bump(o, bytes_out);
        }
    }

    /// Target `target` of `upstream` answered with `status`, its response
    /// head `elapsed` after the request was sent.
    pub fn target_response(&self, upstream: usize, target: usize, status: u16, elapsed: Duration) {
        if let Some(t) = self.targets.get(upstream).and_then(|u| u.get(target)) {
            t.record(status, elapsed);
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

    /// The pool of `target` of `upstream` now holds `idle` connections on
    /// this shard.
    pub fn pool_idle(&self, upstream: usize, target: usize, idle: usize) {
        if let Some(g) = self.pool_idle.get(upstream).and_then(|u| u.get(target)) {
            g.store(idle as u64, Ordering::Relaxed);
        }
    }

    /// The authentication of `route` refused a request.
    pub fn auth_rejected(&self, route: usize) {
        if let Some(c) = self.auth_rejections.get(route) {
            bump(c, 1);
        }
    }

    /// An `access` rule refused a request: the route's, or with `None`
    /// the server's.
    pub fn access_denied(&self, route: Option<usize>) {
        let index = route.unwrap_or(self.access_denials.len().saturating_sub(1));
        if let Some(c) = self.access_denials.get(index) {
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
        let labels = format!("route=\"{route}\"");
        let of_route = shards.iter().filter_map(|s| s.routes.get(i)).map(|a| &**a);
        series::histogram(
            &mut out,
            "ringgate_request_duration_seconds",
            &labels,
            of_route,
        );
    }
    out.push_str("# HELP ringgate_request_bytes_total Bytes read from (in) and written to (out) clients, heads and bodies, by route.\n");
    out.push_str("# TYPE ringgate_request_bytes_total counter\n");
    for i in 0..nroutes {
        let (route, _) = route_label(i);
        for (d, direction) in ["in", "out"].iter().enumerate() {
            let total: u64 = shards
                .iter()
                .filter_map(|s| s.route_bytes.get(i))
                .filter_map(|b| b.get(d))
                .map(load)
                .sum();
            let _ = writeln!(
                out,
                "ringgate_request_bytes_total{{route=\"{route}\",direction=\"{direction}\"}} {total}"
            );
        }
    }
    series::render_targets(&mut out, snapshot, shards.iter().map(|s| &s.targets));

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
            let idle: u64 = s
                .pool_idle
                .get(u)
                .into_iter()
                .flatten()
                .map(|a| load(a))
                .sum();
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
            let n = s.upstream_connects.get(u).map_or(0, |a| load(a));
            let _ = writeln!(
                out,
                "ringgate_upstream_connects_total{{shard=\"{}\",upstream=\"{}\"}} {n}",
                s.shard,
                label_value(&up.name)
            );
        }
    }
    render_pool_targets(&mut out, snapshot, shards);
    render_target_bytes(&mut out, snapshot, shards);
    let policies: Vec<&PolicyMetrics> = shards.iter().map(|s| &s.policy).collect();
    policy::render(&mut out, snapshot, &policies, health);
    render_auth(&mut out, snapshot, shards);
    tls::render(&mut out, shards);
    render_access(&mut out, snapshot, shards);
    crate::trace::counters::render(&mut out, snapshot);
    out
}

/// `ringgate_upstream_pool_idle{shard,upstream,target}`: idle pooled
/// connections per target.
fn render_pool_targets(out: &mut String, snapshot: &Snapshot, shards: &[Arc<ShardMetrics>]) {
    out.push_str("# HELP ringgate_upstream_pool_idle Idle keep-alive upstream connections, by shard, upstream and target.\n");
    out.push_str("# TYPE ringgate_upstream_pool_idle gauge\n");
    for s in shards {
        for (u, up) in snapshot.config.upstreams.iter().enumerate() {
            for (t, target) in up.targets.iter().enumerate() {
                let idle = s
                    .pool_idle
                    .get(u)
                    .and_then(|ts| ts.get(t))
                    .map_or(0, |a| a.load(Ordering::Relaxed));
                let _ = writeln!(
                    out,
                    "ringgate_upstream_pool_idle{{shard=\"{}\",upstream=\"{}\",target=\"{}\"}} {idle}",
                    s.shard,
                    label_value(&up.name),
                    target.addr
                );
            }
        }
    }
}

/// `ringgate_target_bytes_total{upstream,target,direction}`: bytes sent to
/// (`sent`) and received from (`received`) each target, summed over shards.
fn render_target_bytes(out: &mut String, snapshot: &Snapshot, shards: &[Arc<ShardMetrics>]) {
    out.push_str("# HELP ringgate_target_bytes_total Bytes sent to and received from each upstream target (heads and bodies, plaintext).\n");
    out.push_str("# TYPE ringgate_target_bytes_total counter\n");
    for (u, up) in snapshot.config.upstreams.iter().enumerate() {
        for (t, target) in up.targets.iter().enumerate() {
            for (direction, slot) in [("sent", TRAFFIC_WRITTEN), ("received", TRAFFIC_READ)] {
                let total: u64 = shards
                    .iter()
                    .filter_map(|s| s.target_bytes.get(u)?.get(t)?.get(slot))
                    .map(|a| a.load(Ordering::Relaxed))
                    .sum();
                let _ = writeln!(
                    out,
                    "ringgate_target_bytes_total{{upstream=\"{}\",target=\"{}\",direction=\"{direction}\"}} {total}",
                    label_value(&up.name),
                    target.addr
                );
            }
        }
    }
}

/// `ringgate_access_denied_total{route}` for routes with an `access` table,
/// and `route="(server)"` for `server.access`.
fn render_access(out: &mut String, snapshot: &Snapshot, shards: &[Arc<ShardMetrics>]) {
    out.push_str("# HELP ringgate_access_denied_total Requests refused (403) by an IP access rule, by route; route=\"(server)\" is server.access.\n");
    out.push_str("# TYPE ringgate_access_denied_total counter\n");
    let cfg = &snapshot.config;
    let routes = cfg
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.access.is_some())
        .map(|(i, r)| (i, label_value(&r.name)));
    let server = cfg
        .server
        .access
        .is_some()
        .then(|| (cfg.routes.len(), "(server)".to_owned()));
    for (i, name) in routes.chain(server) {
        let n: u64 = shards
            .iter()
            .filter_map(|s| s.access_denials.get(i))
            .map(|a| a.load(Ordering::Relaxed))
            .sum();
        let _ = writeln!(out, "ringgate_access_denied_total{{route=\"{name}\"}} {n}");
    }
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

//! The admin API's JSON views: the loaded config (version, load time), the
//! routes, and the upstreams with each target's live state (health,
//! breaker, outlier ejection, requests in flight across all shards).
//!
//! Everything is read from the snapshot with relaxed/acquire loads, the same
//! state the request path uses, so a view is what the shards see now.

use crate::clock;
use crate::snapshot::Snapshot;
use ringgate_core::config::{BalanceKind, HashKey, HostMatch, PathMatch, Route, Shards, Upstream};
use ringgate_core::policy::UpstreamState;
use serde_json::{json, Value};

/// `GET /admin/config`.
pub fn config(snap: &Snapshot) -> Value {
    let server = &snap.config.server;
    json!({
        "version": snap.version,
        "pid": std::process::id(),
        "loaded_at": humantime::format_rfc3339_millis(snap.loaded_at).to_string(),
        "summary": snap.config.summary(),
        "listen": server.listen.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "shards": match server.shards {
            Shards::Auto => Value::from("auto"),
            Shards::Count(n) => Value::from(n),
        },
        "routes": snap.config.routes.len(),
        "upstreams": snap.config.upstreams.len(),
    })
}

/// `GET /admin/routes`: every route in match order.
pub fn routes(snap: &Snapshot) -> Value {
    let cfg = &snap.config;
    Value::Array(
        cfg.routes
            .iter()
            .enumerate()
            .map(|(i, r)| route(i, r, cfg.upstreams.get(r.upstream)))
            .collect(),
    )
}

fn route(index: usize, r: &Route, upstream: Option<&Upstream>) -> Value {
    let host = r.host.as_ref().map(|h| match h {
        HostMatch::Exact(h) => h.clone(),
        HostMatch::Suffix(s) => format!("*{s}"),
    });
    let path = r.path.as_ref().map(|p| match p {
        PathMatch::Exact(p) => json!({ "exact": p }),
        PathMatch::Prefix(p) => json!({ "prefix": p }),
        PathMatch::Regex(re) => json!({ "regex": re.as_str() }),
    });
    json!({
        "index": index,
        "name": r.name,
        "host": host,
        "path": path,
        "methods": r.methods,
        "headers": r.headers.iter().map(|(n, v)| json!({ "name": n, "value": v })).collect::<Vec<_>>(),
        "upstream": upstream.map(|u| u.name.as_str()),
        "strip_prefix": r.strip_prefix,
        "host_rewrite": r.host_rewrite,
        "max_body_bytes": r.max_body_bytes,
        "auth": r.auth.as_ref().map(|a| a.kind_name()),
        "rate_limit": r.rate_limit.is_some(),
        "concurrency": r.concurrency.as_ref().map(|c| c.max_in_flight),
        "retry": r.retry.is_some(),
    })
}

/// `GET /admin/upstreams`: every upstream and the live state of its targets.
pub fn upstreams(snap: &Snapshot) -> Value {
    let now = clock::now();
    Value::Array(
        snap.config
            .upstreams
            .iter()
            .zip(snap.policies.upstreams.iter())
            .map(|(u, state)| upstream(u, state, now))
            .collect(),
    )
}

fn upstream(u: &Upstream, state: &UpstreamState, now: ringgate_core::policy::Nanos) -> Value {
    let targets: Vec<Value> = u
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let Some(s) = state.target(i) else {
                return json!({ "addr": t.addr.to_string(), "weight": t.weight });
            };
            let health = match (&u.health_check, s.health.is_healthy()) {
                (None, _) => "unchecked",
                (Some(_), true) => "healthy",
                (Some(_), false) => "unhealthy",
            };
            json!({
                "addr": t.addr.to_string(),
                "weight": t.weight,
                "health": health,
                "breaker": if u.circuit_breaker.is_some() { s.breaker.state().as_str() } else { "disabled" },
                "ejected": s.outlier.is_ejected(now),
                "usable": s.usable(now),
                "in_flight": s.in_flight(),
            })
        })
        .collect();
    let in_flight = state
        .in_flight_limit()
        .map(|l| json!({ "current": l.current(), "max": l.max() }));
    json!({
        "name": u.name,
        "balance": balance(&u.balance),
        "targets": targets,
        "in_flight_limit": in_flight,
        "ejected": state.ejected(),
    })
}

fn balance(kind: &BalanceKind) -> String {
    match kind {
        BalanceKind::RoundRobin => "round_robin".into(),
        BalanceKind::Random => "random".into(),
        BalanceKind::LeastRequest => "least_request".into(),
        BalanceKind::ConsistentHash(HashKey::ClientIp) => "consistent_hash(client_ip)".into(),
        BalanceKind::ConsistentHash(HashKey::Header(h)) => format!("consistent_hash(header:{h})"),
        BalanceKind::P2cEwma => "p2c_ewma".into(),
    }
}

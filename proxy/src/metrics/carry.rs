//! Counters that survive a reload, found again by name.
//!
//! Every per-route, per-upstream and per-target counter of a
//! [`super::ShardMetrics`] sits behind its own `Arc`. The metrics of a
//! reloaded config share the `Arc` of every series whose key (a route's
//! name, an upstream's name, an upstream's name and a target's address)
//! still exists, so a Prometheus counter never goes backwards while its
//! series exists, and a request still running on the old config counts into
//! the same atomics as the new one. A series whose key is new starts at
//! zero; one whose key is gone disappears from the scrape with the old
//! metrics.

use ringgate_core::config::Config;
use std::net::SocketAddr;
use std::sync::Arc;

/// For each of `new_keys`, the `Arc` that `old` held under the same key in
/// `old_keys` (same order as `old`), else a fresh default.
pub(crate) fn by_key<T: Default, K: PartialEq>(
    old: &[Arc<T>],
    old_keys: &[K],
    new_keys: &[K],
) -> Vec<Arc<T>> {
    new_keys
        .iter()
        .map(|key| {
            old_keys
                .iter()
                .position(|k| k == key)
                .and_then(|i| old.get(i))
                .map_or_else(|| Arc::new(T::default()), Arc::clone)
        })
        .collect()
}

/// Fresh defaults, one per key.
pub(crate) fn fresh<T: Default>(n: usize) -> Vec<Arc<T>> {
    (0..n).map(|_| Arc::new(T::default())).collect()
}

/// Route keys of `config`: each route's name, then `None` for the
/// "no route" slot at the end.
pub(crate) fn route_keys(config: &Config) -> Vec<Option<&str>> {
    config
        .routes
        .iter()
        .map(|r| Some(r.name.as_str()))
        .chain([None])
        .collect()
}

/// Upstream keys of `config`: the names.
pub(crate) fn upstream_keys(config: &Config) -> Vec<&str> {
    config.upstreams.iter().map(|u| u.name.as_str()).collect()
}

/// Per-target counters `[upstream][target]` for `config`, shared with
/// `old` (shaped by `old_config`) where the upstream name and target
/// address match.
pub(crate) fn by_target<T: Default>(
    old: &[Vec<Arc<T>>],
    old_config: &Config,
    config: &Config,
) -> Vec<Vec<Arc<T>>> {
    let mut old_keys = Vec::new();
    let mut old_arcs = Vec::new();
    for (up, arcs) in old_config.upstreams.iter().zip(old) {
        for (target, arc) in up.targets.iter().zip(arcs) {
            old_keys.push((up.name.as_str(), target.addr));
            old_arcs.push(Arc::clone(arc));
        }
    }
    config
        .upstreams
        .iter()
        .map(|up| {
            let keys: Vec<(&str, SocketAddr)> = up
                .targets
                .iter()
                .map(|t| (up.name.as_str(), t.addr))
                .collect();
            by_key(&old_arcs, &old_keys, &keys)
        })
        .collect()
}

/// Fresh per-target counters for `config`.
pub(crate) fn fresh_targets<T: Default>(config: &Config) -> Vec<Vec<Arc<T>>> {
    config
        .upstreams
        .iter()
        .map(|u| fresh(u.targets.len()))
        .collect()
}

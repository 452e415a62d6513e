//! A shard's view of one config: the shared [`Snapshot`] plus the state
//! this shard keeps for it (balancers, keep-alive pools, auth caches,
//! metrics), all indexed like the snapshot's config.
//!
//! Reload without reindexing bugs: a request clones the shard's current
//! `Rc<ShardView>` when it starts and does everything through that one
//! view until it ends, so an upstream or route index it holds always means
//! the same thing in the pools, balancers, policies and metrics it touches.
//! A reload builds the next view from the current one
//! ([`ShardView::carry_over`]): the per-upstream pool stacks and balancers
//! of an upstream whose definition did not change are the *same* `Rc`s,
//! so a connection returned through the old view lands in the pool the new
//! view takes from (a pooled connection is filed under the upstream index
//! of the view that last took it, [`crate::upstream::Pools::take`]); metrics and policy state are shared the same way, by
//! name, through `Arc`s ([`crate::metrics::carry`],
//! [`ringgate_core::policy::Policies::carry_over`]). The old view lives on
//! until its last request ends; its pools of changed or removed upstreams
//! close with it.

use crate::auth::ShardAuth;
use crate::metrics::ShardMetrics;
use crate::snapshot::Snapshot;
use crate::upstream::Pools;
use ringgate_core::balance::Balancer;
use ringgate_core::config::Upstream;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

/// One shard's state for one config.
#[derive(Debug)]
pub struct ShardView {
    /// The config and shared policy state.
    pub snapshot: Arc<Snapshot>,
    /// One balancer per upstream, in config order.
    pub balancers: Vec<Rc<Balancer>>,
    /// Idle upstream connections.
    pub pools: Pools,
    /// Authentication caches and auth-service connections.
    pub auth: ShardAuth,
    /// This shard's counters for this config.
    pub metrics: Arc<ShardMetrics>,
}

impl Deref for ShardView {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snapshot
    }
}

/// Whether a balancer built for `a` is right for `b`: same name, targets
/// and algorithm (its round-robin weights and latency estimates carry on).
fn same_balancer(a: &Upstream, b: &Upstream) -> bool {
    a.name == b.name && a.targets == b.targets && a.balance == b.balance
}

impl ShardView {
    /// Fresh state for `snapshot`; `seed` seeds the balancers' randomness.
    pub fn new(snapshot: Arc<Snapshot>, metrics: Arc<ShardMetrics>, seed: u64) -> ShardView {
        let balancers = snapshot
            .config
            .upstreams
            .iter()
            .map(|u| Rc::new(Balancer::for_targets(&u.balance, &u.targets, seed)))
            .collect();
        let pools = Pools::new(snapshot.config.upstreams.iter().map(|u| u.targets.len()));
        let auth = ShardAuth::new(&snapshot);
        ShardView {
            snapshot,
            balancers,
            pools,
            auth,
            metrics,
        }
    }

    /// The view of `snapshot`, a reload of this view's: balancers and pools
    /// of unchanged upstreams are shared with this view, the rest (and the
    /// auth caches) start fresh.
    pub fn carry_over(
        &self,
        snapshot: Arc<Snapshot>,
        metrics: Arc<ShardMetrics>,
        seed: u64,
    ) -> ShardView {
        let old = &self.snapshot.config;
        let balancers = snapshot
            .config
            .upstreams
            .iter()
            .map(|up| {
                old.upstreams
                    .iter()
                    .zip(&self.balancers)
                    .find(|(was, _)| same_balancer(was, up))
                    .map_or_else(
                        || Rc::new(Balancer::for_targets(&up.balance, &up.targets, seed)),
                        |(_, b)| Rc::clone(b),
                    )
            })
            .collect();
        let pools = self.pools.carry_over(old, &snapshot.config);
        // The idle gauges are kept by name: tell them what the new pools hold.
        for (u, up) in snapshot.config.upstreams.iter().enumerate() {
            for t in 0..up.targets.len() {
                metrics.pool_idle(u, t, pools.idle_count(u, t));
            }
        }
        let auth = ShardAuth::new(&snapshot);
        ShardView {
            snapshot,
            balancers,
            pools,
            auth,
            metrics,
        }
    }
}

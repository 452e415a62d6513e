//! What the admin thread reads: the current snapshot with the metrics of
//! every shard and the health checker's counters for it, published as one
//! `Arc` that the reload controller swaps lock-free ([`arc_swap`]) after
//! every shard was sent the new config.

use crate::metrics::policy::HealthStats;
use crate::metrics::ShardMetrics;
use crate::snapshot::Snapshot;
use arc_swap::ArcSwap;
use std::sync::Arc;

/// One config as the admin thread sees it.
#[derive(Debug)]
pub struct Published {
    /// The config and its shared policy state.
    pub snapshot: Arc<Snapshot>,
    /// Every shard's metrics for this config, in shard order.
    pub shards: Vec<Arc<ShardMetrics>>,
    /// Active health-check counters, when checks run.
    pub health: Option<Arc<HealthStats>>,
}

/// The current [`Published`] config.
#[derive(Debug)]
pub struct Live(ArcSwap<Published>);

impl Live {
    /// Start with `published`.
    pub fn new(published: Published) -> Live {
        Live(ArcSwap::from_pointee(published))
    }

    /// The current config.
    pub fn load(&self) -> Arc<Published> {
        self.0.load_full()
    }

    /// Make `published` the current config.
    pub fn store(&self, published: Published) {
        self.0.store(Arc::new(published));
    }
}

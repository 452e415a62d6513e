//! The immutable per-config snapshot every shard serves from: the validated
//! config, the router built from it, and the policy state shared by all
//! shards (rate-limit table, breakers, health, retry budgets: atomics only).
//! Built once on the control thread and shared as an `Arc`; a shard swaps
//! its snapshot only between requests, so a live connection finishes on the
//! snapshot it started with.

use ringgate_core::config::Config;
use ringgate_core::policy::Policies;
use ringgate_core::router::Router;
use std::time::SystemTime;

/// Everything read-only a request needs, and the shared policy state.
#[derive(Debug)]
pub struct Snapshot {
    /// The validated config.
    pub config: Config,
    /// Router over `config.routes`.
    pub router: Router,
    /// Rate limits, concurrency limits, retry budgets and per-target state
    /// (breaker, health, outlier), indexed like `config`.
    pub policies: Policies,
    /// Which config this is: 1 for the one loaded at startup.
    pub version: u64,
    /// When this snapshot was built (wall clock, for the admin API).
    pub loaded_at: SystemTime,
}

impl Snapshot {
    /// Build the snapshot for a validated config.
    pub fn new(config: Config) -> Snapshot {
        let router = Router::new(&config.routes);
        let policies = Policies::new(&config, crate::clock::random_seed());
        Snapshot {
            config,
            router,
            policies,
            version: 1,
            loaded_at: SystemTime::now(),
        }
    }
}

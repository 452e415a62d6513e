//! The immutable per-config snapshot every shard serves from: the validated
//! config and the router built from it. Built once on the control thread and
//! shared as an `Arc`; a shard swaps its snapshot only between requests, so a
//! live connection finishes on the snapshot it started with.

use ringgate_core::config::Config;
use ringgate_core::router::Router;

/// Everything read-only a request needs.
#[derive(Debug)]
pub struct Snapshot {
    /// The validated config.
    pub config: Config,
    /// Router over `config.routes`.
    pub router: Router,
}

impl Snapshot {
    /// Build the snapshot for a validated config.
    pub fn new(config: Config) -> Snapshot {
        let router = Router::new(&config.routes);
        Snapshot { config, router }
    }
}

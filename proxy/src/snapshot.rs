//! The immutable per-config snapshot every shard serves from: the validated
//! config, the router built from it, and the policy state shared by all
//! shards (rate-limit table, breakers, health, retry budgets: atomics only).
//! Built once on the control thread and shared as an `Arc`; a shard swaps
//! its snapshot only between requests, so a live connection finishes on the
//! snapshot it started with.

use crate::tls::client::Connector;
use crate::tls::TlsError;
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
    /// TLS connectors per upstream, indexed like `config.upstreams`
    /// (`None`: plain TCP); filled by [`Snapshot::with_tls`].
    pub upstream_tls: Vec<Option<Connector>>,
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
            upstream_tls: Vec::new(),
        }
    }

    /// The snapshot of `config`, a reload of `old`: the next version, its
    /// policy state carried over from `old` where routes and upstreams did
    /// not change ([`Policies::carry_over`]), and its TLS connectors.
    pub fn reload(config: Config, old: &Snapshot) -> Result<Snapshot, TlsError> {
        let upstream_tls = connectors(&config)?;
        let policies = Policies::carry_over(
            &config,
            &old.config,
            &old.policies,
            crate::clock::random_seed(),
        );
        Ok(Snapshot {
            router: Router::new(&config.routes),
            policies,
            version: old.version + 1,
            loaded_at: SystemTime::now(),
            upstream_tls,
            config,
        })
    }

    /// Build the snapshot and its upstream TLS connectors (reading CA and
    /// client certificate files).
    pub fn with_tls(config: Config) -> Result<Snapshot, TlsError> {
        let upstream_tls = connectors(&config)?;
        Ok(Snapshot {
            upstream_tls,
            ..Snapshot::new(config)
        })
    }
}

fn connectors(config: &Config) -> Result<Vec<Option<Connector>>, TlsError> {
    config
        .upstreams
        .iter()
        .map(|u| {
            u.tls
                .as_ref()
                .map(crate::tls::client::connector)
                .transpose()
        })
        .collect()
}

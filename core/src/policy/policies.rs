//! Every policy of one config, built once on the control thread and shared
//! by all shards behind the snapshot's `Arc`.
//!
//! [`Policies::new`] turns a validated [`Config`] into the shared state the
//! request path needs: the rate-limit table and limiters, the route
//! concurrency limits, retry policies and budgets, and the per-target state
//! of every upstream. Indices follow the config: `routes[i]` belongs to
//! `config.routes[i]`, `upstreams[j]` to `config.upstreams[j]`.
//!
//! [`Policies::new`] starts everything fresh; [`Policies::carry_over`]
//! builds the state of a reloaded config and re-uses (shares the `Arc` of)
//! every piece whose definition did not change: a route's limiter, in-flight
//! count and retry budget when the route keeps its name and its
//! `rate_limit`, `concurrency` and `retry`; an upstream's per-target state
//! (breaker, health, outlier, in-flight) when it keeps its name, targets and
//! policy settings ([`same_upstream_state`]); the global limiter and the rate
//! table when their settings are equal. Keyed limits find their keys again
//! because a limiter's id in the table comes from the route's name and
//! limit ([`limiter_id`]), not from its index.

use super::budget::RetryBudget;
use super::concurrency::InFlight;
use super::limiter::RateLimiter;
use super::retry::RetryPolicy;
use super::table::RateTable;
use super::target_state::UpstreamState;
use crate::balance::hash::Hasher;
use crate::config::{Config, RateLimit, Route, Upstream};
use std::sync::Arc;

/// The limiter id of the `[server]` rate limit in the shared table (routes
/// use [`limiter_id`] of their name).
pub const GLOBAL_LIMITER: u32 = u32::MAX;

/// The id of route `name`'s limiter `limit` in the shared [`RateTable`]: a
/// hash of the name and the limit's settings, so it stays the same when a
/// reload moves the route (its keys keep their state) and changes when the
/// limit changes (its keys start fresh). Two limiters hashing alike (odds
/// 2^-32 per pair) would share their keys' slots.
pub fn limiter_id(name: &str, limit: &RateLimit) -> u32 {
    let settings = format!("{limit:?}");
    let hash = Hasher::new()
        .write(name.as_bytes())
        .write(&[0])
        .write(settings.as_bytes())
        .finish();
    match (hash ^ (hash >> 32)) as u32 {
        GLOBAL_LIMITER => GLOBAL_LIMITER - 1,
        id => id,
    }
}

/// Whether two upstream definitions give the same per-target policy state:
/// same name, targets (address and weight, in order) and `concurrency`,
/// `circuit_breaker`, `health_check` and `outlier` settings.
pub fn same_upstream_state(a: &Upstream, b: &Upstream) -> bool {
    a.name == b.name
        && a.targets == b.targets
        && a.concurrency == b.concurrency
        && a.circuit_breaker == b.circuit_breaker
        && a.health_check == b.health_check
        && a.outlier == b.outlier
}

/// Whether two routes have the same policy state: same name and the same
/// `rate_limit`, `concurrency` and `retry`.
pub fn same_route_policies(a: &Route, b: &Route) -> bool {
    a.name == b.name
        && a.rate_limit == b.rate_limit
        && a.concurrency == b.concurrency
        && a.retry == b.retry
}

/// The policies of one route.
#[derive(Debug)]
pub struct RoutePolicies {
    /// `rate_limit`, if set.
    pub rate_limit: Option<RateLimiter>,
    /// `concurrency`, if set.
    pub in_flight: Option<InFlight>,
    /// `retry`, if set.
    pub retry: Option<RetryPolicy>,
    /// The route's retry budget (with `retry`).
    pub budget: Option<RetryBudget>,
}

/// All shared policy state of one config.
#[derive(Debug)]
pub struct Policies {
    /// Per-key state of every keyed rate limit.
    pub table: Arc<RateTable>,
    /// `server.rate_limit`, checked before routing.
    pub global: Option<Arc<RateLimiter>>,
    /// One per `config.routes` entry.
    pub routes: Box<[Arc<RoutePolicies>]>,
    /// One per `config.upstreams` entry.
    pub upstreams: Box<[Arc<UpstreamState>]>,
}

impl RoutePolicies {
    /// Fresh state for `route`.
    pub fn new(route: &Route) -> RoutePolicies {
        RoutePolicies {
            rate_limit: route
                .rate_limit
                .as_ref()
                .map(|r| RateLimiter::new(&route.name, limiter_id(&route.name, r), r)),
            in_flight: route
                .concurrency
                .as_ref()
                .map(|c| InFlight::new(c.max_in_flight)),
            retry: route.retry.as_ref().map(RetryPolicy::from_config),
            budget: route
                .retry
                .as_ref()
                .map(|r| RetryBudget::new(r.budget, r.min_retries_per_sec)),
        }
    }
}

impl Policies {
    /// Builds the state for `config`. `seed` salts the rate table's hash;
    /// pick it at random once per process.
    pub fn new(config: &Config, seed: u64) -> Policies {
        Policies {
            table: Arc::new(RateTable::new(config.server.rate_limit_table_size, seed)),
            global: global(config),
            routes: config
                .routes
                .iter()
                .map(|r| Arc::new(RoutePolicies::new(r)))
                .collect(),
            upstreams: config
                .upstreams
                .iter()
                .map(|u| Arc::new(UpstreamState::new(u)))
                .collect(),
        }
    }

    /// Builds the state for `config`, a reload of `old_config` whose state
    /// is `old`: unchanged pieces are shared with `old` (see the module
    /// doc), the rest starts fresh. `seed` salts a new rate table (one is
    /// built only when `rate_limit_table_size` changed).
    pub fn carry_over(config: &Config, old_config: &Config, old: &Policies, seed: u64) -> Policies {
        let table =
            if config.server.rate_limit_table_size == old_config.server.rate_limit_table_size {
                Arc::clone(&old.table)
            } else {
                Arc::new(RateTable::new(config.server.rate_limit_table_size, seed))
            };
        let global = if config.server.rate_limit == old_config.server.rate_limit {
            old.global.clone()
        } else {
            global(config)
        };
        let routes = config
            .routes
            .iter()
            .map(|route| {
                old_config
                    .routes
                    .iter()
                    .zip(old.routes.iter())
                    .find(|(was, _)| same_route_policies(was, route))
                    .map_or_else(
                        || Arc::new(RoutePolicies::new(route)),
                        |(_, p)| Arc::clone(p),
                    )
            })
            .collect();
        let upstreams = config
            .upstreams
            .iter()
            .map(|up| {
                old_config
                    .upstreams
                    .iter()
                    .zip(old.upstreams.iter())
                    .find(|(was, _)| same_upstream_state(was, up))
                    .map_or_else(|| Arc::new(UpstreamState::new(up)), |(_, s)| Arc::clone(s))
            })
            .collect();
        Policies {
            table,
            global,
            routes,
            upstreams,
        }
    }
}

fn global(config: &Config) -> Option<Arc<RateLimiter>> {
    config
        .server
        .rate_limit
        .as_ref()
        .map(|r| Arc::new(RateLimiter::new("global", GLOBAL_LIMITER, r)))
}

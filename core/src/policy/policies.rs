//! Every policy of one config, built once on the control thread and shared
//! by all shards behind the snapshot's `Arc`.
//!
//! [`Policies::new`] turns a validated [`Config`] into the shared state the
//! request path needs: the rate-limit table and limiters, the route
//! concurrency limits, retry policies and budgets, and the per-target state
//! of every upstream. Indices follow the config: `routes[i]` belongs to
//! `config.routes[i]`, `upstreams[j]` to `config.upstreams[j]`. Everything
//! here starts fresh; a reload that wants to keep breaker and limiter state
//! must carry the old values over itself.

use super::budget::RetryBudget;
use super::concurrency::InFlight;
use super::limiter::RateLimiter;
use super::retry::RetryPolicy;
use super::table::RateTable;
use super::target_state::UpstreamState;
use crate::config::Config;

/// The limiter id of the `[server]` rate limit in the shared table (routes
/// use their index).
pub const GLOBAL_LIMITER: u32 = u32::MAX;

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
    pub table: RateTable,
    /// `server.rate_limit`, checked before routing.
    pub global: Option<RateLimiter>,
    /// One per `config.routes` entry.
    pub routes: Box<[RoutePolicies]>,
    /// One per `config.upstreams` entry.
    pub upstreams: Box<[UpstreamState]>,
}

impl Policies {
    /// Builds the state for `config`. `seed` salts the rate table's hash;
    /// pick it at random once per process.
    pub fn new(config: &Config, seed: u64) -> Policies {
        let routes = config
            .routes
            .iter()
            .enumerate()
            .map(|(i, route)| RoutePolicies {
                rate_limit: route.rate_limit.as_ref().map(|r| {
                    RateLimiter::new(&route.name, u32::try_from(i).unwrap_or(u32::MAX - 1), r)
                }),
                in_flight: route
                    .concurrency
                    .as_ref()
                    .map(|c| InFlight::new(c.max_in_flight)),
                retry: route.retry.as_ref().map(RetryPolicy::from_config),
                budget: route
                    .retry
                    .as_ref()
                    .map(|r| RetryBudget::new(r.budget, r.min_retries_per_sec)),
            })
            .collect();
        Policies {
            table: RateTable::new(config.server.rate_limit_table_size, seed),
            global: config
                .server
                .rate_limit
                .as_ref()
                .map(|r| RateLimiter::new("global", GLOBAL_LIMITER, r)),
            routes,
            upstreams: config.upstreams.iter().map(UpstreamState::new).collect(),
        }
    }
}

//! A configured rate limit ready for the request path: its [`Limit`], whose
//! key it counts by, where that key's state lives, and its header values.
//!
//! A limit keyed by client IP or by a header counts each key separately in
//! the shared [`RateTable`]; a limit with one bucket for the whole route
//! (`key = "route"`, or `"global"` under `[server]`) is a single
//! nanosecond-precise [`Gcra`] of its own. A request without the header a
//! limit is keyed by counts under the empty key: all such requests share
//! one bucket.

use super::gcra::{Decision, Gcra, Limit};
use super::headers::{PolicyHeader, RateLimitHeader};
use super::table::RateTable;
use super::Nanos;
use crate::config::{RateLimit, RateLimitKey};

/// One `rate_limit` table, built.
#[derive(Debug)]
pub struct RateLimiter {
    name: String,
    id: u32,
    key: RateLimitKey,
    quota_headers: bool,
    limit: Limit,
    /// The bucket of a `Shared` limit; keyed limits use the table.
    shared: Option<Gcra>,
}

impl RateLimiter {
    /// The limiter of `config`, named `name` in the headers (the route's
    /// name, or `global`); `id` tells it apart from the other limiters
    /// sharing the [`RateTable`] (the route index, say).
    pub fn new(name: &str, id: u32, config: &RateLimit) -> RateLimiter {
        let limit = Limit::from_config(config);
        RateLimiter {
            name: name.to_owned(),
            id,
            key: config.key.clone(),
            quota_headers: config.quota_headers,
            limit,
            shared: matches!(config.key, RateLimitKey::Shared).then(|| Gcra::new(limit)),
        }
    }

    /// What the limit is keyed by: the proxy extracts those bytes.
    pub fn key(&self) -> &RateLimitKey {
        &self.key
    }

    /// The policy name used in the headers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The limit.
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// Whether admitted responses carry the `RateLimit` headers too
    /// (rejections always do).
    pub fn quota_headers(&self) -> bool {
        self.quota_headers
    }

    /// Checks one request at `now`. `key` is the client IP's bytes or the
    /// header's value (empty when absent); a `Shared` limit ignores it.
    pub fn check(&self, table: &RateTable, key: &[u8], now: Nanos) -> Decision {
        match &self.shared {
            Some(bucket) => bucket.check(now),
            None => table.check(&self.limit, self.id, key, now),
        }
    }

    /// The `RateLimit-Policy` value.
    pub fn policy_header(&self) -> PolicyHeader<'_> {
        PolicyHeader {
            name: &self.name,
            limit: &self.limit,
        }
    }

    /// The `RateLimit` value after `decision`.
    pub fn rate_limit_header<'a>(&'a self, decision: &'a Decision) -> RateLimitHeader<'a> {
        RateLimitHeader {
            name: &self.name,
            decision,
        }
    }
}

//! Admission: the rate limits and concurrency limits a request passes
//! before it may go upstream.
//!
//! In order: the `[server]` rate limit, the route's rate limit, the route's
//! concurrency limit, the upstream's concurrency limit. Each rate limit is a
//! GCRA check on one shared atomic (per key in the shared table), so the
//! limit holds for the whole process whatever shard the request landed on.
//! A request refused by a later check has still spent its place in the
//! earlier rate limits (GCRA cannot give a token back without a race).
//! Refusals are 429 with `Retry-After`, `RateLimit-Policy` and `RateLimit`
//! (draft-ietf-httpapi-ratelimit-headers), or 503 for a full concurrency
//! limit; admitted requests carry `RateLimit-Policy`/`RateLimit` when the
//! limit sets `quota_headers`. A concurrency limit with `queue_timeout` lets
//! a request wait for a place, looking again every millisecond, for at most
//! that long.

use crate::snapshot::Snapshot;
use monoio::time::Instant;
use ringgate_core::config::{Concurrency, RateLimitKey};
use ringgate_core::http1::RequestHead;
use ringgate_core::policy::{retry_after_secs, InFlight, InFlightGuard, Nanos, RateLimiter};
use ringgate_core::status::Failure;
use std::io::Write as _;
use std::net::IpAddr;
use std::time::Duration;

/// How often a queued request looks for a free place.
const QUEUE_POLL: Duration = Duration::from_millis(1);

/// A request that passed: its places in the concurrency limits (released
/// on drop) and the header lines to add to its response.
#[derive(Default)]
pub struct Admitted<'s> {
    _route: Option<InFlightGuard<'s>>,
    _upstream: Option<InFlightGuard<'s>>,
    /// `Name: value\r\n` lines for the response (quota headers), or empty.
    pub headers: Vec<u8>,
}

/// A refused request: the failure and the header lines of its answer.
pub struct Refused {
    /// What to answer.
    pub failure: Failure,
    /// `Name: value\r\n` lines for the answer (rate-limit headers), or empty.
    pub headers: Vec<u8>,
}

/// Whether any admission check applies to a request on `route` (if not,
/// [`admit`] need not run at all).
pub fn needed(snap: &Snapshot, route: Option<usize>) -> bool {
    let policies = &snap.policies;
    if policies.global.is_some() {
        return true;
    }
    let Some(index) = route else {
        return false;
    };
    let route_limits = policies
        .routes
        .get(index)
        .is_some_and(|p| p.rate_limit.is_some() || p.in_flight.is_some());
    let upstream_limit = snap
        .config
        .routes
        .get(index)
        .and_then(|r| policies.upstreams.get(r.upstream))
        .is_some_and(|u| u.in_flight_limit().is_some());
    route_limits || upstream_limit
}

/// Run every admission check for a request on `route` (None: no route
/// matched; only the global limit applies).
pub async fn admit<'s>(
    snap: &'s Snapshot,
    head: &RequestHead,
    client_ip: IpAddr,
    route: Option<usize>,
    now: Nanos,
) -> Result<Admitted<'s>, Refused> {
    let policies = &snap.policies;
    let mut admitted = Admitted::default();
    let route_limit = route
        .and_then(|r| policies.routes.get(r))
        .and_then(|p| p.rate_limit.as_ref());
    for limiter in [policies.global.as_deref(), route_limit]
        .into_iter()
        .flatten()
    {
        rate_limit(snap, limiter, head, client_ip, now, &mut admitted.headers)?;
    }
    let Some(index) = route else {
        return Ok(admitted);
    };
    let (Some(policy), Some(cfg)) = (policies.routes.get(index), snap.config.routes.get(index))
    else {
        return Ok(admitted);
    };
    if let (Some(limit), Some(c)) = (&policy.in_flight, &cfg.concurrency) {
        admitted._route = Some(place(limit, c).await?);
    }
    let upstream = snap.config.upstreams.get(cfg.upstream);
    let state = policies.upstreams.get(cfg.upstream);
    if let (Some(limit), Some(c)) = (
        state.and_then(|s| s.in_flight_limit()),
        upstream.and_then(|u| u.concurrency.as_ref()),
    ) {
        admitted._upstream = Some(place(limit, c).await?);
    }
    Ok(admitted)
}

fn rate_limit(
    snap: &Snapshot,
    limiter: &RateLimiter,
    head: &RequestHead,
    client_ip: IpAddr,
    now: Nanos,
    headers: &mut Vec<u8>,
) -> Result<(), Refused> {
    let ip;
    let key: &[u8] = match limiter.key() {
        RateLimitKey::ClientIp => {
            ip = ip_bytes(client_ip);
            ip.as_slice()
        }
        RateLimitKey::Header(name) => head.header(name).unwrap_or_default(),
        RateLimitKey::Shared => b"",
    };
    let decision = limiter.check(&snap.policies.table, key, now);
    if decision.allowed && !limiter.quota_headers() {
        return Ok(());
    }
    let mut lines = Vec::with_capacity(128);
    if !decision.allowed {
        let _ = write!(lines, "Retry-After: {}\r\n", retry_after_secs(&decision));
    }
    let _ = write!(
        lines,
        "RateLimit-Policy: {}\r\nRateLimit: {}\r\n",
        limiter.policy_header(),
        limiter.rate_limit_header(&decision)
    );
    if decision.allowed {
        headers.extend_from_slice(&lines);
        Ok(())
    } else {
        Err(Refused {
            failure: Failure::RateLimited,
            headers: lines,
        })
    }
}

/// A place in a concurrency limit, waiting up to its `queue_timeout`.
async fn place<'s>(limit: &'s InFlight, c: &Concurrency) -> Result<InFlightGuard<'s>, Refused> {
    let refused = || Refused {
        failure: Failure::ConcurrencyLimited,
        headers: Vec::new(),
    };
    if let Some(guard) = limit.guard() {
        return Ok(guard);
    }
    let Some(wait) = c.queue_timeout else {
        return Err(refused());
    };
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        monoio::time::sleep(QUEUE_POLL).await;
        if let Some(guard) = limit.guard() {
            return Ok(guard);
        }
    }
    Err(refused())
}

/// The bytes a client-IP limit keys on (IPv4 as 4 bytes, IPv6 as 16).
fn ip_bytes(ip: IpAddr) -> IpBytes {
    match ip {
        IpAddr::V4(v4) => IpBytes::V4(v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpBytes::V4(v4.octets()),
            None => IpBytes::V6(v6.octets()),
        },
    }
}

enum IpBytes {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpBytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            IpBytes::V4(b) => b,
            IpBytes::V6(b) => b,
        }
    }
}

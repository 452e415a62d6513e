//! Authentication on the request path: run the route's check
//! ([`ringgate_core::auth`]) right after routing, answer a refusal, or hand
//! the request on with its identity headers.
//!
//! API keys, JWTs and Basic credentials are decided on the shard without
//! I/O; forward-auth makes a subrequest ([`forward`]). Per-shard state (the
//! Basic and JWT caches, keep-alive connections to auth services) lives in
//! [`ShardAuth`]; the JWKS key sets are refreshed by one thread per process
//! ([`jwks`]) and read lock-free by every shard.

pub mod forward;
pub mod hash_key;
pub mod jwks;

use crate::conn::{reply, Client, Next};
use crate::shard::Shard;
use crate::snapshot::Snapshot;
use crate::upstream::Pools;
use ringgate_core::auth::{basic, jwt_cache, AuthKind, Denial, Granted, RouteAuth};
use ringgate_core::config::Route;
use ringgate_core::http1::{BodyKind, RequestHead};
use ringgate_core::status::Failure;
use std::cell::RefCell;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tracing::{info, warn};

/// A shard's authentication state, indexed by route.
#[derive(Debug)]
pub struct ShardAuth {
    /// Verified credentials, for routes with `basic` or `jwt` auth.
    caches: Vec<RouteCache>,
    /// Idle connections to forward-auth services: "upstream" = route index,
    /// one target each.
    pub pools: Pools,
}

/// One route's cache of verified credentials on one shard.
#[derive(Debug)]
enum RouteCache {
    None,
    Basic(RefCell<basic::Cache>),
    Jwt(RefCell<jwt_cache::Cache>),
}

impl ShardAuth {
    /// Empty caches and pools for the routes of `snapshot`.
    pub fn new(snapshot: &Snapshot) -> ShardAuth {
        let routes = &snapshot.config.routes;
        let caches = routes
            .iter()
            .map(|r| match r.auth.as_deref().map(|a| &a.kind) {
                Some(AuthKind::Basic(_)) => RouteCache::Basic(RefCell::new(basic::Cache::new(
                    salt(),
                    basic::CACHE_TTL,
                    basic::CACHE_MAX,
                ))),
                Some(AuthKind::Jwt(_)) => RouteCache::Jwt(RefCell::default()),
                _ => RouteCache::None,
            })
            .collect();
        ShardAuth {
            caches,
            pools: Pools::new(routes.iter().map(|_| 1)),
        }
    }
}

/// A random salt for cache keys; a clock-derived one if the system's
/// randomness is unavailable (the salt only hides digests in memory).
fn salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt).is_err() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        salt = nanos.to_le_bytes();
    }
    salt
}

/// Run `route`'s authentication for `head`. `Ok(None)`: the route has none;
/// `Ok(Some(grant))`: forward with the grant's header edits; `Err(next)`:
/// the client has been answered (a 401 with the `extra` header lines too:
/// CORS, quota).
pub async fn check<'a>(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    route_index: usize,
    route: &'a Route,
    extra: &[u8],
) -> Result<Option<Granted<'a>>, Next> {
    let Some(auth) = route.auth.as_deref() else {
        return Ok(None);
    };
    let view = std::rc::Rc::clone(&client.view);
    let cache = view.auth.caches.get(route_index);
    let decided = match (&auth.kind, cache) {
        (AuthKind::ApiKey(api_key), _) => api_key.check(auth, head),
        (AuthKind::Jwt(jwt), Some(RouteCache::Jwt(cache))) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            jwt.check(auth, head, &mut cache.borrow_mut(), now)
        }
        (AuthKind::Basic(basic), Some(RouteCache::Basic(cache))) => {
            basic.check(auth, head, &mut cache.borrow_mut(), Instant::now())
        }
        // Caches are built from the same snapshot as the routes: unreachable.
        (AuthKind::Jwt(_) | AuthKind::Basic(_), _) => Err(Denial {
            failure: Failure::BadCredentials,
            challenge: None,
            detail: "no credential cache for this route",
        }),
        // A subrequest: boxed so a request without forward-auth does not
        // carry its future's size.
        (AuthKind::Forward(cfg), _) => {
            return Box::pin(forward::check(
                shard,
                client,
                head,
                route_index,
                route,
                auth,
                cfg,
            ))
            .await
        }
    };
    match decided {
        Ok(granted) => Ok(Some(granted)),
        Err(denial) => {
            let deny = deny(
                shard,
                client,
                head,
                route_index,
                route,
                auth,
                &denial,
                extra,
            );
            Err(Box::pin(deny).await)
        }
    }
}

/// Whether the client connection closes after refusing `head`: when the
/// shard drains, the client asked, or a request body was left unread.
pub(crate) fn close_after(shard: &Shard, head: &RequestHead) -> bool {
    shard.drain.is_draining()
        || !head.keep_alive()
        || !matches!(head.body(), BodyKind::Empty | BodyKind::Length(0))
}

/// Answer a refused request: the failure's status and body plus the
/// challenge and `extra` lines, a log line, the metrics.
#[allow(clippy::too_many_arguments)]
async fn deny(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    route_index: usize,
    route: &Route,
    auth: &RouteAuth,
    denial: &Denial,
    extra: &[u8],
) -> Next {
    let status = denial.failure.status();
    info!(
        shard = shard.index,
        client = %client.peer,
        route = %route.name,
        auth = auth.kind_name(),
        status,
        reason = denial.detail,
        "authentication failed"
    );
    let mut lines = denial.header_lines();
    lines.extend_from_slice(extra);
    answer(shard, client, head, route_index, denial.failure, &lines).await
}

/// Write `failure` (with `extra` header lines) as the answer to `head` and
/// count it as an auth rejection of the route.
pub(crate) async fn answer(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    route_index: usize,
    failure: Failure,
    extra: &[u8],
) -> Next {
    crate::conn::served::answered(client, Some(route_index), failure.status(), Duration::ZERO);
    client.view.metrics.auth_rejected(route_index);
    let answer = reply::Answer {
        close: close_after(shard, head),
        head_only: head.is_head(),
    };
    reply::send(client, failure, answer, extra).await;
    if answer.close {
        Next::Close
    } else {
        Next::KeepAlive
    }
}

/// Log a failure to reach the forward-auth service.
pub(crate) fn log_service_failure(
    shard: &Shard,
    client: &Client,
    route: &Route,
    failure: Failure,
    error: &dyn std::fmt::Display,
) {
    warn!(
        shard = shard.index,
        client = %client.peer,
        route = %route.name,
        status = failure.status(),
        reason = failure.reason(),
        error = %error,
        "forward-auth service failed"
    );
}

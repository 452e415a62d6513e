//! One request's way through the gateway: route, gate (IP access, CORS
//! preflight), admit (limits), authenticate, then hand it to
//! [`super::forward`], which picks targets, forwards the head, streams the
//! body upstream, retries a failed try where the route allows it and hands
//! the response to [`super::response`]. The gateway's own refusals before
//! a response started are answered here ([`refuse`]).
//!
//! A small body already in the buffer is sent in the same write as the head,
//! and a small response body in the same write as the response head, so a
//! typical request costs one read and one write on each side.

use super::target::UpstreamRef;
use super::{admit, gate};
use super::{io, reply, Client, Next};
use crate::clock;
use crate::metrics::policy::Refusal;
use crate::shard::Shard;
use crate::view::ShardView;

use monoio::time::Instant;
use ringgate_core::auth::Granted;
use ringgate_core::config::{BalanceKind, HashKey, Route, Upstream};
use ringgate_core::http1::{BodyKind, RequestHead, Version, CONTINUE};
use ringgate_core::policy::{Nanos, RoutePolicies};
use ringgate_core::router::HeaderLookup;
use ringgate_core::status::Failure;
use std::net::IpAddr;
use std::rc::Rc;

/// Bodies up to this size that are already buffered go out in the same
/// write as their head.
pub(super) const COALESCE: u64 = 16 * 1024;

struct Lookup<'a>(&'a RequestHead);

impl HeaderLookup for Lookup<'_> {
    fn header(&self, name_lowercase: &str) -> Option<&[u8]> {
        self.0.header(name_lowercase)
    }
}

/// Handle one request; the head has been read, its body (if any) has not.
pub async fn handle(
    shard: &Rc<Shard>,
    snap: &Rc<ShardView>,
    client: &mut Client,
    head: RequestHead,
) -> Next {
    let started = Instant::now();
    let cfg = &snap.config;
    let found = snap
        .router
        .find(head.method(), head.host(), head.path(), &Lookup(&head))
        .and_then(|i| cfg.routes.get(i).map(|r| (i, r)));
    // Boxed and skipped when no access rule or CORS applies, as admission.
    if gate::needed(cfg, found.map(|f| f.1)) {
        let server_access = cfg.server.access.as_deref();
        let gate = gate::check(shard, client, &head, server_access, found);
        if let Err(next) = Box::pin(gate).await {
            return next;
        }
    }
    // The route's CORS fields go on every answer from here on, the
    // gateway's refusals included (a browser script can then read them).
    let mut cors_lines = Vec::new();
    if let Some(cors) = found.and_then(|f| f.1.cors.as_deref()) {
        cors.actual(&head, &mut cors_lines);
    }
    let now = clock::now();
    let route_found = found.map(|f| f.0);
    let client_ip = gate::client_addr(cfg, found.map(|f| f.1), &head, client.peer.ip());
    // Boxed and skipped when nothing limits this request: the common
    // request's future stays small (it is moved on every poll).
    let admission = admit::needed(snap, route_found)
        .then(|| Box::pin(admit::admit(snap, &head, client_ip, route_found, now)));
    let admitted = match admission {
        None => Ok(admit::Admitted::default()),
        Some(admission) => admission.await,
    };
    let mut admitted = match admitted {
        Ok(admitted) => admitted,
        Err(mut refused) => {
            refused.headers.extend_from_slice(&cors_lines);
            let why = match refused.failure {
                Failure::RateLimited => Refusal::RateLimited,
                _ => Refusal::ConcurrencyLimited,
            };
            let route = found.map(|f| f.0);
            snap.metrics.policy.refused(route, why);
            return refuse_with(
                shard,
                client,
                &head,
                route,
                refused.failure,
                &refused.headers,
            )
            .await;
        }
    };
    let Some((route_index, route)) = found else {
        return refuse(shard, client, &head, None, Failure::NoRoute).await;
    };
    admitted.headers.extend_from_slice(&cors_lines);
    let auth = crate::auth::check(shard, client, &head, route_index, route, &admitted.headers);
    let auth = match auth.await {
        Ok(granted) => granted,
        Err(next) => return next,
    };
    let (Some(upstream), Some(balancer), Some(state), Some(policy)) = (
        cfg.upstreams.get(route.upstream),
        snap.balancers.get(route.upstream).map(|b| &**b),
        snap.policies.upstreams.get(route.upstream),
        snap.policies.routes.get(route_index),
    ) else {
        let failure = Failure::NoTarget;
        return refuse_with(
            shard,
            client,
            &head,
            Some(route_index),
            failure,
            &admitted.headers,
        )
        .await;
    };
    let max_body = route.max_body_bytes.or(cfg.server.max_body_bytes);
    if let (BodyKind::Length(n), Some(max)) = (head.body(), max_body) {
        if n > max {
            let failure = Failure::BodyTooLarge;
            let extra = &admitted.headers;
            return refuse_with(shard, client, &head, Some(route_index), failure, extra).await;
        }
    }
    if head.expects_continue()
        && head.version() == Version::Http11
        && head.body() != BodyKind::Empty
        && client.buf.is_empty()
    {
        client.out.clear();
        client.out.extend_from_slice(CONTINUE);
        if io::write_vec(&mut client.stream, &mut client.out)
            .await
            .is_err()
        {
            return Next::Close;
        }
    }
    let mut ip_key = [0u8; 16];
    let key = hash_key(&upstream.balance, &head, client_ip, &mut ip_key);
    let request = Request {
        head: &head,
        route_index,
        route,
        upstream: UpstreamRef {
            index: route.upstream,
            name: &upstream.name,
            balancer,
            state,
            metrics: &snap.metrics,
        },
        config: upstream,
        policy,
        key,
        max_body,
        started,
        now,
        extra_headers: &admitted.headers,
        auth,
    };
    super::forward::forward(shard, client, &request).await
}

/// Everything `forward` needs to know about the request being served.
pub(super) struct Request<'a> {
    pub(super) head: &'a RequestHead,
    pub(super) route_index: usize,
    pub(super) route: &'a Route,
    /// The route's upstream: balancer and shared target state.
    pub(super) upstream: UpstreamRef<'a>,
    /// The route's upstream's config.
    pub(super) config: &'a Upstream,
    /// The route's retry policy and budget.
    pub(super) policy: &'a RoutePolicies,
    /// What consistent hashing hashes.
    pub(super) key: Option<&'a [u8]>,
    pub(super) max_body: Option<u64>,
    pub(super) started: Instant,
    /// When it arrived, on the policies' clock.
    pub(super) now: Nanos,
    /// Header lines added to the response (rate-limit quota, CORS), and to
    /// the gateway's own refusals.
    pub(super) extra_headers: &'a [u8],
    /// Identity headers and edits from the route's authentication.
    pub(super) auth: Option<Granted<'a>>,
}

fn hash_key<'a>(
    kind: &BalanceKind,
    head: &'a RequestHead,
    client_ip: IpAddr,
    ip: &'a mut [u8; 16],
) -> Option<&'a [u8]> {
    match kind {
        BalanceKind::ConsistentHash(HashKey::Header(name)) => head.header(name),
        BalanceKind::ConsistentHash(HashKey::ClientIp) => match client_ip {
            IpAddr::V4(v4) => {
                let (dst, _) = ip.split_at_mut(4);
                dst.copy_from_slice(&v4.octets());
                Some(&ip[..4])
            }
            IpAddr::V6(v6) => {
                *ip = v6.octets();
                Some(&ip[..])
            }
        },
        _ => None,
    }
}

/// Answer a failure before the response started; keep the connection only
/// when nothing of the request is left unread and the client is not at fault.
pub(super) async fn refuse(
    shard: &Rc<Shard>,
    client: &mut Client,
    head: &RequestHead,
    route: Option<usize>,
    failure: Failure,
) -> Next {
    refuse_with(shard, client, head, route, failure, &[]).await
}

/// [`refuse`] with `extra` header lines in the answer.
pub(super) async fn refuse_with(
    shard: &Rc<Shard>,
    client: &mut Client,
    head: &RequestHead,
    route: Option<usize>,
    failure: Failure,
    extra: &[u8],
) -> Next {
    let close = shard.drain.is_draining()
        || !head.keep_alive()
        || !matches!(head.body(), BodyKind::Empty | BodyKind::Length(0))
        || failure.closes_connection();
    let answer = reply::Answer {
        close,
        head_only: head.is_head(),
    };
    reply::failure_with(client, shard, route, failure, answer, extra).await;
    if close {
        Next::Close
    } else {
        Next::KeepAlive
    }
}

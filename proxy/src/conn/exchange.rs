//! One request's way through the gateway: route, gate (IP access, CORS
//! preflight), admit (limits), authenticate,
//! pick a target, forward the head and stream the body upstream, retry a
//! failed try where the route allows it, then hand the response to
//! [`super::response`].
//!
//! A small body already in the buffer is sent in the same write as the head,
//! and a small response body in the same write as the response head, so a
//! typical request costs one read and one write on each side.

use super::body::{self, Chunking, PumpError, Source};
use super::pace::Pace;
use super::response::{read_response, respond, RespError};
use super::target::{self, Outcome, UpstreamRef};
use super::{admit, gate};
use super::{io, reply, Client, Next};
use crate::clock;
use crate::metrics::policy::Refusal;
use crate::shard::Shard;
use crate::upstream::{connect::connect_upstream, UpstreamConn};
use crate::view::ShardView;
use bytes::Buf;
use monoio::time::Instant;
use ringgate_core::auth::Granted;
use ringgate_core::config::{BalanceKind, HashKey, PathMatch, Route, Upstream};
use ringgate_core::http1::{
    encode_request, encode_request_edited, BodyKind, Forwarded, RequestHead, ResponseHead,
    TraceHeaders, Version, CONTINUE,
};
use ringgate_core::policy::{Attempt, FailureKind, Nanos, RoutePolicies, Stop};
use ringgate_core::router::{strip_prefix, HeaderLookup};
use ringgate_core::status::Failure;
use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, warn};

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
    forward(shard, client, &request).await
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

fn is_idempotent(method: &[u8]) -> bool {
    matches!(
        method,
        b"GET" | b"HEAD" | b"PUT" | b"DELETE" | b"OPTIONS" | b"TRACE"
    )
}

/// What is left of the request body after the head went out.
#[derive(Debug, Clone, Copy)]
enum BodyLeft {
    None,
    Length(u64),
    Chunked,
}

/// How one try on one target failed.
enum TryError {
    /// The upstream failed: how (for retries and breakers) and the answer.
    Upstream(FailureKind, Failure),
    /// The client went away or was already answered: nothing to retry.
    Done(Next),
}

/// Send the request to targets until one answers or no retry is allowed:
/// each try on a usable target not tried before (when there is one), with
/// the route's backoff between tries, within its attempts, deadline and
/// shared retry budget. Only a request whose whole body is still in the
/// buffer is retried.
async fn forward(shard: &Rc<Shard>, client: &mut Client, req: &Request<'_>) -> Next {
    let head = req.head;
    let origin = match req.auth.as_ref().and_then(|a| a.target.as_deref()) {
        Some(target) => Cow::Borrowed(target),
        None => head.origin_target(),
    };
    let path: Cow<'_, [u8]> = match (&req.route.path, req.route.strip_prefix) {
        (Some(PathMatch::Prefix(prefix)), true) => strip_prefix(&origin, prefix),
        _ => Cow::Borrowed(&origin),
    };
    client.out.clear();
    let fwd = Forwarded {
        target: &path,
        client_ip: client.peer.ip(),
        proto: client.stream.get_ref().scheme(),
        host_rewrite: req.route.host_rewrite.as_deref(),
        upgrade: head.is_upgrade(),
        strip_expect: true,
        request_id: client.request_id.as_ref().map(|id| &id[..]),
        trace: client.trace.as_ref().map(|t| TraceHeaders {
            traceparent: &t.traceparent,
            keep_tracestate: t.continued(),
        }),
    };
    match &req.auth {
        Some(granted) => encode_request_edited(head, &fwd, &granted.edit(), &mut client.out),
        None => encode_request(head, &fwd, &mut client.out),
    }
    let mut body_left = match head.body() {
        BodyKind::Length(n) if n <= COALESCE && n <= client.buf.len() as u64 => {
            let n = n as usize;
            client
                .out
                .extend_from_slice(client.buf.get(..n).unwrap_or_default());
            client.buf.advance(n);
            BodyLeft::None
        }
        BodyKind::Length(n) => BodyLeft::Length(n),
        BodyKind::Chunked => BodyLeft::Chunked,
        BodyKind::Empty | BodyKind::CloseDelimited => BodyLeft::None,
    };
    let retry = req.policy.retry.as_ref();
    let replayable = matches!(body_left, BodyLeft::None)
        && retry.is_none_or(|r| body_bytes(head) <= r.body_buffer());
    let timeout = retry
        .and_then(|r| r.per_try_timeout())
        .map_or(req.config.response_timeout, Duration::from_nanos);
    let first = req.now;
    let mut tried: Vec<usize> = Vec::new();
    loop {
        let chosen = match target::choose(
            &req.upstream,
            req.key,
            &tried,
            if tried.is_empty() {
                first
            } else {
                clock::now()
            },
        ) {
            Ok(chosen) => chosen,
            Err(failure) => {
                if failure == Failure::CircuitOpen {
                    let route = Some(req.route_index);
                    req.upstream
                        .metrics
                        .policy
                        .refused(route, Refusal::NoUsableTarget);
                }
                let route = Some(req.route_index);
                return refuse_with(shard, client, head, route, failure, req.extra_headers).await;
            }
        };
        let index = chosen.index;
        let Some(addr) = req.config.targets.get(index).map(|t| t.addr) else {
            target::finish(&req.upstream, addr_unknown(), chosen, Outcome::Abandoned, 0);
            let route = Some(req.route_index);
            let failure = Failure::NoTarget;
            return refuse_with(shard, client, head, route, failure, req.extra_headers).await;
        };
        let result = try_target(
            shard,
            client,
            req,
            index,
            addr,
            &mut body_left,
            timeout,
            replayable,
        )
        .await;
        let now = clock::now();
        let (kind, failure) = match result {
            Ok((up, resp)) => {
                let status = resp.status();
                let outcome = if status >= 500 {
                    Outcome::Failure
                } else {
                    Outcome::Success
                };
                if status >= 500 {
                    let attempt = attempt(req, &tried, replayable, first);
                    if let Some(delay) =
                        retry_after(shard, req, &attempt, FailureKind::Status(status), now)
                    {
                        debug!(upstream = req.upstream.name, target = %addr, status, "retrying after a server error");
                        target::finish(&req.upstream, addr, chosen, outcome, now);
                        drop(up);
                        tried.push(index);
                        Box::pin(monoio::time::sleep(delay)).await;
                        continue;
                    }
                }
                target::finish(&req.upstream, addr, chosen, outcome, now);
                client.out.clear();
                return respond(shard, client, req, up, resp).await;
            }
            Err(TryError::Done(next)) => {
                target::finish(&req.upstream, addr, chosen, Outcome::Abandoned, now);
                return next;
            }
            Err(TryError::Upstream(kind, failure)) => {
                target::finish(&req.upstream, addr, chosen, Outcome::Failure, now);
                (kind, failure)
            }
        };
        let attempt = attempt(req, &tried, replayable, first);
        match retry_after(shard, req, &attempt, kind, now) {
            Some(delay) => {
                debug!(upstream = req.upstream.name, target = %addr, failure = ?kind, "retrying");
                tried.push(index);
                Box::pin(monoio::time::sleep(delay)).await;
            }
            None => {
                let route = Some(req.route_index);
                return refuse_with(shard, client, head, route, failure, req.extra_headers).await;
            }
        }
    }
}

fn addr_unknown() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

/// The body length a retry would have to replay.
fn body_bytes(head: &RequestHead) -> u64 {
    match head.body() {
        BodyKind::Length(n) => n,
        _ => 0,
    }
}

fn attempt<'a>(req: &Request<'a>, tried: &[usize], replayable: bool, first: Nanos) -> Attempt<'a> {
    Attempt {
        tries: u32::try_from(tried.len() + 1).unwrap_or(u32::MAX),
        method: req.head.method(),
        body_replayable: replayable,
        started: first,
    }
}

/// Whether the failed try is retried, and after how long; counts and logs
/// a retry the budget refused.
fn retry_after(
    shard: &Shard,
    req: &Request<'_>,
    attempt: &Attempt<'_>,
    kind: FailureKind,
    now: Nanos,
) -> Option<Duration> {
    let retry = req.policy.retry.as_ref()?;
    match retry.next(
        attempt,
        kind,
        req.policy.budget.as_ref(),
        now,
        shard.random(),
    ) {
        Ok(delay) => {
            req.upstream.metrics.policy.retry(req.route_index, true);
            Some(Duration::from_nanos(delay))
        }
        Err(Stop::Budget) => {
            warn!(route = %req.route.name, upstream = req.upstream.name, "retry budget spent, not retrying");
            req.upstream.metrics.policy.retry(req.route_index, false);
            None
        }
        Err(_) => None,
    }
}

/// One try on target `index`: a pooled connection (or, if it turns out to
/// be stale, once more on a fresh one) or a new connection, the head and
/// body, and the response head.
#[allow(clippy::too_many_arguments)]
async fn try_target(
    shard: &Rc<Shard>,
    client: &mut Client,
    req: &Request<'_>,
    index: usize,
    addr: SocketAddr,
    body_left: &mut BodyLeft,
    timeout: Duration,
    replayable: bool,
) -> Result<(UpstreamConn, ResponseHead), TryError> {
    let head = req.head;
    let ui = req.route.upstream;
    let stale_ok = replayable && is_idempotent(head.method());
    let mut fresh = false;
    loop {
        // A stale pooled connection is replaced by a fresh one: when one
        // pooled connection went stale, its neighbours likely did too.
        let pooled = if fresh {
            None
        } else {
            client
                .view
                .pools
                .take(ui, index, req.config.pool_idle_timeout)
        };
        let mut up = match pooled {
            Some(conn) => conn,
            None => {
                let view = Rc::clone(&client.view);
                let timeout = req.config.connect_timeout;
                match connect_upstream(shard, &view, addr, timeout, ui, index).await {
                    Ok(conn) => {
                        view.metrics.upstream_connected(ui);
                        conn
                    }
                    Err((failure, error)) => {
                        warn!(upstream = req.upstream.name, target = %addr, error = ?error, "connect failed");
                        return Err(TryError::Upstream(FailureKind::Connect, failure));
                    }
                }
            }
        };
        let stale_retry = up.reused && stale_ok && !fresh;
        let sent = Instant::now();
        if let Err(error) = io::write_vec(&mut up.stream, &mut client.out).await {
            if stale_retry {
                debug!(target = %addr, %error, "pooled connection was closed, retrying on a new one");
                fresh = true;
                continue;
            }
            warn!(upstream = req.upstream.name, target = %addr, %error, "write to upstream failed");
            return Err(TryError::Upstream(
                FailureKind::Reset,
                Failure::UpstreamReset,
            ));
        }
        // Streaming a body is the rare path: boxed so the common request's
        // future stays small (it is moved on every poll of a new request).
        if !matches!(body_left, BodyLeft::None) {
            if let Err(next) = Box::pin(send_body(shard, client, req, &mut up, *body_left)).await {
                return Err(TryError::Done(next));
            }
        }
        *body_left = BodyLeft::None;
        let forward_1xx = head.version() == Version::Http11;
        match read_response(&mut up, head.is_head(), timeout, client, forward_1xx).await {
            Ok(resp) => {
                let took = sent.elapsed();
                shard
                    .metrics
                    .target_response(ui, index, resp.status(), took);
                client.served.target = Some(addr);
                client.served.upstream_time = Some(took);
                return Ok((up, resp));
            }
            Err(RespError::ClosedEarly) if stale_retry => {
                debug!(target = %addr, "pooled connection was closed, retrying on a new one");
                fresh = true;
            }
            Err(error) => {
                let (kind, failure) = match error {
                    RespError::Timeout => (FailureKind::Timeout, Failure::ResponseTimeout),
                    RespError::Bad => (FailureKind::Status(502), Failure::UpstreamBadResponse),
                    RespError::ClosedEarly | RespError::Reset => {
                        (FailureKind::Reset, Failure::UpstreamReset)
                    }
                    RespError::ClientGone => return Err(TryError::Done(Next::Close)),
                };
                warn!(upstream = req.upstream.name, target = %addr, error = ?error, "bad upstream response");
                return Err(TryError::Upstream(kind, failure));
            }
        }
    }
}

/// Stream what is left of the request body upstream. On failure the
/// client has been answered (or is gone) and the connection must close.
async fn send_body(
    shard: &Rc<Shard>,
    client: &mut Client,
    req: &Request<'_>,
    up: &mut UpstreamConn,
    left: BodyLeft,
) -> Result<(), Next> {
    let limits = shard.snapshot().config.server.requests;
    let mut src = Source {
        stream: &mut client.stream,
        buf: &mut client.buf,
        read_timeout: limits.body_timeout,
        pace: limits.min_body_rate.map(Pace::new),
    };
    let result = match left {
        BodyLeft::None => return Ok(()),
        BodyLeft::Length(n) => body::length(&mut src, &mut up.stream, n).await,
        BodyLeft::Chunked => {
            body::chunked(&mut src, &mut up.stream, Chunking::Rechunk, req.max_body)
                .await
                .map(|_| ())
        }
    };
    let failure = match result {
        Ok(()) => return Ok(()),
        Err(PumpError::Source(error)) => {
            debug!(error = ?error, "client closed mid-body");
            return Err(Next::Close);
        }
        Err(PumpError::SourceTimeout) => {
            debug!(timeout = ?limits.body_timeout, "request body stalled");
            Failure::BodyTimeout
        }
        Err(PumpError::TooSlow) => {
            debug!(rate = ?limits.min_body_rate, "request body below the minimum rate");
            Failure::BodyTimeout
        }
        Err(PumpError::Sink(error)) => {
            warn!(upstream = %req.upstream.name, %error, "upstream write failed mid-body");
            Failure::UpstreamReset
        }
        Err(PumpError::Framing(error)) => {
            debug!(%error, "bad chunked request body");
            Failure::BadRequest
        }
        Err(PumpError::TooLarge) => Failure::BodyTooLarge,
    };
    let answer = reply::Answer {
        close: true,
        head_only: req.head.is_head(),
    };
    reply::failure(client, shard, Some(req.route_index), failure, answer).await;
    Err(Next::Close)
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

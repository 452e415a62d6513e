//! The retry loop of one request: tries on targets until one answers or
//! no retry is allowed ([`forward`]), each try taking a pooled or new
//! connection, writing the head and streaming the body ([`try_target`],
//! [`send_body`]), then handing the response head to
//! [`super::response`]. [`super::exchange`] decides what is forwarded
//! where; this module only sends it.

use super::body::{self, Chunking, PumpError, Source};
use super::exchange::{refuse_with, Request, COALESCE};
use super::pace::Pace;
use super::response::{read_response, respond, RespError};
use super::target::{self, Outcome};
use super::{io, reply, Client, Next};
use crate::clock;
use crate::metrics::policy::Refusal;
use crate::shard::Shard;
use crate::upstream::{connect::connect_upstream, UpstreamConn};
use bytes::Buf;
use monoio::time::Instant;
use ringgate_core::config::PathMatch;
use ringgate_core::http1::{
    encode_request, encode_request_edited, BodyKind, Forwarded, RequestHead, ResponseHead,
    TraceHeaders, Version,
};
use ringgate_core::policy::{Attempt, FailureKind, Nanos, Stop};
use ringgate_core::router::strip_prefix;
use ringgate_core::status::Failure;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, warn};

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
pub(super) async fn forward(shard: &Rc<Shard>, client: &mut Client, req: &Request<'_>) -> Next {
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

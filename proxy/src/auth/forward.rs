//! Forward-auth subrequests from the shard, over monoio.
//!
//! The subrequest (see [`ringgate_core::auth::forward`]) goes over a
//! keep-alive connection from the shard's own pool for the route, or a new
//! one; a pooled connection that turns out closed is replaced once, as on
//! the upstream path. The whole exchange (connect, write, response head and
//! body) must finish within the route's `timeout`. A 2xx lets the request
//! through; any other answer is relayed to the client; a failure to get an
//! answer is 502 (unreachable or invalid answer) or 504 (timeout).

use super::{answer, close_after, log_service_failure};
use crate::conn::{io, Client, Next};
use crate::shard::Shard;
use crate::upstream::{connect::connect, UpstreamConn};
use crate::view::ShardView;
use monoio::time::Instant;
use ringgate_core::auth::body::Collector;
use ringgate_core::auth::forward::{
    encode_denial, ForwardAuth, MAX_DENY_BODY, POOL_IDLE_TIMEOUT, POOL_MAX_IDLE,
};
use ringgate_core::auth::{Granted, RouteAuth};
use ringgate_core::config::Route;
use ringgate_core::http1::{BodyKind, HeadReader, Limits, RequestHead, ResponseHead};
use ringgate_core::status::Failure;
use std::time::Duration;
use tracing::{debug, info};

/// Limits for the auth service's response head.
const LIMITS: Limits = Limits {
    max_header_bytes: 32 * 1024,
    max_headers: 128,
    max_uri_bytes: 32 * 1024,
};

/// Why the auth service gave no usable answer.
#[derive(Debug, thiserror::Error)]
enum AskError {
    /// Could not connect.
    #[error("connect failed: {0:?}")]
    Connect(Option<std::io::Error>),
    /// Closed before any byte of the answer (maybe a stale pooled connection).
    #[error("closed before answering: {0:?}")]
    ClosedEarly(Option<std::io::Error>),
    /// Closed or reset partway.
    #[error("closed mid-answer: {0:?}")]
    Reset(Option<std::io::Error>),
    /// Not a valid HTTP/1 answer, or its body too large.
    #[error("invalid answer: {0}")]
    Bad(String),
}

impl AskError {
    fn failure(&self) -> Failure {
        match self {
            AskError::Bad(_) => Failure::AuthBadResponse,
            _ => Failure::AuthUnreachable,
        }
    }
}

/// Ask `cfg`'s service about `head`; see [`super::check`].
pub async fn check<'a>(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    route_index: usize,
    route: &Route,
    auth: &'a RouteAuth,
    cfg: &ForwardAuth,
) -> Result<Option<Granted<'a>>, Next> {
    let mut out = Vec::with_capacity(512);
    cfg.encode_check(head, client.peer.ip(), &mut out);
    let deadline = Instant::now() + cfg.timeout;
    let view = std::rc::Rc::clone(&client.view);
    let asked = ask((shard, &view), route_index, cfg, head, out);
    let asked = monoio::time::timeout_at(deadline, asked).await;
    let (resp, body) = match asked {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) => {
            let failure = error.failure();
            log_service_failure(shard, client, route, failure, &error);
            return Err(answer(shard, client, head, route_index, failure, b"").await);
        }
        Err(_) => {
            let failure = Failure::AuthTimeout;
            log_service_failure(
                shard,
                client,
                route,
                failure,
                &format!("no answer within {:?}", cfg.timeout),
            );
            return Err(answer(shard, client, head, route_index, failure, b"").await);
        }
    };
    let status = resp.status();
    if (200..300).contains(&status) {
        return Ok(Some(cfg.granted(auth, &resp)));
    }
    info!(
        shard = shard.index,
        client = %client.peer,
        route = %route.name,
        auth = "forward",
        status,
        reason = "refused by the auth service",
        "authentication failed"
    );
    crate::conn::served::answered(client, Some(route_index), status, Duration::ZERO);
    client.view.metrics.auth_rejected(route_index);
    let close = close_after(shard, head);
    client.out.clear();
    encode_denial(&resp, &body, close, head.is_head(), &mut client.out);
    let written = io::write_vec(&mut client.stream, &mut client.out).await;
    client.out.clear();
    Err(if close || written.is_err() {
        Next::Close
    } else {
        Next::KeepAlive
    })
}

/// Send `request` and read the answer (head and bounded body), retrying
/// once on a fresh connection when a pooled one was closed.
async fn ask(
    (shard, view): (&Shard, &ShardView),
    route_index: usize,
    cfg: &ForwardAuth,
    head: &RequestHead,
    mut request: Vec<u8>,
) -> Result<(ResponseHead, Vec<u8>), AskError> {
    let mut fresh_only = false;
    loop {
        let pooled = if fresh_only {
            None
        } else {
            view.auth.pools.take(route_index, 0, POOL_IDLE_TIMEOUT)
        };
        let mut conn = match pooled {
            Some(conn) => conn,
            None => connect(
                cfg.addr,
                cfg.timeout,
                route_index,
                0,
                None,
                shard.buffers.upstream,
            )
            .await
            .map_err(|(_, error)| AskError::Connect(error))?,
        };
        let stale_retry = conn.reused;
        let result = match io::write_vec(&mut conn.stream, &mut request).await {
            Err(error) => Err(AskError::ClosedEarly(Some(error))),
            Ok(()) => read_answer(&mut conn, head.is_head()).await,
        };
        match result {
            Ok((resp, body)) => {
                if resp.keep_alive()
                    && resp.body() != BodyKind::CloseDelimited
                    && conn.buf.is_empty()
                {
                    view.auth.pools.put(conn, POOL_MAX_IDLE);
                }
                return Ok((resp, body));
            }
            Err(AskError::ClosedEarly(error)) if stale_retry => {
                debug!(
                    ?error,
                    "pooled auth service connection was closed, retrying on a new one"
                );
                fresh_only = true;
            }
            Err(error) => return Err(error),
        }
    }
}

async fn read_answer(
    conn: &mut UpstreamConn,
    was_head: bool,
) -> Result<(ResponseHead, Vec<u8>), AskError> {
    let mut reader = HeadReader::default();
    let mut received = !conn.buf.is_empty();
    let resp = loop {
        if !conn.buf.is_empty() {
            match reader.read_response(&mut conn.buf, &LIMITS, was_head) {
                Ok(Some(resp)) if resp.is_informational() => continue,
                Ok(Some(resp)) => break resp,
                Ok(None) => {}
                Err(error) => return Err(AskError::Bad(error.to_string())),
            }
        }
        match io::read_into(&mut conn.stream, &mut conn.buf).await {
            Ok(0) if !received => return Err(AskError::ClosedEarly(None)),
            Err(error) if !received => return Err(AskError::ClosedEarly(Some(error))),
            Ok(0) => return Err(AskError::Reset(None)),
            Err(error) => return Err(AskError::Reset(Some(error))),
            Ok(_) => received = true,
        }
    };
    if resp.is_switching_protocols() {
        return Err(AskError::Bad("101 from an auth service".into()));
    }
    let mut body = Collector::new(resp.body(), MAX_DENY_BODY);
    loop {
        if body
            .feed(&mut conn.buf)
            .map_err(|e| AskError::Bad(e.to_string()))?
        {
            return Ok((resp, body.into_body()));
        }
        match io::read_into(&mut conn.stream, &mut conn.buf).await {
            Ok(0) => {
                let body = body
                    .finish_at_eof()
                    .map_err(|e| AskError::Bad(e.to_string()))?;
                return Ok((resp, body));
            }
            Err(error) => return Err(AskError::Reset(Some(error))),
            Ok(_) => {}
        }
    }
}

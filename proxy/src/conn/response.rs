//! The response side of an exchange: reading the upstream's response head
//! (relaying 1xx interim responses), then writing the client's head and
//! streaming the body back, and giving the upstream connection back to the
//! pool when both sides allow it.
//!
//! A small response body already in the buffer goes out in the same write
//! as the response head.

use super::body::{self, Chunking, PumpError, Source};
use super::exchange::{refuse, Request, COALESCE};
use super::{io, Client, Next};
use crate::shard::Shard;
use crate::upstream::UpstreamConn;
use bytes::Buf;
use monoio::time::Instant;
use ringgate_core::http1::{
    append_fields, encode_response, BodyKind, HeadReader, Limits, ResponseHead, ResponseOptions,
    Version,
};
use ringgate_core::status::Failure;
use std::rc::Rc;
use std::time::Duration;
use tracing::{debug, warn};

/// Limits for upstream response heads (more generous than for clients:
/// upstreams are trusted to be sane, but not to be small).
const RESPONSE_LIMITS: Limits = Limits {
    max_header_bytes: 64 * 1024,
    max_headers: 256,
    max_uri_bytes: 64 * 1024,
};

/// Why reading the response head failed.
#[derive(Debug)]
pub(super) enum RespError {
    /// The connection closed or reset before a single response byte.
    ClosedEarly,
    /// It closed or reset partway through the head.
    Reset,
    /// The head is not valid HTTP/1.
    Bad,
    /// No complete head within `response_timeout`.
    Timeout,
    /// Relaying a 1xx to the client failed.
    ClientGone,
}

pub(super) fn shard_idle_timeout(shard: &Shard) -> Duration {
    shard.snapshot().config.server.idle_timeout
}

async fn read_head_once(
    up: &mut UpstreamConn,
    was_head: bool,
    deadline: Instant,
    received: &mut bool,
) -> Result<ResponseHead, RespError> {
    let mut reader = HeadReader::default();
    loop {
        if !up.buf.is_empty() {
            match reader.read_response(&mut up.buf, &RESPONSE_LIMITS, was_head) {
                Ok(Some(head)) => return Ok(head),
                Ok(None) => {}
                Err(error) => {
                    debug!(%error, "invalid upstream response head");
                    return Err(RespError::Bad);
                }
            }
        }
        match monoio::time::timeout_at(deadline, io::read_into(&mut up.stream, &mut up.buf)).await {
            Err(_) => return Err(RespError::Timeout),
            Ok(Ok(0)) | Ok(Err(_)) if !*received => return Err(RespError::ClosedEarly),
            Ok(Ok(0)) | Ok(Err(_)) => return Err(RespError::Reset),
            Ok(Ok(_)) => *received = true,
        }
    }
}

pub(super) async fn read_response(
    up: &mut UpstreamConn,
    was_head: bool,
    timeout: Duration,
    client: &mut Client,
    forward_1xx: bool,
) -> Result<ResponseHead, RespError> {
    let deadline = Instant::now() + timeout;
    let mut received = !up.buf.is_empty();
    loop {
        let head = read_head_once(up, was_head, deadline, &mut received).await?;
        if !head.is_informational() {
            return Ok(head);
        }
        if forward_1xx {
            client.out.clear();
            let opts = ResponseOptions {
                keep_alive: true,
                client_version: Version::Http11,
                dechunk: false,
                upgrade: false,
            };
            encode_response(&head, &opts, &mut client.out);
            if io::write_vec(&mut client.stream, &mut client.out)
                .await
                .is_err()
            {
                return Err(RespError::ClientGone);
            }
        }
    }
}

pub(super) async fn respond(
    shard: &Rc<Shard>,
    client: &mut Client,
    req: &Request<'_>,
    mut up: UpstreamConn,
    resp: ResponseHead,
) -> Next {
    let head = req.head;
    let status = resp.status();
    let version = head.version();
    if resp.is_switching_protocols() {
        if !head.is_upgrade() {
            return refuse(
                shard,
                client,
                head,
                Some(req.route_index),
                Failure::UpstreamBadResponse,
            )
            .await;
        }
        let opts = ResponseOptions {
            keep_alive: true,
            client_version: version,
            dechunk: false,
            upgrade: true,
        };
        encode_response(&resp, &opts, &mut client.out);
        if io::write_vec(&mut client.stream, &mut client.out)
            .await
            .is_err()
        {
            return Next::Close;
        }
        crate::conn::served::answered(client, Some(req.route_index), status, req.started.elapsed());
        return Next::Upgrade(up);
    }
    let framing = resp.body();
    let dechunk = version == Version::Http10 && framing == BodyKind::Chunked;
    let keep_alive = head.keep_alive()
        && !shard.drain.is_draining()
        && framing != BodyKind::CloseDelimited
        && !dechunk;
    let opts = ResponseOptions {
        keep_alive,
        client_version: version,
        dechunk,
        upgrade: false,
    };
    encode_response(&resp, &opts, &mut client.out);
    append_fields(&mut client.out, req.extra_headers);
    // response_timeout bounds the wait for the head; once the body flows,
    // a stall is bounded by the server's idle_timeout, as on the client side.
    let read_timeout = shard_idle_timeout(shard);
    let result: Result<(), PumpError> = match framing {
        BodyKind::Empty => io::write_vec(&mut client.stream, &mut client.out)
            .await
            .map_err(PumpError::Sink),
        BodyKind::Length(n) if n <= COALESCE && n <= up.buf.len() as u64 => {
            let n = n as usize;
            client
                .out
                .extend_from_slice(up.buf.get(..n).unwrap_or_default());
            up.buf.advance(n);
            io::write_vec(&mut client.stream, &mut client.out)
                .await
                .map_err(PumpError::Sink)
        }
        other => {
            let sent = io::write_vec(&mut client.stream, &mut client.out)
                .await
                .map_err(PumpError::Sink);
            match sent {
                Err(e) => Err(e),
                Ok(()) => {
                    let mut src = Source {
                        stream: &mut up.stream,
                        buf: &mut up.buf,
                        read_timeout,
                        pace: None,
                    };
                    let dst = &mut client.stream;
                    // Boxed for the same reason as the request body pump.
                    Box::pin(async move {
                        match other {
                            BodyKind::Length(n) => body::length(&mut src, dst, n).await,
                            BodyKind::Chunked => {
                                let mode = if dechunk {
                                    Chunking::Dechunk
                                } else {
                                    Chunking::Rechunk
                                };
                                body::chunked(&mut src, dst, mode, None).await.map(|_| ())
                            }
                            _ => body::until_eof(&mut src, dst).await.map(|_| ()),
                        }
                    })
                    .await
                }
            }
        }
    };
    client.out.clear();
    crate::conn::served::answered(client, Some(req.route_index), status, req.started.elapsed());
    match result {
        Ok(()) => {
            if resp.keep_alive() && framing != BodyKind::CloseDelimited && up.buf.is_empty() {
                let ui = req.route.upstream;
                let (view, ti) = (&client.view, up.target);
                view.pools.put(up, req.config.pool_max_idle);
                view.metrics
                    .pool_idle(ui, ti, view.pools.idle_count(ui, ti));
            }
            if keep_alive {
                Next::KeepAlive
            } else {
                Next::Close
            }
        }
        Err(error) => {
            warn!(upstream = %req.upstream.name, status, error = ?error, "response body relay failed");
            Next::Close
        }
    }
}

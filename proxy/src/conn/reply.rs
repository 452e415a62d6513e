//! Error answers: one short plain-text response per [`Failure`], a log line
//! with structured fields, and the metric. Which status a failure gets is
//! decided in one place, [`Failure::status`].

use super::{io, Client};
use crate::shard::Shard;
use monoio::net::TcpStream;
use ringgate_core::http1::{encode_error, encode_error_head_with, encode_error_with};
use ringgate_core::status::{Failure, Source};
use std::time::Duration;
use tracing::{info, warn};

/// How the gateway answers a failure.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    /// Add `Connection: close` (and close after).
    pub close: bool,
    /// The request was HEAD: send the head only (RFC 9110 section 9.3.2).
    pub head_only: bool,
}

/// Answer `failure` on the client connection.
pub async fn failure(
    client: &mut Client,
    shard: &Shard,
    route: Option<usize>,
    failure: Failure,
    answer: Answer,
) {
    failure_with(client, shard, route, failure, answer, &[]).await;
}

/// [`failure`] with `extra` header lines (`Name: value\r\n` each) in the answer.
pub async fn failure_with(
    client: &mut Client,
    shard: &Shard,
    route: Option<usize>,
    failure: Failure,
    answer: Answer,
    extra: &[u8],
) {
    log(client, shard, route, failure);
    crate::conn::served::answered(client, route, failure.status(), Duration::ZERO);
    send(client, failure, answer, extra).await;
}

/// Write the answer to `failure` with `extra` header lines (complete
/// `Name: value\r\n` lines), without logging or counting it.
pub async fn send(client: &mut Client, failure: Failure, answer: Answer, extra: &[u8]) {
    client.out.clear();
    let (status, reason) = (failure.status(), failure.reason());
    if answer.head_only {
        encode_error_head_with(status, reason, extra, answer.close, &mut client.out);
    } else {
        encode_error_with(status, reason, extra, answer.close, &mut client.out);
    }
    let _ = io::write_vec(&mut client.stream, &mut client.out).await;
    client.out.clear();
}

fn log(client: &Client, shard: &Shard, route: Option<usize>, failure: Failure) {
    let status = failure.status();
    let reason = failure.reason();
    match failure.source() {
        Source::Client => {
            info!(shard = shard.index, client = %client.peer, status, reason, "client error")
        }
        Source::Upstream => {
            warn!(shard = shard.index, client = %client.peer, route, status, reason, "upstream error")
        }
        Source::Internal => {
            info!(shard = shard.index, client = %client.peer, route, status, reason, "request refused")
        }
    }
}

/// Answer `failure` on a connection we will not serve, then close it.
pub async fn refuse(stream: TcpStream, failure: Failure) {
    let mut out = Vec::with_capacity(128);
    encode_error(failure.status(), failure.reason(), true, &mut out);
    let _ = io::write_vec(&mut crate::stream::Stream::Plain(stream), &mut out).await;
}

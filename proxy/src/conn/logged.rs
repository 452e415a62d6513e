//! The connection loop's side of the access log and of the per-route byte
//! counters: [`mark`] before a request (where the byte counters stand),
//! [`count_bytes`] after it (always, for `/metrics`); with the log on,
//! [`begin`] picks the request id and [`finish`] builds the [`Record`] and
//! hands it to the shard's log.

use super::served::Served;
use super::Client;
use crate::shard::Shard;
use crate::snapshot::Snapshot;
use monoio::time::Instant;
use ringgate_core::access_log::{new_request_id, trace_id, valid_request_id, Record};
use ringgate_core::http1::{RequestHead, Version};
use std::time::SystemTime;

/// Byte counters where the next request starts: bytes read and consumed
/// (not still buffered for the next request), and bytes written.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    consumed: u64,
    written: u64,
}

impl Mark {
    /// Bytes (in, out) moved since `earlier`.
    pub fn since(&self, earlier: Mark) -> (u64, u64) {
        (
            self.consumed.saturating_sub(earlier.consumed),
            self.written.saturating_sub(earlier.written),
        )
    }
}

/// Count the bytes of the request that began at `start` for its route
/// (always, whether or not the access log is on).
pub fn count_bytes(client: &Client, start: Mark) {
    let (bytes_in, bytes_out) = mark(client).since(start);
    client
        .view
        .metrics
        .request_bytes(client.served.route, bytes_in, bytes_out);
}

/// Where the client's counters stand now.
pub fn mark(client: &Client) -> Mark {
    Mark {
        consumed: client.stream.read_total() - client.buf.len() as u64,
        written: client.stream.written_total(),
    }
}

/// A request being served while the log is on.
#[derive(Debug)]
pub struct Pending {
    head: Option<RequestHead>,
    started: Instant,
    mark: Mark,
}

/// Get ready to log the request `head` (`None`: a head that could not be
/// parsed); `None` when the log is off.
pub fn begin(
    shard: &Shard,
    client: &mut Client,
    head: Option<&RequestHead>,
    mark: Mark,
) -> Option<Pending> {
    client.served = Served::default();
    shard.access_log.as_ref()?;
    let received = head
        .and_then(|h| h.header("x-request-id"))
        .is_some_and(valid_request_id);
    client.request_id = (!received).then(|| new_request_id(shard.random(), shard.random()));
    Some(Pending {
        head: head.cloned(),
        started: Instant::now(),
        mark,
    })
}

/// Log the answered request.
pub fn finish(shard: &Shard, snap: &Snapshot, client: &Client, pending: Pending) {
    let Some(log) = &shard.access_log else {
        return;
    };
    let served = client.served;
    if !log.sampled(served.status, shard.random()) {
        return;
    }
    let (bytes_in, bytes_out) = mark(client).since(pending.mark);
    let head = pending.head.as_ref();
    let route = served.route.and_then(|i| snap.config.routes.get(i));
    let upstream = route.and_then(|r| snap.config.upstreams.get(r.upstream));
    let request_id: &[u8] = match (&client.request_id, head) {
        (Some(id), _) => id,
        (None, Some(h)) => h.header("x-request-id").unwrap_or_default(),
        (None, None) => b"",
    };
    let record = Record {
        time: SystemTime::now(),
        request_id,
        trace_id: head
            .and_then(|h| h.header("traceparent"))
            .and_then(trace_id),
        client: client.peer,
        method: head.map_or(b"-", |h| h.method()),
        target: head.map_or(b"-", |h| h.target()),
        version: head.map_or(Version::Http11, |h| h.version()),
        status: served.status,
        bytes_in,
        bytes_out,
        route: route.map(|r| r.name.as_str()),
        upstream: upstream.map(|u| u.name.as_str()),
        target_addr: served.target,
        upstream_time: served.upstream_time,
        total_time: pending.started.elapsed(),
        tls: client.stream.get_ref().mode(),
        referer: head.and_then(|h| h.header("referer")),
        user_agent: head.and_then(|h| h.header("user-agent")),
    };
    log.write(&record);
}

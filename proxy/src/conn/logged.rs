//! The connection loop's side of the access log, of tracing and of the
//! per-route byte counters: [`mark`] before a request (where the byte
//! counters stand), [`count_bytes`] after it (always, for `/metrics`); with
//! the log or tracing on, [`begin`] picks the request id (the one code path
//! for `X-Request-Id`) and the trace context, and [`finish`] records the
//! span and builds the [`Record`] for the shard's log. The log's
//! `trace_id` is then the one sent upstream.

use super::served::Served;
use super::Client;
use crate::shard::Shard;
use crate::snapshot::Snapshot;
use crate::trace::ShardTracer;
use monoio::time::Instant;
use ringgate_core::access_log::{new_request_id, trace_id, valid_request_id, Record};
use ringgate_core::config::PathMatch;
use ringgate_core::http1::{RequestHead, Version};
use ringgate_core::trace::{SpanContext, SpanRecord};
use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

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
    client.trace = None;
    if shard.access_log.is_none() && shard.tracer.is_none() {
        return None;
    }
    if let (Some(tracer), Some(head)) = (&shard.tracer, head) {
        client.trace = Some(tracer.start(head, || shard.random()));
    }
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
    if let (Some(tracer), Some(ctx), Some(head)) = (&shard.tracer, &client.trace, &pending.head) {
        if ctx.sampled {
            span(shard, snap, client, tracer, ctx, head, &pending);
        }
    }
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
        trace_id: match &client.trace {
            Some(ctx) => Some(ctx.trace_id_hex()),
            None => head
                .and_then(|h| h.header("traceparent"))
                .and_then(trace_id),
        },
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

/// Record the request's span with the shard's tracer.
fn span(
    shard: &Shard,
    snap: &Snapshot,
    client: &Client,
    tracer: &ShardTracer,
    ctx: &SpanContext,
    head: &RequestHead,
    pending: &Pending,
) {
    let served = client.served;
    let route = served.route.and_then(|i| snap.config.routes.get(i));
    let upstream = route.and_then(|r| snap.config.upstreams.get(r.upstream));
    let http_route = route.and_then(|r| r.path.as_ref()).map(|p| match p {
        PathMatch::Exact(path) => Cow::Borrowed(path.as_str()),
        PathMatch::Prefix(prefix) => Cow::Owned(format!("{}/*", prefix.trim_end_matches('/'))),
        PathMatch::Regex(re) => Cow::Borrowed(re.as_str()),
    });
    let nanos = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    };
    let end = SystemTime::now();
    let start = end.checked_sub(pending.started.elapsed()).unwrap_or(end);
    tracer.record(&SpanRecord {
        context: ctx,
        tracestate: ctx.continued().then(|| head.header("tracestate")).flatten(),
        start_unix_nanos: nanos(start),
        end_unix_nanos: nanos(end),
        method: head.method(),
        target: head.target(),
        scheme: client.stream.get_ref().scheme(),
        version: head.version(),
        host: head.host(),
        client: client.peer,
        status: served.status,
        route: route.map(|r| r.name.as_str()),
        http_route: http_route.as_deref(),
        upstream: upstream.map(|u| u.name.as_str()),
        upstream_addr: served.target,
        user_agent: head.header("user-agent"),
        shard: shard.index,
    });
}

//! One connection to an upstream target, with the read buffer it owns for
//! its whole life (so a pooled connection keeps its buffer warm). Its
//! stream counts the bytes it moves into its target's counters once
//! [`UpstreamConn::count_into`] names them (not for auth services).

use crate::conn::counted::Counted;
use crate::metrics::Traffic;
use crate::stream::Stream;
use bytes::BytesMut;
use std::sync::Arc;
use std::time::Instant;

/// A live connection to one target of one upstream.
#[derive(Debug)]
pub struct UpstreamConn {
    /// The socket, counting.
    pub stream: Counted<Stream>,
    /// Bytes read from the upstream and not yet forwarded.
    pub buf: BytesMut,
    /// Upstream index in the snapshot.
    pub upstream: usize,
    /// Target index within the upstream.
    pub target: usize,
    /// Whether this connection came from the pool (it may have gone stale).
    pub reused: bool,
    /// When it was last returned to the pool.
    pub idle_since: Instant,
}

impl UpstreamConn {
    /// Wrap a freshly connected socket with a `buffer`-byte read buffer.
    pub fn new(stream: Stream, upstream: usize, target: usize, buffer: usize) -> UpstreamConn {
        UpstreamConn {
            stream: Counted::new(stream),
            buf: BytesMut::with_capacity(buffer),
            upstream,
            target,
            reused: false,
            idle_since: Instant::now(),
        }
    }

    /// Add the bytes this connection moves to `traffic` (its target's).
    pub fn count_into(mut self, traffic: Option<Arc<Traffic>>) -> UpstreamConn {
        self.stream.sink_into(traffic);
        self
    }
}

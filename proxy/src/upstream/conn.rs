//! One connection to an upstream target, with the read buffer it owns for
//! its whole life (so a pooled connection keeps its buffer warm).

use crate::stream::Stream;
use bytes::BytesMut;
use std::time::Instant;

/// A live connection to one target of one upstream.
#[derive(Debug)]
pub struct UpstreamConn {
    /// The socket.
    pub stream: Stream,
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
            stream,
            buf: BytesMut::with_capacity(buffer),
            upstream,
            target,
            reused: false,
            idle_since: Instant::now(),
        }
    }
}

//! One connection to an upstream target, with the read buffer it owns for
//! its whole life (so a pooled connection keeps its buffer warm).

use crate::stream::Stream;
use bytes::BytesMut;
use std::time::Instant;

/// Initial capacity of an upstream connection's read buffer.
pub const UPSTREAM_BUF: usize = 16 * 1024;

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
    /// Wrap a freshly connected socket.
    pub fn new(stream: Stream, upstream: usize, target: usize) -> UpstreamConn {
        UpstreamConn {
            stream,
            buf: BytesMut::with_capacity(UPSTREAM_BUF),
            upstream,
            target,
            reused: false,
            idle_since: Instant::now(),
        }
    }
}

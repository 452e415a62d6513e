//! A stream that counts the bytes it moves: a client's, for the access
//! log's `bytes_in` / `bytes_out` and the route's byte counters; an
//! upstream connection's, into its target's counters as well (a shard's
//! [`Traffic`], which only this shard writes). An addition per read or
//! write (and a relaxed load and store with a sink), no syscall.
//!
//! The counts are plaintext bytes (what the request and response are
//! made of), the same with or without TLS.

use crate::metrics::{bump, Traffic, TRAFFIC_READ, TRAFFIC_WRITTEN};
use crate::stream::Io;
use bytes::{Bytes, BytesMut};
use std::io;
use std::sync::Arc;

/// `S` with running totals of bytes read and written.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    read: u64,
    written: u64,
    sink: Option<Arc<Traffic>>,
}

impl<S> Counted<S> {
    /// Start counting from zero.
    pub fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            read: 0,
            written: 0,
            sink: None,
        }
    }

    /// Add every byte from now on to `sink` as well.
    pub fn sink_into(&mut self, sink: Option<Arc<Traffic>>) {
        self.sink = sink;
    }

    fn moved(&mut self, slot: usize, n: u64) {
        if slot == TRAFFIC_READ {
            self.read += n;
        } else {
            self.written += n;
        }
        if let Some(counter) = self.sink.as_deref().and_then(|s| s.get(slot)) {
            bump(counter, n);
        }
    }

    /// Bytes read so far.
    pub fn read_total(&self) -> u64 {
        self.read
    }

    /// Bytes written so far.
    pub fn written_total(&self) -> u64 {
        self.written
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The stream underneath, mutably (what is done with it is not counted).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The stream underneath, counting ends.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Io> Io for Counted<S> {
    #[inline]
    async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        let n = self.inner.read_into(buf).await?;
        self.moved(TRAFFIC_READ, n as u64);
        Ok(n)
    }

    #[inline]
    async fn write_vec(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let len = out.len() as u64;
        self.inner.write_vec(out).await?;
        self.moved(TRAFFIC_WRITTEN, len);
        Ok(())
    }

    #[inline]
    async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        let len = bytes.len() as u64;
        self.inner.write_bytes(bytes).await?;
        self.moved(TRAFFIC_WRITTEN, len);
        Ok(())
    }
}

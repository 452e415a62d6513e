//! A connection's byte stream: plain TCP or TLS, one enum for both sides
//! (clients and upstreams) so the connection code reads and writes the same
//! way whatever is underneath.
//!
//! Dispatch is a `match` per call; the plain arm is the same code as before
//! TLS existed and nothing is boxed per call (the TLS state is boxed once
//! per connection, keeping the enum small). The kernel-TLS arm reads and
//! writes with plain socket calls (see `crate::ktls`).

use crate::tls::split::{TlsReadHalf, TlsWriteHalf};
use crate::tls::TlsStream;
use bytes::{Bytes, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{
    AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf, Splitable,
};
use monoio::net::TcpStream;
use std::io;

/// Read at least this many bytes of free space into a buffer before a read.
const MIN_SPARE: usize = 4 * 1024;
/// Grow by this much when the spare room runs low.
pub const READ_CHUNK: usize = 64 * 1024;

/// Reading and writing a connection's bytes with owned buffers; for a bare
/// `TcpStream` and for a [`Stream`].
#[allow(async_fn_in_trait)] // shard-local futures: never sent across threads
pub trait Io {
    /// Read once, appending to `buf`; returns bytes read (0 = EOF).
    async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize>;
    /// Write all of `out`; the vector comes back unchanged in its slot.
    async fn write_vec(&mut self, out: &mut Vec<u8>) -> io::Result<()>;
    /// Write a frozen slice of a connection buffer.
    async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()>;
}

impl Io for TcpStream {
    #[inline]
    async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        read_plain(self, buf).await
    }

    #[inline]
    async fn write_vec(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let owned = std::mem::take(out);
        let (res, owned) = self.write_all(owned).await;
        *out = owned;
        res.map(|_| ())
    }

    #[inline]
    async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        self.write_all(bytes).await.0.map(|_| ())
    }
}

impl Io for Stream {
    #[inline]
    async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        Stream::read_into(self, buf).await
    }

    #[inline]
    async fn write_vec(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        Stream::write_vec(self, out).await
    }

    #[inline]
    async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        Stream::write_bytes(self, bytes).await
    }
}

/// A connected socket, with or without TLS.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS in user space (rustls), either side.
    Tls(Box<TlsStream>),
    /// TLS records in the kernel (kTLS): plaintext socket I/O.
    Ktls(Box<crate::ktls::KtlsStream>),
}

impl Stream {
    /// How the bytes are protected, as counted in /metrics: `plain`, `rustls` or `ktls`.
    pub fn mode(&self) -> &'static str {
        match self {
            Stream::Plain(_) => "plain",
            Stream::Tls(_) => "rustls",
            Stream::Ktls(_) => "ktls",
        }
    }

    /// The scheme the client used: `https` over any TLS, else `http`
    /// (sent upstream as `X-Forwarded-Proto`).
    pub fn scheme(&self) -> &'static str {
        match self {
            Stream::Plain(_) => "http",
            _ => "https",
        }
    }

    /// End a TLS session before its socket closes: send close_notify
    /// (RFC 8446 section 6.1; nginx's `SSL_shutdown` does the same), so the
    /// peer can tell the end from a truncation. Nothing for plain TCP. Best
    /// effort: the peer may be gone.
    pub async fn close_notify(&mut self) {
        match self {
            Stream::Plain(_) => {}
            Stream::Tls(tls) => {
                let _ = tls.shutdown().await;
            }
            Stream::Ktls(k) => {
                use std::os::fd::AsRawFd;
                crate::ktls::control::close_notify(k.tcp.as_raw_fd());
            }
        }
    }

    /// The TCP socket underneath (for socket options and peeks).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => tls.tcp(),
            Stream::Ktls(k) => &k.tcp,
        }
    }

    /// Read once into the spare capacity of `buf`, after the bytes it
    /// already holds; returns bytes read (0 = EOF).
    #[inline]
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => read_plain(tcp, buf).await,
            Stream::Tls(tls) => tls.read_into(buf).await,
            Stream::Ktls(k) => k.read_into(buf).await,
        }
    }

    /// Write all of `out`; the vector comes back unchanged in its slot.
    pub async fn write_vec(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => Io::write_vec(tcp, out).await,
            Stream::Tls(tls) => tls.write_all(out).await,
            Stream::Ktls(k) => Io::write_vec(&mut k.tcp, out).await,
        }
    }

    /// Write a frozen slice of a connection buffer (no copy when plain).
    pub async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => Io::write_bytes(tcp, bytes).await,
            Stream::Tls(tls) => tls.write_all(&bytes).await,
            Stream::Ktls(k) => Io::write_bytes(&mut k.tcp, bytes).await,
        }
    }

    /// Split into halves that can be used at once (the tunnel after a 101).
    pub fn into_split(self) -> (ReadHalf, WriteHalf) {
        match self {
            Stream::Plain(tcp) => {
                let (r, w) = tcp.into_split();
                (ReadHalf::Plain(r), WriteHalf::Plain(w))
            }
            Stream::Tls(tls) => {
                let (r, w) = crate::tls::split::split(*tls);
                (ReadHalf::Tls(r), WriteHalf::Tls(w))
            }
            Stream::Ktls(k) => {
                let (r, w) = k.into_tcp().into_split();
                (ReadHalf::Plain(r), WriteHalf::Plain(w))
            }
        }
    }
}

/// The reading half of a split [`Stream`].
#[derive(Debug)]
pub enum ReadHalf {
    /// Plain TCP.
    Plain(OwnedReadHalf<TcpStream>),
    /// TLS, sharing the session with its write half.
    Tls(TlsReadHalf),
}

impl ReadHalf {
    /// Like [`Stream::read_into`].
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            ReadHalf::Plain(r) => read_plain(r, buf).await,
            ReadHalf::Tls(r) => r.read_into(buf).await,
        }
    }
}

/// The writing half of a split [`Stream`].
#[derive(Debug)]
pub enum WriteHalf {
    /// Plain TCP.
    Plain(OwnedWriteHalf<TcpStream>),
    /// TLS, sharing the session with its read half.
    Tls(TlsWriteHalf),
}

impl WriteHalf {
    /// Like [`Stream::write_bytes`].
    pub async fn write_bytes(&mut self, bytes: Bytes) -> io::Result<()> {
        match self {
            WriteHalf::Plain(w) => w.write_all(bytes).await.0.map(|_| ()),
            WriteHalf::Tls(w) => w.write_all(&bytes).await,
        }
    }

    /// Shut the write side (after close_notify for TLS).
    pub async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteHalf::Plain(w) => w.shutdown().await,
            WriteHalf::Tls(w) => w.shutdown().await,
        }
    }
}

/// Read once into the spare capacity of `buf`, after its bytes.
///
/// monoio's `IoBufMut` for `BytesMut` writes at the start of the
/// buffer, so the read goes through a `SliceMut` over the spare
/// capacity: that appends.
async fn read_plain<R: AsyncReadRent>(tcp: &mut R, buf: &mut BytesMut) -> io::Result<usize> {
    if buf.capacity() - buf.len() < MIN_SPARE {
        buf.reserve(READ_CHUNK);
    }
    let (len, cap) = (buf.len(), buf.capacity());
    let spare = std::mem::take(buf).slice_mut(len..cap);
    let (res, spare) = tcp.read(spare).await;
    *buf = spare.into_inner();
    res
}

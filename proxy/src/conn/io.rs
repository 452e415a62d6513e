//! Small ownership-passing I/O helpers over a connection's [`Stream`].
//!
//! io_uring owns a buffer while an operation is in flight; these helpers
//! move a connection's buffer into the operation and put it back, so the
//! rest of the code can treat buffers as fields. They work on a bare
//! `TcpStream` and on a connection's [`crate::stream::Stream`] (plain TCP
//! or TLS), statically dispatched.

use crate::stream::Io;
use bytes::BytesMut;

pub use crate::stream::READ_CHUNK;

/// Read once into the spare capacity of `buf`, after the bytes it already
/// holds; returns bytes read (0 = EOF).
pub async fn read_into(stream: &mut impl Io, buf: &mut BytesMut) -> std::io::Result<usize> {
    stream.read_into(buf).await
}

/// Write all of `out` and hand the (unchanged) vector back to the caller's slot.
pub async fn write_vec(stream: &mut impl Io, out: &mut Vec<u8>) -> std::io::Result<()> {
    stream.write_vec(out).await
}

/// Write a frozen slice of a connection buffer.
pub async fn write_bytes(stream: &mut impl Io, bytes: bytes::Bytes) -> std::io::Result<()> {
    stream.write_bytes(bytes).await
}

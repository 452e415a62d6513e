//! Small ownership-passing I/O helpers over monoio sockets.
//!
//! io_uring owns a buffer while an operation is in flight; these helpers
//! move a connection's buffer into the operation and put it back, so the
//! rest of the code can treat buffers as fields.

use bytes::BytesMut;
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;

/// Read at least this many bytes of free space into a buffer before a read.
const MIN_SPARE: usize = 4 * 1024;
/// Grow by this much when the spare room runs low.
pub const READ_CHUNK: usize = 64 * 1024;

/// Read once into the spare capacity of `buf`, after the bytes it already
/// holds; returns bytes read (0 = EOF).
///
/// monoio's `IoBufMut` for `BytesMut` writes at the start of the buffer, so
/// the read goes through a `SliceMut` over the spare capacity: that appends.
pub async fn read_into(stream: &mut TcpStream, buf: &mut BytesMut) -> std::io::Result<usize> {
    if buf.capacity() - buf.len() < MIN_SPARE {
        buf.reserve(READ_CHUNK);
    }
    let (len, cap) = (buf.len(), buf.capacity());
    let spare = std::mem::take(buf).slice_mut(len..cap);
    let (res, spare) = stream.read(spare).await;
    *buf = spare.into_inner();
    res
}

/// Write all of `out` and hand the (unchanged) vector back to the caller's slot.
pub async fn write_vec(stream: &mut TcpStream, out: &mut Vec<u8>) -> std::io::Result<()> {
    let owned = std::mem::take(out);
    let (res, owned) = stream.write_all(owned).await;
    *out = owned;
    res.map(|_| ())
}

/// Write a frozen slice of a connection buffer.
pub async fn write_bytes(stream: &mut TcpStream, bytes: bytes::Bytes) -> std::io::Result<()> {
    let (res, _) = stream.write_all(bytes).await;
    res.map(|_| ())
}

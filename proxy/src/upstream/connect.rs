//! Opening a connection to a target within `connect_timeout`, with errors
//! mapped to the failure the client sees (refused: 502, timeout: 504).

use super::UpstreamConn;
use monoio::net::TcpStream;
use ringgate_core::status::Failure;
use std::net::SocketAddr;
use std::time::Duration;

/// Connect to `addr` or say why not; the connection's read buffer starts
/// at `buffer` bytes (`server.buffers.upstream`).
pub async fn connect(
    addr: SocketAddr,
    timeout: Duration,
    upstream: usize,
    target: usize,
    buffer: usize,
) -> Result<UpstreamConn, (Failure, Option<std::io::Error>)> {
    match monoio::time::timeout(timeout, TcpStream::connect_addr(addr)).await {
        Err(_) => Err((Failure::ConnectTimeout, None)),
        Ok(Err(error)) => Err((Failure::UpstreamRefused, Some(error))),
        Ok(Ok(stream)) => {
            // Small heads must not wait for Nagle; errors here are harmless.
            let _ = stream.set_nodelay(true);
            Ok(UpstreamConn::new(stream, upstream, target, buffer))
        }
    }
}

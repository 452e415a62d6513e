//! Opening a connection to a target within `connect_timeout` (TCP, and the
//! TLS handshake for an upstream with `tls`), with errors mapped to the
//! failure the client sees (refused or a failed handshake: 502, timeout: 504).
//! A new connection's read buffer starts at `server.buffers.upstream` bytes.

use super::UpstreamConn;
use crate::shard::Shard;
use crate::stream::Stream;
use crate::tls::client::Connector;
use crate::tls::HandshakeError;
use crate::view::ShardView;
use monoio::net::TcpStream;
use monoio::time::Instant;
use ringgate_core::status::Failure;
use std::net::SocketAddr;
use std::time::Duration;

/// Connect to target `target` of upstream `upstream` of `view` (the
/// request's) at `addr`, with TLS when the upstream has it.
pub async fn connect_upstream(
    shard: &Shard,
    view: &ShardView,
    addr: SocketAddr,
    timeout: Duration,
    upstream: usize,
    target: usize,
) -> Result<UpstreamConn, (Failure, Option<std::io::Error>)> {
    let tls = view.upstream_tls.get(upstream).and_then(Option::as_ref);
    let conn = connect(addr, timeout, upstream, target, tls, shard.buffers.upstream).await?;
    Ok(conn.count_into(view.metrics.target_traffic(upstream, target)))
}

/// Connect to `addr` (plain, or TLS with `tls`) or say why not; `upstream`
/// and `target` are the indices the connection is pooled under; its read
/// buffer starts at `buffer` bytes.
pub async fn connect(
    addr: SocketAddr,
    timeout: Duration,
    upstream: usize,
    target: usize,
    tls: Option<&Connector>,
    buffer: usize,
) -> Result<UpstreamConn, (Failure, Option<std::io::Error>)> {
    let deadline = Instant::now() + timeout;
    let tcp = match monoio::time::timeout_at(deadline, TcpStream::connect_addr(addr)).await {
        Err(_) => return Err((Failure::ConnectTimeout, None)),
        Ok(Err(error)) => return Err((Failure::UpstreamRefused, Some(error))),
        Ok(Ok(tcp)) => tcp,
    };
    // Small heads must not wait for Nagle; errors here are harmless.
    let _ = tcp.set_nodelay(true);
    let Some(connector) = tls else {
        return Ok(UpstreamConn::new(
            Stream::Plain(tcp),
            upstream,
            target,
            buffer,
        ));
    };
    match monoio::time::timeout_at(deadline, connector.connect(tcp, target)).await {
        Err(_) => Err((Failure::ConnectTimeout, None)),
        Ok(Ok(tls)) => Ok(UpstreamConn::new(
            Stream::Tls(Box::new(tls)),
            upstream,
            target,
            buffer,
        )),
        Ok(Err(HandshakeError::Io(error))) => Err((Failure::UpstreamRefused, Some(error))),
        Ok(Err(error)) => Err((
            Failure::UpstreamRefused,
            Some(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("TLS handshake: {error}"),
            )),
        )),
    }
}

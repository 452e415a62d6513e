//! The TLS handshake of an accepted connection, bounded by the server's
//! `header_timeout` (a client that opens a socket and says nothing is
//! treated like one that sends no head). A failed handshake (garbage,
//! plain HTTP on the TLS port, no shared version or cipher, a timeout) is
//! logged with its reason and counted; the connection is closed and the
//! shard goes on. A connection closed before its first byte (a port
//! probe) is not a failed handshake. Plain HTTP on the TLS port is told
//! apart by its first bytes ([`super::sniff`]) and answered `400`.

use super::sniff::{self, Opening};
use crate::ktls::accept::RECORD_BUFFER;
use crate::shard::Shard;
use crate::stream::Stream;
use crate::tls::{Acceptor, HandshakeError, TlsStream};
use monoio::net::TcpStream;
use rustls::{Connection, HandshakeKind, ServerConnection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, info};

/// Run the server handshake; `None` when it failed (already logged and
/// counted) or the client sent plain HTTP (answered 400, see [`sniff`]).
pub async fn accept(
    mut tcp: TcpStream,
    peer: SocketAddr,
    shard: &Shard,
    acceptor: &Arc<Acceptor>,
) -> Option<Stream> {
    let timeout = shard.snapshot().config.server.header_timeout;
    let deadline = Instant::now() + timeout;
    let left = || deadline.saturating_duration_since(Instant::now());
    let read = match monoio::time::timeout(timeout, sniff::opening(&mut tcp, RECORD_BUFFER)).await {
        Ok(Ok(Opening::Tls(read))) => read,
        Ok(Ok(Opening::Closed) | Err(_)) => {
            // A port probe, not a TLS client: neither logged nor counted.
            debug!("connection closed before the TLS handshake");
            return None;
        }
        Ok(Ok(Opening::PlainHttp(seen))) => {
            shard.metrics.tls.plain_http();
            info!(shard = shard.index, client = %peer, listener = %acceptor.settings.path, "plain HTTP request on a TLS listener, answering 400");
            let _ = monoio::time::timeout(left(), sniff::refuse_plain_http(&mut tcp, seen)).await;
            return None;
        }
        Err(_) => return failed(shard, peer, acceptor, HandshakeError::Timeout),
    };
    if let Some(support) = acceptor.ktls {
        return crate::ktls::accept::accept_timed(
            tcp,
            read,
            peer,
            shard,
            acceptor,
            support,
            left(),
        )
        .await;
    }
    let result = match ServerConnection::new(Arc::clone(&acceptor.config)) {
        Err(error) => Err(HandshakeError::Tls(error)),
        Ok(session) => {
            let hs = TlsStream::handshake_after(tcp, Connection::Server(session), &read);
            match monoio::time::timeout(left(), hs).await {
                Ok(result) => result,
                Err(_) => Err(HandshakeError::Timeout),
            }
        }
    };
    match result {
        Ok(stream) => {
            let session = stream.session();
            let resumed = session.handshake_kind() == Some(HandshakeKind::Resumed);
            shard.metrics.tls.handshake(resumed);
            let sni = match session {
                Connection::Server(s) => s.server_name(),
                Connection::Client(_) => None,
            };
            debug!(
                version = ?session.protocol_version(),
                cipher = ?session.negotiated_cipher_suite().map(|c| c.suite()),
                sni,
                resumed,
                "TLS handshake done"
            );
            Some(Stream::Tls(Box::new(stream)))
        }
        Err(HandshakeError::Closed) => {
            debug!("connection closed before the TLS handshake");
            None
        }
        Err(error) => failed(shard, peer, acceptor, error),
    }
}

/// Log and count a failed handshake.
fn failed(
    shard: &Shard,
    peer: SocketAddr,
    acceptor: &Acceptor,
    error: HandshakeError,
) -> Option<Stream> {
    shard.metrics.tls.handshake_failed();
    info!(shard = shard.index, client = %peer, listener = %acceptor.settings.path, %error, "TLS handshake failed");
    None
}

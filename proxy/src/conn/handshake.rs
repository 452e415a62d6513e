//! The TLS handshake of an accepted connection, bounded by the server's
//! `header_timeout` (a client that opens a socket and says nothing is
//! treated like one that sends no head). A failed handshake (garbage,
//! plain HTTP on the TLS port, no shared version or cipher, a timeout) is
//! logged with its reason and counted; the connection is closed and the
//! shard goes on. A connection closed before its first byte (a port
//! probe) is not a failed handshake.

use crate::shard::Shard;
use crate::stream::Stream;
use crate::tls::{Acceptor, HandshakeError, TlsStream};
use monoio::net::TcpStream;
use rustls::{Connection, HandshakeKind, ServerConnection};
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::{debug, info};

/// Run the server handshake; `None` when it failed (already logged and counted).
pub async fn accept(
    tcp: TcpStream,
    peer: SocketAddr,
    shard: &Shard,
    acceptor: &Arc<Acceptor>,
) -> Option<Stream> {
    let timeout = shard.snapshot().config.server.header_timeout;
    if let Some(support) = acceptor.ktls {
        return crate::ktls::accept::accept_timed(tcp, peer, shard, acceptor, support, timeout)
            .await;
    }
    let result = match ServerConnection::new(Arc::clone(&acceptor.config)) {
        Err(error) => Err(HandshakeError::Tls(error)),
        Ok(session) => {
            let hs = TlsStream::handshake(tcp, Connection::Server(session));
            match monoio::time::timeout(timeout, hs).await {
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
            // A port probe, not a TLS client: neither logged nor counted.
            debug!("connection closed before the TLS handshake");
            None
        }
        Err(error) => {
            shard.metrics.tls.handshake_failed();
            info!(shard = shard.index, client = %peer, listener = %acceptor.settings.path, %error, "TLS handshake failed");
            None
        }
    }
}

//! The server side of a TLS listener with kTLS: the rustls handshake on
//! whole records ([`super::switch::handshake`]), then, when the kernel
//! takes the negotiated cipher, the switch to a [`KtlsStream`]; otherwise
//! (`ktls = "auto"` and a cipher the probe did not find) the session goes
//! on in userspace rustls with the ciphertext already read.

use super::switch::{self, SwitchError};
use super::{crypto_info, KtlsStream, Support};
use crate::shard::Shard;
use crate::stream::Stream;
use crate::tls::{Acceptor, HandshakeError, TlsStream};
use bytes::BytesMut;
use monoio::net::TcpStream;
use rustls::{HandshakeKind, ServerConnection};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, info};

/// [`accept`] bounded by `timeout`, logged and counted like the rustls
/// path (`conn::handshake`); `None` when it failed. `read` holds the
/// client's first bytes, already read from `tcp`.
pub async fn accept_timed(
    tcp: TcpStream,
    read: BytesMut,
    peer: SocketAddr,
    shard: &Shard,
    acceptor: &Arc<Acceptor>,
    support: &Support,
    timeout: Duration,
) -> Option<Stream> {
    let result = match ServerConnection::new(Arc::clone(&acceptor.config)) {
        Err(error) => Err(HandshakeError::Tls(error)),
        Ok(session) => {
            match monoio::time::timeout(timeout, accept(tcp, read, session, support)).await {
                Ok(result) => result,
                Err(_) => Err(HandshakeError::Timeout),
            }
        }
    };
    match result {
        Ok((stream, negotiated)) => {
            shard.metrics.tls.handshake(negotiated.resumed);
            if let Some(cipher) = negotiated.ktls_cipher {
                debug!(cipher = crypto_info::cipher_name(cipher), "kTLS on");
            }
            Some(stream)
        }
        Err(error) => {
            shard.metrics.tls.handshake_failed();
            info!(shard = shard.index, client = %peer, listener = %acceptor.settings.path, %error, "TLS handshake failed");
            None
        }
    }
}

/// What a finished handshake says about itself, for logs and metrics.
#[derive(Debug)]
pub struct Negotiated {
    /// An abbreviated (resumed) handshake.
    pub resumed: bool,
    /// The kernel cipher used, when the kernel took the records.
    pub ktls_cipher: Option<u16>,
}

/// The handshake's read buffer: one whole record of the largest size.
pub const RECORD_BUFFER: usize = 16 * 1024 + 256;

/// Handshake and switch, `buf` holding what was already read from `tcp`;
/// the stream and what was negotiated.
pub async fn accept(
    mut tcp: TcpStream,
    mut buf: BytesMut,
    mut session: ServerConnection,
    support: &Support,
) -> Result<(Stream, Negotiated), HandshakeError> {
    switch::handshake(&mut tcp, &mut session, &mut buf)
        .await
        .map_err(into_handshake)?;
    let resumed = session.handshake_kind() == Some(HandshakeKind::Resumed);
    debug!(
        version = ?session.protocol_version(),
        cipher = ?session.negotiated_cipher_suite().map(|c| c.suite()),
        sni = session.server_name(),
        resumed,
        "TLS handshake done"
    );
    match crypto_info::negotiated(&session).filter(|&c| support.takes(c)) {
        None => {
            let stream = TlsStream::resume(tcp, rustls::Connection::Server(session), &buf);
            let negotiated = Negotiated {
                resumed,
                ktls_cipher: None,
            };
            Ok((Stream::Tls(Box::new(stream)), negotiated))
        }
        Some(cipher) => {
            let switched = switch::switch(&mut tcp, session, buf)
                .await
                .map_err(into_handshake)?;
            let stream = KtlsStream::new(tcp, switched.plaintext, switched.peer_closed);
            let negotiated = Negotiated {
                resumed,
                ktls_cipher: Some(cipher),
            };
            Ok((Stream::Ktls(Box::new(stream)), negotiated))
        }
    }
}

fn into_handshake(e: SwitchError) -> HandshakeError {
    match e {
        SwitchError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => HandshakeError::Eof,
        SwitchError::Io(e) => HandshakeError::Io(e),
        SwitchError::Tls(e) => HandshakeError::Tls(e),
        other => HandshakeError::Io(std::io::Error::other(other.to_string())),
    }
}

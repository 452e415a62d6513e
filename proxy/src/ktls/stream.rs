//! A connection whose records the kernel handles: the socket itself, read
//! and written with plain io_uring operations, plus the plaintext rustls
//! had already decrypted at the switch (returned by the first reads, so no
//! byte the client sent right behind its `Finished` is lost).

use super::control;
use bytes::BytesMut;
use monoio::net::TcpStream;
use std::io;

/// A kTLS socket after the switch.
#[derive(Debug)]
pub struct KtlsStream {
    /// The socket (`TCP_ULP "tls"`, `TLS_TX` and `TLS_RX` installed).
    pub tcp: TcpStream,
    /// Plaintext decrypted by rustls before the switch, not yet read.
    pending: BytesMut,
    /// The peer's close_notify arrived with the handshake's last flight.
    peer_closed: bool,
}

impl KtlsStream {
    /// Wrap a switched socket.
    pub fn new(tcp: TcpStream, pending: BytesMut, peer_closed: bool) -> KtlsStream {
        KtlsStream {
            tcp,
            pending,
            peer_closed,
        }
    }

    /// Append plaintext to `buf`; 0 = EOF or close_notify.
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if !self.pending.is_empty() {
            let n = self.pending.len();
            buf.extend_from_slice(&self.pending);
            self.pending = BytesMut::new();
            return Ok(n);
        }
        if self.peer_closed {
            return Ok(0);
        }
        control::read_into(&mut self.tcp, buf).await
    }

    /// The socket, for the tunnel after a 101 (nothing is pending then: the
    /// first read took it). Reads there end at the first record that is not
    /// application data: EIO closes the tunnel.
    pub fn into_tcp(self) -> TcpStream {
        self.tcp
    }
}

//! An established TLS stream: a socket, its rustls session and the
//! ciphertext buffers, with plaintext reads and writes for the connection
//! code (through [`crate::stream::Stream`]).

use super::session::{decrypt_buffered, encrypt, Fed, HandshakeError, Incoming, Outgoing};
use bytes::BytesMut;
use monoio::io::AsyncWriteRent;
use monoio::net::TcpStream;
use rustls::Connection;
use std::io;

/// A TLS session over a TCP socket, after its handshake.
pub struct TlsStream {
    pub(super) tcp: TcpStream,
    pub(super) session: Connection,
    pub(super) rx: Incoming,
    pub(super) tx: Outgoing,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("version", &self.session.protocol_version())
            .finish_non_exhaustive()
    }
}

impl TlsStream {
    /// Run the handshake (either side) on a connected socket. Whatever the
    /// session must send when it ends (TLS 1.3 session tickets, the
    /// client's Finished) is flushed before this returns; application data
    /// that arrived with the last flight stays buffered for the first read.
    pub async fn handshake(
        tcp: TcpStream,
        session: Connection,
    ) -> Result<TlsStream, HandshakeError> {
        TlsStream::handshake_after(tcp, session, &[]).await
    }

    /// [`TlsStream::handshake`] on a socket whose first bytes, `read`, were
    /// already read from it (to tell TLS from plain HTTP).
    pub async fn handshake_after(
        tcp: TcpStream,
        mut session: Connection,
        read: &[u8],
    ) -> Result<TlsStream, HandshakeError> {
        // Writes are encrypted whole and flushed at once (see `session`).
        session.set_buffer_limit(None);
        let mut s = TlsStream {
            tcp,
            session,
            rx: Incoming::holding(read),
            tx: Outgoing::new(),
        };
        let mut received = !read.is_empty();
        while s.session.is_handshaking() {
            if s.session.wants_write() {
                s.flush().await?;
                continue;
            }
            if s.rx.drained() {
                if s.rx.fill(&mut s.tcp).await? == 0 {
                    return Err(if received {
                        HandshakeError::Eof
                    } else {
                        HandshakeError::Closed
                    });
                }
                received = true;
            }
            match s.rx.feed(&mut s.session) {
                Ok(_) => {}
                Err(Fed::Io(e)) => return Err(e.into()),
                Err(Fed::Tls(e)) => {
                    // Tell the peer why (best effort), as other stacks do.
                    let _ = s.flush().await;
                    return Err(HandshakeError::Tls(e));
                }
            }
        }
        s.flush().await?;
        Ok(s)
    }

    /// The TCP socket under the session.
    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// Go on with a session whose handshake was driven elsewhere (the kTLS
    /// path, when the kernel does not take the cipher), with the
    /// ciphertext already read from the socket and not yet fed to it.
    pub fn resume(tcp: TcpStream, mut session: Connection, ciphertext: &[u8]) -> TlsStream {
        session.set_buffer_limit(None);
        TlsStream {
            tcp,
            session,
            rx: Incoming::holding(ciphertext),
            tx: Outgoing::new(),
        }
    }

    /// The rustls session (negotiated version, cipher, ALPN, SNI).
    pub fn session(&self) -> &Connection {
        &self.session
    }

    /// Append plaintext to `buf`, after the bytes it already holds, once
    /// some arrives; returns the bytes appended (0 = EOF or close_notify).
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            let (n, closed) = decrypt_buffered(&mut self.rx, &mut self.session, buf)?;
            if self.session.wants_write() {
                // Alerts, key updates: whatever the session must answer.
                self.flush().await?;
            }
            if n > 0 {
                return Ok(n);
            }
            if closed || self.rx.eof {
                return Ok(0);
            }
            if self.rx.drained() && self.rx.fill(&mut self.tcp).await? == 0 {
                self.rx.eof = true;
            }
        }
    }

    /// Encrypt all of `plain` and write it in one flight.
    pub async fn write_all(&mut self, plain: &[u8]) -> io::Result<()> {
        encrypt(&mut self.session, plain)?;
        self.flush().await
    }

    /// Send close_notify and shut the socket's write side.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.session.send_close_notify();
        self.flush().await?;
        self.tcp.shutdown().await
    }

    async fn flush(&mut self) -> io::Result<()> {
        if self.tx.collect(&mut self.session)? {
            self.tx.send(&mut self.tcp).await?;
        }
        Ok(())
    }
}

//! One TLS client session over one `TcpStream`, driven by hand.
//!
//! rustls does no I/O here: ciphertext from the socket goes into an owned
//! `Vec` (io_uring fills it by ownership passing), is fed to the session
//! with `read_tls`, and the plaintext it yields is appended to the caller's
//! `BytesMut`, after the bytes it already holds. Outgoing plaintext is
//! encrypted into another owned `Vec` and written in one `write_all`. The
//! client's last handshake flight (TLS 1.3 Finished) is not flushed on its
//! own: it leaves with the first request.

use std::io::{self, Read, Write};

use bytes::BytesMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use rustls::{ClientConnection, IoState};

/// Ciphertext read per socket read: a few full TLS records.
const CIPHERTEXT_CHUNK: usize = 64 * 1024;

/// Why a TLS handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The socket failed or closed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The TLS layer refused the peer (certificate, protocol, alert).
    #[error("{0}")]
    Tls(rustls::Error),
}

/// An established TLS session.
pub struct TlsStream {
    tcp: TcpStream,
    session: ClientConnection,
    /// Ciphertext read from the socket; `rbuf[fed..]` is not given to rustls yet.
    rbuf: Vec<u8>,
    fed: usize,
    /// Ciphertext to write.
    wbuf: Vec<u8>,
    /// The socket reached EOF.
    eof: bool,
}

impl TlsStream {
    /// Run the client handshake on a connected socket.
    pub async fn handshake(
        tcp: TcpStream,
        session: ClientConnection,
    ) -> Result<TlsStream, HandshakeError> {
        let mut s = TlsStream {
            tcp,
            session,
            rbuf: Vec::with_capacity(CIPHERTEXT_CHUNK),
            fed: 0,
            wbuf: Vec::with_capacity(4 * 1024),
            eof: false,
        };
        while s.session.is_handshaking() {
            if s.session.wants_write() {
                s.flush().await?;
                continue;
            }
            if s.fed == s.rbuf.len() && s.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                )
                .into());
            }
            match s.feed_one() {
                Ok(_) => {}
                Err(Fed::Io(e)) => return Err(e.into()),
                Err(Fed::Tls(e)) => {
                    // Tell the server why (best effort), as other clients do.
                    let _ = s.flush().await;
                    return Err(HandshakeError::Tls(e));
                }
            }
        }
        Ok(s)
    }

    /// Append plaintext to `buf`, after the bytes it already holds, once
    /// some arrives; returns the bytes appended (0 = EOF or the server's
    /// close_notify).
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            if self.fed == self.rbuf.len() && (self.eof || self.fill().await? == 0) {
                self.eof = true;
                return Ok(0);
            }
            let state = self.feed_one().map_err(Fed::into_io)?;
            if self.session.wants_write() {
                // Alerts, key updates: whatever the session must answer.
                self.flush().await?;
            }
            self.eof |= state.peer_has_closed();
            let available = state.plaintext_bytes_to_read();
            if available > 0 {
                let len = buf.len();
                buf.resize(len + available, 0);
                self.session.reader().read_exact(&mut buf[len..])?;
                return Ok(available);
            }
            if self.eof {
                return Ok(0);
            }
        }
    }

    /// Encrypt and write all of `out` (left unchanged for the caller to reuse).
    pub async fn write_all(&mut self, out: &[u8]) -> io::Result<()> {
        let mut done = 0;
        while done < out.len() {
            // Short when the session's outgoing buffer is full: flush and go on.
            done += self.session.writer().write(&out[done..])?;
            self.flush().await?;
        }
        Ok(())
    }

    /// Write every pending TLS record in one socket write.
    async fn flush(&mut self) -> io::Result<()> {
        self.wbuf.clear();
        while self.session.wants_write() {
            self.session.write_tls(&mut self.wbuf)?;
        }
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let owned = std::mem::take(&mut self.wbuf);
        let (res, owned) = self.tcp.write_all(owned).await;
        self.wbuf = owned;
        res.map(|_| ())
    }

    /// One socket read of ciphertext into the (fully fed) `rbuf`.
    async fn fill(&mut self) -> io::Result<usize> {
        // A Vec is filled from its start: it must be empty. (It has no room
        // left if a cancelled read kept it: a read into no room would look
        // like EOF.)
        let mut owned = std::mem::take(&mut self.rbuf);
        owned.clear();
        owned.reserve(CIPHERTEXT_CHUNK);
        self.fed = 0;
        let (res, owned) = self.tcp.read(owned).await;
        self.rbuf = owned;
        res
    }

    /// Give rustls the next part of `rbuf` and process it. The plaintext
    /// it yields must be drained before the next call (rustls caps it).
    fn feed_one(&mut self) -> Result<IoState, Fed> {
        let mut rest = &self.rbuf[self.fed..];
        let n = self.session.read_tls(&mut rest).map_err(Fed::Io)?;
        self.fed += n;
        self.session.process_new_packets().map_err(Fed::Tls)
    }
}

/// What feeding ciphertext can fail with.
enum Fed {
    Io(io::Error),
    Tls(rustls::Error),
}

impl Fed {
    fn into_io(self) -> io::Error {
        match self {
            Fed::Io(e) => e,
            Fed::Tls(e) => to_io(e),
        }
    }
}

fn to_io(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

//! One TLS session (server or client side) over one `TcpStream`, driven by hand.
//!
//! rustls does no I/O here: ciphertext from the socket goes into an owned
//! `Vec` (io_uring fills it by ownership passing), is fed to the session
//! with `read_tls`, and the plaintext it yields is appended to the caller's
//! `BytesMut`, after the bytes it already holds. Outgoing plaintext is
//! encrypted whole (the session's buffer limit is lifted) and every record
//! it makes leaves in one socket write: one TLS flight per response chunk,
//! never a write per record.
//!
//! The ciphertext side ([`Records`]) is separate from the session so the
//! tunnel can split a stream into a read half and a write half that share
//! the session (see [`super::split`]).

use bytes::BytesMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use rustls::{Connection, IoState};
use std::io::{self, Read, Write};

/// Most ciphertext read per socket read: a few full TLS records.
pub const CIPHERTEXT_CHUNK: usize = 64 * 1024;
/// First read size: one full record and change, so an idle keep-alive
/// connection holds a small buffer; it doubles (up to [`CIPHERTEXT_CHUNK`])
/// while reads come back full.
const FIRST_READ: usize = 17 * 1024;
/// Free room wanted in a plaintext buffer before a read.
const MIN_SPARE: usize = 4 * 1024;

/// Why a TLS handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The peer closed the connection without sending a byte (a TCP probe,
    /// not a TLS client).
    #[error("peer closed the connection before the handshake began")]
    Closed,
    /// The peer closed the connection before the handshake ended.
    #[error("peer closed the connection during the handshake")]
    Eof,
    /// The TLS layer refused the peer (certificate, protocol, alert).
    #[error("{0}")]
    Tls(rustls::Error),
    /// The handshake took longer than allowed.
    #[error("handshake timed out")]
    Timeout,
}

/// Incoming ciphertext not yet given to the session.
#[derive(Debug, Default)]
pub struct Incoming {
    buf: Vec<u8>,
    fed: usize,
    /// Bytes asked for in the next read.
    want: usize,
    /// The socket reached EOF (or the peer sent close_notify).
    pub eof: bool,
}

impl Incoming {
    /// An empty buffer; it grows on the first read.
    pub fn new() -> Incoming {
        Incoming {
            buf: Vec::new(),
            fed: 0,
            want: FIRST_READ,
            eof: false,
        }
    }

    /// A buffer starting with ciphertext already read from the socket.
    pub fn holding(bytes: &[u8]) -> Incoming {
        Incoming {
            buf: bytes.to_vec(),
            fed: 0,
            want: FIRST_READ,
            eof: false,
        }
    }

    /// Everything read was given to the session.
    pub fn drained(&self) -> bool {
        self.fed >= self.buf.len()
    }

    /// One socket read of ciphertext into the (fully fed) buffer.
    pub async fn fill<R: AsyncReadRent>(&mut self, tcp: &mut R) -> io::Result<usize> {
        // A Vec is filled from its start, so it must be empty. (It has no
        // room left if a cancelled read kept it: a read into no room would
        // look like EOF.)
        let mut owned = std::mem::take(&mut self.buf);
        owned.clear();
        let want = self.want.clamp(FIRST_READ, CIPHERTEXT_CHUNK);
        owned.reserve(want);
        self.fed = 0;
        let (res, owned) = tcp.read(owned).await;
        if matches!(res, Ok(n) if n >= owned.capacity()) {
            self.want = (want * 2).min(CIPHERTEXT_CHUNK);
        }
        self.buf = owned;
        res
    }

    /// Give the session the next part of the buffer and process it. The
    /// plaintext it yields must be drained before the next call (rustls
    /// caps it).
    pub fn feed(&mut self, session: &mut Connection) -> Result<IoState, Fed> {
        let mut rest = self.buf.get(self.fed..).unwrap_or_default();
        let n = session.read_tls(&mut rest).map_err(Fed::Io)?;
        self.fed += n;
        session.process_new_packets().map_err(Fed::Tls)
    }
}

/// Outgoing ciphertext, written in one socket write.
#[derive(Debug, Default)]
pub struct Outgoing {
    buf: Vec<u8>,
}

impl Outgoing {
    /// A buffer for a typical flight.
    pub fn new() -> Outgoing {
        Outgoing {
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Take every record the session has ready (false when there is none).
    pub fn collect(&mut self, session: &mut Connection) -> io::Result<bool> {
        self.buf.clear();
        while session.wants_write() {
            session.write_tls(&mut self.buf)?;
        }
        Ok(!self.buf.is_empty())
    }

    /// Write what [`collect`](Self::collect) took.
    pub async fn send<W: AsyncWriteRentExt>(&mut self, tcp: &mut W) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let owned = std::mem::take(&mut self.buf);
        let (res, owned) = tcp.write_all(owned).await;
        self.buf = owned;
        res.map(|_| ())
    }
}

/// What feeding ciphertext can fail with.
#[derive(Debug)]
pub enum Fed {
    /// Reading the buffered bytes failed (rustls refused them).
    Io(io::Error),
    /// The records were invalid or the peer sent a fatal alert.
    Tls(rustls::Error),
}

impl Fed {
    /// As an I/O error, for the data phase.
    pub fn into_io(self) -> io::Error {
        match self {
            Fed::Io(e) => e,
            Fed::Tls(e) => io::Error::new(io::ErrorKind::InvalidData, e),
        }
    }
}

/// Copy the plaintext the session holds (`available` bytes) after the
/// bytes `buf` already holds.
pub fn take_plaintext(
    session: &mut Connection,
    available: usize,
    buf: &mut BytesMut,
) -> io::Result<usize> {
    if buf.capacity() - buf.len() < MIN_SPARE.max(available) {
        buf.reserve(available.max(crate::conn::io::READ_CHUNK));
    }
    let len = buf.len();
    buf.resize(len + available, 0);
    let dst = buf.get_mut(len..).unwrap_or_default();
    match session.reader().read_exact(dst) {
        Ok(()) => Ok(available),
        Err(e) => {
            buf.truncate(len);
            Err(e)
        }
    }
}

/// Give the session every buffered ciphertext byte (rustls takes at most
/// 4 KiB per `read_tls`) and move the plaintext after the bytes `buf`
/// holds, so one socket read becomes one plaintext read however many
/// records it held. Returns the bytes appended and whether the peer sent
/// close_notify.
pub fn decrypt_buffered(
    rx: &mut Incoming,
    session: &mut Connection,
    buf: &mut BytesMut,
) -> io::Result<(usize, bool)> {
    let mut total = 0;
    loop {
        let state = if rx.drained() {
            session
                .process_new_packets()
                .map_err(|e| Fed::Tls(e).into_io())?
        } else {
            rx.feed(session).map_err(Fed::into_io)?
        };
        let available = state.plaintext_bytes_to_read();
        if available > 0 {
            total += take_plaintext(session, available, buf)?;
        }
        if state.peer_has_closed() {
            return Ok((total, true));
        }
        if rx.drained() {
            return Ok((total, false));
        }
    }
}

/// Encrypt all of `plain` into the session (its buffer limit is lifted,
/// so it takes everything at once).
pub fn encrypt(session: &mut Connection, plain: &[u8]) -> io::Result<()> {
    session.writer().write_all(plain)
}

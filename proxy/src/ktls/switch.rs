//! The handshake in userspace rustls, then the record layer handed to the
//! kernel.
//!
//! rustls must not hold half a record when the secrets are extracted: those
//! bytes are gone from the socket and the kernel would start decrypting in
//! the middle of a record. So [`handshake`] feeds rustls whole records only
//! (the 5-byte header says how long each is), and [`switch`] first
//! decrypts, in rustls, every whole record already read after the
//! handshake (a client sends its request right after `Finished`, often in
//! the same segment), reads the rest of a record it holds only part of
//! (exactly up to its end, so the socket stays on a record boundary), keeps
//! the plaintext for the caller, flushes what rustls still has to send
//! (TLS 1.3 session tickets), and only then installs `TLS_TX` and `TLS_RX`
//! with the sequence numbers rustls reached. From then on the socket reads
//! and writes plaintext.

use super::crypto_info;
use super::sys;
use bytes::{Buf, BytesMut};
use monoio::buf::IoBufMut;
use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::net::TcpStream;
use rustls::ServerConnection;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

/// TLS record header: type, version, length.
const HEADER: usize = 5;

/// Why a connection could not be switched to kTLS (it is closed then).
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    /// Socket I/O failed or the peer went away.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// rustls refused the peer's data.
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
    /// The negotiated version or cipher has no kernel struct.
    #[error("the negotiated cipher has no kTLS equivalent")]
    Unsupported,
    /// The kernel refused the ULP or the keys.
    #[error("kernel refused {what}: {source}")]
    Kernel {
        what: &'static str,
        #[source]
        source: io::Error,
    },
}

/// What the socket carries once the kernel has the keys.
#[derive(Debug)]
pub struct Switched {
    /// Plaintext rustls decrypted before the switch, to be read first.
    pub plaintext: BytesMut,
    /// The kernel cipher number in use.
    pub cipher: u16,
    /// The peer sent close_notify before any request.
    pub peer_closed: bool,
}

/// Length of the first whole record in `buf`, if it holds one.
fn whole_record(buf: &[u8]) -> Option<usize> {
    let header = buf.get(..HEADER)?;
    let len = HEADER + usize::from(u16::from_be_bytes([header[3], header[4]]));
    (buf.len() >= len).then_some(len)
}

/// Bytes still missing from the first (partial) record in `buf`.
fn missing(buf: &[u8]) -> usize {
    match buf.get(..HEADER) {
        Some(h) => {
            (HEADER + usize::from(u16::from_be_bytes([h[3], h[4]]))).saturating_sub(buf.len())
        }
        None => HEADER - buf.len(),
    }
}

/// Read at most `max` more bytes into `buf` (appending); 0 = EOF.
async fn read_some(stream: &mut TcpStream, buf: &mut BytesMut, max: usize) -> io::Result<usize> {
    buf.reserve(max);
    let len = buf.len();
    let spare = std::mem::take(buf).slice_mut(len..len + max);
    let (res, spare) = stream.read(spare).await;
    *buf = spare.into_inner();
    res
}

/// Write everything rustls has queued.
async fn flush(stream: &mut TcpStream, tls: &mut ServerConnection) -> io::Result<()> {
    while tls.wants_write() {
        let mut out = Vec::with_capacity(4096);
        tls.write_tls(&mut out)?;
        let (res, _) = stream.write_all(out).await;
        res?;
    }
    Ok(())
}

/// Hand rustls the first whole record of `buf` and let it process it.
fn feed_one(
    tls: &mut ServerConnection,
    buf: &mut BytesMut,
    len: usize,
) -> Result<(), rustls::Error> {
    let mut record = &buf[..len];
    while !record.is_empty() {
        if tls
            .read_tls(&mut record)
            .map_err(|e| rustls::Error::General(e.to_string()))?
            == 0
        {
            break;
        }
    }
    buf.advance(len);
    tls.process_new_packets().map(|_| ())
}

/// Run the handshake feeding rustls whole records only. `buf` keeps
/// ciphertext read past the handshake.
pub async fn handshake(
    stream: &mut TcpStream,
    tls: &mut ServerConnection,
    buf: &mut BytesMut,
) -> Result<(), SwitchError> {
    while tls.is_handshaking() {
        flush(stream, tls).await?;
        if let Some(len) = whole_record(buf) {
            if let Err(error) = feed_one(tls, buf, len) {
                // rustls queued an alert for the peer: send it, then fail.
                let _ = flush(stream, tls).await;
                return Err(error.into());
            }
            continue;
        }
        if read_some(stream, buf, 16 * 1024 + 256).await? == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
    }
    flush(stream, tls).await?;
    Ok(())
}

/// Move the connection's record layer into the kernel (see the module doc).
/// The caller checked [`crypto_info::negotiated`] against the probe first:
/// from here on there is no way back to rustls.
pub async fn switch(
    stream: &mut TcpStream,
    mut tls: ServerConnection,
    mut buf: BytesMut,
) -> Result<Switched, SwitchError> {
    let mut plaintext = BytesMut::new();
    let mut peer_closed = false;
    loop {
        while let Some(len) = whole_record(&buf) {
            feed_one(&mut tls, &mut buf, len)?;
        }
        let mut reader = tls.reader();
        loop {
            plaintext.reserve(4096);
            let mut chunk = [0u8; 4096];
            match reader.read(&mut chunk) {
                Ok(0) => {
                    peer_closed = true;
                    break;
                }
                Ok(n) => plaintext.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e.into()),
            }
        }
        if buf.is_empty() || peer_closed {
            break;
        }
        let need = missing(&buf);
        if read_some(stream, &mut buf, need).await? == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into());
        }
    }
    flush(stream, &mut tls).await?;
    let version = tls.protocol_version().ok_or(SwitchError::Unsupported)?;
    let secrets = tls.dangerous_extract_secrets()?;
    let (tx_seq, tx) = secrets.tx;
    let (rx_seq, rx) = secrets.rx;
    let cipher = crypto_info::cipher_of(&tx).ok_or(SwitchError::Unsupported)?;
    let tx = crypto_info::build(version, tx_seq, &tx).ok_or(SwitchError::Unsupported)?;
    let rx = crypto_info::build(version, rx_seq, &rx).ok_or(SwitchError::Unsupported)?;
    let fd = stream.as_raw_fd();
    let kernel = |what| move |source| SwitchError::Kernel { what, source };
    sys::set_ulp_tls(fd).map_err(kernel("TCP_ULP \"tls\""))?;
    sys::set_crypto_info(fd, sys::TLS_TX, &tx).map_err(kernel("TLS_TX"))?;
    sys::set_crypto_info(fd, sys::TLS_RX, &rx).map_err(kernel("TLS_RX"))?;
    Ok(Switched {
        plaintext,
        cipher,
        peer_closed,
    })
}

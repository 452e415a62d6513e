//! Records kTLS hands back to user space.
//!
//! The kernel decrypts application data records into plain reads. When the
//! next record is anything else, a read without a control-message buffer
//! fails with EIO (Documentation/networking/tls.rst, "Receiving TLS control
//! messages"); `recvmsg` with room for a cmsg then returns the record with
//! its type in `TLS_GET_RECORD_TYPE`. What ringgate does with it:
//!
//! - alert `close_notify`: the peer finished; the read returns 0 (EOF) and
//!   the connection ends cleanly;
//! - any other alert: the connection ends (logged at debug);
//! - a handshake message: in TLS 1.3 that is a `KeyUpdate` (or another
//!   post-handshake message). Linux 6.1 cannot take new RX keys (RX rekey
//!   came in 6.13), and every later record would fail to decrypt, so the
//!   connection is closed with a log line. Clients that send KeyUpdate after
//!   large volumes (2^24+ records) reconnect.
//! - an application data record (a race with a plain read): its bytes are
//!   returned as data.

use super::sys;
use bytes::BytesMut;
use monoio::buf::IoBufMut;
use monoio::io::AsyncReadRent;
use monoio::net::TcpStream;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use tracing::{debug, info};

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;
const CLOSE_NOTIFY: u8 = 0;
const KEY_UPDATE: u8 = 24;

/// Read once from a kTLS socket into the spare capacity of `buf` (appending,
/// see `conn::io::read_into`); 0 = EOF or close_notify.
pub async fn read_into(stream: &mut TcpStream, buf: &mut BytesMut) -> io::Result<usize> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(64 * 1024);
    }
    let (len, cap) = (buf.len(), buf.capacity());
    let spare = std::mem::take(buf).slice_mut(len..cap);
    let (res, spare) = stream.read(spare).await;
    *buf = spare.into_inner();
    match res {
        Err(e) if e.raw_os_error() == Some(libc::EIO) => after_eio(stream.as_raw_fd(), buf),
        other => other,
    }
}

/// After a read on a kTLS socket failed with EIO: take the record that
/// caused it. `Ok(0)` is a clean end (close_notify); `Ok(n)` appended `n`
/// bytes of application data to `buf`; an error ends the connection.
pub fn after_eio(fd: RawFd, buf: &mut BytesMut) -> io::Result<usize> {
    let mut record = vec![0u8; 16 * 1024 + 256];
    let (kind, n) = sys::recv_record(fd, &mut record)?;
    let payload = record.get(..n).unwrap_or_default();
    match kind {
        APPLICATION_DATA => {
            buf.extend_from_slice(payload);
            Ok(n)
        }
        ALERT if payload.get(1) == Some(&CLOSE_NOTIFY) => {
            debug!("ktls: peer sent close_notify");
            Ok(0)
        }
        ALERT => {
            debug!(level = ?payload.first(), description = ?payload.get(1), "ktls: peer sent an alert");
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "tls alert",
            ))
        }
        HANDSHAKE if payload.first() == Some(&KEY_UPDATE) => {
            info!("ktls: peer sent a TLS 1.3 KeyUpdate, which this kernel cannot take on receive; closing the connection");
            Err(io::Error::new(io::ErrorKind::Unsupported, "tls key update"))
        }
        HANDSHAKE | CHANGE_CIPHER_SPEC => {
            info!(record_type = kind, message = ?payload.first(), "ktls: post-handshake message the kernel cannot take; closing the connection");
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "tls post-handshake message",
            ))
        }
        other => {
            debug!(record_type = other, "ktls: unexpected record type");
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "tls record type",
            ))
        }
    }
}

/// Send close_notify before closing a kTLS socket (best effort).
pub fn close_notify(fd: RawFd) {
    let _ = sys::send_record(fd, ALERT, &[1, CLOSE_NOTIFY]);
}

//! The first bytes on a TLS listener, read before the handshake starts.
//!
//! A TLS client opens with a handshake record (content type 22, `0x16`);
//! an HTTP/1 client opens with a method, which starts with an uppercase
//! ASCII letter. A plain HTTP request sent to a TLS port gets what nginx
//! gives it: a short `400` in plaintext that says so, `Connection: close`,
//! instead of a TLS alert a curl or a browser shows as gibberish. Anything
//! else goes to the handshake, which refuses it with an alert. The bytes
//! read here are handed to the handshake, so nothing is lost.

use bytes::BytesMut;
use monoio::net::TcpStream;
use ringgate_core::http1::encode_error_with;
use std::io;

/// The TLS record content type of a handshake message.
const HANDSHAKE_RECORD: u8 = 0x16;

/// How much of a plain HTTP head is read (and dropped) before the answer,
/// so closing does not reset a connection with unread bytes.
const PLAIN_HEAD_LIMIT: usize = 8 * 1024;

/// The answer's reason and body.
pub const PLAIN_HTTP_REASON: &str = "plain HTTP request sent to a TLS port";

/// What the client opened with.
#[derive(Debug)]
pub enum Opening {
    /// Closed before sending a byte (a port probe).
    Closed,
    /// Bytes for the TLS handshake (a handshake record, or something it
    /// will refuse).
    Tls(BytesMut),
    /// The start of a plain HTTP request.
    PlainHttp(BytesMut),
}

/// Read the client's first bytes into a buffer of `capacity` and tell
/// what they are.
pub async fn opening(tcp: &mut TcpStream, capacity: usize) -> io::Result<Opening> {
    let mut buf = BytesMut::with_capacity(capacity);
    if super::io::read_into(tcp, &mut buf).await? == 0 {
        return Ok(Opening::Closed);
    }
    Ok(match buf.first() {
        Some(&HANDSHAKE_RECORD) | None => Opening::Tls(buf),
        Some(b) if b.is_ascii_uppercase() => Opening::PlainHttp(buf),
        Some(_) => Opening::Tls(buf),
    })
}

/// Read the rest of a plain HTTP head that starts with `seen` (up to
/// [`PLAIN_HEAD_LIMIT`]), then answer `400` in plaintext. The caller bounds
/// the time and closes.
pub async fn refuse_plain_http(tcp: &mut TcpStream, mut seen: BytesMut) -> io::Result<()> {
    while seen.len() < PLAIN_HEAD_LIMIT && !ends_head(&seen) {
        seen.reserve(PLAIN_HEAD_LIMIT - seen.len());
        if super::io::read_into(tcp, &mut seen).await? == 0 {
            break;
        }
    }
    let mut out = Vec::with_capacity(256);
    encode_error_with(400, PLAIN_HTTP_REASON, &[], true, &mut out);
    super::io::write_vec(tcp, &mut out).await
}

fn ends_head(bytes: &[u8]) -> bool {
    bytes.windows(4).any(|w| w == b"\r\n\r\n")
}

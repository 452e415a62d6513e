//! Access log lines: one [`Record`] per answered request, written as a JSON
//! object per line ([`json`]) or in nginx's "combined" format
//! ([`combined`]), so existing log pipelines (GoAccess, Loki, Vector's
//! nginx parser) read it unchanged.
//!
//! Pure formatting, no I/O: the proxy appends lines to per-shard buffers
//! and hands full buffers to a writer thread. Request bytes are untrusted,
//! so every string is escaped for its format: JSON escapes (with invalid
//! UTF-8 replaced), and nginx's `\xHH` for quotes, backslashes and
//! non-printable bytes in the combined format.

mod combined;
mod json;
mod time;

pub use combined::combined;
pub use json::json;
pub use time::{civil, Civil};

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::http1::Version;

/// Everything one access log line says about one request.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// When the response was finished.
    pub time: SystemTime,
    /// The `X-Request-Id` sent upstream (received or generated).
    pub request_id: &'a [u8],
    /// The trace id of the request's W3C `traceparent`, if any.
    pub trace_id: Option<&'a [u8]>,
    /// The client's socket address.
    pub client: SocketAddr,
    /// Request method.
    pub method: &'a [u8],
    /// Request-target as received (path and query).
    pub target: &'a [u8],
    /// The client's protocol version.
    pub version: Version,
    /// Status sent to the client.
    pub status: u16,
    /// Bytes read from the client for this request (head and body).
    pub bytes_in: u64,
    /// Bytes written to the client for this request (head and body).
    pub bytes_out: u64,
    /// The route's name; `None` when no route matched.
    pub route: Option<&'a str>,
    /// The upstream's name.
    pub upstream: Option<&'a str>,
    /// The target that answered (the last one tried).
    pub target_addr: Option<SocketAddr>,
    /// From sending the request upstream to its response head.
    pub upstream_time: Option<Duration>,
    /// From the request head to the end of the response.
    pub total_time: Duration,
    /// How the client connection is carried: `plain`, `rustls`, `ktls`.
    pub tls: &'a str,
    /// `Referer` as received.
    pub referer: Option<&'a [u8]>,
    /// `User-Agent` as received.
    pub user_agent: Option<&'a [u8]>,
}

/// The 32 lowercase hex digits of the trace id in a W3C `traceparent`
/// value (`00-TRACEID-PARENTID-FLAGS`); `None` when it is not valid (see
/// [`crate::trace::TraceParent::parse`]).
pub fn trace_id(traceparent: &[u8]) -> Option<&[u8]> {
    crate::trace::TraceParent::parse(traceparent)?;
    traceparent.trim_ascii().get(3..35)
}

/// Whether `id` may be forwarded as a received `X-Request-Id`: 1 to 200
/// visible ASCII characters (anything else is replaced by a generated id).
pub fn valid_request_id(id: &[u8]) -> bool {
    (1..=200).contains(&id.len()) && id.iter().all(|&c| (0x21..0x7f).contains(&c))
}

/// A new request id: 32 lowercase hex digits from two random words.
pub fn new_request_id(a: u64, b: u64) -> [u8; 32] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    let bits = (u128::from(a) << 64) | u128::from(b);
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = (bits >> (124 - 4 * i)) & 0xf;
        *slot = HEX[nibble as usize];
    }
    out
}

#[cfg(test)]
mod tests;

//! Reading request heads from blocking std sockets, for the control-plane
//! servers that run on plain threads (the admin listener, the demo's sample
//! services). Same codec as the data path; only the I/O differs.

use bytes::BytesMut;
use ringgate_core::http1::{HeadReader, Limits, ParseError, RequestHead};
use std::io::Read;
use std::net::TcpStream;

/// What reading a head from a blocking socket gave.
#[derive(Debug)]
pub enum Head {
    /// A complete head; its body (if any) starts in the buffer.
    Request(RequestHead),
    /// The peer closed before a complete head.
    Closed,
    /// The head is invalid.
    Invalid(ParseError),
}

/// Read the next request head from `stream`, buffering into `buf`.
pub fn read_head(
    stream: &mut TcpStream,
    buf: &mut BytesMut,
    limits: &Limits,
) -> std::io::Result<Head> {
    let mut reader = HeadReader::default();
    let mut chunk = [0u8; 4096];
    loop {
        match reader.read_request(buf, limits) {
            Ok(Some(head)) => return Ok(Head::Request(head)),
            Ok(None) => {}
            Err(error) => return Ok(Head::Invalid(error)),
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(Head::Closed);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

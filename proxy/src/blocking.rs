//! HTTP/1 on blocking std sockets, for the control plane on plain threads:
//! reading request heads for the servers (the admin listener, the demo's
//! sample services) and one small GET client (health checks, JWKS fetches),
//! over plain TCP or TLS.
//! Same codec as the data path; only the I/O differs.

use bytes::BytesMut;
use ringgate_core::http1::{HeadReader, Limits, ParseError, RequestHead, ResponseHead};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

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

/// Limits for response heads read by the control-plane clients.
const RESPONSE_LIMITS: Limits = Limits {
    max_header_bytes: 16 * 1024,
    max_headers: 128,
    max_uri_bytes: 8 * 1024,
};

/// A blocking connection [`get`] can speak over: a TCP socket, or TLS on
/// one (rustls' blocking stream). Deadlines are socket timeouts.
pub trait Conn: Read + Write {
    /// The socket underneath.
    fn socket(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn socket(&self) -> &TcpStream {
        self
    }
}

impl Conn for rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    fn socket(&self) -> &TcpStream {
        &self.sock
    }
}

/// A response head from [`get`], with the connection and the bytes of the
/// body already read.
#[derive(Debug)]
pub struct Fetched<S = TcpStream> {
    /// The final (non-1xx) response head.
    pub head: ResponseHead,
    /// The connection, for reading the rest of the body.
    pub stream: S,
    /// Body bytes read with the head.
    pub buf: BytesMut,
}

/// Connect to the first of `addrs` that answers by `deadline`.
pub fn connect(addrs: &[SocketAddr], deadline: Instant) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, left(deadline)?) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")),
        }
    }
    Err(last)
}

/// A blocking HTTP/1.1 `GET path` (`Connection: close`) for the control
/// plane (health checks, JWKS fetches): connect to the first of `addrs`
/// that answers, send the request with `Host: host` and `extra` header
/// lines, and read the response head (skipping 1xx), all by `deadline`.
pub fn get(
    addrs: &[SocketAddr],
    host: &str,
    path: &str,
    extra: &str,
    deadline: Instant,
) -> io::Result<Fetched> {
    get_over(connect(addrs, deadline)?, host, path, extra, deadline)
}

/// [`get`] over a connection already open (plain or TLS; a TLS handshake
/// runs with the first write, under the same deadline).
pub fn get_over<S: Conn>(
    mut stream: S,
    host: &str,
    path: &str,
    extra: &str,
    deadline: Instant,
) -> io::Result<Fetched<S>> {
    stream.socket().set_write_timeout(Some(left(deadline)?))?;
    stream.socket().set_read_timeout(Some(left(deadline)?))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ringgate\r\n{extra}Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut reader = HeadReader::default();
    loop {
        match reader.read_response(&mut buf, &RESPONSE_LIMITS, false) {
            Ok(Some(head)) if head.is_informational() => reader = HeadReader::default(),
            Ok(Some(head)) => return Ok(Fetched { head, stream, buf }),
            Ok(None) => {
                if read_more(&mut stream, &mut buf, deadline)? == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed before a response",
                    ));
                }
            }
            Err(error) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("invalid response: {error}"),
                ))
            }
        }
    }
}

/// Read more of a [`get`] response into `buf` by `deadline`; 0 at EOF.
pub fn read_more<S: Conn>(
    stream: &mut S,
    buf: &mut BytesMut,
    deadline: Instant,
) -> io::Result<usize> {
    stream.socket().set_read_timeout(Some(left(deadline)?))?;
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk)?;
    buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    Ok(n)
}

/// Time left before `deadline`, or a timeout error.
fn left(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "timed out"))
}

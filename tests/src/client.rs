//! A raw HTTP/1.1 client over one `TcpStream`.
//!
//! It writes exactly the bytes a test gives it (so malformed input,
//! pipelining and slow clients are easy) and parses responses strictly:
//! status line, headers, then the body framed by the request method, status,
//! Transfer-Encoding or Content-Length, the way a real client must.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::wire::{self, Framing, Wire};

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// e.g. `HTTP/1.1`.
    pub version: String,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
    /// Whether the body came chunked.
    pub chunked: bool,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::header_values(&self.headers, name).first().copied()
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        wire::header_values(&self.headers, name)
    }

    /// Whether header `name` is a list containing `token`.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        wire::has_token(&self.headers, name, token)
    }

    /// The body as (lossy) UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {:?}", self.text()))
    }

    /// The `x-origin` header our test origins put on every reply.
    pub fn origin(&self) -> Option<&str> {
        self.header("x-origin")
    }
}

/// A client connection.
pub struct Conn {
    wire: Wire,
}

impl Conn {
    /// Connects to `addr`; each read waits at most 10 s.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        Ok(Self {
            wire: Wire::new(stream, Duration::from_secs(10))?,
        })
    }

    /// Connects, panicking with context on failure.
    pub fn open(addr: SocketAddr) -> Self {
        Self::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"))
    }

    /// The buffered wire, for tests that need raw access.
    pub fn wire(&mut self) -> &mut Wire {
        &mut self.wire
    }

    /// Sets how long one read may wait.
    pub fn set_patience(&mut self, d: Duration) {
        self.wire.patience = d;
    }

    /// Writes raw bytes.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.wire.write_all(bytes)
    }

    /// Reads one response (1xx included) to a request with `method`.
    pub fn read_response(&mut self, method: &str) -> io::Result<Response> {
        let head = self.wire.read_head(1 << 20)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            )
        })?;
        let (start, headers) = wire::parse_header_lines(&head)?;
        let mut parts = start.splitn(3, ' ');
        let version = parts.next().unwrap_or("").to_string();
        let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad status line {start:?}"),
            )
        })?;
        let reason = parts.next().unwrap_or("").to_string();
        if !version.starts_with("HTTP/1.") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad status line {start:?}"),
            ));
        }
        let no_body = method.eq_ignore_ascii_case("HEAD")
            || (100..200).contains(&status)
            || status == 204
            || status == 304;
        let framing = if no_body {
            Framing::None
        } else {
            wire::framing(&headers, false)?
        };
        let mut body = Vec::new();
        let mut sink = |d: &[u8]| body.extend_from_slice(d);
        match framing {
            Framing::None => {}
            Framing::Length(n) => self.wire.read_exact_to(n, &mut sink)?,
            Framing::Chunked => self.wire.read_chunked_to(&mut sink)?,
            Framing::UntilClose => self.wire.read_to_end_to(&mut sink)?,
        }
        Ok(Response {
            version,
            status,
            reason,
            headers,
            body,
            chunked: framing == Framing::Chunked,
        })
    }

    /// Reads the final response, returning the 1xx interim ones before it.
    pub fn read_final(&mut self, method: &str) -> io::Result<(Vec<Response>, Response)> {
        let mut interim = Vec::new();
        loop {
            let r = self.read_response(method)?;
            if (100..200).contains(&r.status) {
                interim.push(r);
            } else {
                return Ok((interim, r));
            }
        }
    }

    /// Sends a request and reads its final response.
    ///
    /// `Host` is `host`, `Content-Length` is added when `body` is not empty,
    /// `extra` headers are added as given.
    pub fn request(
        &mut self,
        method: &str,
        host: &str,
        target: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
        for (k, v) in extra {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.send(&bytes)?;
        Ok(self.read_final(method)?.1)
    }

    /// `GET target` with Host `localhost`.
    pub fn get(&mut self, target: &str) -> io::Result<Response> {
        self.request("GET", "localhost", target, &[], b"")
    }

    /// Whether the server closes this connection within `within`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        self.wire.closed_within(within)
    }
}

/// One request on a fresh connection that is closed afterwards.
pub fn one_shot(
    addr: SocketAddr,
    method: &str,
    host: &str,
    target: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut conn = Conn::open(addr);
    let mut headers: Vec<(&str, &str)> = extra.to_vec();
    headers.push(("Connection", "close"));
    conn.request(method, host, target, &headers, body)
        .unwrap_or_else(|e| panic!("{method} {target} via {addr}: {e}"))
}

/// `GET target` on a fresh connection, panicking on I/O errors.
pub fn get(addr: SocketAddr, target: &str) -> Response {
    one_shot(addr, "GET", "localhost", target, &[], b"")
}

//! One OTLP/HTTP export request on the exporter thread (blocking I/O, off
//! the shards): connect (the host resolved each time, so a collector that
//! moves is found again), `POST` the protobuf body with
//! `Content-Type: application/x-protobuf` and `Connection: close`, read
//! the status line. Every step is bounded by the export timeout.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ringgate_core::config::tracing::OtlpExport;

/// Most bytes of the response read (status line and a short error body).
const MAX_RESPONSE: usize = 16 * 1024;

/// Why an export request failed.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// Name resolution, connect, write or read failed or timed out.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The host name resolved to no address.
    #[error("{0} resolves to no address")]
    NoAddress(String),
    /// The answer was not an HTTP response.
    #[error("malformed response")]
    Malformed,
}

/// POST `body` to the endpoint; the response status.
pub fn post(cfg: &OtlpExport, body: &[u8]) -> Result<u16, PostError> {
    let deadline = Instant::now() + cfg.timeout;
    let addr = (cfg.host.as_str(), cfg.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| PostError::NoAddress(cfg.host.clone()))?;
    let mut stream = TcpStream::connect_timeout(&addr, cfg.timeout)?;
    let _ = stream.set_nodelay(true);
    let host = if cfg.host.contains(':') {
        format!("[{}]:{}", cfg.host, cfg.port)
    } else {
        format!("{}:{}", cfg.host, cfg.port)
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Length: {}\r\nUser-Agent: ringgate/{}\r\nConnection: close\r\n\r\n",
        cfg.path,
        body.len(),
        env!("CARGO_PKG_VERSION"),
    );
    stream.set_write_timeout(Some(left(deadline)?))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    loop {
        stream.set_read_timeout(Some(left(deadline)?))?;
        let n = stream.read(&mut chunk)?;
        response.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if n == 0 || response.len() >= MAX_RESPONSE || response.windows(4).any(|w| w == b"\r\n\r\n")
        {
            break;
        }
    }
    status(&response).ok_or(PostError::Malformed)
}

fn left(deadline: Instant) -> Result<Duration, PostError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into());
    }
    Ok(left)
}

/// The status code of `HTTP/1.x NNN ...`.
fn status(response: &[u8]) -> Option<u16> {
    let rest = response
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| response.strip_prefix(b"HTTP/1.0 "))?;
    let code = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    (100..=599).contains(&code).then_some(code)
}

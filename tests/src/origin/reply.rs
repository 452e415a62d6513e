//! What the origin answers: the [`Reply`] a test's handler picks for each
//! request, and how each kind is written on the wire (lengths, chunks,
//! generated patterns, raw bytes, delays, closes, a 101 and an echo
//! tunnel).

use std::io;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::{Request, Shared};
use crate::pattern;
use crate::wire::{self, Wire};

/// What the origin does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A response with a Content-Length body (no body for HEAD/204/304;
    /// Content-Length is added unless `headers` frames the body already).
    Full {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// A chunked response, one chunk per element.
    Chunked {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The chunks (empty ones are skipped: an empty chunk ends a body).
        chunks: Vec<Vec<u8>>,
    },
    /// A chunked 200 whose chunks are written `gap` apart (a slow body).
    Trickle {
        /// The chunks, in order.
        chunks: Vec<Vec<u8>>,
        /// Pause before each chunk after the first, and before the end.
        gap: Duration,
    },
    /// 200 with `len` bytes of the pattern, streamed, Content-Length framed.
    Pattern {
        /// Body length.
        len: u64,
    },
    /// Writes these bytes and closes the connection.
    Raw(Vec<u8>),
    /// Writes these raw pieces `gap` apart (each its own TCP segment) and
    /// keeps the connection: the pieces must form one complete response.
    RawPieces {
        /// The pieces, in order.
        pieces: Vec<Vec<u8>>,
        /// Pause between pieces.
        gap: Duration,
    },
    /// Closes the connection without answering.
    Close,
    /// Waits, then does the inner reply.
    Delay(Duration, Box<Reply>),
    /// Answers `101 Switching Protocols` and then echoes every byte back
    /// until the peer closes.
    UpgradeEcho,
}

impl Reply {
    /// A `text/plain` response.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A response with no extra headers and no body.
    pub fn empty(status: u16) -> Reply {
        Reply::Full {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// The echo reply: 200 JSON describing the request (see [`echo_json`]).
    pub fn echo(name: &str, req: &Request) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: echo_json(name, req),
        }
    }
}

/// JSON describing a request: `origin`, `method`, `target`, `version`,
/// `headers` (list of `[name, value]`), `body_len`, `body_pattern_ok`,
/// `body` (lossy UTF-8 of the kept body), `chunked`, `conn`.
pub fn echo_json(name: &str, req: &Request) -> Vec<u8> {
    let headers: Vec<serde_json::Value> = req
        .headers
        .iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "origin": name,
        "method": req.method,
        "target": req.target,
        "version": req.version,
        "headers": headers,
        "body_len": req.body_len,
        "body_pattern_ok": req.body_pattern_ok,
        "body": String::from_utf8_lossy(&req.body),
        "chunked": req.chunked,
        "conn": req.conn,
    }))
    .expect("serialize echo JSON")
}

/// Writes `reply`; returns whether the connection may carry another request.
pub(super) fn write_reply(
    wire: &mut Wire,
    req: &Request,
    reply: Reply,
    shared: &Shared,
) -> io::Result<bool> {
    let name = &shared.name;
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = status_line(status);
            push_headers(&mut head, name, &headers);
            let framed = headers.iter().any(|(k, _)| {
                k.eq_ignore_ascii_case("content-length")
                    || k.eq_ignore_ascii_case("transfer-encoding")
            });
            let bodiless_status = (100..200).contains(&status) || status == 204 || status == 304;
            if !framed && !bodiless_status {
                head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            }
            head.push_str("\r\n");
            let mut out = head.into_bytes();
            if req.method != "HEAD" && !bodiless_status {
                out.extend_from_slice(&body);
            }
            wire.write_all(&out)?;
            // An origin that says close, closes.
            Ok(!wire::has_token(&headers, "connection", "close"))
        }
        Reply::Chunked {
            status,
            headers,
            chunks,
        } => {
            let mut head = status_line(status);
            push_headers(&mut head, name, &headers);
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            wire.write_all(head.as_bytes())?;
            if req.method != "HEAD" {
                for c in chunks.iter().filter(|c| !c.is_empty()) {
                    let mut out = format!("{:x}\r\n", c.len()).into_bytes();
                    out.extend_from_slice(c);
                    out.extend_from_slice(b"\r\n");
                    wire.write_all(&out)?;
                }
                wire.write_all(b"0\r\n\r\n")?;
            }
            Ok(true)
        }
        Reply::Trickle { chunks, gap } => {
            let mut head = status_line(200);
            push_headers(&mut head, name, &[]);
            head.push_str("Transfer-Encoding: chunked\r\n\r\n");
            wire.write_all(head.as_bytes())?;
            for (i, c) in chunks.iter().filter(|c| !c.is_empty()).enumerate() {
                if i > 0 && !pause(gap, shared) {
                    return Ok(false);
                }
                let mut out = format!("{:x}\r\n", c.len()).into_bytes();
                out.extend_from_slice(c);
                out.extend_from_slice(b"\r\n");
                wire.write_all(&out)?;
            }
            if !pause(gap, shared) {
                return Ok(false);
            }
            wire.write_all(b"0\r\n\r\n")?;
            Ok(true)
        }
        Reply::Pattern { len } => {
            let mut head = status_line(200);
            push_headers(
                &mut head,
                name,
                &[("Content-Type".into(), "application/octet-stream".into())],
            );
            head.push_str(&format!("Content-Length: {len}\r\n\r\n"));
            wire.write_all(head.as_bytes())?;
            if req.method != "HEAD" {
                let mut buf = vec![0u8; 256 * 1024];
                let mut off = 0u64;
                while off < len {
                    if shared.stop.load(Ordering::Relaxed) {
                        return Ok(false);
                    }
                    let n = (len - off).min(buf.len() as u64) as usize;
                    pattern::fill(off, &mut buf[..n]);
                    wire.write_all(&buf[..n])?;
                    off += n as u64;
                }
            }
            Ok(true)
        }
        Reply::Raw(bytes) => {
            wire.write_all(&bytes)?;
            let _ = wire.shutdown_write();
            Ok(false)
        }
        Reply::RawPieces { pieces, gap } => {
            for (i, p) in pieces.iter().enumerate() {
                if i > 0 && !pause(gap, shared) {
                    return Ok(false);
                }
                wire.write_all(p)?;
            }
            Ok(true)
        }
        Reply::Close => Ok(false),
        Reply::Delay(d, inner) => {
            let until = Instant::now() + d;
            while Instant::now() < until {
                if shared.stop.load(Ordering::Relaxed) {
                    return Ok(false);
                }
                thread::sleep(
                    Duration::from_millis(10).min(until.saturating_duration_since(Instant::now())),
                );
            }
            write_reply(wire, req, *inner, shared)
        }
        Reply::UpgradeEcho => {
            let proto = req.header("upgrade").unwrap_or("websocket").to_string();
            let mut head = status_line(101);
            push_headers(
                &mut head,
                name,
                &[
                    ("Upgrade".into(), proto),
                    ("Connection".into(), "Upgrade".into()),
                ],
            );
            head.push_str("\r\n");
            wire.write_all(head.as_bytes())?;
            loop {
                let pending = wire.take_buffered();
                if !pending.is_empty() {
                    wire.write_all(&pending)?;
                }
                if wire.fill()? == 0 {
                    let _ = wire.shutdown_write();
                    return Ok(false);
                }
            }
        }
    }
}

/// Sleeps `d` unless the origin stops first; returns whether it slept fully.
fn pause(d: Duration, shared: &Shared) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if shared.stop.load(Ordering::Relaxed) {
            return false;
        }
        thread::sleep(
            Duration::from_millis(10).min(until.saturating_duration_since(Instant::now())),
        );
    }
    true
}

fn status_line(status: u16) -> String {
    format!("HTTP/1.1 {status} {}\r\n", reason(status))
}

fn push_headers(head: &mut String, name: &str, headers: &[(String, String)]) {
    head.push_str(&format!("x-origin: {name}\r\n"));
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
}

/// The standard reason phrase for `status`.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

//! The admin listener: `GET /healthz`, `GET /readyz`, `GET /metrics`.
//!
//! It runs on its own thread with blocking sockets, away from the shards:
//! scrapes are rare, and reading the shards' counters (plain relaxed atomic
//! loads) never slows a shard down. Requests are parsed with the same codec
//! as the data path.

use crate::blocking::{self, Head};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::metrics::policy::HealthStats;
use crate::metrics::{self, ShardMetrics};
use crate::snapshot::Snapshot;
use bytes::BytesMut;
use ringgate_core::http1::{encode_error, Limits};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;

const LIMITS: Limits = Limits {
    max_header_bytes: 16 * 1024,
    max_headers: 64,
    max_uri_bytes: 4096,
};

/// Bind the admin listener and serve it on a new thread; returns the bound address.
pub fn start(
    addr: SocketAddr,
    snapshot: Arc<Snapshot>,
    shards: Vec<Arc<ShardMetrics>>,
    health: Option<Arc<HealthStats>>,
    draining: DrainFlag,
) -> Result<SocketAddr, ProxyError> {
    let listener = TcpListener::bind(addr).map_err(|source| ProxyError::Listen { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ProxyError::Listen { addr, source })?;
    std::thread::Builder::new()
        .name("ringgate-admin".into())
        .spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    Ok(stream) => {
                        if let Err(error) =
                            serve(stream, &snapshot, &shards, health.as_ref(), &draining)
                        {
                            warn!(%error, "admin connection failed");
                        }
                    }
                    Err(error) => warn!(%error, "admin accept failed"),
                }
            }
        })
        .map_err(|source| ProxyError::Spawn {
            what: "admin thread".into(),
            source,
        })?;
    Ok(bound)
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
    send_body: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let reason = ringgate_core::status::reason_phrase(status);
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {conn}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if send_body {
        stream.write_all(body)?;
    }
    Ok(())
}

fn serve(
    mut stream: TcpStream,
    snapshot: &Snapshot,
    shards: &[Arc<ShardMetrics>],
    health: Option<&Arc<HealthStats>>,
    draining: &DrainFlag,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let head = match blocking::read_head(&mut stream, &mut buf, &LIMITS)? {
            Head::Request(head) => head,
            Head::Closed => return Ok(()),
            Head::Invalid(error) => {
                let mut out = Vec::new();
                let f = error.failure();
                encode_error(f.status(), f.reason(), true, &mut out);
                return stream.write_all(&out);
            }
        };
        let keep = head.keep_alive();
        let get = head.method() == b"GET" || head.is_head();
        let (status, ctype, body): (u16, &str, Vec<u8>) = match (get, head.path()) {
            (true, b"/healthz") => (200, "text/plain", b"ok\n".to_vec()),
            (true, b"/readyz") if draining.is_raised() => {
                (503, "text/plain", b"draining\n".to_vec())
            }
            (true, b"/readyz") => (200, "text/plain", b"ready\n".to_vec()),
            (true, b"/metrics") => (
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics::render(snapshot, shards, health).into_bytes(),
            ),
            (false, _) => (405, "text/plain", b"method not allowed\n".to_vec()),
            _ => (404, "text/plain", b"not found\n".to_vec()),
        };
        respond(&mut stream, status, ctype, &body, !head.is_head(), keep)?;
        if !keep {
            return Ok(());
        }
    }
}

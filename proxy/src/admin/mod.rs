//! The admin listener: `GET /healthz`, `GET /readyz`, `GET /metrics`, and
//! the JSON admin API under `/admin/` ([`views`]) with `POST /admin/reload`,
//! which asks for a bearer token when `server.admin_token_file` is set.
//! Every request reads the config current at that moment
//! ([`crate::reload::live`]).
//!
//! It runs on its own thread with blocking sockets, away from the shards:
//! scrapes are rare, and reading the shards' counters (plain relaxed atomic
//! loads) never slows a shard down. Requests are parsed with the same codec
//! as the data path.

mod views;

use crate::blocking::{self, Head};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::metrics::policy::HealthStats;
use crate::metrics::{self, ShardMetrics};
use crate::reload::control::Counts;
use crate::reload::live::Live;
use crate::reload::{Handle, Wiring};
use crate::snapshot::Snapshot;
use bytes::BytesMut;
use ringgate_core::http1::{encode_error, Limits, RequestHead};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use tracing::{debug, warn};

/// How often the admin thread checks for an upgrade handover while idle.
const HANDOVER_POLL: Duration = Duration::from_millis(200);

const LIMITS: Limits = Limits {
    max_header_bytes: 16 * 1024,
    max_headers: 64,
    max_uri_bytes: 4096,
};

/// Serve the admin listener (bound, or taken over in an upgrade) on a new
/// thread; returns its address. After an upgrade handover the thread stops
/// accepting: the new process answers on the same socket from then on.
pub fn start(
    listener: TcpListener,
    wiring: &Wiring,
    draining: DrainFlag,
) -> Result<SocketAddr, ProxyError> {
    let admin = Admin {
        live: Arc::clone(&wiring.live),
        reload: wiring.handle.clone(),
        counts: Arc::clone(&wiring.counts),
        draining,
    };
    let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
    let bound = listener.local_addr().map_err(|source| ProxyError::Listen {
        addr: unknown,
        source,
    })?;
    // Non-blocking: after a poll, another process may take the connection.
    listener
        .set_nonblocking(true)
        .map_err(|source| ProxyError::Listen {
            addr: bound,
            source,
        })?;
    std::thread::Builder::new()
        .name("ringgate-admin".into())
        .spawn(move || {
            while !admin.draining.is_handed_over() {
                match crate::upgrade::unix::readable(&listener, HANDOVER_POLL) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        warn!(%error, "admin poll failed");
                        std::thread::sleep(HANDOVER_POLL);
                        continue;
                    }
                }
                match listener.accept().map(|(stream, _)| stream) {
                    Ok(stream) => {
                        if let Err(error) = serve(stream, &admin) {
                            warn!(%error, "admin connection failed");
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
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

/// What the admin thread serves from.
struct Admin {
    live: Arc<Live>,
    reload: Handle,
    counts: Arc<Counts>,
    draining: DrainFlag,
}

/// One admin response.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// An extra header line (`Name: value`), e.g. a challenge.
    extra: Option<&'static str>,
}

impl Reply {
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain",
            body: body.as_bytes().to_vec(),
            extra: None,
        }
    }

    fn json(value: &serde_json::Value) -> Reply {
        let mut body = serde_json::to_vec_pretty(value).unwrap_or_default();
        body.push(b'\n');
        Reply {
            status: 200,
            content_type: "application/json",
            body,
            extra: None,
        }
    }
}

fn respond(
    stream: &mut TcpStream,
    reply: &Reply,
    send_body: bool,
    keep_alive: bool,
) -> std::io::Result<()> {
    let status = reply.status;
    let reason = ringgate_core::status::reason_phrase(status);
    let conn = if keep_alive { "keep-alive" } else { "close" };
    let extra = reply.extra.map(|h| format!("{h}\r\n")).unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{extra}Connection: {conn}\r\n\r\n",
        reply.content_type,
        reply.body.len()
    );
    let body = &reply.body;
    stream.write_all(head.as_bytes())?;
    if send_body {
        stream.write_all(body)?;
    }
    Ok(())
}

/// Whether the request may use the admin API: no tokens configured, or an
/// `Authorization: Bearer` token whose digest is in the token file.
fn authorized(snapshot: &Snapshot, head: &RequestHead) -> bool {
    let Some(tokens) = &snapshot.config.server.admin_tokens else {
        return true;
    };
    let token = head.header("authorization").and_then(|v| {
        v.strip_prefix(b"Bearer ")
            .or_else(|| v.strip_prefix(b"bearer "))
    });
    match token.and_then(|t| tokens.lookup(t.trim_ascii())) {
        Some(operator) => {
            debug!(operator, path = %String::from_utf8_lossy(head.path()), "admin API request");
            true
        }
        None => false,
    }
}

fn serve(mut stream: TcpStream, admin: &Admin) -> std::io::Result<()> {
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
        let current = admin.live.load();
        let snapshot = &*current.snapshot;
        // A POST's body is not read: the connection closes after the answer.
        let post = head.method() == b"POST";
        let keep = head.keep_alive() && !post;
        let get = head.method() == b"GET" || head.is_head();
        let path = head.path();
        let reply = if path.starts_with(b"/admin/") && !authorized(snapshot, &head) {
            warn!(path = %String::from_utf8_lossy(path), "admin API request without a valid bearer token");
            Reply {
                extra: Some("WWW-Authenticate: Bearer realm=\"ringgate-admin\""),
                ..Reply::text(401, "unauthorized\n")
            }
        } else {
            match (get, path) {
                (false, b"/admin/reload") if post => reload(&admin.reload),
                (true, b"/healthz") => Reply::text(200, "ok\n"),
                (true, b"/readyz") if admin.draining.is_raised() => Reply::text(503, "draining\n"),
                (true, b"/readyz") => Reply::text(200, "ready\n"),
                (true, b"/metrics") => Reply {
                    status: 200,
                    content_type: "text/plain; version=0.0.4; charset=utf-8",
                    body: render_metrics(
                        snapshot,
                        &current.shards,
                        current.health.as_ref(),
                        &admin.counts,
                    )
                    .into_bytes(),
                    extra: None,
                },
                (true, b"/admin/config") => Reply::json(&views::config(snapshot)),
                (true, b"/admin/routes") => Reply::json(&views::routes(snapshot)),
                (true, b"/admin/upstreams") => Reply::json(&views::upstreams(snapshot)),
                (false, _) => Reply::text(405, "method not allowed\n"),
                _ => Reply::text(404, "not found\n"),
            }
        };
        respond(&mut stream, &reply, !head.is_head(), keep)?;
        if !keep {
            return Ok(());
        }
    }
}

/// `POST /admin/reload`: 200 with the new version, or 422 with every error
/// (each naming its key path) while the old config keeps serving.
fn reload(handle: &Handle) -> Reply {
    match handle.reload("admin") {
        Ok(version) => Reply::json(&serde_json::json!({ "reloaded": true, "version": version })),
        Err(errors) => {
            let errors: Vec<serde_json::Value> = errors
                .iter()
                .map(|e| serde_json::json!({ "path": e.path, "message": e.message }))
                .collect();
            Reply {
                status: 422,
                ..Reply::json(&serde_json::json!({ "reloaded": false, "errors": errors }))
            }
        }
    }
}

/// The shards' metrics, then the reload counters and config version.
fn render_metrics(
    snapshot: &Snapshot,
    shards: &[Arc<ShardMetrics>],
    health: Option<&Arc<HealthStats>>,
    counts: &Counts,
) -> String {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering;
    let mut out = metrics::render(snapshot, shards, health);
    out.push_str("# HELP ringgate_config_reloads_total Config reloads, by result (ok: applied, error: refused).\n");
    out.push_str("# TYPE ringgate_config_reloads_total counter\n");
    for (result, n) in [("ok", &counts.ok), ("error", &counts.error)] {
        let _ = writeln!(
            out,
            "ringgate_config_reloads_total{{result=\"{result}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    out.push_str("# HELP ringgate_config_version The config version serving (1: the one loaded at startup).\n");
    out.push_str("# TYPE ringgate_config_version gauge\n");
    let _ = writeln!(out, "ringgate_config_version {}", snapshot.version);
    out
}

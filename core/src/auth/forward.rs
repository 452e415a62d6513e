//! Forward authentication: ask an auth service about each request.
//!
//! The proxy sends the auth service a bodiless request with the client's
//! method and, as request-target, the configured URL path followed by the
//! client's path and query (`url = "http://auth/check"` and
//! `GET /api/x?y=1` give `GET /check/api/x?y=1`; a URL path of `/` gives
//! `/api/x?y=1`), plus `X-Forwarded-Method`, `X-Forwarded-Uri`,
//! `X-Forwarded-Host`, `X-Forwarded-Proto` and `X-Forwarded-For` (as
//! Traefik's forwardAuth does) and the chosen client headers. A 2xx answer
//! lets the request through with the chosen response headers copied into
//! it; any other answer goes back to the client as the auth service sent
//! it: status, [`DENY_HEADERS`] and body (at most [`MAX_DENY_BODY`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{Granted, RouteAuth};
use crate::http1::{RequestHead, ResponseHead};

/// Response headers of a refusal that reach the client.
pub const DENY_HEADERS: [&str; 6] = [
    "www-authenticate",
    "location",
    "set-cookie",
    "content-type",
    "cache-control",
    "retry-after",
];

/// Largest body of an auth service's answer that the gateway reads.
pub const MAX_DENY_BODY: usize = 64 * 1024;

/// Idle keep-alive connections to an auth service kept per route per shard.
pub const POOL_MAX_IDLE: usize = 16;
/// How long an idle connection to an auth service is kept.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// `auth = { forward = { ... } }`, loaded.
#[derive(Debug, Clone)]
pub struct ForwardAuth {
    /// The URL as configured.
    pub url: String,
    /// The auth service's address (resolved at load time).
    pub addr: SocketAddr,
    /// `Host` of the subrequest: the URL's authority.
    pub host: String,
    /// The URL's path, without a trailing `/` (empty for `/`).
    pub path: String,
    /// Time for the whole subrequest: connect, send, response head and body.
    pub timeout: Duration,
    /// Client headers sent to the auth service (lowercase).
    pub request_headers: Vec<String>,
    /// Auth service response headers copied into the forwarded request on
    /// success (lowercase).
    pub response_headers: Vec<String>,
}

impl ForwardAuth {
    /// Appends the subrequest head for the client's `head`.
    pub fn encode_check(&self, head: &RequestHead, client_ip: IpAddr, out: &mut Vec<u8>) {
        let target = head.origin_target();
        out.reserve(256 + 2 * target.len());
        out.extend_from_slice(head.method());
        out.push(b' ');
        out.extend_from_slice(self.path.as_bytes());
        out.extend_from_slice(&target);
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(self.host.as_bytes());
        out.extend_from_slice(b"\r\nX-Forwarded-Method: ");
        out.extend_from_slice(head.method());
        out.extend_from_slice(b"\r\nX-Forwarded-Uri: ");
        out.extend_from_slice(&target);
        out.extend_from_slice(b"\r\nX-Forwarded-Proto: http\r\n");
        if let Some(host) = head.host() {
            put(out, b"X-Forwarded-Host", host);
        }
        put(out, b"X-Forwarded-For", client_ip.to_string().as_bytes());
        for (name, value) in head.headers() {
            if self
                .request_headers
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
            {
                put(out, name, value);
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The grant for a 2xx answer: the chosen response headers, copied.
    pub fn granted<'a>(&self, auth: &'a RouteAuth, resp: &ResponseHead) -> Granted<'a> {
        let mut granted = Granted::new(auth);
        for (name, value) in resp.headers() {
            if self
                .response_headers
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
            {
                if let Ok(name) = std::str::from_utf8(name) {
                    granted.add_header(name, value);
                }
            }
        }
        granted
    }
}

/// Appends the client's answer for a refusal: the auth service's status and
/// reason, its [`DENY_HEADERS`], `Content-Length` of `body` (the body not
/// written when `head_only`), `Connection: close` when `close`.
pub fn encode_denial(
    resp: &ResponseHead,
    body: &[u8],
    close: bool,
    head_only: bool,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(resp.status()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(resp.reason());
    out.extend_from_slice(b"\r\n");
    for (name, value) in resp.headers() {
        if DENY_HEADERS
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        {
            put(out, name, value);
        }
    }
    put(
        out,
        b"Content-Length",
        itoa::Buffer::new().format(body.len()).as_bytes(),
    );
    put(out, b"Via", b"1.1 ringgate");
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(body);
    }
}

fn put(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

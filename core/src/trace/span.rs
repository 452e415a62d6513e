//! The span a finished request becomes: a SERVER span named
//! `{method} {http.route}` with attributes after OpenTelemetry's HTTP
//! semantic conventions (`http.request.method`, `url.path`, `url.query`,
//! `url.scheme`, `http.response.status_code`, `http.route`,
//! `server.address`/`server.port` from `Host`, `client.address`,
//! `network.protocol.version`, `user_agent.original`) and ringgate's own
//! (`ringgate.route`, `ringgate.upstream`, `ringgate.upstream.address`,
//! `ringgate.shard`). A 5xx answer sets status ERROR and `error.type`;
//! other answers leave the status unset, as the conventions ask of a
//! server span.

use std::borrow::Cow;
use std::net::SocketAddr;

use super::context::SpanContext;
use super::otlp::{self, KeyValue};
use crate::http1::Version;

/// The attribute naming the shard that served the request.
pub const ATTRIBUTE_SHARD: &str = "ringgate.shard";

/// What a span says about one answered request.
#[derive(Debug, Clone, Copy)]
pub struct SpanRecord<'a> {
    /// The gateway's span.
    pub context: &'a SpanContext,
    /// The `tracestate` forwarded with the continued trace, if any.
    pub tracestate: Option<&'a [u8]>,
    /// When the request head was read, nanoseconds since the Unix epoch.
    pub start_unix_nanos: u64,
    /// When the answer ended.
    pub end_unix_nanos: u64,
    /// Request method.
    pub method: &'a [u8],
    /// Request-target as received.
    pub target: &'a [u8],
    /// `"http"` or `"https"`.
    pub scheme: &'a str,
    /// The client's protocol version.
    pub version: Version,
    /// The `Host` field.
    pub host: Option<&'a [u8]>,
    /// The client's address.
    pub client: SocketAddr,
    /// Status sent to the client (0: none was).
    pub status: u16,
    /// The matched route's name.
    pub route: Option<&'a str>,
    /// The matched route's path template (`http.route`).
    pub http_route: Option<&'a str>,
    /// The route's upstream.
    pub upstream: Option<&'a str>,
    /// The target that answered.
    pub upstream_addr: Option<SocketAddr>,
    /// `User-Agent` as received.
    pub user_agent: Option<&'a [u8]>,
    /// The shard that served it.
    pub shard: usize,
}

const KNOWN_METHODS: [&[u8]; 9] = [
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"CONNECT", b"OPTIONS", b"TRACE", b"PATCH",
];

impl SpanRecord<'_> {
    /// The OTLP span.
    pub fn to_span(&self) -> otlp::Span {
        let ctx = self.context;
        let known = KNOWN_METHODS.contains(&self.method);
        let method = if known {
            text(self.method)
        } else {
            "_OTHER".into()
        };
        let name = match (known, self.http_route) {
            (true, Some(route)) => format!("{method} {route}"),
            (true, None) => method.clone().into_owned(),
            (false, _) => "HTTP".to_owned(),
        };
        let mut attrs = Vec::with_capacity(16);
        attrs.push(KeyValue::string("http.request.method", method));
        if !known {
            attrs.push(KeyValue::string(
                "http.request.method_original",
                text(self.method),
            ));
        }
        let (path, query) = match self.target.iter().position(|&b| b == b'?') {
            Some(i) => (&self.target[..i], Some(&self.target[i + 1..])),
            None => (self.target, None),
        };
        attrs.push(KeyValue::string("url.path", text(path)));
        if let Some(query) = query {
            attrs.push(KeyValue::string("url.query", text(query)));
        }
        attrs.push(KeyValue::string("url.scheme", self.scheme));
        if self.status != 0 {
            attrs.push(KeyValue::int(
                "http.response.status_code",
                i64::from(self.status),
            ));
        }
        if let Some(route) = self.http_route {
            attrs.push(KeyValue::string("http.route", route));
        }
        if let Some((host, port)) = self.host.map(split_host) {
            attrs.push(KeyValue::string("server.address", text(host)));
            if let Some(port) = port {
                attrs.push(KeyValue::int("server.port", i64::from(port)));
            }
        }
        attrs.push(KeyValue::string(
            "client.address",
            self.client.ip().to_string(),
        ));
        let version = match self.version {
            Version::Http10 => "1.0",
            Version::Http11 => "1.1",
        };
        attrs.push(KeyValue::string("network.protocol.version", version));
        if let Some(ua) = self.user_agent {
            attrs.push(KeyValue::string("user_agent.original", text(ua)));
        }
        if let Some(route) = self.route {
            attrs.push(KeyValue::string("ringgate.route", route));
        }
        if let Some(upstream) = self.upstream {
            attrs.push(KeyValue::string("ringgate.upstream", upstream));
        }
        if let Some(addr) = self.upstream_addr {
            attrs.push(KeyValue::string(
                "ringgate.upstream.address",
                addr.to_string(),
            ));
        }
        attrs.push(KeyValue::int(
            ATTRIBUTE_SHARD,
            i64::try_from(self.shard).unwrap_or(i64::MAX),
        ));
        let status = (self.status >= 500).then(|| {
            attrs.push(KeyValue::string("error.type", self.status.to_string()));
            otlp::Status {
                message: String::new(),
                code: otlp::STATUS_CODE_ERROR,
            }
        });
        let trace_flags = u32::from(ctx.flags);
        let remote = if ctx.continued() {
            otlp::FLAG_IS_REMOTE
        } else {
            0
        };
        otlp::Span {
            trace_id: ctx.trace_id.to_vec(),
            span_id: ctx.span_id.to_vec(),
            trace_state: self.tracestate.map(text).unwrap_or_default().into_owned(),
            parent_span_id: ctx.parent_id.map(|p| p.to_vec()).unwrap_or_default(),
            name,
            kind: otlp::SPAN_KIND_SERVER,
            start_time_unix_nano: self.start_unix_nanos,
            end_time_unix_nano: self.end_unix_nanos.max(self.start_unix_nanos),
            attributes: attrs,
            status,
            flags: trace_flags | otlp::FLAG_HAS_IS_REMOTE | remote,
        }
    }
}

fn text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// `Host` split into host and port (`[v6]:port` keeps the brackets off).
fn split_host(host: &[u8]) -> (&[u8], Option<u16>) {
    let (name, port) = match host.iter().rposition(|&b| b == b':') {
        Some(i) if !host[i..].contains(&b']') => (&host[..i], host.get(i + 1..)),
        _ => (host, None),
    };
    let port = port
        .and_then(|p| std::str::from_utf8(p).ok())
        .and_then(|p| p.parse().ok());
    let name = name
        .strip_prefix(b"[")
        .and_then(|n| n.strip_suffix(b"]"))
        .unwrap_or(name);
    (name, port)
}

//! The validated `[server.tracing]`: W3C trace context propagation and,
//! with an `otlp_endpoint`, span export over OTLP/HTTP.

use std::time::Duration;

/// `[server.tracing]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracing {
    /// Propagate `traceparent`/`X-Request-Id` (and export); `false` turns
    /// the table off without removing it.
    pub enabled: bool,
    /// Share of new traces (no valid `traceparent` received) sampled.
    pub sample: f64,
    /// The `service.name` resource attribute of exported spans.
    pub service_name: String,
    /// Where sampled spans go; none: propagate only.
    pub export: Option<OtlpExport>,
}

/// An OTLP/HTTP (protobuf) trace endpoint and how spans are batched to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpExport {
    /// The URL as configured.
    pub endpoint: String,
    /// Host name or IP (without brackets), resolved by the exporter.
    pub host: String,
    /// TCP port (80 when the URL has none).
    pub port: u16,
    /// Request path (`/v1/traces` when the URL has none).
    pub path: String,
    /// Spans per export request; a shard hands its buffer over at this size.
    pub batch_size: usize,
    /// A shard hands over what it has at least this often.
    pub flush_interval: Duration,
    /// Batches waiting for the exporter; beyond it spans are dropped.
    pub queue: usize,
    /// Connect, write and response timeout of one export request.
    pub timeout: Duration,
}

/// `http://HOST[:PORT][/PATH]` split into host, port and path.
pub fn parse_endpoint(url: &str) -> Result<(String, u16, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("must be an http:// URL (OTLP/HTTP without TLS), got \"{url}\""))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/v1/traces"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in \"{url}\""))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['@', ' ', '?', '#']) {
        return Err(format!("no valid host in \"{url}\""));
    }
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("invalid port in \"{url}\""))?,
    };
    if path.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
        return Err(format!("invalid path in \"{url}\""));
    }
    Ok((host.to_owned(), port, path.to_owned()))
}

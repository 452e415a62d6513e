//! Writing the heads the gateway sends: upstream requests, client
//! responses and its own error responses.
//!
//! A forwarded head is the received one minus hop-by-hop fields (RFC 9110
//! section 7.6.1: `Connection`, every field `Connection` names, `Keep-Alive`,
//! `Proxy-Connection`, `TE`, `Trailer`, `Upgrade` unless the exchange is
//! upgraded) plus the gateway's own fields, appended. `Host` is never
//! dropped because `Connection` names it: routing must not be steerable by a
//! client. Framing is the gateway's own: the received `Content-Length` and
//! `Transfer-Encoding` fields are never copied; one field that says how the
//! gateway itself delimits the body it sends is written instead
//! (`Content-Length: N` with the agreed length, `Transfer-Encoding: chunked`
//! for a body the gateway re-chunks), so whatever framing quirks a message
//! arrived with, the next hop sees exactly one reading. Other values are
//! copied as received; numbers are written with `itoa`.

use std::io::Write as _;
use std::net::IpAddr;

use crate::status::reason_phrase;

use super::framing::{Facts, CONN_NAMES_OTHER};
use super::headers::{HeaderKind, HeaderSpan, HeaderTable};
use super::scan::list_contains;
use super::{BodyKind, RequestHead, ResponseHead, Version};

/// The interim response sent before reading a body the client is holding
/// back with `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

const VIA: &[u8] = b"1.1 ringgate";

/// How a request is rewritten on its way upstream.
#[derive(Debug, Clone, Copy)]
pub struct Forwarded<'a> {
    /// The request-target to send (maybe rewritten by the route).
    pub target: &'a [u8],
    /// The client's address, appended to `X-Forwarded-For`.
    pub client_ip: IpAddr,
    /// `"http"` or `"https"`, sent as `X-Forwarded-Proto`.
    pub proto: &'a str,
    /// Replace the `Host` value (or supply one for an HTTP/1.0 request).
    pub host_rewrite: Option<&'a str>,
    /// The exchange is an upgrade: keep `Upgrade`, send `Connection: upgrade`.
    pub upgrade: bool,
    /// Drop `Expect` (the gateway answered `100-continue` itself).
    pub strip_expect: bool,
    /// A generated `X-Request-Id` to add (the client sent no valid one).
    pub request_id: Option<&'a [u8]>,
    /// W3C trace context to send instead of the received one (tracing on).
    pub trace: Option<TraceHeaders<'a>>,
}

/// The gateway's W3C trace context fields for the upstream request: the
/// received `traceparent` is replaced by the gateway span's; a received
/// `tracestate` passes unchanged when the caller's trace is continued and
/// is dropped when it is not (its `traceparent` was absent or invalid).
#[derive(Debug, Clone, Copy)]
pub struct TraceHeaders<'a> {
    /// The `traceparent` value to send.
    pub traceparent: &'a [u8],
    /// Forward the received `tracestate` fields.
    pub keep_tracestate: bool,
}

/// How a response is written to the client.
#[derive(Debug, Clone, Copy)]
pub struct ResponseOptions {
    /// The client connection stays open after this response.
    pub keep_alive: bool,
    /// The client's protocol version.
    pub client_version: Version,
    /// The client is HTTP/1.0 and the body is chunked: drop
    /// `Transfer-Encoding`, the body will be sent close-delimited.
    pub dechunk: bool,
    /// The exchange is an upgrade: keep `Upgrade`, send `Connection: upgrade`.
    pub upgrade: bool,
}

/// Changes to a forwarded request head beyond [`Forwarded`]: the gateway's
/// own identity headers (authentication) replace any the client sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderEdit<'a> {
    /// Names (lowercase) of received fields not to forward.
    pub drop: &'a [String],
    /// Complete field lines (`Name: value\r\n`) to add.
    pub extra: &'a [u8],
}

/// Append the head to send upstream for `head`.
///
/// `METHOD target HTTP/1.1`, the received fields minus hop-by-hop ones and
/// `Expect` if `strip_expect`, `Host` as received unless `host_rewrite` (an
/// HTTP/1.0 request without `Host` gets the rewrite or an empty `Host`),
/// then `X-Forwarded-For` (received values, then the client address),
/// `X-Forwarded-Proto` (replacing any received), `X-Forwarded-Host` (the
/// received `Host`, unless the client sent one), `Via` (received values,
/// then `1.1 ringgate`) and `Connection: upgrade` if `upgrade`. The framing
/// field is the gateway's own (see the module docs): the proxy sends a
/// chunked body re-chunked.
pub fn encode_request(head: &RequestHead, fwd: &Forwarded<'_>, out: &mut Vec<u8>) {
    encode_request_edited(head, fwd, &HeaderEdit::default(), out);
}

/// [`encode_request`] with the received fields named in `edit.drop` left
/// out and `edit.extra` added after the received fields.
pub fn encode_request_edited(
    head: &RequestHead,
    fwd: &Forwarded<'_>,
    edit: &HeaderEdit<'_>,
    out: &mut Vec<u8>,
) {
    let raw: &[u8] = head.raw();
    out.reserve(raw.len() + fwd.target.len() + 128);
    out.extend_from_slice(head.method());
    out.push(b' ');
    out.extend_from_slice(fwd.target);
    out.extend_from_slice(b" HTTP/1.1\r\n");

    let mut host_written = false;
    let mut forwarded_host = false;
    for h in &head.headers.spans {
        let keep = match h.kind {
            HeaderKind::Upgrade => fwd.upgrade,
            HeaderKind::Expect => !fwd.strip_expect,
            HeaderKind::XForwardedFor
            | HeaderKind::XForwardedProto
            | HeaderKind::Via
            | HeaderKind::ContentLength
            | HeaderKind::TransferEncoding => false,
            HeaderKind::Host => {
                host_written = true;
                if let Some(host) = fwd.host_rewrite {
                    put_field(out, b"Host", host.as_bytes());
                    continue;
                }
                true
            }
            kind => {
                let name = h.name.get(raw);
                !kind.is_hop_by_hop() && !dropped(edit, name) && !trace_replaced(fwd, name)
            }
        };
        if keep && !named_by_connection(head.raw(), &head.headers, &head.facts, h) {
            forwarded_host |= h.kind == HeaderKind::XForwardedHost;
            put_field(out, h.name.get(raw), h.value.get(raw));
        }
    }
    if !host_written {
        put_field(
            out,
            b"Host",
            fwd.host_rewrite.unwrap_or_default().as_bytes(),
        );
    }
    out.extend_from_slice(edit.extra);
    put_framing(out, head.body(), head.facts.content_length, None);

    out.extend_from_slice(b"X-Forwarded-For: ");
    if put_list(
        out,
        raw,
        &head.headers,
        &head.facts,
        HeaderKind::XForwardedFor,
    ) {
        out.extend_from_slice(b", ");
    }
    put_ip(out, fwd.client_ip);
    out.extend_from_slice(b"\r\n");
    put_field(out, b"X-Forwarded-Proto", fwd.proto.as_bytes());
    if let (false, Some(host)) = (forwarded_host, head.host()) {
        put_field(out, b"X-Forwarded-Host", host);
    }
    put_via(out, raw, &head.headers, &head.facts);
    if let Some(id) = fwd.request_id {
        put_field(out, b"X-Request-Id", id);
    }
    if let Some(trace) = fwd.trace {
        put_field(out, b"traceparent", trace.traceparent);
    }
    if fwd.upgrade {
        out.extend_from_slice(b"Connection: upgrade\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Append the head to send to the client for `head`.
///
/// `HTTP/1.1 status reason` (the reason as the upstream sent it), the
/// received fields minus hop-by-hop ones and the framing fields, the
/// gateway's framing field (`Content-Length` with the agreed length;
/// `Transfer-Encoding: chunked` for a chunked body unless `dechunk`; a
/// close-delimited body's codings as received); then `Via` (received
/// values, then `1.1 ringgate`) and one of `Connection: upgrade` (upgrade),
/// `Connection: close` (not keep-alive) or `Connection: keep-alive`
/// (keep-alive to an HTTP/1.0 client).
pub fn encode_response(head: &ResponseHead, opts: &ResponseOptions, out: &mut Vec<u8>) {
    let raw: &[u8] = head.raw();
    out.reserve(raw.len() + 64);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(head.status()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.reason());
    out.extend_from_slice(b"\r\n");

    for h in &head.headers.spans {
        let keep = match h.kind {
            HeaderKind::Upgrade => opts.upgrade,
            HeaderKind::ContentLength | HeaderKind::TransferEncoding | HeaderKind::Via => false,
            kind => !kind.is_hop_by_hop(),
        };
        if keep && !named_by_connection(head.raw(), &head.headers, &head.facts, h) {
            put_field(out, h.name.get(raw), h.value.get(raw));
        }
    }
    let body = match head.body() {
        BodyKind::Chunked if opts.dechunk => BodyKind::CloseDelimited,
        body => body,
    };
    let codings = (head.facts.codings.present && head.body() != BodyKind::Chunked)
        .then_some((raw, &head.headers));
    put_framing(out, body, head.facts.content_length, codings);
    put_via(out, raw, &head.headers, &head.facts);
    if opts.upgrade {
        out.extend_from_slice(b"Connection: upgrade\r\n");
    } else if !opts.keep_alive {
        out.extend_from_slice(b"Connection: close\r\n");
    } else if opts.client_version == Version::Http10 {
        out.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Append a complete plain-text error response: the status line (standard
/// phrase, or `reason` for a code without one), `Content-Type`,
/// `Content-Length`, `Connection: close` if `close`, and `reason` plus a
/// newline as the body.
pub fn encode_error(status: u16, reason: &str, close: bool, out: &mut Vec<u8>) {
    encode_error_with(status, reason, b"", close, out);
}

/// [`encode_error`] with `extra` (complete `Name: value\r\n` lines, e.g. a
/// `WWW-Authenticate` challenge) in the head.
pub fn encode_error_with(status: u16, reason: &str, extra: &[u8], close: bool, out: &mut Vec<u8>) {
    encode_error_head_with(status, reason, extra, close, out);
    out.extend_from_slice(reason.as_bytes());
    out.push(b'\n');
}

/// Append a complete `204 No Content` response (the gateway's answer to a
/// CORS preflight): the status line, `extra` lines, `Connection: close` if
/// `close`, and no body.
pub fn encode_no_content(extra: &[u8], close: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 204 No Content\r\n");
    out.extend_from_slice(extra);
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Add `extra` header lines (each `Name: value\r\n`) to the head that `out`
/// ends with (just encoded: it ends in the blank line `\r\n\r\n`).
pub fn append_fields(out: &mut Vec<u8>, extra: &[u8]) {
    if extra.is_empty() || !out.ends_with(b"\r\n\r\n") {
        return;
    }
    out.truncate(out.len() - 2);
    out.extend_from_slice(extra);
    out.extend_from_slice(b"\r\n");
}

/// The same response without its body, for a HEAD request (RFC 9110
/// section 9.3.2): identical head, `Content-Length` of the body not sent.
pub fn encode_error_head(status: u16, reason: &str, close: bool, out: &mut Vec<u8>) {
    encode_error_head_with(status, reason, b"", close, out);
}

/// [`encode_error_head`] with `extra` header lines.
pub fn encode_error_head_with(
    status: u16,
    reason: &str,
    extra: &[u8],
    close: bool,
    out: &mut Vec<u8>,
) {
    let phrase = match reason_phrase(status) {
        "" => reason,
        phrase => phrase,
    };
    let mut num = itoa::Buffer::new();
    out.reserve(128 + phrase.len() + reason.len());
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(num.format(status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(phrase.as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
    out.extend_from_slice(num.format(reason.len() + 1).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(extra);
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Write the one framing field of a forwarded head. `Length` writes the
/// length, `Chunked` `Transfer-Encoding: chunked`; a bodiless message keeps
/// its agreed `Content-Length` (a POST's `0`, a HEAD response's length);
/// `codings` (the received head and its table) copies the received
/// `Transfer-Encoding` values where they describe a body the gateway does
/// not re-frame: a close-delimited body, or none (HEAD, 304).
fn put_framing(
    out: &mut Vec<u8>,
    body: BodyKind,
    length: Option<u64>,
    codings: Option<(&[u8], &HeaderTable)>,
) {
    let mut num = itoa::Buffer::new();
    match body {
        BodyKind::Length(n) => put_field(out, b"Content-Length", num.format(n).as_bytes()),
        BodyKind::Chunked => put_field(out, b"Transfer-Encoding", b"chunked"),
        BodyKind::Empty | BodyKind::CloseDelimited => {
            if let Some((raw, table)) = codings {
                for value in table.values(raw, HeaderKind::TransferEncoding) {
                    put_field(out, b"Transfer-Encoding", value);
                }
            } else if let (BodyKind::Empty, Some(n)) = (body, length) {
                put_field(out, b"Content-Length", num.format(n).as_bytes());
            }
        }
    }
}

/// Whether a received field is replaced by the gateway's trace context.
fn trace_replaced(fwd: &Forwarded<'_>, name: &[u8]) -> bool {
    fwd.trace.is_some_and(|t| {
        name.eq_ignore_ascii_case(b"traceparent")
            || (!t.keep_tracestate && name.eq_ignore_ascii_case(b"tracestate"))
    })
}

fn dropped(edit: &HeaderEdit<'_>, name: &[u8]) -> bool {
    edit.drop
        .iter()
        .any(|d| d.as_bytes().eq_ignore_ascii_case(name))
}

fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Whether `Connection` names this field, making it hop-by-hop. Framing
/// fields and `Host` are exempt (see the module docs).
fn named_by_connection(raw: &[u8], table: &HeaderTable, facts: &Facts, h: &HeaderSpan) -> bool {
    if facts.connection & CONN_NAMES_OTHER == 0
        || matches!(
            h.kind,
            HeaderKind::Host | HeaderKind::ContentLength | HeaderKind::TransferEncoding
        )
    {
        return false;
    }
    let name = h.name.get(raw);
    table
        .values(raw, HeaderKind::Connection)
        .any(|v| list_contains(v, name))
}

/// Write the forwardable values of every `kind` field joined by `, `;
/// whether anything was written.
fn put_list(
    out: &mut Vec<u8>,
    raw: &[u8],
    table: &HeaderTable,
    facts: &Facts,
    kind: HeaderKind,
) -> bool {
    let mut any = false;
    for h in table.spans.iter().filter(|h| h.kind == kind) {
        let value = h.value.get(raw);
        if value.is_empty() || named_by_connection(raw, table, facts, h) {
            continue;
        }
        if any {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(value);
        any = true;
    }
    any
}

fn put_via(out: &mut Vec<u8>, raw: &[u8], table: &HeaderTable, facts: &Facts) {
    out.extend_from_slice(b"Via: ");
    if put_list(out, raw, table, facts, HeaderKind::Via) {
        out.extend_from_slice(b", ");
    }
    out.extend_from_slice(VIA);
    out.extend_from_slice(b"\r\n");
}

fn put_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            let mut num = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(num.format(octet).as_bytes());
            }
        }
        // Writing to a Vec cannot fail.
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

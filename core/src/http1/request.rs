//! A parsed request head and the request rules of RFC 9112.
//!
//! On top of what `httparse` checks (token method, header-name tokens, no
//! space before the colon, no obs-fold, no bare CR or NUL) and the head
//! reader's line checks (no bare LF), a request is refused with 400 when:
//! an HTTP/1.1 request has no `Host` or any request has several; a
//! `Content-Length` is not plain digits or copies disagree;
//! `Transfer-Encoding` does not end in exactly `chunked` (once), comes with
//! `Content-Length`, or is sent by an HTTP/1.0 client; the request-target is
//! not origin-, asterisk- or http(s) absolute-form, or is absolute-form
//! naming another host than `Host`. Every one of these is a place where two
//! parsers could frame or route the message differently. A well-framed
//! `Transfer-Encoding` with a coding other than `chunked` (`gzip, chunked`)
//! gets 501: the gateway implements no other coding (RFC 9112 section 6.1).

use std::mem::MaybeUninit;

use bytes::Bytes;

use super::error::ParseError;
use super::framing::{index_headers, Facts, CONN_CLOSE, CONN_KEEP_ALIVE, CONN_UPGRADE};
use super::headers::{HeaderTable, Headers, Span};
use super::target::{absolute_authority, check_host, path_range, same_authority};
use super::{BodyKind, Limits, Version, MAX_HEADERS};
use std::borrow::Cow;

/// A request head: the raw bytes and where each part of them is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub(crate) raw: Bytes,
    method: Span,
    target: Span,
    /// `None` for an absolute-form target without a path: `/`.
    path: Option<Span>,
    version: Version,
    pub(crate) headers: HeaderTable,
    pub(crate) facts: Facts,
    body: BodyKind,
}

/// Parse and validate a complete request head (`raw` is set by the caller).
pub(crate) fn parse_request(head: &[u8], limits: &Limits) -> Result<RequestHead, ParseError> {
    const BAD: ParseError = ParseError::Malformed("request line");
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let fields = storage
        .get_mut(..limits.max_headers.min(MAX_HEADERS))
        .unwrap_or_default();
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(head, fields)? {
        httparse::Status::Complete(n) if n == head.len() => {}
        _ => return Err(ParseError::Malformed("head")),
    }
    let method = req.method.ok_or(BAD)?.as_bytes();
    let target = req.path.ok_or(BAD)?.as_bytes();
    let version = match req.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(ParseError::Malformed("version")),
    };
    let (headers, facts) = index_headers(head, req.headers)?;
    let target_span = Span::of(head, target);
    let path = path_range(method, target)?.map(|(start, end)| {
        let base = target_span.start as usize;
        Span::new(base + start, base + end)
    });
    if facts.host_count > 1 || (version == Version::Http11 && facts.host_count == 0) {
        return Err(ParseError::Malformed("host"));
    }
    if let Some(host) = facts.host {
        check_host(host.get(head))?;
    }
    if let Some(authority) = absolute_authority(target) {
        let host = facts.host.map(|h| h.get(head));
        if host.is_some_and(|h| !same_authority(target, authority, h)) {
            return Err(ParseError::Malformed(
                "absolute-form host differs from host",
            ));
        }
    }
    Ok(RequestHead {
        raw: Bytes::new(),
        method: Span::of(head, method),
        target: target_span,
        path,
        version,
        body: request_body(version, &facts)?,
        headers,
        facts,
    })
}

/// RFC 9112 section 6.3, as a server: refuse anything ambiguous.
fn request_body(version: Version, facts: &Facts) -> Result<BodyKind, ParseError> {
    let codings = facts.codings;
    if codings.present {
        if version == Version::Http10 {
            return Err(ParseError::Malformed("transfer-encoding in HTTP/1.0"));
        }
        if facts.content_length.is_some() {
            return Err(ParseError::Malformed(
                "transfer-encoding with content-length",
            ));
        }
        if !codings.final_chunked || codings.chunked != 1 {
            return Err(ParseError::Malformed("transfer-encoding"));
        }
        if codings.other > 0 {
            return Err(ParseError::UnsupportedCoding);
        }
        return Ok(BodyKind::Chunked);
    }
    Ok(match facts.content_length {
        None | Some(0) => BodyKind::Empty,
        Some(n) => BodyKind::Length(n),
    })
}

impl RequestHead {
    /// The method, e.g. `GET` (case-sensitive, as sent).
    pub fn method(&self) -> &[u8] {
        self.method.get(&self.raw)
    }

    /// Whether the method is `HEAD`: the response will have no body.
    pub fn is_head(&self) -> bool {
        self.method() == b"HEAD"
    }

    /// The request-target as sent.
    pub fn target(&self) -> &[u8] {
        self.target.get(&self.raw)
    }

    /// The path part of the target: without `?query` (or `#fragment`);
    /// for absolute-form the path after the authority (`/` if none);
    /// `*` for asterisk-form.
    pub fn path(&self) -> &[u8] {
        match self.path {
            Some(span) => span.get(&self.raw),
            None => b"/",
        }
    }

    /// The target in origin-form, as a gateway sends it upstream (RFC 9112
    /// section 3.2.2: to an origin server, a client sends origin-form):
    /// the target itself unless it is absolute-form, then its path and query
    /// (`http://a.example/x?y` becomes `/x?y`, `http://a.example?y` `/?y`).
    pub fn origin_target(&self) -> Cow<'_, [u8]> {
        let target = self.target();
        match self.path {
            Some(span) if span.start == self.target.start => Cow::Borrowed(target),
            Some(span) => Cow::Borrowed(
                self.raw
                    .get(span.start as usize..self.target.end as usize)
                    .unwrap_or(b"/"),
            ),
            None => {
                let query = target.iter().position(|&b| b == b'?');
                let fragment = target.iter().position(|&b| b == b'#');
                match query {
                    Some(q) => {
                        let end = fragment.filter(|&f| f > q).unwrap_or(target.len());
                        let mut owned = b"/".to_vec();
                        owned.extend_from_slice(target.get(q..end).unwrap_or_default());
                        Cow::Owned(owned)
                    }
                    None => Cow::Borrowed(b"/"),
                }
            }
        }
    }

    /// The protocol version of the request.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Every header field in order, `(name, value)` as sent.
    pub fn headers(&self) -> Headers<'_> {
        self.headers.iter(&self.raw)
    }

    /// The value of the first field named `name_lowercase`
    /// (compared ASCII case-insensitively).
    pub fn header(&self, name_lowercase: &str) -> Option<&[u8]> {
        self.headers
            .find(&self.raw, name_lowercase)
            .map(|s| s.get(&self.raw))
    }

    /// The value of every `X-Forwarded-For` field, in order (found by the
    /// kind the parser recorded: no name comparison).
    pub fn forwarded_for(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.headers
            .values(&self.raw, super::headers::HeaderKind::XForwardedFor)
    }

    /// Like [`RequestHead::header`], as a zero-copy slice of [`RequestHead::raw`].
    pub fn header_bytes(&self, name_lowercase: &str) -> Option<Bytes> {
        let span = self.headers.find(&self.raw, name_lowercase)?;
        HeaderTable::value_bytes(&self.raw, span)
    }

    /// The `Host` field (at most one is accepted), even for absolute-form.
    pub fn host(&self) -> Option<&[u8]> {
        self.facts.host.map(|s| s.get(&self.raw))
    }

    /// How the request body is framed.
    pub fn body(&self) -> BodyKind {
        self.body
    }

    /// Whether the client wants the connection kept open after this
    /// exchange: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let c = self.facts.connection;
        match self.version {
            Version::Http11 => c & CONN_CLOSE == 0,
            Version::Http10 => c & CONN_KEEP_ALIVE != 0 && c & CONN_CLOSE == 0,
        }
    }

    /// Make this the connection's last request: from now on
    /// [`RequestHead::keep_alive`] is false, so the answer carries
    /// `Connection: close` and the connection closes after it (the gateway's
    /// cap on requests per connection). Nothing forwarded changes.
    pub fn set_close(&mut self) {
        self.facts.connection |= CONN_CLOSE;
    }

    /// `Expect: 100-continue` on an HTTP/1.1 request.
    pub fn expects_continue(&self) -> bool {
        self.version == Version::Http11 && self.facts.expect_continue
    }

    /// `Connection` lists `upgrade` and an `Upgrade` field is present.
    pub fn is_upgrade(&self) -> bool {
        self.facts.connection & CONN_UPGRADE != 0 && self.facts.upgrade
    }

    /// The whole head as received, request line to blank line.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }
}

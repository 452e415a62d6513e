//! A parsed response head and how its body is delimited.
//!
//! Framing follows RFC 9112 section 6.3 as a client: responses to HEAD and
//! 1xx, 204 and 304 responses have no body; otherwise `Transfer-Encoding`
//! (chunked if `chunked` is the final coding, else the body runs to
//! connection close), then `Content-Length`, then connection close. A
//! response that could be framed two ways is refused, as a request is
//! (section 6.3 says such a message "ought to be handled as an error"; a
//! gateway that picked one reading would pass a split response on):
//! `Transfer-Encoding` together with `Content-Length`, `chunked` twice,
//! `Content-Length` copies that disagree, and `Transfer-Encoding` in an
//! HTTP/1.0 response (section 6.1: its framing is faulty). The proxy answers
//! 502 and never reuses that upstream connection.

use std::mem::MaybeUninit;

use bytes::Bytes;

use super::error::ParseError;
use super::framing::{index_headers, Facts, CONN_CLOSE, CONN_KEEP_ALIVE};
use super::headers::{HeaderTable, Headers, Span};
use super::{BodyKind, Limits, Version, MAX_HEADERS};

/// A response head: the raw bytes and where each part of them is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub(crate) raw: Bytes,
    status: u16,
    reason: Span,
    version: Version,
    pub(crate) headers: HeaderTable,
    pub(crate) facts: Facts,
    body: BodyKind,
}

/// Parse and validate a complete response head; `line_end` is the index of
/// the LF ending the status line (`raw` is set by the caller).
pub(crate) fn parse_response(
    head: &[u8],
    line_end: usize,
    limits: &Limits,
    request_was_head: bool,
) -> Result<ResponseHead, ParseError> {
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let fields = storage
        .get_mut(..limits.max_headers.min(MAX_HEADERS))
        .unwrap_or_default();
    let mut res = httparse::Response::new(&mut []);
    let config = httparse::ParserConfig::default();
    match config.parse_response_with_uninit_headers(&mut res, head, fields)? {
        httparse::Status::Complete(n) if n == head.len() => {}
        _ => return Err(ParseError::Malformed("head")),
    }
    let version = match res.version {
        Some(0) => Version::Http10,
        Some(1) => Version::Http11,
        _ => return Err(ParseError::Malformed("version")),
    };
    let status = match res.code {
        Some(code @ 100..=999) => code,
        _ => return Err(ParseError::Malformed("status")),
    };
    // httparse blanks a reason with obs-text; take it from the line as sent:
    // "HTTP/1.1 200 " is 13 bytes.
    let line = head.get(..line_end).unwrap_or_default();
    let line_len = line.strip_suffix(b"\r").unwrap_or(line).len();
    let reason = if line_len > 13 {
        Span::new(13, line_len)
    } else {
        Span::default()
    };
    let (headers, facts) = index_headers(head, res.headers)?;
    Ok(ResponseHead {
        raw: Bytes::new(),
        status,
        reason,
        version,
        body: response_body(status, version, &facts, request_was_head)?,
        headers,
        facts,
    })
}

fn response_body(
    status: u16,
    version: Version,
    facts: &Facts,
    request_was_head: bool,
) -> Result<BodyKind, ParseError> {
    // Ambiguous framing is refused even where no body follows: the head is
    // forwarded and must not carry two readings either.
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
        if codings.chunked > 1 {
            return Err(ParseError::Malformed("transfer-encoding"));
        }
    }
    if request_was_head || (100..200).contains(&status) || status == 204 || status == 304 {
        return Ok(BodyKind::Empty);
    }
    if codings.present {
        return Ok(if codings.final_chunked {
            BodyKind::Chunked
        } else {
            BodyKind::CloseDelimited
        });
    }
    Ok(match facts.content_length {
        Some(0) => BodyKind::Empty,
        Some(n) => BodyKind::Length(n),
        None => BodyKind::CloseDelimited,
    })
}

impl ResponseHead {
    /// The status code (100 to 999).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase as the upstream sent it (may be empty).
    pub fn reason(&self) -> &[u8] {
        self.reason.get(&self.raw)
    }

    /// The protocol version of the response.
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

    /// Like [`ResponseHead::header`], as a zero-copy slice of [`ResponseHead::raw`].
    pub fn header_bytes(&self, name_lowercase: &str) -> Option<Bytes> {
        let span = self.headers.find(&self.raw, name_lowercase)?;
        HeaderTable::value_bytes(&self.raw, span)
    }

    /// How the response body is framed.
    pub fn body(&self) -> BodyKind {
        self.body
    }

    /// Whether the upstream connection can carry another request once this
    /// response (and its body) is done: not for close-delimited bodies or
    /// 101; HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        if self.body == BodyKind::CloseDelimited || self.status == 101 {
            return false;
        }
        let c = self.facts.connection;
        match self.version {
            Version::Http11 => c & CONN_CLOSE == 0,
            Version::Http10 => c & CONN_KEEP_ALIVE != 0 && c & CONN_CLOSE == 0,
        }
    }

    /// An interim 1xx response other than 101: the final one follows.
    pub fn is_informational(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }

    /// 101 Switching Protocols: the connection becomes a tunnel.
    pub fn is_switching_protocols(&self) -> bool {
        self.status == 101
    }

    /// The whole head as received, status line to blank line.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }
}

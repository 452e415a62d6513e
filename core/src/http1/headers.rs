//! Header fields stored as offsets into a head's bytes.
//!
//! A parsed head keeps one `Vec` of [`HeaderSpan`]s (allocated once, sized
//! to the field count) instead of owned names and values. Each span also
//! records the field's [`HeaderKind`], classified once while parsing, so
//! framing checks and the hop-by-hop filter of the encoder never compare
//! names again.

use std::ops::Range;

use bytes::Bytes;

/// A byte range of a head, `u32` to keep spans small.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    /// The span of `part` inside `base`, which `part` must have been sliced
    /// from; anything else (an empty slice from elsewhere) is an empty span.
    pub(crate) fn of(base: &[u8], part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
        match start.checked_add(part.len()) {
            Some(end) if end <= base.len() => Span::new(start, end),
            _ => Span::default(),
        }
    }

    /// A span from `usize` bounds; heads are shorter than `u32::MAX`.
    pub(crate) fn new(start: usize, end: usize) -> Span {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) if start <= end => Span { start, end },
            _ => Span::default(),
        }
    }

    pub(crate) fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The bytes of this span in `raw` (empty if out of range).
    pub(crate) fn get(self, raw: &[u8]) -> &[u8] {
        raw.get(self.range()).unwrap_or_default()
    }
}

/// Header names the codec acts on; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderKind {
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
    ProxyConnection,
    Te,
    Trailer,
    Upgrade,
    Expect,
    XForwardedFor,
    XForwardedProto,
    XForwardedHost,
    Via,
}

impl HeaderKind {
    /// Classifies a header name, ASCII case-insensitively.
    pub(crate) fn of(name: &[u8]) -> HeaderKind {
        let candidates: &[(&[u8], HeaderKind)] = match name.len() {
            2 => &[(b"te", HeaderKind::Te)],
            3 => &[(b"via", HeaderKind::Via)],
            4 => &[(b"host", HeaderKind::Host)],
            6 => &[(b"expect", HeaderKind::Expect)],
            7 => &[
                (b"upgrade", HeaderKind::Upgrade),
                (b"trailer", HeaderKind::Trailer),
            ],
            10 => &[
                (b"connection", HeaderKind::Connection),
                (b"keep-alive", HeaderKind::KeepAlive),
            ],
            14 => &[(b"content-length", HeaderKind::ContentLength)],
            15 => &[(b"x-forwarded-for", HeaderKind::XForwardedFor)],
            16 => &[
                (b"proxy-connection", HeaderKind::ProxyConnection),
                (b"x-forwarded-host", HeaderKind::XForwardedHost),
            ],
            17 => &[
                (b"transfer-encoding", HeaderKind::TransferEncoding),
                (b"x-forwarded-proto", HeaderKind::XForwardedProto),
            ],
            _ => &[],
        };
        candidates
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or(HeaderKind::Other, |&(_, k)| k)
    }

    /// Hop-by-hop fields (RFC 9110 section 7.6.1) that are never forwarded
    /// as received; `Upgrade` is decided by the caller.
    pub(crate) fn is_hop_by_hop(self) -> bool {
        matches!(
            self,
            HeaderKind::Connection
                | HeaderKind::KeepAlive
                | HeaderKind::ProxyConnection
                | HeaderKind::Te
                | HeaderKind::Trailer
        )
    }
}

/// One header field: where its name and value are, and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderSpan {
    pub(crate) name: Span,
    pub(crate) value: Span,
    pub(crate) kind: HeaderKind,
}

/// The fields of a head, in order, as spans over its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct HeaderTable {
    pub(crate) spans: Vec<HeaderSpan>,
}

impl HeaderTable {
    pub(crate) fn iter<'a>(&'a self, raw: &'a [u8]) -> Headers<'a> {
        Headers {
            raw,
            spans: self.spans.iter(),
        }
    }

    /// The first field named `name` (ASCII case-insensitive).
    pub(crate) fn find(&self, raw: &[u8], name: &str) -> Option<Span> {
        let name = name.as_bytes();
        self.spans
            .iter()
            .find(|h| h.name.get(raw).eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    pub(crate) fn value_bytes(raw: &Bytes, span: Span) -> Option<Bytes> {
        raw.get(span.range()).map(|_| raw.slice(span.range()))
    }

    /// The values of every field of `kind`, in order.
    pub(crate) fn values<'a>(
        &'a self,
        raw: &'a [u8],
        kind: HeaderKind,
    ) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.spans
            .iter()
            .filter(move |h| h.kind == kind)
            .map(move |h| h.value.get(raw))
    }
}

/// Iterator over a head's fields as `(name, value)`, both as sent
/// (the value without surrounding whitespace).
#[derive(Debug, Clone)]
pub struct Headers<'a> {
    raw: &'a [u8],
    spans: std::slice::Iter<'a, HeaderSpan>,
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        self.spans
            .next()
            .map(|h| (h.name.get(self.raw), h.value.get(self.raw)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl ExactSizeIterator for Headers<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_case_insensitive() {
        let table = [
            ("TE", HeaderKind::Te),
            ("Via", HeaderKind::Via),
            ("HOST", HeaderKind::Host),
            ("Expect", HeaderKind::Expect),
            ("upgrade", HeaderKind::Upgrade),
            ("Trailer", HeaderKind::Trailer),
            ("Connection", HeaderKind::Connection),
            ("Keep-Alive", HeaderKind::KeepAlive),
            ("Content-Length", HeaderKind::ContentLength),
            ("X-Forwarded-For", HeaderKind::XForwardedFor),
            ("Proxy-Connection", HeaderKind::ProxyConnection),
            ("X-Forwarded-Host", HeaderKind::XForwardedHost),
            ("Transfer-Encoding", HeaderKind::TransferEncoding),
            ("X-Forwarded-Proto", HeaderKind::XForwardedProto),
            ("Hosts", HeaderKind::Other),
            ("Content-Lengthy", HeaderKind::Other),
            ("", HeaderKind::Other),
        ];
        for (name, kind) in table {
            assert_eq!(HeaderKind::of(name.as_bytes()), kind, "{name}");
        }
    }

    #[test]
    fn span_of_foreign_slice_is_empty() {
        let base = b"hello";
        assert_eq!(Span::of(base, &base[1..3]).range(), 1..3);
        assert_eq!(Span::of(base, &base[5..]).range(), 5..5);
        assert_eq!(Span::of(base, b"elsewhere-entirely"), Span::default());
    }
}

//! One pass over the parsed fields: record their spans and the facts that
//! decide framing and connection handling (RFC 9112 sections 6 and 9).
//!
//! `Content-Length` and `Transfer-Encoding` are validated here, strictly,
//! because a proxy and its upstream disagreeing on where a body ends is
//! request smuggling: a length must be digits only and every copy must agree;
//! transfer codings are tokens and `chunked` may appear at most once. What a
//! request or a response then does with these facts lives next to each head.

use super::error::ParseError;
use super::headers::{HeaderKind, HeaderSpan, HeaderTable, Span};
use super::scan::{list_elements, trim_ows};

/// `Connection: close`.
pub(crate) const CONN_CLOSE: u8 = 1;
/// `Connection: keep-alive`.
pub(crate) const CONN_KEEP_ALIVE: u8 = 2;
/// `Connection: upgrade`.
pub(crate) const CONN_UPGRADE: u8 = 4;
/// `Connection` names some other field, which is then hop-by-hop too.
pub(crate) const CONN_NAMES_OTHER: u8 = 8;

/// What the `Transfer-Encoding` fields say, if there are any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Codings {
    /// At least one `Transfer-Encoding` field was present.
    pub(crate) present: bool,
    /// The final coding is exactly `chunked`.
    pub(crate) final_chunked: bool,
    /// How many times `chunked` appears.
    pub(crate) chunked: u32,
    /// How many codings other than `chunked` appear (`gzip`, `x-custom`, ...).
    pub(crate) other: u32,
}

/// Framing and connection facts gathered from the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Facts {
    /// The value of the first `Host` field.
    pub(crate) host: Option<Span>,
    /// How many `Host` fields there are.
    pub(crate) host_count: u32,
    /// The agreed `Content-Length`, if any copy was present.
    pub(crate) content_length: Option<u64>,
    pub(crate) codings: Codings,
    /// `CONN_*` bits.
    pub(crate) connection: u8,
    /// An `Upgrade` field is present.
    pub(crate) upgrade: bool,
    /// `Expect: 100-continue`.
    pub(crate) expect_continue: bool,
}

/// Record the spans of `parsed` (sliced from `base`) and gather the facts.
pub(crate) fn index_headers(
    base: &[u8],
    parsed: &[httparse::Header<'_>],
) -> Result<(HeaderTable, Facts), ParseError> {
    let mut spans = Vec::with_capacity(parsed.len());
    let mut facts = Facts::default();
    for h in parsed {
        let name = h.name.as_bytes();
        let kind = HeaderKind::of(name);
        let value = Span::of(base, h.value);
        spans.push(HeaderSpan {
            name: Span::of(base, name),
            value,
            kind,
        });
        match kind {
            HeaderKind::Host => {
                facts.host_count += 1;
                facts.host.get_or_insert(value);
            }
            HeaderKind::ContentLength => {
                let n = parse_content_length(h.value)?;
                if facts.content_length.is_some_and(|m| m != n) {
                    return Err(ParseError::Malformed("content-length"));
                }
                facts.content_length = Some(n);
            }
            HeaderKind::TransferEncoding => add_codings(&mut facts.codings, h.value)?,
            HeaderKind::Connection => facts.connection |= connection_bits(h.value),
            HeaderKind::Upgrade => facts.upgrade = true,
            HeaderKind::Expect => {
                facts.expect_continue |= trim_ows(h.value).eq_ignore_ascii_case(b"100-continue");
            }
            _ => {}
        }
    }
    Ok((HeaderTable { spans }, facts))
}

/// A `Content-Length` value: `1*DIGIT`, or a list of equal ones
/// (RFC 9110 section 8.6); no sign, no empty element, fits a `u64`.
pub(crate) fn parse_content_length(value: &[u8]) -> Result<u64, ParseError> {
    const BAD: ParseError = ParseError::Malformed("content-length");
    let mut agreed = None;
    for element in list_elements(value) {
        if element.is_empty() {
            return Err(BAD);
        }
        let mut n: u64 = 0;
        for &b in element {
            if !b.is_ascii_digit() {
                return Err(BAD);
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(BAD)?;
        }
        if agreed.is_some_and(|m| m != n) {
            return Err(BAD);
        }
        agreed = Some(n);
    }
    agreed.ok_or(BAD)
}

/// Fold one `Transfer-Encoding` value into `codings`. Codings are tokens
/// (parameters make a coding other than `chunked`); empty elements are refused.
fn add_codings(codings: &mut Codings, value: &[u8]) -> Result<(), ParseError> {
    codings.present = true;
    for element in list_elements(value) {
        if element.is_empty() {
            return Err(ParseError::Malformed("transfer-encoding"));
        }
        let chunked = element.eq_ignore_ascii_case(b"chunked");
        codings.chunked += u32::from(chunked);
        codings.other += u32::from(!chunked);
        codings.final_chunked = chunked;
    }
    Ok(())
}

fn connection_bits(value: &[u8]) -> u8 {
    let mut bits = 0;
    for token in list_elements(value) {
        bits |= if token.eq_ignore_ascii_case(b"close") {
            CONN_CLOSE
        } else if token.eq_ignore_ascii_case(b"keep-alive") {
            CONN_KEEP_ALIVE
        } else if token.eq_ignore_ascii_case(b"upgrade") {
            CONN_UPGRADE
        } else if token.is_empty() {
            0
        } else {
            CONN_NAMES_OTHER
        };
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_values() {
        let table: &[(&[u8], Option<u64>)] = &[
            (b"0", Some(0)),
            (b"42", Some(42)),
            (b"007", Some(7)),
            (b"5, 5", Some(5)),
            (b"5,5 ,5", Some(5)),
            (b"18446744073709551615", Some(u64::MAX)),
            (b"18446744073709551616", None),
            (b"", None),
            (b"+5", None),
            (b"-5", None),
            (b"5, 6", None),
            (b"5,", None),
            (b"5 5", None),
            (b"0x10", None),
            (b"1e3", None),
        ];
        for &(value, want) in table {
            assert_eq!(
                parse_content_length(value).ok(),
                want,
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
    }

    /// Field values, then (final coding is chunked, times chunked appears).
    type CodingCase = (&'static [&'static [u8]], Option<(bool, u32)>);

    #[test]
    fn coding_lists() {
        let table: &[CodingCase] = &[
            (&[b"chunked"], Some((true, 1))),
            (&[b"CHUNKED"], Some((true, 1))),
            (&[b"gzip, chunked"], Some((true, 1))),
            (&[b"gzip", b"chunked"], Some((true, 1))),
            (&[b"chunked", b"gzip"], Some((false, 1))),
            (&[b"chunked, identity"], Some((false, 1))),
            (&[b"xchunked"], Some((false, 0))),
            (&[b"chunked;x=1"], Some((false, 0))),
            (&[b"chunked, chunked"], Some((true, 2))),
            (&[b""], None),
            (&[b"gzip,,chunked"], None),
        ];
        for &(values, want) in table {
            let mut c = Codings::default();
            let got = values
                .iter()
                .try_for_each(|v| add_codings(&mut c, v))
                .map(|()| (c.final_chunked, c.chunked));
            assert_eq!(got.ok(), want, "{values:?}");
        }
    }

    #[test]
    fn connection_tokens() {
        assert_eq!(connection_bits(b"close"), CONN_CLOSE);
        assert_eq!(connection_bits(b"Keep-Alive"), CONN_KEEP_ALIVE);
        assert_eq!(
            connection_bits(b"keep-alive, Upgrade"),
            CONN_KEEP_ALIVE | CONN_UPGRADE
        );
        assert_eq!(
            connection_bits(b"close, X-Secret"),
            CONN_CLOSE | CONN_NAMES_OTHER
        );
        assert_eq!(connection_bits(b" , "), 0);
    }
}

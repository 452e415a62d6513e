//! Why a head was refused, and which status that earns.
//!
//! Requests and responses share this error; the proxy answers a bad request
//! with [`ParseError::failure`] and maps any bad response to
//! `Failure::UpstreamBadResponse` itself.

use crate::status::Failure;

/// A head that cannot be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The head breaks the grammar or the framing rules; names the part (400).
    #[error("malformed message head: {0}")]
    Malformed(&'static str),
    /// No complete head within `max_header_bytes` (431).
    #[error("message head larger than the limit")]
    HeadTooLarge,
    /// More header fields than `max_headers` (431).
    #[error("too many header fields")]
    TooManyHeaders,
    /// The request-target is longer than `max_uri_bytes` (414).
    #[error("request-target longer than the limit")]
    UriTooLong,
    /// A request uses a transfer coding other than `chunked`, which the
    /// gateway does not implement (501, RFC 9112 section 6.1).
    #[error("transfer coding not implemented")]
    UnsupportedCoding,
}

impl ParseError {
    /// The failure a client sees for a request refused with this error.
    pub fn failure(&self) -> Failure {
        match self {
            ParseError::Malformed(_) => Failure::BadRequest,
            ParseError::HeadTooLarge | ParseError::TooManyHeaders => Failure::HeadersTooLarge,
            ParseError::UriTooLong => Failure::UriTooLong,
            ParseError::UnsupportedCoding => Failure::NotImplemented,
        }
    }
}

impl From<httparse::Error> for ParseError {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::HeaderName => ParseError::Malformed("header name"),
            httparse::Error::HeaderValue => ParseError::Malformed("header value"),
            httparse::Error::NewLine => ParseError::Malformed("line ending"),
            httparse::Error::Status => ParseError::Malformed("status line"),
            httparse::Error::Token => ParseError::Malformed("request line"),
            httparse::Error::TooManyHeaders => ParseError::TooManyHeaders,
            httparse::Error::Version => ParseError::Malformed("version"),
        }
    }
}

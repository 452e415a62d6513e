//! The HTTP/1.1 codec: heads in, heads out, bodies framed; no I/O.
//!
//! A connection owns one `BytesMut` read buffer. [`HeadReader`] looks for the
//! end of a head in that buffer incrementally (each byte is searched once, no
//! matter how many reads the head arrives in), then lets `httparse` parse it
//! once and splits the head off the front of the buffer as frozen [`Bytes`]:
//! [`RequestHead`] and [`ResponseHead`] keep only offsets into it, so reading
//! a header is a slice, never an allocation. The head's framing (RFC 9112
//! section 6) is decided while parsing and reported as a [`BodyKind`];
//! requests that could be framed two ways (the smuggling cases) are refused.
//! Chunked bodies are walked by [`ChunkedDecoder`]; heads to forward are
//! written by [`encode_request`] and [`encode_response`].
//!
//! [`Bytes`]: bytes::Bytes

mod chunked;
mod encode;
mod error;
mod framing;
mod headers;
mod reader;
mod request;
mod response;
mod scan;
mod target;

#[cfg(test)]
mod tests;

pub use chunked::{ChunkedDecoder, ChunkedError, Decoded, MAX_EXTENSION_BYTES, MAX_TRAILER_BYTES};
pub use encode::{
    append_fields, encode_error, encode_error_head, encode_error_head_with, encode_error_with,
    encode_no_content, encode_request, encode_request_edited, encode_response, Forwarded,
    HeaderEdit, ResponseOptions, TraceHeaders, CONTINUE,
};
pub use error::ParseError;
pub use headers::Headers;
pub use reader::HeadReader;
pub use request::RequestHead;
pub use response::ResponseHead;

/// The most header fields a head may carry, whatever [`Limits::max_headers`]
/// says: `httparse` fills a stack array of this size.
pub const MAX_HEADERS: usize = 256;

/// Size limits applied while reading a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The whole head (start line, fields, blank line) in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// Header fields per head, at most [`MAX_HEADERS`] (431 beyond).
    pub max_headers: usize,
    /// The request-target in bytes (414 beyond).
    pub max_uri_bytes: usize,
}

impl Default for Limits {
    /// 16 KiB of head, 100 fields, 8 KiB of request-target.
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            max_uri_bytes: 8 * 1024,
        }
    }
}

/// The protocol version of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// HTTP/1.0: no keep-alive unless asked for, no chunked encoding.
    Http10,
    /// HTTP/1.1.
    Http11,
}

impl Version {
    /// The version as it appears on the wire, `HTTP/1.0` or `HTTP/1.1`.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Version::Http10 => b"HTTP/1.0",
            Version::Http11 => b"HTTP/1.1",
        }
    }
}

/// How the body after a head is delimited (RFC 9112 section 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// No body follows (no framing header, `Content-Length: 0`, or a
    /// response that never has one: to HEAD, 1xx, 204, 304).
    Empty,
    /// Exactly this many bytes follow (never 0: that is [`BodyKind::Empty`]).
    Length(u64),
    /// A chunked body follows; walk it with [`ChunkedDecoder`].
    Chunked,
    /// Responses only: the body runs until the upstream closes the connection.
    CloseDelimited,
}

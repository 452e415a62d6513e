//! Collecting a small response body into memory, with a size cap: the auth
//! service's answer and a JWKS document. Fed from a connection buffer as
//! bytes arrive; framing as the response head said (RFC 9112 section 6.3).

use bytes::{Buf, BytesMut};

use crate::http1::{BodyKind, ChunkedDecoder};

/// Why a body could not be collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Longer than the cap.
    #[error("body larger than the limit")]
    TooLarge,
    /// Bad chunked framing.
    #[error("invalid chunked framing")]
    Framing,
    /// The connection ended before the body did.
    #[error("connection closed mid-body")]
    Truncated,
}

/// Collects one body; see the module docs.
#[derive(Debug)]
pub struct Collector {
    kind: BodyKind,
    limit: usize,
    /// Bytes still expected for a Content-Length body.
    remaining: u64,
    chunked: ChunkedDecoder,
    body: Vec<u8>,
}

impl Collector {
    /// A collector for a body framed as `kind`, refusing more than `limit` bytes.
    pub fn new(kind: BodyKind, limit: usize) -> Collector {
        let remaining = match kind {
            BodyKind::Length(n) => n,
            _ => 0,
        };
        Collector {
            kind,
            limit,
            remaining,
            chunked: ChunkedDecoder::default(),
            body: Vec::new(),
        }
    }

    /// Takes what belongs to the body from the front of `buf`; returns
    /// whether the body is complete (bytes after it stay in `buf`).
    pub fn feed(&mut self, buf: &mut BytesMut) -> Result<bool, BodyError> {
        match self.kind {
            BodyKind::Empty => Ok(true),
            BodyKind::Length(n) => {
                if n > self.limit as u64 {
                    return Err(BodyError::TooLarge);
                }
                let take = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(buf.len());
                self.body
                    .extend_from_slice(buf.get(..take).unwrap_or_default());
                buf.advance(take);
                self.remaining -= take as u64;
                Ok(self.remaining == 0)
            }
            BodyKind::Chunked => loop {
                let decoded = self.chunked.decode(buf).map_err(|_| BodyError::Framing)?;
                let data = buf.get(decoded.data.clone()).unwrap_or_default();
                if self.body.len() + data.len() > self.limit {
                    return Err(BodyError::TooLarge);
                }
                self.body.extend_from_slice(data);
                buf.advance(decoded.consumed);
                if decoded.done {
                    return Ok(true);
                }
                if decoded.consumed == 0 {
                    return Ok(false);
                }
            },
            BodyKind::CloseDelimited => {
                if self.body.len() + buf.len() > self.limit {
                    return Err(BodyError::TooLarge);
                }
                self.body.extend_from_slice(buf);
                buf.clear();
                Ok(false)
            }
        }
    }

    /// The connection closed: the body if that ends it, else an error.
    pub fn finish_at_eof(self) -> Result<Vec<u8>, BodyError> {
        match self.kind {
            BodyKind::CloseDelimited | BodyKind::Empty => Ok(self.body),
            BodyKind::Length(_) if self.remaining == 0 => Ok(self.body),
            BodyKind::Chunked if self.chunked.is_done() => Ok(self.body),
            _ => Err(BodyError::Truncated),
        }
    }

    /// The collected body (call once `feed` said it is complete).
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }
}

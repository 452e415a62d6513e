//! Reading responses off a connection buffer with the shared codec.
//!
//! [`ResponseReader`] walks one response at a time: the head through
//! `ringgate_core::http1::HeadReader` (split off the buffer), then the body
//! by its framing — Content-Length bytes skipped, chunked bodies walked with
//! `ChunkedDecoder`, close-delimited bodies drained until EOF. Bodies are
//! never copied: consumed bytes are advanced past in place. Interim 1xx
//! responses are skipped. No I/O happens here.

use bytes::{Buf, BytesMut};
use ringgate_core::http1::{BodyKind, ChunkedDecoder, HeadReader, Limits};

/// A complete response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    /// Status code.
    pub status: u16,
    /// Whether the connection may carry another request.
    pub keep_alive: bool,
}

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The head is not valid HTTP/1.x.
    #[error("bad response head: {0}")]
    Head(#[from] ringgate_core::http1::ParseError),
    /// The chunked framing is broken.
    #[error("bad chunked body: {0}")]
    Chunked(#[from] ringgate_core::http1::ChunkedError),
}

/// What an end of stream means for the response being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eof {
    /// A close-delimited body ended: the response is complete.
    Complete(Done),
    /// No byte of the response had arrived.
    Nothing,
    /// The response was cut short.
    Truncated,
}

#[derive(Debug)]
enum Body {
    Head,
    Length(u64),
    Chunked(ChunkedDecoder),
    UntilClose,
}

/// Reads consecutive responses on one connection.
#[derive(Debug)]
pub struct ResponseReader {
    head: HeadReader,
    body: Body,
    limits: Limits,
    done: Done,
}

impl Default for ResponseReader {
    fn default() -> Self {
        ResponseReader {
            head: HeadReader::default(),
            body: Body::Head,
            limits: Limits::default(),
            done: Done {
                status: 0,
                keep_alive: true,
            },
        }
    }
}

impl ResponseReader {
    /// Start over (a new connection).
    pub fn reset(&mut self) {
        self.head.reset();
        self.body = Body::Head;
    }

    /// Read as much of the next response from `buf` as is there: `Ok(Some)`
    /// once it is complete (its bytes are consumed; what follows stays in
    /// `buf`), `Ok(None)` when more bytes are needed.
    pub fn poll(
        &mut self,
        buf: &mut BytesMut,
        request_was_head: bool,
    ) -> Result<Option<Done>, ProtocolError> {
        loop {
            match &mut self.body {
                Body::Head => {
                    let Some(head) =
                        self.head
                            .read_response(buf, &self.limits, request_was_head)?
                    else {
                        return Ok(None);
                    };
                    if head.is_informational() {
                        continue;
                    }
                    self.done = Done {
                        status: head.status(),
                        keep_alive: head.keep_alive(),
                    };
                    match head.body() {
                        BodyKind::Empty => return Ok(Some(self.done)),
                        BodyKind::Length(n) => self.body = Body::Length(n),
                        BodyKind::Chunked => self.body = Body::Chunked(ChunkedDecoder::default()),
                        BodyKind::CloseDelimited => self.body = Body::UntilClose,
                    }
                }
                Body::Length(left) => {
                    let take = usize::try_from(*left).map_or(buf.len(), |l| l.min(buf.len()));
                    buf.advance(take);
                    *left -= take as u64;
                    if *left > 0 {
                        return Ok(None);
                    }
                    self.body = Body::Head;
                    return Ok(Some(self.done));
                }
                Body::Chunked(dec) => loop {
                    let d = dec.decode(buf)?;
                    buf.advance(d.consumed);
                    if d.done {
                        self.body = Body::Head;
                        return Ok(Some(self.done));
                    }
                    if d.consumed == 0 {
                        return Ok(None);
                    }
                },
                Body::UntilClose => {
                    buf.clear();
                    return Ok(None);
                }
            }
        }
    }

    /// The peer closed the connection; `buf` holds what was left unparsed.
    pub fn eof(&mut self, buf: &BytesMut) -> Eof {
        let body = std::mem::replace(&mut self.body, Body::Head);
        self.head.reset();
        match body {
            Body::UntilClose => Eof::Complete(Done {
                keep_alive: false,
                ..self.done
            }),
            Body::Head if buf.is_empty() => Eof::Nothing,
            _ => Eof::Truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIPELINE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
        HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello\
        HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n\
        HTTP/1.1 204 No Content\r\n\r\n\
        HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno";

    fn want() -> Vec<Done> {
        let d = |status, keep_alive| Done { status, keep_alive };
        vec![d(200, true), d(404, true), d(204, true), d(503, false)]
    }

    /// Feed `input` in pieces of the given sizes; collect responses.
    fn feed(input: &[u8], cut: impl Fn(usize) -> usize) -> Vec<Done> {
        let mut r = ResponseReader::default();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut at = 0;
        while at < input.len() {
            let n = cut(at).max(1).min(input.len() - at);
            buf.extend_from_slice(&input[at..at + n]);
            at += n;
            while let Some(d) = r.poll(&mut buf, false).unwrap() {
                out.push(d);
            }
        }
        assert!(buf.is_empty());
        out
    }

    #[test]
    fn pipelined_responses_split_at_every_byte() {
        assert_eq!(feed(PIPELINE, |_| PIPELINE.len()), want());
        assert_eq!(feed(PIPELINE, |_| 1), want());
        for split in 1..PIPELINE.len() {
            let got = feed(PIPELINE, |at| if at == 0 { split } else { PIPELINE.len() });
            assert_eq!(got, want(), "split at {split}");
        }
    }

    #[test]
    fn head_requests_have_no_body() {
        let mut r = ResponseReader::default();
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 200 OK\r\n"[..],
        );
        assert_eq!(r.poll(&mut buf, true).unwrap().map(|d| d.status), Some(200));
        assert_eq!(r.poll(&mut buf, true).unwrap(), None);
        assert_eq!(&buf[..], b"HTTP/1.1 200 OK\r\n");
    }

    #[test]
    fn end_of_stream() {
        let mut r = ResponseReader::default();
        let mut buf = BytesMut::from(&b"HTTP/1.0 200 OK\r\n\r\nbody until close"[..]);
        assert_eq!(r.poll(&mut buf, false).unwrap(), None);
        assert_eq!(
            r.eof(&buf),
            Eof::Complete(Done {
                status: 200,
                keep_alive: false
            })
        );
        let empty = BytesMut::new();
        assert_eq!(r.eof(&empty), Eof::Nothing);
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"[..]);
        assert_eq!(r.poll(&mut buf, false).unwrap(), None);
        assert_eq!(r.eof(&buf), Eof::Truncated);
        let partial = BytesMut::from(&b"HTTP/1.1 2"[..]);
        assert_eq!(r.eof(&partial), Eof::Truncated);
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        let mut r = ResponseReader::default();
        let mut buf = BytesMut::from(&b"SSH-2.0-OpenSSH\r\n\r\n"[..]);
        assert!(r.poll(&mut buf, false).is_err());
        let mut r = ResponseReader::default();
        let mut buf =
            BytesMut::from(&b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..]);
        assert!(matches!(
            r.poll(&mut buf, false),
            Err(ProtocolError::Chunked(_))
        ));
    }
}

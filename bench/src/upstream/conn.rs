//! One client connection: read, parse every complete request in the
//! buffer, skip request bodies, queue the answers, write them in one go.
//!
//! The connection owns one `BytesMut` read buffer and one `Vec<u8>` of
//! answers, both reused for its whole life, so a request costs no
//! allocation: the head is split off the buffer (a refcount, no copy) and
//! dropped at once, the answer is a copy of pre-rendered bytes. Pipelined
//! requests are answered in order; all answers that are ready when the
//! buffer runs dry go out in a single write. A request with a body is
//! answered once its body has been read (and discarded), as an application
//! would; `Expect: 100-continue` gets its interim response first.
//! Malformed requests get the codec's error status and the connection
//! closes.

use std::io;

use bytes::{Buf, BytesMut};
use monoio::io::AsyncWriteRentExt;
use monoio::net::TcpStream;
use ringgate_core::http1::{
    encode_error, BodyKind, ChunkedDecoder, HeadReader, Limits, RequestHead, Version, CONTINUE,
};

use super::pace::Pacer;
use super::response::{Persist, Responses};

/// Read buffer size; also how much it grows when it runs short.
const READ_CHUNK: usize = 64 * 1024;
/// Answers at least this large go out as shared `Bytes` instead of being
/// copied into the answer buffer.
const DIRECT_WRITE: usize = 16 * 1024;

/// What the connections of one thread share.
#[derive(Debug)]
pub struct Shard {
    /// The rendered response.
    pub responses: Responses,
    /// Delay and stall.
    pub pacer: Pacer,
}

/// The answer owed to a request, decided from its head.
#[derive(Debug, Clone, Copy)]
struct Owed {
    persist: Persist,
    head_only: bool,
}

impl Owed {
    fn for_request(head: &RequestHead) -> Owed {
        let persist = match (head.keep_alive(), head.version()) {
            (false, _) => Persist::Close,
            (true, Version::Http10) => Persist::KeepAlive10,
            (true, Version::Http11) => Persist::KeepAlive,
        };
        Owed {
            persist,
            head_only: head.is_head(),
        }
    }
}

/// Where the connection is in the request stream.
#[derive(Debug)]
enum State {
    /// Waiting for (the rest of) a request head.
    Head,
    /// Skipping a Content-Length body.
    Length { remaining: u64, owed: Owed },
    /// Skipping a chunked body.
    Chunked { decoder: ChunkedDecoder, owed: Owed },
}

/// Whether to keep reading after the buffered requests are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Read,
    Close,
}

struct Conn<'a> {
    stream: TcpStream,
    buf: BytesMut,
    out: Vec<u8>,
    reader: HeadReader,
    state: State,
    limits: Limits,
    shard: &'a Shard,
}

/// Serve one connection until the client closes it, asks to close, or
/// sends something malformed. I/O errors just end the connection.
pub async fn serve(stream: TcpStream, shard: &Shard) {
    let mut conn = Conn {
        stream,
        buf: BytesMut::with_capacity(READ_CHUNK),
        out: Vec::with_capacity(4 * 1024),
        reader: HeadReader::default(),
        state: State::Head,
        limits: Limits::default(),
        shard,
    };
    let _ = conn.run().await;
}

impl Conn<'_> {
    async fn run(&mut self) -> io::Result<()> {
        loop {
            let next = self.handle_buffered().await?;
            self.flush().await?;
            if next == Next::Close || self.read().await? == 0 {
                return Ok(());
            }
        }
    }

    /// Handle everything in the buffer: heads, body bytes, answers.
    async fn handle_buffered(&mut self) -> io::Result<Next> {
        loop {
            match &mut self.state {
                State::Head => {
                    let head = match self.reader.read_request(&mut self.buf, &self.limits) {
                        Ok(Some(head)) => head,
                        Ok(None) => return Ok(Next::Read),
                        Err(error) => {
                            let failure = error.failure();
                            encode_error(failure.status(), failure.reason(), true, &mut self.out);
                            return Ok(Next::Close);
                        }
                    };
                    let owed = Owed::for_request(&head);
                    match head.body() {
                        BodyKind::Empty | BodyKind::CloseDelimited => {}
                        BodyKind::Length(remaining) => {
                            self.state = State::Length { remaining, owed };
                        }
                        BodyKind::Chunked => {
                            self.state = State::Chunked {
                                decoder: ChunkedDecoder::default(),
                                owed,
                            };
                        }
                    }
                    if !matches!(self.state, State::Head) {
                        if head.expects_continue() {
                            self.out.extend_from_slice(CONTINUE);
                        }
                        continue;
                    }
                    if self.answer(owed).await? == Next::Close {
                        return Ok(Next::Close);
                    }
                }
                State::Length { remaining, owed } => {
                    let take = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(self.buf.len());
                    self.buf.advance(take);
                    *remaining -= take as u64;
                    if *remaining > 0 {
                        return Ok(Next::Read);
                    }
                    let owed = *owed;
                    self.state = State::Head;
                    if self.answer(owed).await? == Next::Close {
                        return Ok(Next::Close);
                    }
                }
                State::Chunked { decoder, owed } => match decoder.decode(&self.buf) {
                    Ok(decoded) => {
                        self.buf.advance(decoded.consumed);
                        if decoded.done {
                            let owed = *owed;
                            self.state = State::Head;
                            if self.answer(owed).await? == Next::Close {
                                return Ok(Next::Close);
                            }
                        } else if decoded.consumed == 0 {
                            return Ok(Next::Read);
                        }
                    }
                    Err(error) => {
                        let failure = error.failure();
                        encode_error(failure.status(), failure.reason(), true, &mut self.out);
                        return Ok(Next::Close);
                    }
                },
            }
        }
    }

    /// Queue the answer to one request (after any delay or stall).
    async fn answer(&mut self, owed: Owed) -> io::Result<Next> {
        let shard = self.shard;
        if shard.pacer.is_active() {
            // Answers already queued must not wait for this one's pause.
            self.flush().await?;
            shard.pacer.pause().await;
        }
        let bytes = shard.responses.get(owed.persist, owed.head_only);
        if bytes.len() >= DIRECT_WRITE && !owed.head_only {
            self.flush().await?;
            let (res, _) = self
                .stream
                .write_all(shard.responses.shared(owed.persist))
                .await;
            res?;
        } else {
            self.out.extend_from_slice(bytes);
        }
        Ok(if owed.persist == Persist::Close {
            Next::Close
        } else {
            Next::Read
        })
    }

    /// Write the queued answers, if any.
    async fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let (res, mut out) = self.stream.write_all(std::mem::take(&mut self.out)).await;
        out.clear();
        self.out = out;
        res.map(|_| ())
    }

    /// Read once, appending to the buffer; returns bytes read (0 = EOF).
    ///
    /// monoio's `IoBufMut` for `BytesMut` writes at the start of the buffer,
    /// so the read goes through a `SliceMut` over the spare capacity.
    async fn read(&mut self) -> io::Result<usize> {
        ringgate::conn::io::read_into(&mut self.stream, &mut self.buf).await
    }
}

//! Streaming bodies between two sockets in bounded chunks.
//!
//! Bytes already buffered on the source side go first, then the pump reads
//! (at most [`io::READ_CHUNK`] at a time) and writes each chunk on before
//! reading the next, so memory stays bounded whatever the body size. A
//! chunk is split off the source buffer and frozen, written without a copy,
//! and its capacity is reclaimed by the next read. Chunked bodies are the
//! exception: they are re-framed by the gateway (one copy per read) so the
//! next hop only ever parses framing the gateway wrote.

use super::io;
use super::pace::Pace;
use crate::stream::Io;
use bytes::{Buf, BytesMut};
use monoio::time::Instant;
use ringgate_core::http1::{ChunkedDecoder, ChunkedError};
use std::time::Duration;

/// Why a pump stopped early.
#[derive(Debug)]
pub enum PumpError {
    /// Reading the source failed or it closed before the body ended.
    Source(Option<std::io::Error>),
    /// The source sent nothing for `read_timeout`.
    SourceTimeout,
    /// The source sent slower than its [`Pace`] allows.
    TooSlow,
    /// Writing the destination failed.
    Sink(std::io::Error),
    /// The chunked framing was invalid.
    Framing(ChunkedError),
    /// The body grew past the allowed size.
    TooLarge,
}

/// Where a pump reads from.
#[derive(Debug)]
pub struct Source<'a, S: Io> {
    /// The socket.
    pub stream: &'a mut S,
    /// Its buffer (may already hold body bytes).
    pub buf: &'a mut BytesMut,
    /// Longest wait for the next bytes.
    pub read_timeout: Duration,
    /// The minimum rate the source must keep, if any (request bodies).
    pub pace: Option<Pace>,
}

impl<S: Io> Source<'_, S> {
    async fn fill(&mut self) -> Result<(), PumpError> {
        let start = Instant::now();
        let idle = start + self.read_timeout;
        let slow = self.pace.as_ref().map(|p| p.deadline(start));
        let deadline = slow.map_or(idle, |s| s.min(idle));
        match monoio::time::timeout_at(deadline, io::read_into(self.stream, self.buf)).await {
            Err(_) if slow.is_some_and(|s| s <= idle) => Err(PumpError::TooSlow),
            Err(_) => Err(PumpError::SourceTimeout),
            Ok(Ok(0)) => Err(PumpError::Source(None)),
            Ok(Ok(n)) => {
                if let Some(pace) = self.pace.as_mut() {
                    pace.record(start.elapsed(), n);
                }
                Ok(())
            }
            Ok(Err(e)) => Err(PumpError::Source(Some(e))),
        }
    }
}

/// Copy exactly `remaining` bytes from `src` to `dst`.
pub async fn length(
    src: &mut Source<'_, impl Io>,
    dst: &mut impl Io,
    mut remaining: u64,
) -> Result<(), PumpError> {
    while remaining > 0 {
        if src.buf.is_empty() {
            src.fill().await?;
        }
        let take = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(src.buf.len());
        let chunk = src.buf.split_to(take).freeze();
        io::write_bytes(dst, chunk).await.map_err(PumpError::Sink)?;
        remaining -= take as u64;
    }
    Ok(())
}

/// Copy until the source closes (a close-delimited response).
pub async fn until_eof(src: &mut Source<'_, impl Io>, dst: &mut impl Io) -> Result<u64, PumpError> {
    let mut total = 0u64;
    loop {
        if !src.buf.is_empty() {
            let chunk = src.buf.split().freeze();
            total += chunk.len() as u64;
            io::write_bytes(dst, chunk).await.map_err(PumpError::Sink)?;
        }
        match src.fill().await {
            Ok(()) => {}
            Err(PumpError::Source(None)) => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

/// What a chunked pump writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunking {
    /// The payload in the gateway's own chunks (one per piece of payload
    /// read, sized by the gateway), then `0` CRLF CRLF: extensions and
    /// trailer fields of the received framing are not passed on.
    Rechunk,
    /// The payload only (for an HTTP/1.0 client; the connection closes
    /// after it).
    Dechunk,
}

/// Forward a chunked body: the decoder checks the received framing and
/// finds its end; what is written is re-framed by the gateway (`mode`), so
/// the next hop never parses bytes the gateway did not produce. `limit`
/// caps the payload size. Returns the payload size.
pub async fn chunked(
    src: &mut Source<'_, impl Io>,
    dst: &mut impl Io,
    mode: Chunking,
    limit: Option<u64>,
) -> Result<u64, PumpError> {
    let mut decoder = ChunkedDecoder::default();
    let mut payload = 0u64;
    let mut out: Vec<u8> = Vec::new();
    loop {
        // Decode everything buffered, then forward it in one write.
        let mut consumed = 0usize;
        let mut done = false;
        loop {
            let rest = src.buf.get(consumed..).unwrap_or_default();
            let step = decoder.decode(rest).map_err(PumpError::Framing)?;
            payload += step.data.len() as u64;
            if limit.is_some_and(|max| payload > max) {
                return Err(PumpError::TooLarge);
            }
            if let Some(data) = rest.get(step.data.clone()).filter(|d| !d.is_empty()) {
                if mode == Chunking::Rechunk {
                    put_chunk_size(&mut out, data.len());
                }
                out.extend_from_slice(data);
                if mode == Chunking::Rechunk {
                    out.extend_from_slice(b"\r\n");
                }
            }
            consumed += step.consumed;
            if step.done {
                done = true;
                break;
            }
            if step.consumed == 0 {
                break;
            }
        }
        src.buf.advance(consumed);
        if done && mode == Chunking::Rechunk {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        if !out.is_empty() {
            io::write_vec(dst, &mut out)
                .await
                .map_err(PumpError::Sink)?;
            out.clear();
        }
        if done {
            return Ok(payload);
        }
        src.fill().await?;
    }
}

/// A chunk-size line: the length in lowercase hex, CRLF.
fn put_chunk_size(out: &mut Vec<u8>, len: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            *d = HEX.get(n & 0xf).copied().unwrap_or(b'0');
        }
        n >>= 4;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::put_chunk_size;

    #[test]
    fn chunk_size_lines() {
        for (n, want) in [(0, "0"), (1, "1"), (15, "f"), (16, "10"), (65_536, "10000")] {
            let mut out = Vec::new();
            put_chunk_size(&mut out, n);
            assert_eq!(out, format!("{want}\r\n").as_bytes(), "{n}");
        }
    }
}

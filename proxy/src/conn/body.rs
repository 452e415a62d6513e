//! Streaming bodies between two sockets in bounded chunks.
//!
//! Bytes already buffered on the source side go first, then the pump reads
//! (at most [`io::READ_CHUNK`] at a time) and writes each chunk on before
//! reading the next, so memory stays bounded whatever the body size. A
//! chunk is split off the source buffer and frozen, written without a copy,
//! and its capacity is reclaimed by the next read.

use super::io;
use crate::stream::Stream;
use bytes::BytesMut;
use monoio::time::Instant;
use ringgate_core::http1::ChunkedDecoder;
use std::time::Duration;

/// Why a pump stopped early.
#[derive(Debug)]
pub enum PumpError {
    /// Reading the source failed or it closed before the body ended.
    Source(Option<std::io::Error>),
    /// The source sent nothing for `read_timeout`.
    SourceTimeout,
    /// Writing the destination failed.
    Sink(std::io::Error),
    /// The chunked framing was invalid.
    Framing,
    /// The body grew past the allowed size.
    TooLarge,
}

/// Where a pump reads from.
#[derive(Debug)]
pub struct Source<'a> {
    /// The socket.
    pub stream: &'a mut Stream,
    /// Its buffer (may already hold body bytes).
    pub buf: &'a mut BytesMut,
    /// Longest wait for the next bytes.
    pub read_timeout: Duration,
}

impl Source<'_> {
    async fn fill(&mut self) -> Result<(), PumpError> {
        let deadline = Instant::now() + self.read_timeout;
        match monoio::time::timeout_at(deadline, io::read_into(self.stream, self.buf)).await {
            Err(_) => Err(PumpError::SourceTimeout),
            Ok(Ok(0)) => Err(PumpError::Source(None)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(PumpError::Source(Some(e))),
        }
    }
}

/// Copy exactly `remaining` bytes from `src` to `dst`.
pub async fn length(
    src: &mut Source<'_>,
    dst: &mut Stream,
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
pub async fn until_eof(src: &mut Source<'_>, dst: &mut Stream) -> Result<u64, PumpError> {
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

/// Forward a chunked body. With `dechunk` only the payload is written (for
/// an HTTP/1.0 client, with the connection closed after); otherwise the
/// framing is forwarded byte for byte while the decoder checks it and finds
/// its end. `limit` caps the payload size. Returns the payload size.
pub async fn chunked(
    src: &mut Source<'_>,
    dst: &mut Stream,
    dechunk: bool,
    limit: Option<u64>,
) -> Result<u64, PumpError> {
    let mut decoder = ChunkedDecoder::default();
    let mut payload = 0u64;
    let mut plain: Vec<u8> = Vec::new();
    loop {
        // Decode everything buffered, then forward it in one write.
        let mut consumed = 0usize;
        let mut done = false;
        loop {
            let rest = src.buf.get(consumed..).unwrap_or_default();
            let step = decoder.decode(rest).map_err(|_| PumpError::Framing)?;
            payload += step.data.len() as u64;
            if limit.is_some_and(|max| payload > max) {
                return Err(PumpError::TooLarge);
            }
            if dechunk {
                if let Some(data) = rest.get(step.data.clone()) {
                    plain.extend_from_slice(data);
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
        let raw = src.buf.split_to(consumed).freeze();
        if dechunk {
            if !plain.is_empty() {
                io::write_vec(dst, &mut plain)
                    .await
                    .map_err(PumpError::Sink)?;
                plain.clear();
            }
        } else if !raw.is_empty() {
            io::write_bytes(dst, raw).await.map_err(PumpError::Sink)?;
        }
        if done {
            return Ok(payload);
        }
        src.fill().await?;
    }
}

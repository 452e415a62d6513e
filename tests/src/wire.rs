//! A buffered `TcpStream` for hand-written HTTP/1.1 on both sides.
//!
//! [`Wire`] keeps one read buffer, finds the end of a head, and frames bodies
//! (Content-Length, chunked, until close) into a caller's sink so that large
//! bodies stream through without being held. The socket polls with a short
//! read timeout and every read gives up after [`Wire::patience`], so nothing
//! here can block a test forever; an optional stop flag ends waits early.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(50);
const READ_CHUNK: usize = 256 * 1024;

/// A TCP stream with a read buffer and bounded waits.
pub struct Wire {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    /// How long one read may wait for data before it fails with `TimedOut`.
    pub patience: Duration,
    stop: Option<Arc<AtomicBool>>,
    /// Bytes read and written, when counted ([`Wire::counting_into`]).
    counters: Option<Arc<[AtomicU64; 2]>>,
}

/// Whether an I/O error is a read/write timeout.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Wire {
    /// Wraps `stream`, setting its socket timeouts.
    pub fn new(stream: TcpStream, patience: Duration) -> io::Result<Self> {
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            start: 0,
            patience,
            stop: None,
            counters: None,
        })
    }

    /// Adds every byte read to `counters[0]` and written to `counters[1]`.
    pub fn counting_into(mut self, counters: Arc<[AtomicU64; 2]>) -> Self {
        self.counters = Some(counters);
        self
    }

    fn count(&self, slot: usize, n: usize) {
        if let Some(c) = self.counters.as_deref().and_then(|c| c.get(slot)) {
            c.fetch_add(n as u64, Ordering::SeqCst);
        }
    }

    /// Ends waits early once `stop` is set.
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// The underlying stream.
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Bytes read but not consumed yet.
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Takes the bytes read but not consumed yet.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let out = self.buf[self.start..].to_vec();
        self.buf.clear();
        self.start = 0;
        out
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at EOF. Waits at most
    /// `patience` (error `TimedOut`) and returns `Interrupted` if stopped.
    pub fn fill(&mut self) -> io::Result<usize> {
        let deadline = Instant::now() + self.patience;
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        loop {
            if let Some(stop) = &self.stop {
                if stop.load(Ordering::Relaxed) {
                    self.buf.truncate(old);
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "stopped"));
                }
            }
            match self.stream.read(&mut self.buf[old..]) {
                Ok(n) => {
                    self.buf.truncate(old + n);
                    self.count(0, n);
                    return Ok(n);
                }
                Err(e) if is_timeout(&e) && Instant::now() < deadline => continue,
                Err(e) if is_timeout(&e) => {
                    self.buf.truncate(old);
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no data within {:?}", self.patience),
                    ));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        }
    }

    /// Reads one head (through the blank line). `Ok(None)` on EOF before the
    /// first byte; `UnexpectedEof` on EOF inside a head.
    pub fn read_head(&mut self, max: usize) -> io::Result<Option<Vec<u8>>> {
        let mut searched: usize = 0;
        loop {
            let avail = &self.buf[self.start..];
            let from = searched.saturating_sub(3);
            if let Some(pos) = find(&avail[from..], b"\r\n\r\n") {
                let end = from + pos + 4;
                let head = avail[..end].to_vec();
                self.consume(end);
                return Ok(Some(head));
            }
            searched = avail.len();
            if searched > max {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
            }
            if self.fill()? == 0 {
                return if self.buffered().is_empty() {
                    Ok(None)
                } else {
                    Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "EOF inside a head",
                    ))
                };
            }
        }
    }

    /// Reads one CRLF-terminated line, without the CRLF.
    pub fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(pos) = find(self.buffered(), b"\r\n") {
                let line = self.buffered()[..pos].to_vec();
                self.consume(pos + 2);
                return Ok(line);
            }
            if self.buffered().len() > 64 * 1024 {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            if self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "EOF inside a line",
                ));
            }
        }
    }

    /// Reads exactly `n` body bytes into `sink`.
    pub fn read_exact_to(&mut self, mut n: u64, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        while n > 0 {
            if self.buffered().is_empty() && self.fill()? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("EOF with {n} body bytes missing"),
                ));
            }
            let take = (self.buffered().len() as u64).min(n) as usize;
            sink(&self.buffered()[..take]);
            self.consume(take);
            n -= take as u64;
        }
        Ok(())
    }

    /// Reads a chunked body (and its trailers) into `sink`.
    pub fn read_chunked_to(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        loop {
            let line = self.read_line()?;
            let text = String::from_utf8_lossy(&line);
            let size_text = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size_text, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size line {text:?}"),
                )
            })?;
            if size == 0 {
                // Trailers until an empty line.
                while !self.read_line()?.is_empty() {}
                return Ok(());
            }
            self.read_exact_to(size, sink)?;
            if !self.read_line()?.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "chunk not followed by CRLF",
                ));
            }
        }
    }

    /// Reads until the peer closes, into `sink`.
    pub fn read_to_end_to(&mut self, sink: &mut dyn FnMut(&[u8])) -> io::Result<()> {
        loop {
            if !self.buffered().is_empty() {
                let n = self.buffered().len();
                sink(&self.buffered()[..n]);
                self.consume(n);
            }
            if self.fill()? == 0 {
                return Ok(());
            }
        }
    }

    /// Whether the peer has closed (EOF or reset) within `within`, with no
    /// data arriving first. Data arriving is reported as `Ok(false)`.
    pub fn closed_within(&mut self, within: Duration) -> bool {
        if !self.buffered().is_empty() {
            return false;
        }
        let saved = self.patience;
        self.patience = within;
        let r = self.fill();
        self.patience = saved;
        match r {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => false,
            Err(_) => true,
        }
    }

    /// Writes all of `data`.
    pub fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data)?;
        self.count(1, data.len());
        Ok(())
    }

    /// Closes the write half.
    pub fn shutdown_write(&self) -> io::Result<()> {
        self.stream.shutdown(Shutdown::Write)
    }
}

/// Position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parsed header lines of a head (after the start line): `(name, value)`
/// with the name as sent and the value trimmed.
pub fn parse_header_lines(head: &[u8]) -> io::Result<(String, Vec<(String, String)>)> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("header line without colon: {line:?}"),
            )
        })?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok((start, headers))
}

/// How a message body is framed, from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    UntilClose,
}

/// All values of header `name` (case-insensitive).
pub fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Whether a header list (e.g. `Connection`) contains `token`.
pub fn has_token(headers: &[(String, String)], name: &str, token: &str) -> bool {
    header_values(headers, name)
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Body framing of a message with these headers; `is_request` chooses the
/// default when neither Transfer-Encoding nor Content-Length is present.
pub fn framing(headers: &[(String, String)], is_request: bool) -> io::Result<Framing> {
    let te = header_values(headers, "transfer-encoding");
    if te
        .iter()
        .any(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(Framing::Chunked);
    }
    if let Some(cl) = header_values(headers, "content-length").first() {
        let n = cl.trim().parse::<u64>().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad Content-Length {cl:?}"),
            )
        })?;
        return Ok(Framing::Length(n));
    }
    Ok(if is_request {
        Framing::None
    } else {
        Framing::UntilClose
    })
}

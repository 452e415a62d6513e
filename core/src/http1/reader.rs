//! Finding the end of a head in a connection buffer, incrementally.
//!
//! A head may arrive over many reads. [`HeadReader`] remembers how far it
//! has searched for the blank line that ends the head, so every byte is
//! looked at once however the head is split; `httparse` runs only when the
//! whole head is there. While the start line is still incomplete it checks
//! what it can — the method characters, the request-target length, the
//! version — so a TLS handshake on a plain port or an endless URI is refused
//! without waiting for `max_header_bytes`.

use bytes::{Buf, BytesMut};

use super::error::ParseError;
use super::request::{parse_request, RequestHead};
use super::response::{parse_response, ResponseHead};
use super::scan::{find_byte, is_tchar};
use super::Limits;

/// Incremental head scanner for one connection; see the module docs.
///
/// Use one per connection and direction. It resets itself when it returns a
/// head or an error; call [`HeadReader::reset`] if the buffer is replaced or
/// cleared by other means while a head is half read.
#[derive(Debug, Clone, Default)]
pub struct HeadReader {
    /// Where the search for the next LF resumes; every LF before it has
    /// been seen and was not followed by an empty line.
    scanned: usize,
    /// The index of the LF ending the start line, once seen.
    line_end: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Request,
    Response,
}

impl HeadReader {
    /// Forget a partially searched head.
    pub fn reset(&mut self) {
        *self = HeadReader::default();
    }

    /// Look for a complete request head at the start of `buf`.
    ///
    /// `Ok(None)`: more bytes are needed. `Ok(Some(head))`: the head was
    /// split off the front of `buf`; whatever follows (body, next request)
    /// stays in `buf`. Empty lines (CRLF or a lone LF) before the request
    /// line are dropped (RFC 9112 section 2.2); within the head every line
    /// ends in CRLF, a bare LF is [`ParseError::Malformed`]. Errors: [`ParseError::HeadTooLarge`] once
    /// `buf` holds more than `max_header_bytes` without a complete head,
    /// [`ParseError::UriTooLong`] as soon as the request-target is known to
    /// be longer than `max_uri_bytes`, [`ParseError::TooManyHeaders`], and
    /// [`ParseError::Malformed`] for everything RFC 9112 refuses.
    pub fn read_request(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
    ) -> Result<Option<RequestHead>, ParseError> {
        let found = self.find_head(buf, limits, Role::Request);
        let Some((len, _)) = self.finish(found)? else {
            return Ok(None);
        };
        let mut head = parse_request(buf.get(..len).unwrap_or_default(), limits)?;
        head.raw = buf.split_to(len).freeze();
        Ok(Some(head))
    }

    /// Look for a complete response head at the start of `buf`, as
    /// [`HeadReader::read_request`] does. `request_was_head` says whether the
    /// request was HEAD: its response never has a body, whatever it says.
    pub fn read_response(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        request_was_head: bool,
    ) -> Result<Option<ResponseHead>, ParseError> {
        let found = self.find_head(buf, limits, Role::Response);
        let Some((len, line_end)) = self.finish(found)? else {
            return Ok(None);
        };
        let bytes = buf.get(..len).unwrap_or_default();
        let mut head = parse_response(bytes, line_end, limits, request_was_head)?;
        head.raw = buf.split_to(len).freeze();
        Ok(Some(head))
    }

    /// Reset after a head or an error; keep searching state otherwise.
    fn finish(
        &mut self,
        found: Result<Option<(usize, usize)>, ParseError>,
    ) -> Result<Option<(usize, usize)>, ParseError> {
        if !matches!(found, Ok(None)) {
            self.reset();
        }
        found
    }

    /// The head's length and the start line's LF index, once complete.
    fn find_head(
        &mut self,
        buf: &mut BytesMut,
        limits: &Limits,
        role: Role,
    ) -> Result<Option<(usize, usize)>, ParseError> {
        if self.scanned > buf.len() {
            self.reset();
        }
        if self.line_end.is_none() && self.scanned == 0 {
            loop {
                if buf.starts_with(b"\r\n") {
                    buf.advance(2);
                } else if buf.starts_with(b"\n") {
                    buf.advance(1);
                } else if buf[..] == b"\r"[..] {
                    return Ok(None);
                } else {
                    break;
                }
            }
        }
        let max = limits.max_header_bytes.min(u32::MAX as usize);
        let hay = buf.get(..buf.len().min(max)).unwrap_or_default();
        let mut from = self.scanned;
        loop {
            let Some(lf) = find_byte(hay, from, b'\n') else {
                self.scanned = hay.len();
                break;
            };
            let line_end = match self.line_end {
                Some(end) => end,
                None => {
                    // The start line is judged first, as it is while still
                    // incomplete, so a head split anywhere gets the same error.
                    check_start_line(role, hay.get(..lf).unwrap_or_default(), limits)?;
                    self.line_end = Some(lf);
                    lf
                }
            };
            // RFC 9112 section 2.2 lets a recipient take a bare LF as a line
            // end; ringgate does not: a front proxy that does not would
            // read the line differently (one field whose value hides
            // another), so a bare LF anywhere in a head is refused.
            if lf == 0 || hay.get(lf - 1) != Some(&b'\r') {
                return Err(ParseError::Malformed("bare LF"));
            }
            // The head ends at the first empty line: CRLF CRLF.
            match (hay.get(lf + 1), hay.get(lf + 2)) {
                (Some(b'\n'), _) => return Err(ParseError::Malformed("bare LF")),
                (Some(b'\r'), Some(b'\n')) => return Ok(Some((lf + 3, line_end))),
                (None, _) | (Some(b'\r'), None) => {
                    self.scanned = lf;
                    break;
                }
                _ => from = lf + 1,
            }
        }
        if self.line_end.is_none() {
            check_partial_start_line(role, hay, limits)?;
        }
        if buf.len() > max {
            return Err(ParseError::HeadTooLarge);
        }
        Ok(None)
    }
}

/// Checks on a complete start line (without its LF).
fn check_start_line(role: Role, line: &[u8], limits: &Limits) -> Result<(), ParseError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match role {
        Role::Request => {
            check_request_prefix(line, true, limits)?;
            let version = line
                .iter()
                .rposition(|&b| b == b' ')
                .and_then(|sp| line.get(sp + 1..))
                .unwrap_or_default();
            match version {
                b"HTTP/1.1" | b"HTTP/1.0" => Ok(()),
                _ => Err(ParseError::Malformed("version")),
            }
        }
        Role::Response => {
            check_status_prefix(line)?;
            if line.len() < 12 {
                return Err(ParseError::Malformed("status line"));
            }
            Ok(())
        }
    }
}

/// Checks on the start of a start line whose end has not arrived yet.
fn check_partial_start_line(role: Role, hay: &[u8], limits: &Limits) -> Result<(), ParseError> {
    // A CR at the very end may be the start of the line's CRLF: judge the
    // line as if it ended there, exactly as the complete check will.
    let hay = hay.strip_suffix(b"\r").unwrap_or(hay);
    match role {
        Role::Request => check_request_prefix(hay, false, limits),
        Role::Response => check_status_prefix(hay),
    }
}

/// The method is a token followed by SP, and the request-target (up to the
/// next SP, or as far as it has arrived) is within `max_uri_bytes`.
fn check_request_prefix(line: &[u8], complete: bool, limits: &Limits) -> Result<(), ParseError> {
    // An unfinished line is only peeked at for the method, so that a request
    // line arriving byte by byte is not rescanned from the start every time.
    const METHOD_PEEK: usize = 32;
    let window = if complete {
        line
    } else {
        line.get(..line.len().min(METHOD_PEEK + 1))
            .unwrap_or_default()
    };
    let sp = find_byte(window, 0, b' ');
    let method = window.get(..sp.unwrap_or(window.len())).unwrap_or_default();
    if sp == Some(0) || !method.iter().all(|&b| is_tchar(b)) {
        return Err(ParseError::Malformed("method"));
    }
    match sp {
        Some(sp) => check_target_len(line, sp, limits),
        None if complete => Err(ParseError::Malformed("request line")),
        None => Ok(()),
    }
}

fn check_target_len(line: &[u8], sp: usize, limits: &Limits) -> Result<(), ParseError> {
    if line.len() <= sp + 1 + limits.max_uri_bytes {
        return Ok(());
    }
    let end = find_byte(line, sp + 1, b' ').unwrap_or(line.len());
    if end - (sp + 1) > limits.max_uri_bytes {
        return Err(ParseError::UriTooLong);
    }
    Ok(())
}

/// A status line starts with `HTTP/1.1 ` or `HTTP/1.0 ` (or a prefix of it,
/// while incomplete).
fn check_status_prefix(line: &[u8]) -> Result<(), ParseError> {
    let seen = line.get(..line.len().min(9)).unwrap_or_default();
    if b"HTTP/1.1 ".starts_with(seen) || b"HTTP/1.0 ".starts_with(seen) {
        Ok(())
    } else {
        Err(ParseError::Malformed("version"))
    }
}

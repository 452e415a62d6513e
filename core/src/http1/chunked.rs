//! Walking a chunked body (RFC 9112 section 7.1) without buffering it.
//!
//! The decoder is a byte-level state machine fed whatever has arrived; it
//! says how much of the input is body (framing and data), where the payload
//! data is, and when the last chunk and trailers are over. The proxy either
//! forwards the consumed bytes verbatim or only the data ranges, so both are
//! exact whatever the split of the input. It is strict where a lenient
//! reading would let two parsers disagree: hex sizes of at most 16 digits
//! (no sign, no `0x`, no leading or trailing space), CRLF (never a bare LF
//! or CR) after sizes, data and trailer lines, chunk extensions that follow
//! the grammar of RFC 9112 section 7.1.1 exactly (`;name`, `;name=token`,
//! `;name="quoted"`, whitespace only around `;` and `=`), bounded
//! extensions and trailers.

use std::ops::Range;

use crate::status::Failure;

use super::scan::{is_field_char, is_tchar};

/// Longest accepted chunk extension (from after the size to its CRLF).
pub const MAX_EXTENSION_BYTES: u32 = 4 * 1024;
/// Longest accepted trailer section.
pub const MAX_TRAILER_BYTES: u32 = 16 * 1024;

/// A chunked body that breaks the grammar or a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkedError {
    /// The chunk size is empty or not hex (`0x10`, `-1`, ...).
    #[error("invalid chunk size")]
    InvalidSize,
    /// The chunk size has more than 16 hex digits.
    #[error("chunk size overflows")]
    SizeOverflow,
    /// A chunk extension breaks the grammar (a control character, a
    /// missing name, an unterminated quoted string, ...).
    #[error("invalid chunk extension")]
    InvalidExtension,
    /// A chunk extension is longer than [`MAX_EXTENSION_BYTES`].
    #[error("chunk extension too long")]
    ExtensionTooLong,
    /// The chunk data is not followed by CRLF.
    #[error("chunk data not followed by CRLF")]
    MissingDataCrlf,
    /// A CR is not followed by LF.
    #[error("bare CR in chunk framing")]
    BadLineEnding,
    /// A trailer line is not `name: value`.
    #[error("invalid trailer field")]
    InvalidTrailer,
    /// The trailer section is longer than [`MAX_TRAILER_BYTES`].
    #[error("trailer section too large")]
    TrailersTooLarge,
}

impl ChunkedError {
    /// The failure a client sees for a request body refused with this error
    /// (the proxy maps a bad response body to an upstream failure itself).
    pub fn failure(&self) -> Failure {
        Failure::BadRequest
    }
}

/// What one [`ChunkedDecoder::decode`] call found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes at the front of the input belong to the body and were
    /// consumed now.
    pub consumed: usize,
    /// Payload bytes within `input[..consumed]` (possibly empty).
    pub data: Range<usize>,
    /// The last chunk and the trailers have ended: bytes after `consumed`
    /// belong to the next message.
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits of a chunk size.
    Size {
        size: u64,
        digits: u8,
    },
    /// Whitespace after the size; only `;` may follow (BWS).
    SizeSpace {
        size: u64,
    },
    /// Inside the chunk extensions, up to CR; where exactly is in
    /// [`ChunkedDecoder::ext`].
    Extension {
        size: u64,
    },
    /// CR seen after the size line.
    SizeLf {
        size: u64,
    },
    /// Payload bytes still to come in this chunk.
    Data {
        remaining: u64,
    },
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the final CRLF.
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
}

/// Where inside `*( BWS ";" BWS name [ BWS "=" BWS value ] )` we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ext {
    /// After `;`: whitespace, then a name.
    BeforeName,
    Name,
    /// Whitespace after a name: `=`, `;` or more whitespace.
    AfterName,
    /// After `=`: whitespace, then a token or a quoted string.
    BeforeValue,
    Token,
    Quoted,
    /// After a backslash in a quoted string.
    QuotedPair,
    /// After a value: CR, `;` or whitespace followed by `;`.
    AfterValue,
    /// Whitespace after a value: only `;` or more whitespace.
    SpaceAfterValue,
}

/// Incremental chunked-body decoder; one per body.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    ext: Ext,
    /// Bytes of the current size line after the digits.
    extension: u32,
    /// Bytes of the trailer section so far.
    trailer: u32,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            ext: Ext::BeforeName,
            extension: 0,
            trailer: 0,
        }
    }
}

impl ChunkedDecoder {
    /// Feed the next bytes of a chunked body.
    ///
    /// Returns how many bytes of `input` were consumed as body (framing and
    /// data), the range of `input[..consumed]` that is payload (at most one
    /// per call; possibly empty), and whether the body has ended. Call again
    /// with the rest of the input while `consumed > 0` and not `done`;
    /// `consumed == 0` without `done` means more input is needed. After the
    /// end every call returns `consumed == 0, done == true`. After an error
    /// the decoder must not be used again.
    pub fn decode(&mut self, input: &[u8]) -> Result<Decoded, ChunkedError> {
        let mut i = 0;
        let mut data = 0..0;
        while let Some(&b) = input.get(i) {
            match self.state {
                State::Done => break,
                State::Data { remaining } => {
                    if !data.is_empty() {
                        break;
                    }
                    let available = input.len() - i;
                    let take = usize::try_from(remaining).map_or(available, |r| r.min(available));
                    data = i..i + take;
                    i += take;
                    let left = remaining - take as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data { remaining: left }
                    };
                }
                _ => {
                    self.step(b)?;
                    i += 1;
                }
            }
        }
        Ok(Decoded {
            consumed: i,
            data,
            done: self.is_done(),
        })
    }

    /// Whether the whole body, trailers included, has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Advance the framing state by one byte (never called in `Data`).
    fn step(&mut self, b: u8) -> Result<(), ChunkedError> {
        self.state = match self.state {
            State::Size { size, digits } => match hex_value(b) {
                Some(v) if digits < 16 => State::Size {
                    size: size << 4 | u64::from(v),
                    digits: digits + 1,
                },
                Some(_) => return Err(ChunkedError::SizeOverflow),
                None if digits == 0 => return Err(ChunkedError::InvalidSize),
                None => {
                    self.extension = 0;
                    match b {
                        b'\r' => State::SizeLf { size },
                        b';' => self.extension_start(size),
                        b' ' | b'\t' => State::SizeSpace { size },
                        _ => return Err(ChunkedError::InvalidSize),
                    }
                }
            },
            State::SizeSpace { size } => {
                self.count_extension()?;
                match b {
                    b' ' | b'\t' => State::SizeSpace { size },
                    b';' => self.extension_start(size),
                    _ => return Err(ChunkedError::InvalidSize),
                }
            }
            State::Extension { size } => {
                self.count_extension()?;
                if b == b'\r' && self.ext.may_end() {
                    State::SizeLf { size }
                } else {
                    self.ext = self.ext.next(b)?;
                    State::Extension { size }
                }
            }
            State::SizeLf { size } => match b {
                b'\n' if size == 0 => State::TrailerStart,
                b'\n' => State::Data { remaining: size },
                _ => return Err(ChunkedError::BadLineEnding),
            },
            State::DataCr => match b {
                b'\r' => State::DataLf,
                _ => return Err(ChunkedError::MissingDataCrlf),
            },
            State::DataLf => match b {
                b'\n' => State::Size { size: 0, digits: 0 },
                _ => return Err(ChunkedError::MissingDataCrlf),
            },
            State::TrailerStart => match b {
                b'\r' => State::FinalLf,
                _ if is_tchar(b) => self.trailer_byte(State::TrailerName)?,
                _ => return Err(ChunkedError::InvalidTrailer),
            },
            State::TrailerName => match b {
                b':' => self.trailer_byte(State::TrailerValue)?,
                _ if is_tchar(b) => self.trailer_byte(State::TrailerName)?,
                _ => return Err(ChunkedError::InvalidTrailer),
            },
            State::TrailerValue => match b {
                b'\r' => self.trailer_byte(State::TrailerLf)?,
                _ if is_field_char(b) => self.trailer_byte(State::TrailerValue)?,
                _ => return Err(ChunkedError::InvalidTrailer),
            },
            State::TrailerLf => match b {
                b'\n' => self.trailer_byte(State::TrailerStart)?,
                _ => return Err(ChunkedError::BadLineEnding),
            },
            State::FinalLf => match b {
                b'\n' => State::Done,
                _ => return Err(ChunkedError::BadLineEnding),
            },
            // `decode` handles these without calling `step`.
            state @ (State::Data { .. } | State::Done) => state,
        };
        Ok(())
    }

    fn extension_start(&mut self, size: u64) -> State {
        self.ext = Ext::BeforeName;
        State::Extension { size }
    }

    fn count_extension(&mut self) -> Result<(), ChunkedError> {
        self.extension += 1;
        if self.extension > MAX_EXTENSION_BYTES {
            return Err(ChunkedError::ExtensionTooLong);
        }
        Ok(())
    }

    fn trailer_byte(&mut self, next: State) -> Result<State, ChunkedError> {
        self.trailer += 1;
        if self.trailer > MAX_TRAILER_BYTES {
            return Err(ChunkedError::TrailersTooLarge);
        }
        Ok(next)
    }
}

impl Ext {
    /// Whether the extensions may end (CR) here: after a name or a value.
    fn may_end(self) -> bool {
        matches!(self, Ext::Name | Ext::Token | Ext::AfterValue)
    }

    /// The state after byte `b` (never the CR that ends the line).
    fn next(self, b: u8) -> Result<Ext, ChunkedError> {
        const BAD: ChunkedError = ChunkedError::InvalidExtension;
        let space = b == b' ' || b == b'\t';
        Ok(match self {
            Ext::BeforeName if space => Ext::BeforeName,
            Ext::BeforeName | Ext::Name if is_tchar(b) => Ext::Name,
            Ext::Name | Ext::AfterName if space => Ext::AfterName,
            Ext::Name | Ext::AfterName if b == b'=' => Ext::BeforeValue,
            Ext::BeforeValue if space => Ext::BeforeValue,
            Ext::BeforeValue if b == b'"' => Ext::Quoted,
            Ext::BeforeValue | Ext::Token if is_tchar(b) => Ext::Token,
            Ext::Quoted if b == b'"' => Ext::AfterValue,
            Ext::Quoted if b == b'\\' => Ext::QuotedPair,
            Ext::Quoted if is_field_char(b) => Ext::Quoted,
            Ext::QuotedPair if is_field_char(b) => Ext::Quoted,
            Ext::Token | Ext::AfterValue | Ext::SpaceAfterValue if space => Ext::SpaceAfterValue,
            Ext::Name | Ext::AfterName | Ext::Token | Ext::AfterValue | Ext::SpaceAfterValue
                if b == b';' =>
            {
                Ext::BeforeName
            }
            _ => return Err(BAD),
        })
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

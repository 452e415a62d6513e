//! Tests of the HTTP/1 codec: table-driven protocol cases, every input also
//! fed split at every byte position, property tests for "never panics".

mod chunked;
mod encode;
mod props;
mod request;
mod response;

use bytes::BytesMut;

use super::{
    ChunkedDecoder, ChunkedError, HeadReader, Limits, ParseError, RequestHead, ResponseHead,
};

type ReqResult = Result<Option<RequestHead>, ParseError>;
type ResResult = Result<Option<ResponseHead>, ParseError>;

/// Feed `pieces` one after the other into one buffer and one reader, calling
/// `read` after each; stop at the first head or error. Returns that result
/// and what is left in the buffer.
fn feed<T>(
    pieces: &[&[u8]],
    mut read: impl FnMut(&mut HeadReader, &mut BytesMut) -> Result<Option<T>, ParseError>,
) -> (Result<Option<T>, ParseError>, Vec<u8>) {
    let mut reader = HeadReader::default();
    let mut buf = BytesMut::new();
    let mut last = Ok(None);
    for piece in pieces {
        buf.extend_from_slice(piece);
        if matches!(last, Ok(None)) {
            last = read(&mut reader, &mut buf);
        }
    }
    (last, buf.to_vec())
}

fn read_request(pieces: &[&[u8]], limits: &Limits) -> (ReqResult, Vec<u8>) {
    feed(pieces, |r, b| r.read_request(b, limits))
}

fn read_response(pieces: &[&[u8]], limits: &Limits, was_head: bool) -> (ResResult, Vec<u8>) {
    feed(pieces, |r, b| r.read_response(b, limits, was_head))
}

/// Every way of cutting `input` in two, plus one byte at a time.
fn splits(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all: Vec<Vec<&[u8]>> = (0..=input.len())
        .map(|at| vec![&input[..at], &input[at..]])
        .collect();
    all.push(input.chunks(1).collect());
    all
}

/// What a chunked body decodes to when fed in `pieces`: the payload, the
/// consumed raw bytes, whether it ended, and the bytes left over.
#[derive(Debug, PartialEq, Eq)]
struct ChunkedRun {
    data: Vec<u8>,
    raw: Vec<u8>,
    done: bool,
    rest: Vec<u8>,
}

fn run_chunked(pieces: &[&[u8]]) -> Result<ChunkedRun, ChunkedError> {
    let mut dec = ChunkedDecoder::default();
    let mut buf = Vec::new();
    let mut pos = 0;
    let mut run = ChunkedRun {
        data: Vec::new(),
        raw: Vec::new(),
        done: false,
        rest: Vec::new(),
    };
    for piece in pieces {
        buf.extend_from_slice(piece);
        while !run.done {
            let input = &buf[pos..];
            let d = dec.decode(input)?;
            assert!(d.consumed <= input.len());
            assert!(d.data.start <= d.data.end && d.data.end <= d.consumed);
            run.data.extend_from_slice(&input[d.data.clone()]);
            run.raw.extend_from_slice(&input[..d.consumed]);
            pos += d.consumed;
            run.done = d.done;
            if d.consumed == 0 {
                break;
            }
        }
    }
    run.rest = buf[pos..].to_vec();
    Ok(run)
}

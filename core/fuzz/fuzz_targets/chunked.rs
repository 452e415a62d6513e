//! Chunked bodies from arbitrary bytes (RFC 9112 section 7.1).
//!
//! The first two bytes pick two cut points: the rest is decoded whole, in
//! three pieces and one byte at a time, and every reading must agree on the
//! payload, the consumed bytes, whether the body ended, and the error. A
//! body that ended is then re-chunked the way the proxy forwards it (one
//! chunk per payload piece, `0` CRLF CRLF) and must decode back to the same
//! payload, consuming exactly what was written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringgate_core::http1::{ChunkedDecoder, ChunkedError};

/// (payload pieces, consumed bytes, done) of a body fed in `pieces`.
type Run = Result<(Vec<Vec<u8>>, Vec<u8>, bool), ChunkedError>;

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b], input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let len = input.len();
    let (x, y) = (usize::from(a) % (len + 1), usize::from(b) % (len + 1));
    let (x, y) = (x.min(y), x.max(y));

    let whole = run(&[input]);
    let three = run(&[&input[..x], &input[x..y], &input[y..]]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let single = run(&bytes);
    assert_eq!(flat(&whole), flat(&three), "cut at {x}, {y}");
    assert_eq!(flat(&whole), flat(&single), "byte by byte");

    if let Ok((pieces, raw, true)) = &whole {
        assert!(input.starts_with(raw));
        let mut again = Vec::new();
        for piece in pieces.iter().filter(|p| !p.is_empty()) {
            again.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            again.extend_from_slice(piece);
            again.extend_from_slice(b"\r\n");
        }
        again.extend_from_slice(b"0\r\n\r\n");
        let back = run(&[&again]).expect("the gateway's own chunking decodes");
        assert!(back.2, "re-chunked body ends");
        assert_eq!(back.1, again, "re-chunked body consumed exactly");
        assert_eq!(back.0.concat(), pieces.concat(), "same payload");
    }
});

/// The payload joined, for comparing runs fed in different pieces.
fn flat(run: &Run) -> Result<(Vec<u8>, &[u8], bool), ChunkedError> {
    run.as_ref()
        .map(|(p, raw, done)| (p.concat(), raw.as_slice(), *done))
        .map_err(|e| *e)
}

fn run(pieces: &[&[u8]]) -> Run {
    let mut dec = ChunkedDecoder::default();
    let (mut data, mut raw, mut buf) = (Vec::new(), Vec::new(), Vec::new());
    let mut pos = 0;
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            let input = &buf[pos..];
            let d = dec.decode(input)?;
            assert!(d.consumed <= input.len() && d.data.end <= d.consumed);
            assert!(d.data.start <= d.data.end);
            data.push(input[d.data.clone()].to_vec());
            raw.extend_from_slice(&input[..d.consumed]);
            pos += d.consumed;
            if d.done || d.consumed == 0 {
                break;
            }
        }
    }
    if dec.is_done() {
        // Every call after the end consumes nothing and stays done.
        let after = dec.decode(b"0\r\n\r\n")?;
        assert_eq!((after.consumed, after.done), (0, true));
    }
    Ok((data, raw, dec.is_done()))
}

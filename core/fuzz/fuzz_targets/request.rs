//! Request heads and chunked bodies from arbitrary bytes.
//!
//! The first byte picks a split position: the rest is read whole and in two
//! pieces, which must give the same head (or the same error) and leave the
//! same bytes behind. The remainder then goes through the chunked decoder,
//! again whole and split, which must agree on payload and consumed bytes.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use ringgate_core::http1::{ChunkedDecoder, HeadReader, Limits};

const LIMITS: Limits = Limits {
    max_header_bytes: 1024,
    max_headers: 16,
    max_uri_bytes: 128,
};

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let at = usize::from(first) % (input.len() + 1);

    let mut whole_buf = BytesMut::from(input);
    let whole = HeadReader::default().read_request(&mut whole_buf, &LIMITS);

    let mut reader = HeadReader::default();
    let mut split_buf = BytesMut::from(&input[..at]);
    let mut split = reader.read_request(&mut split_buf, &LIMITS);
    split_buf.extend_from_slice(&input[at..]);
    if matches!(split, Ok(None)) {
        split = reader.read_request(&mut split_buf, &LIMITS);
    }
    assert_eq!(whole, split, "split at {at}");
    if let Ok(Some(_)) = &whole {
        assert_eq!(whole_buf, split_buf);
    }

    let rest: &[u8] = &whole_buf;
    let once = chunked(&[rest]);
    let cut = usize::from(first).wrapping_mul(31) % (rest.len() + 1);
    let twice = chunked(&[&rest[..cut], &rest[cut..]]);
    assert_eq!(once, twice, "chunked split at {cut}");
    if let Ok((_, raw, _)) = &once {
        assert!(rest.starts_with(raw));
    }
});

/// (payload, consumed bytes, done) of a chunked body fed in `pieces`.
fn chunked(
    pieces: &[&[u8]],
) -> Result<(Vec<u8>, Vec<u8>, bool), ringgate_core::http1::ChunkedError> {
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
            data.extend_from_slice(&input[d.data.clone()]);
            raw.extend_from_slice(&input[..d.consumed]);
            pos += d.consumed;
            if d.done || d.consumed == 0 {
                break;
            }
        }
    }
    Ok((data, raw, dec.is_done()))
}

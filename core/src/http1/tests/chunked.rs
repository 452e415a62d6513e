//! Chunked bodies: payload and raw bytes identical under every split.

use super::{run_chunked, splits};
use crate::http1::{ChunkedDecoder, ChunkedError, MAX_EXTENSION_BYTES, MAX_TRAILER_BYTES};

const VALID: &[(&[u8], &[u8], &[u8])] = &[
    // (body + what follows, payload, what follows)
    (b"5\r\nhello\r\n0\r\n\r\n", b"hello", b""),
    (b"0\r\n\r\n", b"", b""),
    (
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
        b"hello world",
        b"GET / HTTP/1.1\r\n",
    ),
    (
        b"A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
        b"0123456789abcdefghij",
        b"",
    ),
    (b"0005\r\nhello\r\n000\r\n\r\n", b"hello", b""),
    (
        b"5;name=value;flag\r\nhello\r\n0;last\r\n\r\n",
        b"hello",
        b"",
    ),
    (
        b"5 \t;ext=\"quoted; str\"\r\nhello\r\n0\r\n\r\n",
        b"hello",
        b"",
    ),
    (
        b"3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Empty:\r\n\r\nrest",
        b"abc",
        b"rest",
    ),
    (b"2\r\n\r\n\r\n0\r\n\r\n", b"\r\n", b""),
    // Extension grammar: BWS around ';' and '=', tokens and quoted strings.
    (
        b"5 ; a = b ;c;d=\"x\\\"y;z\"\r\nhello\r\n0;e=\"\"\r\n\r\n",
        b"hello",
        b"",
    ),
    (b"ffffffffffffffff\r\n", b"", b""),
];

#[test]
fn valid_bodies_decode_the_same_under_every_split() {
    for &(input, payload, after) in VALID {
        let name = String::from_utf8_lossy(input);
        let whole = run_chunked(&[input]).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(whole.data, payload, "{name:?}");
        let body_len = input.len() - after.len();
        let complete = !input.starts_with(b"ffff");
        assert_eq!(whole.done, complete, "{name:?}");
        if complete {
            assert_eq!(whole.raw, &input[..body_len], "{name:?}");
            assert_eq!(whole.rest, after, "{name:?}");
        }
        for pieces in splits(input) {
            let split = run_chunked(&pieces).unwrap_or_else(|e| panic!("{name:?}: {e}"));
            assert_eq!(split, whole, "{name:?} split {}", pieces[0].len());
        }
    }
}

const INVALID: &[(&str, &[u8], ChunkedError)] = &[
    ("0x prefix", b"0x10\r\n", ChunkedError::InvalidSize),
    ("negative", b"-1\r\n", ChunkedError::InvalidSize),
    ("plus", b"+1\r\n", ChunkedError::InvalidSize),
    ("empty size", b"\r\n", ChunkedError::InvalidSize),
    ("empty size with ext", b";a\r\n", ChunkedError::InvalidSize),
    (
        "overflow",
        b"fffffffffffffffff\r\n",
        ChunkedError::SizeOverflow,
    ),
    (
        "leading zeros overflow",
        b"00000000000000001\r\n",
        ChunkedError::SizeOverflow,
    ),
    (
        "space then CRLF",
        b"5 \r\nhello\r\n",
        ChunkedError::InvalidSize,
    ),
    ("LF after size", b"5\nhello\r\n", ChunkedError::InvalidSize),
    (
        "CR without LF after size",
        b"5\rhello",
        ChunkedError::BadLineEnding,
    ),
    (
        "missing CRLF after data",
        b"5\r\nhelloX\r\n0\r\n\r\n",
        ChunkedError::MissingDataCrlf,
    ),
    (
        "LF only after data",
        b"5\r\nhello\n0\r\n\r\n",
        ChunkedError::MissingDataCrlf,
    ),
    (
        "CR only after data",
        b"5\r\nhello\rX",
        ChunkedError::MissingDataCrlf,
    ),
    (
        "data longer than size",
        b"3\r\nhello\r\n",
        ChunkedError::MissingDataCrlf,
    ),
    (
        "NUL in extension",
        b"5;a\0\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension without a name",
        b"5;\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension name missing before =",
        b"5;=v\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension value missing",
        b"5;a=\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension name with space",
        b"5;a b\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension value with space",
        b"5;a=b c\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension trailing space",
        b"5;a \r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension value not a token",
        b"5;a=b@c\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension quoted then token",
        b"5;a=\"x\"y\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension quoted unterminated",
        b"5;a=\"x\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "extension bare CR",
        b"5;a\rb\r\n",
        ChunkedError::BadLineEnding,
    ),
    (
        "extension two semicolons",
        b"5;;a\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "LF in extension",
        b"5;a\nb\r\n",
        ChunkedError::InvalidExtension,
    ),
    (
        "trailer without colon",
        b"0\r\nbad\r\n\r\n",
        ChunkedError::InvalidTrailer,
    ),
    (
        "trailer obs-fold",
        b"0\r\nA: 1\r\n folded\r\n\r\n",
        ChunkedError::InvalidTrailer,
    ),
    (
        "trailer space before colon",
        b"0\r\nA : 1\r\n\r\n",
        ChunkedError::InvalidTrailer,
    ),
    (
        "trailer bare CR",
        b"0\r\nA: 1\rB\r\n\r\n",
        ChunkedError::BadLineEnding,
    ),
    ("final bare CR", b"0\r\n\rX", ChunkedError::BadLineEnding),
];

#[test]
fn invalid_bodies_are_refused_under_every_split() {
    for &(name, input, want) in INVALID {
        assert_eq!(run_chunked(&[input]), Err(want), "{name}");
        for pieces in splits(input) {
            assert_eq!(
                run_chunked(&pieces),
                Err(want),
                "{name} split {}",
                pieces[0].len()
            );
        }
        assert_eq!(want.failure(), crate::status::Failure::BadRequest);
    }
}

#[test]
fn extensions_and_trailers_are_bounded() {
    let ext = MAX_EXTENSION_BYTES as usize;
    let mut ok = b"1;".to_vec();
    ok.extend(std::iter::repeat_n(b'a', ext - 1));
    ok.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
    assert_eq!(run_chunked(&[&ok]).unwrap().data, b"x");
    let mut long = b"1;".to_vec();
    long.extend(std::iter::repeat_n(b'a', ext + 1));
    assert_eq!(run_chunked(&[&long]), Err(ChunkedError::ExtensionTooLong));

    let mut trailers = b"0\r\n".to_vec();
    while trailers.len() < MAX_TRAILER_BYTES as usize + 16 {
        trailers.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(
        run_chunked(&[&trailers]),
        Err(ChunkedError::TrailersTooLarge)
    );
}

#[test]
fn one_data_range_per_call_and_nothing_after_done() {
    let input = b"1\r\na\r\n1\r\nb\r\n0\r\n\r\nNEXT";
    let mut dec = ChunkedDecoder::default();
    let first = dec.decode(input).unwrap();
    assert_eq!(&input[first.data.clone()], b"a");
    assert!(!first.done);
    // Stops right before the second data byte.
    assert_eq!(first.consumed, 9);
    let rest = &input[first.consumed..];
    let second = dec.decode(rest).unwrap();
    assert_eq!(&rest[second.data.clone()], b"b");
    assert!(second.done);
    assert_eq!(&rest[second.consumed..], b"NEXT");
    let after = dec.decode(b"more").unwrap();
    assert_eq!((after.consumed, after.done), (0, true));
    assert!(dec.is_done());
    // Empty input needs more.
    let mut fresh = ChunkedDecoder::default();
    let d = fresh.decode(b"").unwrap();
    assert_eq!((d.consumed, d.done), (0, false));
}

#[test]
fn large_sizes_stream_without_overflow() {
    let mut dec = ChunkedDecoder::default();
    let d = dec.decode(b"FFFFFFFFFFFFFFFF\r\nabc").unwrap();
    assert_eq!(d.consumed, 21);
    assert_eq!(d.data, 18..21);
    assert!(!d.done);
}

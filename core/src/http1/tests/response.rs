//! Response heads: framing per status and fields, whole and split.

use super::{read_response, splits};
use crate::http1::{BodyKind, Limits, ParseError, Version};

struct Case {
    input: &'static [u8],
    was_head: bool,
    status: u16,
    reason: &'static [u8],
    version: Version,
    body: BodyKind,
    keep_alive: bool,
    informational: bool,
    switching: bool,
    rest: &'static [u8],
}

const OK: Case = Case {
    input: b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
    was_head: false,
    status: 200,
    reason: b"OK",
    version: Version::Http11,
    body: BodyKind::Length(2),
    keep_alive: true,
    informational: false,
    switching: false,
    rest: b"hi",
};

const VALID: &[Case] = &[
    OK,
    Case {
        input: b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        status: 404,
        reason: b"Not Found",
        body: BodyKind::Empty,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        reason: b"",
        body: BodyKind::Chunked,
        rest: b"0\r\n\r\n",
        ..OK
    },
    // The reason phrase is kept as sent, obs-text included.
    Case {
        input: b"HTTP/1.1 200 Tr\xe8s bien\r\nContent-Length: 0\r\n\r\n",
        reason: b"Tr\xe8s bien",
        body: BodyKind::Empty,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 200 OK\r\n\r\nuntil close",
        body: BodyKind::CloseDelimited,
        keep_alive: false,
        rest: b"until close",
        ..OK
    },
    // TE not ending in chunked: read until close.
    Case {
        input: b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        body: BodyKind::CloseDelimited,
        keep_alive: false,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
        was_head: true,
        body: BodyKind::Empty,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 204 No Content\r\nContent-Length: 42\r\n\r\n",
        status: 204,
        reason: b"No Content",
        body: BodyKind::Empty,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
        status: 304,
        reason: b"Not Modified",
        body: BodyKind::Empty,
        rest: b"",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
        status: 100,
        reason: b"Continue",
        body: BodyKind::Empty,
        informational: true,
        rest: b"HTTP/1.1 200 OK\r\n",
        ..OK
    },
    Case {
        input: b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00",
        status: 101,
        reason: b"Switching Protocols",
        body: BodyKind::Empty,
        keep_alive: false,
        switching: true,
        rest: b"\x81\x00",
        ..OK
    },
    Case {
        input: b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        version: Version::Http10,
        keep_alive: false,
        ..OK
    },
    Case {
        input: b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
        version: Version::Http10,
        ..OK
    },
    Case {
        input: b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
        keep_alive: false,
        ..OK
    },
];

#[test]
fn valid_responses_parse_the_same_whole_and_split() {
    let limits = Limits::default();
    for case in VALID {
        let name = String::from_utf8_lossy(case.input);
        let (whole, rest) = read_response(&[case.input], &limits, case.was_head);
        let head = match whole {
            Ok(Some(head)) => head,
            other => panic!("{name:?}: {other:?}"),
        };
        assert_eq!(head.status(), case.status, "{name:?}");
        assert_eq!(head.reason(), case.reason, "{name:?}");
        assert_eq!(head.version(), case.version, "{name:?}");
        assert_eq!(head.body(), case.body, "{name:?}");
        assert_eq!(head.keep_alive(), case.keep_alive, "{name:?}");
        assert_eq!(head.is_informational(), case.informational, "{name:?}");
        assert_eq!(head.is_switching_protocols(), case.switching, "{name:?}");
        assert_eq!(rest, case.rest, "{name:?}");
        for pieces in splits(case.input) {
            let (split, split_rest) = read_response(&pieces, &limits, case.was_head);
            assert_eq!(
                split,
                Ok(Some(head.clone())),
                "{name:?} split {}",
                pieces[0].len()
            );
            assert_eq!(split_rest, rest, "{name:?}");
        }
    }
}

#[test]
fn response_header_lookup() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n";
    let (res, _) = read_response(&[input], &Limits::default(), false);
    let head = res.unwrap().unwrap();
    assert_eq!(head.header("content-type"), Some(&b"text/plain"[..]));
    assert_eq!(
        &head.header_bytes("content-type").unwrap()[..],
        b"text/plain"
    );
    assert_eq!(head.headers().count(), 2);
    assert_eq!(&head.raw()[..], &input[..]);
}

const MALFORMED: &[(&str, &[u8], ParseError)] = &[
    (
        "CL mismatch",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        ParseError::Malformed("content-length"),
    ),
    (
        "CL sign",
        b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
        ParseError::Malformed("content-length"),
    ),
    (
        "TE and CL",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
        ParseError::Malformed("transfer-encoding with content-length"),
    ),
    (
        "TE and CL on a 304",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
        ParseError::Malformed("transfer-encoding with content-length"),
    ),
    (
        "CL list",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n",
        ParseError::Malformed("content-length"),
    ),
    (
        "bad version then bare LF (fuzzer)",
        b"\xfea\n",
        ParseError::Malformed("version"),
    ),
    (
        "bare LF",
        b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi",
        ParseError::Malformed("bare LF"),
    ),
    (
        "bare LF in a field line",
        b"HTTP/1.1 200 OK\r\nX: a\nContent-Length: 2\r\n\r\nhi",
        ParseError::Malformed("bare LF"),
    ),
    (
        "bare CR in value",
        b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        ParseError::Malformed("header value"),
    ),
    (
        "CTL in name",
        b"HTTP/1.1 200 OK\r\nX\x01: a\r\n\r\n",
        ParseError::Malformed("header name"),
    ),
    (
        "TE in HTTP/1.0",
        b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        ParseError::Malformed("transfer-encoding in HTTP/1.0"),
    ),
    (
        "chunked twice",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        ParseError::Malformed("transfer-encoding"),
    ),
    (
        "space before colon",
        b"HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n",
        ParseError::Malformed("header name"),
    ),
    (
        "obs-fold",
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
        ParseError::Malformed("header name"),
    ),
    (
        "status 099",
        b"HTTP/1.1 099 Odd\r\n\r\n",
        ParseError::Malformed("status"),
    ),
    (
        "status letters",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        ParseError::Malformed("status line"),
    ),
    (
        "short status line",
        b"HTTP/1.1 20\r\n\r\n",
        ParseError::Malformed("status line"),
    ),
    (
        "HTTP/2",
        b"HTTP/2 200 OK\r\n\r\n",
        ParseError::Malformed("version"),
    ),
    (
        "garbage",
        b"<html>\r\n\r\n",
        ParseError::Malformed("version"),
    ),
    (
        "NUL in value",
        b"HTTP/1.1 200 OK\r\nX: \0\r\n\r\n",
        ParseError::Malformed("header value"),
    ),
];

#[test]
fn malformed_responses_are_refused() {
    let limits = Limits::default();
    for &(name, input, want) in MALFORMED {
        let (whole, _) = read_response(&[input], &limits, false);
        assert_eq!(whole.as_ref().err(), Some(&want), "{name}: {whole:?}");
        for pieces in splits(input) {
            let (split, _) = read_response(&pieces, &limits, false);
            assert_eq!(split.err(), Some(want), "{name}: split {}", pieces[0].len());
        }
    }
}

//! Request heads: valid ones (whole and split), refused ones, pipelining.

use super::{read_request, splits};
use crate::http1::{BodyKind, HeadReader, Limits, ParseError, Version};
use bytes::BytesMut;

#[derive(Clone, Copy)]
struct Case {
    input: &'static [u8],
    method: &'static [u8],
    target: &'static [u8],
    path: &'static [u8],
    version: Version,
    host: Option<&'static [u8]>,
    headers: usize,
    body: BodyKind,
    keep_alive: bool,
    expects_continue: bool,
    upgrade: bool,
    rest: &'static [u8],
}

const GET: Case = Case {
    input: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    method: b"GET",
    target: b"/",
    path: b"/",
    version: Version::Http11,
    host: Some(b"x"),
    headers: 1,
    body: BodyKind::Empty,
    keep_alive: true,
    expects_continue: false,
    upgrade: false,
    rest: b"",
};

const VALID: &[Case] = &[
    GET,
    Case {
        input: b"GET /a/b?c=d&e HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\r\n",
        target: b"/a/b?c=d&e",
        path: b"/a/b",
        host: Some(b"example.com:8080"),
        headers: 2,
        ..GET
    },
    // Empty lines before the request line are ignored (RFC 9112 2.2).
    Case {
        input: b"\r\n\r\n\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        ..GET
    },
    Case {
        input: b"GET / HTTP/1.0\r\n\r\n",
        version: Version::Http10,
        host: None,
        headers: 0,
        keep_alive: false,
        ..GET
    },
    Case {
        input: b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
        version: Version::Http10,
        host: None,
        keep_alive: true,
        ..GET
    },
    Case {
        input: b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        headers: 2,
        keep_alive: false,
        ..GET
    },
    Case {
        input: b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        method: b"POST",
        target: b"/up",
        path: b"/up",
        headers: 2,
        body: BodyKind::Length(5),
        rest: b"hello",
        ..GET
    },
    Case {
        input: b"POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 0\r\n\r\n",
        method: b"POST",
        headers: 2,
        ..GET
    },
    // Repeated and listed Content-Length are fine when they agree.
    Case {
        input: b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc",
        method: b"PUT",
        headers: 3,
        body: BodyKind::Length(3),
        rest: b"abc",
        ..GET
    },
    Case {
        input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
        method: b"POST",
        headers: 2,
        body: BodyKind::Chunked,
        rest: b"0\r\n\r\n",
        ..GET
    },
    Case {
        input: b"PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
        method: b"PUT",
        headers: 3,
        body: BodyKind::Length(1),
        expects_continue: true,
        ..GET
    },
    Case {
        input: b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
        target: b"/ws",
        path: b"/ws",
        headers: 3,
        upgrade: true,
        ..GET
    },
    // Upgrade without Connection: upgrade is not an upgrade.
    Case {
        input: b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n",
        headers: 2,
        ..GET
    },
    Case {
        input: b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        method: b"OPTIONS",
        target: b"*",
        path: b"*",
        ..GET
    },
    // Absolute-form: the path comes from the target; Host must agree.
    Case {
        input: b"GET http://X:80/p/q?x HTTP/1.1\r\nHost: x\r\n\r\n",
        target: b"http://X:80/p/q?x",
        path: b"/p/q",
        ..GET
    },
    Case {
        input: b"HEAD / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Obs: caf\xc3\xa9\r\n\r\nGET / HTTP/1.1\r\n",
        method: b"HEAD",
        headers: 3,
        rest: b"GET / HTTP/1.1\r\n",
        ..GET
    },
    Case {
        input: b"M-SEARCH /x HTTP/1.1\r\nHost: x\r\nX:  padded value \t\r\n\r\n",
        method: b"M-SEARCH",
        target: b"/x",
        path: b"/x",
        headers: 2,
        ..GET
    },
];

fn check(case: &Case) {
    let limits = Limits::default();
    let name = String::from_utf8_lossy(case.input);
    let (whole, rest) = read_request(&[case.input], &limits);
    let head = match whole {
        Ok(Some(head)) => head,
        other => panic!("{name:?}: {other:?}"),
    };
    assert_eq!(head.method(), case.method, "{name:?}");
    assert_eq!(head.is_head(), case.method == b"HEAD", "{name:?}");
    assert_eq!(head.target(), case.target, "{name:?}");
    assert_eq!(head.path(), case.path, "{name:?}");
    assert_eq!(head.version(), case.version, "{name:?}");
    assert_eq!(head.host(), case.host, "{name:?}");
    assert_eq!(head.headers().count(), case.headers, "{name:?}");
    assert_eq!(head.body(), case.body, "{name:?}");
    assert_eq!(head.keep_alive(), case.keep_alive, "{name:?}");
    assert_eq!(head.expects_continue(), case.expects_continue, "{name:?}");
    assert_eq!(head.is_upgrade(), case.upgrade, "{name:?}");
    assert_eq!(rest, case.rest, "{name:?}");
    let raw_len = head.raw().len();
    assert!(
        case.input.ends_with(&[&head.raw()[..], case.rest].concat()),
        "{name:?}"
    );
    assert!(raw_len > 0);

    for pieces in splits(case.input) {
        let (split, split_rest) = read_request(&pieces, &limits);
        assert_eq!(
            split,
            Ok(Some(head.clone())),
            "{name:?} split {:?}",
            pieces.len()
        );
        assert_eq!(split_rest, rest, "{name:?}");
    }
}

#[test]
fn valid_requests_parse_the_same_whole_and_split() {
    for case in VALID {
        check(case);
    }
}

#[test]
fn set_close_ends_keep_alive_and_changes_nothing_else() {
    for input in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ] {
        let (head, _) = read_request(&[input], &Limits::default());
        let mut head = head.unwrap().unwrap();
        assert!(head.keep_alive());
        let before = (head.headers().count(), head.body(), head.is_upgrade());
        head.set_close();
        assert!(!head.keep_alive());
        assert_eq!(
            before,
            (head.headers().count(), head.body(), head.is_upgrade())
        );
    }
}

#[test]
fn header_lookup_is_case_insensitive_and_zero_copy() {
    let input = b"GET / HTTP/1.1\r\nHost: x\r\nX-Dup: 1\r\nx-dup: 2\r\nAccept: text/html\r\n\r\n";
    let (res, _) = read_request(&[input], &Limits::default());
    let head = res.unwrap().unwrap();
    assert_eq!(head.header("x-dup"), Some(&b"1"[..]));
    assert_eq!(head.header("accept"), Some(&b"text/html"[..]));
    assert_eq!(head.header("missing"), None);
    let bytes = head.header_bytes("accept").unwrap();
    assert_eq!(&bytes[..], b"text/html");
    let raw = head.raw().as_ptr() as usize;
    let at = bytes.as_ptr() as usize;
    assert!(at > raw && at < raw + head.raw().len(), "a slice of raw");
    let all: Vec<_> = head.headers().collect();
    assert_eq!(all[1], (&b"X-Dup"[..], &b"1"[..]));
    assert_eq!(head.headers().len(), 4);
}

const MALFORMED: &[(&str, &[u8], ParseError)] = &[
    ("TE and CL", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", ParseError::Malformed("transfer-encoding with content-length")),
    ("CL and TE", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", ParseError::Malformed("transfer-encoding with content-length")),
    ("CL mismatch", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL list mismatch", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL negative", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL empty", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL hex", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\n", ParseError::Malformed("content-length")),
    ("CL overflow", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", ParseError::Malformed("content-length")),
    ("TE final not chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE xchunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE chunked twice", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE second field", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE with parameter", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;a=b\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE empty", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE empty element", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    ("TE gzip then chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", ParseError::UnsupportedCoding),
    ("TE unknown coding", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-custom\r\nTransfer-Encoding: chunked\r\n\r\n", ParseError::UnsupportedCoding),
    ("TE gzip alone", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", ParseError::Malformed("transfer-encoding")),
    // Found by the fuzzer: the start line is judged before its line end,
    // whole or split.
    ("bad method then bare LF", b"\x9a\n", ParseError::Malformed("method")),
    ("bare LF everywhere", b"GET / HTTP/1.1\nHost: x\n\n", ParseError::Malformed("bare LF")),
    ("bare LF after request line", b"GET / HTTP/1.1\nHost: x\r\n\r\n", ParseError::Malformed("bare LF")),
    ("bare LF after a field", b"GET / HTTP/1.1\r\nHost: x\nContent-Length: 5\r\n\r\n", ParseError::Malformed("bare LF")),
    ("bare LF ends the head", b"GET / HTTP/1.1\r\nHost: x\r\n\n", ParseError::Malformed("bare LF")),
    ("absolute-form host differs", b"GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", ParseError::Malformed("absolute-form host differs from host")),
    ("absolute-form port differs", b"GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example\r\n\r\n", ParseError::Malformed("absolute-form host differs from host")),
    ("trailing space in request line", b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", ParseError::Malformed("version")),
    ("NUL in name", b"GET / HTTP/1.1\r\nHost: x\r\nX\0A: 1\r\n\r\n", ParseError::Malformed("header name")),
    ("CTL in value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", ParseError::Malformed("header value")),
    ("TE in HTTP/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", ParseError::Malformed("transfer-encoding in HTTP/1.0")),
    ("space before colon", b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n", ParseError::Malformed("header name")),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", ParseError::Malformed("header name")),
    ("space before first field", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", ParseError::Malformed("header name")),
    ("empty field name", b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", ParseError::Malformed("header name")),
    ("field without colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", ParseError::Malformed("header name")),
    ("missing Host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", ParseError::Malformed("host")),
    ("two Hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ParseError::Malformed("host")),
    ("two Hosts in 1.0", b"GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", ParseError::Malformed("host")),
    ("Host with space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ParseError::Malformed("host")),
    ("Host with userinfo", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", ParseError::Malformed("host")),
    ("NUL in value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", ParseError::Malformed("header value")),
    ("bare CR in value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", ParseError::Malformed("header value")),
    ("bare CR after request line", b"GET / HTTP/1.1\rHost: x\r\n\r\n", ParseError::Malformed("version")),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", ParseError::Malformed("version")),
    ("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ParseError::Malformed("version")),
    ("HTTP/1.2", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", ParseError::Malformed("version")),
    ("lowercase version", b"GET / http/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("version")),
    ("HTTP/0.9 style", b"GET /\r\n\r\n", ParseError::Malformed("version")),
    ("no target", b"GET HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request line")),
    ("double space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request line")),
    ("tab separator", b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("method")),
    ("bad method", b"G(ET / HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("method")),
    ("leading space", b" GET / HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("method")),
    ("TLS handshake", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ParseError::Malformed("method")),
    ("asterisk with GET", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request-target")),
    ("authority-form", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", ParseError::Malformed("request-target")),
    ("relative target", b"GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request-target")),
    ("ftp target", b"GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request-target")),
    ("control in target", b"GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::Malformed("request line")),
];

#[test]
fn malformed_requests_are_refused() {
    let limits = Limits::default();
    for &(name, input, want) in MALFORMED {
        let (whole, _) = read_request(&[input], &limits);
        assert_eq!(whole.as_ref().err(), Some(&want), "{name}: {whole:?}");
        for pieces in splits(input) {
            let (split, _) = read_request(&pieces, &limits);
            assert_eq!(split.err(), Some(want), "{name}: split {:?}", pieces.len());
        }
        let status = if want == ParseError::UnsupportedCoding {
            crate::status::Failure::NotImplemented
        } else {
            crate::status::Failure::BadRequest
        };
        assert_eq!(want.failure(), status, "{name}");
    }
}

#[test]
fn limits_are_enforced_early() {
    use crate::status::Failure;
    let limits = Limits {
        max_header_bytes: 64,
        max_headers: 2,
        max_uri_bytes: 16,
    };
    // Too many fields.
    let input = b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n";
    assert_eq!(
        read_request(&[input], &limits).0,
        Err(ParseError::TooManyHeaders)
    );
    // Exactly the limit is fine.
    let input = b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n";
    assert!(matches!(read_request(&[input], &limits).0, Ok(Some(_))));

    // A head growing past max_header_bytes without its end.
    let long = [&b"GET / HTTP/1.1\r\nHost: x\r\nA: "[..], &[b'a'; 40][..]].concat();
    assert_eq!(
        read_request(&[&long[..]], &limits).0,
        Err(ParseError::HeadTooLarge)
    );
    assert_eq!(read_request(&[&long[..64]], &limits).0, Ok(None));
    assert_eq!(
        read_request(&[&long[..65]], &limits).0,
        Err(ParseError::HeadTooLarge)
    );
    // A complete head longer than the limit.
    let mut whole = long.clone();
    whole.extend_from_slice(b"\r\n\r\n");
    assert_eq!(
        read_request(&[&whole[..]], &limits).0,
        Err(ParseError::HeadTooLarge)
    );
    // A head of exactly max_header_bytes is accepted.
    let exact = b"GET / HTTP/1.1\r\nHost: x\r\nA: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    assert_eq!(exact.len(), 64);
    assert!(matches!(read_request(&[exact], &limits).0, Ok(Some(_))));

    // The target is known too long before the line ends.
    let uri = b"GET /aaaaaaaaaaaaaaaaa";
    // "/" and 15 bytes: within max_uri_bytes = 16, so far.
    assert_eq!(read_request(&[&uri[..20]], &limits).0, Ok(None));
    assert_eq!(
        read_request(&[&uri[..21]], &limits).0,
        Err(ParseError::UriTooLong)
    );
    let uri = b"GET /aaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(read_request(&[uri], &limits).0, Err(ParseError::UriTooLong));
    let uri = b"GET /aaaaaaaaaaaaaaa HTTP/1.1\r\nHost: x\r\n\r\n";
    assert!(matches!(read_request(&[uri], &limits).0, Ok(Some(_))));

    assert_eq!(ParseError::UriTooLong.failure(), Failure::UriTooLong);
    assert_eq!(ParseError::HeadTooLarge.failure(), Failure::HeadersTooLarge);
    assert_eq!(
        ParseError::TooManyHeaders.failure(),
        Failure::HeadersTooLarge
    );
}

#[test]
fn pipelined_requests_come_out_one_by_one() {
    let limits = Limits::default();
    let mut reader = HeadReader::default();
    let mut buf = BytesMut::from(
        &b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGET /3 HTTP/1.1\r\nHo"[..],
    );
    let first = reader.read_request(&mut buf, &limits).unwrap().unwrap();
    assert_eq!(first.target(), b"/1");
    assert!(buf.starts_with(b"POST /2"));
    let second = reader.read_request(&mut buf, &limits).unwrap().unwrap();
    assert_eq!(second.target(), b"/2");
    assert_eq!(second.body(), BodyKind::Length(2));
    assert!(buf.starts_with(b"okGET /3"));
    // The caller consumes the body, then the next head is partial.
    let _ = buf.split_to(2);
    assert_eq!(reader.read_request(&mut buf, &limits), Ok(None));
    buf.extend_from_slice(b"st: x\r\n\r\n");
    let third = reader.read_request(&mut buf, &limits).unwrap().unwrap();
    assert_eq!(third.target(), b"/3");
    assert!(buf.is_empty());
}

#[test]
fn reader_survives_a_replaced_buffer() {
    let limits = Limits::default();
    let mut reader = HeadReader::default();
    let mut buf = BytesMut::from(&b"GET /long-path-here HTTP/1.1\r\nHost: x\r\n"[..]);
    assert_eq!(reader.read_request(&mut buf, &limits), Ok(None));
    let mut other = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
    assert_eq!(reader.read_request(&mut other, &limits), Ok(None));
    reader.reset();
    let mut fresh = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: y\r\n\r\n"[..]);
    let head = reader.read_request(&mut fresh, &limits).unwrap().unwrap();
    assert_eq!(head.host(), Some(&b"y"[..]));
}

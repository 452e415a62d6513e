//! Property tests: no input makes the codec panic, and structured bodies
//! decode the same however they are split.

use proptest::prelude::*;

use super::{read_request, read_response, run_chunked};
use crate::http1::{encode_request, encode_response, Forwarded, Limits, ResponseOptions, Version};

fn small_limits() -> Limits {
    Limits {
        max_header_bytes: 256,
        max_headers: 8,
        max_uri_bytes: 32,
    }
}

/// Bytes that look enough like HTTP to get past the first checks.
fn http_ish() -> impl Strategy<Value = Vec<u8>> {
    let atoms = prop::sample::select(vec![
        &b"GET "[..],
        b"POST ",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b" ",
        b"/",
        b"\r\n",
        b"\n",
        b"\r",
        b"Host: x",
        b"Content-Length: ",
        b"Transfer-Encoding: ",
        b"chunked",
        b"5",
        b",",
        b":",
        b"Connection: ",
        b"close",
        b"upgrade",
        b"Upgrade: ws",
        b"\0",
        b"\t",
        b"200 OK",
        b"a",
        b"0\r\n\r\n",
        b"\xff",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|parts| parts.concat())
}

fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..300), http_ish()]
}

proptest! {
    #[test]
    fn read_request_never_panics(input in any_input(), at in any::<prop::sample::Index>()) {
        let at = at.index(input.len() + 1);
        for limits in [Limits::default(), small_limits()] {
            let (whole, _) = read_request(&[&input], &limits);
            let (split, _) = read_request(&[&input[..at], &input[at..]], &limits);
            if let Ok(Some(head)) = &whole {
                prop_assert_eq!(&split, &whole);
                let mut out = Vec::new();
                let fwd = Forwarded {
                    target: head.target(),
                    client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
                    proto: "http",
                    host_rewrite: None,
                    upgrade: head.is_upgrade(),
                    strip_expect: head.expects_continue(),
                    request_id: None,
                    trace: None,
                };
                encode_request(head, &fwd, &mut out);
                // What we send upstream is a request we would accept.
                let (again, _) = read_request(&[&out], &Limits { max_header_bytes: 4096, ..limits });
                prop_assert!(matches!(again, Ok(Some(_))), "{:?}", String::from_utf8_lossy(&out));
            }
        }
    }

    #[test]
    fn read_response_never_panics(input in any_input(), at in any::<prop::sample::Index>(), was_head: bool) {
        let at = at.index(input.len() + 1);
        for limits in [Limits::default(), small_limits()] {
            let (whole, _) = read_response(&[&input], &limits, was_head);
            let (split, _) = read_response(&[&input[..at], &input[at..]], &limits, was_head);
            if let Ok(Some(head)) = &whole {
                prop_assert_eq!(&split, &whole);
                let mut out = Vec::new();
                let opts = ResponseOptions {
                    keep_alive: head.keep_alive(),
                    client_version: Version::Http11,
                    dechunk: false,
                    upgrade: false,
                };
                encode_response(head, &opts, &mut out);
            }
        }
    }

    #[test]
    fn chunked_decoder_never_panics(input in any_input(), at in any::<prop::sample::Index>()) {
        let at = at.index(input.len() + 1);
        let whole = run_chunked(&[&input]);
        let split = run_chunked(&[&input[..at], &input[at..]]);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn chunked_bodies_roundtrip(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..40), 0..6),
        upper: bool,
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut body = Vec::new();
        for c in &chunks {
            let size = if upper { format!("{:X}", c.len()) } else { format!("{:x}", c.len()) };
            body.extend_from_slice(size.as_bytes());
            body.extend_from_slice(b";e=1\r\n");
            body.extend_from_slice(c);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\nT: v\r\n\r\n");
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
        points.sort_unstable();
        let mut pieces = Vec::new();
        let mut last = 0;
        for p in points {
            pieces.push(&body[last..p]);
            last = p;
        }
        pieces.push(&body[last..]);
        let run = run_chunked(&pieces).unwrap();
        prop_assert_eq!(run.data, chunks.concat());
        prop_assert_eq!(&run.raw, &body);
        prop_assert!(run.done);
        prop_assert!(run.rest.is_empty());
    }
}

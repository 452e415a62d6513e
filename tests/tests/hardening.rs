//! The hardening battery (RFC 9112 sections 2.2, 3, 5, 6.3, 7.1, 11;
//! RFC 9110 section 5): every rule sent as exact bytes over a raw TCP
//! socket, one named case per rule.
//!
//! Requests refused at the head: the case asserts the status, a
//! `Connection: close` answer, that the gateway closes the connection
//! (EOF within 3 s), and that nothing reached the origin (no new
//! connection, no request head). Requests refused inside the body (chunk
//! framing, sizes): the origin has seen the head by then, so the case
//! asserts instead that the client got the status and a close, and that
//! the upstream exchange was aborted: the origin's connection ended in the
//! middle of the body (EOF, not a timeout) and no complete request reached
//! it. Upstream responses with bad bytes: 502 (head) or a truncated body
//! and a closed client connection (body), never a reused upstream
//! connection, and the client connection goes on serving when it should.
//!
//! Every case runs even when an earlier one fails; the failure message
//! names each failed rule.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringgate_tests::client::{Conn, Response};
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::wait_until;

const CLOSE_WITHIN: Duration = Duration::from_secs(3);

fn gateway(o: &Origin, server: &[&str]) -> Gateway {
    let mut b = Gateway::builder().config(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    ));
    for line in server {
        b = b.server(line);
    }
    b.start()
}

/// Runs every case, then fails once naming every case that failed.
fn run_all<C>(cases: &[C], name: impl Fn(&C) -> String, run: impl Fn(&C) -> Result<(), String>) {
    let mut failed = Vec::new();
    for case in cases {
        match run(case) {
            Ok(()) => println!("case {}: ok", name(case)),
            Err(why) => {
                println!("case {}: FAILED: {why}", name(case));
                failed.push(format!("{}: {why}", name(case)));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        cases.len(),
        failed.join("\n")
    );
}

fn says_close(r: &Response) -> bool {
    r.has_token("connection", "close")
}

/// Sends `bytes` on a fresh connection and reads the answer, checking the
/// status, `Connection: close` and that the gateway closes the connection.
fn refused(gw: &Gateway, bytes: &[u8], status: u16) -> Result<Response, String> {
    let mut conn = Conn::connect(gw.addr()).map_err(|e| format!("connect: {e}"))?;
    conn.set_patience(Duration::from_secs(5));
    conn.send(bytes).map_err(|e| format!("send: {e}"))?;
    let r = conn
        .read_response("GET")
        .map_err(|e| format!("no answer: {e}"))?;
    if r.status != status {
        return Err(format!("status {} {:?}, want {status}", r.status, r.text()));
    }
    if r.origin().is_some() {
        return Err("the origin's response was passed through".into());
    }
    if !says_close(&r) {
        return Err(format!("no Connection: close in {:?}", r.headers));
    }
    if !conn.closed_within(CLOSE_WITHIN) {
        return Err(format!(
            "connection still open {CLOSE_WITHIN:?} after the answer"
        ));
    }
    Ok(r)
}

/// One request refused at the head: status, close, nothing at the origin.
struct HeadCase {
    name: &'static str,
    bytes: Vec<u8>,
    status: u16,
}

fn head(name: &'static str, bytes: &[u8], status: u16) -> HeadCase {
    HeadCase {
        name,
        bytes: bytes.to_vec(),
        status,
    }
}

fn head_cases() -> Vec<HeadCase> {
    let long_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(9 * 1024));
    let big_head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(17 * 1024)
    );
    let mut many = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    for i in 0..101 {
        many.push_str(&format!("X-{i}: v\r\n"));
    }
    many.push_str("\r\n");
    vec![
        // Framing: Content-Length and Transfer-Encoding (RFC 9112 6.1, 6.3).
        head("cl_and_te", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        head("te_and_cl", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
        head("cl_differing_fields", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        head("cl_list_1_2", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab", 400),
        head("cl_plus_sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400),
        head("cl_minus_sign", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400),
        head("cl_non_digits", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello", 400),
        head("cl_hex", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x5\r\n\r\nhello", 400),
        head("cl_empty", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400),
        head("cl_overflows_u64", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", 400),
        head("te_final_not_chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        head("te_only_gzip", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        head("te_identity", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400),
        head("te_chunked_with_parameter", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400),
        head("te_chunked_chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
        head("te_chunked_in_two_fields", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        head("te_empty_element", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400),
        head("te_in_http10", b"POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        head("te_unknown_coding", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x-custom, chunked\r\n\r\n0\r\n\r\n", 501),
        head("te_gzip_then_chunked", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        // Field syntax (RFC 9112 5.1, 5.2; RFC 9110 5.5).
        head("obs_fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n", 400),
        head("obs_fold_tab", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\tfolded\r\n\r\n", 400),
        head("space_before_colon", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n", 400),
        head("tab_before_colon", b"GET / HTTP/1.1\r\nHost: x\r\nX-A\t: 1\r\n\r\n", 400),
        head("space_before_first_field", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
        head("field_without_colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
        head("empty_field_name", b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400),
        head("ctl_in_name", b"GET / HTTP/1.1\r\nHost: x\r\nX\x01A: 1\r\n\r\n", 400),
        head("ctl_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
        head("del_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", 400),
        head("nul_in_name", b"GET / HTTP/1.1\r\nHost: x\r\nX\0A: 1\r\n\r\n", 400),
        head("nul_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", 400),
        head("bare_cr_in_name", b"GET / HTTP/1.1\r\nHost: x\r\nX\rA: 1\r\n\r\n", 400),
        head("bare_cr_in_value", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
        head("bare_cr_ends_request_line", b"GET / HTTP/1.1\rHost: x\r\n\r\n", 400),
        // Bare LF (RFC 9112 2.2 allows it; ringgate refuses it in a head).
        head("bare_lf_everywhere", b"GET / HTTP/1.1\nHost: x\n\n", 400),
        head("bare_lf_after_request_line", b"GET / HTTP/1.1\nHost: x\r\n\r\n", 400),
        head("bare_lf_hides_a_field", b"POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\nContent-Length: 5\r\n\r\nhello", 400),
        head("bare_lf_ends_head", b"GET / HTTP/1.1\r\nHost: x\r\n\n", 400),
        // Request line (RFC 9112 3).
        head("request_line_double_space", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("request_line_double_space_before_version", b"GET /  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("request_line_tab", b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("request_line_tab_before_version", b"GET /\tHTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("request_line_trailing_space", b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
        head("request_line_leading_space", b" GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("version_lowercase", b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
        head("version_garbage", b"GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400),
        head("version_http2", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400),
        head("version_missing", b"GET /\r\nHost: x\r\n\r\n", 400),
        head("method_invalid_token", b"G(ET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("method_with_at_sign", b"GE@T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("method_nul", b"G\0ET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("target_with_control", b"GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("target_relative", b"GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        head("target_authority_form", b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 400),
        // Host (RFC 9112 3.2, 3.2.2).
        head("absolute_form_host_mismatch", b"GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", 400),
        head("absolute_form_port_mismatch", b"GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example:9090\r\n\r\n", 400),
        head("two_host_fields", b"GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400),
        head("two_equal_host_fields", b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400),
        head("missing_host_http11", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
        head("host_with_userinfo", b"GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n", 400),
        head("host_with_space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        // Size limits.
        head("body_over_max_body_bytes", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n", 413),
        HeadCase {
            name: "uri_over_max_uri_bytes",
            bytes: long_uri.into_bytes(),
            status: 414,
        },
        HeadCase {
            name: "head_over_max_header_bytes",
            bytes: big_head.into_bytes(),
            status: 431,
        },
        HeadCase {
            name: "fields_over_max_headers",
            bytes: many.into_bytes(),
            status: 431,
        },
    ]
}

#[test]
fn requests_refused_at_the_head_never_reach_the_origin() {
    let o = Origin::echo("o");
    let gw = gateway(&o, &["max_body_bytes = \"1KiB\""]);
    run_all(
        &head_cases(),
        |c| c.name.to_string(),
        |c| {
            let before = (o.accepted(), o.heads());
            refused(&gw, &c.bytes, c.status)?;
            let after = (o.accepted(), o.heads());
            if after != before {
                return Err(format!(
                    "reached the origin: connections {} -> {}, heads {} -> {}",
                    before.0, after.0, before.1, after.1
                ));
            }
            Ok(())
        },
    );
    // The same gateway still serves well-formed requests.
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .get("/still-fine")
        .expect("a good request after the battery");
    assert_eq!(r.status, 200);
    assert_eq!(o.request_count(), 1);
}

/// One chunked request refused inside its body.
struct BodyCase {
    name: &'static str,
    body: Vec<u8>,
    status: u16,
}

fn body(name: &'static str, body: &[u8], status: u16) -> BodyCase {
    BodyCase {
        name,
        body: body.to_vec(),
        status,
    }
}

fn body_cases() -> Vec<BodyCase> {
    let mut beyond_limit = b"ffffffffffffffff\r\n".to_vec();
    beyond_limit.extend_from_slice(&[b'z'; 2048]);
    vec![
        body("chunk_size_not_hex", b"zz\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_empty", b"\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_plus_sign", b"+5\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_minus_sign", b"-5\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_0x_prefix", b"0x5\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_leading_space", b" 5\r\nhello\r\n0\r\n\r\n", 400),
        body(
            "chunk_size_trailing_space",
            b"5 \r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body(
            "chunk_size_overflows_u64",
            b"10000000000000000\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body(
            "chunk_size_overflows_with_leading_zeros",
            b"00000000000000005\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body("chunk_size_u64_max_beyond_body_limit", &beyond_limit, 413),
        body(
            "chunked_body_over_max_body_bytes",
            &[&b"800\r\n"[..], &[b'y'; 2048], b"\r\n0\r\n\r\n"].concat(),
            413,
        ),
        body("chunk_size_bare_lf", b"5\nhello\r\n0\r\n\r\n", 400),
        body("chunk_size_bare_cr", b"5\rhello\r\n0\r\n\r\n", 400),
        body("chunk_ext_empty", b"5;\r\nhello\r\n0\r\n\r\n", 400),
        body("chunk_ext_no_name", b"5;=v\r\nhello\r\n0\r\n\r\n", 400),
        body(
            "chunk_ext_space_in_name",
            b"5;a b\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body(
            "chunk_ext_value_missing",
            b"5;a=\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body(
            "chunk_ext_quote_unterminated",
            b"5;a=\"x\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body(
            "chunk_ext_control_char",
            b"5;a\x01\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body("chunk_ext_bare_lf", b"5;a\nhello\r\n0\r\n\r\n", 400),
        body(
            "chunk_ext_nul_in_quoted",
            b"5;a=\"x\0\"\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body("chunk_data_missing_crlf", b"5\r\nhelloXX\r\n0\r\n\r\n", 400),
        body(
            "chunk_data_longer_than_size",
            b"3\r\nhello\r\n0\r\n\r\n",
            400,
        ),
        body("chunk_data_bare_lf", b"5\r\nhello\n0\r\n\r\n", 400),
        body("chunk_data_bare_cr", b"5\r\nhello\r0\r\n\r\n", 400),
        body(
            "trailer_without_colon",
            b"5\r\nhello\r\n0\r\nNoColon\r\n\r\n",
            400,
        ),
        body(
            "trailer_obs_fold",
            b"5\r\nhello\r\n0\r\nX-T: 1\r\n folded\r\n\r\n",
            400,
        ),
        body(
            "trailer_space_before_colon",
            b"5\r\nhello\r\n0\r\nX-T : 1\r\n\r\n",
            400,
        ),
        body("trailer_bare_lf", b"5\r\nhello\r\n0\r\nX-T: 1\n\r\n", 400),
        body("final_chunk_bare_lf", b"5\r\nhello\r\n0\r\n\n", 400),
    ]
}

#[test]
fn chunked_bodies_with_bad_framing_abort_the_upstream_exchange() {
    let o = Origin::echo("o");
    let gw = gateway(&o, &["max_body_bytes = \"1KiB\""]);
    run_all(
        &body_cases(),
        |c| c.name.to_string(),
        |c| {
            let (heads, cut, requests) = (o.heads(), o.cut_short(), o.request_count());
            let mut bytes =
                b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            bytes.extend_from_slice(&c.body);
            refused(&gw, &bytes, c.status)?;
            // The head went upstream before the body was read; the
            // gateway must then have dropped that upstream connection.
            if !wait_until(Duration::from_secs(5), || o.cut_short() == cut + 1) {
                return Err(format!(
                    "upstream exchange not aborted: heads {} -> {}, cut short {} -> {}",
                    heads,
                    o.heads(),
                    cut,
                    o.cut_short()
                ));
            }
            if o.heads() != heads + 1 || o.request_count() != requests {
                return Err(format!(
                    "origin saw heads {} -> {}, complete requests {} -> {}",
                    heads,
                    o.heads(),
                    requests,
                    o.request_count()
                ));
            }
            Ok(())
        },
    );
}

#[test]
fn a_valid_chunked_request_is_re_chunked_by_the_gateway() {
    let o = Origin::echo("o");
    let gw = gateway(&o, &[]);
    let mut conn = Conn::open(gw.addr());
    conn.send(
        b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n\
          3;name=\"quoted; value\"\r\nabc\r\n0002 ; a = b\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
    )
    .expect("send");
    let r = conn.read_response("POST").expect("response");
    assert_eq!(r.status, 200, "{:?}", r.text());
    let seen = o.last_request();
    assert_eq!(seen.body, b"abcde");
    assert!(seen.chunked);
    assert_eq!(seen.header_all("transfer-encoding"), ["chunked"]);
    assert!(seen.header("content-length").is_none());
}

/// One bad upstream response, sent as raw bytes by an origin that keeps
/// its connection open afterwards.
struct UpstreamCase {
    name: &'static str,
    response: &'static [u8],
    /// `true`: refused at the head (502, the client connection stays);
    /// `false`: the head was fine, the body framing is not (the client
    /// sees a 200 head, then the connection closes before the body ends).
    at_head: bool,
}

const fn up(name: &'static str, response: &'static [u8], at_head: bool) -> UpstreamCase {
    UpstreamCase {
        name,
        response,
        at_head,
    }
}

const UPSTREAM_CASES: &[UpstreamCase] = &[
    up("resp_cl_and_te", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true),
    up("resp_te_and_cl", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", true),
    up("resp_cl_differing_fields", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", true),
    up("resp_cl_list_1_2", b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", true),
    up("resp_cl_plus_sign", b"HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nab", true),
    up("resp_cl_non_digits", b"HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nab", true),
    up("resp_te_chunked_chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", true),
    up("resp_te_in_http10", b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true),
    up("resp_obs_fold", b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_space_before_colon", b"HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", true),
    up("resp_ctl_in_name", b"HTTP/1.1 200 OK\r\nX\x01A: 1\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_ctl_in_value", b"HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_nul_in_name", b"HTTP/1.1 200 OK\r\nX\0A: 1\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_nul_in_value", b"HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_bare_cr_in_value", b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_bare_lf", b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", true),
    up("resp_bare_lf_hides_a_field", b"HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 5\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_status_line_short_code", b"HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_status_line_lowercase", b"http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_status_line_http2", b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", true),
    up("resp_not_http", b"<html>hello</html>\r\n\r\n", true),
    up("resp_chunk_size_not_hex", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", false),
    up("resp_chunk_size_overflows_u64", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nhello\r\n0\r\n\r\n", false),
    up("resp_chunk_ext_bad", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\nhello\r\n0\r\n\r\n", false),
    up("resp_chunk_data_missing_crlf", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n", false),
    up("resp_chunk_bare_lf", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", false),
];

fn bad_origin() -> Origin {
    Origin::start("o", |req| {
        let case = req
            .path()
            .strip_prefix("/bad/")
            .and_then(|name| UPSTREAM_CASES.iter().find(|c| c.name == name));
        match case {
            Some(c) => Reply::RawPieces {
                pieces: vec![c.response.to_vec()],
                gap: Duration::ZERO,
            },
            None if req.path() == "/split-late" => Reply::RawPieces {
                pieces: vec![
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
                    b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Smuggled: 1\r\n\r\nsmuggled"
                        .to_vec(),
                ],
                gap: Duration::from_millis(200),
            },
            None if req.path() == "/split" => Reply::RawPieces {
                pieces: vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\
                    HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Smuggled: 1\r\n\r\nsmuggled"
                    .to_vec()],
                gap: Duration::ZERO,
            },
            None => Reply::text(200, "fine"),
        }
    })
}

/// The upstream connection index the origin saw the request for `path` on.
fn conn_of(o: &Origin, path: &str) -> Option<usize> {
    o.requests()
        .iter()
        .rev()
        .find(|r| r.target == path)
        .map(|r| r.conn)
}

#[test]
fn bad_upstream_responses_get_502_and_the_upstream_connection_is_dropped() {
    let o = bad_origin();
    let gw = gateway(&o, &[]);
    run_all(
        UPSTREAM_CASES,
        |c| c.name.to_string(),
        |c| {
            let path = format!("/bad/{}", c.name);
            let mut conn = Conn::connect(gw.addr()).map_err(|e| format!("connect: {e}"))?;
            conn.set_patience(Duration::from_secs(5));
            conn.send(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .map_err(|e| format!("send: {e}"))?;
            let answer = conn.read_response("GET");
            if c.at_head {
                let r = answer.map_err(|e| format!("no answer: {e}"))?;
                if r.status != 502 || r.origin().is_some() {
                    return Err(format!(
                        "status {} {:?}, want the gateway's 502",
                        r.status,
                        r.text()
                    ));
                }
            } else {
                // The 200 head went out before the body broke: the body
                // must end short, the connection close.
                match answer {
                    Ok(r) => {
                        return Err(format!(
                            "complete response {} {:?} from a broken body",
                            r.status,
                            r.text()
                        ))
                    }
                    Err(_) if conn.closed_within(CLOSE_WITHIN) => {}
                    Err(e) => {
                        return Err(format!("body broke ({e}) but the connection stayed open"))
                    }
                }
                conn = Conn::connect(gw.addr()).map_err(|e| format!("reconnect: {e}"))?;
                conn.set_patience(Duration::from_secs(5));
            }
            // The next request (on the same client connection after a 502)
            // works, on another upstream connection.
            let r = conn
                .get("/after")
                .map_err(|e| format!("next request failed: {e}"))?;
            if r.status != 200 || r.text() != "fine" {
                return Err(format!("next request: {} {:?}", r.status, r.text()));
            }
            let (bad, next) = (conn_of(&o, &path), conn_of(&o, "/after"));
            if bad.is_none() || bad == next {
                return Err(format!(
                    "upstream connection reused: bad response on {bad:?}, next request on {next:?}"
                ));
            }
            Ok(())
        },
    );
}

#[test]
fn bytes_after_an_upstream_response_never_answer_another_request() {
    let o = bad_origin();
    let gw = gateway(&o, &[]);
    let mut conn = Conn::open(gw.addr());
    let r = conn.get("/split").expect("first response");
    assert_eq!((r.status, r.text().as_str()), (200, "hi"));
    let r = conn.get("/after").expect("second response");
    assert_eq!(
        r.text(),
        "fine",
        "the smuggled response answered: {:?}",
        r.headers
    );
    assert!(r.header("x-smuggled").is_none());
    assert_ne!(conn_of(&o, "/split"), conn_of(&o, "/after"));
}

#[test]
fn bytes_arriving_on_an_idle_pooled_connection_never_answer_another_request() {
    let o = bad_origin();
    let gw = gateway(&o, &[]);
    let mut conn = Conn::open(gw.addr());
    let r = conn.get("/split-late").expect("first response");
    assert_eq!((r.status, r.text().as_str()), (200, "hi"));
    // The stray response arrives 200 ms later, while the upstream
    // connection idles in the pool.
    std::thread::sleep(Duration::from_millis(600));
    let r = conn.get("/after").expect("second response");
    assert_eq!(r.text(), "fine", "the late bytes answered: {:?}", r.headers);
    assert!(r.header("x-smuggled").is_none());
    assert_ne!(conn_of(&o, "/split-late"), conn_of(&o, "/after"));
}

#[test]
fn a_body_dripping_below_min_body_rate_gets_408_and_close() {
    let o = Origin::echo("o");
    let gw = gateway(
        &o,
        &[
            "min_body_rate = \"1KiB/s\"",
            "body_rate_window = \"1s\"",
            "body_timeout = \"30s\"",
        ],
    );
    let mut conn = Conn::open(gw.addr());
    conn.set_patience(Duration::from_secs(6));
    conn.send(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        .expect("send head");
    // One byte every 100 ms (10 B/s) from another thread until answered.
    let done = Arc::new(AtomicBool::new(false));
    let mut writer = conn.wire().stream().try_clone().expect("clone");
    let stop = done.clone();
    let drip = std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(10);
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            if writer.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let started = Instant::now();
    let r = conn.read_response("POST");
    let took = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let _ = drip.join();
    let r = r.expect("an answer to the dripping body");
    assert_eq!(r.status, 408, "{:?}", r.text());
    assert!(says_close(&r));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "408 after {took:?}; the window is 1 s"
    );
    assert!(
        conn.closed_within(CLOSE_WITHIN),
        "connection left open after 408"
    );
    assert!(
        wait_until(Duration::from_secs(5), || o.cut_short() == 1),
        "the upstream exchange was not aborted"
    );
    assert_eq!(o.request_count(), 0);
}

#[test]
fn a_stalled_body_gets_408_after_body_timeout() {
    let o = Origin::echo("o");
    let gw = gateway(&o, &["body_timeout = \"1s\""]);
    let mut conn = Conn::open(gw.addr());
    conn.set_patience(Duration::from_secs(6));
    let started = Instant::now();
    conn.send(b"POST /stall HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        .expect("send");
    let r = conn
        .read_response("POST")
        .expect("an answer to the stalled body");
    let took = started.elapsed();
    assert_eq!(r.status, 408, "{:?}", r.text());
    assert!(says_close(&r));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "408 after {took:?}; body_timeout is 1 s"
    );
    assert!(
        conn.closed_within(CLOSE_WITHIN),
        "connection left open after 408"
    );
    assert!(wait_until(Duration::from_secs(5), || o.cut_short() == 1));
}

#[test]
fn a_body_above_min_body_rate_passes() {
    let o = Origin::echo("o");
    let gw = gateway(
        &o,
        &["min_body_rate = \"1KiB/s\"", "body_rate_window = \"1s\""],
    );
    let mut conn = Conn::open(gw.addr());
    conn.set_patience(Duration::from_secs(10));
    // 8 KiB/s in 2 KiB pieces every 250 ms, for 2.5 s: well above the floor.
    let pieces = 10;
    let piece = vec![b'p'; 2048];
    conn.send(
        format!(
            "POST /steady HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            pieces * piece.len()
        )
        .as_bytes(),
    )
    .expect("send head");
    for _ in 0..pieces {
        std::thread::sleep(Duration::from_millis(250));
        conn.send(&piece).expect("send piece");
    }
    let r = conn.read_response("POST").expect("response");
    assert_eq!(r.status, 200, "{:?}", r.text());
    assert_eq!(o.last_request().body_len, (pieces * piece.len()) as u64);
}

#[test]
fn max_requests_per_connection_closes_after_the_nth_response() {
    let o = Origin::echo("o");
    let gw = gateway(&o, &["max_requests_per_connection = 3"]);
    let mut conn = Conn::open(gw.addr());
    // N + 1 = 4 keep-alive requests, pipelined on one socket.
    let mut all = Vec::new();
    for i in 1..=4 {
        all.extend_from_slice(format!("GET /n/{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    conn.send(&all).expect("send");
    for i in 1..=3 {
        let r = conn.read_response("GET").expect("response");
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(says_close(&r), i == 3, "request {i}: {:?}", r.headers);
    }
    assert!(
        conn.closed_within(CLOSE_WITHIN),
        "connection open after the 3rd response"
    );
    assert_eq!(o.request_count(), 3, "the 4th request was forwarded");
    // The cap is per connection: a new one serves again.
    let mut again = Conn::open(gw.addr());
    let r = again.get("/n/5").expect("new connection");
    assert_eq!(r.status, 200);
    assert!(!says_close(&r));
    // An HTTP/1.0 keep-alive client is told too.
    let mut old = Conn::open(gw.addr());
    for i in 1..=3 {
        old.send(format!("GET /old/{i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes())
            .expect("send");
        let r = old.read_response("GET").expect("response");
        assert_eq!(
            says_close(&r),
            i == 3,
            "HTTP/1.0 request {i}: {:?}",
            r.headers
        );
    }
    assert!(old.closed_within(CLOSE_WITHIN));
}

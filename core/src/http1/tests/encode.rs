//! Heads written upstream and to clients: hop-by-hop fields removed,
//! forwarding fields appended.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{read_request, read_response};
use crate::http1::{
    append_fields, encode_error, encode_error_head_with, encode_error_with, encode_request,
    encode_response, Forwarded, Limits, RequestHead, ResponseHead, ResponseOptions, TraceHeaders,
    Version, CONTINUE,
};

fn request(input: &[u8]) -> RequestHead {
    read_request(&[input], &Limits::default())
        .0
        .unwrap()
        .unwrap()
}

fn response(input: &[u8]) -> ResponseHead {
    read_response(&[input], &Limits::default(), false)
        .0
        .unwrap()
        .unwrap()
}

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

fn fwd(target: &[u8]) -> Forwarded<'_> {
    Forwarded {
        target,
        client_ip: CLIENT,
        proto: "https",
        host_rewrite: None,
        upgrade: false,
        strip_expect: false,
        request_id: None,
        trace: None,
    }
}

fn encode_req(head: &RequestHead, fwd: &Forwarded<'_>) -> String {
    let mut out = Vec::new();
    encode_request(head, fwd, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn request_minimal() {
    let head = request(b"GET /a?b HTTP/1.1\r\nHost: api.example\r\n\r\n");
    assert_eq!(
        encode_req(&head, &fwd(head.target())),
        "GET /a?b HTTP/1.1\r\nHost: api.example\r\nX-Forwarded-For: 203.0.113.7\r\n\
         X-Forwarded-Proto: https\r\nX-Forwarded-Host: api.example\r\nVia: 1.1 ringgate\r\n\r\n"
    );
}

#[test]
fn request_trace_context_is_replaced() {
    let head = request(
        b"GET / HTTP/1.1\r\nHost: h\r\nTraceParent: 00-aa-bb-01\r\ntracestate: a=1\r\n\
          X-Keep: 1\r\nTRACESTATE: b=2\r\n\r\n",
    );
    let mut f = fwd(b"/");
    let mine = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    f.trace = Some(TraceHeaders {
        traceparent: mine,
        keep_tracestate: true,
    });
    let kept = encode_req(&head, &f);
    assert!(!kept.contains("00-aa-bb-01"), "{kept}");
    assert!(
        kept.contains("tracestate: a=1\r\nX-Keep: 1\r\nTRACESTATE: b=2\r\n"),
        "{kept}"
    );
    assert!(kept
        .ends_with("traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"));
    f.trace = Some(TraceHeaders {
        traceparent: mine,
        keep_tracestate: false,
    });
    let dropped = encode_req(&head, &f);
    assert!(
        !dropped.to_ascii_lowercase().contains("tracestate"),
        "{dropped}"
    );
    assert!(dropped.contains("X-Keep: 1\r\n"));
    // Tracing off: everything as received.
    let off = encode_req(&head, &fwd(b"/"));
    assert!(off.contains("TraceParent: 00-aa-bb-01\r\n") && off.contains("TRACESTATE: b=2"));
}

#[test]
fn request_hop_by_hop_fields_are_removed() {
    let head = request(
        b"POST /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret, Content-Length, host\r\n\
          Keep-Alive: timeout=5\r\nX-Secret: s\r\nTE: trailers\r\nTrailer: X-Sum\r\n\
          Proxy-Connection: keep-alive\r\nUpgrade: h2c\r\nX-Keep: 1\r\nContent-Length: 3\r\n\
          Expect: 100-continue\r\n\r\n",
    );
    let mut f = fwd(b"/y");
    f.strip_expect = true;
    assert_eq!(
        encode_req(&head, &f),
        "POST /y HTTP/1.1\r\nHost: h\r\nX-Keep: 1\r\nContent-Length: 3\r\n\
         X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: h\r\n\
         Via: 1.1 ringgate\r\n\r\n"
    );
    // Without strip_expect, Expect goes through.
    assert!(encode_req(&head, &fwd(b"/y")).contains("\r\nExpect: 100-continue\r\n"));
}

#[test]
fn request_forwarding_fields_are_appended() {
    let head = request(
        b"GET / HTTP/1.1\r\nHost: front\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.0 edge\r\n\
          X-Forwarded-For: 10.0.0.2, 10.0.0.3\r\nX-Forwarded-Proto: http\r\n\
          X-Forwarded-Host: original\r\n\r\n",
    );
    let mut f = fwd(b"/");
    f.host_rewrite = Some("backend:8080");
    f.client_ip = IpAddr::V6(Ipv6Addr::LOCALHOST);
    assert_eq!(
        encode_req(&head, &f),
        "GET / HTTP/1.1\r\nHost: backend:8080\r\nX-Forwarded-Host: original\r\n\
         X-Forwarded-For: 10.0.0.1, 10.0.0.2, 10.0.0.3, ::1\r\nX-Forwarded-Proto: https\r\n\
         Via: 1.0 edge, 1.1 ringgate\r\n\r\n"
    );
}

#[test]
fn request_connection_named_forwarding_field_is_dropped_not_merged() {
    let head =
        request(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Forwarded-For\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
    let out = encode_req(&head, &fwd(b"/"));
    assert!(
        out.contains("\r\nX-Forwarded-For: 203.0.113.7\r\n"),
        "{out}"
    );
    assert!(!out.contains("6.6.6.6"), "{out}");
}

#[test]
fn request_upgrade_keeps_upgrade() {
    let head = request(
        b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Key: k\r\n\r\n",
    );
    assert!(head.is_upgrade());
    let mut f = fwd(b"/ws");
    f.upgrade = true;
    assert_eq!(
        encode_req(&head, &f),
        "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\
         X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: h\r\n\
         Via: 1.1 ringgate\r\nConnection: upgrade\r\n\r\n"
    );
}

#[test]
fn request_from_http10_without_host_gets_one() {
    let head = request(b"GET / HTTP/1.0\r\n\r\n");
    let out = encode_req(&head, &fwd(b"/"));
    assert!(out.starts_with("GET / HTTP/1.1\r\nHost: \r\n"), "{out}");
    assert!(!out.contains("X-Forwarded-Host"), "{out}");
    let mut f = fwd(b"/");
    f.host_rewrite = Some("b");
    assert!(encode_req(&head, &f).starts_with("GET / HTTP/1.1\r\nHost: b\r\n"));
}

#[test]
fn encoded_request_parses_back() {
    let head = request(
        b"POST /p HTTP/1.1\r\nHost: h\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let out = encode_req(&head, &fwd(b"/q"));
    let again = request(out.as_bytes());
    assert_eq!(again.target(), b"/q");
    assert_eq!(again.body(), head.body());
    assert!(again.keep_alive());
    assert_eq!(again.header("via"), Some(&b"1.1 ringgate"[..]));
}

fn encode_res(head: &ResponseHead, opts: &ResponseOptions) -> String {
    let mut out = Vec::new();
    encode_response(head, opts, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

const KEEP: ResponseOptions = ResponseOptions {
    keep_alive: true,
    client_version: Version::Http11,
    dechunk: false,
    upgrade: false,
};

#[test]
fn response_hop_by_hop_fields_are_removed_and_via_appended() {
    let head = response(
        b"HTTP/1.1 200 Fine\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\n\
          X-Internal: 1\r\nVia: 1.1 origin\r\nContent-Length: 2\r\nTrailer: X\r\n\r\n",
    );
    assert_eq!(
        encode_res(&head, &KEEP),
        "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nVia: 1.1 origin, 1.1 ringgate\r\n\r\n"
    );
    let close = ResponseOptions {
        keep_alive: false,
        ..KEEP
    };
    assert_eq!(
        encode_res(&head, &close),
        "HTTP/1.1 200 Fine\r\nContent-Length: 2\r\nVia: 1.1 origin, 1.1 ringgate\r\nConnection: close\r\n\r\n"
    );
    let old_client = ResponseOptions {
        client_version: Version::Http10,
        ..KEEP
    };
    assert!(encode_res(&head, &old_client).ends_with("\r\nConnection: keep-alive\r\n\r\n"));
}

#[test]
fn response_framing_is_rewritten_and_dechunk_drops_it() {
    let head = response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding:  Chunked \r\nX: y\r\n\r\n");
    assert_eq!(
        encode_res(&head, &KEEP),
        "HTTP/1.1 200 OK\r\nX: y\r\nTransfer-Encoding: chunked\r\nVia: 1.1 ringgate\r\n\r\n"
    );
    let dechunk = ResponseOptions {
        keep_alive: false,
        client_version: Version::Http10,
        dechunk: true,
        upgrade: false,
    };
    assert_eq!(
        encode_res(&head, &dechunk),
        "HTTP/1.1 200 OK\r\nX: y\r\nVia: 1.1 ringgate\r\nConnection: close\r\n\r\n"
    );
    // Agreeing copies of Content-Length become one field.
    let listed =
        response(b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 02\r\n\r\nhi");
    assert_eq!(
        encode_res(&listed, &KEEP),
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nVia: 1.1 ringgate\r\n\r\n"
    );
    // A close-delimited body keeps the codings it is in; a HEAD response
    // its length.
    let gzip = response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
    assert!(encode_res(&gzip, &KEEP).contains("\r\nTransfer-Encoding: gzip\r\n"));
    let to_head = read_response(
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n"],
        &Limits::default(),
        true,
    )
    .0
    .unwrap()
    .unwrap();
    assert!(encode_res(&to_head, &KEEP).contains("\r\nContent-Length: 42\r\n"));
}

#[test]
fn request_framing_is_the_gateways_own() {
    // Agreeing Content-Length copies are sent as one field.
    let head = request(
        b"PUT /p HTTP/1.1\r\nContent-Length: 3, 3\r\nHost: h\r\ncontent-length: 003\r\n\r\n",
    );
    let out = encode_req(&head, &fwd(b"/p"));
    assert_eq!(out.matches("ontent-").count(), 1, "{out}");
    assert!(out.contains("\r\nContent-Length: 3\r\n"), "{out}");
    // A chunked request is announced as the gateway will send it.
    let head = request(b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ChUnKeD\r\n\r\n");
    let out = encode_req(&head, &fwd(b"/p"));
    assert!(out.contains("\r\nTransfer-Encoding: chunked\r\n"), "{out}");
    assert!(!out.contains("ChUnKeD"), "{out}");
    // An empty body announced with a length keeps it.
    let head = request(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    assert!(encode_req(&head, &fwd(b"/p")).contains("\r\nContent-Length: 0\r\n"));
    let head = request(b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n");
    assert!(!encode_req(&head, &fwd(b"/p")).contains("Content-Length"));
}

#[test]
fn response_upgrade_and_raw_reason() {
    let head = response(
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Accept: a\r\n\r\n",
    );
    let up = ResponseOptions {
        upgrade: true,
        ..KEEP
    };
    assert_eq!(
        encode_res(&head, &up),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: a\r\n\
         Via: 1.1 ringgate\r\nConnection: upgrade\r\n\r\n"
    );
    let odd = response(b"HTTP/1.1 599 \xe9trange\r\nContent-Length: 0\r\n\r\n");
    let mut out = Vec::new();
    encode_response(&odd, &KEEP, &mut out);
    assert!(out.starts_with(b"HTTP/1.1 599 \xe9trange\r\n"));
}

#[test]
fn error_responses() {
    let mut out = Vec::new();
    encode_error(431, "request headers too large", true, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 26\r\nConnection: close\r\n\r\nrequest headers too large\n"
    );
    let mut out = Vec::new();
    encode_error(599, "slow down", false, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 599 slow down\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 10\r\n\r\nslow down\n"
    );
    assert_eq!(CONTINUE, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn error_responses_with_extra_fields() {
    let mut out = Vec::new();
    encode_error_with(429, "rate limited", b"Retry-After: 2\r\n", false, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 13\r\nRetry-After: 2\r\n\r\nrate limited\n"
    );
    let mut out = Vec::new();
    encode_error_head_with(429, "rate limited", b"Retry-After: 2\r\n", true, &mut out);
    assert!(out.ends_with(b"Retry-After: 2\r\nConnection: close\r\n\r\n"));
    // Fields appended to a complete head go before its blank line.
    let mut head = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n".to_vec();
    append_fields(&mut head, b"X: y\r\n");
    assert_eq!(head, b"HTTP/1.1 200 OK\r\nA: b\r\nX: y\r\n\r\n");
    // Appending to a head that is not complete changes nothing.
    let mut partial = b"HTTP/1.1 200 OK\r\n".to_vec();
    append_fields(&mut partial, b"X: y\r\n");
    assert_eq!(partial, b"HTTP/1.1 200 OK\r\n");
}

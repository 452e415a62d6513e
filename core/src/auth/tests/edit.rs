//! The forwarded head of an authenticated request: client copies of
//! identity headers and the credential dropped, the gateway's added; and
//! error answers that carry a challenge.

use std::net::IpAddr;

use super::head;
use crate::auth::{Denial, Granted};
use crate::http1::{encode_error_head_with, encode_error_with, encode_request_edited, Forwarded};
use crate::status::Failure;

#[test]
fn identity_headers_replace_client_copies() {
    let req = head(
        "GET /a HTTP/1.1\nHost: h\nX-User: mallory\nAuthorization: Bearer t\nx-user: again\nAccept: */*\n\n",
    );
    let strip = vec!["x-user".to_owned(), "authorization".to_owned()];
    let mut granted = Granted {
        strip: &strip,
        headers: Vec::new(),
        target: None,
    };
    assert!(granted.add_header("x-user", b"alice"));
    assert!(
        !granted.add_header("x-user", b"bad\r\nInjected: 1"),
        "no header injection"
    );
    let fwd = Forwarded {
        target: b"/a",
        client_ip: IpAddr::from([10, 0, 0, 1]),
        proto: "http",
        host_rewrite: None,
        upgrade: false,
        strip_expect: true,
        request_id: None,
        trace: None,
    };
    let mut out = Vec::new();
    encode_request_edited(&req, &fwd, &granted.edit(), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "GET /a HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nx-user: alice\r\n\
         X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\n\
         Via: 1.1 ringgate\r\n\r\n"
    );
}

#[test]
fn error_answers_carry_the_challenge() {
    let denial = Denial {
        failure: Failure::Unauthenticated,
        challenge: Some("Basic realm=\"x\"".into()),
        detail: "no basic credentials",
    };
    let status = denial.failure.status();
    let reason = denial.failure.reason();
    let mut out = Vec::new();
    encode_error_with(status, reason, &denial.header_lines(), false, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: 24\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\nauthentication required\n"
    );
    let mut head_only = Vec::new();
    encode_error_head_with(status, reason, &denial.header_lines(), true, &mut head_only);
    assert!(String::from_utf8(head_only)
        .unwrap()
        .ends_with("WWW-Authenticate: Basic realm=\"x\"\r\nConnection: close\r\n\r\n"));
}

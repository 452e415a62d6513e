//! Forward-auth: the subrequest head and the relayed refusal.

use std::net::IpAddr;
use std::time::Duration;

use bytes::BytesMut;

use super::head;
use crate::auth::forward::{encode_denial, ForwardAuth};
use crate::auth::{AuthKind, RouteAuth};
use crate::http1::{HeadReader, Limits, ResponseHead};

fn cfg(path: &str) -> ForwardAuth {
    ForwardAuth {
        url: format!("http://127.0.0.1:9000{path}"),
        addr: "127.0.0.1:9000".parse().unwrap(),
        host: "127.0.0.1:9000".into(),
        path: path.trim_end_matches('/').into(),
        timeout: Duration::from_secs(1),
        request_headers: vec!["authorization".into(), "cookie".into()],
        response_headers: vec!["x-user".into()],
    }
}

fn response(text: &str) -> ResponseHead {
    let mut buf = BytesMut::from(text.replace('\n', "\r\n").as_bytes());
    HeadReader::default()
        .read_response(&mut buf, &Limits::default(), false)
        .unwrap()
        .unwrap()
}

#[test]
fn subrequest_head() {
    let req = head("POST /api/x?y=1 HTTP/1.1\nHost: front\nCookie: s=1\nX-Other: no\nAuthorization: Bearer t\nContent-Length: 3\n\n");
    let mut out = Vec::new();
    let ip: IpAddr = "10.1.2.3".parse().unwrap();
    cfg("/check").encode_check(&req, ip, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "POST /check/api/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nX-Forwarded-Method: POST\r\n\
         X-Forwarded-Uri: /api/x?y=1\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: front\r\n\
         X-Forwarded-For: 10.1.2.3\r\nCookie: s=1\r\nAuthorization: Bearer t\r\n\r\n"
    );
    let mut out = Vec::new();
    cfg("/").encode_check(&head("GET /z HTTP/1.1\nHost: h\n\n"), ip, &mut out);
    assert!(out.starts_with(b"GET /z HTTP/1.1\r\n"));
}

#[test]
fn grant_copies_chosen_headers_and_denial_relays() {
    let kind = AuthKind::Forward(cfg("/check"));
    let auth = RouteAuth::new(kind, vec!["x-user".into()], None);
    let AuthKind::Forward(forward) = &auth.kind else {
        unreachable!()
    };
    let ok = response("HTTP/1.1 200 OK\nX-User: alice\nX-Secret: no\nContent-Length: 0\n\n");
    assert_eq!(forward.granted(&auth, &ok).headers, b"X-User: alice\r\n");
    let no = response("HTTP/1.1 302 Found\nLocation: /login\nSet-Cookie: a=1\nX-Internal: no\nContent-Length: 5\n\n");
    let mut out = Vec::new();
    encode_denial(&no, b"login", false, false, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 302 Found\r\nLocation: /login\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\nVia: 1.1 ringgate\r\n\r\nlogin"
    );
}

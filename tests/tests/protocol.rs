//! HTTP/1.1 protocol edge cases: ambiguous framing, absolute-form targets,
//! chunk extensions and trailers, errors inside a pipeline, HEAD to an
//! error, and `Connection: close` from either side.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};

fn setup() -> (Origin, Gateway) {
    let o = Origin::start("o", |req| {
        if req.path().ends_with("/closing") {
            Reply::Full {
                status: 200,
                headers: vec![("Connection".into(), "close".into())],
                body: b"bye".to_vec(),
            }
        } else {
            Reply::echo("o", req)
        }
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\nhost = \"api.example.com\"\npath_prefix = \"/svc\"\nupstream = \"o\"\n\n[[routes]]\npath_prefix = \"/ok\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

#[test]
fn content_length_with_chunked_is_not_smuggled() {
    // RFC 9112 section 6.1: with both, Transfer-Encoding wins, and a
    // forwarded message must not carry both (or the request is refused).
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"POST /ok/te-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        .expect("send");
    let r = conn.read_response("POST").expect("response");
    if r.status == 400 {
        assert_eq!(o.request_count(), 0);
        return;
    }
    assert_eq!(r.status, 200, "{}", r.text());
    let req = o.last_request();
    assert!(
        !(req.header("content-length").is_some() && req.header("transfer-encoding").is_some()),
        "forwarded both Content-Length and Transfer-Encoding: {:?}",
        req.headers
    );
    assert_eq!(
        req.body, b"hello",
        "the body must be framed by Transfer-Encoding"
    );
    assert_eq!(
        o.request_count(),
        1,
        "a smuggled second request reached the origin"
    );
}

#[test]
fn absolute_form_target_is_accepted() {
    // RFC 9112 section 3.2.2: a server MUST accept the absolute-form; the
    // forwarded request to the origin uses the origin-form.
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"GET http://api.example.com/svc/abs?q=1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        .expect("send");
    let r = conn.read_response("GET").expect("response");
    assert_eq!(
        r.status,
        200,
        "absolute-form request: {} {:?}",
        r.status,
        r.text()
    );
    assert_eq!(o.last_request().target, "/svc/abs?q=1");
}

#[test]
fn chunk_extensions_and_trailers_are_handled() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"POST /ok/ext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;name=value\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n")
        .expect("send");
    let r = conn.read_response("POST").expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(o.last_request().body, b"abcde");
    // The trailer section was consumed: the next request parses cleanly.
    assert_eq!(
        conn.request("GET", "x", "/ok/next", &[], b"")
            .expect("next")
            .status,
        200
    );
}

#[test]
fn error_inside_a_pipeline_keeps_order() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(
        b"GET /ok/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET /ok/3 HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .expect("send");
    let first = conn.read_response("GET").expect("first");
    assert_eq!(
        (first.status, first.json()["target"].clone()),
        (200, "/ok/1".into())
    );
    let second = conn.read_response("GET").expect("second");
    assert_eq!(second.status, 404);
    let third = conn
        .read_response("GET")
        .expect("third: a 404 must not end the pipeline");
    assert_eq!(
        (third.status, third.json()["target"].clone()),
        (200, "/ok/3".into())
    );
}

#[test]
fn head_to_an_error_has_no_body() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("HEAD", "x", "/missing", &[], b"")
        .expect("HEAD 404");
    assert_eq!(r.status, 404);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        conn.wire().buffered().is_empty()
            && !conn.closed_within(Duration::from_millis(100))
            && conn.wire().buffered().is_empty(),
        "a body followed the HEAD error response: {:?}",
        String::from_utf8_lossy(conn.wire().buffered())
    );
    assert_eq!(
        conn.request("GET", "x", "/ok/after", &[], b"")
            .expect("after")
            .status,
        200
    );
}

#[test]
fn client_connection_close_is_honoured() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("GET", "x", "/ok/bye", &[("Connection", "close")], b"")
        .expect("response");
    assert_eq!(r.status, 200);
    assert!(
        r.has_token("connection", "close"),
        "response to Connection: close should say close: {:?}",
        r.headers
    );
    assert!(
        conn.closed_within(Duration::from_secs(2)),
        "gateway kept the connection open after Connection: close"
    );
}

#[test]
fn origin_connection_close_is_not_reused_and_client_stays_open() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    // The origin answers this one with Connection: close and closes.
    let r = conn
        .request("GET", "x", "/ok/closing", &[], b"")
        .expect("first");
    assert_eq!((r.status, r.text()), (200, "bye".to_string()));
    // The client's connection is independent of the upstream one.
    for i in 0..3 {
        let r = conn
            .request("GET", "x", &format!("/ok/{i}"), &[], b"")
            .unwrap_or_else(|e| {
                panic!("client connection unusable after the origin closed its own: {e}")
            });
        assert_eq!(r.status, 200);
    }
    assert_eq!(o.request_count(), 4);
    assert_eq!(
        o.accepted(),
        2,
        "one closed upstream connection, then one reused"
    );
}

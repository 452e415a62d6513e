//! Connection reuse on both sides, pipelining, and HTTP/1.0 clients.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::python;

fn gateway_to(o: &Origin) -> Gateway {
    Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    ))
}

#[test]
fn ten_thousand_requests_reuse_upstream_connections() {
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let mut conn = Conn::open(gw.addr());
    for i in 0..10_000 {
        let r = conn
            .request("GET", "ka.test", &format!("/n/{i}"), &[], b"")
            .unwrap_or_else(|e| panic!("request {i} on one keep-alive connection: {e}"));
        assert_eq!(r.status, 200, "request {i}");
        if i % 1000 == 0 {
            assert_eq!(r.json()["target"], format!("/n/{i}"));
        }
    }
    assert_eq!(o.request_count(), 10_000);
    assert!(
        o.accepted() <= 4,
        "the origin accepted {} connections for 10,000 sequential requests",
        o.accepted()
    );
}

#[test]
fn python_http_client_keeps_one_connection() {
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let script = r#"
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
socks = set()
for i in range(300):
    conn.request("GET", "/py/%d" % i, headers={"Host": "py.test"})
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, (i, r.status, body)
    assert json.loads(body)["target"] == "/py/%d" % i
    s = conn.sock
    socks.add(s.getsockname() if s else None)
print(len(socks))
"#;
    let out = python(script, &[&gw.addr().port().to_string()]);
    out.assert_success("python http.client keep-alive");
    assert_eq!(
        out.stdout_text().trim(),
        "1",
        "python had to reconnect to the gateway"
    );
    assert_eq!(o.request_count(), 300);
    assert!(
        o.accepted() <= 4,
        "origin accepted {} connections",
        o.accepted()
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let mut conn = Conn::open(gw.addr());
    let mut batch = Vec::new();
    batch.extend_from_slice(b"GET /p/1 HTTP/1.1\r\nHost: p.test\r\n\r\n");
    batch.extend_from_slice(
        b"POST /p/2 HTTP/1.1\r\nHost: p.test\r\nContent-Length: 11\r\n\r\nhello world",
    );
    batch.extend_from_slice(b"GET /p/3 HTTP/1.1\r\nHost: p.test\r\n\r\n");
    batch.extend_from_slice(b"HEAD /p/4 HTTP/1.1\r\nHost: p.test\r\n\r\n");
    batch.extend_from_slice(b"POST /p/5 HTTP/1.1\r\nHost: p.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    batch.extend_from_slice(b"GET /p/6 HTTP/1.1\r\nHost: p.test\r\n\r\n");
    conn.send(&batch).expect("write the pipeline in one write");
    let methods = ["GET", "POST", "GET", "HEAD", "POST", "GET"];
    for (i, method) in methods.iter().enumerate() {
        let r = conn
            .read_response(method)
            .unwrap_or_else(|e| panic!("pipelined response {}: {e}", i + 1));
        assert_eq!(r.status, 200, "response {}", i + 1);
        if *method == "HEAD" {
            assert!(r.body.is_empty());
            continue;
        }
        let echo = r.json();
        assert_eq!(
            echo["target"],
            format!("/p/{}", i + 1),
            "responses out of order"
        );
        assert_eq!(echo["method"], *method);
        if i == 1 {
            assert_eq!(echo["body"], "hello world");
        }
        if i == 4 {
            assert_eq!(echo["body"], "abc");
        }
    }
    // Nothing extra on the wire, and the connection is still usable.
    assert!(
        !conn.closed_within(Duration::from_millis(200)),
        "gateway closed the pipelined connection"
    );
    assert_eq!(
        conn.get("/p/after").expect("after the pipeline").status,
        200
    );
    let seen: Vec<String> = o.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        seen,
        ["/p/1", "/p/2", "/p/3", "/p/4", "/p/5", "/p/6", "/p/after"]
    );
}

#[test]
fn http10_closes_by_default() {
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let mut conn = Conn::open(gw.addr());
    conn.send(b"GET /old HTTP/1.0\r\nHost: h.test\r\n\r\n")
        .expect("send");
    let r = conn.read_response("GET").expect("response to HTTP/1.0");
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["target"], "/old");
    assert!(
        conn.closed_within(Duration::from_secs(3)),
        "an HTTP/1.0 connection without keep-alive must be closed"
    );
}

#[test]
fn http10_keep_alive_when_asked() {
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let mut conn = Conn::open(gw.addr());
    for i in 0..3 {
        conn.send(
            format!("GET /old/{i} HTTP/1.0\r\nHost: h.test\r\nConnection: keep-alive\r\n\r\n")
                .as_bytes(),
        )
        .expect("send");
        let r = conn
            .read_response("GET")
            .unwrap_or_else(|e| panic!("HTTP/1.0 keep-alive request {i}: {e}"));
        assert_eq!(r.status, 200);
        assert!(
            r.has_token("connection", "keep-alive"),
            "an HTTP/1.0 keep-alive response must say Connection: keep-alive; headers {:?}",
            r.headers
        );
        assert!(
            r.header("content-length").is_some(),
            "keep-alive to HTTP/1.0 needs a Content-Length"
        );
        assert_eq!(r.json()["target"], format!("/old/{i}"));
    }
    assert!(!conn.closed_within(Duration::from_millis(300)));
}

#[test]
fn request_written_byte_by_byte_is_served() {
    // Each byte its own TCP segment: the head parser must wait for more
    // bytes instead of judging a partial head.
    let o = Origin::echo("o");
    let gw = gateway_to(&o);
    let mut conn = Conn::open(gw.addr());
    let req =
        b"POST /bytes?x=1 HTTP/1.1\r\nHost: slow.test\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
    for (i, b) in req.iter().enumerate() {
        if let Err(e) = conn.send(&[*b]) {
            let answer = conn.read_response("POST").map(|r| (r.status, r.text()));
            panic!(
                "gateway closed after {i} bytes {:?} ({e}); it answered {answer:?}",
                String::from_utf8_lossy(&req[..i])
            );
        }
        std::thread::sleep(Duration::from_millis(3));
    }
    let r = conn
        .read_response("POST")
        .expect("response to a byte-by-byte request");
    assert_eq!(
        r.status,
        200,
        "byte-by-byte request: {} {:?}",
        r.status,
        r.text()
    );
    let echo = r.json();
    assert_eq!(echo["target"], "/bytes?x=1");
    assert_eq!(echo["body"], "hello");
}

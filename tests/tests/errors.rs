//! Every error status the gateway produces, each with a short text/plain
//! body, with the process still alive and other connections unaffected.

use std::time::{Duration, Instant};

use ringgate_tests::client::{Conn, Response};
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::{free_addr, process::curl};

struct Fixture {
    gw: Gateway,
    ok: Origin,
    _bad: Origin,
    /// A keep-alive connection opened before the error, used after it.
    bystander: Conn,
}

fn setup() -> Fixture {
    let ok = Origin::echo("ok");
    let bad = Origin::start("bad", |req| match req.path() {
        "/garbage" => Reply::Raw(b"this is not HTTP at all\r\n\r\n".to_vec()),
        "/reset" => Reply::Close,
        "/slow" => Reply::Delay(Duration::from_secs(3), Box::new(Reply::echo("bad", req))),
        _ => Reply::echo("bad", req),
    });
    let nobody = free_addr();
    let gw = Gateway::builder()
        .server("header_timeout = \"1s\"")
        .server("max_body_bytes = \"1KiB\"")
        .server("max_uri_bytes = 8192")
        .server("max_header_bytes = 16384")
        .server("max_headers = 100")
        .config(&format!(
            r#"{}{}{}{}
[[routes]]
path_prefix = "/ok"
upstream = "ok"

[[routes]]
path = "/refused"
upstream = "refused"

[[routes]]
path = "/slow"
upstream = "slow"

[[routes]]
path_prefix = "/"
host = "bad.test"
upstream = "bad"
"#,
            upstream("ok", &[ok.addr()], ""),
            upstream("refused", &[nobody], "connect_timeout = \"1s\""),
            upstream("slow", &[bad.addr()], "response_timeout = \"500ms\""),
            upstream("bad", &[bad.addr()], ""),
        ))
        .start();
    let mut bystander = Conn::open(gw.addr());
    assert_eq!(
        bystander
            .get("/ok/before")
            .expect("bystander before")
            .status,
        200
    );
    Fixture {
        gw,
        ok,
        _bad: bad,
        bystander,
    }
}

impl Fixture {
    /// The process is alive, the bystander's connection still works, and a
    /// new connection works.
    fn assert_unaffected(&mut self) {
        self.gw.assert_alive();
        let r = self
            .bystander
            .get("/ok/bystander")
            .expect("the bystander connection broke");
        assert_eq!(r.status, 200);
        let r = ringgate_tests::client::get(self.gw.addr(), "/ok/new");
        assert_eq!(r.status, 200);
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &self.gw.url("/ok/curl"),
        ]);
        assert_eq!(out.stdout_text(), "200", "curl after the error");
    }

    fn raw(&self, bytes: &[u8]) -> (Conn, Response) {
        let mut conn = Conn::open(self.gw.addr());
        conn.send(bytes).expect("send");
        conn.set_patience(Duration::from_secs(5));
        let r = conn.read_response("GET").unwrap_or_else(|e| {
            panic!(
                "no response to {:?}: {e}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(80)])
            )
        });
        (conn, r)
    }
}

/// A gateway-made error: the status, a text/plain non-empty body, and a
/// Content-Length that matches.
fn assert_error(r: &Response, status: u16, case: &str) {
    assert_eq!(r.status, status, "{case}: got {} {:?}", r.status, r.text());
    assert!(
        r.origin().is_none(),
        "{case}: an origin's response was passed through"
    );
    let ct = r.header("content-type").unwrap_or("");
    assert!(ct.starts_with("text/plain"), "{case}: content-type {ct:?}");
    assert!(!r.body.is_empty(), "{case}: empty error body");
    assert!(
        r.body.len() < 1024,
        "{case}: error body is not short: {} bytes",
        r.body.len()
    );
}

#[test]
fn malformed_requests_get_400_and_close() {
    let mut f = setup();
    let cases: [(&str, &[u8]); 4] = [
        ("not HTTP", b"NOT-HTTP\r\n\r\n"),
        (
            "header line without colon",
            b"GET /ok HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        ),
        (
            "non-numeric Content-Length",
            b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        ),
        (
            "conflicting Content-Length",
            b"POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        ),
    ];
    for (case, bytes) in cases {
        let (mut conn, r) = f.raw(bytes);
        assert_error(&r, 400, case);
        assert!(
            conn.closed_within(Duration::from_secs(2)),
            "{case}: connection left open after 400"
        );
    }
    assert_eq!(
        f.ok.request_count(),
        1,
        "malformed requests must not reach the origin"
    );
    f.assert_unaffected();
}

#[test]
fn missing_host_in_http11_is_400() {
    // RFC 9112 section 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
    let mut f = setup();
    let (_conn, r) = f.raw(b"GET /ok/nohost HTTP/1.1\r\n\r\n");
    assert_error(&r, 400, "missing Host");
    f.assert_unaffected();
}

#[test]
fn bad_chunk_size_is_400() {
    let mut f = setup();
    let (mut conn, r) = f.raw(b"POST /ok/chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    assert_error(&r, 400, "bad chunk size");
    assert!(
        conn.closed_within(Duration::from_secs(2)),
        "connection left open after a framing error"
    );
    f.assert_unaffected();
}

#[test]
fn slowloris_gets_408_after_header_timeout() {
    let mut f = setup();
    // Half a head, then silence.
    let mut conn = Conn::open(f.gw.addr());
    let started = Instant::now();
    conn.send(b"GET /ok/slow HTTP/1.1\r\nHost: x\r\n")
        .expect("send half a head");
    conn.set_patience(Duration::from_secs(4));
    let r = conn.read_response("GET").expect("a 408 within 4 s");
    let waited = started.elapsed();
    assert_error(&r, 408, "half a head");
    assert!(
        waited >= Duration::from_millis(800),
        "408 after only {waited:?}; header_timeout is 1s"
    );
    assert!(
        conn.closed_within(Duration::from_secs(2)),
        "connection left open after 408"
    );

    // Dripping one byte every 100 ms must not extend the deadline.
    let mut conn = Conn::open(f.gw.addr());
    let started = Instant::now();
    let drip = b"GET /ok/drip HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for b in drip.iter().chain(std::iter::repeat(&b'a')) {
        if started.elapsed() > Duration::from_secs(4) || conn.send(&[*b]).is_err() {
            break;
        }
        if conn.closed_within(Duration::from_millis(100)) || !conn.wire().buffered().is_empty() {
            break;
        }
    }
    let waited = started.elapsed();
    conn.set_patience(Duration::from_secs(2));
    let r = conn
        .read_response("GET")
        .unwrap_or_else(|e| panic!("no 408 for a client dripping its head for {waited:?}: {e}"));
    assert_error(&r, 408, "dripping head");
    assert!(
        waited < Duration::from_millis(2500),
        "dripping extended the header timeout to {waited:?}"
    );
    f.assert_unaffected();
}

#[test]
fn body_over_limit_is_413_before_forwarding() {
    let mut f = setup();
    let mut conn = Conn::open(f.gw.addr());
    // Only the head: the gateway knows the length and must answer at once.
    conn.send(b"POST /ok/big HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n")
        .expect("send head");
    conn.set_patience(Duration::from_secs(3));
    let r = conn
        .read_response("POST")
        .expect("413 without waiting for the body");
    assert_error(&r, 413, "Content-Length over max_body_bytes");
    assert_eq!(
        f.ok.request_count(),
        1,
        "the oversized request was forwarded"
    );
    // Exactly at the limit is fine.
    let r = f
        .bystander
        .request("POST", "x", "/ok/exact", &[], &[b'a'; 1024])
        .expect("1 KiB body");
    assert_eq!(r.status, 200);
    f.assert_unaffected();
}

#[test]
fn chunked_body_over_limit_is_413() {
    let mut f = setup();
    let mut req =
        b"POST /ok/chunked-big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        req.extend_from_slice(b"3e8\r\n");
        req.extend_from_slice(&[b'z'; 1000]);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (_conn, r) = f.raw(&req);
    assert_error(&r, 413, "chunked body over max_body_bytes");
    f.assert_unaffected();
}

#[test]
fn long_uri_is_414() {
    let mut f = setup();
    let target = format!("/ok/{}", "a".repeat(9000));
    let (_conn, r) = f.raw(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    assert_error(&r, 414, "9 KB URI");
    assert_eq!(f.ok.request_count(), 1);
    f.assert_unaffected();
}

#[test]
fn big_or_many_headers_are_431() {
    let mut f = setup();
    let (_conn, r) = f.raw(
        format!(
            "GET /ok/h HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(20_000)
        )
        .as_bytes(),
    );
    assert_error(&r, 431, "20 KB header");
    let mut many = String::from("GET /ok/h HTTP/1.1\r\nHost: x\r\n");
    for i in 0..150 {
        many.push_str(&format!("X-H{i}: {i}\r\n"));
    }
    many.push_str("\r\n");
    let (_conn, r) = f.raw(many.as_bytes());
    assert_error(&r, 431, "150 headers");
    assert_eq!(f.ok.request_count(), 1);
    f.assert_unaffected();
}

#[test]
fn upstream_refused_is_502() {
    let mut f = setup();
    let started = Instant::now();
    let r = ringgate_tests::client::get(f.gw.addr(), "/refused");
    assert_error(&r, 502, "connection refused");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a refused connect took {:?}",
        started.elapsed()
    );
    f.assert_unaffected();
}

#[test]
fn upstream_garbage_is_502() {
    let mut f = setup();
    let r = ringgate_tests::client::one_shot(f.gw.addr(), "GET", "bad.test", "/garbage", &[], b"");
    assert_error(&r, 502, "garbage response");
    f.assert_unaffected();
}

#[test]
fn upstream_reset_is_502() {
    let mut f = setup();
    let r = ringgate_tests::client::one_shot(f.gw.addr(), "GET", "bad.test", "/reset", &[], b"");
    assert_error(&r, 502, "origin closed without answering");
    f.assert_unaffected();
}

#[test]
fn response_timeout_is_504() {
    let mut f = setup();
    let started = Instant::now();
    let r = ringgate_tests::client::get(f.gw.addr(), "/slow");
    let waited = started.elapsed();
    assert_error(&r, 504, "response_timeout");
    assert!(
        waited >= Duration::from_millis(400) && waited < Duration::from_millis(2500),
        "504 after {waited:?} with response_timeout = 500ms"
    );
    f.assert_unaffected();
}

/// `targets = []` is refused by config validation, so the reachable 503 is
/// the per-shard connection limit.
#[test]
fn over_connection_limit_is_503() {
    let ok = Origin::echo("ok");
    let mut gw = Gateway::builder()
        .server("max_connections = 1")
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"ok\"\n",
            upstream("ok", &[ok.addr()], "")
        ))
        .start();
    // Let the readiness probe's connection be counted closed.
    std::thread::sleep(Duration::from_millis(300));
    let mut first = Conn::open(gw.addr());
    assert_eq!(first.get("/first").expect("first connection").status, 200);
    // The second connection is over the limit: the gateway answers 503 at once.
    let mut second = Conn::open(gw.addr());
    second.set_patience(Duration::from_secs(3));
    let r = second
        .read_response("GET")
        .expect("a 503 on the connection over the limit");
    assert_error(&r, 503, "over max_connections");
    gw.assert_alive();
    // The first connection is unaffected; once it closes a new one is served.
    assert_eq!(
        first
            .get("/first/again")
            .expect("first connection again")
            .status,
        200
    );
    drop(first);
    let served = ringgate_tests::wait_until(Duration::from_secs(3), || {
        let mut c = Conn::open(gw.addr());
        c.get("/third").map(|r| r.status == 200).unwrap_or(false)
    });
    assert!(served, "no connection served after the first one closed");
}

#[test]
fn connect_timeout_is_504() {
    let hole = ringgate_tests::process::Blackhole::start();
    let ok = Origin::echo("ok");
    let mut gw = Gateway::start(&format!(
        "{}{}\n[[routes]]\npath = \"/hole\"\nupstream = \"hole\"\n\n[[routes]]\npath_prefix = \"/ok\"\nupstream = \"ok\"\n",
        upstream("hole", &[hole.addr()], "connect_timeout = \"300ms\""),
        upstream("ok", &[ok.addr()], "")
    ));
    let started = Instant::now();
    let r = ringgate_tests::client::get(gw.addr(), "/hole");
    let waited = started.elapsed();
    assert_error(&r, 504, "connect_timeout");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "504 after {waited:?} with connect_timeout = 300ms"
    );
    gw.assert_alive();
    assert_eq!(ringgate_tests::client::get(gw.addr(), "/ok").status, 200);
}

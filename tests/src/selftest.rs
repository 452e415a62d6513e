//! Self-tests of the harness without a gateway: the client talks straight
//! to the origin, so a failing end-to-end test points at the gateway.

use std::time::Duration;

use crate::client::Conn;
use crate::origin::{Origin, Reply};
use crate::pattern::{self, Verifier};
use crate::process::{curl, python};

fn origin() -> Origin {
    Origin::start("self", |req| match req.path() {
        "/chunked" => Reply::Chunked {
            status: 200,
            headers: Vec::new(),
            chunks: vec![b"ab".to_vec(), b"cde".to_vec()],
        },
        "/pattern" => Reply::Pattern { len: 1_000_003 },
        "/204" => Reply::empty(204),
        "/ws" => Reply::UpgradeEcho,
        "/raw" => Reply::Raw(b"garbage".to_vec()),
        _ => Reply::echo("self", req),
    })
}

#[test]
fn pattern_detects_a_shifted_stream() {
    let mut v = Verifier::new();
    v.update(&pattern::bytes(10_000));
    assert!(v.ok());
    let mut shifted = pattern::bytes(10_001);
    shifted.remove(4096);
    let mut v = Verifier::new();
    v.update(&shifted);
    assert_eq!(v.first_mismatch(), Some(4096));
}

#[test]
fn client_and_origin_agree() {
    let o = origin();
    let mut c = Conn::open(o.addr());
    let r = c
        .request(
            "POST",
            "h",
            "/echo?q=1",
            &[("X-A", "1")],
            &pattern::bytes(5000),
        )
        .expect("echo");
    assert_eq!(r.status, 200);
    assert_eq!(r.origin(), Some("self"));
    let echo = r.json();
    assert_eq!(echo["target"], "/echo?q=1");
    assert_eq!(echo["body_len"], 5000);
    assert_eq!(echo["body_pattern_ok"], true);
    let r = c.get("/chunked").expect("chunked");
    assert!(r.chunked);
    assert_eq!(r.body, b"abcde");
    let r = c.request("HEAD", "h", "/pattern", &[], b"").expect("head");
    assert_eq!(r.header("content-length"), Some("1000003"));
    assert!(r.body.is_empty());
    let r = c.get("/204").expect("204");
    assert_eq!(r.status, 204);
    let r = c.get("/pattern").expect("pattern");
    assert_eq!(r.body, pattern::bytes(1_000_003));
    c.send(
        b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
    )
    .expect("send");
    assert_eq!(
        c.read_response("POST").expect("chunked req").json()["body"],
        "hi"
    );
    assert_eq!(o.accepted(), 1);
    assert_eq!(o.request_count(), 6);
}

#[test]
fn upgrade_echo_and_close() {
    let o = origin();
    let mut c = Conn::open(o.addr());
    c.send(
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nearly",
    )
    .expect("send");
    let r = c.read_response("GET").expect("101");
    assert_eq!(r.status, 101);
    let mut got = Vec::new();
    c.wire()
        .read_exact_to(5, &mut |d| got.extend_from_slice(d))
        .expect("echo");
    assert_eq!(got, b"early");
    c.wire().shutdown_write().expect("shutdown");
    assert!(c.closed_within(Duration::from_secs(2)));
}

#[test]
fn idle_close_and_raw() {
    let o = Origin::builder("idle", |req| Reply::echo("idle", req))
        .close_idle_after(Duration::from_millis(100))
        .start();
    let mut c = Conn::open(o.addr());
    assert_eq!(c.get("/a").expect("a").status, 200);
    assert!(c.closed_within(Duration::from_secs(1)));
    let o = origin();
    let mut c = Conn::open(o.addr());
    assert!(c.get("/raw").is_err());
}

#[test]
fn real_clients_reach_the_origin() {
    let o = origin();
    let out = curl(&[&format!("http://{}/via-curl", o.addr())]);
    out.assert_success("curl");
    assert!(out.stdout_text().contains("/via-curl"));
    let out = python(
        "import http.client,sys\nc=http.client.HTTPConnection('127.0.0.1',int(sys.argv[1]),timeout=5)\nc.request('GET','/py')\nprint(c.getresponse().status)",
        &[&o.addr().port().to_string()],
    );
    out.assert_success("python");
    assert_eq!(out.stdout_text().trim(), "200");
}

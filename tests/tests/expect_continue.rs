//! `Expect: 100-continue`: the gateway answers the interim 100 itself, after
//! routing and the body-size check, and does not forward Expect.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::pattern;
use ringgate_tests::process::curl;

fn setup() -> (Origin, Gateway) {
    let o = Origin::echo("o");
    let gw = Gateway::builder()
        .server("max_body_bytes = \"4KiB\"")
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/up\"\nupstream = \"o\"\n",
            upstream("o", &[o.addr()], "")
        ))
        .start();
    (o, gw)
}

#[test]
fn raw_client_gets_100_before_sending_the_body() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"POST /up/raw HTTP/1.1\r\nHost: e.test\r\nExpect: 100-continue\r\nContent-Length: 3000\r\n\r\n")
        .expect("send head");
    // The body is withheld until the gateway says go.
    conn.set_patience(Duration::from_secs(3));
    let interim = conn
        .read_response("POST")
        .expect("an interim response before the body is sent");
    assert_eq!(
        interim.status,
        100,
        "expected 100 Continue first, got {} {:?}",
        interim.status,
        interim.text()
    );
    assert!(interim.version == "HTTP/1.1", "interim {interim:?}");
    assert_eq!(o.request_count(), 0, "nothing forwarded before the body");
    conn.send(&pattern::bytes(3000)).expect("send body");
    conn.set_patience(Duration::from_secs(10));
    let (more, r) = conn.read_final("POST").expect("final response");
    assert!(more.is_empty(), "a second interim response: {more:?}");
    assert_eq!(r.status, 200, "{}", r.text());
    let req = o.last_request();
    assert!(
        req.header("expect").is_none(),
        "origin saw Expect: {:?}",
        req.headers
    );
    assert_eq!(req.body_len, 3000);
    assert!(req.body_pattern_ok);
    // Same connection, a plain request afterwards.
    assert_eq!(
        conn.request("GET", "e.test", "/up/next", &[], b"")
            .expect("next")
            .status,
        200
    );
}

#[test]
fn curl_sees_100_continue_then_200() {
    let (o, gw) = setup();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("body.bin");
    std::fs::write(&file, pattern::bytes(2500)).expect("write body");
    let out = curl(&[
        "-v",
        "--expect100-timeout",
        "5",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &format!("@{}", file.display()),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &gw.url("/up/curl"),
    ]);
    out.assert_success("curl with Expect");
    assert_eq!(out.stdout_text(), "200");
    let verbose = out.stderr_text();
    assert!(
        verbose.contains("< HTTP/1.1 100 Continue"),
        "curl did not see 100 Continue:\n{verbose}"
    );
    let req = o.last_request();
    assert!(
        req.header("expect").is_none(),
        "origin saw Expect: {:?}",
        req.headers
    );
    assert_eq!(req.body_len, 2500);
    assert!(req.body_pattern_ok);
}

#[test]
fn too_large_gets_413_without_100() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"POST /up/big HTTP/1.1\r\nHost: e.test\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
        .expect("send head");
    conn.set_patience(Duration::from_secs(3));
    let r = conn
        .read_response("POST")
        .expect("a response without sending the body");
    assert_eq!(
        r.status,
        413,
        "body over max_body_bytes must be refused before 100; got {} {:?}",
        r.status,
        r.text()
    );
    assert_eq!(o.request_count(), 0);
}

#[test]
fn no_route_gets_404_without_100() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"POST /elsewhere HTTP/1.1\r\nHost: e.test\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        .expect("send head");
    conn.set_patience(Duration::from_secs(3));
    let r = conn
        .read_response("POST")
        .expect("a response without sending the body");
    assert_eq!(
        r.status,
        404,
        "unroutable request must be refused before 100; got {} {:?}",
        r.status,
        r.text()
    );
    assert_eq!(o.request_count(), 0);
}

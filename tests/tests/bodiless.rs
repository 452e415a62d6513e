//! Responses without a body (HEAD, 204, 304) carry none through the
//! gateway, and the keep-alive connection stays usable after each.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process::curl;

fn setup() -> (Origin, Gateway) {
    let o = Origin::start("o", |req| match req.path() {
        "/204" => Reply::empty(204),
        "/304" => Reply::Full {
            status: 304,
            headers: vec![("ETag".into(), "\"v1\"".into())],
            body: Vec::new(),
        },
        "/head" => Reply::text(200, "0123456789"),
        _ => Reply::echo("o", req),
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

fn check_next_is_clean(conn: &mut Conn, after: &str) {
    assert!(
        conn.wire().buffered().is_empty(),
        "stray bytes after {after}: {:?}",
        String::from_utf8_lossy(conn.wire().buffered())
    );
    let r = conn
        .request("GET", "b.test", "/after", &[], b"")
        .unwrap_or_else(|e| panic!("connection unusable after {after}: {e}"));
    assert_eq!(r.status, 200, "after {after}");
    assert_eq!(r.json()["target"], "/after", "after {after}");
}

#[test]
fn head_has_no_body_and_keeps_the_connection() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("HEAD", "b.test", "/head", &[], b"")
        .expect("HEAD");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some("10"),
        "HEAD keeps the GET's Content-Length"
    );
    // Give any wrongly forwarded body time to arrive before checking.
    std::thread::sleep(Duration::from_millis(100));
    check_next_is_clean(&mut conn, "HEAD");
}

#[test]
fn no_content_204_and_not_modified_304() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("GET", "b.test", "/204", &[], b"")
        .expect("204");
    assert_eq!(r.status, 204);
    assert!(
        r.header("transfer-encoding").is_none(),
        "204 with Transfer-Encoding: {:?}",
        r.headers
    );
    std::thread::sleep(Duration::from_millis(100));
    check_next_is_clean(&mut conn, "204");
    let r = conn
        .request("GET", "b.test", "/304", &[("If-None-Match", "\"v1\"")], b"")
        .expect("304");
    assert_eq!(r.status, 304);
    assert_eq!(r.header("etag"), Some("\"v1\""));
    assert!(
        r.header("transfer-encoding").is_none(),
        "304 with Transfer-Encoding: {:?}",
        r.headers
    );
    std::thread::sleep(Duration::from_millis(100));
    check_next_is_clean(&mut conn, "304");
}

#[test]
fn curl_head_and_204_do_not_hang() {
    let (_o, gw) = setup();
    let out = curl(&[
        "-I",
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        &gw.url("/head"),
    ]);
    out.assert_success("curl -I");
    assert_eq!(out.stdout_text(), "200");
    // curl reuses its connection across the URLs given in one invocation.
    let out = curl(&[
        "-w",
        "%{http_code} %{num_connects}\n",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &gw.url("/204"),
        &gw.url("/304"),
        &gw.url("/x"),
    ]);
    out.assert_success("curl 204/304/200");
    assert_eq!(
        out.stdout_text(),
        "204 1\n304 0\n200 0\n",
        "curl had to reconnect (or got other statuses)"
    );
}

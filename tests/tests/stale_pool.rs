//! A pooled upstream connection that the origin closed while it sat idle:
//! an idempotent request that picks it is retried on a fresh connection and
//! the client never sees an error.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};

#[test]
fn stale_pooled_connection_is_retried() {
    let o = Origin::builder("o", |req| Reply::echo("o", req))
        .close_idle_after(Duration::from_millis(100))
        .start();
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "pool_idle_timeout = \"60s\"")
    ));
    let mut conn = Conn::open(gw.addr());
    let r = conn.get("/first").expect("first request");
    assert_eq!(r.status, 200);
    // The origin closes the pooled connection ~100 ms after answering.
    std::thread::sleep(Duration::from_millis(300));
    for (i, method) in ["GET", "HEAD", "GET"].iter().enumerate() {
        let r = conn
            .request(method, "localhost", &format!("/again/{i}"), &[], b"")
            .unwrap_or_else(|e| {
                panic!("{method} after the origin closed the pooled connection: {e}")
            });
        assert_eq!(
            r.status,
            200,
            "{method} after the origin closed the pooled connection: {:?}",
            r.text()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(o.request_count(), 4);
    assert_eq!(
        o.accepted(),
        4,
        "one fresh upstream connection per request after each idle close"
    );
}

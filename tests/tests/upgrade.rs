//! Upgrade (WebSocket-style): after the origin's 101 the gateway tunnels raw
//! bytes both ways until a side closes.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::pattern;

#[test]
fn websocket_upgrade_echo_tunnel() {
    let o = Origin::start("ws", |req| {
        if req
            .header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
        {
            Reply::UpgradeEcho
        } else {
            Reply::echo("ws", req)
        }
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"ws\"\n",
        upstream("ws", &[o.addr()], "")
    ));
    let mut conn = Conn::open(gw.addr());
    conn.send(
        b"GET /chat HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .expect("send upgrade request");
    let r = conn.read_response("GET").expect("101 response");
    assert_eq!(
        r.status,
        101,
        "expected 101, got {} {:?}",
        r.status,
        r.text()
    );
    assert!(
        r.header("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket")),
        "101 headers {:?}",
        r.headers
    );
    assert!(
        r.has_token("connection", "upgrade"),
        "101 headers {:?}",
        r.headers
    );
    let req = o.last_request();
    assert_eq!(
        req.header("upgrade"),
        Some("websocket"),
        "origin must see Upgrade when tunnelling: {:?}",
        req.headers
    );
    assert!(
        req.header_all("connection")
            .join(",")
            .to_ascii_lowercase()
            .contains("upgrade"),
        "origin must see Connection: upgrade: {:?}",
        req.headers
    );

    // Small message, then 256 KiB of binary, each echoed back exactly.
    for msg in [
        b"hello through the tunnel".to_vec(),
        pattern::bytes(256 * 1024),
    ] {
        conn.send(&msg).expect("write into the tunnel");
        let mut got = Vec::new();
        let w = conn.wire();
        w.read_exact_to(msg.len() as u64, &mut |d| got.extend_from_slice(d))
            .expect("echo from the tunnel");
        assert!(
            got == msg,
            "tunnel echoed different bytes ({} bytes)",
            msg.len()
        );
    }
    // The client closes its side; the origin sees EOF and closes; so must the gateway.
    conn.wire().shutdown_write().expect("shutdown");
    assert!(
        conn.closed_within(Duration::from_secs(3)),
        "tunnel not closed after both sides finished"
    );

    // The gateway still serves ordinary requests.
    let mut other = Conn::open(gw.addr());
    assert_eq!(other.get("/plain").expect("plain request").status, 200);
}

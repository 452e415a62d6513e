//! An upgrade (WebSocket-style) tunnel over a TLS client connection: after
//! the origin's 101 the gateway splits the TLS stream and copies bytes both
//! ways; a Python `ssl` client checks every echoed byte.

use ringgate_tests::free_addr;
use ringgate_tests::gateway::upstream;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process::python;
use ringgate_tests::tls::{gateway, Pki};

const CLIENT: &str = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10),
                    server_hostname="site.test")
s.sendall(b"GET /chat HTTP/1.1\r\nHost: site.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        sys.exit("closed before the 101")
    head += chunk
assert head.startswith(b"HTTP/1.1 101"), head
sent = bytes((i * 7 + i // 251) & 0xFF for i in range(300_000))
got = bytearray()
for off in range(0, len(sent), 40_000):
    s.sendall(sent[off:off + 40_000])
    while len(got) < min(off + 40_000, len(sent)):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("tunnel closed early at %d" % len(got))
        got += chunk
assert bytes(got) == sent, "echo differs"
print("echoed", len(got), s.version())
"#;

#[test]
fn an_upgrade_tunnel_runs_over_tls() {
    let pki = Pki::generate("DNS:site.test");
    let o = Origin::start("ws", |req| {
        if req.header("upgrade").is_some() {
            Reply::UpgradeEcho
        } else {
            Reply::echo("ws", req)
        }
    });
    let tls = free_addr();
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{tls}\"\n\
         tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }}\n\n\
         {}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"ws\"\n",
        upstream("ws", &[o.addr()], "")
    );
    let mut gw = gateway(&config, tls, None);
    let ca = pki.ca().display().to_string();
    let out = python(CLIENT, &[&tls.port().to_string(), &ca]);
    out.assert_success("python tunnel client");
    assert_eq!(out.stdout_text().trim(), "echoed 300000 TLSv1.3");
    gw.assert_alive();
}

//! Certificate reload: new files are picked up for new handshakes while a
//! keep-alive TLS connection opened before the swap keeps working, and a
//! bad new pair is refused with the old one still served.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use ringgate_tests::gateway::upstream;
use ringgate_tests::origin::Origin;
use ringgate_tests::tls::{gateway, s_client, served_cn, Pki};
use ringgate_tests::{free_addr, wait_until};

/// A keep-alive https client: one request, then one more on the same
/// connection after a line on stdin; prints the status and peer CN of each.
const KEEPALIVE: &str = r#"
import http.client, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
class Conn(http.client.HTTPSConnection):
    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = ctx.wrap_socket(sock, server_hostname="site.test")
conn = Conn("site.test", int(sys.argv[1]), context=ctx, timeout=10)
def cn():
    subject = dict(x[0] for x in conn.sock.getpeercert()["subject"])
    return subject["commonName"]
conn.request("GET", "/first")
r = conn.getresponse(); r.read()
sock = conn.sock
print("first", r.status, cn(), flush=True)
sys.stdin.readline()
conn.request("GET", "/second")
r = conn.getresponse(); r.read()
print("second", r.status, cn(), conn.sock is sock, flush=True)
"#;

fn install(pki: &Pki, from: &str) {
    let dir = pki.dir();
    for ext in ["key", "pem"] {
        let tmp = dir.join(format!("site.{ext}.tmp"));
        std::fs::copy(dir.join(format!("{from}.{ext}")), &tmp).expect("copy");
        std::fs::rename(&tmp, dir.join(format!("site.{ext}"))).expect("rename");
    }
}

#[test]
fn reload_serves_new_certs_to_new_connections_and_keeps_live_ones() {
    let pki = Pki::generate("DNS:unused.test");
    pki.issue("one", "one.test", "DNS:site.test");
    pki.issue("two", "two.test", "DNS:site.test");
    install(&pki, "one");
    let o = Origin::echo("origin");
    let tls = free_addr();
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{tls}\"\nidle_timeout = \"30s\"\n\
         tls = {{ cert = \"{d}/site.pem\", key = \"{d}/site.key\", reload_interval = \"100ms\" }}\n\n\
         {}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    );
    let mut gw = gateway(&config, tls, None);
    let cn_now = || served_cn(&s_client(tls, &["-servername", "site.test"]).stdout_text());
    assert_eq!(cn_now().as_deref(), Some("one.test"));

    let ca = pki.ca().display().to_string();
    let mut py = Command::new("python3")
        .args(["-c", KEEPALIVE, &tls.port().to_string(), &ca])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3");
    let mut lines = BufReader::new(py.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("first line").expect("read");
    assert_eq!(first, "first 200 one.test");

    install(&pki, "two");
    assert!(
        wait_until(Duration::from_secs(5), || cn_now().as_deref()
            == Some("two.test")),
        "new connections still get {:?}\n{}",
        cn_now(),
        gw.stderr()
    );
    let mut stdin = py.stdin.take().expect("stdin");
    stdin.write_all(b"go\n").expect("signal python");
    let second = lines.next().expect("second line").expect("read");
    assert_eq!(
        second, "second 200 one.test True",
        "the connection from before the swap"
    );
    assert!(py.wait().expect("python exit").success());
    assert!(gw.stderr().contains("TLS certificates reloaded"));

    // A key that does not match its certificate: refused, two.test stays.
    let dir = pki.dir();
    std::fs::copy(dir.join("one.key"), dir.join("site.key.tmp")).expect("copy");
    std::fs::rename(dir.join("site.key.tmp"), dir.join("site.key")).expect("rename");
    assert!(
        wait_until(Duration::from_secs(5), || gw
            .stderr()
            .contains("TLS certificate reload failed")),
        "{}",
        gw.stderr()
    );
    assert!(
        gw.stderr().contains("site.key"),
        "the error names the file:\n{}",
        gw.stderr()
    );
    assert_eq!(cn_now().as_deref(), Some("two.test"));
    gw.assert_alive();
}

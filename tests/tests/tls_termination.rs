//! TLS termination in the real binary, checked with real clients (curl,
//! `openssl s_client`, raw sockets): forced TLS 1.2 and 1.3, ALPN, SNI
//! among several certificates, resumption (tickets and the session cache),
//! a plain and a TLS listener side by side, bad handshakes refused without
//! hurting the shard, and the TLS counters in /metrics.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::upstream;
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::Origin;
use ringgate_tests::process::curl;
use ringgate_tests::tls::{closes_with_close_notify, gateway, s_client, served_cn, Pki};

fn routes(o: &Origin) -> String {
    format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        upstream("o", &[o.addr()], "")
    )
}

fn https(addr: SocketAddr, host: &str, ca: &str, extra: &[&str]) -> (String, String) {
    let url = format!("https://{host}:{}/hello", addr.port());
    let resolve = format!("{host}:{}:127.0.0.1", addr.port());
    let mut args = vec![
        "--cacert",
        ca,
        "--resolve",
        &resolve,
        "-w",
        "\n%{http_code} %{http_version}",
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    let out = curl(&args);
    out.assert_success("curl https");
    let text = out.stdout_text();
    let (body, status) = text.rsplit_once('\n').expect("status line");
    (body.to_string(), status.to_string())
}

fn scrape(admin: SocketAddr) -> Metrics {
    let body = curl(&[&format!("http://{admin}/metrics")]);
    Metrics::parse(&body.stdout_text()).expect("metrics text")
}

#[test]
fn tls12_and_tls13_alpn_and_a_plain_listener_side_by_side() {
    let pki = Pki::generate("DNS:site.test,IP:127.0.0.1");
    let o = Origin::echo("origin");
    let (plain, tls, admin) = (free_addr(), free_addr(), free_addr());
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nadmin = \"{admin}\"\n\
         listen = [\"{plain}\", {{ addr = \"{tls}\", tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }} }}]\n\n{}",
        routes(&o)
    );
    let mut gw = gateway(&config, tls, Some(admin));
    let ca = pki.ca().display().to_string();
    for (flag, max) in [("--tlsv1.2", "1.2"), ("--tlsv1.3", "1.3")] {
        let (body, status) = https(tls, "site.test", &ca, &[flag, "--tls-max", max]);
        assert_eq!(status, "200 1.1", "TLS {max}: {body}");
        assert!(body.contains("\"origin\":\"origin\""), "TLS {max}: {body}");
    }
    for (flag, want) in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")] {
        let out = s_client(
            tls,
            &[
                flag,
                "-servername",
                "site.test",
                "-alpn",
                "http/1.1",
                "-CAfile",
                &ca,
            ],
        );
        let text = out.stdout_text();
        assert!(
            text.contains(&format!("Protocol  : {want}")) || text.contains(&format!("New, {want}")),
            "{want} not negotiated:\n{text}"
        );
        assert!(text.contains("ALPN protocol: http/1.1"), "{text}");
        assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
        assert!(
            text.contains("HTTP/1.1 200"),
            "no response over {want}:\n{text}"
        );
    }
    // h2 only: there is no protocol in common, the handshake is refused.
    let out = s_client(tls, &["-servername", "site.test", "-alpn", "h2"]);
    assert!(
        !out.stdout_text().contains("HTTP/1.1 200"),
        "h2-only ALPN served"
    );
    let plain_out = curl(&[
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        &format!("http://{plain}/p"),
    ]);
    assert_eq!(plain_out.stdout_text(), "200", "plain listener");
    // The upstream learns which scheme each client used.
    let protos: Vec<String> = o
        .requests()
        .iter()
        .map(|r| r.header("x-forwarded-proto").unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        protos.last().map(String::as_str),
        Some("http"),
        "{protos:?}"
    );
    assert!(
        protos.iter().filter(|p| *p == "https").count() >= 4,
        "TLS requests not marked https upstream: {protos:?}"
    );
    let m = scrape(admin);
    assert_eq!(
        m.sum(
            "ringgate_connections_by_tls_mode_total",
            &[("mode", "plain")]
        ),
        1.0
    );
    assert_eq!(
        m.sum(
            "ringgate_connections_by_tls_mode_total",
            &[("mode", "rustls")]
        ),
        4.0
    );
    assert_eq!(
        m.sum(
            "ringgate_connections_by_tls_mode_total",
            &[("mode", "ktls")]
        ),
        0.0
    );
    assert_eq!(m.sum("ringgate_tls_handshakes_total", &[]), 4.0);
    assert_eq!(m.sum("ringgate_tls_handshake_failures_total", &[]), 1.0);
    gw.assert_alive();
    assert!(gw.stderr().contains("listener TLS mode"), "{}", gw.stderr());
}

#[test]
fn sni_picks_exact_then_wildcard_then_the_default() {
    let pki = Pki::generate("DNS:default.test");
    let (a_cert, a_key) = pki.issue("a", "a.example", "DNS:a.example");
    let (w_cert, w_key) = pki.issue("wild", "wild.b.example", "DNS:*.b.example");
    let o = Origin::echo("origin");
    let tls = free_addr();
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{tls}\"\n\
         tls = {{ certs = [{{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }}, \
         {{ cert = \"{}\", key = \"{}\", names = [\"a.example\"] }}, \
         {{ cert = \"{}\", key = \"{}\", names = [\"*.b.example\"] }}] }}\n\n{}",
        a_cert.display(),
        a_key.display(),
        w_cert.display(),
        w_key.display(),
        routes(&o)
    );
    let mut gw = gateway(&config, tls, None);
    for (sni, want) in [
        (Some("a.example"), "a.example"),
        (Some("A.Example"), "a.example"),
        (Some("x.b.example"), "wild.b.example"),
        (Some("y.x.b.example"), "localhost"),
        (Some("unknown.example"), "localhost"),
        (None, "localhost"),
    ] {
        let args: Vec<&str> = match sni {
            Some(name) => vec!["-servername", name],
            None => vec!["-noservername"],
        };
        let text = s_client(tls, &args).stdout_text();
        assert_eq!(
            served_cn(&text).as_deref(),
            Some(want),
            "SNI {sni:?}:\n{text}"
        );
        assert!(
            text.contains("HTTP/1.1 200"),
            "SNI {sni:?}: no response\n{text}"
        );
    }
    let ca = pki.ca().display().to_string();
    let (_, status) = https(tls, "a.example", &ca, &[]);
    assert_eq!(status, "200 1.1");
    let (_, status) = https(tls, "z.b.example", &ca, &[]);
    assert_eq!(status, "200 1.1");
    gw.assert_alive();
}

#[test]
fn sessions_resume_over_tls12_and_tls13() {
    let pki = Pki::generate("DNS:site.test");
    let o = Origin::echo("origin");
    let (tls, admin) = (free_addr(), free_addr());
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nadmin = \"{admin}\"\nlisten = \"{tls}\"\n\
         tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\", ktls = \"auto\" }}\n\n{}",
        routes(&o)
    );
    let mut gw = gateway(&config, tls, Some(admin));
    for version in ["-tls1_2", "-tls1_3"] {
        let sess = pki.dir().join(format!("sess{version}.pem"));
        let sess = sess.display().to_string();
        let first = s_client(
            tls,
            &[version, "-servername", "site.test", "-sess_out", &sess],
        );
        let text = first.stdout_text();
        assert!(text.contains("New, TLS"), "{version} first:\n{text}");
        let again = s_client(
            tls,
            &[version, "-servername", "site.test", "-sess_in", &sess],
        );
        let text = again.stdout_text();
        assert!(
            text.contains("Reused, TLS"),
            "{version} not resumed:\n{text}"
        );
        assert!(
            text.contains("HTTP/1.1 200"),
            "{version} resumed: no response\n{text}"
        );
    }
    let m = scrape(admin);
    assert_eq!(m.sum("ringgate_tls_resumed_handshakes_total", &[]), 2.0);
    assert_eq!(m.sum("ringgate_tls_handshakes_total", &[]), 4.0);
    gw.assert_alive();
}

/// A connection the gateway closes (`Connection: close`, and a refusal)
/// ends with close_notify, not a bare TCP close a client must take for a
/// truncation.
#[test]
fn the_gateway_ends_tls_connections_with_close_notify() {
    let pki = Pki::generate("DNS:site.test");
    let o = Origin::echo("origin");
    let tls = free_addr();
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{tls}\"\n\
         tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }}\n\n{}",
        routes(&o)
    );
    let mut gw = gateway(&config, tls, None);
    let (notified, status) = closes_with_close_notify(tls, "site.test", &pki.ca(), "/hello");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(notified, "a bare close after Connection: close");
    let long = format!("/{}", "a".repeat(70_000));
    let (notified, status) = closes_with_close_notify(tls, "site.test", &pki.ca(), &long);
    assert!(status.starts_with("HTTP/1.1 414"), "{status}");
    assert!(notified, "a bare close after a refusal");
    gw.assert_alive();
}

/// Send `bytes` on a fresh connection; what came back before the close.
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).expect("send");
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

#[test]
fn garbage_is_refused_and_plain_http_gets_400_on_the_tls_port_and_the_shard_serves_on() {
    let pki = Pki::generate("DNS:site.test");
    let o = Origin::echo("origin");
    let (tls, admin) = (free_addr(), free_addr());
    let d = pki.dir().display();
    let config = format!(
        "[server]\nshards = 1\nadmin = \"{admin}\"\nlisten = \"{tls}\"\nheader_timeout = \"1s\"\n\
         tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }}\n\n{}",
        routes(&o)
    );
    let mut gw = gateway(&config, tls, Some(admin));
    // Plain HTTP gets nginx's kind of answer: a 400 in clear that says why.
    let plain = raw_exchange(tls, b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n");
    let plain = String::from_utf8_lossy(&plain);
    assert!(plain.starts_with("HTTP/1.1 400 "), "{plain}");
    assert!(plain.contains("Connection: close\r\n"), "{plain}");
    assert!(
        plain.ends_with("plain HTTP request sent to a TLS port\n"),
        "{plain}"
    );
    let out = curl(&["-w", "\n%{http_code}", &format!("http://{tls}/hello")]);
    out.assert_success("curl over plain HTTP");
    let body = out.stdout_text();
    assert!(body.ends_with("TLS port\n\n400"), "{body}");
    // A record header claiming a handshake, then nonsense.
    let mut garbage = vec![0x16, 0x03, 0x01, 0x00, 0x20];
    garbage.extend(std::iter::repeat_n(0xAB, 32));
    let got = raw_exchange(tls, &garbage);
    assert!(!got.starts_with(b"HTTP/"), "{got:?}");
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let _ = raw_exchange(tls, &random);
    // A client that connects and says nothing is dropped after header_timeout.
    let started = std::time::Instant::now();
    let silent = raw_exchange(tls, b"");
    assert!(silent.is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "silent client kept {:?}",
        started.elapsed()
    );
    let ca = pki.ca().display().to_string();
    let (_, status) = https(tls, "site.test", &ca, &[]);
    assert_eq!(status, "200 1.1", "the shard stopped serving");
    let m = scrape(admin);
    assert_eq!(m.sum("ringgate_tls_handshake_failures_total", &[]), 3.0);
    assert_eq!(m.sum("ringgate_tls_plain_http_total", &[]), 2.0);
    gw.assert_alive();
    assert!(
        gw.stderr().contains("TLS handshake failed"),
        "{}",
        gw.stderr()
    );
}

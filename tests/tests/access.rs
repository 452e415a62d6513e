//! IP access end to end: allow/deny by the socket peer (127.0.0.1, and ::1
//! on an IPv6 listener), the real client from `X-Forwarded-For` behind a
//! trusted proxy, a spoofed `X-Forwarded-For` from an untrusted peer
//! ignored, `server.access` before routing; refusals are 403, never reach
//! the origin, are logged with the rule and counted in /metrics.

use ringgate_tests::auth::curl_i;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::Origin;
use ringgate_tests::process::curl;

fn start(o: &Origin, server: &[&str], routes: &str) -> Gateway {
    let mut b = Gateway::builder().admin();
    for line in server {
        b = b.server(line);
    }
    b.config(&format!("{}\n{routes}", upstream("o", &[o.addr()], "")))
        .start()
}

fn denied(gw: &Gateway, route: &str) -> f64 {
    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    out.assert_success("metrics");
    Metrics::parse(&out.stdout_text())
        .expect("metrics parse")
        .sum("ringgate_access_denied_total", &[("route", route)])
}

const BY_PEER: &str = r#"
[[routes]]
name = "inside"
path_prefix = "/in"
upstream = "o"
access = { allow = ["127.0.0.0/8"] }

[[routes]]
name = "outside"
path_prefix = "/out"
upstream = "o"
access = { deny = ["127.0.0.0/8"] }

[[routes]]
name = "carved"
path_prefix = "/carved"
upstream = "o"
access = { allow = ["127.0.0.0/8", "2001:db8::/32"], deny = ["127.0.0.1/32"] }

[[routes]]
name = "elsewhere"
path_prefix = "/elsewhere"
upstream = "o"
access = { allow = ["10.0.0.0/8"] }
"#;

#[test]
fn allow_and_deny_by_peer() {
    let o = Origin::echo("o");
    let gw = start(&o, &[], BY_PEER);
    let (status, _, _) = curl_i(&[&gw.url("/in/x")]);
    assert_eq!(status, 200);
    assert_eq!(o.request_count(), 1);
    for path in ["/out/x", "/carved/x", "/elsewhere/x"] {
        let (status, head, body) = curl_i(&[&gw.url(path)]);
        assert_eq!(status, 403, "{path}: {head}");
        assert_eq!(body, "access denied\n", "{path}");
    }
    assert_eq!(o.request_count(), 1, "a refused request reached the origin");
    assert_eq!(denied(&gw, "outside"), 1.0);
    assert_eq!(denied(&gw, "carved"), 1.0);
    assert_eq!(denied(&gw, "elsewhere"), 1.0);
    assert_eq!(denied(&gw, "inside"), 0.0);
    let log = gw.stderr();
    assert!(
        log.contains("access denied") && log.contains("rule=deny[0] 127.0.0.1/32"),
        "{log}"
    );
    assert!(log.contains("rule=not in allow"), "{log}");
    // Keep-alive survives a refusal: two requests on one curl connection.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{num_connects}\n",
        &gw.url("/out/a"),
        &gw.url("/in/b"),
    ]);
    assert_eq!(out.stdout_text(), "403 1\n200 0\n");
}

const BEHIND_PROXY: &str = r#"
[[routes]]
name = "partners"
upstream = "o"
access = { allow = ["203.0.113.0/24"], trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"] }
"#;

#[test]
fn forwarded_for_from_a_trusted_proxy() {
    let o = Origin::echo("o");
    let gw = start(&o, &[], BEHIND_PROXY);
    let cases = [
        ("203.0.113.7", 200),
        ("198.51.100.1, 203.0.113.7", 200),
        ("203.0.113.7, 10.1.1.1, 10.2.2.2", 200),
        ("203.0.113.7, 198.51.100.1", 403),
        ("198.51.100.1", 403),
        // Unreadable chain: the peer (127.0.0.1) is the client.
        ("203.0.113.7, not-an-ip", 403),
        ("203.0.113.7:5555", 403),
        ("", 403),
    ];
    for (xff, want) in cases {
        let header = format!("X-Forwarded-For: {xff}");
        let (status, head, _) = curl_i(&["-H", &header, &gw.url("/p")]);
        assert_eq!(status, want, "X-Forwarded-For {xff:?}: {head}");
    }
    assert_eq!(
        o.request_count(),
        3,
        "only the allowed requests reach the origin"
    );
    assert_eq!(denied(&gw, "partners"), 5.0);
    // Two field lines are one list, walked from the right.
    let (status, _, _) = curl_i(&[
        "-H",
        "X-Forwarded-For: 203.0.113.9",
        "-H",
        "X-Forwarded-For: 10.0.0.1",
        &gw.url("/p"),
    ]);
    assert_eq!(status, 200);
    // The gateway appends the hop it saw (the peer) to the chain it forwards.
    assert_eq!(
        o.last_request().header("x-forwarded-for"),
        Some("203.0.113.9, 10.0.0.1, 127.0.0.1")
    );
}

#[test]
fn spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let o = Origin::echo("o");
    let gw = start(
        &o,
        &[],
        r#"
[[routes]]
name = "partners"
path_prefix = "/partners"
upstream = "o"
access = { allow = ["203.0.113.0/24"], trusted_proxies = ["10.0.0.0/8"] }

[[routes]]
name = "no-loopback"
path_prefix = "/nl"
upstream = "o"
access = { deny = ["127.0.0.0/8"] }
"#,
    );
    for path in ["/partners", "/nl"] {
        let (status, _, _) = curl_i(&["-H", "X-Forwarded-For: 203.0.113.7", &gw.url(path)]);
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(o.request_count(), 0);
}

#[test]
fn server_access_applies_before_routing() {
    let o = Origin::echo("o");
    let gw = start(
        &o,
        &["access = { deny = [\"127.0.0.1\"] }"],
        "[[routes]]\nname = \"r\"\npath = \"/only\"\nupstream = \"o\"\n",
    );
    for path in ["/only", "/no-such-route"] {
        let (status, _, _) = curl_i(&[&gw.url(path)]);
        assert_eq!(status, 403, "{path}");
    }
    assert_eq!(o.request_count(), 0);
    assert_eq!(denied(&gw, "(server)"), 2.0);
}

#[test]
fn ipv6_peer_on_an_ipv6_listener() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        panic!("this test needs IPv6 loopback (::1): the machine has none");
    }
    let o = Origin::echo("o");
    let listen = std::net::TcpListener::bind("[::1]:0")
        .and_then(|l| l.local_addr())
        .expect("free [::1] port");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("ringgate.toml");
    let text = format!(
        "[server]\nlisten = \"{listen}\"\nshards = 1\n\n{}\n{}",
        upstream("o", &[o.addr()], ""),
        r#"
[[routes]]
name = "v6"
path_prefix = "/v6"
upstream = "o"
access = { allow = ["::1/128"] }

[[routes]]
name = "v4only"
path_prefix = "/v4"
upstream = "o"
access = { allow = ["127.0.0.0/8"] }

[[routes]]
name = "not-v6-loopback"
path_prefix = "/deny6"
upstream = "o"
access = { allow = ["::/0"], deny = ["::1"] }
"#
    );
    std::fs::write(&config, text).expect("write config");
    let args = vec!["--config".to_owned(), config.display().to_string()];
    let gw = Gateway::spawn(dir, &args, listen, None);
    let url = |path: &str| format!("http://[::1]:{}{path}", listen.port());
    for (path, want) in [("/v6", 200), ("/v4", 403), ("/deny6", 403)] {
        let (status, head, _) = curl_i(&["-g", &url(path)]);
        assert_eq!(status, want, "{path}: {head}");
    }
    assert_eq!(o.request_count(), 1);
    assert!(gw.stderr().contains("client=::1"), "{}", gw.stderr());
}

/// Behind a trusted proxy, `key = "client_ip"` rate limits and
/// `hash_key = "client_ip"` hashing see the client named in
/// `X-Forwarded-For` (as the access rules do), not the proxy: one client
/// using up its burst does not limit another behind the same proxy.
#[test]
fn client_ip_rate_limits_count_the_client_behind_a_trusted_proxy() {
    let o = Origin::echo("o");
    let gw = start(
        &o,
        &[r#"access = { trusted_proxies = ["127.0.0.1/32"] }"#],
        r#"
[[routes]]
name = "limited"
upstream = "o"
rate_limit = { rate = "1/m", burst = 2, key = "client_ip" }
"#,
    );
    let from = |ip: &str| {
        let (status, head, _) = curl_i(&["-H", &format!("X-Forwarded-For: {ip}"), &gw.url("/x")]);
        (status, head)
    };
    for _ in 0..2 {
        assert_eq!(from("203.0.113.7").0, 200);
    }
    let (status, head) = from("203.0.113.7");
    assert_eq!(status, 429, "the third request of one client: {head}");
    // Another client behind the same proxy has its own bucket.
    for _ in 0..2 {
        let (status, head) = from("198.51.100.9");
        assert_eq!(status, 200, "a second client was limited: {head}");
    }
    // An untrusted X-Forwarded-For chain element is the client: a spoofed
    // leftmost address does not buy a fresh bucket.
    let (status, head) = from("192.0.2.1, 203.0.113.7");
    assert_eq!(status, 429, "spoofed left element: {head}");
    assert_eq!(o.request_count(), 4);
}

//! Upstream TLS to a real TLS server (nginx with `ssl`): the target is
//! verified against the configured CA (a wrong CA is a 502), the SNI name
//! is the configured one (or none for an IP target), connections are
//! pooled, a client certificate is presented for mutual TLS, and active
//! health checks speak TLS verified the same way.

use std::net::SocketAddr;
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::Gateway;
use ringgate_tests::metrics::Metrics;
use ringgate_tests::process::curl;
use ringgate_tests::tls::{gateway, Pki, TlsNginx};

fn gateway_to(nginx: &TlsNginx, tls: &str) -> (Gateway, SocketAddr) {
    let addr = free_addr();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{addr}\"\n\n\
         [upstreams.secure]\ntargets = [\"127.0.0.1:{}\"]\ntls = {{ {tls} }}\n\n\
         [[routes]]\npath_prefix = \"/\"\nupstream = \"secure\"\n",
        nginx.port()
    );
    (gateway(&config, addr, None), addr)
}

fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let out = curl(&["-w", "\n%{http_code}", &format!("http://{addr}{path}")]);
    out.assert_success("curl");
    let text = out.stdout_text();
    let (body, status) = text.rsplit_once('\n').expect("status");
    (body.to_string(), status.to_string())
}

#[test]
fn verified_with_the_ca_with_sni_and_pooled() {
    let nginx = TlsNginx::start(
        Pki::generate("DNS:origin.test,IP:127.0.0.1"),
        "TLSv1.2 TLSv1.3",
    );
    let ca = nginx.ca().display().to_string();
    let (mut gw, addr) = gateway_to(&nginx, &format!("ca = \"{ca}\", sni = \"origin.test\""));
    for _ in 0..3 {
        assert_eq!(get(addr, "/"), ("hello".to_string(), "200".to_string()));
    }
    let log = nginx.log_of(3);
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter().all(|h| h.server_name == "origin.test"),
        "{log:?}"
    );
    assert!(log.iter().all(|h| h.protocol == "TLSv1.3"), "{log:?}");
    assert!(
        log.iter().all(|h| h.connection == log[0].connection),
        "not pooled: {log:?}"
    );
    gw.assert_alive();
}

#[test]
fn an_ip_target_gets_no_sni_and_is_verified_by_its_ip() {
    let nginx = TlsNginx::start(Pki::generate("IP:127.0.0.1"), "TLSv1.2");
    let ca = nginx.ca().display().to_string();
    let (_gw, addr) = gateway_to(&nginx, &format!("ca = \"{ca}\""));
    assert_eq!(get(addr, "/"), ("hello".to_string(), "200".to_string()));
    let log = nginx.log_of(1);
    assert_eq!(log[0].server_name, "", "{log:?}");
    assert_eq!(log[0].protocol, "TLSv1.2", "{log:?}");
}

#[test]
fn a_target_the_ca_did_not_sign_is_a_502() {
    let nginx = TlsNginx::start(Pki::generate("DNS:origin.test"), "TLSv1.2 TLSv1.3");
    let other = Pki::generate("DNS:origin.test");
    let ca = other.ca().display().to_string();
    let (mut gw, addr) = gateway_to(&nginx, &format!("ca = \"{ca}\", sni = \"origin.test\""));
    let (_, status) = get(addr, "/");
    assert_eq!(status, "502");
    assert!(nginx.log().is_empty(), "the request reached nginx");
    assert!(gw.stderr().contains("TLS handshake"), "{}", gw.stderr());
    // A name the certificate does not list is refused as well.
    let (_gw2, addr2) = gateway_to(
        &nginx,
        &format!("ca = \"{}\", sni = \"other.test\"", nginx.ca().display()),
    );
    assert_eq!(get(addr2, "/").1, "502");
    gw.assert_alive();
}

#[test]
fn mutual_tls_presents_the_client_certificate() {
    let pki = Pki::generate("DNS:origin.test");
    let (cert, key) = pki.issue("client", "gateway.client", "");
    let d = pki.dir().display().to_string();
    let nginx = TlsNginx::start_with(
        pki,
        "TLSv1.2 TLSv1.3",
        &format!(
            "ssl_client_certificate {d}/ca.pem; ssl_verify_client on;\n\
             location / {{ return 200 \"client $ssl_client_s_dn\"; }}"
        ),
    );
    let ca = format!("{d}/ca.pem");
    let (_gw, addr) = gateway_to(
        &nginx,
        &format!(
            "ca = \"{ca}\", sni = \"origin.test\", client_cert = \"{}\", client_key = \"{}\"",
            cert.display(),
            key.display()
        ),
    );
    let (body, status) = get(addr, "/");
    assert_eq!(status, "200", "{body}");
    assert!(body.contains("CN=gateway.client"), "{body}");
    // Without the certificate nginx refuses the request.
    let (_gw2, addr2) = gateway_to(&nginx, &format!("ca = \"{ca}\", sni = \"origin.test\""));
    let (body, status) = get(addr2, "/");
    assert_eq!(status, "400", "{body}");
    assert!(body.contains("No required SSL certificate"), "{body}");
}

/// Active health checks over TLS, verified like requests: a target whose
/// certificate the upstream's CA signed passes; one whose certificate
/// another CA signed fails its checks (and gets no traffic), although it
/// answers 200 to anyone who does not verify it.
#[test]
fn health_checks_speak_tls_and_verify_the_target() {
    let good = TlsNginx::start(Pki::generate("DNS:origin.test"), "TLSv1.2 TLSv1.3");
    let rogue = TlsNginx::start(Pki::generate("DNS:origin.test"), "TLSv1.2 TLSv1.3");
    let ca = good.ca().display().to_string();
    let (addr, admin) = (free_addr(), free_addr());
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{addr}\"\nadmin = \"{admin}\"\n\n\
         [upstreams.secure]\ntargets = [\"127.0.0.1:{}\", \"127.0.0.1:{}\"]\n\
         tls = {{ ca = \"{ca}\", sni = \"origin.test\" }}\n\
         health_check = {{ path = \"/healthz\", interval = \"500ms\", timeout = \"500ms\", healthy = 1, unhealthy = 2 }}\n\n\
         [[routes]]\npath_prefix = \"/\"\nupstream = \"secure\"\n",
        good.port(),
        rogue.port()
    );
    let mut gw = gateway(&config, addr, Some(admin));
    let (good_t, rogue_t) = (
        format!("127.0.0.1:{}", good.port()),
        format!("127.0.0.1:{}", rogue.port()),
    );
    let metrics = || {
        let out = curl(&[&format!("http://{admin}/metrics")]);
        out.assert_success("metrics");
        Metrics::parse(&out.stdout_text()).expect("metrics parse")
    };
    let settled = ringgate_tests::wait_until(Duration::from_secs(10), || {
        let m = metrics();
        m.sum(
            "ringgate_health_checks_total",
            &[("target", &good_t), ("result", "passed")],
        ) >= 2.0
            && m.sum(
                "ringgate_health_checks_total",
                &[("target", &rogue_t), ("result", "failed")],
            ) >= 2.0
    });
    let m = metrics();
    assert!(settled, "checks did not settle:\n{}", gw.stderr());
    assert_eq!(
        m.sum("ringgate_target_healthy", &[("target", &good_t)]),
        1.0
    );
    assert_eq!(
        m.sum("ringgate_target_healthy", &[("target", &rogue_t)]),
        0.0
    );
    assert_eq!(
        m.sum(
            "ringgate_health_checks_total",
            &[("target", &rogue_t), ("result", "passed")]
        ),
        0.0
    );
    // The checks reached the good target over TLS with the SNI name.
    let checks: Vec<_> = good.log().into_iter().collect();
    assert!(!checks.is_empty(), "no health check reached nginx");
    assert!(
        checks.iter().all(|h| h.server_name == "origin.test"),
        "{checks:?}"
    );
    for _ in 0..4 {
        assert_eq!(get(addr, "/"), ("hello".to_string(), "200".to_string()));
    }
    assert!(rogue.log().is_empty(), "the rogue target was reached");
    assert!(gw.stderr().contains("target unhealthy"), "{}", gw.stderr());
    gw.assert_alive();
}

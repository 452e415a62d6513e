//! ringload over https, end to end: the real binary against nginx with
//! `ssl` and a throwaway CA made by openssl. Trust (`--cacert`, the system
//! roots, `--insecure`), server names (SNI, IP SANs, a mismatch), TLS 1.3
//! and 1.2, pipelining, and one handshake per request with `--no-keepalive`,
//! checked on both sides: ringload's JSON report and nginx's access log.

use std::collections::BTreeSet;
use std::time::Duration;

use ringgate_tests::ringload::Ringload;
use ringgate_tests::tls::{Handled, Pki, TlsNginx};

const DEADLINE: Duration = Duration::from_secs(30);
const BOTH: &str = "TLSv1.2 TLSv1.3";

fn server(subject_alt_names: &str, protocols: &str) -> TlsNginx {
    TlsNginx::start(Pki::generate(subject_alt_names), protocols)
}

/// `ringload ARGS --cacert CA https://HOST:PORT/`.
fn run_trusting_ca(nginx: &TlsNginx, host: &str, args: &[&str]) -> Ringload {
    let ca = nginx.ca();
    let url = nginx.url(host);
    let mut all = args.to_vec();
    all.extend_from_slice(&["--cacert", ca.to_str().unwrap(), &url]);
    Ringload::run(&all, DEADLINE)
}

/// Every request answered 200, no error of any class; returns what nginx
/// logged for them.
fn assert_all_ok(r: &Ringload, nginx: &TlsNginx, requests: u64) -> Vec<Handled> {
    assert_eq!(r.u64("/requests"), requests, "{}", r.json);
    assert_eq!(r.u64("/status/200"), requests);
    for class in ["connect", "read", "write", "timeout", "protocol"] {
        assert_eq!(r.u64(&format!("/errors/{class}")), 0, "{class}: {}", r.json);
    }
    let log = nginx.log_of(requests as usize);
    assert!(log.len() as u64 >= requests, "{} logged", log.len());
    log
}

/// Every attempt failed in the handshake: connect errors only, nothing
/// reached the server, and the cause was printed exactly once.
fn assert_handshake_refused(r: &Ringload, nginx: &TlsNginx, cause: &str) {
    assert_eq!(r.u64("/requests"), 0, "{}", r.json);
    assert!(r.u64("/errors/connect") > 0, "{}", r.json);
    for class in ["read", "write", "timeout", "protocol"] {
        assert_eq!(r.u64(&format!("/errors/{class}")), 0, "{class}: {}", r.json);
    }
    assert!(nginx.log().is_empty(), "{:?}", nginx.log());
    let err = r.out.stderr_text();
    assert_eq!(err.matches("TLS handshake with").count(), 1, "{err}");
    assert!(err.contains(cause), "{err}");
    let text = r.out.stdout_text();
    assert!(text.contains("Errors: connect "), "{text}");
}

fn connections(log: &[Handled]) -> usize {
    log.iter()
        .map(|h| h.connection)
        .collect::<BTreeSet<_>>()
        .len()
}

#[test]
fn https_with_cacert_answers_every_request_over_tls13_with_sni() {
    let nginx = server("DNS:localhost", BOTH);
    let r = run_trusting_ca(&nginx, "localhost", &["-c", "4", "-n", "1000"]);
    let log = assert_all_ok(&r, &nginx, 1000);
    assert_eq!(log.len(), 1000);
    assert!(r.u64("/bytes") >= 1000 * 5, "{}", r.json);
    assert!(log.iter().all(|h| h.protocol == "TLSv1.3"), "{:?}", log[0]);
    assert!(
        log.iter().all(|h| h.server_name == "localhost"),
        "{:?}",
        log[0]
    );
    assert!(connections(&log) <= 4, "keep-alive: {}", connections(&log));
}

#[test]
fn https_against_a_tls12_only_server() {
    let nginx = server("DNS:localhost", "TLSv1.2");
    let r = run_trusting_ca(&nginx, "localhost", &["-c", "2", "-d", "1s"]);
    let requests = r.u64("/requests");
    assert!(requests > 50, "{}", r.json);
    let log = assert_all_ok(&r, &nginx, requests);
    assert!(log.iter().all(|h| h.protocol == "TLSv1.2"), "{:?}", log[0]);
}

#[test]
fn https_pipelines_over_tls() {
    let nginx = server("DNS:localhost", BOTH);
    let r = run_trusting_ca(&nginx, "localhost", &["-c", "2", "-p", "16", "-n", "2000"]);
    let log = assert_all_ok(&r, &nginx, 2000);
    assert_eq!(log.len(), 2000);
    assert!(connections(&log) <= 2, "{}", connections(&log));
}

#[test]
fn https_without_cacert_refuses_the_untrusted_certificate_as_connect_errors() {
    let nginx = server("DNS:localhost", BOTH);
    let url = nginx.url("localhost");
    let r = Ringload::run(&["-c", "2", "-d", "1s", &url], DEADLINE);
    assert_handshake_refused(&r, &nginx, "the certificate is not trusted");
    assert!(r.out.stderr_text().contains("UnknownIssuer"));
}

#[test]
fn https_insecure_needs_no_ca() {
    let nginx = server("DNS:localhost", BOTH);
    let url = nginx.url("localhost");
    let r = Ringload::run(&["-c", "2", "-n", "300", "--insecure", &url], DEADLINE);
    assert_eq!(assert_all_ok(&r, &nginx, 300).len(), 300);
}

#[test]
fn https_to_an_ip_without_an_ip_san_is_a_name_mismatch() {
    let nginx = server("DNS:localhost", BOTH);
    let r = run_trusting_ca(&nginx, "127.0.0.1", &["-c", "2", "-d", "1s"]);
    assert_handshake_refused(&r, &nginx, "not valid for the URL's host");
    assert!(r.out.stderr_text().contains("\"127.0.0.1\""));
}

#[test]
fn https_to_an_ip_checks_the_ip_san_and_sends_no_sni() {
    let nginx = server("DNS:localhost,IP:127.0.0.1", BOTH);
    let r = run_trusting_ca(&nginx, "127.0.0.1", &["-c", "1", "-n", "100"]);
    let log = assert_all_ok(&r, &nginx, 100);
    assert!(log.iter().all(|h| h.server_name.is_empty()), "{:?}", log[0]);
}

#[test]
fn https_no_keepalive_does_one_handshake_per_request() {
    let nginx = server("DNS:localhost", BOTH);
    let r = run_trusting_ca(
        &nginx,
        "localhost",
        &["-c", "2", "-n", "40", "--no-keepalive"],
    );
    let log = assert_all_ok(&r, &nginx, 40);
    assert_eq!(log.len(), 40);
    // A new connection, so a new handshake, for every request.
    assert!(log.iter().all(|h| h.connection_requests == 1), "{log:?}");
    assert_eq!(connections(&log), 40);
}

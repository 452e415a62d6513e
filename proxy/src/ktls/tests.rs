//! kTLS against a real rustls client, through the real kernel.
//!
//! Where the kernel has no kTLS (the dev/CI kernel) the probe must say so
//! with its reason, and the round trips have nothing to run on; inside the
//! VM (`tests/vm/ktls.sh` sets `RINGGATE_EXPECT_KTLS=1`) the probe must find
//! all three ciphers and every round trip must pass: a request sent right
//! behind the client's `Finished` (so rustls holds it at the switch), a
//! 1 MiB response written through the kernel, the kernel's TLS counters
//! moving, and the client's close_notify read back as EOF.

use super::{control, crypto_info, probe, switch};
use bytes::BytesMut;
use monoio::io::AsyncWriteRentExt;
use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::SupportedCipherSuite;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;

fn expect_ktls() -> bool {
    std::env::var_os("RINGGATE_EXPECT_KTLS").is_some_and(|v| v == "1")
}

fn kernel_has_tls_ulp() -> bool {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_ulp")
        .is_ok_and(|s| s.split_whitespace().any(|u| u == "tls"))
}

#[test]
fn probe_tells_what_the_kernel_takes() {
    let support = probe();
    if expect_ktls() || kernel_has_tls_ulp() {
        assert!(support.available(), "{}", support.describe());
        for c in [
            crypto_info::AES_GCM_128,
            crypto_info::AES_GCM_256,
            crypto_info::CHACHA20_POLY1305,
        ] {
            assert!(
                support.takes(c),
                "{}: {}",
                crypto_info::cipher_name(c),
                support.describe()
            );
        }
    } else {
        assert!(!support.available());
        assert!(
            support.describe().contains("TCP_ULP"),
            "{}",
            support.describe()
        );
    }
}

/// A certificate for `localhost` made by openssl.
fn cert() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ringgate-ktls-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (c, k) = (dir.join("c.pem"), dir.join("k.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
            "-days",
            "1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&k)
        .arg("-out")
        .arg(&c)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl")
        .success();
    assert!(ok, "openssl req failed");
    let chain = CertificateDer::pem_file_iter(&c)
        .expect("cert")
        .map(|c| c.expect("cert"))
        .collect();
    let key = PrivateKeyDer::from_pem_file(&k).expect("key");
    let _ = std::fs::remove_dir_all(&dir);
    (chain, key)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn tls_stat(name: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/net/tls_stat").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().parse().unwrap_or(0)))
        .unwrap_or(0)
}

const REQUEST: usize = 100 * 1024;
const RESPONSE: usize = 1024 * 1024;

/// The server side: handshake, switch, read the request, write the
/// response, then read to EOF. Returns (plaintext held by rustls at the
/// switch, request bytes, clean EOF).
async fn serve_one(
    listener: monoio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> (usize, Vec<u8>, bool) {
    let (mut tcp, _) = listener.accept().await.expect("accept");
    let mut tls = rustls::ServerConnection::new(config).expect("session");
    let mut buf = BytesMut::new();
    switch::handshake(&mut tcp, &mut tls, &mut buf)
        .await
        .expect("handshake");
    assert!(crypto_info::negotiated(&tls).is_some());
    let switched = switch::switch(&mut tcp, tls, buf).await.expect("switch");
    let held = switched.plaintext.len();
    let mut got = switched.plaintext;
    while got.len() < REQUEST {
        let n = control::read_into(&mut tcp, &mut got)
            .await
            .expect("read request");
        assert!(n > 0, "EOF before the request");
    }
    let (res, _) = tcp.write_all(pattern(RESPONSE)).await;
    res.expect("write response");
    let eof = matches!(control::read_into(&mut tcp, &mut got).await, Ok(0));
    control::close_notify(tcp.as_raw_fd());
    (held, got.to_vec(), eof)
}

fn round_trip(suite: SupportedCipherSuite, version: &'static rustls::SupportedProtocolVersion) {
    let (chain, key) = cert();
    let mut server_provider = provider::default_provider();
    server_provider.cipher_suites = vec![suite];
    let mut server = rustls::ServerConfig::builder_with_provider(Arc::new(server_provider))
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain.clone(), key)
        .expect("cert");
    server.enable_secret_extraction = true;
    let server = Arc::new(server);

    let mut roots = rustls::RootCertStore::empty();
    roots.add(chain[0].clone()).expect("root");
    let client =
        rustls::ClientConfig::builder_with_provider(Arc::new(provider::default_provider()))
            .with_protocol_versions(&[version])
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
    let client = Arc::new(client);

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = std_listener.local_addr().expect("addr");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let tx_before = tls_stat("TlsTxSw");
    let rx_before = tls_stat("TlsRxSw");

    let client_thread = std::thread::spawn(move || {
        let tcp = std::net::TcpStream::connect(addr).expect("connect");
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(60)))
            .expect("timeout");
        let conn =
            rustls::ClientConnection::new(client, ServerName::try_from("localhost").expect("name"))
                .expect("client");
        let mut s = rustls::StreamOwned::new(conn, tcp);
        // Written before the handshake: rustls sends it right behind Finished.
        s.write_all(&pattern(REQUEST)).expect("write request");
        s.flush().expect("flush");
        let mut body = vec![0u8; RESPONSE];
        s.read_exact(&mut body).expect("read response");
        s.conn.send_close_notify();
        s.flush().expect("close_notify");
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        body
    });

    let mut rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .build()
        .expect("runtime");
    let (held, request, eof) = rt.block_on(async move {
        let listener = monoio::net::TcpListener::from_std(std_listener).expect("listener");
        serve_one(listener, server).await
    });
    let body = client_thread.join().expect("client thread");
    assert_eq!(request, pattern(REQUEST), "request bytes differ");
    assert!(body == pattern(RESPONSE), "response bytes differ");
    assert!(eof, "close_notify was not read as EOF");
    eprintln!("  plaintext held by rustls at the switch: {held} bytes");
    assert!(tls_stat("TlsTxSw") > tx_before, "TlsTxSw did not move");
    assert!(tls_stat("TlsRxSw") > rx_before, "TlsRxSw did not move");
}

#[test]
fn round_trips_through_the_kernel() {
    if !expect_ktls() && !probe().available() {
        return; // nothing to run on: probe_tells_what_the_kernel_takes checked why
    }
    use provider::cipher_suite as cs;
    let cases = [
        (cs::TLS13_AES_128_GCM_SHA256, &rustls::version::TLS13),
        (cs::TLS13_AES_256_GCM_SHA384, &rustls::version::TLS13),
        (cs::TLS13_CHACHA20_POLY1305_SHA256, &rustls::version::TLS13),
        (
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &rustls::version::TLS12,
        ),
        (
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            &rustls::version::TLS12,
        ),
        (
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            &rustls::version::TLS12,
        ),
    ];
    for (suite, version) in cases {
        eprintln!("ktls round trip: {:?}", suite.suite());
        round_trip(suite, version);
    }
}

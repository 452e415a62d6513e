//! kTLS in the gateway, through the real binary and real TLS clients.
//!
//! On a kernel without kTLS (the dev/CI kernel): `ktls = "auto"` serves
//! HTTPS with userspace rustls and counts the connections as `rustls`;
//! `ktls = "on"` refuses to start and says why. On a kernel with kTLS (the
//! VM of `tests/vm/ktls.sh`, which sets `RINGGATE_EXPECT_KTLS=1` so that a
//! missing kTLS fails instead of skipping): `ktls = "on"` serves curl over
//! TLS 1.2 and 1.3 with each of the three ciphers and openssl s_client,
//! 1 MiB responses and 2 MiB request bodies arrive byte-exact, the
//! kernel's `/proc/net/tls_stat` counters move, /metrics counts the
//! connections as `ktls`, and a connection the gateway closes ends with
//! close_notify.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ringgate_tests::gateway::{binary, one_route, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::pattern;
use ringgate_tests::process::{curl, run, Finished};
use ringgate_tests::tls::{closes_with_close_notify, Pki};

const BIG: usize = 1 << 20;
const UPLOAD: usize = 2 << 20;

/// Whether this kernel has kTLS (or the VM says it must).
fn kernel_ktls() -> bool {
    std::env::var_os("RINGGATE_EXPECT_KTLS").is_some_and(|v| v == "1")
        || std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_ulp")
            .is_ok_and(|s| s.split_whitespace().any(|u| u == "tls"))
}

fn origin() -> Origin {
    Origin::start("o", |req| {
        if req.path() == "/big" {
            Reply::Pattern { len: BIG as u64 }
        } else {
            Reply::echo("o", req)
        }
    })
}

fn tls_line(pki: &Pki, mode: &str) -> String {
    format!(
        "tls = {{ cert = \"{}\", key = \"{}\", ktls = \"{mode}\" }}",
        pki.dir().join("server.pem").display(),
        pki.dir().join("server.key").display()
    )
}

fn start(pki: &Pki, origin: &Origin, mode: &str) -> Gateway {
    Gateway::builder()
        .admin()
        .server(&tls_line(pki, mode))
        .config(&one_route(&[origin.addr()], "", ""))
        .start()
}

fn scrape(gw: &Gateway) -> Metrics {
    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    out.assert_success("curl /metrics");
    Metrics::parse(&out.stdout_text()).unwrap_or_else(|e| panic!("{e}"))
}

fn by_mode(gw: &Gateway, mode: &str) -> f64 {
    scrape(gw).sum("ringgate_connections_by_tls_mode_total", &[("mode", mode)])
}

fn tls_stat(name: &str) -> u64 {
    std::fs::read_to_string("/proc/net/tls_stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0)
}

/// curl with room for an emulated CPU (the VM runs under TCG).
fn curl_slow(args: &[&str]) -> Finished {
    run(
        Command::new("curl")
            .args(["-sS", "--max-time", "120"])
            .args(args),
        Duration::from_secs(130),
    )
}

/// GET /big with curl and these TLS flags; the body must be the pattern.
fn get_big(gw: &Gateway, pki: &Pki, flags: &[&str], dir: &Path) {
    let file = dir.join("big.bin");
    let url = format!("https://localhost:{}/big", gw.addr().port());
    let ca = pki.ca().display().to_string();
    let mut args = vec!["--cacert", &ca, "-o"];
    let file_arg = file.display().to_string();
    args.push(&file_arg);
    args.extend_from_slice(&["-w", "%{http_code} %{ssl_verify_result}"]);
    args.extend_from_slice(flags);
    args.push(&url);
    let out = curl_slow(&args);
    out.assert_success(&format!("curl {flags:?}"));
    assert_eq!(out.stdout_text(), "200 0", "curl {flags:?}");
    let body = std::fs::read(&file).expect("body");
    assert_eq!(body.len(), BIG, "curl {flags:?}: body length");
    assert!(
        body == pattern::bytes(BIG),
        "curl {flags:?}: body bytes differ"
    );
}

/// POST a 2 MiB pattern body; the origin must have seen all of it intact.
fn post_upload(gw: &Gateway, pki: &Pki, flags: &[&str], dir: &Path) {
    let file = dir.join("upload.bin");
    std::fs::write(&file, pattern::bytes(UPLOAD)).expect("write upload");
    let url = format!("https://localhost:{}/upload", gw.addr().port());
    let ca = pki.ca().display().to_string();
    let data = format!("@{}", file.display());
    let mut args = vec![
        "--cacert",
        &ca,
        "-H",
        "content-type: application/octet-stream",
        "--data-binary",
        &data,
    ];
    args.extend_from_slice(flags);
    args.push(&url);
    let out = curl_slow(&args);
    out.assert_success(&format!("curl POST {flags:?}"));
    let echo: serde_json::Value = serde_json::from_str(&out.stdout_text()).expect("echo json");
    assert_eq!(echo["body_len"], UPLOAD, "POST {flags:?}: {echo}");
    assert_eq!(echo["body_pattern_ok"], true, "POST {flags:?}: {echo}");
}

#[test]
fn auto_serves_https_in_the_mode_the_kernel_allows() {
    let pki = Pki::generate("DNS:localhost,IP:127.0.0.1");
    let o = origin();
    let gw = start(&pki, &o, "auto");
    let dir = tempfile::tempdir().expect("tempdir");
    get_big(&gw, &pki, &["--tlsv1.3"], dir.path());
    post_upload(&gw, &pki, &["--tlsv1.2", "--tls-max", "1.2"], dir.path());
    let (used, unused) = if kernel_ktls() {
        ("ktls", "rustls")
    } else {
        ("rustls", "ktls")
    };
    assert_eq!(by_mode(&gw, used), 2.0, "{}", gw.stderr());
    assert_eq!(by_mode(&gw, unused), 0.0);
    let log = gw.stderr();
    assert!(
        log.contains("listener TLS mode") && log.contains(&format!("mode=\"{used}\"")),
        "startup log names the mode: {log}"
    );
}

#[test]
fn on_without_kernel_support_refuses_to_start() {
    if kernel_ktls() {
        return; // the kernel has it: on_serves_https_through_the_kernel runs instead
    }
    let pki = Pki::generate("DNS:localhost,IP:127.0.0.1");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("ringgate.toml");
    let listen = ringgate_tests::free_addr();
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{listen}\"\nshards = 1\n{}\n\n{}",
            tls_line(&pki, "on"),
            one_route(&[listen], "", "")
        ),
    )
    .expect("config");
    let out = run(
        Command::new(binary())
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null()),
        Duration::from_secs(20),
    );
    assert!(!out.status.success(), "started without kTLS");
    let err = out.stderr_text();
    assert!(err.contains("server.tls.ktls"), "names the key: {err}");
    assert!(err.contains("no kTLS"), "says why: {err}");
    assert!(err.contains("TCP_ULP"), "says what failed: {err}");
    assert!(err.contains("modprobe tls"), "says what to do: {err}");
}

#[test]
fn on_serves_https_through_the_kernel() {
    if !kernel_ktls() {
        return; // on_without_kernel_support_refuses_to_start covers this kernel
    }
    let pki = Pki::generate("DNS:localhost,IP:127.0.0.1");
    let o = origin();
    let gw = start(&pki, &o, "on");
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx0, rx0) = (tls_stat("TlsTxSw"), tls_stat("TlsRxSw"));
    let tls13 = ["--tlsv1.3", "--tls-max", "1.3", "--tls13-ciphers"];
    let tls12 = ["--tlsv1.2", "--tls-max", "1.2", "--ciphers"];
    let cases: [(&[&str], &str); 6] = [
        (&tls13, "TLS_AES_128_GCM_SHA256"),
        (&tls13, "TLS_AES_256_GCM_SHA384"),
        (&tls13, "TLS_CHACHA20_POLY1305_SHA256"),
        (&tls12, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        (&tls12, "ECDHE-ECDSA-AES256-GCM-SHA384"),
        (&tls12, "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ];
    for (flags, cipher) in cases {
        let mut f: Vec<&str> = flags.to_vec();
        f.push(cipher);
        get_big(&gw, &pki, &f, dir.path());
        post_upload(&gw, &pki, &f, dir.path());
    }
    // openssl s_client: a request written as soon as the handshake ends,
    // answered with Connection: close.
    let out = run(
        Command::new("sh").arg("-c").arg(format!(
            "printf 'GET /big HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | \
             openssl s_client -quiet -connect 127.0.0.1:{} -servername localhost -CAfile {} 2>/dev/null",
            gw.addr().port(),
            pki.ca().display()
        )),
        Duration::from_secs(60),
    );
    let raw = out.stdout.clone();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("s_client: a response head");
    let head = String::from_utf8_lossy(&raw[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "s_client: {head}");
    assert!(
        raw[split + 4..] == pattern::bytes(BIG)[..],
        "s_client: body bytes differ"
    );
    // Closing, the gateway sends close_notify through the kernel.
    let (notified, status) = closes_with_close_notify(gw.addr(), "localhost", &pki.ca(), "/small");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(notified, "kTLS connection closed without close_notify");
    let connections = 2 * cases.len() as u64 + 2;
    assert_eq!(by_mode(&gw, "ktls"), connections as f64, "{}", gw.stderr());
    assert_eq!(by_mode(&gw, "rustls"), 0.0);
    assert!(
        tls_stat("TlsTxSw") >= tx0 + connections,
        "TlsTxSw did not move"
    );
    assert!(
        tls_stat("TlsRxSw") >= rx0 + connections,
        "TlsRxSw did not move"
    );
    assert!(gw.stderr().contains("mode=\"ktls\""), "{}", gw.stderr());

    // A TLS 1.3 KeyUpdate (s_client's `K` command) after a request: the
    // kernel hands the record back, it cannot take new receive keys (Linux
    // 6.1), so the gateway closes that connection and says why.
    let out = run(
        Command::new("sh").arg("-c").arg(format!(
            "(printf 'GET /x HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n'; sleep 3; echo K; sleep 3) | \
             openssl s_client -tls1_3 -connect 127.0.0.1:{} -servername localhost -CAfile {} 2>&1",
            gw.addr().port(),
            pki.ca().display()
        )),
        Duration::from_secs(60),
    );
    let text = out.stdout_text();
    assert!(
        text.contains("HTTP/1.1 200"),
        "s_client before KeyUpdate: {text}"
    );
    assert!(
        ringgate_tests::wait_until(Duration::from_secs(20), || gw
            .stderr()
            .contains("TLS 1.3 KeyUpdate")),
        "no KeyUpdate log line: {}",
        gw.stderr()
    );
}

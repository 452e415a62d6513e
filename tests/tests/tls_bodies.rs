//! Big and chunked bodies through TLS on both legs: curl talks https to
//! ringgate, ringgate talks https to nginx, nginx proxies to the test's
//! origin, which checks every byte of an upload and generates the pattern
//! for a download. Content-Length and chunked, each way.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::Gateway;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::pattern::{self, Verifier};
use ringgate_tests::process::{self, Finished};
use ringgate_tests::tls::{gateway, Pki, TlsNginx};

const LEN: u64 = 24 << 20;

fn origin() -> Origin {
    Origin::start("origin", |req| match req.path() {
        "/download" => Reply::Pattern { len: LEN },
        "/chunked" => Reply::Chunked {
            status: 200,
            headers: Vec::new(),
            chunks: (0..64u64)
                .map(|i| {
                    let mut c = vec![0u8; 64 * 1024 + 7];
                    pattern::fill(i * c.len() as u64, &mut c);
                    c
                })
                .collect(),
        },
        _ => Reply::echo("origin", req),
    })
}

struct Chain {
    _origin: Origin,
    _nginx: TlsNginx,
    gw: Gateway,
    addr: SocketAddr,
    ca: String,
}

fn chain() -> Chain {
    let o = origin();
    let pki = Pki::generate("DNS:origin.test,DNS:gw.test");
    let d = pki.dir().display().to_string();
    let nginx = TlsNginx::start_with(
        pki,
        "TLSv1.2 TLSv1.3",
        &format!(
            "client_max_body_size 0; proxy_http_version 1.1; proxy_buffering off;\n\
             proxy_request_buffering off;\n\
             location / {{ proxy_pass http://{}; }}",
            o.addr()
        ),
    );
    let addr = free_addr();
    let config = format!(
        "[server]\nshards = 1\nlisten = \"{addr}\"\n\
         tls = {{ cert = \"{d}/server.pem\", key = \"{d}/server.key\" }}\n\n\
         [upstreams.secure]\ntargets = [\"127.0.0.1:{}\"]\nresponse_timeout = \"60s\"\n\
         tls = {{ ca = \"{d}/ca.pem\", sni = \"origin.test\" }}\n\n\
         [[routes]]\npath_prefix = \"/\"\nupstream = \"secure\"\n",
        nginx.port()
    );
    let gw = gateway(&config, addr, None);
    Chain {
        _origin: o,
        _nginx: nginx,
        gw,
        addr,
        ca: format!("{d}/ca.pem"),
    }
}

fn curl_https(c: &Chain, path: &str, extra: &[&str]) -> Finished {
    let resolve = format!("gw.test:{}:127.0.0.1", c.addr.port());
    let url = format!("https://gw.test:{}{path}", c.addr.port());
    let mut cmd = std::process::Command::new("curl");
    cmd.args([
        "-sS",
        "--max-time",
        "60",
        "--cacert",
        &c.ca,
        "--resolve",
        &resolve,
    ])
    .args(extra)
    .arg(&url);
    process::run(&mut cmd, Duration::from_secs(90))
}

fn check_pattern_file(file: &Path, len: u64) {
    let bytes = std::fs::read(file).expect("downloaded file");
    let mut v = Verifier::new();
    v.update(&bytes);
    assert_eq!(v.len(), len, "downloaded length");
    assert!(v.ok(), "corrupt byte at {:?}", v.first_mismatch());
}

#[test]
fn uploads_and_downloads_byte_exact_through_tls_both_legs() {
    let mut c = chain();
    let dir = tempfile::tempdir().expect("tempdir");
    let up = dir.path().join("up.bin");
    let mut body = vec![0u8; LEN as usize];
    pattern::fill(0, &mut body);
    std::fs::write(&up, &body).expect("write upload");
    let data = format!("@{}", up.display());

    // Content-Length upload.
    let out = curl_https(&c, "/upload", &["--data-binary", &data]);
    out.assert_success("upload");
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).expect("echo json");
    assert_eq!(echo["body_len"], LEN, "{echo}");
    assert_eq!(echo["body_pattern_ok"], true);

    // Chunked upload, streamed.
    let out = curl_https(
        &c,
        "/upload",
        &["--data-binary", &data, "-H", "Transfer-Encoding: chunked"],
    );
    out.assert_success("chunked upload");
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).expect("echo json");
    assert_eq!(echo["body_len"], LEN, "{echo}");
    assert_eq!(echo["body_pattern_ok"], true);

    // Content-Length download.
    let down = dir.path().join("down.bin");
    let down_s = down.display().to_string();
    curl_https(&c, "/download", &["-o", &down_s]).assert_success("download");
    check_pattern_file(&down, LEN);

    // Chunked download.
    let out = curl_https(&c, "/chunked", &["-o", &down_s, "-D", "-"]);
    out.assert_success("chunked download");
    assert!(
        out.stdout_text()
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{}",
        out.stdout_text()
    );
    check_pattern_file(&down, 64 * (64 * 1024 + 7));
    c.gw.assert_alive();
}

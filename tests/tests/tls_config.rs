//! TLS startup errors from the real binary: a missing key file, a key that
//! does not match its certificate, a key given as the certificate and an
//! unreadable CA each stop startup with one line naming the config key and
//! the file. (`ktls = "on"` without kernel support: `ktls.rs`.)

use std::process::Command;
use std::time::Duration;

use ringgate_tests::gateway::binary;
use ringgate_tests::process;
use ringgate_tests::tls::Pki;

fn startup_error(pki: &Pki, config: &str) -> String {
    let path = pki.dir().join("bad.toml");
    std::fs::write(
        &path,
        format!("[server]\nlisten = \"127.0.0.1:0\"\n{config}"),
    )
    .unwrap();
    let out = process::run(
        Command::new(binary()).arg("--config").arg(&path),
        Duration::from_secs(10),
    );
    assert!(!out.status.success(), "started with {config}");
    let err = out.stderr_text();
    let line = err
        .lines()
        .find(|l| l.starts_with("ringgate: "))
        .unwrap_or_else(|| panic!("no error line:\n{err}"));
    line.to_string()
}

#[test]
fn bad_tls_files_and_settings_stop_startup_naming_key_and_file() {
    let pki = Pki::generate("DNS:site.test");
    pki.issue("other", "other.test", "DNS:other.test");
    let d = pki.dir().display().to_string();

    let e = startup_error(
        &pki,
        "tls = { cert = \"server.pem\", key = \"missing.key\" }\n",
    );
    assert!(e.contains("server.tls.key"), "{e}");
    assert!(
        e.contains(&format!("{d}/missing.key")),
        "relative to the config's folder: {e}"
    );

    let e = startup_error(
        &pki,
        "tls = { certs = [{ cert = \"server.pem\", key = \"server.key\" }, { cert = \"server.pem\", key = \"other.key\", names = [\"a.test\"] }] }\n",
    );
    assert!(e.contains("server.tls.certs[1].key"), "{e}");
    assert!(
        e.contains("other.key") && e.contains("does not match"),
        "{e}"
    );

    let e = startup_error(
        &pki,
        "tls = { cert = \"server.key\", key = \"server.key\" }\n",
    );
    assert!(
        e.contains("server.tls.cert") && e.contains("server.key"),
        "{e}"
    );

    // `ktls = "on"` on a kernel without kTLS: tests/tests/ktls.rs.

    let e = startup_error(
        &pki,
        "[upstreams.u]\ntargets = [\"127.0.0.1:1\"]\ntls = { ca = \"nope.pem\" }\n",
    );
    assert!(
        e.contains("upstreams.u.tls.ca") && e.contains("nope.pem"),
        "{e}"
    );
    assert_eq!(e.matches("nope.pem").count(), 1, "said once: {e}");
}

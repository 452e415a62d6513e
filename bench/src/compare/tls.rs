//! `ringbench compare --tls`: both proxies terminate TLS for ringload.
//!
//! One certificate for both: openssl makes a CA (P-256) and a leaf for
//! `127.0.0.1`/`localhost` signed by it, under `setup/tls/`. nginx gets
//! `listen ... ssl` with TLS 1.3 and OpenSSL's ciphersuites pinned to
//! AES-128-GCM; ringgate gets `tls = { cert, key, ktls }` on its listener;
//! ringload trusts the CA (`--cacert`) and offers only
//! TLS13_AES_128_GCM_SHA256, so both sides run the same protocol, key
//! exchange defaults and cipher. The origin stays plain HTTP. Readiness is
//! an https `GET /` (rustls, the same trust) answered with 200.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ringload::tls::{client_config_with, Trust};

use super::process::tail;
use crate::BenchError;

/// The cipher in OpenSSL's name (nginx).
pub const OPENSSL_SUITE: &str = "TLS_AES_128_GCM_SHA256";
/// The same cipher in rustls' name (ringload `--tls-cipher`).
pub const RUSTLS_SUITE: &str = "TLS13_AES_128_GCM_SHA256";

/// The files and choices of a TLS comparison.
#[derive(Debug, Clone)]
pub struct Tls {
    /// The CA ringload trusts.
    pub ca: PathBuf,
    /// The leaf certificate both proxies serve.
    pub cert: PathBuf,
    /// Its key.
    pub key: PathBuf,
    /// ringgate's `ktls` mode.
    pub ktls: String,
}

impl Tls {
    /// Makes the CA and the leaf under `dir` with openssl.
    pub fn make(dir: &Path, ktls: &str) -> Result<Tls, BenchError> {
        std::fs::create_dir_all(dir).map_err(|source| BenchError::File {
            path: dir.to_path_buf(),
            source,
        })?;
        let f = |name: &str| dir.join(name);
        let log = f("openssl.log");
        let p = |p: PathBuf| p.display().to_string();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        openssl(
            &log,
            &["req", "-x509", "-days", "30", "-subj", "/CN=ringbench CA"],
            &ec,
            &["-keyout", &p(f("ca.key")), "-out", &p(f("ca.pem"))],
        )?;
        openssl(
            &log,
            &["req", "-subj", "/CN=127.0.0.1"],
            &ec,
            &["-keyout", &p(f("key.pem")), "-out", &p(f("leaf.csr"))],
        )?;
        std::fs::write(
            f("leaf.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n",
        )
        .map_err(|source| BenchError::File {
            path: f("leaf.ext"),
            source,
        })?;
        openssl(
            &log,
            &["x509", "-req", "-days", "30", "-in", &p(f("leaf.csr"))],
            &[],
            &[
                "-CA",
                &p(f("ca.pem")),
                "-CAkey",
                &p(f("ca.key")),
                "-CAcreateserial",
                "-extfile",
                &p(f("leaf.ext")),
                "-out",
                &p(f("cert.pem")),
            ],
        )?;
        Ok(Tls {
            ca: f("ca.pem"),
            cert: f("cert.pem"),
            key: f("key.pem"),
            ktls: ktls.to_owned(),
        })
    }

    /// One line for the table and `summary.json`.
    pub fn describe(&self) -> String {
        format!(
            "TLS 1.3 {OPENSSL_SUITE} (ECDSA P-256 leaf) on both proxies; ringgate ktls = \"{}\"",
            self.ktls
        )
    }

    /// ringload's extra arguments.
    pub fn ringload_args(&self) -> Vec<String> {
        vec![
            "--cacert".into(),
            self.ca.display().to_string(),
            "--tls-cipher".into(),
            RUSTLS_SUITE.into(),
        ]
    }

    /// Whether `addr` answers an https `GET /` with 200.
    pub fn probe(&self, addr: SocketAddr) -> bool {
        let Ok(config) = client_config_with(&Trust::File(self.ca.clone()), &[]) else {
            return false;
        };
        let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
        let Ok(conn) = rustls::ClientConnection::new(Arc::clone(&config), name) else {
            return false;
        };
        let timeout = Duration::from_millis(500);
        let Ok(tcp) = TcpStream::connect_timeout(&addr, timeout) else {
            return false;
        };
        let _ = tcp.set_read_timeout(Some(timeout));
        let _ = tcp.set_write_timeout(Some(timeout));
        let mut s = rustls::StreamOwned::new(conn, tcp);
        let req = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        let mut head = [0u8; 12];
        s.write_all(req.as_bytes()).is_ok()
            && s.read_exact(&mut head).is_ok()
            && &head[..] == b"HTTP/1.1 200"
    }
}

/// Runs one openssl command (output appended to `log`).
fn openssl(log: &Path, a: &[&str], b: &[&str], c: &[&str]) -> Result<(), BenchError> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|source| BenchError::File {
            path: log.to_path_buf(),
            source,
        })?;
    let err = out.try_clone().map_err(|source| BenchError::File {
        path: log.to_path_buf(),
        source,
    })?;
    let status = Command::new("openssl")
        .args(a)
        .args(b)
        .args(c)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|source| BenchError::Spawn {
            name: "openssl (apt-get install -y openssl)".into(),
            source,
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(BenchError::Exited {
            name: format!("openssl {}", a.first().copied().unwrap_or_default()),
            status,
            log: log.to_path_buf(),
            tail: tail(log),
        })
    }
}

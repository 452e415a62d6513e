//! Certificates and a real TLS server for the https tests: nginx with `ssl`.
//!
//! [`Pki::generate`] makes a throwaway CA and a server certificate signed
//! by it (with the subjectAltNames a test asks for) with the `openssl` CLI
//! in a temp dir; [`Pki::issue`] signs more (other names, client
//! certificates for mutual TLS). [`TlsNginx::start`] runs `/usr/sbin/nginx` (`daemon off`,
//! one worker, its own prefix, pid and logs in that dir) on a free
//! 127.0.0.1 port with `return 200 "hello"`, and logs one line per request
//! with the TLS version, the connection number, whether the session was
//! resumed and the SNI name, which [`TlsNginx::log`] reads back.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{self, Managed};

/// How long nginx may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// nginx's path in Debian's package.
const NGINX: &str = "/usr/sbin/nginx";

/// A CA and a server certificate + key, as PEM files in a temp dir.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// A CA (`ca.pem`) and a P-256 server certificate for CN=localhost with
    /// these subjectAltNames, e.g. `"DNS:localhost,IP:127.0.0.1"`.
    pub fn generate(subject_alt_names: &str) -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let openssl = |args: &[&str]| {
            let mut cmd = Command::new("openssl");
            cmd.current_dir(dir.path()).args(args);
            process::run(&mut cmd, Duration::from_secs(20)).assert_success("openssl");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec![
            "req",
            "-x509",
            "-days",
            "2",
            "-subj",
            "/CN=ringload test CA",
        ];
        ca.extend_from_slice(&ec);
        ca.extend_from_slice(&["-keyout", "ca.key", "-out", "ca.pem"]);
        openssl(&ca);
        let pki = Pki { dir };
        pki.issue("server", "localhost", subject_alt_names);
        pki
    }

    /// Sign a P-256 certificate `NAME.pem` (key `NAME.key`) for `/CN=cn`
    /// with these subjectAltNames (empty: none) by this CA; returns the
    /// certificate's and the key's paths.
    pub fn issue(&self, name: &str, cn: &str, subject_alt_names: &str) -> (PathBuf, PathBuf) {
        let dir = self.dir();
        let openssl = |args: &[&str]| {
            let mut cmd = Command::new("openssl");
            cmd.current_dir(dir).args(args);
            process::run(&mut cmd, Duration::from_secs(20)).assert_success("openssl");
        };
        let subj = format!("/CN={cn}");
        let (key, csr, pem, ext) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext.cnf"),
        );
        openssl(&[
            "req",
            "-subj",
            &subj,
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
        ]);
        let text = if subject_alt_names.is_empty() {
            "basicConstraints=CA:FALSE\n".to_string()
        } else {
            format!("subjectAltName={subject_alt_names}\n")
        };
        std::fs::write(dir.join(&ext), text).expect("write ext.cnf");
        openssl(&[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-extfile",
            &ext,
            "-out",
            &pem,
        ]);
        (dir.join(pem), dir.join(key))
    }

    /// The folder holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA certificate (for `--cacert`).
    pub fn ca(&self) -> PathBuf {
        self.dir().join("ca.pem")
    }
}

/// One line of the server's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// `TLSv1.3`, `TLSv1.2`.
    pub protocol: String,
    /// nginx's connection serial number.
    pub connection: u64,
    /// Requests on that connection so far (1 = the first).
    pub connection_requests: u64,
    /// Whether the TLS session was resumed.
    pub reused: bool,
    /// The SNI name the client sent ("" for none).
    pub server_name: String,
}

/// nginx serving https on a free port; stopped when dropped.
#[derive(Debug)]
pub struct TlsNginx {
    proc: Managed,
    port: u16,
    pki: Pki,
}

impl TlsNginx {
    /// Serve `pki`'s certificate with `ssl_protocols protocols` (e.g.
    /// `"TLSv1.2 TLSv1.3"`: nginx 1.22 leaves TLS 1.3 out by default).
    pub fn start(pki: Pki, protocols: &str) -> TlsNginx {
        Self::start_with(pki, protocols, r#"location / { return 200 "hello"; }"#)
    }

    /// Like [`start`](Self::start) with `server` as the rest of the
    /// `server { }` block (locations, `ssl_verify_client`, `proxy_pass`).
    pub fn start_with(pki: Pki, protocols: &str, server: &str) -> TlsNginx {
        let port = crate::free_addr().port();
        let d = pki.dir().display().to_string();
        std::fs::create_dir_all(pki.dir().join("logs")).expect("mkdir logs");
        let conf = format!(
            "worker_processes 1; daemon off; pid {d}/nginx.pid; error_log {d}/logs/error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
               log_format tls '$ssl_protocol $connection $connection_requests $ssl_session_reused \"$ssl_server_name\"';\n\
               access_log {d}/logs/access.log tls; keepalive_requests 1000000;\n\
               server {{ listen 127.0.0.1:{port} ssl;\n\
                 ssl_certificate {d}/server.pem; ssl_certificate_key {d}/server.key;\n\
                 ssl_protocols {protocols};\n\
                 {server} }} }}\n"
        );
        let conf_path = pki.dir().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(pki.dir())
            .arg("-e")
            .arg(pki.dir().join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {NGINX} (apt-get install nginx-light): {e}"));
        let mut nginx = TlsNginx {
            proc: Managed::new(child),
            port,
            pki,
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let ready = crate::wait_until(READY_TIMEOUT, || {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
                || !nginx.proc.is_alive()
        });
        assert!(
            ready && nginx.proc.is_alive(),
            "nginx not listening on {addr} (exit {:?})\nerror.log:\n{}",
            nginx.proc.exit_status(),
            nginx.error_log()
        );
        nginx
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://HOST:PORT/`.
    pub fn url(&self, host: &str) -> String {
        format!("https://{host}:{}/", self.port)
    }

    /// The CA that signed its certificate.
    pub fn ca(&self) -> PathBuf {
        self.pki.ca()
    }

    /// The requests it answered so far, in order.
    pub fn log(&self) -> Vec<Handled> {
        let text =
            std::fs::read_to_string(self.pki.dir().join("logs/access.log")).unwrap_or_default();
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                let num = |i: usize| f.get(i).and_then(|v| v.parse().ok());
                Handled {
                    protocol: f.first().copied().unwrap_or_default().to_string(),
                    connection: num(1).unwrap_or_else(|| panic!("bad log line {l:?}")),
                    connection_requests: num(2).unwrap_or_else(|| panic!("bad log line {l:?}")),
                    reused: f.get(3) == Some(&"r"),
                    server_name: match f.get(4).map(|v| v.trim_matches('"')) {
                        Some("-") | None => String::new(),
                        Some(name) => name.to_string(),
                    },
                }
            })
            .collect()
    }

    /// The log once it has at least `n` lines (nginx writes a line just
    /// after the response, so a client can be done before it is there);
    /// waits at most 5 s.
    pub fn log_of(&self, n: usize) -> Vec<Handled> {
        crate::wait_until(Duration::from_secs(5), || self.log().len() >= n);
        self.log()
    }

    /// Its error log.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.pki.dir().join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for TlsNginx {
    fn drop(&mut self) {
        // TERM lets the master stop its worker; a KILL (Managed's drop)
        // would leave the worker running.
        if self.proc.is_alive() {
            self.proc.signal("TERM");
            let _ = self.proc.wait_exit(Duration::from_secs(5));
        }
        if std::thread::panicking() {
            eprintln!("--- nginx error.log ---\n{}--- end ---", self.error_log());
        }
    }
}

/// `openssl s_client -connect ADDR ARGS...` sending one `GET /` with
/// `Connection: close` and reading to the end (so TLS 1.3 session tickets
/// arrive before it exits, for `-sess_out`); at most 15 s.
pub fn s_client(addr: std::net::SocketAddr, args: &[&str]) -> process::Finished {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(
            "printf 'GET / HTTP/1.1\\r\\nHost: tls.test\\r\\nConnection: close\\r\\n\\r\\n' \
             | openssl s_client -ign_eof \"$@\"",
        )
        .arg("s_client")
        .arg("-connect")
        .arg(addr.to_string())
        .args(args);
    process::run(&mut cmd, Duration::from_secs(15))
}

/// The subject CN of the certificate a server presented, from `s_client` output.
pub fn served_cn(s_client_stdout: &str) -> Option<String> {
    s_client_stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("subject="))
        .and_then(|subject| subject.split("CN").nth(1))
        .map(|cn| cn.trim_start_matches([' ', '=']).trim().to_string())
}

/// Start ringgate with this whole config (written to `ringgate.toml` in a
/// new temp dir) and wait until `addr` (and `admin`) accept connections.
pub fn gateway(
    config: &str,
    addr: std::net::SocketAddr,
    admin: Option<std::net::SocketAddr>,
) -> crate::gateway::Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.toml");
    std::fs::write(&path, config).expect("write config");
    let args = vec!["--config".to_string(), path.display().to_string()];
    crate::gateway::Gateway::spawn(dir, &args, addr, admin)
}

/// One `GET path` with `Connection: close` over TLS to `addr` (python3
/// `ssl`, verifying `host` with `ca`), read to the end with ragged EOFs
/// reported: whether the server ended with close_notify, and the status
/// line.
pub fn closes_with_close_notify(
    addr: std::net::SocketAddr,
    host: &str,
    ca: &Path,
    path: &str,
) -> (bool, String) {
    const SCRIPT: &str = r#"
import socket, ssl, sys
port, host, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t = ctx.wrap_socket(s, server_hostname=host, suppress_ragged_eofs=False)
t.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
data, ending = b"", "close_notify"
try:
    while True:
        chunk = t.recv(65536)
        if not chunk:
            break
        data += chunk
except ssl.SSLEOFError:
    ending = "eof"
print(ending)
print(data.split(b"\r\n")[0].decode())
"#;
    let port = addr.port().to_string();
    let ca = ca.display().to_string();
    let out = process::python(SCRIPT, &[&port, host, &ca, path]);
    out.assert_success("python3 ssl client");
    let text = out.stdout_text();
    let mut lines = text.lines();
    let ending = lines.next().unwrap_or_default() == "close_notify";
    (ending, lines.next().unwrap_or_default().to_owned())
}

//! Starting and stopping the real `ringgate` binary.
//!
//! [`Gateway::start`] writes a TOML config into a temp dir, runs
//! `ringgate --config FILE` with stderr captured to a file, and waits until
//! its listener accepts TCP connections. The guard kills the process on drop
//! and, if the test is failing, prints the gateway's stderr.

use std::fs::File;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::free_addr;

const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Path of the `ringgate` binary: `$RINGGATE_BIN`, or next to the test executable.
pub fn binary() -> PathBuf {
    crate::process::workspace_binary("ringgate", "RINGGATE_BIN")
}

/// Settings for a gateway under test.
#[derive(Debug, Clone)]
pub struct GatewayBuilder {
    shards: String,
    admin: bool,
    server: Vec<String>,
    body: String,
}

impl GatewayBuilder {
    /// Number of shards (default 1: deterministic balancing per client).
    pub fn shards(mut self, n: usize) -> Self {
        self.shards = n.to_string();
        self
    }

    /// Also start the admin listener on a free port.
    pub fn admin(mut self) -> Self {
        self.admin = true;
        self
    }

    /// Adds a raw line to the `[server]` table, e.g. `header_timeout = "1s"`.
    pub fn server(mut self, line: &str) -> Self {
        self.server.push(line.to_string());
        self
    }

    /// The rest of the config: `[upstreams.*]` and `[[routes]]`.
    pub fn config(mut self, body: &str) -> Self {
        self.body = body.to_string();
        self
    }

    /// The full TOML text for `listen` (and `admin`).
    pub fn render(&self, listen: SocketAddr, admin: Option<SocketAddr>) -> String {
        let mut s = format!(
            "[server]\nlisten = \"{listen}\"\nshards = {}\n",
            self.shards
        );
        if let Some(a) = admin {
            s.push_str(&format!("admin = \"{a}\"\n"));
        }
        for line in &self.server {
            s.push_str(line);
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.body);
        s
    }

    /// Writes the config, starts the gateway and waits until it listens.
    pub fn start(self) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let listen = free_addr();
        let admin = self.admin.then(free_addr);
        let config = dir.path().join("ringgate.toml");
        std::fs::write(&config, self.render(listen, admin)).expect("write config");
        let args = vec!["--config".to_string(), config.display().to_string()];
        Gateway::spawn(dir, &args, listen, admin)
    }
}

/// A running gateway process; killed on drop.
pub struct Gateway {
    proc: crate::process::Managed,
    addr: SocketAddr,
    admin: Option<SocketAddr>,
    dir: TempDir,
}

impl Gateway {
    /// A builder with one shard, no admin, no extra server settings.
    pub fn builder() -> GatewayBuilder {
        GatewayBuilder {
            shards: "1".into(),
            admin: false,
            server: Vec::new(),
            body: String::new(),
        }
    }

    /// Starts a one-shard gateway with `config` as its upstreams and routes.
    pub fn start(config: &str) -> Gateway {
        Self::builder().config(config).start()
    }

    /// Runs `ringgate ARGS` with stdout/stderr in files under `dir` and
    /// waits until `addr` (and `admin`) accept connections.
    pub fn spawn(
        dir: TempDir,
        args: &[String],
        addr: SocketAddr,
        admin: Option<SocketAddr>,
    ) -> Gateway {
        let stderr = File::create(dir.path().join("stderr.log")).expect("create stderr log");
        let stdout = File::create(dir.path().join("stdout.log")).expect("create stdout log");
        let child = Command::new(binary())
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary().display()));
        let mut gw = Gateway {
            proc: crate::process::Managed::new(child),
            addr,
            admin,
            dir,
        };
        gw.wait_ready(addr);
        if let Some(a) = admin {
            gw.wait_ready(a);
        }
        gw
    }

    fn wait_ready(&mut self, addr: SocketAddr) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if !self.proc.is_alive() {
                panic!(
                    "gateway exited with {:?} before listening on {addr}\nstderr:\n{}\nstdout:\n{}",
                    self.proc.exit_status(),
                    self.stderr(),
                    self.stdout()
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "gateway not accepting on {addr} after {READY_TIMEOUT:?}\nstderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The client-facing address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin address; panics if the admin listener was not configured.
    pub fn admin(&self) -> SocketAddr {
        self.admin.expect("gateway started without admin")
    }

    /// `http://ADDR` for curl.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// The temp dir holding the config and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the gateway wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    /// Everything the gateway wrote to stdout so far.
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        self.proc.is_alive()
    }

    /// Panics with the gateway's stderr if the process has exited.
    pub fn assert_alive(&mut self) {
        if !self.is_alive() {
            panic!(
                "gateway died with {:?}\nstderr:\n{}",
                self.proc.exit_status(),
                self.stderr()
            );
        }
    }

    /// Sends a signal by name (`TERM`, `INT`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        self.proc.signal(name)
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.proc.wait_exit(timeout)
    }

    /// A field of `/proc/PID/status` in kB (e.g. `VmHWM`, `VmRSS`).
    pub fn proc_status_kib(&self, field: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        text.lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- ringgate stderr ({}) ---\n{}--- end of ringgate stderr ---",
                self.addr,
                self.stderr()
            );
        }
    }
}

/// An `[upstreams.NAME]` table with `targets` and extra lines.
pub fn upstream(name: &str, targets: &[SocketAddr], extra: &str) -> String {
    let list: Vec<String> = targets.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "[upstreams.{name}]\ntargets = [{}]\n{extra}\n",
        list.join(", ")
    )
}

/// Upstream `u` over `targets` (with `upstream_extra` lines) and one route
/// `r` for every path to it (with `route_extra` lines): the config most
/// policy tests need.
pub fn one_route(targets: &[SocketAddr], upstream_extra: &str, route_extra: &str) -> String {
    format!(
        "{}\n[[routes]]\nname = \"r\"\npath_prefix = \"/\"\nupstream = \"u\"\n{route_extra}\n",
        upstream("u", targets, upstream_extra)
    )
}

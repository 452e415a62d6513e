//! Starting and stopping the real `ringbench upstream` binary.
//!
//! [`Ringbench::start`] runs `ringbench upstream --listen 127.0.0.1:0 ARGS`,
//! waits (at most 10 s) for its `ringbench upstream listening on ADDR` line
//! and takes the address from it, so there is no port race. Its stderr goes
//! to a file in a temp dir; the guard kills the process on drop and, if the
//! test is failing, prints that stderr.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

const READY_TIMEOUT: Duration = Duration::from_secs(10);
const READY_PREFIX: &str = "ringbench upstream listening on ";

/// Path of the `ringbench` binary: `$RINGBENCH_BIN`, or next to the test executable.
pub fn binary() -> PathBuf {
    crate::process::workspace_binary("ringbench", "RINGBENCH_BIN")
}

/// A running `ringbench upstream`; killed on drop.
pub struct Ringbench {
    proc: crate::process::Managed,
    addr: SocketAddr,
    dir: TempDir,
}

impl Ringbench {
    /// Starts `ringbench upstream --listen 127.0.0.1:0 ARGS` and waits for
    /// its ready line.
    pub fn start(args: &[&str]) -> Ringbench {
        let dir = tempfile::tempdir().expect("tempdir");
        let stderr_path = dir.path().join("stderr.log");
        let stderr = File::create(&stderr_path).expect("create stderr log");
        let mut child = Command::new(binary())
            .args(["upstream", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary().display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx.recv_timeout(READY_TIMEOUT);
        let addr = match line {
            Ok(Some(line)) => line
                .strip_prefix(READY_PREFIX)
                .and_then(|a| a.trim().parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "unexpected ready line {line:?}\nstderr:\n{}",
                        read(&stderr_path)
                    )
                }),
            other => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "ringbench {args:?} gave no ready line within {READY_TIMEOUT:?} ({other:?}, exit {status:?})\nstderr:\n{}",
                    read(&stderr_path)
                );
            }
        };
        Ringbench {
            proc: crate::process::Managed::new(child),
            addr,
            dir,
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR{path}` for curl.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        read(&self.dir.path().join("stderr.log"))
    }

    /// Whether the process is still running.
    pub fn is_alive(&mut self) -> bool {
        self.proc.is_alive()
    }

    /// Sends a signal by name (`TERM`, `INT`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        self.proc.signal(name)
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.proc.wait_exit(timeout)
    }
}

impl Drop for Ringbench {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- ringbench stderr ({}) ---\n{}--- end of ringbench stderr ---",
                self.addr,
                self.stderr()
            );
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

//! Running the real `ringload` binary against test origins.
//!
//! [`binary`] finds it (`$RINGLOAD_BIN`, or next to the test executable's
//! profile dir like the gateway); [`Ringload::run`] runs it with a deadline
//! and reads back its `--json` report; [`Ringload::spawn`] starts it for a
//! test that signals it while it runs. [`Resetter`] is a peer that answers
//! every request with a TCP reset (it closes with the request unread).

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::process::{self, Finished, Managed};

/// Path of the `ringload` binary: `$RINGLOAD_BIN`, or next to the test executable.
pub fn binary() -> PathBuf {
    crate::process::workspace_binary("ringload", "RINGLOAD_BIN")
}

/// A finished ringload run.
#[derive(Debug)]
pub struct Ringload {
    /// Exit status and output.
    pub out: Finished,
    /// The `--json` report.
    pub json: serde_json::Value,
    /// The temp dir holding the report files (json, and any the test asked for).
    pub dir: tempfile::TempDir,
}

impl Ringload {
    /// Runs `ringload ARGS --json FILE` (killed after `deadline`), expects
    /// exit 0 and parses the report.
    pub fn run(args: &[&str], deadline: Duration) -> Ringload {
        Ringload::spawn(args).finish(deadline)
    }

    /// Starts `ringload ARGS --json FILE` in a temp dir, its output in files there.
    pub fn spawn(args: &[&str]) -> Running {
        let dir = tempfile::tempdir().expect("tempdir");
        let output = |name: &str| File::create(dir.path().join(name)).expect("create output file");
        let child = Command::new(binary())
            .current_dir(dir.path())
            .args(args)
            .arg("--json")
            .arg(dir.path().join(JSON))
            .stdin(Stdio::null())
            .stdout(output("stdout.txt"))
            .stderr(output("stderr.txt"))
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", binary().display()));
        Running {
            proc: Managed::new(child),
            dir,
        }
    }

    /// Runs ringload expecting it to fail; returns its output.
    pub fn fail(args: &[&str]) -> Finished {
        let out = process::run(Command::new(binary()).args(args), Duration::from_secs(20));
        assert!(
            !out.status.success(),
            "ringload {args:?} succeeded\nstdout:\n{}",
            out.stdout_text()
        );
        out
    }

    /// `json[key]` as u64 (panics if absent).
    pub fn u64(&self, pointer: &str) -> u64 {
        self.json
            .pointer(pointer)
            .and_then(|v| v.as_u64())
            .unwrap_or_else(|| panic!("{pointer} missing or not an integer in {}", self.json))
    }

    /// `json[key]` as f64 (panics if absent).
    pub fn f64(&self, pointer: &str) -> f64 {
        self.json
            .pointer(pointer)
            .and_then(|v| v.as_f64())
            .unwrap_or_else(|| panic!("{pointer} missing or not a number in {}", self.json))
    }
}

/// Where [`Ringload::spawn`] asks for the JSON report.
const JSON: &str = "report.json";

/// A ringload run still going.
#[derive(Debug)]
pub struct Running {
    proc: Managed,
    dir: tempfile::TempDir,
}

impl Running {
    /// Sends a signal by name (`INT`, `TERM`).
    pub fn signal(&self, name: &str) {
        self.proc.signal(name);
    }

    /// Waits up to `deadline` for it to exit (killed and failing after
    /// that), expects exit 0 and parses the report.
    pub fn finish(mut self, deadline: Duration) -> Ringload {
        let status = self.proc.wait_exit(deadline);
        let read = |name: &str| std::fs::read(self.dir.path().join(name)).unwrap_or_default();
        let out = Finished {
            status: status.unwrap_or_else(|| {
                panic!(
                    "ringload still running after {deadline:?}; killed\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&read("stdout.txt")),
                    String::from_utf8_lossy(&read("stderr.txt"))
                )
            }),
            stdout: read("stdout.txt"),
            stderr: read("stderr.txt"),
        };
        out.assert_success("ringload");
        let text = std::fs::read_to_string(self.dir.path().join(JSON)).unwrap_or_else(|e| {
            panic!(
                "no JSON report ({e})\nstdout:\n{}\nstderr:\n{}",
                out.stdout_text(),
                out.stderr_text()
            )
        });
        let json =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}):\n{text}"));
        Ringload {
            out,
            json,
            dir: self.dir,
        }
    }
}

/// A peer that resets every connection once a request has arrived.
pub struct Resetter {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Resetter {
    /// Binds a free port and starts.
    pub fn start() -> Resetter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let accept = thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        thread::spawn(move || reset_after_request(stream));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Resetter {
            addr,
            stop,
            accept: Some(accept),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Wait until request bytes are queued, then close without reading them:
/// the kernel answers with RST.
fn reset_after_request(stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut one = [0u8; 1];
    let _ = stream.peek(&mut one);
    drop(stream);
}

impl Drop for Resetter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

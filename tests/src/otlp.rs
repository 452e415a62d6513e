//! A real OTLP/HTTP trace receiver for the tracing tests: the Python
//! server in `tests/fixtures/otlp/receiver.py`, which decodes each export
//! request with the official `opentelemetry-proto` package and writes the
//! spans as JSON lines. Started on a free 127.0.0.1 port; killed on drop.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// A running receiver.
pub struct Receiver {
    child: Child,
    addr: SocketAddr,
    out: PathBuf,
    _dir: TempDir,
}

impl Receiver {
    /// Start the receiver and wait for its port (it exits by itself
    /// after two minutes).
    pub fn start() -> Receiver {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/otlp/receiver.py");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("spans.jsonl");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&out)
            .arg("120")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn python3 OTLP receiver");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read receiver port");
        let port: u16 = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "the OTLP receiver printed {line:?}; it needs opentelemetry-proto \
                 (python3 -m pip install opentelemetry-proto==1.45.2, see .ci/run)"
            )
        });
        Receiver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            out,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT/v1/traces`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/v1/traces", self.addr)
    }

    /// Every span received so far (one JSON object each); a body the
    /// receiver could not decode fails the test.
    pub fn spans(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        let spans: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        if let Some(bad) = spans.iter().find(|s| s.get("error").is_some()) {
            panic!("the receiver refused an export request: {bad}");
        }
        spans
    }

    /// Wait up to `timeout` until `n` spans arrived; all spans then.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Value> {
        crate::wait_until(timeout, || self.spans().len() >= n);
        let spans = self.spans();
        assert!(
            spans.len() >= n,
            "expected {n} spans within {timeout:?}, got {}: {spans:?}",
            spans.len()
        );
        spans
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

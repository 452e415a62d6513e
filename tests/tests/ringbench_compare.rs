//! `ringbench compare` end to end, with the real ringgate, nginx and
//! ringload: a short comparison writes every report and a sane summary and
//! leaves nothing running; a missing program is exit 2 with what to
//! install; Ctrl-C stops every child. No performance is asserted: the
//! numbers of a 1 s run on a busy 2-core VM mean nothing, their presence
//! and sanity do.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ringgate_tests::process::{self, alive, descendants, Finished, Managed};
use ringgate_tests::ringbench::binary;
use ringgate_tests::wait_until;

/// A whole short comparison takes about 10 s; this is generous for a busy VM.
const DEADLINE: Duration = Duration::from_secs(120);

fn output(out: &Finished) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        out.stdout_text(),
        out.stderr_text()
    )
}

fn compare(out_dir: &Path, extra: &[&str]) -> Finished {
    process::run(
        Command::new(binary())
            .arg("compare")
            .arg("--out")
            .arg(out_dir)
            .args(extra),
        DEADLINE,
    )
}

fn number(v: &serde_json::Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} missing or not a number in {v:#}"))
}

#[test]
fn ringbench_compare_short_run_writes_every_report_and_leaves_nothing_running() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let out = compare(
        &results,
        &[
            "--duration",
            "1s",
            "--runs",
            "1",
            "--rate",
            "2000",
            "--warmup",
            "500ms",
        ],
    );
    let text = output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for want in [
        "ringgate/nginx",
        "p99.9",
        "CPU us/req",
        "CO corrected",
        "verdict: ",
    ] {
        assert!(out.stdout_text().contains(want), "{want:?} missing\n{text}");
    }

    for mode in ["closed", "open"] {
        for proxy in ["nginx", "ringgate"] {
            let stem = results.join(format!("{mode}-{proxy}-1"));
            let json = std::fs::read_to_string(stem.with_extension("json"))
                .unwrap_or_else(|e| panic!("{}.json: {e}\n{text}", stem.display()));
            let json: serde_json::Value = serde_json::from_str(&json).expect("ringload JSON");
            assert!(number(&json, "/requests") > 0.0, "{mode}-{proxy}: {json:#}");
            let hgrm = std::fs::read_to_string(stem.with_extension("hgrm")).expect("hgrm");
            assert!(hgrm.contains("Percentile"), "{hgrm}");
        }
    }
    let svg = std::fs::read_to_string(results.join("latency.svg")).expect("latency.svg");
    assert!(
        svg.starts_with("<svg") && svg.contains("open-ringgate-1"),
        "{svg}"
    );
    let table = std::fs::read_to_string(results.join("table.txt")).expect("table.txt");
    assert!(table.contains("ringgate/nginx"), "{table}");
    assert!(results.join("README").is_file());

    let summary = std::fs::read_to_string(results.join("summary.json")).expect("summary.json");
    let s: serde_json::Value = serde_json::from_str(&summary).expect("summary JSON");
    assert_eq!(s["ok"], true, "{s:#}");
    assert_eq!(number(&s, "/settings/rate"), 2000.0);
    for proxy in ["nginx", "ringgate"] {
        for key in [
            "rps",
            "cpu_us_per_request",
            "open_rps",
            "latency_us/p50",
            "latency_us/p999",
        ] {
            let v = number(&s, &format!("/proxies/{proxy}/{key}"));
            assert!(v.is_finite() && v > 0.0, "{proxy} {key} = {v}\n{s:#}");
        }
    }
    for key in ["rps", "cpu_us_per_request", "latency_us/p99"] {
        let v = number(&s, &format!("/ratios/{key}"));
        assert!(v.is_finite() && v > 0.0, "ratio {key} = {v}\n{s:#}");
    }
    assert!(s
        .pointer("/verdict/line")
        .and_then(|l| l.as_str())
        .is_some());
    assert_eq!(s["runs"].as_array().map(Vec::len), Some(4), "{s:#}");

    // Nothing left running: every server's pid is gone, every port free.
    for role in ["origin", "nginx", "ringgate"] {
        let pid = number(&s, &format!("/settings/servers/{role}/pid")) as u32;
        assert!(!alive(pid), "{role} (pid {pid}) still running");
        let addr: SocketAddr = s["settings"]["servers"][role]["addr"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address for {role} in {s:#}"));
        TcpListener::bind(addr).unwrap_or_else(|e| panic!("{role}'s port {addr} still taken: {e}"));
    }
}

#[test]
fn ringbench_compare_without_nginx_exits_2_with_the_install_hint() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let out = compare(&results, &["--nginx", "/nonexistent/nginx"]);
    let text = output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let err = out.stderr_text();
    assert!(err.contains("nginx not found"), "{text}");
    assert!(err.contains("apt-get install -y nginx-light"), "{text}");
    assert!(err.contains("--nginx PATH"), "{text}");
    assert!(!results.exists(), "nothing is started or written");

    let out = compare(&results, &["--ringload", "/nonexistent/ringload"]);
    let text = output(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        out.stderr_text().contains("cargo build --release first"),
        "{text}"
    );
}

#[test]
fn ringbench_compare_ctrl_c_stops_every_child() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let child = Command::new(binary())
        .args([
            "compare",
            "--duration",
            "30s",
            "--runs",
            "1",
            "--warmup",
            "0s",
        ])
        .arg("--out")
        .arg(&results)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ringbench compare");
    let mut rb = Managed::new(child);
    // The first measured run has started: servers and ringload are up.
    let first_run = results.join("closed-nginx-1.txt");
    assert!(
        wait_until(Duration::from_secs(30), || first_run.exists()),
        "the first run never started"
    );
    let children = descendants(rb.pid());
    assert!(
        children.len() >= 4,
        "origin, nginx (master and worker), ringgate, ringload: {children:?}"
    );
    rb.signal("INT");
    let status = rb
        .wait_exit(Duration::from_secs(20))
        .expect("ringbench exits after SIGINT");
    assert_eq!(status.code(), Some(1), "{status}");
    let left: Vec<u32> = children.into_iter().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "still running after Ctrl-C: {left:?}");
}

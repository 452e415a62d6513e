//! `ringload compare` end to end: two runs of the same thing pass (exit 0),
//! a clear throughput drop fails (exit 1, "regression"), unreadable input
//! is exit 2, and `--plot` writes an SVG.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ringgate_tests::origin::Origin;
use ringgate_tests::process::{self, Finished};
use ringgate_tests::ringload::{binary, Ringload};

const DEADLINE: Duration = Duration::from_secs(30);

fn compare(args: &[&Path], extra: &[&str]) -> Finished {
    process::run(
        Command::new(binary()).arg("compare").args(args).args(extra),
        DEADLINE,
    )
}

fn output(out: &Finished) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        out.stdout_text(),
        out.stderr_text()
    )
}

/// A report in the documented schema with one 1 s interval per
/// `(requests, p99_us)` pair.
fn crafted(intervals: &[(u64, u64)]) -> serde_json::Value {
    let total: u64 = intervals.iter().map(|i| i.0).sum();
    let secs = intervals.len() as f64;
    let p99 = intervals[intervals.len() / 2].1;
    let iv: Vec<serde_json::Value> = intervals
        .iter()
        .enumerate()
        .map(|(k, &(n, p))| {
            serde_json::json!({"t_s": k as f64 + 1.0, "duration_s": 1.0, "requests": n,
                "errors": 0, "rps": n as f64, "p50_us": p / 2, "p90_us": p * 3 / 4,
                "p99_us": p, "max_us": p * 2})
        })
        .collect();
    let lat = serde_json::json!({"count": total, "mean": 300.0, "stdev": 100.0, "min": 50,
        "p50": p99 / 2, "p75": p99 / 2, "p90": p99 * 3 / 4, "p99": p99, "p999": p99 * 2,
        "p9999": p99 * 2, "max": p99 * 3});
    serde_json::json!({
        "version": "0.1.0", "schema": 1, "requests": total, "sent": total,
        "duration_s": secs, "rps": total as f64 / secs, "bytes": total * 100,
        "bytes_per_s": total as f64 * 100.0 / secs,
        "latency_us": lat, "status": {"200": total},
        "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0, "protocol": 0},
        "open_loop": false, "target_rate": null, "service_time_us": null, "lag_us": null,
        "warnings": [], "intervals": iv, "threads": [{"cpu": 1, "busy": 0.5}],
        "config": {"urls": ["http://127.0.0.1:1/"], "method": "GET", "connections": 8,
            "threads": 1, "duration_s": secs, "warmup_s": 0.0, "requests": null,
            "pipeline": 1, "timeout_s": 2.0, "rate": null, "keepalive": true,
            "driver": "io_uring"}
    })
}

/// Ten seconds around `rps` req/s and `p99` µs, with some jitter.
fn run_like(rps: u64, p99: u64) -> Vec<(u64, u64)> {
    (0..10u64)
        .map(|k| (rps + (k * 37 % 11) * 40, p99 + (k * 53 % 7) * 10))
        .collect()
}

fn write(dir: &Path, name: &str, v: &serde_json::Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

#[test]
fn ringload_compare_same_real_report_twice_exits_0() {
    let origin = Origin::echo("o");
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(&["-c", "4", "-d", "2s", "--quiet", &url], DEADLINE);
    let json = r.dir.path().join("report.json");
    let out = compare(&[&json, &json], &[]);
    let text = output(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    for want in [
        "req/s",
        "p99.9",
        "NEW/BASE",
        "U = ",
        "z = ",
        "p = ",
        "verdict: OK",
    ] {
        assert!(out.stdout_text().contains(want), "{want} missing\n{text}");
    }
    assert!(out.stdout_text().contains("1.000"), "ratio 1\n{text}");
}

#[test]
fn ringload_compare_clear_throughput_drop_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &crafted(&run_like(50_000, 900)));
    let new = write(dir.path(), "new.json", &crafted(&run_like(38_000, 900)));
    let out = compare(&[&base, &new], &["--max-regress", "10%"]);
    let text = output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        out.stdout_text().to_lowercase().contains("regression"),
        "{text}"
    );
    assert!(out.stdout_text().contains("significant"), "{text}");
    // The same drop is tolerated under a 30% threshold.
    let out = compare(&[&base, &new], &["--max-regress", "30%"]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    // And NEW better than BASE is never a regression.
    let out = compare(&[&new, &base], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
}

#[test]
fn ringload_compare_clear_p99_rise_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &crafted(&run_like(50_000, 900)));
    let new = write(dir.path(), "new.json", &crafted(&run_like(50_000, 1500)));
    let out = compare(&[&base, &new], &[]);
    let text = output(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(out.stdout_text().contains("p99 latency"), "{text}");
}

#[test]
fn ringload_compare_unreadable_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &crafted(&run_like(50_000, 900)));
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "not json at all").unwrap();
    let missing = dir.path().join("missing.json");
    for (a, b) in [(&good, &missing), (&missing, &good), (&good, &garbage)] {
        let out = compare(&[a, b], &[]);
        assert_eq!(out.status.code(), Some(2), "{}", output(&out));
        assert!(
            out.stderr_text().contains("ringload compare"),
            "{}",
            output(&out)
        );
    }
    let out = compare(&[&good, &good], &["--max-regress", "lots"]);
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
}

#[test]
fn ringload_compare_plot_writes_svg() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &crafted(&run_like(50_000, 900)));
    let new = write(dir.path(), "new.json", &crafted(&run_like(49_000, 950)));
    let svg = dir.path().join("out.svg");
    let out = compare(&[&base, &new], &["--plot", svg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    let text = std::fs::read_to_string(&svg).expect("svg written");
    assert!(
        text.starts_with("<svg") || text.starts_with("<?xml"),
        "{text}"
    );
    for want in ["BASE", "NEW", "99.9%", "<path"] {
        assert!(text.contains(want), "{want} missing in {text}");
    }
}

//! `judge` on crafted reports.

use super::*;

/// A report with one interval per `(requests, p99_us)` pair (1 s each).
pub(crate) fn report(intervals: &[(u64, u64)]) -> JsonReport {
    let total: u64 = intervals.iter().map(|i| i.0).sum();
    let secs = intervals.len() as f64;
    let mut p99s: Vec<u64> = intervals.iter().map(|i| i.1).collect();
    p99s.sort_unstable();
    let p99 = p99s.get(p99s.len() / 2).copied().unwrap_or(0);
    let iv: Vec<serde_json::Value> = intervals
        .iter()
        .enumerate()
        .map(|(k, &(n, p))| {
            serde_json::json!({"t_s": k as f64 + 1.0, "duration_s": 1.0, "requests": n,
                "errors": 0, "rps": n as f64, "p50_us": p / 2, "p90_us": p * 3 / 4,
                "p99_us": p, "max_us": p * 2})
        })
        .collect();
    let lat = serde_json::json!({"count": total, "mean": 1.0, "stdev": 1.0, "min": 1,
        "p50": p99 / 2, "p75": p99 / 2, "p90": p99 * 3 / 4, "p99": p99, "p999": p99 * 2,
        "p9999": p99 * 2, "max": p99 * 2});
    serde_json::from_value(serde_json::json!({
        "version": "0.1.0", "schema": 1, "requests": total, "sent": total,
        "duration_s": secs, "rps": total as f64 / secs, "bytes": 0, "bytes_per_s": 0.0,
        "latency_us": lat, "status": {"200": total},
        "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0, "protocol": 0},
        "open_loop": false, "target_rate": null, "service_time_us": null, "lag_us": null,
        "warnings": [], "intervals": iv, "threads": [{"cpu": 1, "busy": 0.5}],
        "config": {"urls": ["http://127.0.0.1:1/"], "method": "GET", "connections": 1,
            "threads": 1, "duration_s": secs, "warmup_s": 0.0, "requests": null,
            "pipeline": 1, "timeout_s": 2.0, "rate": null, "keepalive": true,
            "driver": "io_uring"}
    }))
    .expect("crafted report")
}

fn noisy(base_rps: u64, base_p99: u64) -> Vec<(u64, u64)> {
    (0..10u64)
        .map(|k| (base_rps + (k * 37 % 11) * 50, base_p99 + (k * 53 % 7) * 10))
        .collect()
}

#[test]
fn same_report_twice_passes() {
    let r = report(&noisy(50_000, 1000));
    let v = judge(&r, &r, 0.1);
    assert!(!v.throughput.test.significant(verdict::ALPHA));
    assert_eq!(v.exit_code(), 0, "{}", v.line());
}

#[test]
fn clearly_lower_throughput_fails() {
    let base = report(&noisy(50_000, 1000));
    let new = report(&noisy(40_000, 1000));
    let v = judge(&base, &new, 0.1);
    assert!(v.throughput.regressed, "{v:?}");
    assert!(!v.p99.regressed, "{v:?}");
    assert_eq!(v.exit_code(), 1);
    // ... but not with a 25% threshold.
    assert_eq!(judge(&base, &new, 0.25).exit_code(), 0);
}

#[test]
fn clearly_higher_p99_fails() {
    let base = report(&noisy(50_000, 1000));
    let new = report(&noisy(50_000, 1500));
    let v = judge(&base, &new, 0.1);
    assert!(v.p99.regressed && !v.throughput.regressed, "{v:?}");
    assert_eq!(v.exit_code(), 1);
}

#[test]
fn better_new_passes() {
    let base = report(&noisy(40_000, 1500));
    let new = report(&noisy(50_000, 1000));
    assert_eq!(judge(&base, &new, 0.1).exit_code(), 0);
}

#[test]
fn too_few_samples_are_within_noise() {
    let base = report(&[(50_000, 1000), (50_100, 1000)]);
    let new = report(&[(30_000, 3000), (30_100, 3000)]);
    let v = judge(&base, &new, 0.1);
    assert!(v.throughput.beyond_threshold && !v.throughput.significant);
    assert_eq!(v.exit_code(), 0);
}

#[test]
fn partial_last_interval_is_not_a_sample() {
    let mut r = report(&noisy(50_000, 1000));
    let mut last = r.intervals[0].clone();
    last.duration_s = 0.1;
    last.requests = 10;
    r.intervals.push(last);
    assert_eq!(rps_samples(&r).len(), 10);
    assert_eq!(p99_samples(&r).len(), 10);
}

#[test]
fn table_has_the_rows() {
    let base = report(&noisy(50_000, 1000));
    let new = report(&noisy(40_000, 1000));
    let v = judge(&base, &new, 0.1);
    let t = table::render(Path::new("a.json"), &base, Path::new("b.json"), &new, &v);
    for want in [
        "req/s", "p50", "p90", "p99", "p99.9", "max", "NEW/BASE", "U = ", "z = ", "p = ",
    ] {
        assert!(t.contains(want), "{want} missing:\n{t}");
    }
    assert!(t.contains("significant"), "{t}");
    assert!(!t.contains("service time"), "closed loop: {t}");
}

#[test]
fn unreadable_inputs_are_errors() {
    let dir = std::env::temp_dir().join(format!("ringload-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a report\"}").unwrap();
    assert!(matches!(load(&bad), Err(CompareError::Parse { .. })));
    assert!(matches!(
        load(&dir.join("missing.json")),
        Err(CompareError::Read { .. })
    ));
    assert_eq!(main([bad.as_os_str(), bad.as_os_str()]), EXIT_INPUT);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn percentile_curve_is_log_spaced_and_ends_at_max() {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
    for v in 1..=1000u64 {
        h.record(v).unwrap();
    }
    let c = crate::report::json::percentile_curve(&h);
    // 1/(1-p) = 10^(k/5) up to the count (1000): k = 0..=15, then 100%.
    assert_eq!(c.len(), 17, "{c:?}");
    assert_eq!(c[0], (0.0, 1));
    assert_eq!(c[5].0, 90.0);
    assert_eq!(c[10].0, 99.0);
    assert_eq!(c[15].0, 99.9);
    assert_eq!(c[16], (100.0, 1000));
    assert!(c.windows(2).all(|w| w[0].1 <= w[1].1), "{c:?}");
    assert!(
        crate::report::json::percentile_curve(&hdrhistogram::Histogram::new(3).unwrap()).is_empty()
    );
}

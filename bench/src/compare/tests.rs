//! The summary and the table on crafted runs: medians, ratios, failures,
//! the documented `summary.json` keys.

use std::collections::BTreeMap;
use std::time::Duration;

use ringload::report::json::JsonReport;

use super::runs::{Mode, Run};
use super::servers::Proxy;
use super::summary::{median, Settings, Summary};
use super::table;

/// A ringload report of `secs` one-second intervals at `rps`, latency
/// percentiles scaled from `p50`, `errors` read errors and `non_2xx` 503s.
fn report(rps: u64, p50: u64, secs: u64, errors: u64, non_2xx: u64) -> JsonReport {
    let ok = rps * secs - non_2xx;
    let pct = |k: u64| {
        serde_json::json!({"count": rps * secs, "mean": p50 as f64,
        "stdev": 1.0, "min": 1, "p50": p50, "p75": p50 * k, "p90": p50 * k, "p99": p50 * 2 * k,
        "p999": p50 * 3 * k, "p9999": p50 * 4 * k, "max": p50 * 5 * k})
    };
    let intervals: Vec<_> = (1..=secs)
        .map(|t| {
            serde_json::json!({"t_s": t, "duration_s": 1.0, "requests": rps + t,
            "errors": 0, "rps": rps, "p50_us": p50, "p90_us": p50, "p99_us": p50 * 2 + t,
            "max_us": p50 * 5})
        })
        .collect();
    let mut status = BTreeMap::from([("200".to_string(), ok)]);
    if non_2xx > 0 {
        status.insert("503".to_string(), non_2xx);
    }
    serde_json::from_value(serde_json::json!({
        "version": "0.1.0", "schema": 1, "requests": rps * secs, "sent": rps * secs,
        "duration_s": secs, "rps": rps, "bytes": 0, "bytes_per_s": 0.0,
        "latency_us": pct(1), "status": status,
        "errors": {"connect": 0, "read": errors, "write": 0, "timeout": 0, "protocol": 0},
        "open_loop": false, "target_rate": null, "service_time_us": null, "lag_us": null,
        "warnings": [], "intervals": intervals, "threads": [],
        "config": {"urls": [], "method": "GET", "connections": 64, "threads": 1,
            "duration_s": secs, "warmup_s": 0.0, "requests": null, "pipeline": 1,
            "timeout_s": 2.0, "rate": null, "keepalive": true, "driver": "io_uring"}
    }))
    .expect("a valid report")
}

fn run(proxy: Proxy, mode: Mode, round: u32, report: JsonReport, cpu_ms: u64) -> Run {
    Run {
        name: format!("{}-{}-{round}", mode.name(), proxy.name()),
        proxy,
        mode,
        report,
        cpu: Duration::from_millis(cpu_ms),
    }
}

/// Three rounds: nginx 50k req/s at 10 µs CPU, ringgate 60k at 8 µs;
/// open loop p50 500 µs against 400 µs.
fn rounds(nginx_errors: u64) -> Vec<Run> {
    let mut runs = Vec::new();
    for round in 1..=3 {
        let e = if round == 2 { nginx_errors } else { 0 };
        runs.push(run(
            Proxy::Nginx,
            Mode::Closed,
            round,
            report(50_000, 900, 5, e, 0),
            2500,
        ));
        runs.push(run(
            Proxy::Ringgate,
            Mode::Closed,
            round,
            report(60_000, 800, 5, 0, 0),
            2400,
        ));
    }
    for round in 1..=3 {
        runs.push(run(
            Proxy::Nginx,
            Mode::Open,
            round,
            report(25_000, 500, 5, 0, 0),
            1500,
        ));
        runs.push(run(
            Proxy::Ringgate,
            Mode::Open,
            round,
            report(25_000, 400, 5, 0, 0),
            1000,
        ));
    }
    runs
}

fn settings(min_ratio: f64) -> Settings {
    Settings {
        duration_s: 5.0,
        warmup_s: 2.0,
        runs: 3,
        connections: 64,
        rate: 25_000,
        rate_auto: true,
        proxy_cpu: 0,
        load_cpu: 1,
        min_ratio,
        origin: super::ORIGIN,
        nginx_version: "nginx/1.22.1".into(),
        binaries: BTreeMap::new(),
        servers: BTreeMap::new(),
        tls: None,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn medians() {
    assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median([4.0, 1.0, 2.0, 3.0]), 2.5);
    assert!(median([]).is_nan());
}

#[test]
fn medians_ratios_and_a_clean_verdict() {
    let s = Summary::build("now".into(), settings(0.5), &rounds(0));
    assert!(s.ok, "{:?}", s.failures);
    assert!(close(s.proxies.nginx.rps, 50_000.0));
    assert!(close(s.proxies.nginx.cpu_us_per_request, 10.0));
    assert!(close(s.proxies.ringgate.cpu_us_per_request, 8.0));
    assert!(close(s.proxies.ringgate.latency_us.p50, 400.0));
    assert!(close(s.ratios.rps, 1.2));
    assert!(close(s.ratios.latency_us.p50, 0.8));
    assert!(close(s.ratios.open_cpu_us_per_request, 1000.0 / 1500.0));
    assert_eq!(s.verdict.throughput.n_nginx, 15);
    assert!(s.verdict.throughput.significant && s.verdict.throughput.z < 0.0);
    assert!(!s.verdict.regressed, "{}", s.verdict.line);
    assert_eq!(s.runs.len(), 12);
    assert_eq!(s.runs[0].json, "closed-nginx-1.json");
}

#[test]
fn errors_in_a_run_fail_and_name_it() {
    let s = Summary::build("now".into(), settings(0.0), &rounds(7));
    assert!(!s.ok);
    assert_eq!(s.failures.len(), 1, "{:?}", s.failures);
    assert!(
        s.failures[0].starts_with("run closed-nginx-2: 7 errors"),
        "{:?}",
        s.failures
    );
}

#[test]
fn non_2xx_fail_and_a_ratio_under_the_floor_fails() {
    let mut runs = rounds(0);
    runs[1].report = report(20_000, 800, 5, 0, 30);
    let s = Summary::build("now".into(), settings(0.5), &runs);
    assert!(
        s.failures.iter().any(|f| f.contains("30 non-2xx")),
        "{:?}",
        s.failures
    );
    // Medians of 60k, 20k, 60k stay 60k: no ratio failure from one bad run.
    assert!(!s.failures.iter().any(|f| f.contains("--min-ratio")));
    let slow: Vec<Run> = rounds(0)
        .into_iter()
        .map(|mut r| {
            if r.proxy == Proxy::Ringgate && r.mode == Mode::Closed {
                r.report = report(20_000, 800, 5, 0, 0);
            }
            r
        })
        .collect();
    let s = Summary::build("now".into(), settings(0.5), &slow);
    assert_eq!(
        s.failures,
        ["req/s ringgate/nginx 0.400 is below --min-ratio 0.5"]
    );
}

#[test]
fn summary_json_has_the_documented_keys() {
    let s = Summary::build("now".into(), settings(0.0), &rounds(0));
    let v: serde_json::Value = serde_json::from_str(&s.to_json()).expect("json");
    for key in [
        "/schema",
        "/settings/rate",
        "/proxies/nginx/rps",
        "/proxies/ringgate/cpu_us_per_request",
        "/proxies/ringgate/latency_us/p999",
        "/ratios/rps",
        "/ratios/latency_us/p99",
        "/verdict/line",
        "/verdict/throughput/p",
        "/verdict/p99/significant",
        "/runs/0/cpu_us_per_request",
        "/runs/11/hgrm",
        "/failures",
        "/ok",
    ] {
        assert!(v.pointer(key).is_some(), "{key} missing in {v:#}");
    }
}

#[test]
fn the_table_has_a_row_per_proxy_and_the_verdict() {
    let s = Summary::build("now".into(), settings(0.0), &rounds(7));
    let t = table::render(&s, "/tmp/x");
    for want in [
        "nginx ",
        "ringgate ",
        "ringgate/nginx",
        "1.200",
        "open loop at 25000 req/s (auto)",
        "CO corrected",
        "Mann-Whitney U",
        "verdict: OK",
        "FAIL: run closed-nginx-2",
        "results: /tmp/x",
    ] {
        assert!(t.contains(want), "{want:?} missing:\n{t}");
    }
}

//! Rendering a known summary: the JSON keys, that its counts add up, the text.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use super::json::JsonReport;
use super::*;
use crate::cli::Args;
use crate::stats::ErrorClass;

fn summary(extra: &[&str], open: bool) -> Summary {
    let mut argv = vec!["ringload", "-c", "2", "-d", "2s"];
    argv.extend_from_slice(extra);
    argv.push("http://127.0.0.1:9/x");
    let plan = Plan::from_args(&Args::try_parse_from(argv).unwrap()).unwrap();
    let mut stats = Stats::new(open);
    for i in 0..900u64 {
        stats.response(
            200,
            Duration::from_micros(100 + i),
            Duration::from_micros(90),
        );
    }
    for _ in 0..100 {
        stats.response(404, Duration::from_micros(50), Duration::from_micros(50));
    }
    stats.errors.add(ErrorClass::Timeout);
    crate::stats::record(&mut stats.latency, Duration::from_secs(2));
    stats.errors.add(ErrorClass::Connect);
    stats.sent = 1001;
    stats.bytes = 64_000;
    if let Some(lag) = &mut stats.lag {
        lag.record(20).unwrap();
    }
    let interval = |t: f64, requests| IntervalSample {
        t_s: t,
        duration_s: 1.0,
        requests,
        errors: 1,
        rps: requests as f64,
        p50_us: 500,
        p90_us: 900,
        p99_us: 990,
        max_us: 2_000_000,
    };
    Summary::new(
        Arc::new(plan),
        stats,
        Duration::from_secs(2),
        vec![interval(1.0, 600), interval(2.0, 400)],
        vec![ThreadInfo {
            cpu: Some(1),
            busy: Some(0.5),
        }],
        "io_uring",
        false,
    )
}

#[test]
fn json_has_the_documented_keys_and_adds_up() {
    let s = summary(&[], false);
    let v: serde_json::Value =
        serde_json::from_str(&JsonReport::new(&s).to_string_pretty()).unwrap();
    for key in [
        "version",
        "schema",
        "requests",
        "sent",
        "duration_s",
        "interrupted",
        "rps",
        "bytes",
        "bytes_per_s",
        "latency_us",
        "status",
        "errors",
        "open_loop",
        "target_rate",
        "service_time_us",
        "lag_us",
        "warnings",
        "intervals",
        "threads",
        "config",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in [
        "count", "mean", "stdev", "min", "p50", "p75", "p90", "p99", "p999", "p9999", "max",
    ] {
        assert!(
            v["latency_us"].get(key).is_some(),
            "missing latency_us.{key}"
        );
    }
    for key in ["connect", "read", "write", "timeout", "protocol"] {
        assert!(v["errors"][key].is_u64(), "missing errors.{key}");
    }
    for key in [
        "t_s",
        "duration_s",
        "requests",
        "errors",
        "rps",
        "p50_us",
        "p90_us",
        "p99_us",
        "max_us",
    ] {
        assert!(
            v["intervals"][0].get(key).is_some(),
            "missing intervals[].{key}"
        );
    }
    assert_eq!(v["requests"], 1000);
    assert_eq!(v["status"]["200"], 900);
    assert_eq!(v["status"]["404"], 100);
    let status_sum: u64 = v["status"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(status_sum, 1000);
    let interval_sum: u64 = v["intervals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(interval_sum, 1000);
    assert_eq!(v["latency_us"]["count"], 1001, "responses + timeouts");
    assert_eq!(v["errors"]["timeout"], 1);
    assert_eq!(v["rps"], 500.0);
    assert_eq!(v["open_loop"], false);
    assert_eq!(v["interrupted"], false);
    assert!(v["target_rate"].is_null() && v["service_time_us"].is_null() && v["lag_us"].is_null());
    assert_eq!(v["config"]["connections"], 2);
    assert_eq!(v["config"]["urls"][0], "http://127.0.0.1:9/x");
    // It reads back into the same type (what `compare` will do).
    let back: JsonReport = serde_json::from_value(v).unwrap();
    assert_eq!(back.requests, 1000);
}

#[test]
fn open_loop_reports_service_time_lag_and_rate_warning() {
    let s = summary(&["--rate", "1000"], true);
    let v: serde_json::Value = serde_json::to_value(JsonReport::new(&s)).unwrap();
    assert_eq!(v["open_loop"], true);
    assert_eq!(v["target_rate"], 1000.0);
    assert_eq!(v["service_time_us"]["count"], 1000);
    assert_eq!(v["lag_us"]["count"], 1);
    // 500 req/s achieved of 1000: warned.
    let w = v["warnings"].as_array().unwrap();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("of the target")),
        "{w:?}"
    );
    let text = text::render(&s);
    assert!(text.contains("Service time"), "{text}");
    assert!(text.contains("Send lag"), "{text}");
    assert!(text.contains("WARNING: achieved 500 req/s"), "{text}");
}

#[test]
fn text_report_like_wrk() {
    let s = summary(&[], false);
    let text = text::render(&s);
    assert!(
        text.starts_with("Running 2s test @ http://127.0.0.1:9/x\n"),
        "{text}"
    );
    assert!(
        text.contains("1 threads and 2 connections, closed loop"),
        "{text}"
    );
    assert!(
        text.contains("1000 requests in 2.00s, 62.50KB read"),
        "{text}"
    );
    assert!(text.contains("Status codes: 200: 900, 404: 100"), "{text}");
    assert!(
        text.contains("Errors: connect 1, read 0, write 0, timeout 1, protocol 0"),
        "{text}"
    );
    assert!(text.contains("Requests/sec:       500.00"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    assert!(!text.contains("interrupted"), "{text}");
}

#[test]
fn an_interrupted_run_says_so_in_text_and_json() {
    let mut s = summary(&[], false);
    s.interrupted = true;
    s.duration = Duration::from_millis(1020);
    let text = text::render(&s);
    assert!(
        text.starts_with("Running 2s test @ http://127.0.0.1:9/x\n  interrupted after 1.02s\n"),
        "{text}"
    );
    let json = JsonReport::new(&s);
    assert!(json.interrupted);
    assert_eq!(json.duration_s, 1.02);
    // Reports written before the key existed read as not interrupted.
    let mut v = serde_json::to_value(&json).unwrap();
    v.as_object_mut().unwrap().remove("interrupted");
    assert!(!serde_json::from_value::<JsonReport>(v).unwrap().interrupted);
}

#[test]
fn busy_thread_is_a_warning() {
    let mut s = summary(&[], false);
    s.threads[0].busy = Some(0.99);
    let w = s.compute_warnings();
    assert!(w.iter().any(|w| w.contains("busy 99%")), "{w:?}");
}

#[test]
fn send_lag_is_blamed_on_whoever_caused_it() {
    let mut s = summary(&["--rate", "1000"], true);
    let lag = s.stats.lag.as_mut().unwrap();
    lag.reset();
    for _ in 0..100 {
        lag.record(50_000).unwrap();
    }
    // Late only because the connections were waiting for the server.
    s.stats.own_lag_ns = 100 * 100_000;
    let w = s.compute_warnings();
    assert!(
        w.iter()
            .any(|w| w.contains("waiting for earlier responses")),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("generator lagged")), "{w:?}");
    // Late although the connections were free: the generator's fault.
    s.stats.own_lag_ns = 100 * 20_000_000;
    let w = s.compute_warnings();
    assert!(w.iter().any(|w| w.contains("generator lagged")), "{w:?}");
    // On time: nothing to say.
    s.stats.lag.as_mut().unwrap().reset();
    s.stats.lag.as_mut().unwrap().record(300).unwrap();
    s.stats.own_lag_ns = 300_000;
    let w = s.compute_warnings();
    assert!(!w.iter().any(|w| w.contains("late")), "{w:?}");
}

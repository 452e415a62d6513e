//! ringload's open loop: it holds the requested rate and reports the
//! corrected latency, the service time and the send lag.

use std::time::Duration;

use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::ringbench::Ringbench;
use ringgate_tests::ringload::Ringload;

#[test]
fn ringload_open_loop_holds_a_modest_rate() {
    let origin = Origin::start("fast", |_| Reply::text(200, "ok"));
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(
        &["-c", "8", "-t", "2", "-d", "3s", "--rate", "2000", &url],
        Duration::from_secs(30),
    );
    let j = &r.json;
    assert_eq!(j["open_loop"], true);
    assert_eq!(r.f64("/target_rate"), 2000.0);
    let rps = r.f64("/rps");
    assert!((rps - 2000.0).abs() <= 40.0, "achieved {rps} req/s of 2000");
    let requests = r.u64("/requests");
    assert!((5880..=6120).contains(&requests), "{requests}");
    for h in ["latency_us", "service_time_us", "lag_us"] {
        assert!(j[h]["p99"].is_u64(), "{h}: {}", j[h]);
    }
    assert_eq!(r.u64("/service_time_us/count"), requests);
    // Measured from the intended time: never shorter than the service time.
    assert!(r.u64("/latency_us/p50") >= r.u64("/service_time_us/p50"));
    let warnings = j["warnings"].as_array().unwrap();
    assert!(
        !warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("of the target")),
        "{warnings:?}"
    );
    // Per-second samples near the rate.
    let intervals = j["intervals"].as_array().unwrap();
    assert_eq!(intervals.len(), 3, "{intervals:?}");
    for i in &intervals[..2] {
        let n = i["requests"].as_u64().unwrap();
        assert!((1900..=2100).contains(&n), "{i}");
    }
    let text = r.out.stdout_text();
    assert!(text.contains("open loop at 2000 req/s"), "{text}");
    assert!(text.contains("Service time"), "{text}");
}

#[test]
fn ringload_open_loop_counts_a_stall_in_the_corrected_latency() {
    // Every 50th request stalls 200 ms. Closed-loop timing would hide the
    // requests that queue up behind it; the corrected latency shows them.
    let origin = Origin::start("stall", |req| {
        let n: u64 = req.target.trim_start_matches("/?").parse().unwrap_or(1);
        if n == 50 {
            Reply::Delay(Duration::from_millis(200), Box::new(Reply::text(200, "ok")))
        } else {
            Reply::text(200, "ok")
        }
    });
    let urls: Vec<String> = (1..=50)
        .map(|i| format!("http://{}/?{i}", origin.addr()))
        .collect();
    let mut args = vec!["-c", "1", "-d", "2s", "--rate", "200"];
    args.extend(urls.iter().map(String::as_str));
    let r = Ringload::run(&args, Duration::from_secs(30));
    // The stalled request and the ~40 due during the stall wait: > 10% of requests.
    let corrected_p90 = r.u64("/latency_us/p90");
    let service_p90 = r.u64("/service_time_us/p90");
    assert!(corrected_p90 >= 20_000, "corrected p90 {corrected_p90} us");
    assert!(
        service_p90 < corrected_p90 / 2,
        "service p90 {service_p90} us vs corrected {corrected_p90}"
    );
    assert!(
        r.u64("/lag_us/max") >= 150_000,
        "lag max {}",
        r.u64("/lag_us/max")
    );
}

#[test]
fn ringload_open_loop_holds_20000_per_second_within_1_percent() {
    let rb = Ringbench::start(&[]);
    let url = format!("http://{}/", rb.addr());
    let r = Ringload::run(
        &["-c", "64", "-t", "1", "-d", "5s", "--rate", "20000", &url],
        Duration::from_secs(60),
    );
    let rps = r.f64("/rps");
    assert!(
        (19_800.0..=20_200.0).contains(&rps),
        "achieved {rps} req/s of 20000; warnings {}",
        r.json["warnings"]
    );
    let requests = r.u64("/requests");
    assert!(
        (99_000..=101_000).contains(&requests),
        "{requests} requests"
    );
    assert_eq!(r.u64("/status/200"), requests);
    for (class, n) in r.json["errors"].as_object().unwrap() {
        assert_eq!(n, 0, "{class} errors");
    }
}

#[test]
fn ringload_open_loop_reports_a_one_second_stall_that_service_time_hides() {
    // 1000 req/s for 10 s over 10 connections; the origin freezes for 1 s
    // once, after ~3 s. About 1000 requests are due during the stall: they
    // wait up to 1 s from their intended send time, so the corrected p99
    // (the 100th-slowest of ~10,000) is near 900 ms. Only the ~10 requests
    // in flight when the stall began see it as service time.
    let rb = Ringbench::start(&["--stall-after", "3000", "--stall", "1s"]);
    let url = format!("http://{}/", rb.addr());
    let r = Ringload::run(
        &["-c", "10", "-t", "1", "-d", "10s", "--rate", "1000", &url],
        Duration::from_secs(60),
    );
    let requests = r.u64("/requests");
    assert!((9_800..=10_100).contains(&requests), "{requests} requests");
    let corrected_p99 = r.u64("/latency_us/p99");
    let service_p99 = r.u64("/service_time_us/p99");
    assert!(
        corrected_p99 >= 800_000,
        "corrected p99 {corrected_p99} us (service p99 {service_p99} us)"
    );
    assert!(
        service_p99 <= 50_000,
        "service p99 {service_p99} us should stay far below corrected {corrected_p99} us"
    );
    // The stall itself is visible at the top of both.
    assert!(r.u64("/service_time_us/max") >= 900_000);
    assert!(r.u64("/latency_us/max") >= 900_000);
}

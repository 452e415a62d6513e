//! ringload end to end: the JSON report's keys and counts, status codes,
//! `-n`, round robin, pipelining, the .hgrm and interval-log files, a run
//! cut short by Ctrl-C or SIGTERM, and refusing what it cannot do.

use std::time::{Duration, Instant};

use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::ringload::Ringload;
use ringgate_tests::wait_until;

const DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn ringload_json_has_the_documented_keys_and_counts_add_up() {
    let origin = Origin::echo("o");
    let url = format!("http://{}/hello", origin.addr());
    let r = Ringload::run(&["-c", "4", "-t", "2", "-d", "1500ms", &url], DEADLINE);
    let j = &r.json;
    for key in [
        "version",
        "requests",
        "sent",
        "duration_s",
        "rps",
        "bytes",
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
        assert!(j.get(key).is_some(), "missing {key} in {j}");
    }
    for key in [
        "mean", "stdev", "p50", "p75", "p90", "p99", "p999", "p9999", "max", "count",
    ] {
        assert!(
            j["latency_us"].get(key).is_some(),
            "missing latency_us.{key}"
        );
    }
    let requests = r.u64("/requests");
    assert!(requests > 100, "only {requests} requests");
    let status_sum: u64 = j["status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(status_sum, requests);
    assert_eq!(r.u64("/status/200"), requests);
    for class in ["connect", "read", "write", "timeout", "protocol"] {
        assert_eq!(r.u64(&format!("/errors/{class}")), 0, "{class}");
    }
    assert_eq!(r.u64("/latency_us/count"), requests);
    let intervals = j["intervals"].as_array().unwrap();
    assert!((1..=3).contains(&intervals.len()), "{intervals:?}");
    let interval_sum: u64 = intervals
        .iter()
        .map(|i| i["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(interval_sum, requests);
    assert!(intervals
        .iter()
        .all(|i| i["p99_us"].as_u64().unwrap() >= i["p50_us"].as_u64().unwrap()));
    let duration = r.f64("/duration_s");
    assert!((1.4..2.5).contains(&duration), "{duration}");
    assert!((r.f64("/rps") - requests as f64 / duration).abs() < 1.0);
    // Every response came from a request the origin saw; only the few in
    // flight at the end were sent without an answer counted.
    let sent = r.u64("/sent");
    assert!(
        sent >= requests && sent - requests <= 4,
        "sent {sent}, answered {requests}"
    );
    assert!(origin.request_count() as u64 >= requests);
    assert!(r.u64("/bytes") > requests * 100);
    assert_eq!(j["open_loop"], false);
    assert!(j["target_rate"].is_null() && j["service_time_us"].is_null());
    assert_eq!(j["config"]["connections"], 4);
    assert_eq!(j["config"]["threads"], 2);
    assert_eq!(j["threads"].as_array().unwrap().len(), 2);
    // The text report is on stdout; stderr (not a terminal) stays quiet.
    let text = r.out.stdout_text();
    assert!(text.contains("Requests/sec:"), "{text}");
    assert!(text.contains(&format!("{requests} requests in")), "{text}");
    assert!(
        !r.out.stderr_text().contains('\r'),
        "progress line on a non-terminal"
    );
}

#[test]
fn ringload_status_codes_are_counted_and_urls_round_robin() {
    let origin = Origin::start("codes", |req| match req.path() {
        "/missing" => Reply::text(404, "no"),
        "/broken" => Reply::text(500, "oops"),
        _ => Reply::text(200, "ok"),
    });
    let a = origin.addr();
    // One connection: its round robin over the three URLs is exact.
    let r = Ringload::run(
        &[
            "-c",
            "1",
            "-n",
            "300",
            &format!("http://{a}/missing"),
            &format!("http://{a}/broken"),
            &format!("http://{a}/"),
        ],
        DEADLINE,
    );
    assert_eq!(r.u64("/requests"), 300);
    assert_eq!(r.u64("/status/404"), 100);
    assert_eq!(r.u64("/status/500"), 100);
    assert_eq!(r.u64("/status/200"), 100);
    let text = r.out.stdout_text();
    assert!(
        text.contains("Status codes: 200: 100, 404: 100, 500: 100"),
        "{text}"
    );
}

#[test]
fn ringload_n_stops_after_exactly_n_requests() {
    let origin = Origin::echo("n");
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(&["-c", "5", "-t", "2", "-n", "1003", &url], DEADLINE);
    assert_eq!(r.u64("/requests"), 1003);
    assert_eq!(r.u64("/sent"), 1003);
    assert_eq!(origin.request_count(), 1003);
    assert!(r.json["config"]["duration_s"].is_null());
}

#[test]
fn ringload_pipelining_with_n_and_request_options() {
    let origin = Origin::echo("p");
    let url = format!("http://{}/post", origin.addr());
    let r = Ringload::run(
        &[
            "-c",
            "3",
            "-p",
            "8",
            "-n",
            "500",
            "-m",
            "POST",
            "--body",
            "payload",
            "-H",
            "X-Test: yes",
            &url,
        ],
        DEADLINE,
    );
    assert_eq!(r.u64("/requests"), 500);
    assert_eq!(r.u64("/status/200"), 500);
    let reqs = origin.requests();
    assert_eq!(reqs.len(), 500);
    let last = reqs.last().unwrap();
    assert_eq!(last.method, "POST");
    assert_eq!(last.body, b"payload");
    assert_eq!(last.header("x-test"), Some("yes"));
    assert_eq!(
        last.header("host"),
        Some(origin.addr().to_string().as_str())
    );
    // 3 connections, not one per request.
    assert!(origin.accepted() <= 3, "{} connections", origin.accepted());
}

#[test]
fn ringload_no_keepalive_opens_a_connection_per_request() {
    let origin = Origin::echo("ka");
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(&["-c", "2", "-n", "40", "--no-keepalive", &url], DEADLINE);
    assert_eq!(r.u64("/requests"), 40);
    // One connection per request; the other connection may have opened one
    // more just as its partner took the last request of the budget.
    assert!(
        (40..=41).contains(&origin.accepted()),
        "{}",
        origin.accepted()
    );
    assert_eq!(origin.last_request().header("connection"), Some("close"));
}

#[test]
fn ringload_hgrm_and_interval_log_files() {
    let origin = Origin::echo("h");
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(
        &[
            "-c", "2", "-d", "2s", "--hgrm", "out.hgrm", "--hlog", "out.hlog", &url,
        ],
        DEADLINE,
    );
    let hgrm = std::fs::read_to_string(r.dir.path().join("out.hgrm")).unwrap();
    let lines: Vec<&str> = hgrm.lines().collect();
    assert_eq!(
        lines[0],
        "       Value     Percentile TotalCount 1/(1-Percentile)"
    );
    assert!(lines
        .iter()
        .any(|l| l.split_whitespace().nth(1) == Some("1.000000000000")));
    let n = lines.len();
    assert!(lines[n - 3].starts_with("#[Mean    = "), "{hgrm}");
    assert!(
        lines[n - 2].ends_with(&format!(
            "Total count    = {:>12}]",
            r.u64("/latency_us/count")
        )),
        "{hgrm}"
    );
    assert!(lines[n - 1].starts_with("#[Buckets = "), "{hgrm}");
    let hlog = std::fs::read_to_string(r.dir.path().join("out.hlog")).unwrap();
    assert!(hlog.contains("#[StartTime: "), "{hlog}");
    let intervals: Vec<&str> = hlog
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('"'))
        .collect();
    assert_eq!(
        intervals.len(),
        r.json["intervals"].as_array().unwrap().len(),
        "{hlog}"
    );
    assert!(intervals[0].starts_with("0.000,1.000,"), "{hlog}");
}

#[test]
fn ringload_ctrl_c_or_sigterm_stops_early_with_a_partial_report() {
    let origin = Origin::echo("int");
    let url = format!("http://{}/", origin.addr());
    for signal in ["INT", "TERM"] {
        let run = Ringload::spawn(&["-c", "4", "-d", "30s", "--hgrm", "out.hgrm", &url]);
        let before = origin.request_count();
        assert!(
            wait_until(Duration::from_secs(10), || origin.request_count() > before),
            "ringload sent nothing"
        );
        std::thread::sleep(Duration::from_secs(1));
        let signalled = Instant::now();
        run.signal(signal);
        let r = run.finish(Duration::from_secs(10));
        let took = signalled.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "SIG{signal}: exit took {took:?}"
        );
        assert_eq!(r.json["interrupted"], true, "SIG{signal}");
        let duration = r.f64("/duration_s");
        assert!((0.5..5.0).contains(&duration), "SIG{signal}: {duration}");
        let requests = r.u64("/requests");
        assert!(requests > 0, "SIG{signal}");
        // Requests in flight at the stop are abandoned: sent, not answered,
        // not errors.
        assert_eq!(r.u64("/status/200"), requests);
        let sent = r.u64("/sent");
        assert!(
            (requests..=requests + 4).contains(&sent),
            "{sent} sent, {requests} answered"
        );
        for class in ["connect", "read", "write", "timeout", "protocol"] {
            assert_eq!(r.u64(&format!("/errors/{class}")), 0, "{class}");
        }
        assert_eq!(r.u64("/latency_us/count"), requests);
        let intervals = r.json["intervals"].as_array().unwrap();
        let interval_sum: u64 = intervals
            .iter()
            .map(|i| i["requests"].as_u64().unwrap())
            .sum();
        assert_eq!(interval_sum, requests);
        let text = r.out.stdout_text();
        assert!(
            text.contains(&format!("interrupted after {duration:.2}s")),
            "{text}"
        );
        assert!(text.contains(&format!("{requests} requests in")), "{text}");
        let hgrm = std::fs::read_to_string(r.dir.path().join("out.hgrm")).unwrap();
        assert!(
            hgrm.contains(&format!("Total count    = {requests:>12}]")),
            "{hgrm}"
        );
    }
}

#[test]
fn ringload_refuses_bad_arguments_clearly() {
    let out = Ringload::fail(&["-d", "1s", "--insecure", "http://127.0.0.1:1/"]);
    let err = out.stderr_text();
    assert!(err.contains("apply to https URLs only"), "{err}");
    let out = Ringload::fail(&[
        "-d",
        "1s",
        "--cacert",
        "/nonexistent.pem",
        "https://127.0.0.1:1/",
    ]);
    let err = out.stderr_text();
    assert!(err.contains("--cacert /nonexistent.pem: "), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    let out = Ringload::fail(&["-d", "1s", "ftp://127.0.0.1:1/"]);
    let err = out.stderr_text();
    assert!(err.contains("expected http[s]://host"), "{err}");
    let out = Ringload::fail(&["-c", "1", "-t", "2", "http://127.0.0.1:1/"]);
    assert!(
        out.stderr_text().contains("at least -t"),
        "{}",
        out.stderr_text()
    );
    let out = Ringload::fail(&["-d", "10", "http://127.0.0.1:1/"]);
    assert!(
        out.stderr_text().contains("a unit is required"),
        "{}",
        out.stderr_text()
    );
}

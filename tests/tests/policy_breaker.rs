//! Circuit breaking and passive outlier ejection: a failing target is
//! skipped, every target open is a 503 at once, and a target comes back
//! after its probe succeeds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringgate_tests::client::{get, Conn};
use ringgate_tests::gateway::{one_route, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};

fn scrape(gw: &Gateway) -> Metrics {
    Metrics::parse(&get(gw.admin(), "/metrics").text()).expect("metrics parse")
}

/// An origin that answers 503 while `failing` is set, 200 otherwise.
fn switchable(name: &str) -> (Origin, Arc<AtomicBool>) {
    let failing = Arc::new(AtomicBool::new(true));
    let f = Arc::clone(&failing);
    let origin = Origin::start(name, move |_| {
        if f.load(Ordering::SeqCst) {
            Reply::text(503, "down")
        } else {
            Reply::text(200, "up")
        }
    });
    (origin, failing)
}

#[test]
fn breaker_opens_answers_503_at_once_then_recovers_through_a_probe() {
    let (origin, failing) = switchable("flaky");
    let gw = Gateway::builder()
        .admin()
        .config(&one_route(&[origin.addr()], "circuit_breaker = { consecutive_failures = 3, open_for = \"1s\", half_open_probes = 1 }", ""))
        .start();
    let mut conn = Conn::open(gw.addr());
    for i in 0..3 {
        let r = conn.get("/").expect("request");
        assert_eq!((r.status, r.text().as_str()), (503, "down"), "request {i}");
    }
    // Open: refused by the gateway without reaching the origin, fast.
    let start = Instant::now();
    let r = conn.get("/").expect("request");
    let took = start.elapsed();
    assert_eq!(r.status, 503);
    assert!(r.text().contains("unavailable"), "{}", r.text());
    assert!(
        took < Duration::from_millis(50),
        "open breaker took {took:?}"
    );
    assert_eq!(origin.request_count(), 3);
    let m = scrape(&gw);
    let labels = [("upstream", "u"), ("to", "open")];
    assert_eq!(m.sum("ringgate_breaker_transitions_total", &labels), 1.0);
    assert_eq!(
        m.sum(
            "ringgate_target_breaker_state",
            &[("upstream", "u"), ("state", "open")]
        ),
        1.0
    );
    assert_eq!(
        m.sum("ringgate_no_usable_target_total", &[]),
        1.0,
        "refusals counted"
    );
    // After open_for, one probe goes through; it succeeds and closes it.
    failing.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1100));
    for i in 0..5 {
        assert_eq!(
            conn.get("/").expect("request").status,
            200,
            "after recovery {i}"
        );
    }
    let m = scrape(&gw);
    assert_eq!(
        m.sum(
            "ringgate_breaker_transitions_total",
            &[("upstream", "u"), ("to", "closed")]
        ),
        1.0
    );
    assert!(
        gw.stderr().contains("circuit breaker transition"),
        "{}",
        gw.stderr()
    );
}

#[test]
fn open_target_is_skipped_while_another_serves() {
    let (bad, _failing) = switchable("bad");
    let good = Origin::echo("good");
    let gw = Gateway::start(&one_route(
        &[bad.addr(), good.addr()],
        "circuit_breaker = { consecutive_failures = 2, open_for = \"30s\" }",
        "",
    ));
    let mut conn = Conn::open(gw.addr());
    let statuses: Vec<u16> = (0..20)
        .map(|_| conn.get("/").expect("req").status)
        .collect();
    // Round robin sends the first and third to the bad target; then it is open.
    assert_eq!(bad.request_count(), 2, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(good.request_count(), 18);
}

#[test]
fn outlier_ejection_takes_a_failing_target_out_for_a_while() {
    let (bad, failing) = switchable("bad");
    let good = Origin::echo("good");
    let gw = Gateway::builder()
        .admin()
        .config(&one_route(&[bad.addr(), good.addr()], "outlier = { consecutive_failures = 2, base_ejection = \"1s\", max_ejection = \"10s\", max_ejection_percent = 50 }", ""))
        .start();
    let mut conn = Conn::open(gw.addr());
    for _ in 0..10 {
        conn.get("/").expect("req");
    }
    assert_eq!(
        bad.request_count(),
        2,
        "ejected after two failures in a row"
    );
    let m = scrape(&gw);
    assert_eq!(
        m.sum("ringgate_outlier_ejections_total", &[("upstream", "u")]),
        1.0
    );
    let labels = [("upstream", "u"), ("target", &*bad.addr().to_string())];
    assert_eq!(m.sum("ringgate_target_ejected", &labels), 1.0);
    // The ejection ends; the target is tried again (and now answers).
    failing.store(false, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(1100));
    for _ in 0..4 {
        assert_eq!(conn.get("/").expect("req").status, 200);
    }
    assert!(bad.request_count() > 2, "back after the ejection");
}

#[test]
fn max_ejection_percent_keeps_the_last_target_in() {
    let (a, _fa) = switchable("a");
    let (b, _fb) = switchable("b");
    let gw = Gateway::start(&one_route(&[a.addr(), b.addr()], "outlier = { consecutive_failures = 1, base_ejection = \"30s\", max_ejection_percent = 50 }", ""));
    let mut conn = Conn::open(gw.addr());
    for _ in 0..6 {
        // Every answer is the origins' own 503: one target stays in.
        let r = conn.get("/").expect("req");
        assert_eq!((r.status, r.text().as_str()), (503, "down"));
    }
    assert_eq!(a.request_count() + b.request_count(), 6);
    assert!(a.request_count() == 1 || b.request_count() == 1);
}

//! Active health checks (once per process, published to every shard) and
//! peak-EWMA balancing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringgate_tests::client::{get, Conn};
use ringgate_tests::gateway::{one_route, upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};

fn healthy(gw: &Gateway, target: &str) -> f64 {
    let m = Metrics::parse(&get(gw.admin(), "/metrics").text()).unwrap();
    m.sum("ringgate_target_healthy", &[("target", target)])
}

/// Polls `cond` every 50 ms for at most `within`.
fn eventually(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

#[test]
fn unhealthy_target_gets_no_traffic_until_it_passes_again() {
    let sick = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&sick);
    let b = Origin::start("b", move |req| {
        if req.path() == "/healthz" && s.load(Ordering::SeqCst) {
            Reply::text(503, "sick")
        } else {
            Reply::echo("b", req)
        }
    });
    let a = Origin::echo("a");
    let gw = Gateway::builder()
        .shards(2)
        .admin()
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/app\"\nupstream = \"u\"\n",
            upstream(
                "u",
                &[a.addr(), b.addr()],
                "health_check = { path = \"/healthz\", interval = \"100ms\", timeout = \"100ms\", healthy = 2, unhealthy = 2 }"
            )
        ))
        .start();
    let b_addr = b.addr().to_string();
    sick.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(5), || healthy(&gw, &b_addr) == 0.0),
        "b never marked unhealthy"
    );
    let before = b
        .requests()
        .iter()
        .filter(|r| r.path() != "/healthz")
        .count();
    for i in 0..20 {
        let r = get(gw.addr(), &format!("/app/{i}"));
        assert_eq!((r.status, r.origin()), (200, Some("a")), "request {i}");
    }
    let after = b
        .requests()
        .iter()
        .filter(|r| r.path() != "/healthz")
        .count();
    assert_eq!(before, after, "an unhealthy target got traffic");
    sick.store(false, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(5), || healthy(&gw, &b_addr) == 1.0),
        "b never healthy again"
    );
    let mut conn = Conn::open(gw.addr());
    let origins: Vec<String> = (0..4)
        .map(|_| conn.get("/app/x").unwrap().origin().unwrap().to_string())
        .collect();
    assert!(origins.iter().any(|o| o == "b"), "{origins:?}");
    // Checks ran once per process, not once per shard: at 100 ms over the
    // test's few seconds, far fewer than two checkers would make.
    let m = Metrics::parse(&get(gw.admin(), "/metrics").text()).unwrap();
    let checks = m.sum("ringgate_health_checks_total", &[("target", &*b_addr)]);
    let b_checks = b
        .requests()
        .iter()
        .filter(|r| r.path() == "/healthz")
        .count() as f64;
    assert!(
        (checks - b_checks).abs() <= 2.0,
        "{checks} counted, {b_checks} seen"
    );
    assert!(gw.stderr().contains("target unhealthy"), "{}", gw.stderr());
}

#[test]
fn all_targets_unhealthy_is_503_at_once() {
    let a = Origin::start("a", |req| {
        if req.path() == "/healthz" {
            Reply::text(500, "no")
        } else {
            Reply::text(200, "yes")
        }
    });
    let gw = Gateway::builder()
        .admin()
        .config(&one_route(&[a.addr()], "health_check = { path = \"/healthz\", interval = \"100ms\", timeout = \"100ms\", healthy = 1, unhealthy = 1 }", ""))
        .start();
    let addr = a.addr().to_string();
    assert!(eventually(Duration::from_secs(5), || healthy(&gw, &addr) == 0.0));
    let start = Instant::now();
    let r = get(gw.addr(), "/x");
    assert_eq!(r.status, 503);
    assert!(start.elapsed() < Duration::from_millis(100));
}

#[test]
fn p2c_ewma_prefers_the_fast_target() {
    let slow = Origin::start("slow", |req| {
        Reply::Delay(
            Duration::from_millis(30),
            Box::new(Reply::echo("slow", req)),
        )
    });
    let fast = Origin::echo("fast");
    let gw = Gateway::start(&one_route(
        &[slow.addr(), fast.addr()],
        "balance = \"p2c_ewma\"",
        "",
    ));
    let mut conn = Conn::open(gw.addr());
    for i in 0..100 {
        assert_eq!(conn.get(&format!("/{i}")).unwrap().status, 200);
    }
    let (s, f) = (slow.request_count(), fast.request_count());
    assert!(f >= 80, "fast {f}, slow {s}");
}

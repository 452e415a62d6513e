//! Retries: a failed idempotent request is tried again on another target,
//! non-idempotent ones are not, and the shared budget caps retry storms.

use std::time::Duration;

use ringgate_tests::client::{get, one_shot, Conn};
use ringgate_tests::gateway::{one_route, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};

fn retry(table: &str) -> String {
    format!("retry = {table}")
}

#[test]
fn retry_goes_to_the_other_target_after_a_503() {
    let bad = Origin::start("bad", |_| Reply::text(503, "down"));
    let good = Origin::echo("good");
    let gw = Gateway::builder()
        .admin()
        .config(&one_route(
            &[bad.addr(), good.addr()],
            "",
            &retry("{ attempts = 2, on = [\"503\"], backoff = \"1ms\", budget = \"100%\" }"),
        ))
        .start();
    let mut conn = Conn::open(gw.addr());
    for i in 0..10 {
        let r = conn.get(&format!("/{i}")).expect("req");
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
        assert_eq!(r.origin(), Some("good"));
    }
    // Round robin picked the bad target for every other first try.
    assert_eq!(bad.request_count(), 5);
    assert_eq!(good.request_count(), 10);
    let m = Metrics::parse(&get(gw.admin(), "/metrics").text()).unwrap();
    assert_eq!(m.sum("ringgate_retries_total", &[("route", "r")]), 5.0);
}

#[test]
fn connect_failures_are_retried_on_a_live_target() {
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let good = Origin::echo("good");
    let gw = Gateway::start(&one_route(
        &[dead, good.addr()],
        "",
        &retry("{ attempts = 3, on = [\"connect\"], backoff = \"1ms\", budget = \"100%\" }"),
    ));
    for i in 0..6 {
        let r = get(gw.addr(), &format!("/{i}"));
        assert_eq!(r.status, 200, "request {i}: {}", r.text());
    }
}

#[test]
fn post_is_not_retried_unless_allowed() {
    let bad = Origin::start("bad", |_| Reply::text(503, "down"));
    let good = Origin::echo("good");
    let gw = Gateway::start(&one_route(
        &[bad.addr(), good.addr()],
        "",
        &retry("{ attempts = 2, on = [\"503\"], backoff = \"1ms\", budget = \"100%\" }"),
    ));
    let statuses: Vec<u16> = (0..4)
        .map(|i| one_shot(gw.addr(), "POST", "h", &format!("/{i}"), &[], b"x").status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(bad.request_count(), 2);
}

#[test]
fn retry_budget_caps_retries_when_everything_fails() {
    let bad = Origin::start("bad", |_| Reply::text(503, "down"));
    let gw = Gateway::builder()
        .admin()
        .config(&one_route(
            &[bad.addr()],
            "",
            &retry(
                "{ attempts = 5, on = [\"503\"], backoff = \"1ms\", max_backoff = \"1ms\", \
                 budget = \"10%\", min_retries_per_sec = 1 }",
            ),
        ))
        .start();
    let mut conn = Conn::open(gw.addr());
    let n = 200;
    for i in 0..n {
        assert_eq!(conn.get(&format!("/{i}")).expect("req").status, 503);
    }
    // Without a budget: 5 tries each (1000). With 10%: about 20 retries,
    // plus the floor of 1 a second while the test runs.
    let seen = bad.request_count();
    assert!(seen >= n, "{seen}");
    assert!(seen <= n + n / 10 + 15, "{seen} tries for {n} requests");
    let m = Metrics::parse(&get(gw.admin(), "/metrics").text()).unwrap();
    assert!(m.sum("ringgate_retries_budget_exhausted_total", &[("route", "r")]) > 100.0);
}

#[test]
fn per_try_timeout_moves_on_to_the_next_target() {
    let slow = Origin::start("slow", |_| {
        Reply::Delay(Duration::from_secs(3), Box::new(Reply::text(200, "late")))
    });
    let fast = Origin::echo("fast");
    let gw = Gateway::start(&one_route(
        &[slow.addr(), fast.addr()],
        "",
        &retry(
            "{ attempts = 2, on = [\"timeout\"], backoff = \"1ms\", per_try_timeout = \"200ms\", \
             budget = \"100%\" }",
        ),
    ));
    let start = std::time::Instant::now();
    for i in 0..2 {
        let r = get(gw.addr(), &format!("/{i}"));
        assert_eq!((r.status, r.origin()), (200, Some("fast")), "request {i}");
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

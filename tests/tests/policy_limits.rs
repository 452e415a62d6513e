//! Rate limits and concurrency limits: exact across shards, 429 with the
//! RateLimit headers, per-key buckets, 503 beyond max in flight.

use std::time::{Duration, Instant};

use ringgate_tests::client::{get, one_shot, Conn};
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::ringload::Ringload;

fn scrape(gw: &Gateway) -> Metrics {
    let r = get(gw.admin(), "/metrics");
    assert_eq!(r.status, 200);
    Metrics::parse(&r.text()).expect("metrics parse")
}

#[test]
fn route_rate_limit_is_exact_across_two_shards() {
    let origin = Origin::start("ok", |_| Reply::text(200, "ok"));
    let gw = Gateway::builder()
        .shards(2)
        .admin()
        .config(&format!(
            "{}\n[[routes]]\nname = \"api\"\npath_prefix = \"/\"\nupstream = \"o\"\n\
             rate_limit = {{ rate = \"100/s\", burst = 10, key = \"route\" }}\n",
            upstream("o", &[origin.addr()], "")
        ))
        .start();
    // 400 req/s offered for 5 s over 16 connections (spread over both
    // shards by SO_REUSEPORT): 100/s admitted plus the burst of 10.
    let r = Ringload::run(
        &[
            "-c",
            "16",
            "-t",
            "1",
            "-d",
            "5s",
            "--rate",
            "400",
            &gw.url("/"),
        ],
        Duration::from_secs(60),
    );
    let ok = r.json["status"]["200"].as_u64().unwrap_or(0);
    let limited = r.json["status"]["429"].as_u64().unwrap_or(0);
    let expected = 100.0 * r.f64("/duration_s") + 10.0;
    assert!(
        (ok as f64 - expected).abs() <= 0.02 * expected + 2.0,
        "{ok} admitted, expected {expected:.0} +- 2%; 429s {limited}"
    );
    assert!(limited > 1000, "{limited} refused");
    let m = scrape(&gw);
    for shard in ["0", "1"] {
        let accepted = m.sum("ringgate_connections_accepted_total", &[("shard", shard)]);
        assert!(accepted > 0.0, "shard {shard} accepted no connection");
    }
    let refused = m.sum("ringgate_rate_limited_total", &[("route", "api")]);
    assert!(
        refused as u64 >= limited,
        "metric {refused} vs {limited} 429s"
    );
}

#[test]
fn rate_limited_answer_carries_retry_after_and_ratelimit_fields() {
    let origin = Origin::echo("ok");
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\nname = \"slow\"\npath_prefix = \"/\"\nupstream = \"o\"\n\
         rate_limit = {{ rate = \"1/s\", burst = 1, key = \"client_ip\", quota_headers = true }}\n",
        upstream("o", &[origin.addr()], "")
    ));
    let mut conn = Conn::open(gw.addr());
    let first = conn.get("/a").expect("first");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("ratelimit-policy"), Some("\"slow\";q=1;w=1"));
    assert_eq!(first.header("ratelimit"), Some("\"slow\";r=0;t=1"));
    let second = conn.get("/b").expect("second");
    assert_eq!(second.status, 429, "{}", second.text());
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(second.header("ratelimit-policy"), Some("\"slow\";q=1;w=1"));
    assert_eq!(second.header("ratelimit"), Some("\"slow\";r=0;t=1"));
    assert!(second.text().contains("rate limit"), "{}", second.text());
    // The connection stays usable and the origin never saw the refused request.
    assert_eq!(origin.request_count(), 1);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(conn.get("/c").expect("third").status, 200);
}

#[test]
fn header_keyed_limit_gives_each_key_its_own_bucket() {
    let origin = Origin::echo("ok");
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n\
         rate_limit = {{ rate = \"1/min\", burst = 2, key = \"header:x-api-key\" }}\n",
        upstream("o", &[origin.addr()], "")
    ));
    let status =
        |key: &str| one_shot(gw.addr(), "GET", "h", "/", &[("X-Api-Key", key)], b"").status;
    assert_eq!(
        (status("alice"), status("alice"), status("alice")),
        (200, 200, 429)
    );
    assert_eq!(
        (status("bob"), status("bob"), status("bob")),
        (200, 200, 429)
    );
}

#[test]
fn global_limit_applies_before_routing() {
    let origin = Origin::echo("ok");
    let gw = Gateway::builder()
        .server("rate_limit = { rate = \"2/min\", burst = 2, key = \"global\" }")
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/api\"\nupstream = \"o\"\n",
            upstream("o", &[origin.addr()], "")
        ))
        .start();
    assert_eq!(get(gw.addr(), "/api/1").status, 200);
    assert_eq!(get(gw.addr(), "/nowhere").status, 404);
    let r = get(gw.addr(), "/api/2");
    assert_eq!(r.status, 429);
    assert!(r
        .header("ratelimit-policy")
        .unwrap_or("")
        .starts_with("\"global\""));
}

#[test]
fn concurrency_limit_refuses_beyond_max_in_flight() {
    let origin = Origin::start("slow", |_| {
        Reply::Delay(Duration::from_millis(600), Box::new(Reply::text(200, "ok")))
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n\
         concurrency = {{ max_in_flight = 2 }}\n",
        upstream("o", &[origin.addr()], "")
    ));
    let addr = gw.addr();
    let slow: Vec<_> = (0..2)
        .map(|i| std::thread::spawn(move || get(addr, &format!("/{i}")).status))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let r = get(addr, "/third");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    for t in slow {
        assert_eq!(t.join().unwrap(), 200);
    }
    // Places are given back.
    assert_eq!(get(addr, "/after").status, 200);
}

#[test]
fn concurrency_queue_waits_for_a_place() {
    let origin = Origin::start("slow", |_| {
        Reply::Delay(Duration::from_millis(300), Box::new(Reply::text(200, "ok")))
    });
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n\
         concurrency = {{ max_in_flight = 1, queue_timeout = \"2s\" }}\n",
        upstream("o", &[origin.addr()], "")
    ));
    let addr = gw.addr();
    let first = std::thread::spawn(move || get(addr, "/1").status);
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    assert_eq!(get(addr, "/2").status, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(first.join().unwrap(), 200);
}

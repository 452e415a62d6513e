//! The admin listener: `/healthz` and Prometheus `/metrics` with counters
//! that move as traffic flows.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::Origin;
use ringgate_tests::process::curl;
use ringgate_tests::wait_until;

fn scrape(gw: &Gateway) -> Metrics {
    let out = curl(&["-i", &format!("http://{}/metrics", gw.admin())]);
    out.assert_success("curl /metrics");
    let text = out.stdout_text();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {text:?}"));
    assert!(head.starts_with("HTTP/1.1 200"), "/metrics: {head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "/metrics content-type: {head}"
    );
    Metrics::parse(body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

fn setup() -> (Origin, Gateway) {
    let o = Origin::echo("o");
    let gw = Gateway::builder()
        .shards(2)
        .admin()
        .config(&format!(
            "{}\n[[routes]]\nname = \"r1\"\npath_prefix = \"/r1\"\nupstream = \"u1\"\n",
            upstream("u1", &[o.addr()], "")
        ))
        .start();
    (o, gw)
}

#[test]
fn healthz() {
    let (_o, gw) = setup();
    let out = curl(&[
        "-w",
        "\n%{http_code}",
        &format!("http://{}/healthz", gw.admin()),
    ]);
    let text = out.stdout_text();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", ""));
    assert_eq!((body.trim_end(), code), ("ok", "200"), "healthz: {text:?}");
}

#[test]
fn metrics_families_and_counters_move() {
    let (_o, gw) = setup();
    let ok = [("route", "r1"), ("upstream", "u1"), ("class", "2xx")];
    let mut conn = Conn::open(gw.addr());
    for i in 0..3 {
        assert_eq!(conn.get(&format!("/r1/{i}")).expect("request").status, 200);
    }
    assert_eq!(conn.get("/unrouted").expect("404 request").status, 404);

    let mut m = Metrics::default();
    let counted = wait_until(Duration::from_secs(3), || {
        m = scrape(&gw);
        m.sum("ringgate_requests_total", &ok) >= 3.0
            && m.sum("ringgate_requests_total", &[("class", "4xx")]) >= 1.0
    });
    assert!(counted, "ringgate_requests_total{{route=\"r1\",upstream=\"u1\",class=\"2xx\"}} never reached 3:\n{:#?}", m.find("ringgate_requests_total", &[]));
    assert_eq!(m.sum("ringgate_requests_total", &ok), 3.0);
    assert!(
        m.sum("ringgate_requests_total", &[("class", "4xx")]) >= 1.0,
        "the 404 was not counted as 4xx"
    );

    for (family, ty) in [
        ("ringgate_requests_total", "counter"),
        ("ringgate_request_duration_seconds", "histogram"),
        ("ringgate_connections_open", "gauge"),
        ("ringgate_pool_idle_connections", "gauge"),
    ] {
        assert_eq!(
            m.types.get(family).map(String::as_str),
            Some(ty),
            "# TYPE of {family}"
        );
    }

    // The histogram for r1: count, sum, cumulative buckets ending in +Inf.
    let r1 = [("route", "r1")];
    let count = m.sum("ringgate_request_duration_seconds_count", &r1);
    assert_eq!(count, 3.0, "histogram _count for r1");
    assert!(
        m.sum("ringgate_request_duration_seconds_sum", &r1) > 0.0,
        "histogram _sum for r1"
    );
    let mut buckets: Vec<(f64, f64)> = m
        .find("ringgate_request_duration_seconds_bucket", &r1)
        .iter()
        .map(|s| {
            let le = s.labels.get("le").expect("bucket without le");
            (
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().expect("le")
                },
                s.value,
            )
        })
        .collect();
    assert!(buckets.len() >= 2, "too few buckets: {buckets:?}");
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        buckets.windows(2).all(|w| w[0].1 <= w[1].1),
        "buckets not cumulative: {buckets:?}"
    );
    assert_eq!(
        buckets.last().map(|b| (b.0, b.1)),
        Some((f64::INFINITY, count)),
        "+Inf bucket must equal _count"
    );

    // Gauges: our connection is open, the upstream connection is pooled.
    assert!(
        !m.find("ringgate_connections_open", &[])
            .iter()
            .any(|s| !s.labels.contains_key("shard")),
        "connections_open without shard label"
    );
    assert!(
        m.sum("ringgate_connections_open", &[]) >= 1.0,
        "connections_open while a client is connected"
    );
    assert!(
        m.find("ringgate_pool_idle_connections", &[("upstream", "u1")])
            .iter()
            .all(|s| s.labels.contains_key("shard")),
        "pool_idle_connections without shard label"
    );
    assert!(
        m.sum("ringgate_pool_idle_connections", &[("upstream", "u1")]) >= 1.0,
        "no idle pooled connection to u1 after keep-alive traffic"
    );

    // Two more requests move the counter by exactly two.
    for i in 3..5 {
        assert_eq!(conn.get(&format!("/r1/{i}")).expect("request").status, 200);
    }
    let moved = wait_until(Duration::from_secs(3), || {
        m = scrape(&gw);
        m.sum("ringgate_requests_total", &ok) == 5.0
    });
    assert!(
        moved,
        "counter did not move from 3 to 5: {}",
        m.sum("ringgate_requests_total", &ok)
    );
    assert_eq!(m.sum("ringgate_request_duration_seconds_count", &r1), 5.0);
}

#[test]
fn target_responses_and_route_bytes() {
    use std::io::{Read, Write};
    let (o, gw) = setup();
    let request = b"GET /r1/bytes HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    let mut got = Vec::new();
    for _ in 0..3 {
        let mut s = std::net::TcpStream::connect(gw.addr()).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        s.write_all(request).expect("write");
        got.clear();
        s.read_to_end(&mut got).expect("read");
        assert!(got.starts_with(b"HTTP/1.1 200"), "{got:?}");
    }
    let target = o.addr().to_string();
    let of_target = [("upstream", "u1"), ("target", target.as_str())];
    let mut m = Metrics::default();
    let counted = wait_until(Duration::from_secs(3), || {
        m = scrape(&gw);
        m.sum("ringgate_target_response_seconds_count", &of_target) >= 3.0
    });
    assert!(
        counted,
        "{:#?}",
        m.find("ringgate_target_response_seconds_count", &[])
    );
    let ok = [
        ("upstream", "u1"),
        ("target", target.as_str()),
        ("class", "2xx"),
    ];
    assert_eq!(m.sum("ringgate_target_responses_total", &ok), 3.0);
    assert_eq!(
        m.sum("ringgate_target_response_seconds_count", &of_target),
        3.0
    );
    assert!(m.sum("ringgate_target_response_seconds_sum", &of_target) > 0.0);
    assert_eq!(
        m.types
            .get("ringgate_target_response_seconds")
            .map(String::as_str),
        Some("histogram")
    );
    // Every byte each client sent and received, three times over.
    let of = |d: &'static str| [("route", "r1"), ("direction", d)];
    assert_eq!(
        m.sum("ringgate_request_bytes_total", &of("in")),
        3.0 * request.len() as f64
    );
    assert_eq!(
        m.sum("ringgate_request_bytes_total", &of("out")),
        3.0 * got.len() as f64
    );
    // And every byte the origin read and wrote, on the target's counters.
    let to = |d: &'static str| {
        [
            ("upstream", "u1"),
            ("target", target.as_str()),
            ("direction", d),
        ]
    };
    assert!(o.bytes_read() > 0 && o.bytes_written() > 0);
    assert_eq!(
        m.sum("ringgate_target_bytes_total", &to("sent")),
        o.bytes_read() as f64
    );
    assert_eq!(
        m.sum("ringgate_target_bytes_total", &to("received")),
        o.bytes_written() as f64
    );
}

//! Hot reload through the real binary: a bad config is refused with its key
//! paths while the old one keeps serving; unchanged upstreams and routes keep
//! their breaker, pool and limiter state, changed ones start fresh; SIGHUP,
//! `POST /admin/reload` and `--watch-config` each reload; and 50 reloads
//! under a steady open-loop load lose no request.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use ringgate_tests::auth::{curl_i, sha256sum, Files};
use ringgate_tests::client::{get, Conn};
use ringgate_tests::gateway::{upstream, Gateway, GatewayBuilder};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::ringload::Ringload;
use ringgate_tests::{free_addr, wait_until};

const CONFIG: &str = "ringgate.toml";

fn scrape(gw: &Gateway) -> Metrics {
    Metrics::parse(&get(gw.admin(), "/metrics").text()).expect("metrics parse")
}

fn version(gw: &Gateway) -> u64 {
    get(gw.admin(), "/admin/config").json()["version"]
        .as_u64()
        .expect("version")
}

/// Replace the gateway's config file in one step (write, then rename), so
/// neither a reload nor the watch reads half a file.
fn rewrite(dir: &Path, text: &str) {
    let tmp = dir.join("ringgate.toml.new");
    std::fs::write(&tmp, text).expect("write config");
    std::fs::rename(&tmp, dir.join(CONFIG)).expect("rename config");
}

/// The builder's config text with `body` as upstreams and routes.
fn render(builder: &GatewayBuilder, gw: &Gateway, body: &str) -> String {
    builder
        .clone()
        .config(body)
        .render(gw.addr(), Some(gw.admin()))
}

/// `POST /admin/reload`: the status and the JSON answer.
fn post_reload(gw: &Gateway) -> (u16, serde_json::Value) {
    let mut conn = Conn::open(gw.admin());
    conn.set_patience(Duration::from_secs(30));
    let r = conn
        .request("POST", "localhost", "/admin/reload", &[], b"")
        .expect("POST /admin/reload");
    (r.status, r.json())
}

fn route(name: &str, prefix: &str, upstream: &str, extra: &str) -> String {
    format!(
        "[[routes]]\nname = \"{name}\"\npath_prefix = \"{prefix}\"\nupstream = \"{upstream}\"\n{extra}\n"
    )
}

#[test]
fn a_bad_config_is_refused_with_its_key_paths_and_the_old_one_keeps_serving() {
    let origin = Origin::echo("o");
    let builder = Gateway::builder()
        .admin()
        .config(&(upstream("u", &[origin.addr()], "") + &route("r", "/", "u", "")));
    let gw = builder.clone().start();
    assert_eq!(get(gw.addr(), "/").status, 200);

    // A route naming an upstream that does not exist.
    rewrite(
        gw.dir(),
        &render(
            &builder,
            &gw,
            &(upstream("u", &[origin.addr()], "") + &route("r", "/", "nope", "")),
        ),
    );
    let (status, body) = post_reload(&gw);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["reloaded"], false, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["path"] == "routes[0].upstream"
            && e["message"].as_str().unwrap().contains("nope")),
        "{body}"
    );

    // A key that needs a restart.
    let moved = builder.clone().render(free_addr(), Some(gw.admin()));
    rewrite(gw.dir(), &moved);
    let (status, body) = post_reload(&gw);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == "server.listen"
                && e["message"].as_str().unwrap().contains("restart")),
        "{body}"
    );

    // The old config serves on; the refusals are counted and logged.
    let r = get(gw.addr(), "/x");
    assert_eq!(r.status, 200);
    assert_eq!(version(&gw), 1);
    let m = scrape(&gw);
    assert_eq!(
        m.sum("ringgate_config_reloads_total", &[("result", "error")]),
        2.0
    );
    assert_eq!(
        m.sum("ringgate_config_reloads_total", &[("result", "ok")]),
        0.0
    );
    assert_eq!(m.sum("ringgate_config_version", &[]), 1.0);
    let log = gw.stderr();
    assert!(
        log.contains("config reload refused") && log.contains("routes[0].upstream"),
        "{log}"
    );
}

#[test]
fn unchanged_upstreams_and_routes_keep_their_state_and_changed_ones_start_fresh() {
    let flaky = Origin::start("flaky", |_| Reply::text(503, "down"));
    let pooled = Origin::echo("pooled");
    let limited = Origin::echo("limited");
    let added = Origin::echo("added");
    let breaker =
        "circuit_breaker = { consecutive_failures = 3, open_for = \"60s\", half_open_probes = 1 }";
    let limit = "rate_limit = { rate = \"1/min\", burst = 2, key = \"client_ip\" }";
    let base = upstream("flaky", &[flaky.addr()], breaker)
        + &upstream("pooled", &[pooled.addr()], "")
        + &upstream("limited", &[limited.addr()], "")
        + &route("flaky", "/flaky", "flaky", "")
        + &route("pooled", "/pooled", "pooled", "")
        + &route("limited", "/limited", "limited", limit);
    let builder = Gateway::builder().admin().config(&base);
    let gw = builder.clone().start();

    let mut conn = Conn::open(gw.addr());
    for _ in 0..3 {
        assert_eq!(conn.get("/flaky").unwrap().status, 503);
    }
    assert_eq!(flaky.request_count(), 3, "breaker open after 3 failures");
    assert_eq!(conn.get("/pooled").unwrap().status, 200);
    assert_eq!(pooled.accepted(), 1);
    for _ in 0..2 {
        assert_eq!(conn.get("/limited").unwrap().status, 200);
    }
    assert_eq!(conn.get("/limited").unwrap().status, 429);

    // Reload with a new upstream and route first: every index moves.
    let moved = upstream("added", &[added.addr()], "")
        + &upstream("limited", &[limited.addr()], "")
        + &upstream("pooled", &[pooled.addr()], "")
        + &upstream("flaky", &[flaky.addr()], breaker)
        + &route("added", "/added", "added", "")
        + &route("limited", "/limited", "limited", limit)
        + &route("pooled", "/pooled", "pooled", "")
        + &route("flaky", "/flaky", "flaky", "");
    rewrite(gw.dir(), &render(&builder, &gw, &moved));
    let (status, body) = post_reload(&gw);
    assert_eq!((status, &body["version"]), (200, &2.into()), "{body}");
    let pooled_target = pooled.addr().to_string();
    let pooled_idle = |gw: &Gateway| {
        let labels = [("upstream", "pooled"), ("target", pooled_target.as_str())];
        scrape(gw).sum("ringgate_upstream_pool_idle", &labels)
    };
    assert_eq!(pooled_idle(&gw), 1.0, "the idle connection is still pooled");

    let mut conn = Conn::open(gw.addr());
    assert_eq!(conn.get("/added").unwrap().status, 200);
    assert_eq!(added.request_count(), 1);
    // The breaker is still open: refused without reaching the origin.
    assert_eq!(conn.get("/flaky").unwrap().status, 503);
    assert_eq!(flaky.request_count(), 3, "breaker state carried over");
    // The pooled connection is reused: no new TCP connection.
    assert_eq!(conn.get("/pooled").unwrap().status, 200);
    assert_eq!(pooled.request_count(), 2);
    assert_eq!(pooled.accepted(), 1, "pooled connection carried over");
    // The limiter still remembers this client.
    assert_eq!(conn.get("/limited").unwrap().status, 429);
    assert_eq!(limited.request_count(), 2, "limiter state carried over");
    // Counters of series that still exist did not go backwards.
    let m = scrape(&gw);
    let flaky_5xx = [("route", "flaky"), ("class", "5xx")];
    assert_eq!(m.sum("ringgate_requests_total", &flaky_5xx), 4.0);
    assert_eq!(
        m.sum(
            "ringgate_breaker_transitions_total",
            &[("upstream", "flaky"), ("to", "open")]
        ),
        1.0
    );
    assert_eq!(
        m.sum(
            "ringgate_target_breaker_state",
            &[("upstream", "flaky"), ("state", "open")]
        ),
        1.0
    );

    // Change the breaker and the limit: both start fresh.
    let changed = upstream("added", &[added.addr()], "")
        + &upstream("limited", &[limited.addr()], "")
        + &upstream("pooled", &[pooled.addr()], "pool_max_idle = 4")
        + &upstream(
            "flaky",
            &[flaky.addr()],
            "circuit_breaker = { consecutive_failures = 5, open_for = \"60s\", half_open_probes = 1 }",
        )
        + &route("limited", "/limited", "limited", "rate_limit = { rate = \"1/min\", burst = 3, key = \"client_ip\" }")
        + &route("pooled", "/pooled", "pooled", "")
        + &route("flaky", "/flaky", "flaky", "");
    rewrite(gw.dir(), &render(&builder, &gw, &changed));
    let (status, body) = post_reload(&gw);
    assert_eq!((status, &body["version"]), (200, &3.into()), "{body}");
    assert_eq!(pooled_idle(&gw), 0.0, "a changed pool starts empty");
    let mut conn = Conn::open(gw.addr());
    assert_eq!(conn.get("/flaky").unwrap().status, 503);
    assert_eq!(flaky.request_count(), 4, "a changed breaker starts closed");
    let r = conn.get("/limited").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.origin(), Some("limited"));
    assert_eq!(limited.request_count(), 3, "a changed limit starts fresh");
    assert_eq!(conn.get("/pooled").unwrap().status, 200);
    assert_eq!(pooled.accepted(), 2, "a changed pool starts empty");
    // The removed route is gone.
    assert_eq!(conn.get("/added").unwrap().status, 404);
    assert_eq!(version(&gw), 3);
}

/// Upstream `u` over `origins` and one route per origin name.
fn routes_to(origins: &[&Origin]) -> String {
    let addrs: Vec<SocketAddr> = origins.iter().map(|o| o.addr()).collect();
    let mut s = upstream("u", &addrs, "");
    for o in origins {
        s += &route(o.name(), &format!("/{}", o.name()), "u", "");
    }
    s
}

#[test]
fn sighup_and_admin_post_each_reload() {
    let (a, b, c) = (Origin::echo("a"), Origin::echo("b"), Origin::echo("c"));
    let builder = Gateway::builder().admin().config(&routes_to(&[&a]));
    let gw = builder.clone().start();
    assert_eq!(get(gw.addr(), "/b").status, 404);

    rewrite(gw.dir(), &render(&builder, &gw, &routes_to(&[&a, &b])));
    gw.signal("HUP");
    assert!(
        wait_until(Duration::from_secs(10), || get(gw.addr(), "/b").status
            == 200),
        "SIGHUP did not reload"
    );
    assert_eq!(version(&gw), 2);

    rewrite(gw.dir(), &render(&builder, &gw, &routes_to(&[&a, &b, &c])));
    let (status, body) = post_reload(&gw);
    assert_eq!((status, &body["version"]), (200, &3.into()), "{body}");
    // Every shard swaps within its poll interval.
    assert!(wait_until(Duration::from_secs(5), || get(gw.addr(), "/c")
        .status
        == 200));
    assert!(gw.stderr().contains("SIGHUP received"));
    let m = scrape(&gw);
    assert_eq!(
        m.sum("ringgate_config_reloads_total", &[("result", "ok")]),
        2.0
    );
}

#[test]
fn admin_reload_needs_the_admin_token_when_one_is_set() {
    let a = Origin::echo("a");
    let files = Files::new();
    let token = "s3cret-admin-token";
    let tokens = files.write("admin-tokens", &format!("ops:{}\n", sha256sum(token)));
    let builder = Gateway::builder()
        .admin()
        .server(&format!("admin_token_file = \"{tokens}\""))
        .config(&routes_to(&[&a]));
    let gw = builder.start();
    let url = format!("http://{}/admin/reload", gw.admin());
    let (status, _, _) = curl_i(&["-s", "-X", "POST", &url]);
    assert_eq!(status, 401);
    let auth = format!("Authorization: Bearer {token}");
    let (status, _, body) = curl_i(&["-s", "-X", "POST", "-H", &auth, &url]);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn watch_config_reloads_a_changed_file() {
    let (a, b) = (Origin::echo("a"), Origin::echo("b"));
    let builder = Gateway::builder().admin().config(&routes_to(&[&a]));
    let dir = tempfile::tempdir().unwrap();
    let (listen, admin) = (free_addr(), free_addr());
    let path = dir.path().join(CONFIG);
    std::fs::write(&path, builder.render(listen, Some(admin))).unwrap();
    let args = vec![
        "--config".to_string(),
        path.display().to_string(),
        "--watch-config".to_string(),
    ];
    let gw = Gateway::spawn(dir, &args, listen, Some(admin));
    assert_eq!(get(gw.addr(), "/b").status, 404);
    let started = Instant::now();
    rewrite(gw.dir(), &render(&builder, &gw, &routes_to(&[&a, &b])));
    assert!(
        wait_until(Duration::from_secs(10), || get(gw.addr(), "/b").status
            == 200),
        "the watch did not reload"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(version(&gw), 2);
    // A broken file is refused; the old config serves on.
    rewrite(gw.dir(), "[server\n");
    assert!(wait_until(Duration::from_secs(10), || {
        scrape(&gw).sum("ringgate_config_reloads_total", &[("result", "error")]) == 1.0
    }));
    assert_eq!(get(gw.addr(), "/b").status, 200);
    assert_eq!(version(&gw), 2);
}

#[test]
fn fifty_reloads_under_steady_load_lose_no_request() {
    let origins: Vec<Origin> = (0..4)
        .map(|i| Origin::start(&format!("o{i}"), |_| Reply::text(200, "ok")))
        .collect();
    let addr = |i: usize| origins[i].addr();
    // Variant `i`: `/s` and `/e` always exist (ringload's URLs); targets,
    // upstream order and extra routes change every time.
    let variant = |i: usize| -> String {
        let stable: Vec<SocketAddr> = if i.is_multiple_of(2) {
            vec![addr(0), addr(1)]
        } else {
            vec![addr(0), addr(1), addr(2)]
        };
        let extra: Vec<SocketAddr> = if i.is_multiple_of(3) {
            vec![addr(3)]
        } else {
            vec![addr(2), addr(3)]
        };
        let mut ups = [
            upstream("stable", &stable, ""),
            upstream("extra", &extra, ""),
        ];
        if i % 4 >= 2 {
            ups.reverse();
        }
        let mut s = ups.concat();
        for k in 0..(i % 5) {
            s += &route(&format!("gone{i}_{k}"), &format!("/g{k}"), "extra", "");
        }
        s += &route("s", "/s", "stable", "");
        s += &route("e", "/e", "extra", "");
        s
    };
    let builder = Gateway::builder().shards(2).admin().config(&variant(0));
    let gw = builder.clone().start();
    let urls = [gw.url("/s"), gw.url("/e")];
    let load = Ringload::spawn(&[
        "-c", "16", "-t", "1", "-d", "15s", "--rate", "2000", &urls[0], &urls[1],
    ]);
    // The reloads all happen while the load runs (it started first and
    // lasts 15 s); each waits until every shard swapped.
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let mut took = Vec::new();
    for i in 1..=50 {
        rewrite(gw.dir(), &render(&builder, &gw, &variant(i)));
        let t = Instant::now();
        let (status, body) = post_reload(&gw);
        took.push(t.elapsed());
        assert_eq!(status, 200, "reload {i}: {body}");
        assert_eq!(body["version"], (i + 1) as u64, "{body}");
        std::thread::sleep(Duration::from_millis(80));
    }
    took.sort();
    eprintln!(
        "50 reloads in {:?}; POST /admin/reload median {:?}, max {:?}",
        started.elapsed(),
        took[25],
        took[49]
    );
    assert!(
        started.elapsed() < Duration::from_secs(14),
        "the reloads outlasted the load"
    );
    let r = load.finish(Duration::from_secs(60));
    for class in ["connect", "read", "write", "timeout", "protocol"] {
        assert_eq!(
            r.u64(&format!("/errors/{class}")),
            0,
            "{class} errors: {}",
            r.json["errors"]
        );
    }
    let statuses = r.json["status"].as_object().expect("status counts");
    assert_eq!(
        statuses.keys().collect::<Vec<_>>(),
        vec!["200"],
        "{statuses:?}"
    );
    let requests = r.u64("/requests");
    eprintln!(
        "ringload: {requests} requests, {:.0} req/s, p99 {} us, lag max {} us",
        r.f64("/rps"),
        r.u64("/latency_us/p99"),
        r.u64("/lag_us/max")
    );
    // The rate is the aim; a 2-core machine shared with builds may serve
    // far less. What matters: traffic flowed all through the reloads.
    assert!(requests >= 3_000, "{requests} requests");
    let intervals = r.json["intervals"].as_array().expect("intervals");
    assert!(intervals.len() >= 14, "{intervals:?}");
    for i in intervals {
        assert!(
            i["requests"].as_u64().unwrap_or(0) > 0,
            "an idle second: {i}"
        );
    }
    assert_eq!(r.u64("/status/200"), requests);
    for o in &origins {
        assert!(o.request_count() > 0, "{} got no traffic", o.name());
    }
    assert_eq!(version(&gw), 51);
    let m = scrape(&gw);
    assert_eq!(
        m.sum("ringgate_config_reloads_total", &[("result", "ok")]),
        50.0
    );
    // Route counters survived every reload: the gateway counted every
    // request ringload did, plus at most one still in flight per connection
    // when ringload stopped counting.
    let counted = m.sum("ringgate_requests_total", &[("route", "s")])
        + m.sum("ringgate_requests_total", &[("route", "e")]);
    let requests = requests as f64;
    assert!(
        (requests..=requests + 16.0).contains(&counted),
        "counted {counted} of {requests}"
    );
    assert!(!gw.stderr().contains("panicked"));
}

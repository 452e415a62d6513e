//! W3C trace context and OTLP span export through the real binary: a
//! real origin sees the `traceparent` the gateway sent, a real OTLP/HTTP
//! receiver (tests/fixtures/otlp/receiver.py, decoding with the official
//! `opentelemetry-proto` package) gets the spans, and the access log names
//! the same trace.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ringgate_tests::auth::Files;
use ringgate_tests::client::one_shot;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply, Request};
use ringgate_tests::otlp::Receiver;
use ringgate_tests::process::{curl, Blackhole};
use ringgate_tests::{free_addr, wait_until};
use serde_json::{json, Value};

const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const STATE: &str = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
const WAIT: Duration = Duration::from_secs(10);

/// An origin that answers `/api/fail` with 503 and everything else 200.
fn origin() -> Origin {
    Origin::start("svc", |req: &Request| {
        if req.path() == "/api/fail" {
            Reply::text(503, "down")
        } else {
            Reply::text(200, "ok")
        }
    })
}

/// A gateway with one route `api` (`/api`) to `o`, `[server.tracing]` as
/// the inline table `tracing`, and `extra` server lines.
fn gateway(o: &Origin, tracing: &str, extra: &[&str]) -> Gateway {
    let mut b = Gateway::builder().admin();
    if !tracing.is_empty() {
        b = b.server(&format!("tracing = {{ {tracing} }}"));
    }
    for line in extra {
        b = b.server(line);
    }
    b.config(&format!(
        "{}\n[[routes]]\nname = \"api\"\npath_prefix = \"/api\"\nupstream = \"svc\"\n",
        upstream("svc", &[o.addr()], "")
    ))
    .start()
}

fn export(r: &Receiver, more: &str) -> String {
    format!(
        "otlp_endpoint = \"{}\", flush_interval = \"100ms\", batch_size = 16, service_name = \"edge-test\"{more}",
        r.endpoint()
    )
}

fn get(gw: &Gateway, path: &str, headers: &[(&str, &str)]) -> u16 {
    one_shot(gw.addr(), "GET", "api.test:8080", path, headers, b"").status
}

/// The origin's view of the last request's `traceparent`, split.
fn sent_traceparent(req: &Request) -> (String, String, String) {
    let all = req.header_all("traceparent");
    assert_eq!(
        all.len(),
        1,
        "exactly one traceparent upstream: {:?}",
        req.headers
    );
    let parts: Vec<&str> = all[0].split('-').collect();
    assert_eq!(parts.len(), 4, "{}", all[0]);
    assert_eq!(parts[0], "00");
    let lowhex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    assert!(
        lowhex(parts[1], 32) && parts[1] != "0".repeat(32),
        "{}",
        all[0]
    );
    assert!(
        lowhex(parts[2], 16) && parts[2] != "0".repeat(16),
        "{}",
        all[0]
    );
    assert!(lowhex(parts[3], 2), "{}", all[0]);
    (parts[1].into(), parts[2].into(), parts[3].into())
}

fn attr<'a>(span: &'a Value, key: &str) -> &'a Value {
    &span["attributes"][key]
}

fn scrape(gw: &Gateway) -> Metrics {
    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    out.assert_success("curl /metrics");
    Metrics::parse(&out.stdout_text()).expect("metrics parse")
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

fn now_nanos() -> u64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    u64::try_from(d.as_nanos()).expect("nanos")
}

#[test]
fn incoming_trace_is_continued_exported_and_logged() {
    let o = origin();
    let r = Receiver::start();
    let files = Files::new();
    let log = files.write("access.log", "");
    let gw = gateway(
        &o,
        &export(&r, ""),
        &[&format!(
            "access_log = {{ path = \"{log}\", flush_interval = \"100ms\" }}"
        )],
    );
    let before = now_nanos();
    let caller = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let status = get(
        &gw,
        "/api/users?id=7",
        &[
            ("traceparent", &caller),
            ("tracestate", STATE),
            ("User-Agent", "trace-test/1"),
        ],
    );
    assert_eq!(status, 200);
    let seen = o.last_request();
    let (trace, parent, flags) = sent_traceparent(&seen);
    assert_eq!(trace, CALLER_TRACE, "the caller's trace goes on");
    assert_ne!(parent, CALLER_SPAN, "the gateway is the new parent");
    assert_eq!(flags, "01", "the caller's sampled flag is kept");
    assert_eq!(
        seen.header_all("tracestate"),
        vec![STATE],
        "tracestate unchanged"
    );
    let request_id = seen
        .header("x-request-id")
        .expect("generated X-Request-Id")
        .to_owned();

    let spans = r.wait_for(1, WAIT);
    let after = now_nanos();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let s = &spans[0];
    assert_eq!(s["trace_id"], CALLER_TRACE);
    assert_eq!(
        s["span_id"],
        parent.as_str(),
        "the span is the parent the origin saw"
    );
    assert_eq!(s["parent_span_id"], CALLER_SPAN);
    assert_eq!(s["trace_state"], STATE);
    assert_eq!(s["kind"], 2, "SPAN_KIND_SERVER");
    assert_eq!(s["name"], "GET /api/*");
    assert_eq!(s["status"], 0, "UNSET for a 200");
    assert_eq!(s["flags"], 0x301, "sampled, parent is remote");
    assert_eq!(s["resource"]["service.name"], "edge-test");
    let (start, end) = (
        s["start"].as_u64().unwrap_or(0),
        s["end"].as_u64().unwrap_or(0),
    );
    assert!(
        before <= start && start <= end && end <= after,
        "{before} {start} {end} {after}"
    );
    assert_eq!(attr(s, "http.request.method"), "GET");
    assert_eq!(attr(s, "url.path"), "/api/users");
    assert_eq!(attr(s, "url.query"), "id=7");
    assert_eq!(attr(s, "url.scheme"), "http");
    assert_eq!(attr(s, "http.response.status_code"), 200);
    assert_eq!(attr(s, "http.route"), "/api/*");
    assert_eq!(attr(s, "server.address"), "api.test");
    assert_eq!(attr(s, "server.port"), 8080);
    assert_eq!(attr(s, "client.address"), "127.0.0.1");
    assert_eq!(attr(s, "network.protocol.version"), "1.1");
    assert_eq!(attr(s, "user_agent.original"), "trace-test/1");
    assert_eq!(attr(s, "ringgate.route"), "api");
    assert_eq!(attr(s, "ringgate.upstream"), "svc");
    assert_eq!(
        attr(s, "ringgate.upstream.address"),
        o.addr().to_string().as_str()
    );
    assert_eq!(attr(s, "ringgate.shard"), 0);

    // A 5xx answer is an ERROR span.
    assert_eq!(get(&gw, "/api/fail", &[("traceparent", &caller)]), 503);
    let spans = r.wait_for(2, WAIT);
    let failed = &spans[1];
    assert_eq!(failed["status"], 2, "STATUS_CODE_ERROR");
    assert_eq!(attr(failed, "http.response.status_code"), 503);
    assert_eq!(attr(failed, "error.type"), "503");

    // The access log names the same trace and request id.
    let path = Path::new(&log);
    assert!(wait_until(WAIT, || log_lines(path).len() >= 2), "log lines");
    let lines = log_lines(path);
    assert_eq!(lines[0]["trace_id"], CALLER_TRACE);
    assert_eq!(lines[0]["request_id"], request_id.as_str());

    let m = scrape(&gw);
    assert!(wait_until(WAIT, || scrape(&gw)
        .sum("ringgate_spans_exported_total", &[])
        >= 2.0));
    assert_eq!(m.sum("ringgate_spans_dropped_total", &[]), 0.0);
}

#[test]
fn absent_invalid_or_repeated_traceparent_starts_a_new_trace() {
    let o = origin();
    let r = Receiver::start();
    let gw = gateway(&o, &export(&r, ""), &[]);

    // Absent: a fresh, sampled trace (sample defaults to 1); with tracing
    // on, an X-Request-Id is generated even without the access log.
    assert_eq!(get(&gw, "/api/a", &[]), 200);
    let seen = o.last_request();
    let (fresh, parent, flags) = sent_traceparent(&seen);
    assert_eq!(flags, "03", "sampled, random trace id");
    let id = seen.header("x-request-id").expect("X-Request-Id");
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let spans = r.wait_for(1, WAIT);
    assert_eq!(spans[0]["trace_id"], fresh.as_str());
    assert_eq!(spans[0]["span_id"], parent.as_str());
    assert_eq!(spans[0]["parent_span_id"], "", "a root span");
    assert_eq!(spans[0]["flags"], 0x103, "parent not remote");

    // Invalid (uppercase hex, all-zero ids, version ff): replaced, and
    // the tracestate that went with it is dropped.
    let invalid = [
        format!("00-{}-{CALLER_SPAN}-01", CALLER_TRACE.to_uppercase()),
        format!("00-{}-{CALLER_SPAN}-01", "0".repeat(32)),
        format!("00-{CALLER_TRACE}-{}-01", "0".repeat(16)),
        format!("ff-{CALLER_TRACE}-{CALLER_SPAN}-01"),
        format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01-extra"),
    ];
    for (i, bad) in invalid.iter().enumerate() {
        assert_eq!(
            get(
                &gw,
                "/api/b",
                &[("traceparent", bad), ("tracestate", STATE)]
            ),
            200
        );
        let seen = o.last_request();
        let (trace, _, flags) = sent_traceparent(&seen);
        assert_ne!(trace, CALLER_TRACE, "{bad}");
        assert_eq!(flags, "03", "{bad}");
        assert!(
            seen.header("tracestate").is_none(),
            "tracestate dropped with {bad}"
        );
        let spans = r.wait_for(2 + i, WAIT);
        assert_eq!(spans[1 + i]["trace_id"], trace.as_str());
        assert_eq!(spans[1 + i]["parent_span_id"], "");
        assert_eq!(spans[1 + i]["trace_state"], "");
    }

    // Two traceparent fields: ambiguous, so a new trace.
    let caller = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    let two = [
        ("traceparent", caller.as_str()),
        ("traceparent", caller.as_str()),
    ];
    assert_eq!(get(&gw, "/api/c", &two), 200);
    let (trace, _, _) = sent_traceparent(&o.last_request());
    assert_ne!(trace, CALLER_TRACE);

    // A future version is continued by the forward-compatible rules, and
    // sent on as version 00.
    let future = format!("cc-{CALLER_TRACE}-{CALLER_SPAN}-01-later");
    assert_eq!(get(&gw, "/api/d", &[("traceparent", &future)]), 200);
    let (trace, parent, flags) = sent_traceparent(&o.last_request());
    assert_eq!((trace.as_str(), flags.as_str()), (CALLER_TRACE, "01"));
    assert_ne!(parent, CALLER_SPAN);
}

#[test]
fn sample_zero_exports_no_new_trace_but_still_propagates() {
    let o = origin();
    let r = Receiver::start();
    let gw = gateway(&o, &export(&r, ", sample = 0.0"), &[]);
    for _ in 0..20 {
        assert_eq!(get(&gw, "/api/new", &[]), 200);
        let (_, _, flags) = sent_traceparent(&o.last_request());
        assert_eq!(flags, "02", "propagated, not sampled");
    }
    let unsampled = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-00");
    assert_eq!(
        get(&gw, "/api/caller-off", &[("traceparent", &unsampled)]),
        200
    );
    let (trace, _, flags) = sent_traceparent(&o.last_request());
    assert_eq!((trace.as_str(), flags.as_str()), (CALLER_TRACE, "00"));
    // The caller's decision wins over the ratio: this one is exported.
    let sampled = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    assert_eq!(
        get(&gw, "/api/caller-on", &[("traceparent", &sampled)]),
        200
    );
    let spans = r.wait_for(1, WAIT);
    // One shard, spans in order: had any earlier request been exported,
    // it would have arrived with or before this one.
    std::thread::sleep(Duration::from_millis(300));
    let spans_later = r.spans();
    assert_eq!(spans_later.len(), 1, "{spans_later:?}");
    assert_eq!(spans[0]["trace_id"], CALLER_TRACE);
    assert_eq!(attr(&spans[0], "url.path"), "/api/caller-on");
}

#[test]
fn a_down_receiver_costs_no_request_and_counts_drops() {
    let o = origin();
    let nobody = free_addr();
    let gw = gateway(
        &o,
        &format!(
            "otlp_endpoint = \"http://{nobody}/v1/traces\", flush_interval = \"100ms\", batch_size = 10, export_timeout = \"1s\""
        ),
        &[],
    );
    for i in 0..50 {
        assert_eq!(get(&gw, &format!("/api/{i}"), &[]), 200, "request {i}");
    }
    let dropped = wait_until(Duration::from_secs(20), || {
        scrape(&gw).sum("ringgate_spans_dropped_total", &[]) >= 50.0
    });
    let m = scrape(&gw);
    assert!(
        dropped,
        "drops counted: {:?}",
        m.find("ringgate_spans_dropped_total", &[])
    );
    assert_eq!(m.sum("ringgate_spans_dropped_total", &[]), 50.0);
    assert_eq!(m.sum("ringgate_spans_exported_total", &[]), 0.0);
    assert_eq!(get(&gw, "/api/after", &[]), 200);
}

#[test]
fn a_receiver_that_never_accepts_does_not_slow_requests() {
    let o = origin();
    let hole = Blackhole::start();
    let gw = gateway(
        &o,
        &format!(
            "otlp_endpoint = \"http://{}/v1/traces\", flush_interval = \"5s\", batch_size = 30, export_timeout = \"1s\"",
            hole.addr()
        ),
        &[],
    );
    let started = Instant::now();
    for i in 0..60 {
        let t = Instant::now();
        assert_eq!(get(&gw, &format!("/api/{i}"), &[]), 200, "request {i}");
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "request {i} took {:?}",
            t.elapsed()
        );
    }
    // The exporter is stuck in connects that time out meanwhile.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let dropped = wait_until(Duration::from_secs(20), || {
        scrape(&gw).sum("ringgate_spans_dropped_total", &[]) >= 60.0
    });
    assert!(
        dropped,
        "{:?}",
        scrape(&gw).find("ringgate_spans_dropped_total", &[])
    );
    assert_eq!(scrape(&gw).sum("ringgate_spans_exported_total", &[]), 0.0);
}

#[test]
fn exit_is_not_held_up_by_a_dead_receiver() {
    let o = origin();
    let hole = Blackhole::start();
    let mut gw = gateway(
        &o,
        &format!(
            "otlp_endpoint = \"http://{}/v1/traces\", flush_interval = \"50ms\", batch_size = 1, queue = 64, export_timeout = \"1s\"",
            hole.addr()
        ),
        &[],
    );
    // 40 one-span batches queue up behind an export stuck in connect.
    for i in 0..40 {
        assert_eq!(get(&gw, &format!("/api/{i}"), &[]), 200);
    }
    let t = Instant::now();
    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(15)).is_some(), "exited");
    assert!(
        t.elapsed() < Duration::from_secs(6),
        "exit took {:?}",
        t.elapsed()
    );
}

#[test]
fn spans_are_flushed_on_exit() {
    let o = origin();
    let r = Receiver::start();
    let mut gw = gateway(
        &o,
        &format!(
            "otlp_endpoint = \"{}\", flush_interval = \"1h\", batch_size = 512",
            r.endpoint()
        ),
        &[],
    );
    for _ in 0..3 {
        assert_eq!(get(&gw, "/api/x", &[]), 200);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        r.spans().is_empty(),
        "nothing sent before the batch fills or the interval passes"
    );
    gw.signal("TERM");
    assert!(gw.wait_exit(WAIT).is_some(), "exited");
    let spans = r.wait_for(3, WAIT);
    assert_eq!(spans.len(), 3);
    assert_eq!(spans[0]["request_spans"], json!(3), "one export request");
}

#[test]
fn tracing_off_leaves_trace_headers_as_received() {
    let o = origin();
    let caller = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    for tracing in ["", "enabled = false"] {
        let gw = gateway(&o, tracing, &[]);
        let bad = "00-zz-not-valid";
        assert_eq!(
            get(
                &gw,
                "/api/x",
                &[("traceparent", bad), ("tracestate", STATE)]
            ),
            200
        );
        let seen = o.last_request();
        assert_eq!(seen.header_all("traceparent"), vec![bad]);
        assert_eq!(seen.header("tracestate"), Some(STATE));
        assert!(
            seen.header("x-request-id").is_none(),
            "no id without log or tracing"
        );
        assert_eq!(get(&gw, "/api/x", &[("traceparent", &caller)]), 200);
        assert_eq!(
            o.last_request().header_all("traceparent"),
            vec![caller.as_str()]
        );
        let m = scrape(&gw);
        assert!(m.find("ringgate_spans_exported_total", &[]).is_empty());
    }
}

#[test]
fn propagation_without_export_sends_no_span_anywhere() {
    let o = origin();
    let gw = gateway(&o, "sample = 1.0", &[]);
    let caller = format!("00-{CALLER_TRACE}-{CALLER_SPAN}-01");
    assert_eq!(get(&gw, "/api/x", &[("traceparent", &caller)]), 200);
    let (trace, parent, _) = sent_traceparent(&o.last_request());
    assert_eq!(trace, CALLER_TRACE);
    assert_ne!(parent, CALLER_SPAN);
}

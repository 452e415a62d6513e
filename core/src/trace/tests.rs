use super::otlp::{self, Value};
use super::parent::{TraceParent, LEN};
use super::*;
use crate::http1::Version;
use prost::Message;

const VALID: &[u8] = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

#[test]
fn parses_version_00() {
    let p = TraceParent::parse(VALID).expect("valid");
    assert_eq!(p.version, 0);
    assert_eq!(p.trace_id[0], 0x4b);
    assert_eq!(p.trace_id[15], 0x36);
    assert_eq!(
        p.parent_id,
        [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]
    );
    assert!(p.sampled());
    assert_eq!(
        TraceParent::encode(&p.trace_id, &p.parent_id, p.flags),
        VALID
    );
}

#[test]
fn refuses_what_the_spec_calls_invalid() {
    let cases: &[&[u8]] = &[
        b"",
        b"00",
        // all-zero trace id, all-zero parent id
        b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        // uppercase hex
        b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
        // version ff, non-hex version
        b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        // version 00 must be exactly 55 characters
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        b"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        // wrong separators
        b"00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
        // a future version still needs the 00 layout and `-` after flags
        b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
        b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
        // two values combined into one field
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ];
    for case in cases {
        assert_eq!(
            TraceParent::parse(case),
            None,
            "{}",
            String::from_utf8_lossy(case)
        );
    }
}

#[test]
fn future_versions_parse_forward_compatibly() {
    let longer = b"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-says";
    let p = TraceParent::parse(longer).expect("future version");
    assert_eq!(p.version, 0xcc);
    assert_eq!(p.flags, 0x09);
    assert!(p.sampled());
    let exact = b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    assert!(!TraceParent::parse(exact).expect("same length").sampled());
    // Surrounding whitespace is not part of the value.
    assert!(
        TraceParent::parse(b" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\t").is_some()
    );
}

fn counter() -> impl FnMut() -> u64 {
    let mut n = 0u64;
    move || {
        n += 1;
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

#[test]
fn continues_a_valid_trace_with_a_new_parent() {
    let ctx = SpanContext::start(Some(VALID), &Sampler::new(0.0), counter());
    let caller = TraceParent::parse(VALID).expect("valid");
    assert!(ctx.continued());
    assert_eq!(ctx.trace_id, caller.trace_id);
    assert_eq!(ctx.parent_id, Some(caller.parent_id));
    assert_ne!(ctx.span_id, caller.parent_id);
    // The caller's sampled flag wins over the ratio for new traces.
    assert!(ctx.sampled);
    let sent = TraceParent::parse(&ctx.traceparent).expect("what is sent is valid");
    assert_eq!(sent.version, 0);
    assert_eq!(sent.trace_id, caller.trace_id);
    assert_eq!(sent.parent_id, ctx.span_id);
    assert_eq!(sent.flags, 0x01);
    assert_eq!(ctx.trace_id_hex(), &VALID[3..35]);

    let unsampled = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let ctx = SpanContext::start(Some(unsampled), &Sampler::new(1.0), counter());
    assert!(!ctx.sampled);
    assert!(ctx.traceparent.ends_with(b"-00"));
}

#[test]
fn starts_a_trace_when_absent_or_invalid() {
    for received in [None, Some(&b"00-zz"[..])] {
        let ctx = SpanContext::start(received, &Sampler::new(1.0), counter());
        assert!(!ctx.continued());
        assert_eq!(ctx.parent_id, None);
        assert!(ctx.sampled);
        let sent = TraceParent::parse(&ctx.traceparent).expect("valid");
        assert_eq!(sent.trace_id, ctx.trace_id);
        assert_eq!(sent.parent_id, ctx.span_id);
        assert_eq!(sent.flags, 0x03, "sampled and random");
        let never = SpanContext::start(received, &Sampler::new(0.0), counter());
        assert!(!never.sampled);
        assert_eq!(never.traceparent.len(), LEN);
        assert!(never.traceparent.ends_with(b"-02"));
    }
    // Ids never come out all zero, even from a zero random source.
    let ctx = SpanContext::start(None, &Sampler::new(1.0), || 0);
    assert_ne!(ctx.trace_id, [0; 16]);
    assert_ne!(ctx.span_id, [0; 8]);
}

#[test]
fn sampler_ratio() {
    let half = Sampler::new(0.5);
    assert!(half.sample(0));
    assert!(!half.sample(u64::MAX));
    assert!(Sampler::new(1.0).sample(u64::MAX));
    assert!(!Sampler::new(0.0).sample(0));
    let mut draw = counter();
    let hits = (0..10_000)
        .filter(|_| Sampler::new(0.25).sample(draw()))
        .count();
    assert!((2_000..3_000).contains(&hits), "{hits}");
}

fn attr<'a>(span: &'a otlp::Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

#[test]
fn span_attributes_follow_the_http_conventions() {
    let ctx = SpanContext::start(Some(VALID), &Sampler::new(1.0), counter());
    let record = SpanRecord {
        context: &ctx,
        tracestate: Some(b"congo=t61rcWkgMzE"),
        start_unix_nanos: 1_000,
        end_unix_nanos: 5_000,
        method: b"GET",
        target: b"/api/users?id=7",
        scheme: "http",
        version: Version::Http11,
        host: Some(b"api.example:8080"),
        client: "127.0.0.1:5555".parse().expect("addr"),
        status: 503,
        route: Some("api"),
        http_route: Some("/api/*"),
        upstream: Some("svc"),
        upstream_addr: Some("127.0.0.1:9000".parse().expect("addr")),
        user_agent: Some(b"curl/8"),
        shard: 1,
    };
    let span = record.to_span();
    assert_eq!(span.name, "GET /api/*");
    assert_eq!(span.kind, otlp::SPAN_KIND_SERVER);
    assert_eq!(span.trace_state, "congo=t61rcWkgMzE");
    assert_eq!(
        span.parent_span_id,
        TraceParent::parse(VALID)
            .map(|p| p.parent_id.to_vec())
            .unwrap_or_default()
    );
    let s = |v: &str| Some(Value::String(v.to_owned()));
    assert_eq!(attr(&span, "http.request.method").cloned(), s("GET"));
    assert_eq!(attr(&span, "url.path").cloned(), s("/api/users"));
    assert_eq!(attr(&span, "url.query").cloned(), s("id=7"));
    assert_eq!(attr(&span, "server.address").cloned(), s("api.example"));
    assert_eq!(attr(&span, "server.port").cloned(), Some(Value::Int(8080)));
    assert_eq!(
        attr(&span, "http.response.status_code").cloned(),
        Some(Value::Int(503))
    );
    assert_eq!(attr(&span, "ringgate.shard").cloned(), Some(Value::Int(1)));
    assert_eq!(attr(&span, "error.type").cloned(), s("503"));
    assert_eq!(
        span.status.as_ref().map(|s| s.code),
        Some(otlp::STATUS_CODE_ERROR)
    );
    assert_eq!(
        span.flags,
        0x01 | otlp::FLAG_HAS_IS_REMOTE | otlp::FLAG_IS_REMOTE
    );

    // The owned copy the shard keeps gives back the same span.
    assert_eq!(SpanData::new(&record).record().to_span(), span);

    let ok = SpanRecord {
        status: 200,
        method: b"BREW",
        host: Some(b"[::1]:99"),
        ..record
    }
    .to_span();
    assert_eq!(ok.name, "HTTP");
    assert_eq!(attr(&ok, "http.request.method").cloned(), s("_OTHER"));
    assert_eq!(
        attr(&ok, "http.request.method_original").cloned(),
        s("BREW")
    );
    assert_eq!(attr(&ok, "server.address").cloned(), s("::1"));
    assert!(ok.status.is_none());
    assert!(attr(&ok, "error.type").is_none());
}

#[test]
fn export_request_round_trips() {
    let ctx = SpanContext::start(None, &Sampler::new(1.0), counter());
    let span = SpanRecord {
        context: &ctx,
        tracestate: None,
        start_unix_nanos: 1,
        end_unix_nanos: 2,
        method: b"POST",
        target: b"/",
        scheme: "https",
        version: Version::Http10,
        host: None,
        client: "[::1]:1".parse().expect("addr"),
        status: 0,
        route: None,
        http_route: None,
        upstream: None,
        upstream_addr: None,
        user_agent: None,
        shard: 0,
    }
    .to_span();
    assert!(span.parent_span_id.is_empty());
    assert_eq!(span.name, "POST");
    // Absent and empty texts survive the owned copy as they were.
    let base = SpanRecord {
        context: &ctx,
        tracestate: None,
        start_unix_nanos: 1,
        end_unix_nanos: 2,
        method: b"POST",
        target: b"",
        scheme: "https",
        version: Version::Http10,
        host: None,
        client: "[::1]:1".parse().expect("addr"),
        status: 0,
        route: None,
        http_route: None,
        upstream: None,
        upstream_addr: None,
        user_agent: Some(b""),
        shard: 0,
    };
    let copy = SpanData::new(&base);
    let back = copy.record();
    assert_eq!(
        (back.target, back.user_agent, back.host),
        (&b""[..], Some(&b""[..]), None)
    );
    assert_eq!((back.method, back.scheme), (&b"POST"[..], "https"));
    let body = otlp::export_request("edge", vec![span.clone()]).encode_to_vec();
    let back = otlp::ExportTraceServiceRequest::decode(&body[..]).expect("decodes");
    assert_eq!(back.resource_spans[0].scope_spans[0].spans, vec![span]);
}

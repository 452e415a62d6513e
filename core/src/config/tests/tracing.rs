//! Tests of `[server.tracing]`: defaults, every key, refusals by path.

use super::super::tracing::parse_endpoint;
use super::super::*;
use super::{errors, single_error, MINIMAL};
use std::time::Duration;

fn tracing(body: &str) -> String {
    format!("{MINIMAL}[server.tracing]\n{body}\n")
}

#[test]
fn absent_is_off_and_empty_is_propagation_only() {
    assert!(load_str(MINIMAL).unwrap().server.tracing.is_none());
    let t = load_str(&tracing("")).unwrap().server.tracing.unwrap();
    assert!(t.enabled);
    assert_eq!(t.sample, 1.0);
    assert_eq!(t.service_name, "ringgate");
    assert!(t.export.is_none());
}

#[test]
fn every_key() {
    let t = load_str(&tracing(
        r#"enabled = false
sample = 0.25
service_name = "edge"
otlp_endpoint = "http://127.0.0.1:4318/v1/traces"
batch_size = 100
flush_interval = "200ms"
queue = 8
export_timeout = "2s""#,
    ))
    .unwrap()
    .server
    .tracing
    .unwrap();
    assert!(!t.enabled);
    assert_eq!(t.sample, 0.25);
    assert_eq!(t.service_name, "edge");
    let e = t.export.unwrap();
    assert_eq!(
        (e.host.as_str(), e.port, e.path.as_str()),
        ("127.0.0.1", 4318, "/v1/traces")
    );
    assert_eq!(e.batch_size, 100);
    assert_eq!(e.flush_interval, Duration::from_millis(200));
    assert_eq!(e.queue, 8);
    assert_eq!(e.timeout, Duration::from_secs(2));
}

#[test]
fn endpoints() {
    let ok = |u: &str| parse_endpoint(u).unwrap();
    assert_eq!(
        ok("http://collector"),
        ("collector".into(), 80, "/v1/traces".into())
    );
    assert_eq!(
        ok("http://[::1]:4318/otlp/v1/traces"),
        ("::1".into(), 4318, "/otlp/v1/traces".into())
    );
    for bad in [
        "https://c:4318/v1/traces",
        "c:4318",
        "http://:4318/",
        "http://c:0/",
        "http://c:99999/",
        "http://[::1/",
    ] {
        assert!(parse_endpoint(bad).is_err(), "{bad}");
    }
}

#[test]
fn refusals_name_their_key() {
    single_error(&tracing("sample = 1.5"), "server.tracing.sample", "0..=1");
    single_error(
        &tracing("service_name = \" \""),
        "server.tracing.service_name",
        "empty",
    );
    single_error(
        &tracing("otlp_endpoint = \"https://x/\""),
        "server.tracing.otlp_endpoint",
        "http://",
    );
    single_error(
        &tracing("otlp_endpoint = \"http://x/\"\nbatch_size = 0"),
        "server.tracing.batch_size",
        "1..=65536",
    );
    single_error(
        &tracing("queue = 4"),
        "server.tracing.queue",
        "only with server.tracing.otlp_endpoint",
    );
    let e = errors(&tracing("bogus = 1"));
    assert!(e[0].contains("server.tracing.bogus"), "{e:?}");
}

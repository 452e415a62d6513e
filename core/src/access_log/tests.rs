use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn record(time_secs: u64) -> Record<'static> {
    Record {
        time: UNIX_EPOCH + Duration::from_millis(time_secs * 1000 + 250),
        request_id: b"abc123",
        trace_id: Some(b"4bf92f3577b34da6a3ce929d0e0e4736"),
        client: "192.0.2.7:5555".parse().unwrap_or_else(|_| unreachable!()),
        method: b"GET",
        target: b"/a \"b\"\\c?x=\x01",
        version: Version::Http11,
        status: 200,
        bytes_in: 80,
        bytes_out: 1234,
        route: Some("users"),
        upstream: Some("users-svc"),
        target_addr: "127.0.0.1:9000".parse().ok(),
        upstream_time: Some(Duration::from_micros(1500)),
        total_time: Duration::from_micros(2250),
        tls: "plain",
        referer: None,
        user_agent: Some(b"curl/8.0"),
    }
}

#[test]
fn civil_dates() {
    let c = civil(UNIX_EPOCH);
    assert_eq!((c.year, c.month, c.day, c.hour), (1970, 1, 1, 0));
    // 2000-02-29T12:34:56Z (a leap day) = 951827696.
    let c = civil(UNIX_EPOCH + Duration::from_secs(951_827_696));
    assert_eq!(
        (c.year, c.month, c.day, c.hour, c.minute, c.second),
        (2000, 2, 29, 12, 34, 56)
    );
    // 2026-12-01T00:00:00Z = 1796083200.
    let c = civil(UNIX_EPOCH + Duration::from_secs(1_796_083_200));
    assert_eq!((c.year, c.month, c.day), (2026, 12, 1));
}

#[test]
fn json_line_is_valid_and_escaped() {
    let mut out = Vec::new();
    json(&record(951_827_696), &mut out);
    assert_eq!(out.last(), Some(&b'\n'));
    let v: serde_json::Value =
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(v["time"], "2000-02-29T12:34:56.250Z");
    assert_eq!(v["path"], "/a \"b\"\\c?x=\u{1}");
    assert_eq!(v["status"], 200);
    assert_eq!(v["bytes_out"], 1234);
    assert_eq!(v["upstream_addr"], "127.0.0.1:9000");
    assert_eq!(v["upstream_time_ms"], 1.5);
    assert_eq!(v["total_time_ms"], 2.25);
    assert_eq!(v["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(v["referer"], serde_json::Value::Null);
    assert_eq!(v["client"], "192.0.2.7");
}

#[test]
fn json_replaces_invalid_utf8() {
    let mut r = record(0);
    r.target = b"/\xff\xfe";
    let mut out = Vec::new();
    json(&r, &mut out);
    let v: serde_json::Value =
        serde_json::from_slice(&out).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    assert_eq!(v["path"], "/\u{fffd}\u{fffd}");
}

#[test]
fn combined_matches_nginx() {
    let mut out = Vec::new();
    combined(&record(951_827_696), &mut out);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "192.0.2.7 - - [29/Feb/2000:12:34:56 +0000] \"GET /a \\x22b\\x22\\x5Cc?x=\\x01 HTTP/1.1\" 200 1234 \"-\" \"curl/8.0\"\n"
    );
}

#[test]
fn traceparent_trace_ids() {
    let ok = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    assert_eq!(trace_id(ok), Some(&b"4bf92f3577b34da6a3ce929d0e0e4736"[..]));
    for bad in [
        &b"00-00000000000000000000000000000000-00f067aa0ba902b7-01"[..],
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        b"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        b"garbage",
    ] {
        assert_eq!(trace_id(bad), None, "{}", String::from_utf8_lossy(bad));
    }
    // A later version may append fields.
    assert!(trace_id(b"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz").is_some());
}

#[test]
fn request_ids() {
    assert_eq!(&new_request_id(0, 1), b"00000000000000000000000000000001");
    assert_eq!(
        &new_request_id(u64::MAX, 0xab),
        b"ffffffffffffffff00000000000000ab"
    );
    assert!(valid_request_id(b"req-42"));
    assert!(!valid_request_id(b""));
    assert!(!valid_request_id(b"a b"));
    assert!(!valid_request_id(&[b'a'; 201]));
}

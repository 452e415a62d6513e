//! The JSON-lines access log format: one object per line, fixed key order.

use std::fmt::Write as _;

use super::{civil, Record};
use crate::http1::Version;

/// Append `r` as one JSON object and a newline.
pub fn json(r: &Record<'_>, out: &mut Vec<u8>) {
    let t = civil(r.time);
    let mut s = String::with_capacity(384);
    let _ = write!(
        s,
        "{{\"time\":\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis
    );
    s.push_str(",\"request_id\":");
    string(&mut s, r.request_id);
    s.push_str(",\"trace_id\":");
    opt(&mut s, r.trace_id);
    let _ = write!(s, ",\"client\":\"{}\"", r.client.ip());
    s.push_str(",\"method\":");
    string(&mut s, r.method);
    s.push_str(",\"path\":");
    string(&mut s, r.target);
    let proto = match r.version {
        Version::Http10 => "HTTP/1.0",
        Version::Http11 => "HTTP/1.1",
    };
    let _ = write!(
        s,
        ",\"protocol\":\"{proto}\",\"status\":{},\"bytes_in\":{},\"bytes_out\":{}",
        r.status, r.bytes_in, r.bytes_out
    );
    s.push_str(",\"route\":");
    opt(&mut s, r.route.map(str::as_bytes));
    s.push_str(",\"upstream\":");
    opt(&mut s, r.upstream.map(str::as_bytes));
    match r.target_addr {
        Some(a) => {
            let _ = write!(s, ",\"upstream_addr\":\"{a}\"");
        }
        None => s.push_str(",\"upstream_addr\":null"),
    }
    match r.upstream_time {
        Some(d) => {
            let _ = write!(s, ",\"upstream_time_ms\":{:.3}", d.as_secs_f64() * 1e3);
        }
        None => s.push_str(",\"upstream_time_ms\":null"),
    }
    let _ = write!(
        s,
        ",\"total_time_ms\":{:.3}",
        r.total_time.as_secs_f64() * 1e3
    );
    s.push_str(",\"tls\":");
    string(&mut s, r.tls.as_bytes());
    s.push_str(",\"user_agent\":");
    opt(&mut s, r.user_agent);
    s.push_str(",\"referer\":");
    opt(&mut s, r.referer);
    s.push_str("}\n");
    out.extend_from_slice(s.as_bytes());
}

fn opt(s: &mut String, v: Option<&[u8]>) {
    match v {
        Some(v) => string(s, v),
        None => s.push_str("null"),
    }
}

/// A JSON string literal of `bytes` (invalid UTF-8 replaced by U+FFFD).
fn string(s: &mut String, bytes: &[u8]) {
    s.push('"');
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

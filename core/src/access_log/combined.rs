//! nginx's "combined" log format, byte for byte:
//! `$remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent
//! "$http_referer" "$http_user_agent"` (the size is every byte sent for the
//! request, head included, like `$bytes_sent`), with times in UTC
//! (`+0000`) and nginx's escaping (`"`, `\` and bytes outside 0x20..0x7e as
//! `\xHH`). ringgate sends no Basic user name here: `$remote_user` is `-`.

use std::fmt::Write as _;

use super::{civil, Record};
use crate::http1::Version;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Append `r` as one combined-format line and a newline.
pub fn combined(r: &Record<'_>, out: &mut Vec<u8>) {
    let t = civil(r.time);
    let month = MONTHS
        .get(usize::try_from(t.month).unwrap_or(1).saturating_sub(1))
        .unwrap_or(&"Jan");
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "{} - - [{:02}/{month}/{:04}:{:02}:{:02}:{:02} +0000] \"",
        r.client.ip(),
        t.day,
        t.year,
        t.hour,
        t.minute,
        t.second
    );
    escaped(&mut s, r.method);
    s.push(' ');
    escaped(&mut s, r.target);
    s.push_str(match r.version {
        Version::Http10 => " HTTP/1.0\" ",
        Version::Http11 => " HTTP/1.1\" ",
    });
    let _ = write!(s, "{} {} \"", r.status, r.bytes_out);
    field(&mut s, r.referer);
    s.push_str("\" \"");
    field(&mut s, r.user_agent);
    s.push_str("\"\n");
    out.extend_from_slice(s.as_bytes());
}

fn field(s: &mut String, v: Option<&[u8]>) {
    match v {
        Some(v) if !v.is_empty() => escaped(s, v),
        _ => s.push('-'),
    }
}

fn escaped(s: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            let _ = write!(s, "\\x{b:02X}");
        } else {
            s.push(char::from(b));
        }
    }
}

//! The human-readable report printed at the end (wrk's layout, plus more).

use std::fmt::Write;

use super::{Percentiles, Summary};

/// `850us`, `1.25ms`, `2.50s`.
pub fn fmt_us(us: f64) -> String {
    if us < 1000.0 {
        format!("{us:.0}us")
    } else if us < 1_000_000.0 {
        format!("{:.2}ms", us / 1e3)
    } else {
        format!("{:.2}s", us / 1e6)
    }
}

/// `512B`, `1.50KB`, `98.30MB`, `1.20GB` (powers of 1024, as wrk).
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{v:.0}{}", UNITS[u])
    } else {
        format!("{v:.2}{}", UNITS[u])
    }
}

fn distribution(out: &mut String, title: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "  {title:<13} mean {:>9}  stdev {:>9}  max {:>9}",
        fmt_us(p.mean),
        fmt_us(p.stdev),
        fmt_us(p.max as f64)
    );
    let _ = writeln!(
        out,
        "  {:<13} p50 {:>9}  p75 {:>9}  p90 {:>9}  p99 {:>9}  p99.9 {:>9}  p99.99 {:>9}",
        "",
        fmt_us(p.p50 as f64),
        fmt_us(p.p75 as f64),
        fmt_us(p.p90 as f64),
        fmt_us(p.p99 as f64),
        fmt_us(p.p999 as f64),
        fmt_us(p.p9999 as f64)
    );
}

/// Render the end-of-run report.
pub fn render(s: &Summary) -> String {
    let plan = &s.plan;
    let mut out = String::new();
    let what = match (plan.duration, plan.requests) {
        (Some(d), _) => humantime::format_duration(d).to_string(),
        (None, Some(n)) => format!("{n}-request"),
        (None, None) => String::new(),
    };
    let _ = writeln!(out, "Running {what} test @ {}", plan.urls.join(", "));
    if s.interrupted {
        let _ = writeln!(out, "  interrupted after {:.2}s", s.duration.as_secs_f64());
    }
    let mode = match plan.rate {
        Some(r) => format!("open loop at {r:.0} req/s"),
        None => "closed loop".to_string(),
    };
    let _ = writeln!(
        out,
        "  {} threads and {} connections, {mode}, pipeline {}, {}",
        plan.threads, plan.connections, plan.pipeline, s.driver
    );
    let latency_title = if plan.rate.is_some() {
        "Latency (CO)"
    } else {
        "Latency"
    };
    distribution(&mut out, latency_title, &Percentiles::of(&s.stats.latency));
    if let Some(h) = &s.stats.service {
        distribution(&mut out, "Service time", &Percentiles::of(h));
    }
    if let Some(h) = &s.stats.lag {
        distribution(&mut out, "Send lag", &Percentiles::of(h));
    }
    let _ = writeln!(
        out,
        "  {} requests in {:.2}s, {} read",
        s.stats.requests,
        s.duration.as_secs_f64(),
        fmt_bytes(s.stats.bytes as f64)
    );
    let statuses: Vec<String> = s
        .stats
        .status_counts()
        .map(|(c, n)| format!("{c}: {n}"))
        .collect();
    if !statuses.is_empty() {
        let _ = writeln!(out, "  Status codes: {}", statuses.join(", "));
    }
    let e = &s.stats.errors;
    if e.total() > 0 {
        let _ = writeln!(
            out,
            "  Errors: connect {}, read {}, write {}, timeout {}, protocol {}",
            e.connect, e.read, e.write, e.timeout, e.protocol
        );
    }
    let threads: Vec<String> = s
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cpu = t.cpu.map_or("-".to_string(), |c| c.to_string());
            let busy = t
                .busy
                .map_or("?".to_string(), |b| format!("{:.0}%", 100.0 * b));
            format!("#{i} cpu {cpu} busy {busy}")
        })
        .collect();
    let _ = writeln!(out, "  Threads: {}", threads.join(", "));
    let _ = writeln!(out, "Requests/sec: {:>12.2}", s.rps());
    let _ = writeln!(out, "Transfer/sec: {:>12}", fmt_bytes(s.bytes_per_s()));
    for w in &s.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(fmt_us(850.0), "850us");
        assert_eq!(fmt_us(1250.0), "1.25ms");
        assert_eq!(fmt_us(2_500_000.0), "2.50s");
        assert_eq!(fmt_bytes(512.0), "512B");
        assert_eq!(fmt_bytes(1536.0), "1.50KB");
        assert_eq!(fmt_bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.00GB");
    }
}

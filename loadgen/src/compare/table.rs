//! The side-by-side table and the test lines `ringload compare` prints.

use std::fmt::Write;
use std::path::Path;

use super::verdict::{Check, Verdict, ALPHA};
use crate::report::json::JsonReport;
use crate::report::text::fmt_us;

fn ratio(base: f64, new: f64) -> String {
    if base > 0.0 {
        format!("{:.3}", new / base)
    } else {
        "-".to_string()
    }
}

fn row(out: &mut String, name: &str, base: String, new: String, ratio: String) {
    let _ = writeln!(out, "  {name:<18} {base:>12} {new:>12} {ratio:>10}");
}

fn latency_row(out: &mut String, name: &str, base: u64, new: u64) {
    row(
        out,
        name,
        fmt_us(base as f64),
        fmt_us(new as f64),
        ratio(base as f64, new as f64),
    );
}

fn test_line(out: &mut String, name: &str, c: &Check) {
    let t = &c.test;
    let _ = writeln!(
        out,
        "  {name:<22} n = {}/{}  U = {:.1}  z = {:+.3}  p = {:.4}  {}",
        t.n1,
        t.n2,
        t.u,
        t.z,
        t.p,
        c.noise_word()
    );
}

/// The Mann–Whitney lines of a verdict (throughput and p99 tests, and a
/// note when there are too few samples for any test to be significant).
pub fn tests_text(v: &Verdict) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Mann-Whitney U over per-second intervals (two-sided, normal approximation, \
         tie corrected, alpha {ALPHA}):"
    );
    test_line(&mut out, "throughput (req/s)", &v.throughput);
    test_line(&mut out, "latency p99 (us)", &v.p99);
    let few = v.throughput.test.n1.min(v.throughput.test.n2);
    if few < 4 {
        let _ = writeln!(
            out,
            "  note: {few} interval sample(s) in the shorter run: with fewer than 4 per run \
             the test can never reach p < {ALPHA}; run for at least 5s"
        );
    }
    out
}

/// The whole comparison as text (without the verdict line).
pub fn render(
    base_path: &Path,
    base: &JsonReport,
    new_path: &Path,
    new: &JsonReport,
    v: &Verdict,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "BASE: {}", base_path.display());
    let _ = writeln!(out, "NEW:  {}", new_path.display());
    let mode = |r: &JsonReport| {
        if r.open_loop {
            format!("open loop {} req/s", r.target_rate.unwrap_or(0.0))
        } else {
            "closed loop".to_string()
        }
    };
    if base.open_loop != new.open_loop {
        let _ = writeln!(
            out,
            "WARNING: BASE is {}, NEW is {}: latencies are not comparable",
            mode(base),
            mode(new)
        );
    }
    row(&mut out, "", "BASE".into(), "NEW".into(), "NEW/BASE".into());
    row(
        &mut out,
        "req/s",
        format!("{:.2}", base.rps),
        format!("{:.2}", new.rps),
        ratio(base.rps, new.rps),
    );
    let (b, n) = (&base.latency_us, &new.latency_us);
    let lat = if base.open_loop && new.open_loop {
        "latency (CO)"
    } else {
        "latency"
    };
    for (name, bv, nv) in [
        ("p50", b.p50, n.p50),
        ("p90", b.p90, n.p90),
        ("p99", b.p99, n.p99),
        ("p99.9", b.p999, n.p999),
        ("max", b.max, n.max),
    ] {
        latency_row(&mut out, &format!("{lat} {name}"), bv, nv);
    }
    if let (Some(bs), Some(ns)) = (&base.service_time_us, &new.service_time_us) {
        latency_row(&mut out, "service time p99", bs.p99, ns.p99);
    }
    let errs = |r: &JsonReport| {
        let e = &r.errors;
        e.connect + e.read + e.write + e.timeout + e.protocol
    };
    row(
        &mut out,
        "errors",
        errs(base).to_string(),
        errs(new).to_string(),
        String::new(),
    );
    out.push_str(&tests_text(v));
    for w in &base.warnings {
        let _ = writeln!(out, "BASE WARNING: {w}");
    }
    for w in &new.warnings {
        let _ = writeln!(out, "NEW WARNING: {w}");
    }
    out
}

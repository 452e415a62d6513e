//! The table `ringbench compare` prints (and keeps in `table.txt`): one row
//! per proxy, a ratio row, the Mann–Whitney lines and verdict of
//! `ringload compare`, then warnings and failures.

use std::fmt::Write;

use ringload::compare::table::tests_text;
use ringload::report::text::fmt_us;

use super::servers::Proxy;
use super::summary::{Figures, Summary};

fn row(out: &mut String, name: &str, cells: [String; 6]) {
    let [rps, cpu, p50, p99, p999, open_cpu] = cells;
    let _ = writeln!(
        out,
        "{name:<16} {rps:>11} {cpu:>11}   {p50:>9} {p99:>9} {p999:>9} {open_cpu:>11}"
    );
}

/// `-` for what could not be measured.
fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "-".to_string()
    }
}

fn us(v: f64) -> String {
    if v.is_finite() {
        fmt_us(v)
    } else {
        "-".to_string()
    }
}

fn figures_row(out: &mut String, name: &str, f: &Figures) {
    let l = &f.latency_us;
    row(
        out,
        name,
        [
            num(f.rps, 0),
            num(f.cpu_us_per_request, 2),
            us(l.p50),
            us(l.p99),
            us(l.p999),
            num(f.open_cpu_us_per_request, 2),
        ],
    );
}

fn ratio_row(out: &mut String, f: &Figures) {
    let l = &f.latency_us;
    row(
        out,
        "ringgate/nginx",
        [
            num(f.rps, 3),
            num(f.cpu_us_per_request, 3),
            num(l.p50, 3),
            num(l.p99, 3),
            num(l.p999, 3),
            num(f.open_cpu_us_per_request, 3),
        ],
    );
}

/// The whole text.
pub fn render(s: &Summary, results: &str) -> String {
    let c = &s.settings;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ringbench compare: ringgate (1 shard) vs nginx (1 worker) as reverse proxies"
    );
    let _ = writeln!(
        out,
        "  origin: {}; origin and proxy on CPU {}; ringload -t 1 -c {} on CPU {}",
        c.origin, c.proxy_cpu, c.connections, c.load_cpu
    );
    if let Some(tls) = &c.tls {
        let _ = writeln!(out, "  https: {tls}");
    }
    let _ = writeln!(
        out,
        "  {} run(s) of {}s per proxy and mode, alternating nginx, ringgate; medians over the runs",
        c.runs, c.duration_s
    );
    let _ = writeln!(out);
    let open = format!(
        "open loop at {} req/s{}: latency from the intended send (CO corrected)",
        c.rate,
        if c.rate_auto { " (auto)" } else { "" }
    );
    let _ = writeln!(out, "{:<16} {:<23}   {open}", "", "closed loop: throughput");
    row(
        &mut out,
        "proxy",
        ["req/s", "CPU us/req", "p50", "p99", "p99.9", "CPU us/req"].map(String::from),
    );
    for p in Proxy::BOTH {
        figures_row(&mut out, p.name(), s.figures(p));
    }
    ratio_row(&mut out, &s.ratios);
    let _ = writeln!(
        out,
        "  (ratios: req/s above 1 favours ringgate; latency and CPU below 1 favour ringgate. \
         CPU = the proxy process's user+system time / requests)"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "ringload compare, BASE nginx, NEW ringgate (throughput: closed-loop seconds; \
         p99: open-loop seconds)"
    );
    out.push_str(&tests_text(&s.judged));
    let _ = writeln!(out, "{}", s.verdict.line);
    for w in &s.warnings {
        let _ = writeln!(out, "WARNING: {w}");
    }
    for f in &s.failures {
        let _ = writeln!(out, "FAIL: {f}");
    }
    let _ = writeln!(out, "results: {results}");
    out
}

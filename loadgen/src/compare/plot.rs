//! `--plot`: latency-by-percentile curves as a small hand-written SVG,
//! drawn as the HdrHistogram plotter does: x is `log10(1/(1-p))` with ticks
//! at 0%, 90%, 99%, 99.9%, ...; y is latency in milliseconds.

use std::fmt::Write;

use crate::report::json::JsonReport;

const W: f64 = 800.0;
const H: f64 = 500.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// The points to draw: `(log10(1/(1-p)), µs)`, without 100% (max), from the
/// report's `percentiles` or, for reports without it, the summary's
/// p50..p99.99.
pub fn curve(r: &JsonReport) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, u64)> = if r.percentiles.is_empty() {
        let l = &r.latency_us;
        vec![
            (0.0, l.min),
            (50.0, l.p50),
            (75.0, l.p75),
            (90.0, l.p90),
            (99.0, l.p99),
            (99.9, l.p999),
            (99.99, l.p9999),
        ]
    } else {
        r.percentiles.clone()
    };
    pts.into_iter()
        .filter(|&(p, _)| (0.0..100.0).contains(&p))
        .map(|(p, us)| ((1.0 / (1.0 - p / 100.0)).log10(), us as f64))
        .collect()
}

/// `0%`, `90%`, `99%`, `99.9%`, ... for decade `d`.
fn tick_label(d: u32) -> String {
    if d == 0 {
        return "0%".to_string();
    }
    match d {
        1 => "90%".to_string(),
        2 => "99%".to_string(),
        _ => format!("99.{}%", "9".repeat(d as usize - 2)),
    }
}

/// A round step for about `n` y ticks up to `max`.
fn nice_step(max: f64, n: f64) -> f64 {
    let raw = (max / n).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Colour of BASE's curve.
pub const BASE_COLOR: &str = "#1f77b4";
/// Colour of NEW's curve.
pub const NEW_COLOR: &str = "#d62728";

/// One curve to draw: its legend label, its stroke colour, its report.
#[derive(Debug, Clone, Copy)]
pub struct Curve<'a> {
    /// Legend text.
    pub label: &'a str,
    /// SVG colour, e.g. `#1f77b4`.
    pub color: &'a str,
    /// The report whose latency distribution it draws.
    pub report: &'a JsonReport,
}

/// The SVG document for BASE and NEW.
pub fn svg(base: &JsonReport, new: &JsonReport) -> String {
    svg_curves(&[
        Curve {
            label: "BASE",
            color: BASE_COLOR,
            report: base,
        },
        Curve {
            label: "NEW",
            color: NEW_COLOR,
            report: new,
        },
    ])
}

/// The SVG document for any number of curves (legend in the given order).
pub fn svg_curves(wanted: &[Curve<'_>]) -> String {
    let curves: Vec<_> = wanted
        .iter()
        .map(|c| (c.label, c.color, curve(c.report)))
        .collect();
    let xmax_data = curves
        .iter()
        .flat_map(|c| c.2.iter().map(|p| p.0))
        .fold(0.0f64, f64::max);
    let decades = (xmax_data.ceil().max(2.0) as u32).min(6);
    let xmax = f64::from(decades);
    let ymax_ms = curves
        .iter()
        .flat_map(|c| c.2.iter().map(|p| p.1 / 1000.0))
        .fold(0.0f64, f64::max)
        .max(0.001)
        * 1.05;
    let step = nice_step(ymax_ms, 5.0);
    let ytop = (ymax_ms / step).ceil() * step;
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + x.min(xmax) / xmax * pw;
    let sy = |ms: f64| TOP + ph - ms / ytop * ph;

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">Latency by percentile distribution</text>"#,
        W / 2.0
    );
    // Grid and ticks.
    for d in 0..=decades {
        let x = sx(f64::from(d));
        let _ = writeln!(
            o,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            TOP + ph,
            TOP + ph + 16.0,
            tick_label(d)
        );
    }
    let mut v = 0.0;
    while v <= ytop + step / 2.0 {
        let y = sy(v);
        let _ = writeln!(
            o,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            fmt_ms(v, step)
        );
        v += step;
    }
    let _ = writeln!(
        o,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        o,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">Percentile</text>"#,
        LEFT + pw / 2.0,
        H - 12.0
    );
    let _ = writeln!(
        o,
        r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">Latency (milliseconds)</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0
    );
    // Curves: straight segments between the points.
    for (i, (name, color, pts)) in curves.iter().enumerate() {
        let mut d = String::new();
        for (k, &(x, us)) in pts.iter().enumerate() {
            let cmd = if k == 0 { 'M' } else { 'L' };
            let _ = write!(d, "{cmd}{:.1},{:.1} ", sx(x), sy(us / 1000.0));
        }
        if !d.is_empty() {
            let _ = writeln!(
                o,
                r#"<path d="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                d.trim_end()
            );
        }
        let ly = TOP + 16.0 + 18.0 * i as f64;
        let lx = LEFT + 12.0;
        let _ = writeln!(
            o,
            r#"<line x1="{lx}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/><text x="{:.1}" y="{ly:.1}">{}</text>"#,
            ly - 4.0,
            lx + 24.0,
            ly - 4.0,
            lx + 30.0,
            escape(name)
        );
    }
    o.push_str("</svg>\n");
    o
}

fn fmt_ms(v: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{v:.0}")
    } else {
        let decimals = (-step.log10().floor()) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels() {
        let l: Vec<String> = (0..=5).map(tick_label).collect();
        assert_eq!(l, ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]);
    }

    #[test]
    fn curve_x_is_log_inverse_tail() {
        let mut r: JsonReport = crate::compare::tests::report(&[(1000, 100)]);
        r.percentiles = vec![(0.0, 10), (90.0, 20), (99.0, 30), (100.0, 40)];
        let c = curve(&r);
        assert_eq!(c.len(), 3, "100% is not drawn");
        assert!((c[1].0 - 1.0).abs() < 1e-9 && (c[2].0 - 2.0).abs() < 1e-9);
        let s = svg(&r, &r);
        assert!(s.starts_with("<svg") && s.contains("99%") && s.contains("<path"));
    }

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(0.9, 5.0), 0.2);
        assert_eq!(nice_step(7000.0, 5.0), 2000.0);
    }
}

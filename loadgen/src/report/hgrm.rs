//! HdrHistogram's percentile distribution text (`.hgrm`), as Java's
//! `outputPercentileDistribution(out, 5, 1000.0)` writes it: values scaled
//! from microseconds to milliseconds, five ticks per half distance, the
//! `#[Mean ...]`, `#[Max ...]`, `#[Buckets ...]` footer. The HdrHistogram
//! plotter (hdrhistogram.github.io/HdrHistogram/plotFiles.html) reads it.

use std::fmt::Write;

use hdrhistogram::Histogram;

/// Ticks per half distance to 100%, as wrk2 and the Java default use.
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;
/// Microseconds per output unit (milliseconds).
pub const SCALE: f64 = 1000.0;

/// Render `h` (values in µs) with values in ms.
pub fn render(h: &Histogram<u64>) -> String {
    let digits = usize::from(h.sigfig());
    let mut out = String::new();
    let _ = write!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    if !h.is_empty() {
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            total += v.count_since_last_iteration();
            let value = v.value_iterated_to() as f64 / SCALE;
            let q = v.quantile_iterated_to();
            if q < 1.0 {
                let _ = writeln!(
                    out,
                    "{value:>12.digits$} {q:>2.12} {total:>10} {:>14.2}",
                    1.0 / (1.0 - q)
                );
            } else {
                let _ = writeln!(out, "{value:>12.digits$} {q:>2.12} {total:>10}");
            }
        }
    }
    let (mean, stdev, max) = if h.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        (h.mean() / SCALE, h.stdev() / SCALE, h.max() as f64 / SCALE)
    };
    let _ = writeln!(
        out,
        "#[Mean    = {mean:>12.digits$}, StdDeviation   = {stdev:>12.digits$}]"
    );
    let _ = writeln!(
        out,
        "#[Max     = {max:>12.digits$}, Total count    = {:>12}]",
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_buckets(h.sigfig())
    );
    out
}

/// The sub-bucket count HdrHistogram derives from the significant digits.
fn sub_buckets(sigfig: u8) -> u64 {
    let single_unit = 2 * 10u64.pow(u32::from(sigfig));
    single_unit.next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::histogram;

    #[test]
    fn percentile_distribution_format() {
        let mut h = histogram();
        for v in 1..=10_000u64 {
            h.record(v * 10).unwrap(); // 10 µs .. 100 ms
        }
        let text = render(&h);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "       Value     Percentile TotalCount 1/(1-Percentile)"
        );
        assert_eq!(lines[1], "");
        // First tick: the smallest value at percentile 0.
        assert_eq!(
            lines[2],
            "       0.010 0.000000000000          1           1.00"
        );
        // The median line, 50% of the count.
        let median = lines
            .iter()
            .find(|l| l.contains(" 0.500000000000 "))
            .unwrap();
        let cols: Vec<&str> = median.split_whitespace().collect();
        assert_eq!(cols.len(), 4);
        // Cumulative count at the median (values share buckets, so about 5000).
        let at_median: i64 = cols[2].parse().unwrap();
        assert!((at_median - 5000).abs() <= 10, "{median}");
        assert_eq!(cols[3], "2.00");
        assert!(
            (cols[0].parse::<f64>().unwrap() - 50.0).abs() < 0.05,
            "{median}"
        );
        // The last data line is percentile 1 with no fourth column, then the footer.
        let n = lines.len();
        let last: Vec<&str> = lines[n - 4].split_whitespace().collect();
        assert_eq!(last[1..], ["1.000000000000", "10000"]);
        assert!(
            lines[n - 3].starts_with("#[Mean    =       50.00"),
            "{}",
            lines[n - 3]
        );
        assert!(lines[n - 3].contains(", StdDeviation   = "));
        assert!(
            lines[n - 2].starts_with("#[Max     =      100.0"),
            "{}",
            lines[n - 2]
        );
        assert!(lines[n - 2].ends_with("Total count    =        10000]"));
        assert_eq!(
            lines[n - 1],
            format!(
                "#[Buckets = {:>12}, SubBuckets     =         2048]",
                h.buckets()
            )
        );
        // Cumulative counts never decrease.
        let counts: Vec<u64> = lines[2..n - 3]
            .iter()
            .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn empty_histogram_has_header_and_footer() {
        let text = render(&histogram());
        assert!(text.contains("Total count    =            0]"));
    }
}

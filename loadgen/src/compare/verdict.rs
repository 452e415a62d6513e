//! Deciding whether NEW regressed against BASE: a metric regressed when it
//! is worse by more than `--max-regress` *and* the Mann–Whitney test over
//! the per-second samples says the difference is beyond noise (in the same
//! direction).

use super::mannwhitney::MannWhitney;

/// Significance level of the two-sided test.
pub const ALPHA: f64 = 0.05;

/// Which way is worse for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worse {
    /// Throughput: lower is worse.
    Lower,
    /// Latency: higher is worse.
    Higher,
}

/// One metric's check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Check {
    /// NEW / BASE of the whole-run values (NaN when BASE is 0).
    pub ratio: f64,
    /// Worse by more than the threshold.
    pub beyond_threshold: bool,
    /// The test over the interval samples.
    pub test: MannWhitney,
    /// The test is significant and points the worse way.
    pub significant: bool,
    /// Both: this metric regressed.
    pub regressed: bool,
}

impl Check {
    /// Checks `new` against `base` (whole-run values) given the test of the
    /// BASE samples against the NEW samples.
    pub fn new(base: f64, new: f64, test: MannWhitney, worse: Worse, max_regress: f64) -> Check {
        let ratio = if base > 0.0 { new / base } else { f64::NAN };
        let beyond_threshold = match worse {
            Worse::Lower => ratio < 1.0 - max_regress,
            Worse::Higher => ratio > 1.0 + max_regress,
        };
        // z > 0: BASE's samples tend to be higher than NEW's.
        let right_way = match worse {
            Worse::Lower => test.z > 0.0,
            Worse::Higher => test.z < 0.0,
        };
        let significant = test.significant(ALPHA) && right_way;
        Check {
            ratio,
            beyond_threshold,
            test,
            significant,
            regressed: beyond_threshold && significant,
        }
    }

    /// `significant` / `within noise`, as printed.
    pub fn noise_word(&self) -> &'static str {
        if self.test.significant(ALPHA) {
            "significant"
        } else {
            "within noise"
        }
    }
}

/// The overall verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// req/s.
    pub throughput: Check,
    /// p99 latency.
    pub p99: Check,
    /// The threshold (0.1 = 10%).
    pub max_regress: f64,
}

impl Verdict {
    /// Any metric regressed.
    pub fn regressed(&self) -> bool {
        self.throughput.regressed || self.p99.regressed
    }

    /// Process exit status: 1 on a regression, else 0.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.regressed())
    }

    /// The verdict line.
    pub fn line(&self) -> String {
        let thr = self.max_regress * 100.0;
        let mut what = Vec::new();
        if self.throughput.regressed {
            what.push(format!(
                "throughput {:+.1}% (req/s NEW/BASE {:.3}, p = {:.4})",
                (self.throughput.ratio - 1.0) * 100.0,
                self.throughput.ratio,
                self.throughput.test.p
            ));
        }
        if self.p99.regressed {
            what.push(format!(
                "p99 latency {:+.1}% (NEW/BASE {:.3}, p = {:.4})",
                (self.p99.ratio - 1.0) * 100.0,
                self.p99.ratio,
                self.p99.test.p
            ));
        }
        if what.is_empty() {
            let mut notes = Vec::new();
            for (name, c) in [("throughput", &self.throughput), ("p99", &self.p99)] {
                if c.beyond_threshold {
                    notes.push(format!(
                        "{name} worse by more than {thr:.0}% but within noise"
                    ));
                }
            }
            let tail = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            format!("verdict: OK, no significant regression beyond {thr:.0}%{tail}")
        } else {
            format!("verdict: REGRESSION beyond {thr:.0}%: {}", what.join("; "))
        }
    }
}

/// `10%`, `10` (percent) or `0.1%` -> 0.10 / 0.10 / 0.001.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let num = t.strip_suffix('%').unwrap_or(t).trim();
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..100.0).contains(&v) => Ok(v / 100.0),
        _ => Err(format!(
            "invalid threshold \"{s}\": expected a percentage in [0, 100), e.g. \"10%\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_with(z: f64, p: f64) -> MannWhitney {
        MannWhitney {
            n1: 10,
            n2: 10,
            u1: 0.0,
            u: 0.0,
            z,
            p,
        }
    }

    fn verdict(
        rps: (f64, f64),
        rps_t: MannWhitney,
        p99: (f64, f64),
        p99_t: MannWhitney,
    ) -> Verdict {
        Verdict {
            throughput: Check::new(rps.0, rps.1, rps_t, Worse::Lower, 0.1),
            p99: Check::new(p99.0, p99.1, p99_t, Worse::Higher, 0.1),
            max_regress: 0.1,
        }
    }

    #[test]
    fn percent_parsing() {
        assert_eq!(parse_percent("10%"), Ok(0.1));
        assert_eq!(parse_percent("5"), Ok(0.05));
        assert_eq!(parse_percent(" 2.5 % "), Ok(0.025));
        assert!(parse_percent("abc").is_err());
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("150%").is_err());
    }

    #[test]
    fn same_numbers_pass() {
        let v = verdict(
            (1000.0, 1000.0),
            test_with(0.0, 1.0),
            (500.0, 500.0),
            test_with(0.0, 1.0),
        );
        assert!(!v.regressed());
        assert_eq!(v.exit_code(), 0);
        assert!(v.line().starts_with("verdict: OK"), "{}", v.line());
    }

    #[test]
    fn lower_throughput_beyond_threshold_and_significant_fails() {
        let v = verdict(
            (1000.0, 800.0),
            test_with(3.5, 0.0005),
            (500.0, 500.0),
            test_with(0.0, 1.0),
        );
        assert!(v.throughput.regressed);
        assert_eq!(v.exit_code(), 1);
        assert!(v.line().contains("REGRESSION"), "{}", v.line());
        assert!(v.line().contains("throughput -20.0%"), "{}", v.line());
    }

    #[test]
    fn beyond_threshold_but_within_noise_passes() {
        let v = verdict(
            (1000.0, 800.0),
            test_with(1.0, 0.3),
            (500.0, 700.0),
            test_with(-1.2, 0.2),
        );
        assert!(v.throughput.beyond_threshold && v.p99.beyond_threshold);
        assert_eq!(v.exit_code(), 0);
        assert!(v.line().contains("within noise"), "{}", v.line());
    }

    #[test]
    fn significant_but_within_threshold_passes() {
        let v = verdict(
            (1000.0, 950.0),
            test_with(4.0, 0.0001),
            (500.0, 520.0),
            test_with(-4.0, 0.0001),
        );
        assert_eq!(v.exit_code(), 0);
    }

    #[test]
    fn higher_p99_beyond_threshold_and_significant_fails() {
        let v = verdict(
            (1000.0, 1000.0),
            test_with(0.0, 1.0),
            (500.0, 600.0),
            test_with(-3.0, 0.003),
        );
        assert!(v.p99.regressed && !v.throughput.regressed);
        assert_eq!(v.exit_code(), 1);
        assert!(v.line().contains("p99 latency +20.0%"), "{}", v.line());
    }

    #[test]
    fn significant_the_other_way_is_not_a_regression() {
        // The whole-run ratio says worse, the samples say significantly better.
        let v = verdict(
            (1000.0, 800.0),
            test_with(-3.0, 0.003),
            (500.0, 600.0),
            test_with(3.0, 0.003),
        );
        assert_eq!(v.exit_code(), 0);
    }

    #[test]
    fn zero_base_never_regresses() {
        let v = verdict(
            (0.0, 0.0),
            test_with(3.0, 0.001),
            (0.0, 10.0),
            test_with(-3.0, 0.001),
        );
        assert!(v.throughput.ratio.is_nan());
        assert_eq!(v.exit_code(), 0);
    }
}

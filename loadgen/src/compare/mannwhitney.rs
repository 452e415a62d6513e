//! The Mann–Whitney U test (Wilcoxon rank-sum), two-sided, with the normal
//! approximation, the tie correction of the variance and a 0.5 continuity
//! correction (as `scipy.stats.mannwhitneyu(..., method="asymptotic")`).

/// The outcome of one test of sample `x` (BASE) against sample `y` (NEW).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// Size of `x`.
    pub n1: usize,
    /// Size of `y`.
    pub n2: usize,
    /// `U` of `x`: the number of pairs `(xi, yj)` with `xi > yj`, ties counting 1/2.
    pub u1: f64,
    /// `min(U1, U2)`, the statistic usually quoted.
    pub u: f64,
    /// Standard score of `U1` (continuity corrected); negative when `x` tends to be lower.
    pub z: f64,
    /// Two-sided p-value (1 when there is no variance or an empty sample).
    pub p: f64,
}

impl MannWhitney {
    /// Test `x` against `y`. NaN values are not expected (they sort last).
    pub fn test(x: &[f64], y: &[f64]) -> MannWhitney {
        let (n1, n2) = (x.len(), y.len());
        let mut all: Vec<(f64, bool)> = x
            .iter()
            .map(|&v| (v, true))
            .chain(y.iter().map(|&v| (v, false)))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = all.len();
        // Average ranks over runs of ties; collect sum(t^3 - t).
        let mut r1 = 0.0;
        let mut tie_sum = 0.0;
        let mut i = 0;
        while i < n {
            let mut j = i + 1;
            while j < n && all[j].0 == all[i].0 {
                j += 1;
            }
            let t = (j - i) as f64;
            // ranks i+1 ..= j, average (i + 1 + j) / 2
            let rank = (i + 1 + j) as f64 / 2.0;
            r1 += rank * all[i..j].iter().filter(|e| e.1).count() as f64;
            tie_sum += t * t * t - t;
            i = j;
        }
        let (f1, f2, nf) = (n1 as f64, n2 as f64, n as f64);
        let u1 = r1 - f1 * (f1 + 1.0) / 2.0;
        let u2 = f1 * f2 - u1;
        let mu = f1 * f2 / 2.0;
        let var = if n < 2 {
            0.0
        } else {
            f1 * f2 / 12.0 * ((nf + 1.0) - tie_sum / (nf * (nf - 1.0)))
        };
        let (z, p) = if n1 == 0 || n2 == 0 || var <= 0.0 {
            (0.0, 1.0)
        } else {
            let d = ((u1 - mu).abs() - 0.5).max(0.0);
            let z = d / var.sqrt();
            let p = (2.0 * normal_sf(z)).min(1.0);
            (if u1 < mu { -z } else { z }, p)
        };
        MannWhitney {
            n1,
            n2,
            u1,
            u: u1.min(u2),
            z,
            p,
        }
    }

    /// `p < alpha`.
    pub fn significant(&self, alpha: f64) -> bool {
        self.p < alpha
    }
}

/// `P(Z > z)` for a standard normal `Z`.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * erfc(z / std::f64::consts::SQRT_2)
}

/// The complementary error function (Numerical Recipes' `erfcc`, a Chebyshev
/// fit with fractional error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() <= eps
    }

    #[test]
    fn erfc_matches_known_values() {
        assert!(close(erfc(0.0), 1.0, 1e-7));
        assert!(close(erfc(1.0), 0.157_299_207, 1e-7));
        assert!(close(erfc(-1.0), 1.842_700_793, 1e-7));
        assert!(close(normal_sf(1.959_964), 0.025, 1e-6));
    }

    /// x = 1..5, y = 6..10, no ties: R1 = 15, U1 = 0, U2 = 25, mu = 12.5,
    /// sigma^2 = 5*5*11/12 = 22.9167, z = (12.5 - 0.5)/4.7871 = 2.5067,
    /// p = 2 * (1 - Phi(2.5067)) = 0.012186.
    #[test]
    fn hand_computed_without_ties() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [6.0, 7.0, 8.0, 9.0, 10.0];
        let t = MannWhitney::test(&x, &y);
        assert_eq!(t.u1, 0.0);
        assert_eq!(t.u, 0.0);
        assert!(close(t.z, -2.506_718, 1e-5), "{t:?}");
        assert!(close(t.p, 0.012_186, 1e-5), "{t:?}");
        assert!(t.significant(0.05));
        // Symmetric: swapping the samples flips z only.
        let s = MannWhitney::test(&y, &x);
        assert_eq!(s.u1, 25.0);
        assert!(close(s.z, 2.506_718, 1e-5));
        assert!(close(s.p, t.p, 1e-12));
    }

    /// x = [1, 2, 2, 3], y = [2, 3, 4, 5]. Ranks: 1->1; the three 2s -> 3;
    /// the two 3s -> 5.5; 4->7; 5->8. R1 = 1 + 3 + 3 + 5.5 = 12.5,
    /// U1 = 12.5 - 10 = 2.5, U2 = 13.5, mu = 8. Ties: (27-3) + (8-2) = 30,
    /// sigma^2 = 16/12 * (9 - 30/56) = 11.2857, sigma = 3.35942,
    /// z = (5.5 - 0.5)/3.35942 = 1.48835, p = 0.136658.
    #[test]
    fn hand_computed_with_ties() {
        let t = MannWhitney::test(&[1.0, 2.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]);
        assert_eq!(t.u1, 2.5);
        assert_eq!(t.u, 2.5);
        assert!(close(t.z, -1.488_351, 1e-5), "{t:?}");
        assert!(close(t.p, 0.136_658, 1e-5), "{t:?}");
        assert!(!t.significant(0.05));
    }

    #[test]
    fn identical_samples_are_not_significant() {
        let x: Vec<f64> = (0..10).map(|i| 1000.0 + (i * 37 % 11) as f64).collect();
        let t = MannWhitney::test(&x, &x);
        assert_eq!(t.u1, 50.0);
        assert!(close(t.p, 1.0, 1e-9), "{t:?}");
        assert!(!t.significant(0.05));
        // All values equal: no variance at all.
        let c = MannWhitney::test(&[5.0; 6], &[5.0; 6]);
        assert_eq!((c.z, c.p), (0.0, 1.0));
    }

    #[test]
    fn clearly_shifted_samples_are_significant() {
        let base: Vec<f64> = (0..10)
            .map(|i| 60_000.0 + (i * 97 % 13) as f64 * 100.0)
            .collect();
        let new: Vec<f64> = base.iter().map(|v| v * 0.8).collect();
        let t = MannWhitney::test(&base, &new);
        assert!(t.significant(0.05), "{t:?}");
        assert!(t.z > 0.0, "base is higher: {t:?}");
        assert!(t.p < 0.001, "{t:?}");
    }

    #[test]
    fn empty_sample_is_not_significant() {
        let t = MannWhitney::test(&[], &[1.0, 2.0]);
        assert_eq!(t.p, 1.0);
        assert!(!t.significant(0.05));
    }
}

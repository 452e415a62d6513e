//! `summary.json`: what a comparison found, machine-readable.
//!
//! Medians over the runs per proxy (req/s and CPU per request from the
//! closed-loop runs, latency percentiles and CPU per request from the
//! open-loop runs), the same figures as ratios ringgate/nginx, every run's
//! own values and files, the Mann–Whitney verdict of `ringload compare`
//! (BASE nginx, NEW ringgate: throughput over the closed-loop seconds, p99
//! over the open-loop seconds), warnings, and the failures that make the
//! exit status 1. The keys are documented in `bench/README.md`.

use std::collections::BTreeMap;

use ringload::compare::verdict::{Check, Verdict, ALPHA};
use ringload::compare::{judge_sides, p99_samples, rps_samples, Side};
use serde::Serialize;

use super::cpu;
use super::runs::{Mode, Run};
use super::servers::{Proxy, ServerInfo};

/// Version of this layout.
pub const SCHEMA: u32 = 1;

/// The `--max-regress` the verdict is judged with: `ringload compare`'s
/// default. The verdict is information; it never sets the exit status.
pub const VERDICT_THRESHOLD: f64 = 0.10;

/// The whole summary.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// [`SCHEMA`].
    pub schema: u32,
    /// ringbench's version.
    pub ringbench: &'static str,
    /// When the comparison started (RFC 3339, UTC).
    pub started: String,
    /// How it ran.
    pub settings: Settings,
    /// Medians per proxy.
    pub proxies: Proxies,
    /// The same figures, ringgate / nginx (null where nginx's is 0).
    pub ratios: Figures,
    /// Mann–Whitney U tests and the verdict line.
    pub verdict: VerdictSummary,
    /// Every measured run, in the order they ran.
    pub runs: Vec<RunSummary>,
    /// Doubts about the measurement (ringload's self-check, the rate).
    pub warnings: Vec<String>,
    /// What makes the exit status 1.
    pub failures: Vec<String>,
    /// No failures.
    pub ok: bool,
    /// The verdict itself, for the table.
    #[serde(skip)]
    pub judged: Verdict,
}

/// The settings of a comparison.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// Measured seconds per run.
    pub duration_s: f64,
    /// Warm-up seconds per proxy (before all runs).
    pub warmup_s: f64,
    /// Runs per proxy and mode.
    pub runs: u32,
    /// ringload connections.
    pub connections: u32,
    /// Open-loop rate (req/s).
    pub rate: u64,
    /// Whether `rate` was chosen from the closed-loop medians.
    pub rate_auto: bool,
    /// CPU of origin and proxies.
    pub proxy_cpu: usize,
    /// CPU of ringload.
    pub load_cpu: usize,
    /// `--min-ratio`.
    pub min_ratio: f64,
    /// What the origin is.
    pub origin: &'static str,
    /// `nginx -v`.
    pub nginx_version: String,
    /// The programs run.
    pub binaries: BTreeMap<&'static str, String>,
    /// Address and pid of origin, nginx and ringgate.
    pub servers: BTreeMap<String, ServerInfo>,
    /// `--tls`: what both proxies terminate (null: plain HTTP).
    pub tls: Option<String>,
}

/// Both proxies' medians.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Proxies {
    /// nginx's.
    pub nginx: Figures,
    /// ringgate's.
    pub ringgate: Figures,
}

/// A proxy's medians (or, in `ratios`, ringgate's over nginx's).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    /// Closed loop: requests per second.
    pub rps: f64,
    /// Closed loop: proxy CPU µs per request.
    pub cpu_us_per_request: f64,
    /// Open loop: latency from the intended send time (µs).
    pub latency_us: Latency,
    /// Open loop: requests per second achieved.
    pub open_rps: f64,
    /// Open loop: proxy CPU µs per request.
    pub open_cpu_us_per_request: f64,
}

/// Open-loop latency percentiles (µs), coordinated omission corrected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
}

/// One run's values and files.
#[derive(Debug, Serialize)]
pub struct RunSummary {
    /// `closed-nginx-1`.
    pub name: String,
    /// Which proxy.
    pub proxy: Proxy,
    /// `closed` or `open`.
    pub mode: Mode,
    /// ringload's report.
    pub json: String,
    /// The latency histogram.
    pub hgrm: String,
    /// ringload's text output.
    pub txt: String,
    /// Requests per second.
    pub rps: f64,
    /// Complete responses.
    pub requests: u64,
    /// ringload errors of every class.
    pub errors: u64,
    /// Responses that were not 2xx.
    pub non_2xx: u64,
    /// Latency percentiles (µs; open loop: from the intended send time).
    pub latency_us: Latency,
    /// Proxy CPU seconds during the run.
    pub cpu_s: f64,
    /// Proxy CPU µs per request (null without requests).
    pub cpu_us_per_request: Option<f64>,
    /// ringload's self-check warnings.
    pub warnings: Vec<String>,
}

/// One Mann–Whitney test.
#[derive(Debug, Serialize)]
pub struct TestSummary {
    /// ringgate / nginx of the compared values.
    pub ratio: f64,
    /// Samples (seconds) of nginx.
    pub n_nginx: usize,
    /// Samples of ringgate.
    pub n_ringgate: usize,
    /// `min(U1, U2)`.
    pub u: f64,
    /// Standard score; positive when nginx's samples tend to be higher.
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// `p < alpha`.
    pub significant: bool,
}

/// The verdict part of the summary.
#[derive(Debug, Serialize)]
pub struct VerdictSummary {
    /// The line `ringload compare` would print.
    pub line: String,
    /// Whether ringgate is significantly worse beyond the threshold.
    pub regressed: bool,
    /// The threshold ([`VERDICT_THRESHOLD`]).
    pub max_regress: f64,
    /// Significance level.
    pub alpha: f64,
    /// Throughput over the closed-loop seconds.
    pub throughput: TestSummary,
    /// p99 latency over the open-loop seconds.
    pub p99: TestSummary,
}

/// The median; NaN for no values.
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn ratio(nginx: f64, ringgate: f64) -> f64 {
    if nginx > 0.0 {
        ringgate / nginx
    } else {
        f64::NAN
    }
}

fn cpu_per_request(run: &Run) -> f64 {
    cpu::us_per_request(run.cpu, run.report.requests).unwrap_or(f64::NAN)
}

fn latency(run: &Run) -> Latency {
    let l = &run.report.latency_us;
    Latency {
        p50: l.p50 as f64,
        p99: l.p99 as f64,
        p999: l.p999 as f64,
    }
}

impl Figures {
    /// The medians of one proxy's runs.
    pub fn of(proxy: Proxy, runs: &[Run]) -> Figures {
        let of = |mode: Mode| {
            runs.iter()
                .filter(move |r| r.proxy == proxy && r.mode == mode)
        };
        let closed = || of(Mode::Closed);
        let open = || of(Mode::Open);
        Figures {
            rps: median(closed().map(|r| r.report.rps)),
            cpu_us_per_request: median(closed().map(cpu_per_request)),
            latency_us: Latency {
                p50: median(open().map(|r| latency(r).p50)),
                p99: median(open().map(|r| latency(r).p99)),
                p999: median(open().map(|r| latency(r).p999)),
            },
            open_rps: median(open().map(|r| r.report.rps)),
            open_cpu_us_per_request: median(open().map(cpu_per_request)),
        }
    }

    /// `new / self`, figure by figure.
    pub fn ratios(&self, new: &Figures) -> Figures {
        let (a, b) = (&self.latency_us, &new.latency_us);
        Figures {
            rps: ratio(self.rps, new.rps),
            cpu_us_per_request: ratio(self.cpu_us_per_request, new.cpu_us_per_request),
            latency_us: Latency {
                p50: ratio(a.p50, b.p50),
                p99: ratio(a.p99, b.p99),
                p999: ratio(a.p999, b.p999),
            },
            open_rps: ratio(self.open_rps, new.open_rps),
            open_cpu_us_per_request: ratio(
                self.open_cpu_us_per_request,
                new.open_cpu_us_per_request,
            ),
        }
    }
}

/// A proxy as one side of the Mann–Whitney tests: its closed-loop seconds
/// for throughput, its open-loop seconds for p99, pooled over the runs.
fn side(proxy: Proxy, figures: &Figures, runs: &[Run]) -> Side {
    let mine = |mode: Mode| {
        runs.iter()
            .filter(move |r| r.proxy == proxy && r.mode == mode)
    };
    Side {
        rps: figures.rps,
        rps_samples: mine(Mode::Closed)
            .flat_map(|r| rps_samples(&r.report))
            .collect(),
        p99_us: figures.latency_us.p99,
        p99_samples: mine(Mode::Open)
            .flat_map(|r| p99_samples(&r.report))
            .collect(),
    }
}

fn test_summary(c: &Check) -> TestSummary {
    TestSummary {
        ratio: c.ratio,
        n_nginx: c.test.n1,
        n_ringgate: c.test.n2,
        u: c.test.u,
        z: c.test.z,
        p: c.test.p,
        significant: c.test.significant(ALPHA),
    }
}

fn run_summary(run: &Run) -> RunSummary {
    let r = &run.report;
    RunSummary {
        json: format!("{}.json", run.name),
        hgrm: format!("{}.hgrm", run.name),
        txt: format!("{}.txt", run.name),
        name: run.name.clone(),
        proxy: run.proxy,
        mode: run.mode,
        rps: r.rps,
        requests: r.requests,
        errors: r.errors.total(),
        non_2xx: run.non_2xx(),
        latency_us: latency(run),
        cpu_s: run.cpu.as_secs_f64(),
        cpu_us_per_request: cpu::us_per_request(run.cpu, r.requests),
        warnings: r.warnings.clone(),
    }
}

/// ringload's self-check warnings, and a rate above what a proxy can do.
fn warnings(runs: &[Run], both: &[(Proxy, &Figures)], rate: u64) -> Vec<String> {
    let mut warnings: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            r.report
                .warnings
                .iter()
                .map(move |w| format!("run {}: {w}", r.name))
        })
        .collect();
    for (p, f) in both {
        if rate as f64 > f.rps {
            warnings.push(format!(
                "the open-loop rate {rate} req/s is above {}'s closed-loop median {:.0} req/s: \
                 its latencies measure a growing queue",
                p.name(),
                f.rps
            ));
        }
    }
    warnings
}

/// Runs with errors or non-2xx responses, a proxy without measurements
/// (a broken report), req/s ringgate/nginx under a `min_ratio` above 0.
fn failures(
    runs: &[Run],
    both: &[(Proxy, &Figures)],
    rps_ratio: f64,
    min_ratio: f64,
) -> Vec<String> {
    let mut failures: Vec<String> = runs.iter().filter_map(Run::problem).collect();
    for (p, f) in both {
        if ![f.rps, f.open_rps, f.cpu_us_per_request]
            .iter()
            .all(|&v| v > 0.0)
        {
            failures.push(format!(
                "broken report: {} has req/s {:.1} closed, {:.1} open, CPU {:.3} us/req",
                p.name(),
                f.rps,
                f.open_rps,
                f.cpu_us_per_request
            ));
        }
    }
    if min_ratio > 0.0 && (rps_ratio.is_nan() || rps_ratio < min_ratio) {
        failures.push(format!(
            "req/s ringgate/nginx {rps_ratio:.3} is below --min-ratio {min_ratio}"
        ));
    }
    failures
}

impl Summary {
    /// Judges the runs. `settings` says how they ran.
    pub fn build(started: String, settings: Settings, runs: &[Run]) -> Summary {
        let nginx = Figures::of(Proxy::Nginx, runs);
        let ringgate = Figures::of(Proxy::Ringgate, runs);
        let ratios = nginx.ratios(&ringgate);
        let judged = judge_sides(
            &side(Proxy::Nginx, &nginx, runs),
            &side(Proxy::Ringgate, &ringgate, runs),
            VERDICT_THRESHOLD,
        );
        let both = [(Proxy::Nginx, &nginx), (Proxy::Ringgate, &ringgate)];
        let warnings = warnings(runs, &both, settings.rate);
        let failures = failures(runs, &both, ratios.rps, settings.min_ratio);
        let verdict = VerdictSummary {
            line: judged.line(),
            regressed: judged.regressed(),
            max_regress: VERDICT_THRESHOLD,
            alpha: ALPHA,
            throughput: test_summary(&judged.throughput),
            p99: test_summary(&judged.p99),
        };
        Summary {
            schema: SCHEMA,
            ringbench: env!("CARGO_PKG_VERSION"),
            started,
            settings,
            proxies: Proxies { nginx, ringgate },
            ratios,
            verdict,
            runs: runs.iter().map(run_summary).collect(),
            warnings,
            ok: failures.is_empty(),
            failures,
            judged,
        }
    }

    /// A proxy's medians.
    pub fn figures(&self, p: Proxy) -> &Figures {
        match p {
            Proxy::Nginx => &self.proxies.nginx,
            Proxy::Ringgate => &self.proxies.ringgate,
        }
    }

    /// Pretty JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

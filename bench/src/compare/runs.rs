//! The measured runs: ringload against one proxy at a time.
//!
//! Every run is a `ringload -t 1 -c C -d D` process pinned to the load CPU,
//! writing `--json` and `--hgrm` into the results folder (its text report
//! goes to `NAME.txt`). The proxy's CPU time is read around the process
//! ([`super::cpu`]). First a short warm-up per proxy (not measured, so a
//! measured run has no warm-up of its own and the CPU read around it covers
//! exactly its requests), then `--runs` rounds of nginx, ringgate in closed
//! loop (throughput), then the same in open loop at a fixed rate below both
//! maxima (latency without coordinated omission). Alternating spreads drift
//! (thermal, a neighbour on the VM) over both proxies alike.

use std::path::PathBuf;
use std::time::Duration;

use ringload::report::json::JsonReport;
use serde::Serialize;

use super::cpu;
use super::layout::Layout;
use super::process::{Child, Interrupt};
use super::servers::{Proxy, Servers};
use super::tools::Tools;
use super::CompareConfig;
use crate::BenchError;

/// Time a ringload process gets beyond its duration (connects, report).
const RUN_SLACK: Duration = Duration::from_secs(30);

/// Closed loop (as fast as the server answers) or open loop (a fixed rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `ringload` without `--rate`.
    Closed,
    /// `ringload --rate R`.
    Open,
}

impl Mode {
    /// `closed` / `open`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Closed => "closed",
            Mode::Open => "open",
        }
    }
}

/// One finished measured run.
#[derive(Debug, Clone)]
pub struct Run {
    /// `closed-nginx-1`: also the stem of its files.
    pub name: String,
    /// Which proxy.
    pub proxy: Proxy,
    /// Which mode.
    pub mode: Mode,
    /// ringload's report.
    pub report: JsonReport,
    /// CPU the proxy's process group spent during the run.
    pub cpu: Duration,
}

impl Run {
    /// Responses whose status is not 2xx.
    pub fn non_2xx(&self) -> u64 {
        self.report
            .status
            .iter()
            .filter(|(code, _)| !code.starts_with('2'))
            .map(|(_, n)| n)
            .sum()
    }

    /// What makes this run's numbers worthless, if anything: errors or
    /// non-2xx responses (a fast error is not throughput).
    pub fn problem(&self) -> Option<String> {
        let errors = self.report.errors.total();
        let non_2xx = self.non_2xx();
        (errors > 0 || non_2xx > 0).then(|| {
            let e = &self.report.errors;
            format!(
                "run {}: {errors} errors (connect {}, read {}, write {}, timeout {}, protocol {}) \
                 and {non_2xx} non-2xx responses; see {}.txt",
                self.name, e.connect, e.read, e.write, e.timeout, e.protocol, self.name
            )
        })
    }
}

/// One ringload process to run.
#[derive(Debug)]
struct Job {
    /// Its name (a run's, or `warmup-PROXY`).
    name: String,
    /// Against which proxy.
    proxy: Proxy,
    /// Open loop at this rate.
    rate: Option<u64>,
    /// `-d`.
    duration: Duration,
    /// Its text output.
    log: PathBuf,
    /// `--json` and `--hgrm` files.
    reports: Option<(PathBuf, PathBuf)>,
}

/// Runs ringload against the servers.
#[derive(Debug)]
pub struct Runner<'a> {
    /// The programs.
    pub tools: &'a Tools,
    /// The results folder.
    pub layout: &'a Layout,
    /// The settings.
    pub config: &'a CompareConfig,
    /// Checked while waiting.
    pub stop: &'a Interrupt,
}

impl Runner<'_> {
    /// One closed-loop run per proxy of `--warmup`, nothing kept but its
    /// output in `setup/`.
    pub fn warm_up(&self, servers: &mut Servers) -> Result<(), BenchError> {
        if self.config.warmup.is_zero() {
            return Ok(());
        }
        for proxy in Proxy::BOTH {
            let name = format!("warmup-{}", proxy.name());
            let job = Job {
                log: self.layout.file(&format!("setup/{name}.txt")),
                name,
                proxy,
                rate: None,
                duration: self.config.warmup,
                reports: None,
            };
            self.ringload(servers, &job)?;
        }
        Ok(())
    }

    /// `--runs` rounds of nginx then ringgate in `mode` (`rate` for open loop).
    pub fn rounds(
        &self,
        servers: &mut Servers,
        mode: Mode,
        rate: Option<u64>,
    ) -> Result<Vec<Run>, BenchError> {
        let mut runs = Vec::new();
        for round in 1..=self.config.runs {
            for proxy in Proxy::BOTH {
                let run = self.measure(servers, mode, rate, proxy, round)?;
                eprintln!("{}", progress(&run));
                runs.push(run);
            }
        }
        Ok(runs)
    }

    fn measure(
        &self,
        servers: &mut Servers,
        mode: Mode,
        rate: Option<u64>,
        proxy: Proxy,
        round: u32,
    ) -> Result<Run, BenchError> {
        let name = format!("{}-{}-{round}", mode.name(), proxy.name());
        let json = self.layout.file(&format!("{name}.json"));
        let job = Job {
            log: self.layout.file(&format!("{name}.txt")),
            reports: Some((json.clone(), self.layout.file(&format!("{name}.hgrm")))),
            name,
            proxy,
            rate,
            duration: self.config.duration,
        };
        let cpu = self.ringload(servers, &job)?;
        let name = job.name;
        let report = ringload::compare::load(&json).map_err(|source| BenchError::Report {
            run: name.clone(),
            source,
        })?;
        Ok(Run {
            name,
            proxy,
            mode,
            report,
            cpu,
        })
    }

    /// Runs one ringload process to its end; the proxy's CPU time meanwhile.
    fn ringload(&self, servers: &mut Servers, job: &Job) -> Result<Duration, BenchError> {
        let mut args: Vec<String> = vec![
            "-t".into(),
            "1".into(),
            "-c".into(),
            self.config.connections.to_string(),
            "-d".into(),
            format!("{}us", job.duration.as_micros()),
            "--quiet".into(),
        ];
        if let Some(r) = job.rate {
            args.extend(["--rate".into(), r.to_string()]);
        }
        if let Some((json, hgrm)) = &job.reports {
            args.extend([
                "--json".into(),
                path_arg(json),
                "--hgrm".into(),
                path_arg(hgrm),
            ]);
        }
        if let Some(tls) = &self.layout.tls {
            args.extend(tls.ringload_args());
        }
        args.push(format!(
            "{}://{}/",
            self.layout.scheme(),
            servers.addr(job.proxy)
        ));
        let group = servers.group(job.proxy);
        let before = cpu::group_cpu(group);
        let mut child = Child::spawn(
            &job.name,
            &self.tools.taskset,
            self.config.load_cpu,
            &self.tools.ringload,
            &args,
            &job.log,
        )?;
        child.wait_exit(job.duration + RUN_SLACK, self.stop)?;
        let spent = cpu::group_cpu(group).saturating_sub(before);
        servers.check_running()?;
        Ok(spent)
    }
}

fn path_arg(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// One line per run on stderr while the comparison goes on.
fn progress(run: &Run) -> String {
    let r = &run.report;
    let cpu = cpu::us_per_request(run.cpu, r.requests)
        .map_or_else(|| "-".to_string(), |us| format!("{us:.2}"));
    format!(
        "{:<20} {:>10.0} req/s  p50 {:>8}  p99 {:>8}  CPU {cpu} us/req  errors {}  non-2xx {}",
        run.name,
        r.rps,
        ringload::report::text::fmt_us(r.latency_us.p50 as f64),
        ringload::report::text::fmt_us(r.latency_us.p99 as f64),
        r.errors.total(),
        run.non_2xx()
    )
}

/// The open-loop rate when none is given: half the lower closed-loop
/// median, rounded down to two significant digits (31172 -> 31000), at
/// least 1 req/s.
pub fn default_rate(lower_median_rps: f64) -> u64 {
    let half = lower_median_rps / 2.0;
    if !half.is_finite() || half < 1.0 {
        return 1;
    }
    let step = 10f64.powf((half.log10().floor() - 1.0).max(0.0));
    ((half / step).floor() * step) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rate_is_half_rounded_down() {
        assert_eq!(default_rate(62_345.0), 31_000);
        assert_eq!(default_rate(140_000.0), 70_000);
        assert_eq!(default_rate(2_469.0), 1_200);
        assert_eq!(default_rate(57.0), 28);
        assert_eq!(default_rate(1.0), 1);
        assert_eq!(default_rate(0.0), 1);
        assert_eq!(default_rate(f64::NAN), 1);
    }
}

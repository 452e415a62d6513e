//! `ringbench compare`: ringgate against nginx as reverse proxies of one
//! origin, on one machine, in one run, measured with ringload.
//!
//! [`tools`] finds the programs, [`layout`] makes the results folder, picks
//! the ports and writes the configs, [`servers`] starts origin, nginx and
//! ringgate pinned to the proxy CPU (each a [`process::Child`], a guard that
//! stops its whole process group), [`runs`] runs ringload on the load CPU
//! against each proxy in turn, closed loop then open loop, while [`cpu`]
//! reads what the proxy spent, and [`summary`] and [`table`] turn the
//! reports into medians, ratios and the Mann–Whitney verdict of `ringload
//! compare`. Nothing here measures on its own: the numbers are ringload's
//! and the kernel's.

pub mod cpu;
pub mod layout;
pub mod process;
pub mod runs;
pub mod servers;
pub mod summary;
pub mod table;
pub mod tls;
pub mod tools;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ringload::compare::plot::{svg_curves, Curve, BASE_COLOR, NEW_COLOR};

use crate::BenchError;
use layout::{write, Layout};
use process::Interrupt;
use runs::{default_rate, Mode, Run, Runner};
use servers::{Proxy, Servers};
use summary::{Figures, Settings, Summary};
use tools::Tools;

/// What the origin is, as the table and `summary.json` say it.
pub const ORIGIN: &str = "nginx return 200 \"hello\", 1 worker";

/// How a comparison runs (from the command line).
#[derive(Debug, Clone)]
pub struct CompareConfig {
    /// Measured time of each run.
    pub duration: Duration,
    /// Runs per proxy and mode.
    pub runs: u32,
    /// Open-loop rate; `None`: from the closed-loop medians.
    pub rate: Option<u64>,
    /// ringload connections.
    pub connections: u32,
    /// Warm-up per proxy before the measured runs.
    pub warmup: Duration,
    /// CPU of origin and proxies.
    pub proxy_cpu: usize,
    /// CPU of ringload.
    pub load_cpu: usize,
    /// Results folder; `None`: a new one under `target/ringbench/`.
    pub out: Option<PathBuf>,
    /// Fail when req/s ringgate/nginx is below this (0: never).
    pub min_ratio: f64,
    /// `--ringgate`.
    pub ringgate: Option<PathBuf>,
    /// `--ringload`.
    pub ringload: Option<PathBuf>,
    /// `--nginx`.
    pub nginx: Option<PathBuf>,
    /// `--tls`: both proxies terminate TLS; ringgate with this `ktls` mode.
    pub tls: Option<String>,
}

/// Runs the whole comparison, prints the table and writes the results
/// folder. `Ok` holds the summary even when it has failures (errors in a
/// run, a ratio under `--min-ratio`): its files are written all the same.
pub fn run(config: &CompareConfig) -> Result<Summary, BenchError> {
    let stop = Interrupt::install()?;
    let started = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let tools = Tools::find(
        config.ringgate.as_deref(),
        config.ringload.as_deref(),
        config.nginx.as_deref(),
    )?;
    let mut layout = Layout::create(config.out.as_deref())?;
    if let Some(ktls) = &config.tls {
        layout = layout.with_tls(ktls)?;
    }
    eprintln!("ringbench compare: results in {}", layout.dir.display());
    let mut servers = Servers::start(&tools, &layout, config.proxy_cpu, &stop)?;
    let server_info = servers.info();
    let runner = Runner {
        tools: &tools,
        layout: &layout,
        config,
        stop: &stop,
    };
    runner.warm_up(&mut servers)?;
    let mut runs = runner.rounds(&mut servers, Mode::Closed, None)?;
    let lower = Proxy::BOTH
        .map(|p| Figures::of(p, &runs).rps)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let rate = config.rate.unwrap_or_else(|| default_rate(lower));
    runs.extend(runner.rounds(&mut servers, Mode::Open, Some(rate))?);
    // Stop the servers before anything is written: a report never waits
    // on a process, and an error below leaves nothing running either.
    drop(servers);
    let settings = Settings {
        duration_s: config.duration.as_secs_f64(),
        warmup_s: config.warmup.as_secs_f64(),
        runs: config.runs,
        connections: config.connections,
        rate,
        rate_auto: config.rate.is_none(),
        proxy_cpu: config.proxy_cpu,
        load_cpu: config.load_cpu,
        min_ratio: config.min_ratio,
        origin: ORIGIN,
        nginx_version: tools.nginx_version.clone(),
        binaries: BTreeMap::from([
            ("nginx", tools.nginx.display().to_string()),
            ("ringgate", tools.ringgate.display().to_string()),
            ("ringload", tools.ringload.display().to_string()),
        ]),
        servers: server_info,
        tls: layout.tls.as_ref().map(tls::Tls::describe),
    };
    let summary = Summary::build(started, settings, &runs);
    let text = table::render(&summary, &layout.dir.display().to_string());
    write_results(&layout, &summary, &runs, &text)?;
    print!("{text}");
    Ok(summary)
}

/// `table.txt`, `summary.json`, `latency.svg` and `README`.
fn write_results(
    layout: &Layout,
    summary: &Summary,
    runs: &[Run],
    table: &str,
) -> Result<(), BenchError> {
    write(&layout.file("table.txt"), table)?;
    write(&layout.file("summary.json"), &summary.to_json())?;
    let curves: Vec<Curve<'_>> = runs
        .iter()
        .filter(|r| r.mode == Mode::Open)
        .map(|r| Curve {
            label: &r.name,
            color: match r.proxy {
                Proxy::Nginx => BASE_COLOR,
                Proxy::Ringgate => NEW_COLOR,
            },
            report: &r.report,
        })
        .collect();
    write(&layout.file("latency.svg"), &svg_curves(&curves))?;
    write(&layout.file("README"), &readme(summary, table))
}

fn readme(s: &Summary, table: &str) -> String {
    let command: Vec<String> = std::env::args().collect();
    format!(
        "ringbench compare, ringbench {} started {}\n\
         command: {}\n\n\
         table.txt     the table below\n\
         summary.json  medians, ratios ringgate/nginx, every run, the verdict (keys: bench/README.md)\n\
         latency.svg   latency by percentile of every open-loop run (nginx blue, ringgate red)\n\
         closed-PROXY-N.json|.hgrm|.txt  closed-loop runs: ringload --json, --hgrm, its text report\n\
         open-PROXY-N.json|.hgrm|.txt    open-loop runs at {} req/s\n\
         setup/        configs, nginx prefixes and error logs, server output, warm-up output\n\n\
         {table}",
        s.ringbench,
        s.started,
        command.join(" "),
        s.settings.rate
    )
}

#[cfg(test)]
mod tests;

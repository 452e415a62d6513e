//! The `ringbench` command line (clap derive).
//!
//! `ringbench upstream` is the fast origin; `ringbench compare` runs
//! ringgate and nginx side by side as proxies and measures both with
//! ringload. Each subcommand's options turn into the validated settings its
//! module runs with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::compare::CompareConfig;
use crate::upstream::{Stall, UpstreamConfig};

/// Benchmark tooling for ringgate.
#[derive(Debug, Parser)]
#[command(
    name = "ringbench",
    version,
    about = "Benchmark tools for ringgate: `upstream`, a fast HTTP/1.1 origin; \
             `compare`, ringgate against nginx with ringload"
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// A fast HTTP/1.1 origin: answers every request with one fixed response.
    Upstream(UpstreamArgs),
    /// ringgate (1 shard) against nginx (1 worker) as reverse proxies of
    /// the same origin, measured with ringload; prints one table and writes
    /// the reports to a results folder.
    Compare(CompareArgs),
}

/// `ringbench upstream` options.
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one;
    /// the ready line on stdout names it).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Threads, each with its own io_uring runtime and SO_REUSEPORT
    /// listener; thread i is pinned to the i-th allowed CPU.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: u16,
    /// Response body size in bytes: "hello" repeated and cut to length.
    #[arg(long, default_value_t = 5)]
    pub body_bytes: usize,
    /// Wait this long before answering each request (e.g. 1ms, 250us).
    #[arg(long, value_parser = parse_duration)]
    pub delay: Option<Duration>,
    /// After this many requests in total (all threads), freeze once.
    #[arg(long, requires = "stall")]
    pub stall_after: Option<u64>,
    /// How long the one freeze lasts (e.g. 1s); every thread stops answering.
    #[arg(long, requires = "stall_after", value_parser = parse_duration)]
    pub stall: Option<Duration>,
    /// Response status code.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u16).range(200..=599))]
    pub status: u16,
}

impl UpstreamArgs {
    /// The validated settings the server runs with.
    pub fn into_config(self) -> UpstreamConfig {
        UpstreamConfig {
            listen: self.listen,
            threads: usize::from(self.threads),
            body_bytes: self.body_bytes,
            delay: self.delay.filter(|d| !d.is_zero()),
            stall: match (self.stall_after, self.stall) {
                (Some(after), Some(duration)) => Some(Stall { after, duration }),
                _ => None,
            },
            status: self.status,
        }
    }
}

/// `ringbench compare` options.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Measured time of each run (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s", value_parser = parse_positive_duration)]
    pub duration: Duration,
    /// Runs per proxy in each mode (closed loop, then open loop), alternating
    /// nginx and ringgate.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Open-loop rate in requests/s (default: half the lower of the two
    /// closed-loop medians, rounded down to two significant digits).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,
    /// Connections ringload keeps open (ringload -c).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub connections: u32,
    /// A closed-loop run per proxy before the measured runs, not measured
    /// (0s: none).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// CPU the origin and both proxies are pinned to.
    #[arg(long, default_value_t = 0)]
    pub proxy_cpu: usize,
    /// CPU ringload is pinned to (ringload -t 1).
    #[arg(long, default_value_t = 1)]
    pub load_cpu: usize,
    /// Results folder (default: target/ringbench/compare-<timestamp>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Exit 1 when the median req/s of ringgate/nginx is below this
    /// (0: report only).
    #[arg(long, default_value_t = 0.0, value_parser = parse_ratio)]
    pub min_ratio: f64,
    /// The ringgate binary (default: next to this one).
    #[arg(long, value_name = "PATH")]
    pub ringgate: Option<PathBuf>,
    /// The ringload binary (default: next to this one).
    #[arg(long, value_name = "PATH")]
    pub ringload: Option<PathBuf>,
    /// The nginx binary (default: nginx on PATH, /usr/sbin, /sbin).
    #[arg(long, value_name = "PATH")]
    pub nginx: Option<PathBuf>,
    /// Both proxies terminate TLS (one openssl-made certificate, TLS 1.3
    /// AES-128-GCM pinned on both); ringload connects over https.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: ringgate's `ktls` mode (auto, on, off).
    #[arg(long, default_value = "auto", requires = "tls", value_parser = ["auto", "on", "off"])]
    pub ktls: String,
}

impl CompareArgs {
    /// The settings the comparison runs with.
    pub fn into_config(self) -> CompareConfig {
        CompareConfig {
            duration: self.duration,
            runs: self.runs,
            rate: self.rate,
            connections: self.connections,
            warmup: self.warmup,
            proxy_cpu: self.proxy_cpu,
            load_cpu: self.load_cpu,
            out: self.out,
            min_ratio: self.min_ratio,
            ringgate: self.ringgate,
            ringload: self.ringload,
            nginx: self.nginx,
            tls: self.tls.then_some(self.ktls),
        }
    }
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be longer than 0".to_string()),
        d => Ok(d),
    }
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "invalid ratio \"{s}\": expected a number >= 0, e.g. 0.5"
        )),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use a unit: 500us, 1ms, 2s)"))
}

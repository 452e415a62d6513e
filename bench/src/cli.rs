//! The `ringbench` command line (clap derive).
//!
//! `ringbench upstream` is the only subcommand so far; `ringbench compare`
//! (side-by-side runs against nginx with ringload) comes with ringload.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::upstream::{Stall, UpstreamConfig};

/// Benchmark tooling for ringgate.
#[derive(Debug, Parser)]
#[command(
    name = "ringbench",
    version,
    about = "Benchmark tools for ringgate: `upstream`, a fast HTTP/1.1 origin"
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

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use a unit: 500us, 1ms, 2s)"))
}

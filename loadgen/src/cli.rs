//! The command line (clap), wrk-style: `ringload -c 64 -d 10s [-t 1] URL...`.
//!
//! This module only describes the flags; [`crate::plan::Plan::from_args`]
//! validates them into the immutable plan every shard runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// ringload: an honest thread-per-core HTTP/1.1 load generator.
///
/// Closed loop by default (each connection sends its next request when the
/// previous response is in); open loop with --rate, where latency is measured
/// from each request's intended send time (coordinated omission corrected).
#[derive(Debug, Parser)]
#[command(
    name = "ringload",
    version,
    about,
    long_about = None,
    after_help = "https://: the system's CA certificates are trusted unless --cacert or --insecure says otherwise.\n\
                  Ctrl-C (or SIGTERM) stops early and still reports (\"interrupted\": true); a second one exits at once.\n\n\
                  Compare two --json reports: ringload compare BASE.json NEW.json [--max-regress 10%] [--plot out.svg]\n(see `ringload compare --help`)"
)]
pub struct Args {
    /// Target URLs (http[s]://host[:port]/path); several are used round robin.
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Open connections in total (spread evenly over threads).
    #[arg(short = 'c', long, default_value_t = 64)]
    pub connections: usize,
    /// Test duration after warm-up (e.g. 10s, 1m). Default 10s, or no limit with -n.
    #[arg(short = 'd', long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Threads (shards), each pinned to the next CPU of the allowed set.
    #[arg(short = 't', long, default_value_t = 1)]
    pub threads: usize,
    /// Stop after exactly this many requests in total.
    #[arg(short = 'n', long = "requests", value_name = "COUNT")]
    pub requests: Option<u64>,
    /// Extra request header, `Name: value` (repeatable; `Host` replaces the default).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Request method.
    #[arg(short = 'm', long, default_value = "GET")]
    pub method: String,
    /// Request body (sent with Content-Length).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Request body read from a file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Requests in flight per connection (HTTP/1.1 pipelining).
    #[arg(
        short = 'p',
        long = "pipeline",
        default_value_t = 1,
        value_name = "DEPTH"
    )]
    pub pipeline: usize,
    /// Send `Connection: close` and open a new connection per request.
    #[arg(long)]
    pub no_keepalive: bool,
    /// A request unanswered this long is a timeout error (its connection is reopened).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Run this long before measuring; statistics are reset afterwards.
    #[arg(long, value_parser = parse_duration)]
    pub warmup: Option<Duration>,
    /// Open loop: total requests per second, spread over all connections.
    #[arg(short = 'R', long, value_name = "REQ_PER_S")]
    pub rate: Option<f64>,
    /// Write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write the latency percentile distribution (HdrHistogram .hgrm text) to this file.
    #[arg(long, value_name = "FILE")]
    pub hgrm: Option<PathBuf>,
    /// Write an HdrHistogram interval log (one histogram per second) to this file.
    #[arg(long, value_name = "FILE")]
    pub hlog: Option<PathBuf>,
    /// https: accept any server certificate and name (handshake signatures are still checked).
    #[arg(long, conflicts_with = "cacert")]
    pub insecure: bool,
    /// https: trust only the CA certificates in this PEM file (instead of the system's).
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// https: offer only this cipher suite (rustls' name, e.g.
    /// TLS13_AES_128_GCM_SHA256); repeat for several. Default: all.
    #[arg(long = "tls-cipher", value_name = "SUITE")]
    pub tls_ciphers: Vec<String>,
    /// Do not print the live status line even on a terminal.
    #[arg(long)]
    pub quiet: bool,
}

/// `250ms`, `2s`, `1m` (humantime); a bare number is refused.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| {
        if s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            format!("invalid duration \"{s}\": a unit is required, e.g. \"{s}s\" or \"{s}ms\"")
        } else {
            format!("invalid duration \"{s}\": {e}")
        }
    })
}

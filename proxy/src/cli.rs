//! Command-line interface (clap). Each subcommand maps to one module:
//! `check` to [`crate::check`], `demo` to [`crate::demo`], `hash-key` to
//! [`crate::auth::hash_key`], `tune` to [`crate::tune`], none to
//! [`crate::server`].

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// ringgate: a thread-per-core io_uring HTTP/1.1 API gateway.
#[derive(Debug, Parser)]
#[command(name = "ringgate", version, about, long_about = None)]
pub struct Cli {
    /// Run the gateway with this TOML config file.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start from this tuning profile (a built-in name such as `throughput`,
    /// or a TOML file); the config file's own keys win. Overrides `server.profile`.
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
    /// Take the listening sockets over from the ringgate running on this
    /// config's `server.upgrade_socket`, which then drains and exits.
    #[arg(long)]
    pub upgrade: bool,
    /// Reload the config file when it changes (modification time or size),
    /// as on SIGHUP.
    #[arg(long)]
    pub watch_config: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a config file: exit 0 with a summary, or 1 with every error.
    Check {
        /// The TOML config file to validate.
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: PathBuf,
        /// Check the config as started from this tuning profile.
        #[arg(long, value_name = "NAME|FILE")]
        profile: Option<String>,
    },
    /// Inspect this host (CPUs, NUMA, io_uring, kTLS, limits, sysctls) and
    /// recommend a tuning profile, settings and sysctl/limit lines.
    Tune {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the gateway in front of built-in sample services (users, orders, catalog).
    Demo(DemoOpts),
    /// Print an API keys file line `NAME:SHA256-HEX` for the key read from
    /// standard input (one trailing newline is ignored).
    HashKey {
        /// The consumer's name.
        name: String,
    },
}

/// Options of `ringgate demo`.
#[derive(Debug, Args)]
pub struct DemoOpts {
    /// Address the gateway listens on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address of the admin listener (health and metrics).
    #[arg(long, default_value = "127.0.0.1:9901")]
    pub admin: SocketAddr,
    /// Number of shards.
    #[arg(long, default_value_t = 1)]
    pub shards: usize,
}

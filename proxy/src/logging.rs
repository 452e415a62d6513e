//! Log setup: `tracing` to stderr, filtered by `RINGGATE_LOG` (default
//! `info`), e.g. `RINGGATE_LOG=ringgate=debug`. Set `RINGGATE_LOG_FORMAT=json`
//! for JSON lines.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber. Safe to call once at startup.
pub fn init() {
    let filter = EnvFilter::try_from_env("RINGGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let json = std::env::var("RINGGATE_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests, demo) keeps the first subscriber; nothing to do.
    drop(result);
}

//! Configuration: TOML text in, a validated [`Config`] out (DESIGN.md principle 4).
//!
//! Loading happens in two steps. First the text is deserialized into the raw
//! serde types of [`raw`] (`deny_unknown_fields` everywhere) through
//! `serde_path_to_error`, so a syntax, type or unknown-key error names the key
//! it is about (`server.listne: unknown field ...`). That step stops at the
//! first error, as a parser must. Then [`validate`] converts the raw tree into
//! the model of [`model`] and reports *every* semantic error at once, each
//! with its path (`routes[2].upstream: no upstream named "usres"`), so an
//! operator fixes a file in one round trip. Defaults live in [`defaults`] as
//! named constants shared by the code and `docs/config-reference.md`.

pub mod defaults;
mod error;
mod model;
mod policy;
pub mod profile;
mod raw;
mod raw_access;
mod raw_auth;
mod raw_tls;
mod raw_tracing;
mod raw_tuning;
mod request_limits;
pub mod tls;
pub mod tracing;
mod tuning;
mod units;
mod validate;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::{ConfigError, ConfigErrors};
pub use model::{
    AccessLog, BalanceKind, Config, Driver, HashKey, HostMatch, Limits, LogFormat, LogPath,
    PathMatch, Route, Server, Shards, Target, Upstream, Uring,
};
pub use policy::{
    CircuitBreaker, Concurrency, FailureRatio, HealthCheck, Outlier, Rate, RateLimit, RateLimitKey,
    Retry, RetryOn,
};
pub use request_limits::{MinBodyRate, RequestLimits};
pub use tuning::{Buffers, Keepalive, Steering, Tcp};
pub use units::parse_rate;
pub use units::{parse_duration, parse_size};
pub use validate::tuning::parse_cpu_list;

/// Parses and validates a configuration from TOML text.
///
/// ```
/// let errors = ringgate_core::config::load_str(
///     "[server]\nlisten = \"127.0.0.1:0\"\n[[routes]]\nupstream = \"usres\"\n",
/// )
/// .unwrap_err();
/// assert_eq!(errors.to_string(), r#"routes[0].upstream: no upstream named "usres""#);
/// ```
pub fn load_str(text: &str) -> Result<Config, ConfigErrors> {
    load_str_in(text, None)
}

/// Like [`load_str`], with files the config names (auth keys, htpasswd)
/// resolved against `base_dir` (the current directory when `None`).
pub fn load_str_in(text: &str, base_dir: Option<&Path>) -> Result<Config, ConfigErrors> {
    load_with_profile(text, base_dir, None)
}

/// Like [`load_str_in`], starting from tuning profile `profile` (a
/// built-in name or a file path, see [`profile`]) instead of the one the
/// file's `server.profile` names, if any.
pub fn load_with_profile(
    text: &str,
    base_dir: Option<&Path>,
    profile: Option<&str>,
) -> Result<Config, ConfigErrors> {
    let mut raw = raw::parse(text)?;
    raw.base_dir = base_dir.map(Path::to_path_buf);
    profile::apply(text, &mut raw, profile)?;
    Config::try_from(raw)
}

/// Reads, parses and validates the configuration file at `path`.
///
/// A read failure becomes a single [`ConfigError`] with an empty path whose
/// message names the file.
pub fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    load_file_with_profile(path, None)
}

/// Like [`load_file`], with the tuning profile given on the command line.
pub fn load_file_with_profile(path: &Path, profile: Option<&str>) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ConfigErrors(vec![ConfigError::new(
            "",
            format!("cannot read {}: {error}", path.display()),
        )])
    })?;
    load_with_profile(&text, path.parent(), profile)
}

//! Validation: raw serde types into the [`Config`] model, every error at once.
//!
//! Each section has its own file ([`server`], [`upstream`], [`route`], and
//! [`policy`] for the policy tables found in several sections); they
//! share the helpers here, which parse one value and record an error at its
//! key path instead of returning early. A value that fails keeps a harmless
//! placeholder so checking can go on; the placeholders never escape because
//! any recorded error turns the whole result into [`ConfigErrors`].

mod access;
mod access_log;
mod auth;
mod files;
mod policy;
mod request_limits;
mod route;
mod server;
mod tls;
mod tracing;
pub(super) mod tuning;
mod upstream;

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use super::error::{ConfigErrors, Errors};
use super::model::{Config, LogPath};
use super::raw::{IntOrString, RawConfig};
use super::units::{parse_duration, parse_size};
use crate::auth::api_key::KeyStore;

impl TryFrom<RawConfig> for Config {
    type Error = ConfigErrors;

    fn try_from(mut raw: RawConfig) -> Result<Config, ConfigErrors> {
        let mut errors = Errors::default();
        let base = raw.base_dir.clone();
        let token_file = raw.server.as_mut().and_then(|s| s.admin_token_file.take());
        let listen_tls = tls::take_server(raw.server.as_mut());
        let upstream_tls = tls::take_upstreams(raw.upstreams.0.iter_mut().map(|(_, u)| u));
        let server_access = raw.server.as_mut().and_then(|s| s.access.take());
        let mut server = server::server(raw.server, &mut errors);
        tls::apply_server(&mut server, listen_tls, base.as_deref(), &mut errors);
        if let Some(log) = &mut server.access_log {
            if let LogPath::File(file) = &log.path {
                let name = file.to_string_lossy().into_owned();
                log.path = LogPath::File(files::resolve(base.as_deref(), &name));
            }
        }
        if let Some(path) = &mut server.upgrade_socket {
            let name = path.to_string_lossy().into_owned();
            *path = files::resolve(base.as_deref(), &name);
            // sun_path holds 108 bytes with the terminating NUL.
            let len = path.as_os_str().len();
            if name.is_empty() || len > 107 {
                let problem = format!("a Unix socket path of 1 to 107 bytes, got {len}");
                errors.push("server.upgrade_socket", problem);
            }
        }
        server.admin_tokens = token_file.and_then(|name| {
            files::load_text(
                base.as_deref(),
                &mut errors,
                "server.admin_token_file",
                &name,
                |text| KeyStore::parse(text).map(Arc::new),
            )
        });
        let access_cors: Vec<_> = raw
            .routes
            .iter_mut()
            .map(|r| (r.access.take(), r.cors.take()))
            .collect();
        let mut upstreams = upstream::upstreams(raw.upstreams, &mut errors);
        tls::apply_upstreams(&mut upstreams, upstream_tls, base.as_deref(), &mut errors);
        let auths = raw.routes.iter_mut().map(|r| r.auth.take()).collect();
        let mut routes = route::routes(raw.routes, &upstreams, &mut errors);
        auth::apply(&mut routes, auths, base.as_deref(), &mut errors);
        server.access = server_access.map(|a| access::access(&mut errors, "server.access", a));
        access::apply(&mut routes, access_cors, &mut errors);
        errors.into_result(Config {
            server,
            upstreams,
            routes,
        })
    }
}

/// A positive duration at `path`, or `default` when absent.
fn duration(errors: &mut Errors, path: &str, raw: Option<&str>, default: Duration) -> Duration {
    let Some(text) = raw else {
        return default;
    };
    let parsed = parse_duration(text).and_then(|d| {
        if d.is_zero() {
            Err(format!("must be longer than zero, got \"{text}\""))
        } else {
            Ok(d)
        }
    });
    errors.check(path, parsed).unwrap_or(default)
}

/// A byte size at `path` (integer or string with unit), within `min..=max`.
fn size(errors: &mut Errors, path: &str, raw: &IntOrString, min: u64, max: u64) -> Option<u64> {
    let parsed = match raw {
        IntOrString::Int(n) => {
            u64::try_from(*n).map_err(|_| format!("must not be negative, got {n}"))
        }
        IntOrString::Str(text) => parse_size(text),
    }
    .and_then(|n| in_range(n, min, max));
    errors.check(path, parsed)
}

/// An integer at `path` within `min..=max`, or `default` when absent.
fn integer(
    errors: &mut Errors,
    path: &str,
    raw: Option<i64>,
    min: u64,
    max: u64,
    default: u64,
) -> u64 {
    let Some(n) = raw else {
        return default;
    };
    let parsed = u64::try_from(n)
        .map_err(|_| format!("must not be negative, got {n}"))
        .and_then(|n| in_range(n, min, max));
    errors.check(path, parsed).unwrap_or(default)
}

fn in_range(n: u64, min: u64, max: u64) -> Result<u64, String> {
    if n < min || n > max {
        if max == u64::MAX {
            Err(format!("must be at least {min}, got {n}"))
        } else {
            Err(format!("must be in {min}..={max}, got {n}"))
        }
    } else {
        Ok(n)
    }
}

/// A literal `ip:port` socket address.
fn socket_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse()
        .map_err(|_| format!("invalid address \"{text}\": expected \"ip:port\", e.g. \"127.0.0.1:8080\" or \"[::1]:8080\""))
}

/// Converts a count validated to fit into `u32`.
fn to_u32(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts a count to `usize` (lossless on 64-bit targets).
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// Is `name` an HTTP token (RFC 9110 section 5.6.2), as methods and header names are?
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

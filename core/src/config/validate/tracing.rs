//! Validation of `[server.tracing]`.

use super::super::error::Errors;
use super::super::raw_tracing::RawTracing;
use super::super::tracing::{parse_endpoint, OtlpExport, Tracing};
use super::{duration, integer, to_usize};
use std::time::Duration;

/// `batch_size` when absent.
pub const DEFAULT_BATCH_SIZE: u64 = 512;
/// `flush_interval` when absent.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// `queue` when absent (batches).
pub const DEFAULT_QUEUE: u64 = 64;
/// `export_timeout` when absent.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn tracing(raw: RawTracing, errors: &mut Errors) -> Tracing {
    let sample = match raw.sample {
        None => 1.0,
        Some(f) if (0.0..=1.0).contains(&f) => f,
        Some(f) => {
            errors.push(
                "server.tracing.sample",
                format!("must be in 0..=1, got {f}"),
            );
            1.0
        }
    };
    let service_name = match raw.service_name {
        None => "ringgate".to_owned(),
        Some(name) if !name.trim().is_empty() => name,
        Some(_) => {
            errors.push("server.tracing.service_name", "must not be empty");
            String::new()
        }
    };
    let export = match raw.otlp_endpoint.as_deref() {
        None => {
            let export_only = [
                ("batch_size", raw.batch_size.is_some()),
                ("flush_interval", raw.flush_interval.is_some()),
                ("queue", raw.queue.is_some()),
                ("export_timeout", raw.export_timeout.is_some()),
            ];
            for (key, _) in export_only.iter().filter(|(_, set)| *set) {
                errors.push(
                    format!("server.tracing.{key}"),
                    "only with server.tracing.otlp_endpoint",
                );
            }
            None
        }
        Some(url) => {
            let (host, port, path) = errors
                .check("server.tracing.otlp_endpoint", parse_endpoint(url))
                .unwrap_or_default();
            Some(OtlpExport {
                endpoint: url.to_owned(),
                host,
                port,
                path,
                batch_size: to_usize(integer(
                    errors,
                    "server.tracing.batch_size",
                    raw.batch_size,
                    1,
                    65_536,
                    DEFAULT_BATCH_SIZE,
                )),
                flush_interval: duration(
                    errors,
                    "server.tracing.flush_interval",
                    raw.flush_interval.as_deref(),
                    DEFAULT_FLUSH_INTERVAL,
                ),
                queue: to_usize(integer(
                    errors,
                    "server.tracing.queue",
                    raw.queue,
                    1,
                    65_536,
                    DEFAULT_QUEUE,
                )),
                timeout: duration(
                    errors,
                    "server.tracing.export_timeout",
                    raw.export_timeout.as_deref(),
                    DEFAULT_TIMEOUT,
                ),
            })
        }
    };
    Tracing {
        enabled: raw.enabled.unwrap_or(true),
        sample,
        service_name,
        export,
    }
}

//! Validation of `[server.access_log]`.

use super::super::error::Errors;
use super::super::model::{AccessLog, LogFormat, LogPath};
use super::super::raw::{RawAccessLog, RawLogFormat};
use super::{duration, size, to_usize};
use std::time::Duration;

/// `flush_interval` when absent.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// `buffer` when absent: bytes a shard buffers before handing them over.
pub const DEFAULT_BUFFER: u64 = 64 * 1024;

pub(super) fn access_log(raw: RawAccessLog, errors: &mut Errors) -> AccessLog {
    let path = match raw.path.as_deref() {
        None | Some("stdout") | Some("-") => LogPath::Stdout,
        Some("") => {
            errors.push(
                "server.access_log.path",
                "must be a file path or \"stdout\"",
            );
            LogPath::Stdout
        }
        Some(p) => LogPath::File(p.into()),
    };
    let sample = match raw.sample {
        None => 1.0,
        Some(f) if f > 0.0 && f <= 1.0 => f,
        Some(f) => {
            errors.push(
                "server.access_log.sample",
                format!("must be above 0 and at most 1, got {f}"),
            );
            1.0
        }
    };
    let buffer = raw.buffer.as_ref().map_or(DEFAULT_BUFFER, |b| {
        size(
            errors,
            "server.access_log.buffer",
            b,
            1024,
            64 * 1024 * 1024,
        )
        .unwrap_or(DEFAULT_BUFFER)
    });
    AccessLog {
        path,
        format: match raw.format {
            None | Some(RawLogFormat::Json) => LogFormat::Json,
            Some(RawLogFormat::Combined) => LogFormat::Combined,
        },
        sample,
        flush_interval: duration(
            errors,
            "server.access_log.flush_interval",
            raw.flush_interval.as_deref(),
            DEFAULT_FLUSH_INTERVAL,
        ),
        buffer_bytes: to_usize(buffer),
    }
}

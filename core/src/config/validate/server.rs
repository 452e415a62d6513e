//! Validation of `[server]`: listeners, shards, the io_uring driver, timeouts, limits.

use std::net::SocketAddr;

use super::super::defaults as d;
use super::super::error::Errors;
use super::super::model::{Driver, Limits, Server, Shards, Uring};
use super::super::raw::{IntOrString, RawDriver, RawServer, RawUring};
use super::super::raw_tls::{RawListen, RawListenEntry};
use super::policy::{rate_limit, Scope};
use super::request_limits::{self, request_limits};
use super::{duration, integer, size, socket_addr, to_usize, tuning};

pub(super) fn server(raw: Option<RawServer>, errors: &mut Errors) -> Server {
    let Some(raw) = raw else {
        errors.push(
            "server",
            "missing table: [server] with at least `listen` is required",
        );
        return placeholder();
    };

    // Before `raw` is taken apart; these keys are checked first.
    let requests = request_limits(&raw, errors);
    let listen = listen(raw.listen, errors);
    let admin = raw.admin.as_deref().and_then(|text| {
        let addr = errors.check("server.admin", socket_addr(text))?;
        if addr.port() != 0 && listen.contains(&addr) {
            errors.push("server.admin", format!("{addr} is also a client listener"));
        }
        Some(addr)
    });

    let shards = match raw.shards {
        None => Shards::Auto,
        Some(IntOrString::Str(s)) if s == "auto" => Shards::Auto,
        Some(IntOrString::Int(n)) if n >= 1 => Shards::Count(to_usize(n.unsigned_abs())),
        Some(other) => {
            let got = match other {
                IntOrString::Int(n) => n.to_string(),
                IntOrString::Str(s) => format!("\"{s}\""),
            };
            errors.push(
                "server.shards",
                format!("must be a positive integer or \"auto\", got {got}"),
            );
            Shards::Auto
        }
    };

    let driver = match raw.driver {
        None | Some(RawDriver::IoUring) => Driver::IoUring,
        Some(RawDriver::Legacy) => Driver::Legacy,
    };

    let max_header_bytes = match &raw.max_header_bytes {
        None => d::MAX_HEADER_BYTES,
        Some(v) => size(
            errors,
            "server.max_header_bytes",
            v,
            d::MAX_HEADER_BYTES_MIN,
            d::MAX_HEADER_BYTES_MAX,
        )
        .unwrap_or(d::MAX_HEADER_BYTES),
    };
    let max_uri_bytes = match &raw.max_uri_bytes {
        // The default shrinks with a smaller head limit rather than clash with it.
        None => d::MAX_URI_BYTES.min(max_header_bytes),
        Some(v) => match size(errors, "server.max_uri_bytes", v, 1, u64::MAX) {
            Some(n) if n > max_header_bytes => {
                errors.push(
                    "server.max_uri_bytes",
                    format!("must not exceed max_header_bytes ({max_header_bytes}), got {n}"),
                );
                max_header_bytes
            }
            Some(n) => n,
            None => d::MAX_URI_BYTES,
        },
    };
    let limits = Limits {
        max_header_bytes: to_usize(max_header_bytes),
        max_headers: to_usize(integer(
            errors,
            "server.max_headers",
            raw.max_headers,
            1,
            d::MAX_HEADERS_MAX,
            d::MAX_HEADERS,
        )),
        max_uri_bytes: to_usize(max_uri_bytes),
    };

    Server {
        listen,
        listen_tls: Vec::new(),
        shards,
        admin,
        admin_tokens: None,
        access_log: raw
            .access_log
            .map(|raw| super::access_log::access_log(raw, errors)),
        tracing: raw.tracing.map(|raw| super::tracing::tracing(raw, errors)),
        driver,
        uring: uring(raw.uring, errors),
        header_timeout: duration(
            errors,
            "server.header_timeout",
            raw.header_timeout.as_deref(),
            d::HEADER_TIMEOUT,
        ),
        idle_timeout: duration(
            errors,
            "server.idle_timeout",
            raw.idle_timeout.as_deref(),
            d::IDLE_TIMEOUT,
        ),
        drain_timeout: duration(
            errors,
            "server.drain_timeout",
            raw.drain_timeout.as_deref(),
            d::DRAIN_TIMEOUT,
        ),
        limits,
        max_body_bytes: raw
            .max_body_bytes
            .as_ref()
            .and_then(|v| size(errors, "server.max_body_bytes", v, 0, u64::MAX)),
        max_connections: to_usize(integer(
            errors,
            "server.max_connections",
            raw.max_connections,
            1,
            u64::MAX,
            d::MAX_CONNECTIONS,
        )),
        rate_limit: raw
            .rate_limit
            .and_then(|r| rate_limit(errors, "server.rate_limit", r, Scope::Server)),
        rate_limit_table_size: rate_limit_table_size(raw.rate_limit_table_size, errors),
        requests,
        access: None,
        profile: raw.profile,
        cpus: tuning::cpus(raw.cpus, errors),
        buffers: tuning::buffers(raw.buffers, errors),
        tcp: tuning::tcp(raw.tcp, errors),
        upgrade_socket: raw.upgrade_socket.map(std::path::PathBuf::from),
    }
}

fn rate_limit_table_size(raw: Option<i64>, errors: &mut Errors) -> usize {
    let path = "server.rate_limit_table_size";
    let n = integer(
        errors,
        path,
        raw,
        d::RATE_LIMIT_TABLE_SIZE_MIN,
        d::RATE_LIMIT_TABLE_SIZE_MAX,
        d::RATE_LIMIT_TABLE_SIZE,
    );
    if n.is_power_of_two() {
        to_usize(n)
    } else {
        errors.push(path, format!("must be a power of two, got {n}"));
        to_usize(d::RATE_LIMIT_TABLE_SIZE)
    }
}

fn listen(raw: Option<RawListen>, errors: &mut Errors) -> Vec<SocketAddr> {
    let Some(raw) = raw else {
        errors.push(
            "server.listen",
            "missing: at least one \"ip:port\" is required",
        );
        return Vec::new();
    };
    let entries = raw.into_entries();
    if entries.is_empty() {
        errors.push("server.listen", "must list at least one \"ip:port\"");
    }
    let mut items: Vec<(String, String)> = Vec::with_capacity(entries.len());
    for (path, entry) in entries {
        match entry {
            RawListenEntry::Addr(text) => items.push((path, text)),
            RawListenEntry::Table(table) => match table.addr {
                Some(text) => items.push((format!("{path}.addr"), text)),
                None => errors.push(path, "missing field `addr`"),
            },
        }
    }
    let mut addrs: Vec<SocketAddr> = Vec::with_capacity(items.len());
    for (path, text) in items {
        let Some(addr) = errors.check(&path, socket_addr(&text)) else {
            continue;
        };
        // Port 0 picks a fresh port per bind, so only fixed ports can clash.
        if addr.port() != 0 && addrs.contains(&addr) {
            errors.push(path, format!("{addr} is listed twice"));
            continue;
        }
        addrs.push(addr);
    }
    addrs
}

fn uring(raw: Option<RawUring>, errors: &mut Errors) -> Uring {
    let Some(raw) = raw else {
        return Uring::default();
    };
    let entries = integer(
        errors,
        "server.uring.entries",
        raw.entries,
        u64::from(d::URING_ENTRIES_MIN),
        u64::from(d::URING_ENTRIES_MAX),
        u64::from(d::URING_ENTRIES),
    );
    let entries = if entries.is_power_of_two() {
        u32::try_from(entries).unwrap_or(d::URING_ENTRIES)
    } else {
        errors.push(
            "server.uring.entries",
            format!("must be a power of two, got {entries}"),
        );
        d::URING_ENTRIES
    };
    let sqpoll = raw.sqpoll.unwrap_or(d::URING_SQPOLL);
    let (coop_taskrun, defer_taskrun) =
        tuning::taskrun_flags(raw.coop_taskrun, raw.defer_taskrun, sqpoll, errors);
    Uring {
        entries,
        coop_taskrun,
        defer_taskrun,
        sqpoll,
        sqpoll_cpu: tuning::sqpoll_cpu(raw.sqpoll_cpu, sqpoll, errors),
        sqpoll_idle: duration(
            errors,
            "server.uring.sqpoll_idle",
            raw.sqpoll_idle.as_deref(),
            d::URING_SQPOLL_IDLE,
        ),
    }
}

/// Stands in for a missing `[server]` so the rest can still be checked.
fn placeholder() -> Server {
    Server {
        listen: Vec::new(),
        listen_tls: Vec::new(),
        shards: Shards::Auto,
        admin: None,
        admin_tokens: None,
        access_log: None,
        tracing: None,
        driver: Driver::IoUring,
        uring: uring(None, &mut Errors::default()),
        header_timeout: d::HEADER_TIMEOUT,
        idle_timeout: d::IDLE_TIMEOUT,
        drain_timeout: d::DRAIN_TIMEOUT,
        limits: Limits {
            max_header_bytes: to_usize(d::MAX_HEADER_BYTES),
            max_headers: to_usize(d::MAX_HEADERS),
            max_uri_bytes: to_usize(d::MAX_URI_BYTES),
        },
        max_body_bytes: None,
        max_connections: to_usize(d::MAX_CONNECTIONS),
        rate_limit: None,
        rate_limit_table_size: to_usize(d::RATE_LIMIT_TABLE_SIZE),
        requests: request_limits::placeholder(),
        access: None,
        profile: None,
        cpus: None,
        buffers: Default::default(),
        tcp: Default::default(),
        upgrade_socket: None,
    }
}

//! Validation of the per-core tuning keys of `[server]`: `cpus`,
//! `uring.sqpoll_cpu`, `[server.buffers]` and `[server.tcp]`.

use std::time::Duration;

use super::super::defaults as d;
use super::super::error::Errors;
use super::super::raw_tuning::{RawBuffers, RawCpus, RawTcp};
use super::super::tuning::{Buffers, Keepalive, Steering, Tcp};
use super::{duration, integer, size, to_u32, to_usize};

/// `server.cpus`: ascending order is not required, duplicates are errors.
pub(super) fn cpus(raw: Option<RawCpus>, errors: &mut Errors) -> Option<Vec<usize>> {
    let path = "server.cpus";
    let list = match raw? {
        RawCpus::List(items) => items
            .into_iter()
            .map(|n| u64::try_from(n).map_err(|_| format!("CPU numbers are not negative, got {n}")))
            .collect::<Result<Vec<u64>, String>>(),
        RawCpus::Text(text) => parse_cpu_list(&text),
    };
    let list = errors.check(path, list)?;
    if list.is_empty() {
        errors.push(path, "must name at least one CPU");
        return None;
    }
    let mut seen = Vec::with_capacity(list.len());
    for cpu in list {
        if cpu > d::CPU_MAX {
            errors.push(path, format!("CPU {cpu} is above {}", d::CPU_MAX));
            return None;
        }
        let cpu = to_usize(cpu);
        if seen.contains(&cpu) {
            errors.push(path, format!("CPU {cpu} is listed twice"));
            return None;
        }
        seen.push(cpu);
    }
    Some(seen)
}

/// A Linux CPU list as in `/sys/devices/system/cpu/online`: `"0-3,6"`.
pub fn parse_cpu_list(text: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("invalid CPU list \"{text}\": expected e.g. \"0-3,6\"");
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.trim(), hi.trim()),
            None => (part, part),
        };
        let lo: u64 = lo.parse().map_err(|_| bad())?;
        let hi: u64 = hi.parse().map_err(|_| bad())?;
        if lo > hi || hi > d::CPU_MAX {
            return Err(bad());
        }
        out.extend(lo..=hi);
    }
    Ok(out)
}

/// `server.uring.sqpoll_cpu`: only with `sqpoll = true`.
pub(super) fn sqpoll_cpu(raw: Option<i64>, sqpoll: bool, errors: &mut Errors) -> Option<u32> {
    let path = "server.uring.sqpoll_cpu";
    raw?;
    let cpu = integer(errors, path, raw, 0, d::CPU_MAX, 0);
    if !sqpoll {
        errors.push(path, "needs `sqpoll = true` (it pins the SQ poll thread)");
        return None;
    }
    Some(to_u32(cpu))
}

/// `server.uring.coop_taskrun` / `defer_taskrun`: on by default, off by
/// default with `sqpoll` (the kernel refuses these interrupt-related flags
/// next to an SQ poll thread with EINVAL), and an error when set with it.
pub(super) fn taskrun_flags(
    coop: Option<bool>,
    defer: Option<bool>,
    sqpoll: bool,
    errors: &mut Errors,
) -> (bool, bool) {
    if !sqpoll {
        return (
            coop.unwrap_or(d::URING_COOP_TASKRUN),
            defer.unwrap_or(d::URING_DEFER_TASKRUN),
        );
    }
    for (key, set) in [("coop_taskrun", coop), ("defer_taskrun", defer)] {
        if set == Some(true) {
            errors.push(
                format!("server.uring.{key}"),
                "cannot be combined with `sqpoll = true` (the kernel refuses it)",
            );
        }
    }
    (false, false)
}

pub(super) fn buffers(raw: Option<RawBuffers>, errors: &mut Errors) -> Buffers {
    let defaults = Buffers::default();
    let Some(raw) = raw else {
        return defaults;
    };
    let one = |errors: &mut Errors, path: &str, value: Option<_>, default: usize| match value {
        None => default,
        Some(v) => size(errors, path, &v, d::BUFFER_MIN, d::BUFFER_MAX).map_or(default, to_usize),
    };
    Buffers {
        client: one(errors, "server.buffers.client", raw.client, defaults.client),
        upstream: one(
            errors,
            "server.buffers.upstream",
            raw.upstream,
            defaults.upstream,
        ),
    }
}

pub(super) fn tcp(raw: Option<RawTcp>, errors: &mut Errors) -> Tcp {
    let defaults = Tcp::default();
    let Some(raw) = raw else {
        return defaults;
    };
    let steering = match raw.steering.as_deref() {
        None | Some("hash") => Steering::Hash,
        Some("cpu") => Steering::Cpu,
        Some(other) => {
            errors.push(
                "server.tcp.steering",
                format!("must be \"hash\" or \"cpu\", got \"{other}\""),
            );
            Steering::Hash
        }
    };
    let socket_buffer = |errors: &mut Errors, path: &str, value: Option<_>| {
        value.and_then(|v| size(errors, path, &v, 1024, d::TCP_SOCKET_BUFFER_MAX).map(to_usize))
    };
    let keepalive = raw.keepalive.as_deref().map(|idle| Keepalive {
        idle: seconds(errors, "server.tcp.keepalive", idle),
        interval: raw
            .keepalive_interval
            .as_deref()
            .map(|text| seconds(errors, "server.tcp.keepalive_interval", text)),
        count: raw.keepalive_count.map(|n| {
            to_u32(integer(
                errors,
                "server.tcp.keepalive_count",
                Some(n),
                1,
                d::TCP_KEEPALIVE_COUNT_MAX,
                1,
            ))
        }),
    });
    if keepalive.is_none() {
        for (key, set) in [
            ("keepalive_interval", raw.keepalive_interval.is_some()),
            ("keepalive_count", raw.keepalive_count.is_some()),
        ] {
            if set {
                errors.push(
                    format!("server.tcp.{key}"),
                    "needs `keepalive` (the idle time before the first probe)",
                );
            }
        }
    }
    Tcp {
        backlog: to_u32(integer(
            errors,
            "server.tcp.backlog",
            raw.backlog,
            1,
            d::TCP_BACKLOG_MAX,
            u64::from(defaults.backlog),
        )),
        steering,
        nodelay: raw.nodelay.unwrap_or(defaults.nodelay),
        defer_accept: raw
            .defer_accept
            .as_deref()
            .map(|text| seconds(errors, "server.tcp.defer_accept", text)),
        fastopen: raw.fastopen.and_then(|n| {
            let q = integer(
                errors,
                "server.tcp.fastopen",
                Some(n),
                0,
                d::TCP_FASTOPEN_MAX,
                0,
            );
            (q > 0).then(|| to_u32(q))
        }),
        recv_buffer: socket_buffer(errors, "server.tcp.recv_buffer", raw.recv_buffer),
        send_buffer: socket_buffer(errors, "server.tcp.send_buffer", raw.send_buffer),
        keepalive,
    }
}

/// A duration the kernel takes in whole seconds: at least 1s, no fraction.
fn seconds(errors: &mut Errors, path: &str, text: &str) -> Duration {
    let d = duration(errors, path, Some(text), Duration::from_secs(1));
    if d.subsec_nanos() != 0 || d.as_secs() == 0 {
        errors.push(
            path,
            format!("the kernel counts whole seconds: use e.g. \"1s\", got \"{text}\""),
        );
        return Duration::from_secs(d.as_secs().max(1));
    }
    d
}

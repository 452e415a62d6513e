//! Printing `ringgate tune`'s findings: text for people (the recommended
//! `[server]` table with a comment per key, then paste-ready sysctl and
//! limit lines) and JSON for machines (the same facts, field by field).

use super::advice::Advice;
use super::host::{Host, Limit};
use super::probe::FlagProbe;
use serde_json::{json, Value};
use std::fmt::Write;

/// Everything found, for either format.
#[derive(Debug)]
pub struct Facts<'a> {
    /// Host facts.
    pub host: &'a Host,
    /// io_uring setup flag probes.
    pub flags: &'a [FlagProbe],
    /// Opcode probe.
    pub opcodes: &'a Result<Vec<(&'static str, bool)>, String>,
    /// Steering probe.
    pub steering: &'a Result<(), String>,
    /// The advice.
    pub advice: &'a Advice,
}

fn limit_json(limit: &Limit) -> Value {
    json!({ "soft": limit.soft, "hard": limit.hard })
}

fn limit_text(limit: &Limit) -> String {
    let one = |v: Option<u64>| v.map_or("unlimited".to_owned(), |n| n.to_string());
    format!("{} (hard {})", one(limit.soft), one(limit.hard))
}

/// The JSON document of `ringgate tune --json`.
pub fn json(f: &Facts<'_>) -> Value {
    let h = f.host;
    let opcodes = match f.opcodes {
        Ok(list) => {
            let map: serde_json::Map<String, Value> = list
                .iter()
                .map(|(name, ok)| ((*name).to_owned(), Value::Bool(*ok)))
                .collect();
            Value::Object(map)
        }
        Err(e) => json!({ "error": e }),
    };
    json!({
        "kernel": h.kernel,
        "cpus": { "online": h.cpus_online, "affinity": h.affinity },
        "numa": h.numa.iter().map(|n| json!({ "node": n.id, "cpus": n.cpus })).collect::<Vec<_>>(),
        "memory_kib": h.mem_total_kib,
        "io_uring": {
            "disabled": h.io_uring_disabled,
            "setup_flags": f.flags.iter().map(|p| (p.name.to_owned(), json!({ "ok": p.ok(), "error": p.error }))).collect::<serde_json::Map<_, _>>(),
            "opcodes": opcodes,
        },
        "reuseport_cpu_steering": { "ok": f.steering.is_ok(), "error": f.steering.as_ref().err() },
        "ktls": h.ktls.name(),
        "limits": { "memlock_bytes": limit_json(&h.memlock), "nofile": limit_json(&h.nofile) },
        "sysctl": {
            "net.core.somaxconn": h.somaxconn,
            "net.ipv4.tcp_max_syn_backlog": h.tcp_max_syn_backlog,
            "net.ipv4.ip_local_port_range": h.ip_local_port_range.map(|(a, b)| vec![a, b]),
            "net.ipv4.tcp_fastopen": h.tcp_fastopen,
        },
        "recommendation": {
            "profile": f.advice.profile,
            "reason": f.advice.profile_reason,
            "settings": f.advice.settings.iter().map(|s| json!({ "key": s.key, "value": s.value, "reason": s.reason })).collect::<Vec<_>>(),
            "sysctl": f.advice.sysctl.iter().map(|l| json!({ "line": l.line, "reason": l.reason })).collect::<Vec<_>>(),
            "limits": f.advice.limits.iter().map(|l| json!({ "line": l.line, "reason": l.reason })).collect::<Vec<_>>(),
        },
    })
}

/// The text report.
pub fn text(f: &Facts<'_>) -> String {
    let h = f.host;
    let mut out = String::new();
    let _ = writeln!(out, "# ringgate tune: kernel {}", h.kernel);
    let _ = writeln!(
        out,
        "# CPUs online {:?}, affinity {:?}",
        h.cpus_online, h.affinity
    );
    for node in &h.numa {
        let _ = writeln!(out, "# NUMA node {}: CPUs {:?}", node.id, node.cpus);
    }
    if let Some(kib) = h.mem_total_kib {
        let _ = writeln!(out, "# memory {} MiB", kib / 1024);
    }
    let flags: Vec<String> = f
        .flags
        .iter()
        .map(|p| format!("{} {}", p.name, if p.ok() { "ok" } else { "refused" }))
        .collect();
    let _ = writeln!(out, "# io_uring setup flags: {}", flags.join(", "));
    match f.opcodes {
        Ok(list) => {
            let missing: Vec<&str> = list.iter().filter(|(_, ok)| !ok).map(|(n, _)| *n).collect();
            let _ = writeln!(
                out,
                "# io_uring opcodes: {} of {} probed supported{}",
                list.len() - missing.len(),
                list.len(),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (missing: {})", missing.join(", "))
                }
            );
        }
        Err(e) => {
            let _ = writeln!(out, "# io_uring opcodes: {e}");
        }
    }
    let _ = writeln!(
        out,
        "# reuseport CPU steering: {}",
        match f.steering {
            Ok(()) => "attaches".to_owned(),
            Err(e) => format!("refused: {e}"),
        }
    );
    let _ = writeln!(out, "# kTLS: {}", h.ktls.name());
    let _ = writeln!(
        out,
        "# RLIMIT_MEMLOCK {} bytes, RLIMIT_NOFILE {}",
        limit_text(&h.memlock),
        limit_text(&h.nofile)
    );
    let opt = |v: Option<u64>| v.map_or("?".to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "# somaxconn {}, tcp_max_syn_backlog {}, ip_local_port_range {}, tcp_fastopen {}",
        opt(h.somaxconn),
        opt(h.tcp_max_syn_backlog),
        h.ip_local_port_range
            .map_or("?".to_owned(), |(a, b)| format!("{a}-{b}")),
        opt(h.tcp_fastopen)
    );
    let a = f.advice;
    let _ = writeln!(
        out,
        "\n# Recommended: profile \"{}\": {}",
        a.profile, a.profile_reason
    );
    let _ = writeln!(out, "[server]\nprofile = \"{}\"", a.profile);
    for s in &a.settings {
        let _ = writeln!(out, "# {}\n{} = {}", s.reason, s.key, s.value);
    }
    if !a.sysctl.is_empty() {
        let _ = writeln!(out, "\n# /etc/sysctl.d/60-ringgate.conf");
        for l in &a.sysctl {
            let _ = writeln!(out, "# {}\n{}", l.reason, l.line);
        }
    }
    if !a.limits.is_empty() {
        let _ = writeln!(
            out,
            "\n# systemd unit [Service] (see tuning/systemd/ringgate.service)"
        );
        for l in &a.limits {
            let _ = writeln!(out, "# {}\n{}", l.reason, l.line);
        }
    }
    out
}

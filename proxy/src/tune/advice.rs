//! From host facts and probes to advice: the recommended profile, each
//! setting with the reason for its value, and sysctl / limit lines an
//! operator can paste. Values start from the recommended built-in profile
//! (loaded through the same config code as a real file) and are adjusted
//! to what this host allows.

use super::host::{Host, Ktls};
use super::probe::FlagProbe;
use ringgate_core::config::{self, Config};

/// One recommended `[server]` key.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Key path under `[server]`, e.g. `uring.defer_taskrun`.
    pub key: String,
    /// The value as TOML.
    pub value: String,
    /// Why.
    pub reason: String,
}

/// A line to paste (sysctl.d, systemd unit, shell) and why.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line.
    pub line: String,
    /// Why.
    pub reason: String,
}

/// Everything `ringgate tune` recommends.
#[derive(Debug, Clone)]
pub struct Advice {
    /// Built-in profile to start from.
    pub profile: &'static str,
    /// Why that one.
    pub profile_reason: String,
    /// Settings, each with a reason.
    pub settings: Vec<Setting>,
    /// `/etc/sysctl.d/` lines.
    pub sysctl: Vec<Line>,
    /// Resource limits (systemd unit lines) and module loading.
    pub limits: Vec<Line>,
}

/// Probe results the advice depends on.
#[derive(Debug)]
pub struct Probes<'a> {
    /// io_uring setup flags.
    pub flags: &'a [FlagProbe],
    /// CPU steering attach result.
    pub steering: &'a Result<(), String>,
}

fn cpus_text(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let start = cpus[i];
        let mut end = start;
        while i + 1 < cpus.len() && cpus[i + 1] == end + 1 {
            i += 1;
            end = cpus[i];
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    parts.join(",")
}

/// The built-in profile as a validated config (listen address aside).
fn profile_config(name: &str) -> Option<Config> {
    config::load_with_profile("[server]\nlisten = \"127.0.0.1:0\"\n", None, Some(name)).ok()
}

/// Work out the advice.
pub fn advise(host: &Host, probes: &Probes<'_>) -> Advice {
    let cpus = if host.affinity.is_empty() {
        host.cpus_online.clone()
    } else {
        host.affinity.clone()
    };
    let small_memory = host.mem_total_kib.is_some_and(|kib| kib < 2 * 1024 * 1024);
    let (profile, profile_reason) = if cpus.len() <= 1 {
        (
            "small-vm",
            "one CPU in the affinity mask: one shard, nothing to steer".to_owned(),
        )
    } else if small_memory {
        (
            "small-vm",
            "under 2 GiB of memory: small rings, buffers and connection limits".to_owned(),
        )
    } else {
        (
            "throughput",
            format!(
                "{} CPUs: one shard per CPU with CPU accept steering; use \"latency\" instead when p99 matters more than peak rate",
                cpus.len()
            ),
        )
    };
    let base = profile_config(profile);
    let flag = |name: &str| probes.flags.iter().find(|f| f.name == name);
    let mut settings = Vec::new();
    let mut set = |key: &str, value: String, reason: String| {
        settings.push(Setting {
            key: key.to_owned(),
            value,
            reason,
        });
    };

    // Shards and CPUs, NUMA-aware.
    let mut shard_cpus = cpus.clone();
    let numa_reason = if host.numa.len() > 1 {
        let best = host
            .numa
            .iter()
            .max_by_key(|n| n.cpus.iter().filter(|c| cpus.contains(c)).count());
        if let Some(node) = best {
            shard_cpus.retain(|c| node.cpus.contains(c));
            format!(
                "{} NUMA nodes: keep shards (and the memory they allocate) on node {}; run a second ringgate on the other node if the NIC is there",
                host.numa.len(),
                node.id
            )
        } else {
            String::new()
        }
    } else {
        "one NUMA node: every allowed CPU".to_owned()
    };
    if profile == "small-vm" {
        shard_cpus.truncate(1);
    }
    set(
        "shards",
        shard_cpus.len().to_string(),
        format!(
            "one shard per CPU of the affinity mask ({}), shard i pinned to the i-th",
            cpus_text(&cpus)
        ),
    );
    set(
        "cpus",
        format!("\"{}\"", cpus_text(&shard_cpus)),
        numa_reason,
    );

    // io_uring setup flags, as probed.
    for (key, probe) in [
        ("uring.coop_taskrun", "coop_taskrun"),
        ("uring.defer_taskrun", "defer_taskrun"),
    ] {
        match flag(probe) {
            Some(p) if p.ok() => set(
                key,
                "true".into(),
                format!("the kernel accepted a ring with {probe}"),
            ),
            Some(p) => set(
                key,
                "false".into(),
                format!(
                    "the kernel refused a ring with {probe}: {}",
                    p.error.as_deref().unwrap_or("")
                ),
            ),
            None => {}
        }
    }
    let spare = host.cpus_online.len().saturating_sub(shard_cpus.len());
    let sqpoll_ok = flag("sqpoll").is_some_and(FlagProbe::ok);
    set(
        "uring.sqpoll",
        "false".into(),
        if !sqpoll_ok {
            "the kernel refused a ring with SQPOLL".to_owned()
        } else if spare >= shard_cpus.len() {
            format!("{spare} CPUs are free of shards: the \"sqpoll\" profile (one SQ poll thread per shard on a spare core) may pay off; measure it")
        } else {
            "SQPOLL keeps one core busy per shard and every CPU runs a shard".to_owned()
        },
    );
    if let Some(base) = &base {
        set(
            "uring.entries",
            base.server.uring.entries.to_string(),
            format!("profile \"{profile}\""),
        );
    }

    // Steering.
    let steer = shard_cpus.len() > 1 && probes.steering.is_ok();
    set(
        "tcp.steering",
        if steer { "\"cpu\"" } else { "\"hash\"" }.into(),
        match (&probes.steering, shard_cpus.len()) {
            (_, 0 | 1) => "one shard: nothing to steer".to_owned(),
            (Ok(()), _) => "SO_ATTACH_REUSEPORT_CBPF with SKF_AD_CPU attached on this kernel: accept on the core whose softirq received the SYN".to_owned(),
            (Err(e), _) => format!("the steering program did not attach ({e}): the kernel's hash"),
        },
    );

    // Backlog against somaxconn.
    if let Some(base) = &base {
        let want = u64::from(base.server.tcp.backlog);
        let reason = match host.somaxconn {
            Some(cap) if cap < want => format!(
                "the kernel caps it at net.core.somaxconn = {cap}; raise that (sysctl below) to get {want}"
            ),
            Some(cap) => format!("within net.core.somaxconn = {cap}"),
            None => "net.core.somaxconn unreadable".to_owned(),
        };
        set("tcp.backlog", want.to_string(), reason);
        if let Some(queue) = base.server.tcp.fastopen {
            let server_on = host.tcp_fastopen.is_some_and(|v| v & 2 != 0);
            set(
                "tcp.fastopen",
                queue.to_string(),
                if server_on {
                    "net.ipv4.tcp_fastopen has the server bit (2) set".to_owned()
                } else {
                    format!(
                        "net.ipv4.tcp_fastopen = {} lacks the server bit (2): no effect until it is set (sysctl below)",
                        host.tcp_fastopen.map_or("?".to_owned(), |v| v.to_string())
                    )
                },
            );
        }
        // Connections against the file limit: a client connection can hold
        // an upstream connection, plus listeners and a margin.
        let per_shard = base.server.max_connections as u64;
        let shards = shard_cpus.len().max(1) as u64;
        let (value, reason) = match host.nofile.soft {
            Some(soft) if soft.saturating_sub(256) / (2 * shards) < per_shard => {
                let fit = (soft.saturating_sub(256) / (2 * shards)).max(1);
                (fit, format!("RLIMIT_NOFILE soft limit {soft} fits {fit} per shard (two descriptors per proxied connection, {shards} shards); raise the limit (below) for the profile's {per_shard}"))
            }
            Some(soft) => (
                per_shard,
                format!("profile \"{profile}\"; RLIMIT_NOFILE {soft} fits it"),
            ),
            None => (
                per_shard,
                format!("profile \"{profile}\"; RLIMIT_NOFILE unlimited"),
            ),
        };
        set("max_connections", value.to_string(), reason);
    }

    let want_conns = base
        .as_ref()
        .map_or(10_000, |b| b.server.max_connections as u64)
        * 2
        * shard_cpus.len().max(1) as u64
        + 256;
    Advice {
        profile,
        profile_reason,
        settings,
        sysctl: sysctl_lines(host, base.as_ref()),
        limits: limit_lines(host, want_conns),
    }
}

fn sysctl_lines(host: &Host, base: Option<&Config>) -> Vec<Line> {
    let mut out = Vec::new();
    let mut add = |line: String, reason: String| out.push(Line { line, reason });
    let backlog = base.map_or(4096, |b| u64::from(b.server.tcp.backlog));
    if host.somaxconn.is_some_and(|v| v < backlog) {
        add(
            format!("net.core.somaxconn = {backlog}"),
            format!(
                "accept backlog per shard socket (now {})",
                host.somaxconn.unwrap_or(0)
            ),
        );
    }
    if host.tcp_max_syn_backlog.is_some_and(|v| v < backlog) {
        add(
            format!("net.ipv4.tcp_max_syn_backlog = {backlog}"),
            format!(
                "SYN queue under connection bursts (now {})",
                host.tcp_max_syn_backlog.unwrap_or(0)
            ),
        );
    }
    if let Some((lo, hi)) = host.ip_local_port_range {
        if hi.saturating_sub(lo) < 40_000 {
            add(
                "net.ipv4.ip_local_port_range = 1024 65535".to_owned(),
                format!(
                    "{} local ports per upstream target (now {lo}-{hi})",
                    hi.saturating_sub(lo) + 1
                ),
            );
        }
    }
    if host.tcp_fastopen.is_some_and(|v| v & 2 == 0) {
        add(
            "net.ipv4.tcp_fastopen = 3".to_owned(),
            "server-side TCP Fast Open for tcp.fastopen (bit 2), client side kept (bit 1)"
                .to_owned(),
        );
    }
    if host.io_uring_disabled.is_some_and(|v| v != 0) {
        add(
            "kernel.io_uring_disabled = 0".to_owned(),
            "io_uring is disabled: ringgate needs it unless driver = \"legacy\"".to_owned(),
        );
    }
    out
}

fn limit_lines(host: &Host, want_nofile: u64) -> Vec<Line> {
    let mut out = Vec::new();
    if host.nofile.soft.is_some_and(|soft| soft < want_nofile) {
        out.push(Line {
            line: "LimitNOFILE=1048576".to_owned(),
            reason: format!(
                "RLIMIT_NOFILE soft limit {} is below the {want_nofile} descriptors the profile can use (systemd [Service]; or `ulimit -n 1048576`)",
                host.nofile.soft.unwrap_or(0)
            ),
        });
    }
    let old_kernel = kernel_before(&host.kernel, 5, 12);
    if host.memlock.soft.is_some() {
        out.push(Line {
            line: "LimitMEMLOCK=infinity".to_owned(),
            reason: if old_kernel {
                format!("kernel {} charges io_uring rings to RLIMIT_MEMLOCK (before 5.12): {} bytes limits the ring size", host.kernel, host.memlock.soft.unwrap_or(0))
            } else {
                format!("kernel {} charges rings to the memory cgroup, not RLIMIT_MEMLOCK; harmless, and needed on kernels before 5.12", host.kernel)
            },
        });
    }
    if host.ktls == Ktls::Loadable {
        out.push(Line {
            line: "modprobe tls   # and `tls` in /etc/modules-load.d/tls.conf".to_owned(),
            reason: "kTLS: the kernel has the tls module but it is not loaded".to_owned(),
        });
    }
    out
}

/// Whether release text `6.1.0-13-amd64` is older than `major.minor`.
fn kernel_before(release: &str, major: u64, minor: u64) -> bool {
    let mut it = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u64>().ok());
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => (a, b) < (major, minor),
        _ => false,
    }
}

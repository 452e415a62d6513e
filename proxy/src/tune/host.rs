//! What `ringgate tune` reads about the host: CPUs and the process's
//! affinity mask, NUMA nodes, memory, kTLS, resource limits and the
//! sysctls that bound an edge proxy. Everything comes from /proc and /sys;
//! a file that cannot be read leaves its fact `None` rather than failing.

use ringgate_core::config::parse_cpu_list;
use std::path::Path;

/// One NUMA node and its CPUs.
#[derive(Debug, Clone)]
pub struct NumaNode {
    /// Node number.
    pub id: usize,
    /// CPUs of the node.
    pub cpus: Vec<usize>,
}

/// A resource limit; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limit {
    /// Soft limit (what the process gets).
    pub soft: Option<u64>,
    /// Hard limit (what it may raise the soft limit to).
    pub hard: Option<u64>,
}

/// kTLS availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ktls {
    /// The `tls` upper-layer protocol is registered (module loaded or built in).
    Available,
    /// Not registered, but the kernel has the module: `modprobe tls`.
    Loadable,
    /// Neither.
    Missing,
}

impl Ktls {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Ktls::Available => "available",
            Ktls::Loadable => "loadable",
            Ktls::Missing => "missing",
        }
    }
}

/// The host facts.
#[derive(Debug, Clone)]
pub struct Host {
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// CPUs online.
    pub cpus_online: Vec<usize>,
    /// CPUs this process may run on.
    pub affinity: Vec<usize>,
    /// NUMA nodes (empty when the kernel has no NUMA information).
    pub numa: Vec<NumaNode>,
    /// Total memory in KiB.
    pub mem_total_kib: Option<u64>,
    /// `kernel.io_uring_disabled` (absent before Linux 6.6).
    pub io_uring_disabled: Option<u64>,
    /// kTLS.
    pub ktls: Ktls,
    /// RLIMIT_MEMLOCK in bytes.
    pub memlock: Limit,
    /// RLIMIT_NOFILE.
    pub nofile: Limit,
    /// `net.core.somaxconn`.
    pub somaxconn: Option<u64>,
    /// `net.ipv4.tcp_max_syn_backlog`.
    pub tcp_max_syn_backlog: Option<u64>,
    /// `net.ipv4.ip_local_port_range`.
    pub ip_local_port_range: Option<(u64, u64)>,
    /// `net.ipv4.tcp_fastopen` (bit 1: client, bit 2: server).
    pub tcp_fastopen: Option<u64>,
}

fn read(path: impl AsRef<Path>) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

fn number(path: &str) -> Option<u64> {
    read(path)?.parse().ok()
}

fn cpu_list(text: &str) -> Vec<usize> {
    parse_cpu_list(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| usize::try_from(n).ok())
        .collect()
}

impl Host {
    /// Read every fact.
    pub fn inspect() -> Host {
        let kernel = read("/proc/sys/kernel/osrelease").unwrap_or_default();
        Host {
            cpus_online: read("/sys/devices/system/cpu/online")
                .map(|t| cpu_list(&t))
                .unwrap_or_default(),
            affinity: crate::runtime::pin::allowed_cpus()
                .into_iter()
                .map(|c| c.id)
                .collect(),
            numa: numa_nodes(),
            mem_total_kib: read("/proc/meminfo").and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            }),
            io_uring_disabled: number("/proc/sys/kernel/io_uring_disabled"),
            ktls: ktls(&kernel),
            memlock: limit("Max locked memory"),
            nofile: limit("Max open files"),
            somaxconn: number("/proc/sys/net/core/somaxconn"),
            tcp_max_syn_backlog: number("/proc/sys/net/ipv4/tcp_max_syn_backlog"),
            ip_local_port_range: read("/proc/sys/net/ipv4/ip_local_port_range").and_then(|t| {
                let mut it = t.split_whitespace().filter_map(|v| v.parse().ok());
                Some((it.next()?, it.next()?))
            }),
            tcp_fastopen: number("/proc/sys/net/ipv4/tcp_fastopen"),
            kernel,
        }
    }
}

fn numa_nodes() -> Vec<NumaNode> {
    let Ok(dir) = std::fs::read_dir("/sys/devices/system/node") else {
        return Vec::new();
    };
    let mut nodes: Vec<NumaNode> = dir
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let id = name.strip_prefix("node")?.parse().ok()?;
            let cpus = read(entry.path().join("cpulist")).map_or_else(Vec::new, |t| cpu_list(&t));
            Some(NumaNode { id, cpus })
        })
        .collect();
    nodes.sort_by_key(|n| n.id);
    nodes
}

fn ktls(kernel: &str) -> Ktls {
    let registered = read("/proc/sys/net/ipv4/tcp_available_ulp")
        .is_some_and(|t| t.split_whitespace().any(|u| u == "tls"));
    if registered {
        return Ktls::Available;
    }
    let modules = Path::new("/lib/modules").join(kernel);
    let in_tree = modules.join("kernel/net/tls").is_dir();
    let builtin = read(modules.join("modules.builtin"))
        .is_some_and(|t| t.lines().any(|l| l.ends_with("/tls.ko")));
    if in_tree || builtin {
        Ktls::Loadable
    } else {
        Ktls::Missing
    }
}

/// A limit of this process from /proc/self/limits (columns: name, soft, hard, units).
fn limit(name: &str) -> Limit {
    let Some(text) = read("/proc/self/limits") else {
        return Limit::default();
    };
    let Some(rest) = text.lines().find_map(|l| l.strip_prefix(name)) else {
        return Limit::default();
    };
    let mut values = rest.split_whitespace().map(|v| v.parse::<u64>().ok());
    Limit {
        soft: values.next().flatten(),
        hard: values.next().flatten(),
    }
}

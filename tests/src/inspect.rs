//! Reading a running process's real settings back from the kernel, so a
//! test checks what the kernel applied rather than what a config said.
//!
//! [`sockets`] duplicates every TCP socket of the process into a Python
//! child with `pidfd_getfd(2)` and reads its options with `getsockopt`;
//! [`listen_backlog`] reads a listener's backlog from `ss`; [`threads`]
//! lists thread names and CPU affinity from `/proc/PID/task`;
//! [`uring_sq_entries`] reads each io_uring's SQ size from
//! `/proc/PID/fdinfo`; [`io_uring_setups`] runs a command under `strace`
//! and returns the flags of every `io_uring_setup` call.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::process::{python, run};

const SOCKOPTS: &str = r#"
import ctypes, json, os, socket, sys
pid = int(sys.argv[1])
pfd = os.pidfd_open(pid)
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438
out = []
for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
    try:
        if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(SYS_pidfd_getfd, pfd, int(name), 0)
    if fd < 0:
        sys.exit(f"pidfd_getfd({name}) failed: errno {ctypes.get_errno()}")
    try:
        s = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        continue
    try:
        if s.family != socket.AF_INET or s.type != socket.SOCK_STREAM:
            continue
        g = lambda level, opt: s.getsockopt(level, opt)
        T = socket.IPPROTO_TCP
        listening = g(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        try:
            peer = "%s:%d" % s.getpeername()
        except OSError:
            peer = None
        out.append({
            "fd": int(name), "local": "%s:%d" % s.getsockname(), "peer": peer,
            "listening": listening,
            "nodelay": g(T, socket.TCP_NODELAY),
            "defer_accept": g(T, socket.TCP_DEFER_ACCEPT),
            "fastopen": g(T, socket.TCP_FASTOPEN),
            "rcvbuf": g(socket.SOL_SOCKET, socket.SO_RCVBUF),
            "sndbuf": g(socket.SOL_SOCKET, socket.SO_SNDBUF),
            "keepalive": g(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            "keepidle": g(T, socket.TCP_KEEPIDLE),
            "keepintvl": g(T, socket.TCP_KEEPINTVL),
            "keepcnt": g(T, socket.TCP_KEEPCNT),
        })
    finally:
        s.detach()
        os.close(fd)
print(json.dumps(out))
"#;

/// The IPv4 TCP sockets of process `pid` with their options, as the
/// kernel reports them (`getsockopt` on a duplicate of each descriptor).
pub fn sockets(pid: u32) -> Vec<Value> {
    let out = python(SOCKOPTS, &[&pid.to_string()]);
    out.assert_success("reading socket options with pidfd_getfd");
    match serde_json::from_slice::<Value>(&out.stdout) {
        Ok(Value::Array(list)) => list,
        other => panic!("socket option reader printed {other:?}"),
    }
}

/// The listening sockets among [`sockets`] bound to `port`.
pub fn listeners(pid: u32, port: u16) -> Vec<Value> {
    sockets(pid)
        .into_iter()
        .filter(|s| {
            s["listening"] == true
                && s["local"]
                    .as_str()
                    .is_some_and(|l| l.ends_with(&format!(":{port}")))
        })
        .collect()
}

/// The backlog of each listener on `port` (`ss`'s Send-Q of a LISTEN socket).
pub fn listen_backlog(port: u16) -> Vec<u64> {
    let out = run(
        Command::new("ss").args(["-Hltn", &format!("sport = :{port}")]),
        Duration::from_secs(10),
    );
    out.assert_success("ss -Hltn");
    out.stdout_text()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect()
}

/// `net.core.somaxconn`: the kernel's cap on any backlog.
pub fn somaxconn() -> u64 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .expect("read net.core.somaxconn")
}

/// Parses a Linux CPU list (`0-2,5`).
pub fn cpu_list(text: &str) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let (lo, hi): (usize, usize) = (lo.parse().expect("cpu"), hi.parse().expect("cpu"));
        out.extend(lo..=hi);
    }
    out
}

/// Threads of `pid`: (name, allowed CPUs).
pub fn threads(pid: u32) -> Vec<(String, BTreeSet<usize>)> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|t| {
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            let status = std::fs::read_to_string(t.path().join("status")).ok()?;
            let cpus = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
            Some((comm.trim().to_owned(), cpu_list(cpus)))
        })
        .collect()
}

/// The CPUs this test process may run on.
pub fn own_cpus() -> BTreeSet<usize> {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    cpu_list(
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list"),
    )
}

/// SQ entries of every io_uring instance of `pid` (fdinfo `SqMask` + 1).
pub fn uring_sq_entries(pid: u32) -> Vec<u64> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter(|fd| {
            std::fs::read_link(fd.path()).is_ok_and(|l| l.to_string_lossy().contains("io_uring"))
        })
        .filter_map(|fd| {
            let info = std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ))
            .ok()?;
            let mask = info.lines().find_map(|l| l.strip_prefix("SqMask:"))?.trim();
            u64::from_str_radix(mask.trim_start_matches("0x"), 16)
                .ok()
                .map(|m| m + 1)
        })
        .collect()
}

/// io_uring setup flag bits (linux/io_uring.h) by strace's names.
const SETUP_FLAGS: &[(&str, u64)] = &[
    ("IORING_SETUP_IOPOLL", 1 << 0),
    ("IORING_SETUP_SQPOLL", 1 << 1),
    ("IORING_SETUP_SQ_AFF", 1 << 2),
    ("IORING_SETUP_CQSIZE", 1 << 3),
    ("IORING_SETUP_CLAMP", 1 << 4),
    ("IORING_SETUP_ATTACH_WQ", 1 << 5),
    ("IORING_SETUP_R_DISABLED", 1 << 6),
    ("IORING_SETUP_SUBMIT_ALL", 1 << 7),
    ("IORING_SETUP_COOP_TASKRUN", 1 << 8),
    ("IORING_SETUP_TASKRUN_FLAG", 1 << 9),
    ("IORING_SETUP_SQE128", 1 << 10),
    ("IORING_SETUP_CQE32", 1 << 11),
    ("IORING_SETUP_SINGLE_ISSUER", 1 << 12),
    ("IORING_SETUP_DEFER_TASKRUN", 1 << 13),
];
/// IORING_SETUP_COOP_TASKRUN.
pub const COOP_TASKRUN: u64 = 1 << 8;
/// IORING_SETUP_SINGLE_ISSUER.
pub const SINGLE_ISSUER: u64 = 1 << 12;
/// IORING_SETUP_DEFER_TASKRUN.
pub const DEFER_TASKRUN: u64 = 1 << 13;
/// IORING_SETUP_SQPOLL.
pub const SQPOLL: u64 = 1 << 1;
/// IORING_SETUP_SQ_AFF.
pub const SQ_AFF: u64 = 1 << 2;

/// One `io_uring_setup` call seen by strace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingSetup {
    /// Requested SQ entries (first argument).
    pub entries: u64,
    /// Setup flags.
    pub flags: u64,
    /// `sq_thread_cpu` as passed.
    pub sq_thread_cpu: u64,
}

/// Parses strace lines `io_uring_setup(N, {flags=A|B|0x3000, sq_thread_cpu=C, ...}) = FD`.
pub fn parse_setups(trace: &str) -> Vec<RingSetup> {
    trace
        .lines()
        .filter_map(|line| {
            let rest = &line[line.find("io_uring_setup(")? + "io_uring_setup(".len()..];
            if !line
                .trim_end()
                .rsplit('=')
                .next()?
                .trim()
                .parse::<i64>()
                .is_ok_and(|fd| fd >= 0)
            {
                return None;
            }
            let entries = rest.split(',').next()?.trim().parse().ok()?;
            let flags_text = rest.split("flags=").nth(1)?.split(',').next()?;
            let mut flags = 0;
            for part in flags_text.split('|') {
                let part = part.trim();
                if let Some(hex) = part.strip_prefix("0x") {
                    flags |= u64::from_str_radix(hex, 16).ok()?;
                } else if part != "0" {
                    flags |= SETUP_FLAGS.iter().find(|(n, _)| *n == part)?.1;
                }
            }
            let cpu = rest
                .split("sq_thread_cpu=")
                .nth(1)?
                .split(',')
                .next()?
                .trim();
            let cpu = match cpu.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok()?,
                None => cpu.parse().ok()?,
            };
            Some(RingSetup {
                entries,
                flags,
                sq_thread_cpu: cpu,
            })
        })
        .collect()
}

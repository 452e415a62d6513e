//! CPU accounting of a proxy from procfs.
//!
//! Every child runs in its own process group, so "the proxy process" is
//! that group: nginx's master and its worker, or ringgate with all its
//! threads. `/proc/PID/stat` gives each process's user and system time
//! (fields 14 and 15, all threads included, in clock ticks); their sum over
//! the group, read before and after a run, is the CPU the proxy spent on
//! it. The kernel's network work for loopback traffic is charged to
//! whichever task is running at the time, so this is the proxy's own
//! CPU plus roughly its share of the TCP stack. Ticks are usually 10 ms, coarse
//! for one request but fine over a run of seconds.

use std::sync::OnceLock;
use std::time::Duration;

/// What one `/proc/PID/stat` line says that matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Process id.
    pub pid: u32,
    /// State letter (`R`, `S`, `Z`, ...).
    pub state: char,
    /// Process group id.
    pub pgrp: u32,
    /// utime + stime in clock ticks.
    pub ticks: u64,
}

/// Parses one `/proc/PID/stat` line. The command name (field 2) is in
/// parentheses and may hold spaces and parentheses itself, so the fields
/// are counted from the last `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let (head, rest) = line.rsplit_once(')')?;
    let pid = head.split_once(" (")?.0.trim().parse().ok()?;
    // rest: " S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ..."
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(ProcStat {
        pid,
        state: f.first()?.chars().next()?,
        pgrp: u32::try_from(num(2)?).ok()?,
        ticks: num(11)? + num(12)?,
    })
}

/// Every live process (zombies left out), as far as it can be read.
fn processes() -> impl Iterator<Item = ProcStat> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|s| parse_stat(&s))
        .filter(|p| p.state != 'Z')
}

/// The live processes of process group `pgrp`.
pub fn group_members(pgrp: u32) -> Vec<u32> {
    processes()
        .filter(|p| p.pgrp == pgrp)
        .map(|p| p.pid)
        .collect()
}

/// CPU time of process group `pgrp` so far.
pub fn group_cpu(pgrp: u32) -> Duration {
    let ticks: u64 = processes()
        .filter(|p| p.pgrp == pgrp)
        .map(|p| p.ticks)
        .sum();
    ticks_to_duration(ticks)
}

fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_micros(ticks.saturating_mul(1_000_000) / ticks_per_second())
}

/// `sysconf(_SC_CLK_TCK)`, asked of `getconf CLK_TCK` (this crate has no
/// unsafe code to call libc); 100, Linux's USER_HZ everywhere, if that fails.
pub fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|&t: &u64| t > 0)
            .unwrap_or(100)
    })
}

/// CPU microseconds per request; `None` without requests.
pub fn us_per_request(cpu: Duration, requests: u64) -> Option<f64> {
    (requests > 0).then(|| cpu.as_secs_f64() * 1e6 / requests as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_with_odd_names() {
        let line = "4242 (nginx: a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 75 0 0 20 0 1 0 123 456 789";
        let s = parse_stat(line).expect("parses");
        assert_eq!(s.pid, 4242);
        assert_eq!(s.state, 'S');
        assert_eq!(s.pgrp, 4242);
        assert_eq!(s.ticks, 325);
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1 2"), None);
    }

    #[test]
    fn own_group_is_seen_and_spends_cpu() {
        let me = std::fs::read_to_string("/proc/self/stat").expect("procfs");
        let me = parse_stat(&me).expect("own stat");
        assert!(group_members(me.pgrp).contains(&me.pid));
        let before = group_cpu(me.pgrp);
        let until = std::time::Instant::now() + Duration::from_millis(60);
        let mut x = 0u64;
        while std::time::Instant::now() < until {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(group_cpu(me.pgrp) > before);
    }

    #[test]
    fn per_request() {
        assert_eq!(us_per_request(Duration::from_secs(1), 0), None);
        assert_eq!(us_per_request(Duration::from_millis(5), 1000), Some(5.0));
    }
}

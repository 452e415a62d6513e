//! Socket options socket2 does not cover, set with `setsockopt(2)`:
//! TCP_DEFER_ACCEPT, TCP_FASTOPEN (listener queue length) and
//! SO_ATTACH_REUSEPORT_CBPF (accept steering by CPU).
//!
//! The steering program is classic BPF: load the number of the CPU that
//! runs the receive softirq (`SKF_AD_CPU`), compare it with each shard's
//! CPU and return that shard's index in the SO_REUSEPORT group. A CPU no
//! shard runs on returns an index past the group, which makes the kernel
//! fall back to its usual hash. The group's indices follow bind order, and
//! shard *i*'s socket is bound *i*-th, so the index of a shard is *i*.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// `setsockopt` with an `int` value.
fn set_int(fd: RawFd, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` lives for the call and its exact size is passed; the
    // kernel only reads it. A bad `fd` is reported as an error, not UB.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            std::ptr::addr_of!(value).cast(),
            socklen(std::mem::size_of::<libc::c_int>()),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn socklen(n: usize) -> libc::socklen_t {
    libc::socklen_t::try_from(n).unwrap_or(libc::socklen_t::MAX)
}

/// TCP_DEFER_ACCEPT: wake `accept` only once data arrived (or `secs` passed).
pub fn set_defer_accept(socket: &impl AsRawFd, secs: u32) -> io::Result<()> {
    let secs = libc::c_int::try_from(secs).unwrap_or(libc::c_int::MAX);
    set_int(
        socket.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_DEFER_ACCEPT,
        secs,
    )
}

/// TCP_FASTOPEN on a listener: the queue of pending Fast Open requests.
pub fn set_fastopen(socket: &impl AsRawFd, queue: u32) -> io::Result<()> {
    let queue = libc::c_int::try_from(queue).unwrap_or(libc::c_int::MAX);
    set_int(
        socket.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_FASTOPEN,
        queue,
    )
}

// Classic BPF opcodes and the ancillary offset (linux/filter.h).
const BPF_LD_W_ABS: u16 = 0x20; // BPF_LD (0) | BPF_W (0) | BPF_ABS (0x20)
const BPF_JMP_JEQ_K: u16 = 0x05 | 0x10; // BPF_JMP | BPF_JEQ | BPF_K
const BPF_RET_K: u16 = 0x06; // BPF_RET | BPF_K
const SKF_AD_OFF: u32 = 0xFFFF_F000; // (-0x1000) as u32
const SKF_AD_CPU: u32 = 36;

/// The steering program for shards pinned to `cpus` (index = shard).
pub fn cpu_steering_program(cpus: &[usize]) -> Vec<libc::sock_filter> {
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    let mut prog = vec![op(BPF_LD_W_ABS, 0, 0, SKF_AD_OFF + SKF_AD_CPU)];
    let mut seen = Vec::new();
    for (shard, &cpu) in cpus.iter().enumerate() {
        // With more shards than CPUs, a CPU's first shard takes its connections.
        if seen.contains(&cpu) {
            continue;
        }
        seen.push(cpu);
        let cpu = u32::try_from(cpu).unwrap_or(u32::MAX);
        let shard = u32::try_from(shard).unwrap_or(u32::MAX);
        // Equal: fall through to `ret shard`; not equal: skip it.
        prog.push(op(BPF_JMP_JEQ_K, 0, 1, cpu));
        prog.push(op(BPF_RET_K, 0, 0, shard));
    }
    prog.push(op(BPF_RET_K, 0, 0, u32::MAX));
    prog
}

/// Attach `prog` to the SO_REUSEPORT group of `socket` (one socket of the
/// group is enough: the program belongs to the group).
pub fn attach_reuseport_cbpf(socket: &impl AsRawFd, prog: &[libc::sock_filter]) -> io::Result<()> {
    let len = u16::try_from(prog.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "steering program too long"))?;
    let fprog = libc::sock_fprog {
        len,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call, with its
    // exact length; the kernel copies the program and never writes through
    // the pointer.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_REUSEPORT_CBPF,
            std::ptr::addr_of!(fprog).cast(),
            socklen(std::mem::size_of::<libc::sock_fprog>()),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Detach the SO_REUSEPORT group's steering program, if it has one.
pub fn detach_reuseport_bpf(socket: &impl AsRawFd) -> io::Result<()> {
    match set_int(
        socket.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_DETACH_REUSEPORT_BPF,
        0,
    ) {
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        other => other,
    }
}

//! How busy a generator thread was: its on-CPU time from procfs.
//!
//! `/proc/thread-self/schedstat` starts with the nanoseconds the calling
//! thread has run on a CPU (user and system, which for io_uring includes
//! the kernel's network work done on our behalf). Compared with the wall
//! time it says whether the generator itself was saturated.

use std::time::Duration;

/// On-CPU time of the calling thread so far, if the kernel exposes it.
pub fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_grows() {
        let Some(a) = super::thread_cpu_time() else {
            return; // no schedstat on this kernel: nothing to check
        };
        let mut x = 0u64;
        let until = std::time::Instant::now() + std::time::Duration::from_millis(20);
        while std::time::Instant::now() < until {
            x = x.wrapping_add(1);
        }
        std::hint::black_box(x);
        let b = super::thread_cpu_time().unwrap();
        assert!(b > a);
    }
}

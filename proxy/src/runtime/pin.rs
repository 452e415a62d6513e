//! CPU pinning: shard *i* runs on the *i*-th CPU of the process's allowed
//! set, so `taskset -c 0 ringgate` with one shard runs on CPU 0.

use core_affinity::CoreId;
use ringgate_core::config::Shards;

/// The CPUs this process may run on, in ascending order (read once, on the
/// control thread, before any shard pins itself).
pub fn allowed_cpus() -> Vec<CoreId> {
    core_affinity::get_core_ids().unwrap_or_default()
}

/// How many shards to run: the configured count, or one per allowed CPU.
pub fn shard_count(shards: &Shards, cpus: &[CoreId]) -> usize {
    match shards {
        Shards::Count(n) => *n,
        Shards::Auto => cpus.len().max(1),
    }
}

/// The CPU for shard `index`, wrapping when there are more shards than CPUs.
pub fn cpu_for_shard(index: usize, cpus: &[CoreId]) -> Option<CoreId> {
    if cpus.is_empty() {
        None
    } else {
        cpus.get(index % cpus.len()).copied()
    }
}

/// Pin the calling thread; returns whether the kernel accepted it.
pub fn pin_current(cpu: Option<CoreId>) -> bool {
    cpu.is_some_and(core_affinity::set_for_current)
}

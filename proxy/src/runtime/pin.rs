//! CPU pinning: shard *i* runs on the *i*-th CPU of `server.cpus`, or of
//! the process's allowed set when that is not given, so
//! `taskset -c 0 ringgate` with one shard runs on CPU 0.

use crate::error::ProxyError;
use core_affinity::CoreId;
use ringgate_core::config::Shards;

/// The CPUs this process may run on, in ascending order (read once, on the
/// control thread, before any shard pins itself).
pub fn allowed_cpus() -> Vec<CoreId> {
    core_affinity::get_core_ids().unwrap_or_default()
}

/// The CPUs shards are pinned to: `configured` (each must be in the
/// process's affinity mask `allowed`), or `allowed` itself.
pub fn shard_cpus(
    configured: Option<&[usize]>,
    allowed: &[CoreId],
) -> Result<Vec<CoreId>, ProxyError> {
    let Some(list) = configured else {
        return Ok(allowed.to_vec());
    };
    list.iter()
        .map(|&id| {
            if allowed.iter().any(|c| c.id == id) {
                Ok(CoreId { id })
            } else {
                let allowed: Vec<String> = allowed.iter().map(|c| c.id.to_string()).collect();
                Err(ProxyError::Cpus {
                    cpu: id,
                    allowed: allowed.join(","),
                })
            }
        })
        .collect()
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
